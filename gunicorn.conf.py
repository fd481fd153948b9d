"""gunicorn settings for Songmay: `gunicorn -c gunicorn.conf.py songmay.wsgi`.

Everything can be changed from the environment (the systemd unit's EnvironmentFile); see
docs/deployment.md. Requests are logged by Songmay itself, one JSON line each, so gunicorn's
access log stays off.
"""

import multiprocessing
import os

wsgi_app = "songmay.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the pages are short database reads and writes; 2 × cores + 1 keeps the CPUs
# busy while some workers wait on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# PDF batches and spreadsheet exports are the slowest requests; imports run in the workers.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak never grows for weeks.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Only nginx on this machine may say which client and scheme a request came from.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "songmay-web"
# Load the application (every view, WeasyPrint, OR-Tools) once in the master, before forking:
# a new worker — at start and after each max_requests recycling — answers at once instead of
# spending its first request on imports, and the workers share those pages of memory.
preload_app = True
