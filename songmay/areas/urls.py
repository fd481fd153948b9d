from django.urls import path

from songmay.areas import views
from songmay.areas.views_import import import_urlpatterns

app_name = "areas"
urlpatterns = [
    path("areas/", views.area_list, name="area_list"),
    path("areas/new/", views.area_create, name="area_create"),
    path("areas/<str:code>/", views.area_detail, name="area_detail"),
    path("schools/", views.school_list, name="school_list"),
    path("schools/new/", views.school_create, name="school_create"),
    *import_urlpatterns,
    path("schools/<int:pk>/", views.school_detail, name="school_detail"),
    path("schools/<int:pk>/edit/", views.school_edit, name="school_edit"),
]
