from django.urls import path

from songmay.students import views
from songmay.students.views_import import import_urlpatterns

app_name = "students"
urlpatterns = [
    path("", views.need_list, name="list"),
    path("new/", views.need_create, name="create"),
    path("export.xlsx", views.need_export, name="export"),
    path("confirm/", views.need_confirm, name="confirm"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate"),
    path("<int:pk>/", views.need_detail, name="detail"),
    path("<int:pk>/edit/", views.need_edit, name="edit"),
    path("<int:pk>/withdraw/", views.need_withdraw, name="withdraw"),
    *import_urlpatterns,
]
