"""REST API for partners' webhooks: their endpoints (`/api/v1/webhooks/`) and the deliveries made to them
(`/api/v1/webhook-deliveries/`, read-only).

A partner manages the endpoints of its own organisation: another organisation's endpoint is a 404 like a missing
one. The secret is in the answer to the registration only. Staff read every endpoint and delivery; they register
endpoints for a partner in the admin. The rules (URL checks, planning, cancelling) are in `followups.webhooks`.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api.auth import partner_of
from agreements.api.base import ETagMixin, TextField
from agreements.api.idempotency import idempotent_create
from agreements.api.input import Cursor
from agreements.models import Organisation
from config.error_views import ApiError
from followups.models import Commitment, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from followups.webhooks import endpoints

# Any value reaches the viewset, so that a malformed id is a JSON 404 like an unknown one.
UUID_LOOKUP_REGEX = r"[^/]+"


def endpoints_visible_to(request: Request) -> QuerySet[WebhookEndpoint]:
    """Staff: all. A partner: its organisation's endpoints only."""
    partner = partner_of(request)
    if partner is None:
        return WebhookEndpoint.objects.all()
    return WebhookEndpoint.objects.filter(organisation=partner.organisation)


def _django_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


def _limit_reached(exc: DjangoValidationError) -> ApiError | None:
    """The organisation's endpoints are all taken: a conflict with what exists (409), not a wrong request."""
    errors = getattr(exc, "error_dict", {}).get("url", [])
    if not any(error.code == endpoints.TOO_MANY_ENDPOINTS for error in errors):
        return None
    message = errors[0].messages[0]
    return ApiError(code=endpoints.TOO_MANY_ENDPOINTS, message=message, status_code=409, fields={"url": [message]})


class _RefuseUnknownFields:
    """Every field not offered is refused by name, as for status updates (no silent mass assignment)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - {name for name, f in self.fields.items() if not f.read_only})
            if unknown:
                raise ValidationError({name: ["This field cannot be set through the API."] for name in unknown})
        return super().to_internal_value(data)


# --- Serializers -------------------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": WebhookEvent.values},
        "minItems": 1,
        "maxItems": len(WebhookEvent.values),
    }
)
class EventsField(serializers.ListField):
    """A list of event names whose errors are one flat list of messages, like every other field's."""

    child = serializers.ChoiceField(choices=WebhookEvent.choices)

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                raise ValidationError(
                    [f"Item {index}: {message}" for index, messages in detail.items() for message in messages]
                ) from exc
            raise


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "organisation", "url", "events", "description", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery (X-Tracker-Signature). Shown in this answer only: keep it now.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


# What the schema promises a URL may be: https, a host name with a top-level domain (no address, no credentials),
# a path without a #fragment. The API also refuses, at registration and send time, names resolving to private
# addresses (docs/partner-guide.md), which no pattern can say.
WEBHOOK_URL_PATTERN = r"^https://([a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?\.){1,4}[a-z]{2,12}(/[A-Za-z0-9._~/-]{0,200})?$"


@extend_schema_field({"type": "string", "format": "uri", "maxLength": 500, "pattern": WEBHOOK_URL_PATTERN})
class WebhookURLField(serializers.URLField):
    pass


class WebhookEndpointWriteSerializer(_RefuseUnknownFields, serializers.Serializer):
    """What a partner may send: the URL, the events, a description and (on update) whether it is active."""

    url = WebhookURLField(
        max_length=500, help_text="Where notifications are POSTed: https (plain http only outside production)."
    )
    events = EventsField(
        allow_empty=False,
        max_length=len(WebhookEvent.values),
        help_text="The events to receive.",
    )
    description = TextField(max_length=200, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, help_text="Updates only: false pauses deliveries.")

    def validate_url(self, value: str) -> str:
        problem = endpoints.webhook_url_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class WebhookEndpointCreateSerializer(WebhookEndpointWriteSerializer):
    """A registration: the URL, the events and a description (a new endpoint is active; pause it by an update)."""

    is_active = None  # type: ignore[assignment]  # DRF: None removes the parent's field


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    endpoint = serializers.UUIDField(source="endpoint.uuid", read_only=True)
    event_id = serializers.UUIDField(read_only=True, help_text="Sent as X-Tracker-Delivery; the same at every attempt.")
    commitment: serializers.SlugRelatedField[Commitment] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True, allow_null=True
    )
    payload = serializers.JSONField(read_only=True, help_text="The JSON body POSTed.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_id",
            "commitment",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


# --- Viewsets ----------------------------------------------------------------------------------------------------


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")


class WebhookEndpointViewSet(
    ETagMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your organisation's webhook endpoints. The secret is shown once, in the answer to the registration."""

    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_LOOKUP_REGEX
    pagination_class = NewestFirst
    filterset_class = None
    ordering_fields = ["created_at"]
    # No PUT: an update names only what changes (PATCH). A malformed id is a 404 (DRF's get_object_or_404).
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return endpoints_visible_to(self.request).select_related("organisation")

    def get_serializer_class(self):
        if self.action == "create":
            return WebhookEndpointCreateSerializer
        if self.action == "partial_update":
            return WebhookEndpointWriteSerializer
        return WebhookEndpointSerializer

    def _partner(self):
        partner = partner_of(self.request)
        if partner is None:
            raise PermissionDenied("Partners manage their webhooks with their key; staff use the admin.")
        return partner

    @extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        return idempotent_create(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        partner = self._partner()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            endpoint, secret = endpoints.webhook_endpoint_register(
                organisation=partner.organisation,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                actor=partner.actor,
            )
        except DjangoValidationError as exc:
            raise _limit_reached(exc) or _django_error(exc) from exc
        body = WebhookEndpointCreatedSerializer(endpoint, context=self.get_serializer_context()).data
        body["secret"] = secret  # the one answer that carries it
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointWriteSerializer, responses={200: WebhookEndpointSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        endpoint = self.get_object()
        self._partner()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            endpoint = endpoints.webhook_endpoint_update(
                endpoint=endpoint,
                url=data.get("url"),
                events=data.get("events"),
                description=data.get("description") if "description" in request.data else None,
                is_active=data.get("is_active"),
            )
        except DjangoValidationError as exc:
            raise _django_error(exc) from exc
        return Response(WebhookEndpointSerializer(endpoint, context=self.get_serializer_context()).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        endpoint = self.get_object()
        self._partner()
        endpoints.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryFilter(django_filters.FilterSet):
    endpoint = django_filters.UUIDFilter(field_name="endpoint__uuid", help_text="The id of one of your endpoints.")
    event = django_filters.ChoiceFilter(choices=WebhookEvent.choices)
    status = django_filters.MultipleChoiceFilter(choices=WebhookDeliveryStatus.choices)
    commitment = django_filters.CharFilter(field_name="commitment__ref", help_text="Reference of a commitment.")

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class WebhookDeliveryViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The deliveries to your endpoints, newest first: planned, sent, retried or failed, with the last error."""

    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_LOOKUP_REGEX
    pagination_class = NewestFirst
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return WebhookDelivery.objects.filter(
            endpoint__in=endpoints_visible_to(self.request).values("pk")
        ).select_related("endpoint", "commitment")
