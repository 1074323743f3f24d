"""Error answers: under /api/ one JSON envelope for every status, elsewhere the staff pages' HTML.

Every error answered under /api/ (whatever raised it: DRF, Django, a middleware, an unexpected exception) is

    {"error": {"code": "not_found", "message": "...", "fields": {...}, "request_id": "..."}}

with a stable English `code` that programs compare, a `message` for people (in the request's language), the
fields at fault (`{"page_size": ["..."]}`, or `{}`), and the request's id, also in the `X-Request-Id` header and
in the server's log line. `ApiError` raises one with a chosen code; `api_exception_handler` (DRF's
EXCEPTION_HANDLER) and `ApiErrorMiddleware` (the first middleware after the request log) make all others so.
The details of an unexpected exception stay in the server log, never in the answer.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status

from config.observability import request_id_keep, response_mark_logged

if TYPE_CHECKING:
    from rest_framework.request import Request

log = logging.getLogger("django.request")

# How long a client should wait before retrying when the database is unavailable (503).
RETRY_AFTER_UNAVAILABLE_SECONDS = 30

# The code each status answers with when nothing more specific was chosen.
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
    503: "service_unavailable",
}

# DRF's exception codes, renamed where ours say more to a partner's program.
DRF_CODES = {
    "invalid": "validation_error",
    "parse_error": "invalid_json",
    "throttled": "rate_limited",
    "error": "server_error",
}

# The headers an error keeps when the middleware rewrites its body.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _status_message(code: int) -> str:
    messages = {
        400: _("The request is malformed."),
        401: _("Send a valid API key as 'Authorization: Bearer <key>'."),
        403: _("You may not do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        406: _("This API answers in JSON only (Accept: application/json)."),
        409: _("The request conflicts with an earlier one."),
        413: _("The request body is too large."),
        415: _("Send the body as JSON (Content-Type: application/json)."),
        429: _("Too many requests: wait as long as Retry-After says."),
        500: _("Server error: the request was not applied. Try again later."),
        503: _("The service is unavailable for a moment: the request was not applied. Try again later."),
    }
    return messages.get(code, _("The request failed."))


class ApiError(exceptions.APIException):
    """An API error with a chosen code (and optionally the fields at fault), rendered as the envelope."""

    def __init__(
        self, *, code: str, message: str, status_code: int = 400, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def request_id_of(request: HttpRequest | Request) -> str:
    """The request's id (config.observability gives one to every request; made here if it did not run)."""
    django_request: HttpRequest = getattr(request, "_request", request)  # a DRF Request wraps Django's
    request_id: str = getattr(django_request, "request_id", "")
    if not request_id:
        request_id = uuid.uuid4().hex
        request_id_keep(django_request, request_id)
    return request_id


class EnvelopeResponse(JsonResponse):
    """An answer already in the envelope: ApiErrorMiddleware leaves it as it is."""

    api_envelope = True


def error_body(*, code: str, message: str, request_id: str, fields: dict | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}, "request_id": request_id}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [messages]}; nested fields are dotted ("items.0.name")."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            fields.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        fields = {}
        for index, value in enumerate(detail):
            fields.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    return {prefix or "non_field_errors": [str(detail)]}


def _drf_code(exc: exceptions.APIException) -> str:
    if isinstance(exc, ApiError):
        return exc.error_code
    code = exc.default_code
    return DRF_CODES.get(code, code)


def api_exception_handler(exc: Exception, context: dict) -> JsonResponse | None:
    """DRF's EXCEPTION_HANDLER: every error a view raises answers the envelope (None: an unexpected exception,
    answered by ApiErrorMiddleware.process_exception)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # Django's message names the model class: never shown
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    # Set by DRF's APIView on authentication failures, and by Throttled: not declared on APIException.
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, round(wait)))
    fields: dict[str, list[str]] = {}
    if isinstance(exc, ApiError):
        message, fields = str(exc.detail), exc.fields
    elif isinstance(exc.detail, dict | list):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", None) or fields.pop("detail", None)
        if general:
            message = " ".join(general)
        else:
            names = ", ".join(sorted(fields))
            message = _("Some fields are wrong: %(names)s.") % {"names": names}
    elif isinstance(exc, exceptions.NotFound):
        message = _status_message(404)
    else:
        message = str(exc.detail)
    from rest_framework.views import set_rollback  # DRF's views import this module's handler through settings

    request = context["request"]  # DRF always passes the view's request
    set_rollback()
    body = error_body(code=_drf_code(exc), message=message, fields=fields, request_id=request_id_of(request))
    # Always JSON, whatever the view's renderers (the schema's YAML) or the Accept header asked for.
    return EnvelopeResponse(body, status=exc.status_code, headers=headers)


def api_error_response(
    request: HttpRequest, status_code: int, *, code: str = "", message: str = "", fields: dict | None = None
) -> JsonResponse:
    """The envelope as a plain Django response (outside DRF's views)."""
    body = error_body(
        code=code or STATUS_CODES.get(status_code, "error"),
        message=message or _status_message(status_code),
        fields=fields,
        request_id=request_id_of(request),
    )
    return EnvelopeResponse(body, status=status_code)


class ApiErrorMiddleware:
    """Under /api/: refuses an oversized body before it is read (413), rewrites any error answer that is not yet
    the envelope (a middleware's 400, Django's 400 for a bad Host, an HTML page), turns an unexpected exception
    into a 500 envelope (503 when the database is unreachable) even with DEBUG on, and sets X-Request-Id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        request_id = request_id_of(request)
        response: HttpResponse
        if self._too_large(request):
            response = api_error_response(request, 413)
        else:
            response = self.get_response(request)
            if response.status_code >= 400 and not getattr(response, "api_envelope", False):
                response = self._rewrite(request, response)
        response.headers.setdefault("X-Request-Id", request_id)
        return response

    @staticmethod
    def _too_large(request: HttpRequest) -> bool:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False  # Django reads such a body as empty
        return limit is not None and length > limit

    @staticmethod
    def _rewrite(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        message = ""
        if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
            try:
                detail = json.loads(response.content).get("detail")
            except (ValueError, AttributeError):
                detail = None
            if isinstance(detail, str):
                message = detail
        rewritten = api_error_response(request, response.status_code, message=message)
        for header in KEPT_HEADERS:
            if header in response:
                rewritten[header] = response[header]
        return rewritten

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api(request):
            return None
        if isinstance(exception, OperationalError | InterfaceError):
            log.error("Service unavailable: %s", request.path, exc_info=exception, extra={"status_code": 503})
            response = api_error_response(request, 503)
            response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE_SECONDS)
        else:
            log.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"status_code": 500})
            response = api_error_response(request, status.HTTP_500_INTERNAL_SERVER_ERROR)
        response_mark_logged(response)  # logged above with the traceback; Django would log it again without
        return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_error_response(request, 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error_response(request, 500)
    return defaults.server_error(request)
