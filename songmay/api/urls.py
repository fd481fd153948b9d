from django.urls import path, re_path

from songmay.api.api import api, not_found

urlpatterns = [
    path("", api.urls),
    # Unknown addresses under /api/v1/ answer in JSON too, not with the HTML 404 page.
    re_path(r"", not_found),
]
