"""One settings module, driven by environment variables.

DATABASE_URL picks the database (SQLite file in var/ by default). Every knob a deployment
needs is read here with a safe default for `make run`.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DOUM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


DEBUG = env_bool("DOUM_DEBUG", False)
SECRET_KEY = os.environ.get("DOUM_SECRET_KEY", "")
if not SECRET_KEY:
    # Development default; `doum check --deploy` refuses it.
    SECRET_KEY = "doum-insecure-development-key-change-me-" + "0" * 16
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("DOUM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DOUM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "doum.core",
    "doum.accounts",
    "doum.tickets",
    # Ticket listeners run in this order after each commit: triggers, routing, SLA timers,
    # webhooks, then mail notifications (see doum/tickets/hooks.py).
    "doum.automation",
    "doum.routing",
    "doum.sla",
    "doum.webhooks",
    "doum.mail",
    # Metrics mark changed tickets for their rollups; reports and alerts read metrics.
    "doum.metrics",
    "doum.reports",
    "doum.alerts",
    "doum.surveys",
    "doum.assist",
    "doum.portal",
    "doum.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "doum.api.ratelimit.RateLimitMiddleware",
    "doum.accounts.middleware.UserPreferencesMiddleware",
    "doum.core.security.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "doum.urls"
WSGI_APPLICATION = "doum.wsgi.application"
ASGI_APPLICATION = "doum.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "doum.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'doum.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE),
        conn_max_age=env_int("DOUM_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout so the web server, the worker and the CLI can share one file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if env_bool("DOUM_SQLITE_NO_PERSIST", False) else 600
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["doum.accounts.backends.EmailBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if env_bool("DOUM_FAST_PASSWORDS", False):
    # Tests and demo seeding only: a cheap hasher so thousands of users seed in seconds.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Caches (rate limits, small lookups) ----------------------------------------------------
CACHE_URL = os.environ.get("DOUM_CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL == "db":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "doum_cache",
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "doum"}
    }

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DOUM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "mail", "webhooks"],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "doum" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DOUM_DEFAULT_TIME_ZONE = os.environ.get("DOUM_DEFAULT_TIME_ZONE", "Asia/Seoul")
# Time zones whose local days the analytics rollups keep (other viewers' zones are computed
# from the per-ticket metrics, exactly but more slowly).
DOUM_METRICS_TIME_ZONES = [
    z.strip()
    for z in os.environ.get("DOUM_METRICS_TIME_ZONES", DOUM_DEFAULT_TIME_ZONE).split(",")
    if z.strip()
]

# --- Mail -----------------------------------------------------------------------------------
# Without DOUM_SMTP_HOST, mail (sign-in links, password resets) is printed to the console.
DEFAULT_FROM_EMAIL = os.environ.get("DOUM_FROM_EMAIL", "Doum <support@doum.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("DOUM_SMTP_HOST", "")
EMAIL_PORT = env_int("DOUM_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DOUM_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DOUM_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DOUM_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("DOUM_SMTP_SSL", False)
EMAIL_TIMEOUT = env_int("DOUM_SMTP_TIMEOUT_S", 20)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# --- The email channel (doum.mail) ----------------------------------------------------------
# Inbound: a message larger than this, or beyond the parser's budgets, goes to the failed-mail
# list with its raw bytes; SMTP/LMTP refuses what is larger than DOUM_MAIL_SMTP_MAX_BYTES.
DOUM_MAIL_MAX_BYTES = env_int("DOUM_MAIL_MAX_BYTES", 40 * 1024 * 1024)
DOUM_MAIL_SMTP_MAX_BYTES = env_int("DOUM_MAIL_SMTP_MAX_BYTES", 80 * 1024 * 1024)
DOUM_MAIL_MAX_PARTS = env_int("DOUM_MAIL_MAX_PARTS", 1000)
DOUM_MAIL_MAX_DEPTH = env_int("DOUM_MAIL_MAX_DEPTH", 25)
DOUM_MAIL_MAX_HEADER_BYTES = env_int("DOUM_MAIL_MAX_HEADER_BYTES", 256 * 1024)
DOUM_MAIL_MAX_PARSE_SECONDS = float(os.environ.get("DOUM_MAIL_MAX_PARSE_SECONDS", "10"))
DOUM_MAIL_MAX_CC_FOLLOWERS = env_int("DOUM_MAIL_MAX_CC_FOLLOWERS", 20)
# Outbound: the domain of Doum's Message-IDs, the loop header's value, and the caps on
# automatic mail (per ticket and per recipient in a sliding window) that stop mail loops.
DOUM_MAIL_DOMAIN = os.environ.get("DOUM_MAIL_DOMAIN", "") or (
    DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "doum.localhost"
)
DOUM_MAIL_LOOP_ID = os.environ.get("DOUM_MAIL_LOOP_ID", "") or f"doum@{DOUM_MAIL_DOMAIN}"
DOUM_MAIL_AUTO_WINDOW_MINUTES = env_int("DOUM_MAIL_AUTO_WINDOW_MINUTES", 10)
DOUM_MAIL_AUTO_PER_TICKET = env_int("DOUM_MAIL_AUTO_PER_TICKET", 10)
DOUM_MAIL_AUTO_PER_RECIPIENT = env_int("DOUM_MAIL_AUTO_PER_RECIPIENT", 30)
DOUM_MAIL_SEND_MAX_ATTEMPTS = env_int("DOUM_MAIL_SEND_MAX_ATTEMPTS", 6)
DOUM_MAIL_SEND_RETRY_BASE_S = env_int("DOUM_MAIL_SEND_RETRY_BASE_S", 60)
DOUM_MAIL_POLL_INTERVAL_S = env_int("DOUM_MAIL_POLL_INTERVAL_S", 60)
# The language of mail to people who have not chosen one ("en" or "ko"; empty: LANGUAGE_CODE).
DOUM_MAIL_DEFAULT_LANGUAGE = os.environ.get("DOUM_MAIL_DEFAULT_LANGUAGE", "")
# Where agents reach this Doum, for links in mail (no trailing slash).
DOUM_BASE_URL = os.environ.get("DOUM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Webhooks (doum.webhooks) ---------------------------------------------------------------
# Hosts (names or IP literals, comma-separated) whose webhooks may reach loopback, private or
# link-local addresses, and may use plain http; admins can add more on the settings page.
# Cloud metadata, unspecified and multicast addresses are refused whatever this says.
DOUM_WEBHOOK_ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DOUM_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
]
DOUM_WEBHOOK_CONNECT_TIMEOUT_S = float(os.environ.get("DOUM_WEBHOOK_CONNECT_TIMEOUT_S", "5"))
DOUM_WEBHOOK_TIMEOUT_S = float(os.environ.get("DOUM_WEBHOOK_TIMEOUT_S", "10"))  # whole request
DOUM_WEBHOOK_RESPONSE_MAX_BYTES = env_int("DOUM_WEBHOOK_RESPONSE_MAX_BYTES", 64 * 1024)
DOUM_WEBHOOK_MAX_ATTEMPTS = env_int("DOUM_WEBHOOK_MAX_ATTEMPTS", 8)
DOUM_WEBHOOK_RETRY_BASE_S = env_int("DOUM_WEBHOOK_RETRY_BASE_S", 60)
DOUM_WEBHOOK_RETRY_MAX_S = env_int("DOUM_WEBHOOK_RETRY_MAX_S", 3600)
# Delivered deliveries stay in the log this long (dead letters stay until replayed).
DOUM_WEBHOOK_KEEP_DAYS = env_int("DOUM_WEBHOOK_KEEP_DAYS", 30)

DOUM_PASSWORD_RESET_PER_EMAIL_PER_HOUR = env_int("DOUM_PASSWORD_RESET_PER_EMAIL_PER_HOUR", 5)
DOUM_PASSWORD_RESET_PER_IP_PER_HOUR = env_int("DOUM_PASSWORD_RESET_PER_IP_PER_HOUR", 20)

# --- Routing --------------------------------------------------------------------------------
# The most unsolved tickets routing gives an agent who has no "any channel" capacity of their own.
DOUM_ROUTING_DEFAULT_CAPACITY = env_int("DOUM_ROUTING_DEFAULT_CAPACITY", 20)

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Serve app static files straight from the package: `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("DOUM_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DOUM_ATTACHMENT_MAX_BYTES = env_int("DOUM_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
# Exports: lists longer than this are written by a background task (the Exports page);
# finished export files are deleted after DOUM_EXPORT_KEEP_HOURS.
DOUM_EXPORT_SYNC_MAX_ROWS = env_int("DOUM_EXPORT_SYNC_MAX_ROWS", 5000)

# --- Feedback imports (doum.surveys, docs/feedback-import.md) -------------------------------
DOUM_FEEDBACK_IMPORT_MAX_BYTES = env_int("DOUM_FEEDBACK_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
DOUM_FEEDBACK_IMPORT_MAX_ROWS = env_int("DOUM_FEEDBACK_IMPORT_MAX_ROWS", 100_000)
DOUM_EXPORT_KEEP_HOURS = env_int("DOUM_EXPORT_KEEP_HOURS", 72)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DOUM_REQUEST_MAX_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- API ------------------------------------------------------------------------------------
# Requests per minute. Tokens are counted per token, everything else per client IP.
DOUM_RATE_LIMIT_TOKEN_PER_MIN = env_int("DOUM_RATE_LIMIT_TOKEN_PER_MIN", 1200)
DOUM_RATE_LIMIT_IP_PER_MIN = env_int("DOUM_RATE_LIMIT_IP_PER_MIN", 600)
DOUM_RATE_LIMIT_ANON_PER_MIN = env_int("DOUM_RATE_LIMIT_ANON_PER_MIN", 60)
# The customer's survey pages (/survey/...): requests per minute per client IP, rating and
# opt-out pages together; beyond it they answer 429 and record nothing.
DOUM_SURVEY_RATE_PER_MIN = env_int("DOUM_SURVEY_RATE_PER_MIN", 30)
DOUM_BENCH_ENDPOINTS = env_bool("DOUM_BENCH_ENDPOINTS", False)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("DOUM_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DOUM_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
