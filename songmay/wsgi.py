import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songmay.settings")
application = get_wsgi_application()

# Import the URLconf, hence every view, now rather than on the first request (with gunicorn's
# preload_app, once for all workers).
from django.urls import get_resolver  # noqa: E402 - after the settings are configured

get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
