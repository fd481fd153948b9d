from django.urls import include, path

from songmay import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("songmay.accounts.urls")),
    path("", include("songmay.areas.urls")),
    path("campaigns/", include("songmay.campaigns.urls")),
    path("students/", include("songmay.students.urls")),
    path("donations/", include("songmay.donations.urls")),
    path("inventory/", include("songmay.inventory.urls")),
    path("allocation/", include("songmay.allocation.urls")),
    path("connectivity/", include("songmay.connectivity.urls")),
    path("pool/", include("songmay.pool.urls")),
    path("dashboard/", include("songmay.reports.dashboard_urls")),
    path("public/", include("songmay.reports.urls")),
    path("audit/", include("songmay.audit.urls")),
    path("jobs/", include("songmay.jobs.urls")),
    path("api/v1/", include("songmay.api.urls")),
]
