"""REST API for organisations, frameworks (with their parties) and working groups (with their members).

Read-only. Every resource is fetched by its stable reference (`ORG-AR`, `FW-US-AU`, `WG-US-CK`); what a
caller may see comes from `agreements.api.auth` (a partner: its own frameworks and what hangs under them).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from agreements.api.auth import frameworks_visible_to, organisations_visible_to, working_groups_visible_to
from agreements.api.base import BasisFilter, RefViewSet, SinceFilter, basis_field, sources_field
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

# --- Organisations -----------------------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    # DRF's metaclass takes declared fields out of the class, so this never replaces Field.parent (the bound
    # serializer), as the stubs believe.
    parent: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="ref", read_only=True, allow_null=True
    )
    member_of = serializers.SerializerMethodField(help_text="References of the bodies it belongs to.")
    basis = basis_field()
    sources = sources_field()

    class Meta:
        model = Organisation
        fields = ["ref", "name", "kind", "iso_alpha2", "parent", "member_of", "is_active", "basis", "sources"]
        read_only_fields = fields

    def get_member_of(self, obj: Organisation) -> list[str]:
        return [m.body.ref for m in obj.memberships.all()]


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    basis = BasisFilter()

    class Meta:
        model = Organisation
        fields = ["kind", "basis"]


class OrganisationViewSet(RefViewSet):
    """Organisations: countries and bodies (ministries, agencies, forums) a caller deals with."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields = ["ref", "name"]

    def get_queryset(self):
        return (
            organisations_visible_to(self.request)
            .select_related("parent")
            .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("body")), "sources")
        )


# --- Frameworks --------------------------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    basis = basis_field()
    sources = sources_field()

    class Meta:
        model = Party
        fields = [
            "organisation",
            "organisation_name",
            "role",
            "signed_by",
            "signed_by_title",
            "joined_on",
            "joined_precision",
            "term_ends_on",
            "term_end_estimated",
            "basis",
            "sources",
        ]
        read_only_fields = fields


class FrameworkSerializer(serializers.ModelSerializer):
    # Never replaces Field.parent: see OrganisationSerializer.
    parent: serializers.SlugRelatedField[Framework] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="ref", read_only=True, allow_null=True
    )
    parties = PartySerializer(many=True, read_only=True)
    basis = basis_field()
    sources = sources_field()

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
            "basis",
            "sources",
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
    basis = BasisFilter()

    class Meta:
        model = Framework
        fields = ["kind", "status", "organisation", "updated_since", "basis"]


class FrameworkViewSet(RefViewSet):
    """Frameworks with their parties: for a partner, those its organisation (or one of its bodies) is party to."""

    serializer_class = FrameworkSerializer
    filterset_class = FrameworkFilter
    ordering_fields = ["ref", "signed_on", "updated_at"]

    def get_queryset(self):
        return (
            frameworks_visible_to(self.request)
            .select_related("parent")
            .prefetch_related(
                Prefetch("parties", queryset=Party.objects.select_related("organisation").prefetch_related("sources")),
                "sources",
            )
        )


# --- Working groups ----------------------------------------------------------------------------------------


class WorkingGroupMemberSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = WorkingGroupMember
        fields = ["organisation", "organisation_name", "role"]
        read_only_fields = fields


class WorkingGroupSerializer(serializers.ModelSerializer):
    framework: serializers.SlugRelatedField[Framework] = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    members = WorkingGroupMemberSerializer(source="memberships", many=True, read_only=True)
    basis = basis_field()
    sources = sources_field()

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
            "basis",
            "sources",
        ]
        read_only_fields = fields


class WorkingGroupFilter(django_filters.FilterSet):
    framework = django_filters.CharFilter(field_name="framework__ref")
    basis = BasisFilter()

    class Meta:
        model = WorkingGroup
        fields = ["framework", "basis"]


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
                Prefetch("memberships", queryset=WorkingGroupMember.objects.select_related("organisation")),
                "sources",
            )
        )
