from django.urls import path

from songmay.donations import views, views_pdf

app_name = "donations"

urlpatterns = [
    path("donors/", views.donor_list, name="donor_list"),
    path("donors/new/", views.donor_create, name="donor_create"),
    path("donors/<int:pk>/", views.donor_detail, name="donor_detail"),
    path("donors/<int:pk>/edit/", views.donor_edit, name="donor_edit"),
    path("donors/<int:pk>/trace/", views.donor_trace_issue, name="donor_trace_issue"),
    path("donors/<int:pk>/trace/revoke/", views.donor_trace_revoke, name="donor_trace_revoke"),
    path("pledges/", views.pledge_list, name="pledge_list"),
    path("pledges/new/", views.pledge_create, name="pledge_create"),
    path("pledges/<int:pk>/", views.pledge_detail, name="pledge_detail"),
    path("pledges/<int:pk>/cancel/", views.pledge_cancel, name="pledge_cancel"),
    path("receipts/", views.donation_list, name="donation_list"),
    path("receipts/new/", views.donation_create, name="donation_create"),
    path("receipts/<int:pk>/", views.donation_detail, name="donation_detail"),
    path("receipts/<int:pk>/review/", views.donation_review, name="donation_review"),
    path("receipts/<int:pk>/letter.pdf", views_pdf.donation_letter, name="donation_letter"),
    path("ledger/", views.ledger, name="ledger"),
    path("spendings/new/", views.spending_create, name="spending_create"),
    path("spendings/<int:pk>/", views.spending_detail, name="spending_detail"),
]
