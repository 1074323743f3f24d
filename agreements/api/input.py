"""What the API accepts: JSON bodies, cursors, page sizes, orderings, booleans and query parameters, strictly.

Anything a client may send that is not what the schema says is a 4xx in the error envelope, naming what is
wrong; nothing reaches the database as a 500. Kept apart from the resources because DRF's settings import
the parser and the ordering filter while its views are being defined.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, filters, parsers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from config.error_views import ApiError

# --- Strict input: the body, the cursor, the page size, the ordering and every query parameter ---------------

# A JSON body nested deeper than this is refused (none of ours goes beyond 2 levels).
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def _invalid(name: str, message: str, *, code: str = "invalid_parameter") -> ApiError:
    return ApiError(code=code, message=message, fields={name: [message]})


class JSONParser(parsers.JSONParser):
    """JSON bodies, refused with a 4xx (never a 500) when too large, not UTF-8, not JSON, nested too deep, or
    holding text PostgreSQL or an answer cannot carry (NUL, lone surrogates such as "\\ud800")."""

    def parse(self, stream, media_type=None, parser_context=None):
        _type, params = parse_header_parameters(media_type or "")
        if params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            raise exceptions.UnsupportedMediaType(media_type)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ApiError(code="request_too_large", message=_("The request body is too large."), status_code=413)
        try:
            text = raw.decode("utf-8")
            data = json.loads(text, parse_constant=self._refuse_constant)
        except UnicodeDecodeError as exc:
            raise ApiError(code="invalid_encoding", message=_("The body is not UTF-8 text.")) from exc
        except RecursionError as exc:
            raise ApiError(code="too_deeply_nested", message=_("The JSON body is nested too deeply.")) from exc
        except ValueError as exc:  # JSONDecodeError, and integers too long to convert
            raise ApiError(code="invalid_json", message=_("The body is not valid JSON.")) from exc
        self._check(data)
        return data

    @staticmethod
    def _refuse_constant(name: str):
        raise ValueError(f"{name} is not JSON")

    @staticmethod
    def _check(data) -> None:
        """Walks the document without recursion (it may be deep) checking nesting and every string."""
        pending = [(data, 1)]
        while pending:
            value, depth = pending.pop()
            if depth > MAX_JSON_DEPTH:
                raise ApiError(code="too_deeply_nested", message=_("The JSON body is nested too deeply."))
            if isinstance(value, dict):
                strings = list(value)
                pending.extend((item, depth + 1) for item in value.values())
            elif isinstance(value, list):
                strings = []
                pending.extend((item, depth + 1) for item in value)
            else:
                strings = [value] if isinstance(value, str) else []
            for text in strings:
                if "\x00" in text:
                    raise ApiError(code="nul_character", message=_("The body contains a NUL character."))
                if _SURROGATE.search(text):
                    raise ApiError(
                        code="invalid_encoding", message=_("The body contains a lone surrogate (not Unicode text).")
                    )


class Cursor(CursorPagination):
    """Cursor pagination: stable pages while partners sync, whatever is inserted meanwhile.

    A cursor is checked before use: its position must be a value of the ordering field (a cursor made for
    another ordering, or forged, points at no page: a 404 `invalid_cursor`, as the issue allows and the schema can
    promise, any string being a well-formed cursor). `page_size` must be 1 to 200 (400 otherwise).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering: str | list[str] | tuple[str, ...] = "ref"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise _invalid(
                self.page_size_query_param,
                _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size},
            )
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque: take it from a list's next or previous link (anything else is a 400).",
                "schema": {"type": "string", "minLength": 1},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Items per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def decode_cursor(self, request: Request):
        invalid = ApiError(
            code="invalid_cursor",
            status_code=404,
            message=_("The cursor is not valid: use the next or previous link of a list."),
            fields={self.cursor_query_param: [_("Not a cursor of this list and ordering.")]},
        )
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise invalid from exc
        if cursor is None or cursor.position is None:
            return cursor
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            value = field.to_python(cursor.position)
            # The position is the text read from the cursor (the stubs say int).
            if value is None or "\x00" in str(cursor.position):
                raise invalid
            if isinstance(value, datetime) and value.tzinfo is not None:
                value.astimezone(UTC)  # an offset that cannot be turned to UTC
        except (FieldDoesNotExist, DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
            raise invalid from exc
        return cursor


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a list asked with none of its filters (a partner's plain sync) builds no
    FilterSet: that deep-copies every filter with its choices and cleans an empty form to leave the queryset as it
    is, about a tenth of an API page (issue 15). Every other parameter is refused by check_query_parameters."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and request.query_params.keys().isdisjoint(filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


class OrderingFilter(filters.OrderingFilter):
    """`ordering`: one of the view's ordering fields, optionally with "-"; anything else is a 400 naming it."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        allowed = list(getattr(view, "ordering_fields", None) or [])
        if raw.lstrip("-") not in allowed:
            choices = ", ".join(f"{name}, -{name}" for name in allowed)
            raise _invalid(self.ordering_param, _("Order by one of: %(choices)s.") % {"choices": choices})
        return (raw,)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        fields = list(getattr(view, "ordering_fields", None) or [])
        if not fields:
            return []  # the operation takes no `ordering` (check_query_parameters refuses it)
        return [
            {
                "name": self.ordering_param,
                "in": "query",
                "required": False,
                "description": "Sort by this field; '-' in front for descending.",
                "schema": {"type": "string", "enum": [sign + name for name in fields for sign in ("", "-")]},
            }
        ]


class StrictBooleanField(forms.Field):
    """A query boolean: exactly `true` or `false` (anything else, 1 and yes included, is an error)."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise DjangoValidationError(_("Use true or false."), code="invalid")


@extend_schema_field({"type": "string", "enum": ["true", "false"]})  # the words, exactly: what a client sends
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


# Query parameters every list takes besides its filters.
LIST_PARAMETERS = ("cursor", "page_size", "ordering")


def check_query_parameters(view, request: Request) -> None:
    """Refuse (400, naming it) a query parameter the operation does not take, one given twice (unless it is a
    list filter), or one given empty: a typo must not return unfiltered data."""
    method = (request.method or "").lower()  # always set on a request being answered
    if method not in view.http_method_names or not hasattr(view, method):
        return  # answered 405 next: the method comes before its parameters
    allowed: dict[str, bool] = {}  # name -> may repeat
    if getattr(view, "action", None) == "list":
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            for name, flt in filterset_class.base_filters.items():
                allowed[name] = isinstance(flt, django_filters.MultipleChoiceFilter)
        allowed.update({name: False for name in LIST_PARAMETERS})
        if not getattr(view, "ordering_fields", None):
            allowed.pop("ordering")
    problems: dict[str, list[str]] = {}
    for name, values in request.query_params.lists():
        if name not in allowed:
            if allowed:
                known = ", ".join(sorted(allowed))
                problems[name] = [_("Unknown parameter; this operation takes: %(known)s.") % {"known": known}]
            else:
                problems[name] = [_("Unknown parameter; this operation takes none.")]
        elif len(values) > 1 and not allowed[name]:
            problems[name] = [_("Give this parameter once.")]
        elif any(value == "" for value in values):
            problems[name] = [_("Give a value, or leave the parameter out.")]
    if problems:
        names = ", ".join(sorted(problems))
        raise ApiError(
            code="invalid_parameter",
            message=_("Some query parameters are wrong: %(names)s.") % {"names": names},
            fields=problems,
        )
