from django.urls import path

from songmay.pool import views
from songmay.pool.views_transfers import urlpatterns as transfer_urlpatterns

app_name = "pool"

urlpatterns = [
    # Loans, returns, repairs, write-offs and recalls.
    path("", views.loan_list, name="loan_list"),
    path("lend/", views.loan_create, name="loan_create"),
    path("loans/<int:pk>/", views.loan_detail, name="loan_detail"),
    path("loans/<int:pk>/photo/", views.loan_photo, name="loan_photo"),
    path("repairs/", views.repair_list, name="repair_list"),
    path("repairs/<int:pk>/finish/", views.repair_finish, name="repair_finish"),
    path("repairs/<int:pk>/write-off/", views.write_off_create, name="write_off_create"),
    path("write-offs/", views.write_off_list, name="write_off_list"),
    path("write-offs/<int:pk>/decide/", views.write_off_decide, name="write_off_decide"),
    path("recalls/", views.recall_list, name="recall_list"),
    path("recalls/new/", views.recall_create, name="recall_create"),
    path("recalls/<int:pk>/", views.recall_detail, name="recall_detail"),
    path("recall-items/<int:pk>/answer/", views.recall_answer, name="recall_answer"),
    # Transfers, outbreaks and the reconciling counts.
    *transfer_urlpatterns,
]
