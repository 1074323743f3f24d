"""Request ids and the JSON request log; the optional error-reporting hook.

Every request gets an id: the proxy's `X-Request-Id` when it sends a sane one, else a new one. It is answered
in the `X-Request-Id` header, attached to every log line written while the request runs (RequestIdFilter), and
closes with one line: method, path, status, latency in milliseconds, and who asked (a staff user's id and
name, or a partner key's prefix and organisation). Another middleware or view reads it with `current_request_id()`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

logger = logging.getLogger("tracker.request")

_request_id: ContextVar[str] = ContextVar("request_id", default="")
# What a proxy may pass on: letters, digits and a few separators, as load balancers write them.
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
HEADER = "X-Request-Id"
_HEALTH = {"/healthz", "/readyz"}


def current_request_id() -> str:
    """The id of the request being answered in this thread or task, or ""."""
    return _request_id.get()


def request_id_keep(request: HttpRequest, request_id: str) -> None:
    """Keeps the id on the request (config.error_views.request_id_of reads it back)."""
    request.request_id = request_id  # type: ignore[attr-defined]  # our own attribute: the stubs cannot know it


def response_mark_logged(response: HttpResponseBase) -> None:
    """Tells Django's log_response that this answer was logged already, so that it is not logged twice."""
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's private flag, not in the stubs


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (empty outside a request), for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id.get()
        return True


def _actor(request: HttpRequest, response: HttpResponse) -> dict[str, str]:
    # DRF keeps its authenticated principal (a staff user or a partner's key) on its own Request.
    drf_request = getattr(response, "renderer_context", None) or {}
    user = getattr(drf_request.get("request"), "user", None) or getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return {"key": api_key.prefix, "organisation": str(api_key.organisation_id)}
    return {"user_id": str(user.pk), "user": user.get_username()}


class RequestLogMiddleware:
    """First in MIDDLEWARE: sees every request, including those answered by whitenoise or refused by security."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _ACCEPTED_ID.match(given) else uuid.uuid4().hex
        request_id_keep(request, request_id)
        token = _request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            # Static files and successful health checks (asked every few seconds) would drown the rest.
            quiet = request.path.startswith("/static/") or (request.path in _HEALTH and response.status_code == 200)
            if not quiet:
                logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "latency_ms": round((time.monotonic() - started) * 1000, 1),
                        **_actor(request, response),
                    },
                )
            return response
        finally:
            _request_id.reset(token)


def sentry_init(*, dsn: str, environment: str) -> None:
    """Send unhandled errors to Sentry (sentry-sdk, an optional package): only called when SENTRY_DSN is set."""
    try:
        import sentry_sdk
    except ImportError:  # the operator set a DSN without installing the extra: say so once, keep running
        logging.getLogger(__name__).warning("SENTRY_DSN is set but sentry-sdk is not installed: pip install sentry-sdk")
        return
    sentry_sdk.init(dsn=dsn, environment=environment, send_default_pii=False, traces_sample_rate=0.0)
