from django.urls import path

from songmay.allocation import views

app_name = "allocation"

urlpatterns = [
    path("", views.assignment_list, name="assignment_list"),
    path("campaigns/<int:campaign_pk>/policy/", views.policy, name="policy"),
    path("campaigns/<int:campaign_pk>/runs/new/", views.run_create, name="run_create"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/rerun/", views.run_rerun, name="run_rerun"),
    path("runs/<int:pk>/approve/", views.run_approve, name="run_approve"),
    path("runs/<int:pk>/discard/", views.run_discard, name="run_discard"),
    path("assignments/<int:pk>/", views.handover_record, name="handover_record"),
    path("assignments/<int:pk>/scan/", views.handover_scan, name="handover_scan"),
    path("assignments/<int:pk>/return/", views.assignment_return, name="assignment_return"),
    # The user's own school, or a school given by its code.
    path("handover.pdf", views.handover_pdf, name="handover_pdf"),
    path("schools/<str:school_code>/handover.pdf", views.handover_pdf, name="handover_pdf"),
]
