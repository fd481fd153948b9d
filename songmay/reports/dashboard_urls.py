from django.urls import path

from songmay.reports import dashboard_views, export_views

app_name = "dashboards"

urlpatterns = [
    path("", dashboard_views.dashboard_home, name="home"),
    path("campaigns/<int:pk>/", dashboard_views.dashboard, name="campaign"),
    path("campaigns/<int:pk>/areas/<int:area_pk>/", dashboard_views.dashboard, name="area"),
    path("campaigns/<int:pk>/schools/<int:school_pk>/", dashboard_views.dashboard, name="school"),
    path("campaigns/<int:pk>/report.<str:fmt>", export_views.report_export, name="report"),
]
