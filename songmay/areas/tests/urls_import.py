"""The project's URLs with the school import pages in the "areas" namespace, for tests that
run before (or after) songmay/areas/urls.py includes `import_urlpatterns`."""

from django.urls import URLResolver, include, path

from songmay import urls as project
from songmay.areas import urls as area_urls
from songmay.areas.views_import import import_urlpatterns

_names = {getattr(pattern, "name", None) for pattern in area_urls.urlpatterns}
_areas = [*area_urls.urlpatterns, *(p for p in import_urlpatterns if p.name not in _names)]

urlpatterns: list = []
for _pattern in project.urlpatterns:
    if isinstance(_pattern, URLResolver) and _pattern.namespace == "areas":
        urlpatterns.append(path(str(_pattern.pattern), include((_areas, "areas"))))
    else:
        urlpatterns.append(_pattern)
