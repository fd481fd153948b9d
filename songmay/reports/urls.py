from django.urls import path

from songmay.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.public_index, name="public_index"),
    path("campaigns/<int:pk>/", views.public_campaign, name="public_campaign"),
    path("campaigns/<int:pk>/csv/", views.public_campaign_csv, name="public_campaign_csv"),
    path("trace/<str:token>/", views.donor_trace, name="donor_trace"),
]
