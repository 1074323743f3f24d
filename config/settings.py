"""Settings, read from the environment (12-factor).

Every setting has an embedded default that needs no service at all (SQLite under var/, mail written to
files under var/mail, Celery over a filesystem transport under var/celery), so that a fresh clone runs with
`make run`. With DJANGO_ENV=production the defaults are refused: each required setting must be given and
well formed, and start-up stops with a message naming every one that is not.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

_problems: list[str] = []


def _setting(name: str, default: str, *, check=None, hint: str = "", required: bool = True) -> str:
    """Read NAME from the environment; in production it is required (unless not `required`) and must pass `check`."""
    value = env.str(name, default="")
    if not value:
        if PRODUCTION and required:
            _problems.append(f"{name} is missing{': ' + hint if hint else ''}")
        return default
    if check is not None and not check(value):
        _problems.append(f"{name} is malformed ({_shown(name, value)}){': ' + hint if hint else ''}")
        return default
    return value


# Local transports are complete without a host: "filesystem://" and "filemail://" are the defaults themselves.
_LOCAL_SCHEMES = {"filesystem", "filemail", "consolemail"}


def _shown(name: str, value: str) -> str:
    """The value for an error message, without secrets (start-up errors end up in logs)."""
    if "SECRET" in name:
        return "hidden"
    return repr(re.sub(r":[^@\s/:]+@", ":***@", value))  # a URL's password


def _is_url(*schemes: str):
    def check(value: str) -> bool:
        parsed = urlparse(value)
        scheme = parsed.scheme.split("+")[0]
        return scheme in schemes and (bool(parsed.netloc or parsed.path) or scheme in _LOCAL_SCHEMES)

    return check


def _is_zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


SECRET_KEY = _setting(
    "SECRET_KEY",
    "dev-only-insecure-key-do-not-use-in-production",
    check=lambda v: len(v) >= 32,
    hint="at least 32 random characters",
)
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = [
    h.strip()
    for h in _setting("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver", hint="comma-separated host names").split(
        ","
    )
    if h.strip()
]
SITE_URL = _setting(
    "SITE_URL",
    "http://127.0.0.1:8000",
    check=_is_url("http", "https"),
    hint="the public address used in e-mail links",
).rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

DATABASE_URL = _setting(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    check=_is_url("postgres", "postgresql", "pgsql", "sqlite") if not PRODUCTION else _is_url("postgres", "postgresql"),
    hint="postgres://USER:PASSWORD@HOST:PORT/NAME",
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite: wait for a writer rather than fail at once while the worker and the web process share the file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "simple_history",
    "axes",
    "drf_spectacular",
    "agreements",
    "followups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in an address, query or form is a 400 here, not a database error later.
    "config.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user as the author of every history entry.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Locks out repeated failed logins (django-axes); last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=60 * 60)  # idle time before a session expires
SESSION_SAVE_EVERY_REQUEST = True  # each request restarts the idle clock

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _setting("TIME_ZONE", "UTC", check=_is_zone, hint="an IANA time-zone name", required=False)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Mail: files under var/mail unless EMAIL_URL names a server (smtp://host:port, smtp+tls://user:pw@host:587).
EMAIL_URL = _setting(
    "EMAIL_URL",
    f"filemail://{VAR_DIR / 'mail'}",
    # Production sends real mail: files or the console would silently swallow the reminders.
    check=_is_url("smtp", "smtps", "filemail", "consolemail") if not PRODUCTION else _is_url("smtp", "smtps"),
    hint="smtp://HOST:PORT or smtp+tls://USER:PASSWORD@HOST:587",
)
vars().update(env.email_url_config(EMAIL_URL))
if EMAIL_URL.startswith("filemail://"):
    EMAIL_FILE_PATH = str(VAR_DIR / "mail") if EMAIL_URL == "filemail://" else urlparse(EMAIL_URL).path
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = _setting(
    "DEFAULT_FROM_EMAIL",
    "Follow-up tracker <tracker@example.org>",
    check=lambda v: re.search(r"[^@\s<]+@[^@\s>]+\.[^@\s>]+", v) is not None,
    hint="an address such as 'Tracker <tracker@agency.gov>'",
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a filesystem transport under var/celery by default (no broker to install); redis:// or amqp:// in
# production. The reliability settings follow DESIGN.md ("Reminders: the database is the queue").
CELERY_BROKER_URL = _setting(
    "CELERY_BROKER_URL",
    "filesystem://",
    # Production workers run on several machines: a broker in a local folder would not be shared.
    check=_is_url("redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem")
    if not PRODUCTION
    else _is_url("redis", "rediss", "amqp", "amqps", "pyamqp"),
    hint="redis://HOST:6379/0 or amqp://USER:PASSWORD@HOST:5672//",
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
    for _folder in (_queue_dir, VAR_DIR / "celery" / "processed"):
        _folder.mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Follow-up tracker partner API",
    "DESCRIPTION": "Frameworks, commitments and deadlines of the 2026 Critical Minerals Ministerial, per partner.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if _problems:
        raise ImproperlyConfigured(
            "Production settings are incomplete:\n  - "
            + "\n  - ".join(_problems)
            + "\n(see README.md, 'Configuration')"
        )
elif _problems:
    raise ImproperlyConfigured("Malformed settings:\n  - " + "\n  - ".join(_problems))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Partner REST API (issue 5; agreements.api_auth, config.api_router) ------------------------------------
# Swagger UI and Redoc assets served as our own static files, never from a CDN.
INSTALLED_APPS += ["drf_spectacular_sidecar"]  # noqa: F405 - appended to the list above
REST_FRAMEWORK.update(
    {
        # A partner's key first; staff may use the API with their session.
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "agreements.api_auth.ApiKeyAuthentication",
            "agreements.api_auth.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["agreements.api_auth.PartnerOrStaff"],
        "DEFAULT_FILTER_BACKENDS": [
            "django_filters.rest_framework.DjangoFilterBackend",
            "rest_framework.filters.OrderingFilter",
        ],
        "DEFAULT_THROTTLE_CLASSES": ["agreements.api_auth.PerKeyThrottle"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    }
)
# Requests per API key (or staff user) and period: N/sec, N/min, N/hour or N/day.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Throttle counts must be shared by every web process: API_THROTTLE_CACHE_URL (redis://HOST:6379/1), else the
# Celery broker when it is Redis, else (a fresh clone, one process) counted in memory.
CACHES = globals().get("CACHES", {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
CACHES["api_throttle"] = env.cache_url_config(
    env.str(
        "API_THROTTLE_CACHE_URL",
        default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "locmemcache://api",
    )
)
CACHES["api_throttle"]["KEY_PREFIX"] = "api-throttle"
API_THROTTLE_CACHE = "api_throttle"
SPECTACULAR_SETTINGS["DESCRIPTION"] = (
    "Frameworks, commitments and deadlines of the 2026 Critical Minerals Ministerial, per partner.\n\n"
    "**Keys.** Send your organisation's key as `Authorization: Bearer <key>`. A key is shown once when issued; "
    "it expires, and can be revoked at any time (the next request then answers 401).\n\n"
    "**Scope.** You see the frameworks your organisation is party to (directly or through a body it belongs "
    "to), what hangs under them, and every commitment it owns; anything else answers 404. You may create status "
    "updates (status, note, evidence link, date) on the commitments your organisation owns; no other field "
    "can be set.\n\n"
    "**Lists** use cursor pagination (`next`/`previous` links, `page_size` up to 200), filters and `ordering`; "
    "sync with `updated_since`. **Details** carry an `ETag`: send it back in `If-None-Match` to get 304. "
    "**Throttling** answers 429 with `Retry-After`. Errors are JSON: `detail`, or one list of messages per field."
)
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "agreements.api.add_error_responses",
        ],
        "ENUM_NAME_OVERRIDES": {
            "CommitmentStatusEnum": "followups.models.Status",
            "FrameworkStatusEnum": "agreements.models.FrameworkStatus",
            "WebhookEventEnum": "followups.models.WebhookEvent",
            "WebhookDeliveryStatusEnum": "followups.models.WebhookDeliveryStatus",
        },
    }
)

# Staff web application (issue 4): the lockout page says what happened and for how long.
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Reminders (issue 3; followups.reminders, followups.tasks) ---------------------------------------------
# The local time of day at which a reminder reaches its recipient, in the recipient's own time zone.
REMINDER_LOCAL_TIME = env.str("REMINDER_LOCAL_TIME", default="09:00")
# A claimed row belongs to its worker this long; after that a tick claims it again (the worker died).
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=300)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=50)  # mails per task and per SMTP connection
REMINDER_TICK_SECONDS = env.float("REMINDER_TICK_SECONDS", default=60.0)
# Temporary SMTP failures: retry after base * 2**(attempts-1), at most max; FAILED after max attempts.
REMINDER_RETRY_BASE_SECONDS = env.float("REMINDER_RETRY_BASE_SECONDS", default=60.0)
REMINDER_RETRY_MAX_SECONDS = env.float("REMINDER_RETRY_MAX_SECONDS", default=6 * 3600.0)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=25)
# Overdue escalation: +1 day to the contacts; unacknowledged at +7 also to the desk officers, at +30 also to
# the coordinators (followups.reminders).
# One beat entry, an interval (UTC): the tick claims due rows and hands them to workers in batches.
CELERY_BEAT_SCHEDULE = {
    "reminders-tick": {"task": "followups.tasks.reminders_tick", "schedule": REMINDER_TICK_SECONDS},
    # Partners' webhooks (followups.webhooks): the same outbox pattern, ticked at the same interval.
    "webhooks-tick": {"task": "followups.tasks.webhooks_tick", "schedule": REMINDER_TICK_SECONDS},
}
# Time limits below the lease: a task is stopped before its rows can be claimed by another worker.
CELERY_TASK_SOFT_TIME_LIMIT = int(REMINDER_LEASE_SECONDS * 0.7)
CELERY_TASK_TIME_LIMIT = int(REMINDER_LEASE_SECONDS * 0.8)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis re-delivers an unacknowledged message after the visibility timeout: above the time limit, so a
    # running task is not delivered twice; a dead worker's batch is also reclaimed through the lease.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=REMINDER_LEASE_SECONDS + 60)
    }
# RabbitMQ: a dead worker's connection drops and its unacknowledged messages return at once; heartbeats
# notice a silent network failure within this many seconds.
CELERY_BROKER_HEARTBEAT = env.int("CELERY_BROKER_HEARTBEAT", default=60)
# Several deployments (or test runs) may share one broker: each names its own queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The filesystem transport's exchange table, under var/ rather than a "control" folder in the working directory.
    CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"] = str(VAR_DIR / "celery" / "control")
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)

# --- Partners' webhooks (issue 5 item 6; followups.webhooks) ----------------------------------------------------
# Seconds to wait for a partner's server (connect and answer); a slow server is retried, not waited for.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Deliveries per task: times the timeout, well below the task's soft time limit (below the lease).
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=10)
# 5xx, 408, 429, timeouts and connection errors: retry after base * 2**(attempts-1), at most max; FAILED after
# max attempts (the defaults give up after about two and a half days).
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=20)
# Plain http and private, loopback or link-local addresses (a partner's key could otherwise make our workers
# call into our own network) are allowed only outside production, for local receivers and tests.
WEBHOOK_ALLOW_INSECURE = env.bool("WEBHOOK_ALLOW_INSECURE", default=not PRODUCTION)
# At most this many endpoints per organisation.
WEBHOOK_MAX_ENDPOINTS = env.int("WEBHOOK_MAX_ENDPOINTS", default=10)
SPECTACULAR_SETTINGS["DESCRIPTION"] += (
    "\n\n**Webhooks.** Register a URL with `POST /api/v1/webhooks/` (`url`, `events`: "
    "`commitment.status_changed` when a commitment your organisation owns changes status, or one of its owners' "
    "status does; `deadline.approaching` at the reminder lead days before one of their deadlines, e.g. 30, 7 and 1). "
    "The answer carries the endpoint's `secret`, once: keep it. Each notification is a `POST` of JSON with the "
    "headers `X-Tracker-Event`, `X-Tracker-Delivery` (the event's id, the same at every retry: drop a repeat), "
    "`X-Tracker-Timestamp` (Unix seconds) and `X-Tracker-Signature: sha256=<hex>`, the HMAC-SHA256 of "
    '`"{timestamp}.{body}"` with the secret. Answer 2xx within 10 seconds; 408, 429, 5xx, timeouts and connection '
    "errors are retried with growing delays for about two and a half days, any other answer (redirects included) "
    "fails the delivery at once. `GET /api/v1/webhook-deliveries/` shows each delivery's status and last error. "
    "Check the signature on the raw body before parsing it, and refuse old timestamps:\n\n"
    "```python\n"
    "import hashlib, hmac, time\n\n"
    "def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:\n"
    '    timestamp = headers["X-Tracker-Timestamp"]\n'
    "    if abs(time.time() - int(timestamp)) > tolerance:\n"
    "        return False\n"
    '    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()\n'
    '    return hmac.compare_digest("sha256=" + expected, headers["X-Tracker-Signature"])\n'
    "```"
)
