"""REST API for commitments (with owners and deadlines), deadlines and status updates.

Commitments and deadlines are read-only. The one write a partner may make is a status update on a commitment
its organisation owns: status, note, evidence link (and the date it happened), recorded through
`followups.services.commitment_update_status` with the key as the actor. Any other field sent is refused.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, cast

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.manager import BaseManager
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api.auth import Partner, organisation_of, partner_of
from agreements.api.base import (
    BasisFilter,
    ETagMixin,
    LinkField,
    RefRelatedField,
    RefViewSet,
    SinceFilter,
    TextField,
    basis_field,
    sources_field,
)
from agreements.api.idempotency import idempotent_create
from agreements.api.input import BooleanFilter, Cursor
from agreements.api.schema import schema_audience
from agreements.models import Framework, Organisation, WorkingGroup
from agreements.roles import can_update_status, signed_in_user
from config.error_views import ApiError
from config.history import ActorKind
from followups import api_rows, services
from followups.models import (
    Category,
    Commitment,
    CommitmentOwner,
    Completion,
    Deadline,
    DeadlineOccurrence,
    OccurrenceOutcome,
    Priority,
    Status,
    StatusUpdate,
)

# A partner reports progress; completing late is derived by the service, and waiving a commitment
# (cancelled) is agreed with the coordinating office, not declared by the party that owes it.
PARTNER_STATUSES = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.AT_RISK, Status.COMPLETED]


# --- Scope -------------------------------------------------------------------------------------------------


def commitments_visible_to(request: Request) -> QuerySet[Commitment]:
    """Staff: all. A partner: commitments under frameworks it can see, and every commitment it owns."""
    organisation = organisation_of(request)
    return Commitment.objects.all() if organisation is None else _partner_scope(organisation).all()


@functools.lru_cache(maxsize=1024)
def _partner_scope(organisation: Organisation) -> QuerySet[Commitment]:
    """`Commitment.objects.visible_to`, built once per organisation and process. A QuerySet is SQL not yet run: its
    subqueries read the parties, memberships and owners on every request (a revocation or a new membership applies
    at once); only building its four nested subqueries, a quarter of an API page (issue 15), is done once. Never
    evaluated itself: each request takes a copy (`.all()`), as DRF does with a view's class-level queryset."""
    return Commitment.objects.visible_to(organisation)


def commitments_reportable_by(request: Request) -> QuerySet[Commitment]:
    """The commitments a caller may record status updates on: a partner's own, or all for staff."""
    return Commitment.objects.reportable_by(organisation_of(request))


# --- Serializers -------------------------------------------------------------------------------------------


def today_of(serializer: serializers.BaseSerializer) -> date:
    """One "today" per response, kept in the context (a dict, which the stubs type as a read-only Mapping)."""
    return cast(dict[str, Any], serializer.context).setdefault("today", timezone.localdate())


class RowsListSerializer(serializers.ListSerializer):
    """A page of plain rows (the views read `values()`, issue 15) written by its serializer's `rows` in one go,
    with one query per related set for the whole page; model instances go through DRF's fields as usual."""

    def to_representation(self, data):
        items = list(data.all() if isinstance(data, BaseManager) else data)
        if items and isinstance(items[0], dict):
            return type(self.child).rows(items, today=today_of(self))
        return super().to_representation(items)


class OwnerSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    awaiting_verification = serializers.BooleanField(
        read_only=True,
        help_text="The party reported it complete (through the API or a signed link) and staff have not yet "
        "accepted or returned it; `status` stays as it was until they accept.",
    )

    class Meta:
        model = CommitmentOwner
        fields = [
            "organisation",
            "organisation_name",
            "status",
            "status_changed_at",
            "awaiting_verification",
            "completion_reported_at",
        ]
        read_only_fields = fields


class DeadlineSerializer(serializers.ModelSerializer):
    commitment: serializers.SlugRelatedField[Commitment] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    is_overdue = serializers.SerializerMethodField(help_text="Open and past its due date (derived, never stored).")
    basis = basis_field(template=True)
    sources = sources_field(
        source="commitment.sources",
        help_text="The sources of its commitment, where the rule is stated or reported; empty when none.",
    )

    class Meta:
        model = Deadline
        fields = [
            "ref",
            "commitment",
            "title",
            "anchor_kind",
            "anchor_date",
            "anchor_estimated",
            "offset",
            "recurrence",
            "original_due_on",
            "extended_due_on",
            "extension_reason",
            "due_on",
            "completed_on",
            "cancelled",
            "is_overdue",
            "basis",
            "sources",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class: type[serializers.ListSerializer] = RowsListSerializer

    def get_is_overdue(self, obj: Deadline) -> bool:
        return obj.is_overdue(today=today_of(self))

    def to_representation(self, instance):
        # A row (the list and detail views) is written by api_rows, a model instance by the fields: the same JSON.
        if isinstance(instance, dict):
            return api_rows.deadline_rows([instance], today=today_of(self))[0]
        return super().to_representation(instance)

    @staticmethod
    def rows(rows: list[dict], *, today: date) -> list[dict]:
        return api_rows.deadline_rows(rows, today=today)


class OccurrenceSerializer(serializers.ModelSerializer):
    """One past occurrence of a recurring obligation and its outcome."""

    deadline: serializers.SlugRelatedField[Deadline] = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    number = serializers.SerializerMethodField(help_text="1 for the first occurrence.")
    next_due_on = serializers.DateField(source="deadline.due_on", read_only=True)

    class Meta:
        model = DeadlineOccurrence
        fields = [
            "deadline",
            "number",
            "due_on",
            "outcome",
            "happened_on",
            "note",
            "evidence_url",
            "actor",
            "recorded_at",
            "next_due_on",
        ]
        read_only_fields = fields

    def get_number(self, obj: DeadlineOccurrence) -> int:
        return obj.index + 1


class OccurrenceCreateSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OccurrenceOutcome.choices)
    note = TextField(required=False, allow_blank=True, default="", max_length=5000)
    evidence_url = LinkField(required=False, allow_blank=True, default="", max_length=500)
    happened_on = serializers.DateField(required=False, allow_null=True, default=None)


class CommitmentDeadlineSerializer(DeadlineSerializer):
    # Within its commitment: the commitment's reference and sources are the commitment's own fields.
    class Meta(DeadlineSerializer.Meta):
        fields = [f for f in DeadlineSerializer.Meta.fields if f not in ("commitment", "sources")]
        read_only_fields = fields
        list_serializer_class = serializers.ListSerializer  # rows: written by api_rows.commitment_rows


class CommitmentSerializer(serializers.ModelSerializer):
    framework: serializers.SlugRelatedField[Framework] = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    working_group: serializers.SlugRelatedField[WorkingGroup] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True, allow_null=True
    )
    owners = OwnerSerializer(source="ownerships", many=True, read_only=True)
    deadlines = CommitmentDeadlineSerializer(many=True, read_only=True)
    next_due_on = serializers.SerializerMethodField(help_text="The earliest due date among its open deadlines.")
    is_overdue = serializers.SerializerMethodField(help_text="Has an open deadline past its due date.")
    basis = basis_field()
    status_basis = serializers.CharField(
        read_only=True,
        help_text="Where the loaded status came from: sourced or illustrative (invented for the demo); empty for a "
        "commitment created in the tracker. The dashboard's sourced counts take sourced commitments with a sourced "
        "status.",
    )
    sources = sources_field()

    class Meta:
        model = Commitment
        fields = [
            "ref",
            "framework",
            "title",
            "category",
            "priority",
            "status",
            "owners",
            "working_group",
            "deadlines",
            "next_due_on",
            "is_overdue",
            "review_every",
            "note",
            "basis",
            "status_basis",
            "sources",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = RowsListSerializer

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_next_due_on(self, obj: Commitment):
        dates = [d.due_on for d in obj.deadlines.all() if d.is_open]
        return min(dates) if dates else None

    def get_is_overdue(self, obj: Commitment) -> bool:
        today = today_of(self)
        return any(d.is_overdue(today=today) for d in obj.deadlines.all())

    def to_representation(self, instance):
        # A row (the list and detail views read values()) is written by api_rows, a model instance by the fields
        # above: the same JSON (tests/api/test_rows.py); the fields also describe the schema.
        if isinstance(instance, dict):
            return api_rows.commitment_rows([instance], today=today_of(self))[0]
        return super().to_representation(instance)

    @staticmethod
    def rows(rows: list[dict], *, today: date) -> list[dict]:
        return api_rows.commitment_rows(rows, today=today)


class StatusUpdateSerializer(serializers.ModelSerializer):
    commitment: serializers.SlugRelatedField[Commitment] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    owner: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True, allow_null=True, help_text="The owning party it is for; null for all."
    )
    id = serializers.UUIDField(source="uuid", read_only=True)
    old_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    completion = serializers.ChoiceField(
        choices=Completion.choices,
        allow_blank=True,
        read_only=True,
        help_text="What it does to a claim of completion; empty for an ordinary update.",
    )
    evidence_url = serializers.CharField(read_only=True, help_text="A link to the evidence, or empty.")
    actor = serializers.SerializerMethodField(
        help_text="Who recorded it: your own key or contact by name, another party as its organisation's name, "
        "staff as 'Coordinating office'."
    )
    basis = basis_field()
    sources = sources_field(help_text="The sources it cites (a replayed real event); empty for a report.")

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "commitment",
            "owner",
            "old_status",
            "new_status",
            "completion",
            "note",
            "evidence_url",
            "happened_on",
            "created_at",
            "actor",
            "basis",
            "sources",
        ]
        read_only_fields = fields

    def get_actor(self, obj: StatusUpdate) -> str:
        partner = partner_of(self.context["request"]) if "request" in self.context else None
        return obj.actor_shown_to(partner.organisation.pk if partner is not None else None)


class StatusUpdateCreateSerializer(serializers.Serializer):
    """What a caller may send to report progress; every other field is refused."""

    commitment = RefRelatedField(
        queryset=Commitment.objects.none(),
        help_text="Reference of a commitment your organisation owns.",
        error_messages={"does_not_exist": "No commitment {value} that you may report on."},
    )
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text="A partner may report not_started, in_progress, at_risk or completed (recorded as completed_late "
        "when a deadline has passed); waiving (cancelled) is for the coordinating office.",
    )
    note = TextField(required=False, allow_blank=True, max_length=10_000, default="")
    evidence_url = LinkField(required=False, allow_blank=True, max_length=500, default="")
    happened_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="When it happened; today if left out."
    )
    owner = RefRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff only: the owning party the update is for. A partner's update is always for itself.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # `fields` is typed as plain Fields; these two are the related and choice fields declared above. The
            # stubs type RelatedField.queryset as a Manager, which mypy then reads as a descriptor.
            commitment_field = cast(serializers.RelatedField, self.fields["commitment"])
            commitment_field.queryset = commitments_reportable_by(request)  # type: ignore[arg-type]

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError({name: ["This field cannot be set through the API."] for name in unknown})
        return super().to_internal_value(data)


class StatusUpdateStaffCreateSerializer(StatusUpdateCreateSerializer):
    """Staff's report: any status, for one owning party (`owner`) or for all of them."""


class StatusUpdatePartnerCreateSerializer(StatusUpdateCreateSerializer):
    """A partner's report: always for its own organisation (no `owner`), and never cancelled or completed_late."""

    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in PARTNER_STATUSES],
        help_text="completed is recorded as a claim (completion: reported) until the coordinating office accepts it "
        "(then completed, or completed_late when a deadline had passed); waiving (cancelled) is theirs.",
    )
    owner = None  # type: ignore[assignment]  # DRF: None removes the parent's field


def is_staff_audience(user) -> bool:
    """Whether a caller is answered as staff (a signed-in session) rather than as a partner (a key)."""
    return not isinstance(user, Partner) and bool(user is not None and user.is_authenticated)


class StatusUpdateSchema(AutoSchema):
    """Partners and staff may send different bodies: the schema shows each caller its own, under its own name
    (StatusUpdatePartnerCreateRequest, StatusUpdateStaffCreateRequest), as the view validates them."""

    def get_request_serializer(self):
        if self.method == "POST":
            staff = schema_audience() == "staff"
            return StatusUpdateStaffCreateSerializer() if staff else StatusUpdatePartnerCreateSerializer()
        return super().get_request_serializer()


# --- Filters -----------------------------------------------------------------------------------------------


def _open_deadline_due(lookup: str):
    def method(queryset: QuerySet[Commitment], name: str, value) -> QuerySet[Commitment]:
        return queryset.filter(
            Exists(Deadline.objects.open().filter(commitment=OuterRef("pk"), **{f"due_on__{lookup}": value}))
        )

    return method


def _owned_by_ref(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(
        **{f"{name}__in": CommitmentOwner.objects.filter(organisation__ref=value).values("commitment")}
    )


class CommitmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    framework = django_filters.CharFilter(field_name="framework__ref", help_text="Reference of a framework.")
    organisation = django_filters.CharFilter(
        field_name="pk", method=_owned_by_ref, help_text="Reference of an owning organisation."
    )
    working_group = django_filters.CharFilter(field_name="working_group__ref")
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    due_before = django_filters.DateFilter(method=_open_deadline_due("lte"), help_text="An open deadline due by.")
    due_after = django_filters.DateFilter(method=_open_deadline_due("gte"), help_text="An open deadline due from.")
    overdue = BooleanFilter(method="filter_overdue", help_text="Has an open deadline past due.")
    basis = BasisFilter()
    updated_since = SinceFilter(
        "updated_at",
        method="filter_updated_since",
        help_text="Changed at or after this ISO 8601 instant, itself or one of its deadlines (for syncing).",
    )

    class Meta:
        model = Commitment
        fields: list[str] = []

    def filter_updated_since(self, queryset: QuerySet[Commitment], name: str, value) -> QuerySet[Commitment]:
        # A corrected anchor moves due dates without touching the commitment row: a sync must still see it.
        return queryset.filter(
            Q(updated_at__gte=value) | Exists(Deadline.objects.filter(commitment=OuterRef("pk"), updated_at__gte=value))
        )

    def filter_overdue(self, queryset: QuerySet[Commitment], name: str, value: bool | None) -> QuerySet[Commitment]:
        if value is None:
            return queryset
        overdue = Commitment.objects.overdue(today=timezone.localdate()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


class DeadlineFilter(django_filters.FilterSet):
    commitment = django_filters.CharFilter(field_name="commitment__ref")
    framework = django_filters.CharFilter(field_name="commitment__framework__ref")
    organisation = django_filters.CharFilter(field_name="commitment", method=_owned_by_ref)
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    overdue = BooleanFilter(method="filter_overdue", help_text="Open and past its due date.")
    open = BooleanFilter(method="filter_open", help_text="Neither completed nor cancelled.")
    basis = BasisFilter(template=True)
    updated_since = SinceFilter("updated_at")

    class Meta:
        model = Deadline
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet[Deadline], name: str, value: bool | None) -> QuerySet[Deadline]:
        if value is None:
            return queryset
        overdue = Deadline.objects.overdue(today=timezone.localdate()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_open(self, queryset: QuerySet[Deadline], name: str, value: bool | None) -> QuerySet[Deadline]:
        if value is None:
            return queryset
        open_ = Deadline.objects.open().values("pk")
        return queryset.filter(pk__in=open_) if value else queryset.exclude(pk__in=open_)


class StatusUpdateFilter(django_filters.FilterSet):
    commitment = django_filters.CharFilter(field_name="commitment__ref")
    framework = django_filters.CharFilter(field_name="commitment__framework__ref")
    organisation = django_filters.CharFilter(field_name="commitment", method=_owned_by_ref)
    status = django_filters.MultipleChoiceFilter(field_name="new_status", choices=Status.choices)
    basis = BasisFilter()
    updated_since = SinceFilter("created_at")

    class Meta:
        model = StatusUpdate
        fields: list[str] = []


# --- Viewsets ----------------------------------------------------------------------------------------------


class CommitmentViewSet(RefViewSet):
    """Commitments with their owners (each with its own status), deadlines and computed due dates."""

    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    ordering_fields = ["ref", "updated_at", "created_at"]

    def get_queryset(self):
        # Reads are plain rows: one query a page, written by CommitmentSerializer.rows (issue 15).
        return api_rows.commitment_values(commitments_visible_to(self.request))


class DeadlineViewSet(RefViewSet):
    """Deadlines of the commitments the caller can see: the rule, the computed and the extended due date."""

    serializer_class = DeadlineSerializer
    filterset_class = DeadlineFilter
    ordering_fields = ["ref", "due_on", "updated_at"]

    def get_queryset(self):
        deadlines = Deadline.objects.filter(commitment__in=commitments_visible_to(self.request).values("pk"))
        if self.action in ("list", "retrieve"):
            # Reads are plain rows: one query a page, written by DeadlineSerializer.rows (issue 15).
            return api_rows.deadline_values(deadlines)
        return deadlines

    @extend_schema(
        methods=["GET"],
        responses=OccurrenceSerializer(many=True),
        description="Every recorded occurrence of a recurring obligation with its outcome, the first first.",
    )
    @extend_schema(
        methods=["POST"],
        request=OccurrenceCreateSerializer,
        responses={201: OccurrenceSerializer},
        description="Staff mark the current occurrence met (with a note and evidence) or missed; the deadline moves "
        "on to the next one, which gets its own reminders. A partner reports progress with a status update instead.",
    )
    @action(detail=True, methods=["get", "post"], url_path="occurrences", filter_backends=[], pagination_class=None)
    def occurrences(self, request: Request, ref: str | None = None) -> Response:
        deadline = self.get_object()
        if request.method == "GET":
            history = deadline.occurrences.order_by("index")
            return Response(OccurrenceSerializer(history, many=True, context=self.get_serializer_context()).data)
        if partner_of(request) is not None or not can_update_status(request.user):
            # A partner's report is a claim (DESIGN.md): it reports progress with a status update.
            raise PermissionDenied("Staff record occurrences; a partner reports progress with a status update.")
        return idempotent_create(request, lambda: self._record_occurrence(request, deadline))

    def _record_occurrence(self, request: Request, deadline: Deadline) -> Response:
        serializer = OccurrenceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            occurrence = services.deadline_record_occurrence(
                deadline=deadline, by_user=signed_in_user(request.user), **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from exc
        data = OccurrenceSerializer(occurrence, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


def _missing_commitment(errors) -> ApiError | None:
    """A well-formed body whose only faults are references to nothing the caller may use (a commitment it may
    not report on, an unknown owner) is a 404, as such a commitment is everywhere else in the API; any other
    fault is a 400 naming the fields."""
    if not isinstance(errors, dict) or "commitment" not in errors:
        return None
    codes = [getattr(problem, "code", "") for problems in errors.values() for problem in problems]
    missing = all(code == "does_not_exist" for code in codes)
    if not missing:
        return None
    message = str(errors["commitment"][0])
    return ApiError(code="not_found", message=message, status_code=404, fields={k: list(v) for k, v in errors.items()})


class StatusCursor(Cursor):
    ordering = "-created_at"


class StatusUpdateViewSet(
    ETagMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The timeline of the commitments the caller can see; a partner adds to it on the commitments it owns."""

    filterset_class = StatusUpdateFilter
    pagination_class = StatusCursor
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[^/]+"  # a malformed id is a JSON 404 like an unknown one
    ordering_fields = ["created_at"]
    schema = StatusUpdateSchema()

    def get_queryset(self):
        return (
            StatusUpdate.objects.filter(commitment__in=commitments_visible_to(self.request).values("pk"))
            .select_related("commitment", "owner")
            .prefetch_related("sources")
        )

    def get_serializer_class(self):
        if self.action != "create":
            return StatusUpdateSerializer
        staff = is_staff_audience(self.request.user)
        return StatusUpdateStaffCreateSerializer if staff else StatusUpdatePartnerCreateSerializer

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = self._record(serializer)

    def _record(self, serializer: serializers.BaseSerializer[Any]) -> StatusUpdate:
        data = serializer.validated_data
        partner = partner_of(self.request)
        try:
            update = services.commitment_update_status(
                commitment=data["commitment"],
                status=data["status"],
                note=data["note"],
                evidence_url=data["evidence_url"],
                happened_on=data["happened_on"],
                owner=partner.organisation if partner else data.get("owner"),
                by_user=None if partner else signed_in_user(self.request.user),
                actor=partner.actor if partner else "",
                actor_kind=ActorKind.PARTNER_KEY if partner else ActorKind.USER,
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from exc
        return update

    @extend_schema(responses={201: StatusUpdateSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        return idempotent_create(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            errors = cast(dict[str, Any], serializer.errors)
            raise _missing_commitment(errors) or ValidationError(errors)
        created = self._record(serializer)  # what perform_create does, typed
        update = StatusUpdate.objects.select_related("commitment", "owner").get(pk=created.pk)
        return Response(
            StatusUpdateSerializer(update, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
