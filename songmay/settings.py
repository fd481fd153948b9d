"""One settings file, driven by environment variables (see README: Configuration)."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# SONGMAY_ENV=production turns on every protection a public deployment needs.
PRODUCTION = os.environ.get("SONGMAY_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError(
            "SECRET_KEY phải được đặt khi SONGMAY_ENV=production (SECRET_KEY must be set)."
        )
    SECRET_KEY = "songmay-development-only-not-secret"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "songmay.audit",
    "songmay.accounts",
    "songmay.areas",
    "songmay.campaigns",
    "songmay.students",
    "songmay.donations",
    "songmay.inventory",
    "songmay.allocation",
    "songmay.pool",
    "songmay.connectivity",
    "songmay.reports",
    "songmay.jobs",
    "songmay.api",
    "songmay.ops",
]

MIDDLEWARE = [
    # First, so the one log line per request times the whole stack.
    "songmay.ops.logs.RequestLogMiddleware",
    "songmay.ops.requests.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "songmay.accounts.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "songmay.accounts.middleware.CachedOTPMiddleware",
    "songmay.accounts.middleware.RequireTwoFactorMiddleware",
    "songmay.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "songmay.urls"
WSGI_APPLICATION = "songmay.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "songmay.accounts.context_processors.navigation",
            ],
            "builtins": ["songmay.templatetags", "django.templatetags.l10n"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
# Optional read replica (PostgreSQL streaming replication) for dashboards; only reads inside
# songmay.ops.routers.read_replica() go there. Tests mirror it onto the default database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["songmay.ops.routers.ReplicaRouter"]

# The cache holds the dashboards' figures (songmay.reports.indicators). Several web processes
# should share one (SONGMAY_CACHE_URL=redis://127.0.0.1:6379/1) so that a province's figures are
# computed once for all; without it each process keeps its own (LocMemCache).
# The "jobs" cache carries a running job's progress from the worker to the pages
# (songmay.jobs.progress), so it is always shared: the same Redis, or else a folder that the
# processes of one machine share.
SONGMAY_SHARED_CACHE = bool(os.environ.get("SONGMAY_CACHE_URL"))
if SONGMAY_SHARED_CACHE:
    CACHES = {
        "default": {
            "BACKEND": "songmay.lib.cache.RedisCache",
            "LOCATION": os.environ["SONGMAY_CACHE_URL"],
            "KEY_PREFIX": "songmay",
        },
        "jobs": {
            "BACKEND": "songmay.lib.cache.RedisCache",
            "LOCATION": os.environ["SONGMAY_CACHE_URL"],
            "KEY_PREFIX": "songmay-jobs",
        },
    }
    # Sessions read from the shared cache, written through to the database: one query less on
    # every page, and still there after a cache restart.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("SONGMAY_PROGRESS_DIR", str(BASE_DIR / "var" / "progress")),
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "songmay.accounts.backends.CachedModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failed log-ins (django-axes), per user name and address.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Behind N reverse proxies (nginx: 1), the client's address is the N-th from the right in
# X-Forwarded-For; the audit trail and the lockout use it. 0: take REMOTE_ADDR as it is.
SONGMAY_PROXY_COUNT = int(os.environ.get("SONGMAY_PROXY_COUNT", "0"))
if SONGMAY_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = SONGMAY_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Two-factor authentication (TOTP): required for system admins and province officers
# in production; available to everyone.
SONGMAY_REQUIRE_2FA = env_bool("SONGMAY_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = "Songmay"

LANGUAGE_CODE = "vi"
# Each language named in itself: the switch's button carries lang="en", and a reader of English
# looks for "English", not its Vietnamese name.
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (signed handover scans): private, served only through scoped views, never
# at a public URL.
MEDIA_ROOT = Path(os.environ.get("SONGMAY_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Background work: django-tasks with its database backend; a worker is
# `songmay db_worker`, and more machines simply run more workers.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "songmay@localhost")

# Uploaded spreadsheets are read in memory; larger files are refused with a clear message.
SONGMAY_MAX_UPLOAD_BYTES = int(os.environ.get("SONGMAY_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = SONGMAY_MAX_UPLOAD_BYTES + 1024 * 1024

# A school with overdue pool loans is reminded by e-mail at most once per this many days.
SONGMAY_LOAN_REMINDER_DAYS = int(os.environ.get("SONGMAY_LOAN_REMINDER_DAYS", "7"))

# Content-Security-Policy: nothing loads from anywhere but this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Map tiles for the dead spot map, e.g. https://tile.example.vn/{z}/{x}/{y}.png; empty: no
# tiles, the points are drawn on a plain background. Its host is the only one allowed images.
SONGMAY_MAP_TILES = os.environ.get("SONGMAY_MAP_TILES", "").strip()
SONGMAY_MAP_ATTRIBUTION = os.environ.get("SONGMAY_MAP_ATTRIBUTION", "")
if SONGMAY_MAP_TILES:
    _tiles = urlsplit(SONGMAY_MAP_TILES.replace("{s}", "*"))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # The header the proxy sets to say the client used HTTPS; empty when nothing is in front.
    _proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO")
    if _proxy_ssl_header:
        SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# One JSON object per line on stdout in production (songmay/ops/logs.py); plain text otherwise.
SONGMAY_LOG_FORMAT = os.environ.get("SONGMAY_LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "songmay.ops.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": SONGMAY_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every PDF at INFO; only their problems matter.
    "loggers": {
        # The request line comes from songmay.request; Django's own would repeat it.
        "django.server": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Vietnamese dates dd/mm/yyyy and numbers 1.234.567 (see songmay/formats/).
FORMAT_MODULE_PATH = ["songmay.formats"]
CSRF_FAILURE_VIEW = "songmay.views.csrf_failure"
