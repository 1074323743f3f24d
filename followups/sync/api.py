"""GET /api/v1/changes/: what a sync client cannot learn from the lists, the records it could see that were
deleted or left its scope (and those that entered it), newest last (issue 13, point 6)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api.auth import organisation_of
from agreements.api.base import ETagMixin, SinceFilter
from agreements.api.input import Cursor
from followups.models import SyncChange, SyncChangeKind, SyncResource
from followups.sync.scope import audience_key, audience_reconcile, audience_track


class SyncChangeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True, help_text="This change's own id.")
    resource = serializers.ChoiceField(
        choices=SyncResource.choices, read_only=True, help_text="The list the record belongs to."
    )
    ref = serializers.CharField(
        read_only=True, help_text="The record's identifier in that list: its `ref`, or `id` for webhooks."
    )
    change = serializers.ChoiceField(
        choices=SyncChangeKind.choices,
        read_only=True,
        help_text="deleted: it no longer exists; left_scope: it exists but you may no longer see it (drop it, and "
        "for a commitment its deadlines and status updates); entered_scope: you may now see it (fetch it).",
    )
    at = serializers.DateTimeField(read_only=True, help_text="When the change was recorded.")

    class Meta:
        model = SyncChange
        fields = ["id", "resource", "ref", "change", "at"]
        read_only_fields = fields


class SyncChangeFilter(django_filters.FilterSet):
    since = SinceFilter(
        "at", help_text="Changes recorded at or after this ISO 8601 instant: when your previous sync started."
    )
    resource = django_filters.MultipleChoiceFilter(choices=SyncResource.choices)
    change = django_filters.MultipleChoiceFilter(choices=SyncChangeKind.choices)

    class Meta:
        model = SyncChange
        fields: list[str] = []


class OldestFirst(Cursor):
    ordering = ("at", "id")


EXAMPLE = OpenApiExample(
    "A commitment whose ownership moved away",
    value={
        "next": None,
        "previous": None,
        "results": [
            {
                "id": "1f0c6a2e-6a47-4a55-9f7e-3c2b6f1d9a10",
                "resource": "commitments",
                "ref": "CMT-AU-07",
                "change": "left_scope",
                "at": "2026-03-15T09:30:00Z",
            },
            {
                "id": "5b8e2d41-0c1e-4f3b-a9d2-7e6f5a4b3c21",
                "resource": "deadlines",
                "ref": "DL-AU-07",
                "change": "left_scope",
                "at": "2026-03-15T09:30:00Z",
            },
        ],
    },
    response_only=True,
)


@extend_schema(examples=[EXAMPLE])
class SyncChangeViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Records you could see that were deleted or left your scope, and records that entered it, oldest first.

    Sync with the lists' `updated_since` for what changed, and with this feed (`since` the same instant) for
    what to drop. Your organisation's scope is followed from its keys' first request: the feed starts there.
    Applying an entry twice does no harm, so overlap your `since` by a few minutes.
    """

    serializer_class = SyncChangeSerializer
    filterset_class = SyncChangeFilter
    pagination_class = OldestFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[^/]+"  # a malformed id is a JSON 404 like an unknown one
    ordering_fields: list[str] = []

    def get_queryset(self):
        return SyncChange.objects.filter(audience__key=audience_key(organisation_of(self.request)))

    def list(self, request: Request, *args, **kwargs) -> Response:
        # The caller's scope is reconciled first: the answer holds every change up to this request.
        audience = audience_track(organisation_of(request))
        audience_reconcile(audience)
        return super().list(request, *args, **kwargs)
