from django.urls import path

from songmay.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/confirm/", views.job_confirm, name="confirm"),
    path("<int:pk>/errors.xlsx", views.job_errors_xlsx, name="errors_xlsx"),
    path("<int:pk>/errors-sheet.xlsx", views.job_errors_sheet, name="errors_sheet"),
]
