from django.urls import path

from songmay.connectivity import views

app_name = "connectivity"

urlpatterns: list = [
    path("dead-spots/", views.dead_spot_list, name="dead_spot_list"),
    path("dead-spots/new/", views.dead_spot_create, name="dead_spot_create"),
    path("dead-spots/map/", views.dead_spot_map, name="dead_spot_map"),
    path("dead-spots/import/", views.dead_spot_import, name="dead_spot_import"),
    path(
        "dead-spots/import/template.xlsx",
        views.dead_spot_import_template,
        name="dead_spot_import_template",
    ),
    path("dead-spots/<int:pk>/", views.dead_spot_detail, name="dead_spot_detail"),
    path("dead-spots/<int:pk>/edit/", views.dead_spot_edit, name="dead_spot_edit"),
    path("dead-spots/<int:pk>/status/", views.dead_spot_status, name="dead_spot_status"),
    path(
        "dead-spots/<int:pk>/evidence/<int:event_pk>/",
        views.dead_spot_evidence,
        name="dead_spot_evidence",
    ),
]

# Data packages, the operator exchange and fixed broadband (views_packages).
from songmay.connectivity import views_packages as packages  # noqa: E402

urlpatterns += [
    path("packages/", packages.package_list, name="package_list"),
    path("packages/new/", packages.package_create, name="package_create"),
    path("packages/<int:pk>/edit/", packages.package_edit, name="package_edit"),
    path("packages/requests/", packages.support_list, name="support_list"),
    path("pupils/<int:need_pk>/package/", packages.package_request, name="package_request"),
    path("pupils/<int:need_pk>/broadband/", packages.broadband_create, name="broadband_create"),
    path("exchange/", packages.exchange, name="exchange"),
    path(
        "exchange/batches/<int:pk>.<str:fmt>",
        packages.batch_download,
        name="batch_download",
    ),
    path("broadband/", packages.broadband_list, name="broadband_list"),
    path("broadband/<int:pk>/", packages.broadband_edit, name="broadband_edit"),
]
