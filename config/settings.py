"""Settings, read from the environment (12-factor).

Every setting has an embedded default that needs no service at all (SQLite under var/, mail written to
files under var/mail, Celery over a filesystem transport under var/celery), so that a fresh clone runs with
`make run`. With DJANGO_ENV=production the defaults are refused: each required setting must be given and
well formed, and start-up stops with a message naming every one that is not.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.startup import refuse_to_start
from config.storage import storage_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    refuse_to_start([f"DJANGO_ENV is malformed ({DJANGO_ENV!r}): 'development' or 'production'"], production=False)
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


# --- Core ---------------------------------------------------------------------------------------------------------
# The published development key, and Django's "django-insecure-" ones, sign nothing in production.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 - published, refused in production


def _is_production_key(value: str) -> bool:
    return len(value) >= 50 and len(set(value)) >= 5 and value != DEV_SECRET_KEY and "insecure" not in value


SECRET_KEY = _setting(
    "SECRET_KEY",
    DEV_SECRET_KEY,
    check=_is_production_key if PRODUCTION else lambda v: len(v) >= 32,
    hint="at least 50 random characters, not a development key "
    "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    if PRODUCTION
    else "at least 32 random characters",
)
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    _problems.append("DJANGO_DEBUG is on: production never shows debug pages (remove it or set it to false)")
ALLOWED_HOSTS = [
    h.strip()
    for h in _setting("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver", hint="comma-separated host names").split(
        ","
    )
    if h.strip()
]
if PRODUCTION and any(host in {"*", ".*"} for host in ALLOWED_HOSTS):
    _problems.append("ALLOWED_HOSTS is malformed ('*'): name the site's host names, '*' accepts forged Host headers")
SITE_URL = _setting(
    "SITE_URL",
    "http://127.0.0.1:8000",
    check=_is_url("https") if PRODUCTION else _is_url("http", "https"),
    hint="the public https:// address used in e-mail links"
    if PRODUCTION
    else "the public address used in e-mail links",
).rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

DATABASE_URL = _setting(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    check=_is_url("postgres", "postgresql", "pgsql", "sqlite") if not PRODUCTION else _is_url("postgres", "postgresql"),
    hint="postgres://USER:PASSWORD@HOST:PORT/NAME"
    + (" (production needs PostgreSQL, not SQLite)" if PRODUCTION else ""),
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable server fails a request (and /readyz) within seconds rather than at the OS's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
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
    # Evidence files on an S3-compatible store when EVIDENCE_STORAGE_URL says so (config.storage).
    "storages",
    "agreements",
    "followups",
    # Backup and restore of the evidence files (manage.py evidence_export / evidence_import).
    "ops",
]

MIDDLEWARE = [
    # First: every request gets an id and one JSON log line with its latency, whatever answers it.
    "config.observability.RequestLogMiddleware",
    # Under /api/: every error answer in the API's JSON envelope, an oversized body refused before it is read.
    "config.error_views.ApiErrorMiddleware",
    # /healthz and /readyz, before the host and HTTPS checks: load balancers ask by address, over HTTP.
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from gunicorn itself (compressed, hashed names cached for a year): no proxy rule needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy (config.middleware).
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
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
SESSION_ENGINE = "config.sessions"  # ...written at most once a minute (no UPDATE on every request)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _setting("TIME_ZONE", "UTC", check=_is_zone, hint="an IANA time-zone name", required=False)
USE_I18N = True
USE_TZ = True
# Dates as the staff pages write them (2025-10-20) in every language, the admin's columns and read-only fields too.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static files and evidence files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at every start when it is missing
# Evidence files are never served from a public URL: config.evidence checks who asks (MEDIA_URL is unused).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Where evidence files live: a folder (a volume shared by the web processes) by default, or an S3-compatible
# bucket: s3://BUCKET?endpoint_url=https://s3.example.org&region_name=eu-west-1 (credentials from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the machine's role).
EVIDENCE_STORAGE_URL = _setting(
    "EVIDENCE_STORAGE_URL",
    "",
    check=_is_url("s3", "file"),
    hint="s3://BUCKET?endpoint_url=... or file:///srv/tracker/media",
    required=False,
)
# Evidence uploads: at most this many bytes, and only these kinds, recognised by their content.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
STORAGES = {
    "default": storage_config(EVIDENCE_STORAGE_URL),
    # Hashed names and pre-compressed copies, made by collectstatic; a fresh clone (DEBUG) serves the sources.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=PRODUCTION)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Hashed names never change content: browsers and proxies may keep them for a year (whitenoise's default);
# other files for an hour.
WHITENOISE_MAX_AGE = env.int("WHITENOISE_MAX_AGE", default=3600)

# --- Security: HTTPS, cookies, headers (production defaults; each can be set from the environment) ----------
# Behind the reverse proxy, which terminates TLS and says so in X-Forwarded-Proto (docs/deploy.md).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("SECURE_PROXY_SSL_HEADER", default=PRODUCTION) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is a promise to browsers that is slow to take back: an operator's choice, so its absence is not a
# warning of `check --deploy`.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SESSION_COOKIE_SECURE)
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie: forms carry the token.
CSRF_COOKIE_HTTPONLY = env.bool("CSRF_COOKIE_HTTPONLY", default=PRODUCTION)
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Browser features no page of ours uses (config.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()",
)
# Content-Security-Policy (django-csp): our own files only, no inline script or style; a page that needs an
# inline script gives it the request's nonce (request.csp_nonce). CSP_REPORT_ONLY=true to try a change first.
CONTENT_SECURITY_POLICY: dict[str, dict[str, object]] | None  # None when CSP_REPORT_ONLY (below)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **(
            {"upgrade-insecure-requests": True} if env.bool("CSP_UPGRADE_INSECURE_REQUESTS", default=PRODUCTION) else {}
        ),
    }
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("CSP_REPORT_URI")]
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY, None

# Mail: files under var/mail unless EMAIL_URL names a server (smtp://host:port, smtp+tls://user:pw@host:587).
EMAIL_URL = _setting(
    "EMAIL_URL",
    f"filemail://{VAR_DIR / 'mail'}",
    # Production sends real mail: files or the console would silently swallow the reminders.
    check=_is_url("smtp", "smtps", "filemail", "consolemail") if not PRODUCTION else _is_url("smtp", "smtps"),
    hint="smtp://HOST:PORT or smtp+tls://USER:PASSWORD@HOST:587"
    + (" (production sends real mail, not to the console or files)" if PRODUCTION else ""),
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
# Replies to partner contacts' reminders: Reply-To reply+<token>@REPLY_DOMAIN, delivered to `manage.py inbound_mail`
# (docs/reply-by-email.md). Empty: reminders carry no Reply-To and replies go to DEFAULT_FROM_EMAIL as before.
REPLY_DOMAIN = _setting(
    "REPLY_DOMAIN",
    "",
    check=lambda v: re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", v) is not None,
    hint="a mail domain such as replies.tracker.agency.gov",
    required=False,
)

# Celery: a filesystem transport under var/celery by default (no broker to install); redis:// or amqp:// in
# production. The reliability settings follow DESIGN.md ("Reminders: the database is the queue").
CELERY_BROKER_URL = _setting(
    "CELERY_BROKER_URL",
    "filesystem://",
    # Production workers run on several machines: a broker in a local folder would not be shared.
    check=_is_url("redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem")
    if not PRODUCTION
    else _is_url("redis", "rediss", "amqp", "amqps", "pyamqp"),
    hint="redis://HOST:6379/0 or amqp://USER:PASSWORD@HOST:5672//"
    + (" (production needs a shared broker, not a local folder)" if PRODUCTION else ""),
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
# Beat's record of when each entry last ran; its folder is made here, so that beat starts on a fresh machine.
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule"))
# A read-only or foreign folder is left for beat to report when it starts; the web process needs none.
with contextlib.suppress(OSError):
    Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)

# --- Partner REST API (issue 5; agreements.api.auth, config.api_router) ------------------------------------
# Swagger UI and Redoc assets served as our own static files, never from a CDN.
INSTALLED_APPS += ["drf_spectacular_sidecar"]
REST_FRAMEWORK = {
    # A partner's key first; staff may use the API with their session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agreements.api.auth.ApiKeyAuthentication",
        "agreements.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["agreements.api.auth.PartnerOrStaff"],
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, skipped when no filter is asked (agreements.api.input.FilterBackend).
        "agreements.api.input.FilterBackend",
        # `ordering` outside the view's ordering fields is a 400, not silently ignored.
        "agreements.api.input.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["agreements.api.auth.PerKeyThrottle"],
    # DRF's JSON, byte for byte, written by orjson (issue 15: json.dumps was a tenth of an API page).
    "DEFAULT_RENDERER_CLASSES": ["agreements.api.renderers.OrjsonRenderer"],
    # JSON only; too large, not UTF-8, too deep or holding NUL or lone surrogates is a 4xx, never a 500.
    "DEFAULT_PARSER_CLASSES": ["agreements.api.input.JSONParser"],
    # Every error in one envelope: {"error": {"code", "message", "fields", "request_id"}} (config.error_views).
    "EXCEPTION_HANDLER": "config.error_views.api_exception_handler",
}
# Requests per API key (or staff user) and period: N/sec, N/min, N/hour or N/day.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Throttle counts must be shared by every web process: API_THROTTLE_CACHE_URL (redis://HOST:6379/1), else the
# Celery broker when it is Redis, else (a fresh clone, one process) counted in memory.
CACHES: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHES["api_throttle"] = env.cache_url_config(
    env.str(
        "API_THROTTLE_CACHE_URL",
        default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "locmemcache://api",
    )
)
CACHES["api_throttle"]["KEY_PREFIX"] = "api-throttle"
if CACHES["api_throttle"]["BACKEND"].endswith("RedisCache"):
    # Never wait on a down or slow Redis: the throttle then counts in this process instead (agreements.api.auth).
    CACHES["api_throttle"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 0.25, "socket_timeout": 0.25})
CACHES["api_throttle_local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-local"}
API_THROTTLE_CACHE = "api_throttle"
API_THROTTLE_FALLBACK = "api_throttle_local"
# /api/schema/, /api/docs/ and /api/redoc/ for anyone (on), or only for staff and valid keys (off: production).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=not PRODUCTION)
SPECTACULAR_SETTINGS = {
    "TITLE": "Follow-up tracker partner API",
    # The partner guide (keys, scope, lists, webhooks) is prose for people: it lives in docs/partner-guide.md and
    # is shown at the top of /api/docs/.
    "DESCRIPTION": (BASE_DIR / "docs" / "partner-guide.md").read_text(encoding="utf-8").strip(),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # API_DOCS_PUBLIC decides who reads the schema and the docs (agreements.api.auth.DocsAccess).
    "SERVE_PERMISSIONS": ["agreements.api.auth.DocsAccess"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Partners and staff may send different bodies: each caller is served its audience's contract.
    "DEFAULT_GENERATOR_CLASS": "agreements.api.schema.AudienceSchemaGenerator",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agreements.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CommitmentStatusEnum": "followups.models.Status",
        "FrameworkStatusEnum": "agreements.models.FrameworkStatus",
        "WebhookEventEnum": "followups.models.WebhookEvent",
        # The names alone, as the registration body lists them (followups.webhooks.api.EventsField).
        "WebhookEventNameEnum": "followups.models.WebhookEvent.values",
        # A deadline rule may also be copied from a template; any other record is sourced or illustrative.
        "BasisEnum": "agreements.models.Basis",
        "RecordBasisEnum": "agreements.models.Basis.record_choices",
        "WebhookDeliveryStatusEnum": "followups.models.WebhookDeliveryStatus",
    },
}

# Staff web application (issue 4): the lockout page says what happened and for how long.
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# History is read, never rewritten: the admin's "revert to this version" is off (config.history, ops).
SIMPLE_HISTORY_REVERT_DISABLED = True

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
    # Nothing goes quiet: the next overdue repeat, weekly digest row and quiet-commitment nudge are planned a week
    # or a day ahead; hourly so that a missed run costs nothing (the planning is safe to run twice).
    "reminders-plan-daily": {"task": "followups.tasks.reminders_plan_daily", "schedule": 3600},
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

# --- Operations: logs, error reports, health (config.observability, config.health) ------------------------------
# One JSON object per line on standard error (time, level, logger, message, request_id, and for requests the
# user or partner key, method, path, status and latency); LOG_FORMAT=text for a developer's terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.observability.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Our request line replaces Django's and gunicorn's access lines.
        "django.server": {"level": "WARNING"},
    },
}
# Errors to Sentry (or a compatible service) only when SENTRY_DSN is set; nothing leaves the server otherwise.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.observability import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=DJANGO_ENV)
# /readyz answers 503 when the oldest due reminder or webhook delivery has waited longer than this (the
# workers or beat are down), or when a check takes longer than its timeout.
READY_MAX_QUEUE_AGE_MINUTES = env.int("READY_MAX_QUEUE_AGE_MINUTES", default=15)
READY_CHECK_TIMEOUT_SECONDS = env.float("READY_CHECK_TIMEOUT_SECONDS", default=3.0)

# --- Validated once, at the end: one message naming every problem, no traceback ---------------------------------
if _problems:
    refuse_to_start(_problems, production=PRODUCTION)
