"""REST API for organisations, frameworks (with their parties) and working groups (with their members).

Read-only. Every resource is fetched by its stable reference (`ORG-AR`, `FW-US-AU`, `WG-US-CK`); what a
caller may see comes from `agreements.api_auth` (a partner: its own frameworks and what hangs under them).
The shared pieces of every viewset (reference lookup, cursor pagination, ETag) live here too.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils.http import parse_etags
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api_auth import (
    Partner,
    add_rate_limit_headers,
    frameworks_visible_to,
    organisations_visible_to,
    working_groups_visible_to,
)
from agreements.api_input import BooleanFilter, Cursor, check_query_parameters  # noqa: F401 - shared
from agreements.models import (
    Framework,
    FrameworkKind,
    FrameworkStatus,
    Membership,
    Organisation,
    OrganisationKind,
    Party,
    WorkingGroup,
    WorkingGroupMember,
)

# Any value reaches the viewset, so that a malformed reference is a JSON 404 like any unknown one.
REF_REGEX = r"[^/]+"


class RefRelatedField(serializers.SlugRelatedField):
    """A foreign key given by reference (CMT-AU-01). A value that cannot be a reference (not text, a NUL byte,
    too long) is the same "does not exist" error as an unknown one, before it reaches the database."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="ref", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or len(data) > 40:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:40].replace("\x00", ""))
        return super().to_internal_value(data)


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, turned to UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows."""

    def clean(self, value):
        result = super().clean(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("This instant is out of range.") from exc


class SinceFilter(django_filters.IsoDateTimeFilter):
    """`updated_since`: records changed at or after an ISO 8601 instant (for syncing)."""

    field_class = UTCIsoDateTimeField

    def __init__(self, field_name: str, **kwargs) -> None:
        kwargs.setdefault("help_text", "Changed at or after this ISO 8601 instant, e.g. 2026-03-15T00:00:00Z.")
        super().__init__(field_name=field_name, lookup_expr="gte", **kwargs)


class ETagMixin:
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


# --- Organisations -----------------------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="ref", read_only=True, allow_null=True)
    member_of = serializers.SerializerMethodField(help_text="References of the bodies it belongs to.")

    class Meta:
        model = Organisation
        fields = ["ref", "name", "kind", "iso_alpha2", "parent", "member_of", "is_active"]
        read_only_fields = fields

    def get_member_of(self, obj: Organisation) -> list[str]:
        return [m.body.ref for m in obj.memberships.all()]


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)

    class Meta:
        model = Organisation
        fields = ["kind"]


class OrganisationViewSet(RefViewSet):
    """Organisations: countries and bodies (ministries, agencies, forums) a caller deals with."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields = ["ref", "name"]

    def get_queryset(self):
        return (
            organisations_visible_to(self.request)
            .select_related("parent")
            .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("body")))
        )


# --- Frameworks --------------------------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Party
        fields = ["organisation", "organisation_name", "role", "signed_by", "signed_by_title", "joined_on"]
        read_only_fields = fields


class FrameworkSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="ref", read_only=True, allow_null=True)
    parties = PartySerializer(many=True, read_only=True)

    class Meta:
        model = Framework
        fields = [
            "ref",
            "title",
            "short_title",
            "kind",
            "status",
            "signed_on",
            "effective_on",
            "date_estimated",
            "place",
            "binding",
            "summary",
            "minerals",
            "themes",
            "parent",
            "parties",
            "updated_at",
        ]
        read_only_fields = fields


class FrameworkFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=FrameworkKind.choices)
    status = django_filters.ChoiceFilter(choices=FrameworkStatus.choices)
    organisation = django_filters.CharFilter(
        field_name="parties__organisation__ref", distinct=True, help_text="Reference of a party."
    )
    updated_since = SinceFilter("updated_at")

    class Meta:
        model = Framework
        fields = ["kind", "status", "organisation", "updated_since"]


class FrameworkViewSet(RefViewSet):
    """Frameworks with their parties: for a partner, those its organisation (or one of its bodies) is party to."""

    serializer_class = FrameworkSerializer
    filterset_class = FrameworkFilter
    ordering_fields = ["ref", "signed_on", "updated_at"]

    def get_queryset(self):
        return (
            frameworks_visible_to(self.request)
            .select_related("parent")
            .prefetch_related(Prefetch("parties", queryset=Party.objects.select_related("organisation")))
        )


# --- Working groups ----------------------------------------------------------------------------------------


class WorkingGroupMemberSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = WorkingGroupMember
        fields = ["organisation", "organisation_name", "role"]
        read_only_fields = fields


class WorkingGroupSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    members = WorkingGroupMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = WorkingGroup
        fields = [
            "ref",
            "name",
            "framework",
            "chair_person",
            "co_chair_person",
            "mandate",
            "meeting_cadence",
            "established_on",
            "chair_term_ends_on",
            "members",
        ]
        read_only_fields = fields


class WorkingGroupFilter(django_filters.FilterSet):
    framework = django_filters.CharFilter(field_name="framework__ref")

    class Meta:
        model = WorkingGroup
        fields = ["framework"]


class WorkingGroupViewSet(RefViewSet):
    """Working groups (with members) under the frameworks the caller can see."""

    serializer_class = WorkingGroupSerializer
    filterset_class = WorkingGroupFilter
    ordering_fields = ["ref", "name"]

    def get_queryset(self):
        return (
            working_groups_visible_to(self.request)
            .select_related("framework")
            .prefetch_related(
                Prefetch("memberships", queryset=WorkingGroupMember.objects.select_related("organisation"))
            )
        )


# --- Schema: the error answers every operation may give ----------------------------------------------------

ERROR_CODES = [
    "bad_request",
    "validation_error",
    "invalid_parameter",
    "invalid_cursor",
    "invalid_json",
    "invalid_encoding",
    "too_deeply_nested",
    "nul_character",
    "invalid_idempotency_key",
    "not_authenticated",
    "authentication_failed",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "idempotency_key_reused",
    "request_too_large",
    "unsupported_media_type",
    "rate_limited",
    "server_error",
    "service_unavailable",
]
_ERROR = {
    "type": "object",
    "description": "Every error answer: a stable English code for programs, a message for people.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": ERROR_CODES, "example": "invalid_parameter"},
                "message": {"type": "string", "example": "Some query parameters are wrong: page_size."},
                "fields": {
                    "type": "object",
                    "description": "The fields, query parameters or headers at fault, each with its messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "example": {"page_size": ["Give a whole number from 1 to 200."]},
                },
                "request_id": {"type": "string", "description": "Also in X-Request-Id; quote it to us."},
            },
            "required": ["code", "message", "fields", "request_id"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
_RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed per window."},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in this window."},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until a request frees up."},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (a UUID): a retry with the same key and body within 24 hours gets the first "
    "answer again (Idempotent-Replayed: true) without a second effect; another body with it is a 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def _answer(description: str, headers: dict | None = None) -> dict:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": content, **({"headers": headers} if headers else {})}


_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


def _document_operation(operation: dict, method: str, *, detail: bool) -> None:
    for parameter in operation.get("parameters", []):
        value_schema = parameter.get("schema", {})
        if parameter.get("in") == "query" and value_schema.get("type") == "string":
            value_schema.setdefault("minLength", 1)  # an empty value is refused, not ignored
    responses = operation.setdefault("responses", {})
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {}).update(_RATE_LIMIT_HEADERS)
    responses.setdefault("400", _answer("A field, query parameter, cursor or header is wrong; each is named."))
    responses.setdefault("401", _answer("No key, or a key that is unknown, expired or revoked."))
    responses.setdefault("403", _answer("A session without a role that may do this."))
    responses.setdefault("404", _answer("No such object that you may see."))
    responses.setdefault("405", _answer("This method is not offered here."))
    responses.setdefault("406", _answer("Only JSON is answered."))
    responses.setdefault("429", _answer("Too many requests with this key: wait Retry-After.", _RETRY_AFTER))
    responses.setdefault("500", _answer("Server error: nothing was applied."))
    responses.setdefault("503", _answer("Unavailable for a moment: nothing was applied.", _RETRY_AFTER))
    if method in ("post", "put", "patch"):
        responses.setdefault("413", _answer("The body is larger than 2.5 MB."))
        responses.setdefault("415", _answer("The body is not JSON (Content-Type: application/json)."))
    if method == "post":
        responses.setdefault("409", _answer("The Idempotency-Key was used for another request."))
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(_IDEMPOTENCY_KEY)
    if method == "get" and detail:
        responses.setdefault("304", {"description": "Not modified since the ETag sent in If-None-Match."})


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the error envelope and every error status on every operation,
    Idempotency-Key on every POST, the RateLimit headers on successful answers, non-empty query strings."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                _document_operation(operation, method, detail="{" in path)
    return result
