from django.urls import path

from songmay.inventory import views, views_labels
from songmay.inventory.views_import import import_urlpatterns

app_name = "inventory"

urlpatterns: list = [
    path("devices/", views.device_list, name="device_list"),
    path("devices/new/", views.device_register, name="device_register"),
    # The QR labels print this address: keep it stable.
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/edit/", views.device_edit, name="device_edit"),
    path("devices/<int:pk>/status/", views.device_status, name="device_status"),
    path("devices/<int:pk>/move/", views.device_move, name="device_move"),
    path("campaigns/<int:campaign_pk>/minimum/", views.minimum_specs, name="minimum_specs"),
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/new/", views.warehouse_create, name="warehouse_create"),
    path("labels.pdf", views_labels.device_labels, name="labels"),
    *import_urlpatterns,
]
