"""Handoff settings, read from the environment.

The embedded default (no variables set) runs on a SQLite file and a Celery
broker on the filesystem under ``var/``, so one command starts everything on a
fresh machine. Production sets ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HANDOFF_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

# The development key is only accepted with DEBUG on, so a production process
# started without SECRET_KEY refuses to boot instead of signing with a known key.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEV_SECRET_KEY
elif SECRET_KEY == DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The development SECRET_KEY cannot be used with DEBUG off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tables2",
    "django_filters",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    # Handoff apps, lowest layer first (see DESIGN.md).
    "accounts",
    "contacts",
    "blocklists",
    "messaging",
    "handoff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # POST /api/v1/inbound answered here, without the pages' middleware below (issue #6).
    "messaging.inbound_webhook.InboundWebhookMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.ActorMiddleware",
    "accounts.middleware.SecurityHeadersMiddleware",
    "accounts.middleware.RejectNulMiddleware",
]

ROOT_URLCONF = "config.urls"
# Django's form templates, with select boxes built in Python (accounts.rendering).
FORM_RENDERER = "accounts.rendering.FastSelectRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.actor",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'handoff.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT adds 100+ ms to large ad-hoc plans and buys nothing for this workload.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Django's ModelBackend, loading the user's membership with the user (one query).
AUTHENTICATION_BACKENDS = ["accounts.backends.MemberBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        # Django's Redis cache, reusing its clients (see config/cache.py).
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by the web server and the worker, which are separate processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport,
# which needs no server and still runs a real worker in its own process.
CELERY_FS_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_FS_DIR / 'results'}"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis serves priority 0 first (kombu's steps 0, 3, 6, 9). Opt-outs and opt-ins are
# queued at 0 and ordinary inbound texts at 6 (messaging.inbound); everything else,
# the keyword confirmations' dispatch, send and receipts included, at 3: otherwise
# each STOP's three follow-up tasks queued at 0 with the next STOPs and held them
# up (STOP to blocked p95 10.5-11.5 s at 200 inbound/s, docs/performance.md).
CELERY_TASK_DEFAULT_PRIORITY = 3
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = "UTC"
# Tests point their worker at a queue of their own (see tests/conftest.py).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Security. With DEBUG off the cookies only travel over HTTPS and browsers are
# told to stay on HTTPS (HSTS); behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER through HANDOFF_BEHIND_PROXY.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 60 * 60 * 12))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Submitting a domain to the HSTS preload list is the operator's decision per
# domain (SECURE_HSTS_PRELOAD=true), not something the code can promise.
# models.W040: SQLite (development, tests) builds covering indexes without their
# INCLUDE columns; PostgreSQL has them (messaging's number index).
SILENCED_SYSTEM_CHECKS = ["security.W021", "models.W040"]
if env_bool("HANDOFF_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

MESSAGE_TAGS = {40: "danger"}  # Bootstrap calls the error level "danger".

DJANGO_TABLES2_TEMPLATE = "django_tables2/handoff.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Where people reach Handoff over HTTPS: absolute links in emails (unsubscribe,
# RFC 8058 one-click, which requires https) are built on it.
HANDOFF_PUBLIC_URL = os.environ.get("HANDOFF_PUBLIC_URL", "https://localhost")

BLOCKLIST_UPLOAD_MAX_BYTES = int(os.environ.get("BLOCKLIST_UPLOAD_MAX_BYTES", 200 * 1024 * 1024))
# Imports of files this size or larger parse in a process of their own (the other
# core); smaller ones in a thread, where starting a process would cost more. -1: never.
BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = int(
    os.environ.get("BLOCKLIST_IMPORT_PROCESS_MIN_BYTES", 4 * 1024 * 1024)
)
