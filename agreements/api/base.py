"""The pieces every API resource shares: lookup by reference, the `updated_since` filter, conditional GET
(ETag), strict query parameters and the RateLimit headers. The resources (here and in followups) build on them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.http import parse_etags
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from agreements import filters
from agreements.api.auth import Partner, add_rate_limit_headers
from agreements.api.input import Cursor, check_query_parameters
from agreements.models import Basis, Source

# Any value reaches the viewset, so that a malformed reference is a JSON 404 like any unknown one.
REF_REGEX = r"[^/]+"


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 40})
class RefRelatedField(serializers.SlugRelatedField):
    """A foreign key given by reference (CMT-AU-01). A value that cannot be a reference (not text, a NUL byte,
    longer than a reference) is an "invalid" error before it reaches the database; a well-formed reference to
    nothing the caller may use is "does not exist" (which a view may answer as a 404)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="ref", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or len(data) > 40:
            self.fail("invalid")
        return super().to_internal_value(data)


# What the schema promises a link may be (empty, or http(s) with a host name that has a top-level domain and a plain
# path): every value it allows is one URLField accepts, so a schema-valid link is never refused.
LINK_PATTERN = r"^(https?://([a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?\.){1,4}[a-z]{2,12}(/[A-Za-z0-9._~/-]{0,200})?)?$"


@extend_schema_field({"type": "string", "maxLength": 500, "pattern": LINK_PATTERN})
class LinkField(serializers.URLField):
    """A link to evidence, or empty."""


class TextField(serializers.CharField):
    """Text sent as a JSON string: a number or a boolean is refused (CharField would turn it into text)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, turned to UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows."""

    def clean(self, value):
        result = super().clean(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except OverflowError:
            # A valid instant whose UTC falls outside years 1-9999 (0001-01-01T00:00+01:00): the nearest one there.
            return datetime.min.replace(tzinfo=UTC) if result.year == 1 else datetime.max.replace(tzinfo=UTC)


class SinceFilter(django_filters.IsoDateTimeFilter):
    """`updated_since`: records changed at or after an ISO 8601 instant (for syncing)."""

    field_class = UTCIsoDateTimeField

    def __init__(self, field_name: str, **kwargs) -> None:
        kwargs.setdefault("help_text", "Changed at or after this ISO 8601 instant, e.g. 2026-03-15T00:00:00Z.")
        super().__init__(field_name=field_name, lookup_expr="gte", **kwargs)


if TYPE_CHECKING:
    # What the mixin is mixed into (every API viewset), so that its calls to super() and the viewset are checked.
    _ViewSet = viewsets.GenericViewSet
else:
    _ViewSet = object


BASIS_HELP = (
    "sourced: a fact with its sources; template: a deadline rule copied from a sister instrument, not verified for "
    "this one; illustrative: invented-but-plausible demo material. Whether a date is only estimated is said beside "
    "the date (date_estimated, anchor_estimated, joined_precision)."
)


class SourceSerializer(serializers.ModelSerializer):
    """A piece of evidence as the dataset gives it: its reference (S06), title, link and date as written."""

    class Meta:
        model = Source
        fields = ["ref", "title", "url", "published", "kind"]
        read_only_fields = fields


def basis_field(*, template: bool = False) -> serializers.ChoiceField:
    """`basis`: the record's own rule (its model's `provenance`), the same as the pages and the exports; `template`
    only for deadlines."""
    choices = Basis.choices if template else Basis.record_choices()
    return serializers.ChoiceField(choices=choices, source="provenance", read_only=True, help_text=BASIS_HELP)


def sources_field(**kwargs) -> SourceSerializer:
    """`sources`: the record's sources (prefetch them: one query per page, not per row)."""
    kwargs.setdefault("help_text", "The sources the record rests on; empty when none is recorded.")
    return SourceSerializer(many=True, read_only=True, **kwargs)


class BasisFilter(filters.BasisFilter):
    """`?basis=`: the staff lists' filter (the model's own rule) with the API's description; any other value than
    the three is a 400 naming the parameter."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "Only the records of this basis. " + BASIS_HELP)
        super().__init__(**kwargs)


class ETagMixin(_ViewSet):
    """Conditional GET on detail views: a strong ETag of the representation, 304 when it matches.

    Detail views ignore the list filters (DRF would otherwise apply `?status=...` to a lookup by reference).
    Every API view includes it, so it also keeps a partner out of Django's `request.user` (below).
    """

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if isinstance(request.user, Partner):
            # DRF copies the principal to the Django request, where simple_history would take it for the
            # author of a history row (a User foreign key); a partner is named by `actor` instead.
            request._request.user = AnonymousUser()
        check_query_parameters(self, request)

    def perform_content_negotiation(self, request: Request, force: bool = False):
        if not force and "format" in request.query_params:
            # DRF would answer 404 for ?format=xml: it is an unknown parameter like any other (JSON only).
            check_query_parameters(self, request)
        return super().perform_content_negotiation(request, force)

    def finalize_response(self, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_rate_limit_headers(request, response)
        return response

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        data = self.get_serializer(self.get_object()).data
        body = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
        match = request.headers.get("If-None-Match", "")
        if match and (etag in parse_etags(match) or match.strip() == "*"):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})


class RefViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only resource fetched by its reference; subclasses scope `get_queryset` to the caller."""

    lookup_field = "ref"
    lookup_value_regex = REF_REGEX
    pagination_class = Cursor
    ordering_fields = ["ref"]
