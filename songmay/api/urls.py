from django.urls import path, re_path

from songmay.api.api import api, not_found

urlpatterns = [
    # Any address under /api/v1/ that names no endpoint answers in JSON, not with the
    # HTML 404 page (ninja's own view at the root would give that page).
    path("", not_found),
    path("", api.urls),
    re_path(r"", not_found),
]
