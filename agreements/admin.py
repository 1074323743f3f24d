"""The data clerk's admin for organisations, frameworks, parties, working groups, contacts and milestones.

Changes that move deadlines (a framework's signature date, a milestone's date) go through the services, so
every dependent due date is recomputed in the same transaction and the clerk is told what moved.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from agreements.models import (
    Contact,
    Event,
    Framework,
    Membership,
    Milestone,
    Organisation,
    Party,
    Source,
    StaffProfile,
    WorkingGroup,
    WorkingGroupMember,
)
from followups import services


def report_moved_deadlines(request: HttpRequest, changes: list[services.DeadlineChange]) -> None:
    """Tell the clerk which due dates a change moved (old -> new)."""
    if not changes:
        return
    moved = "; ".join(f"{c.deadline.ref}: {c.old_due_on} → {c.new_due_on}" for c in changes[:20])
    more = f" and {len(changes) - 20} more" if len(changes) > 20 else ""
    messages.info(request, f"{len(changes)} dependent due date(s) recomputed: {moved}{more}.")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["ref", "title", "published", "kind"]
    list_filter = ["kind"]
    search_fields = ["ref", "title", "url"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "member"
    extra = 0
    autocomplete_fields = ["body"]
    fields = ["body", "role", "presumed", "since", "illustrative"]
    verbose_name = "membership of a body"


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["ref", "name", "kind", "iso_alpha2", "parent", "is_active", "illustrative"]
    list_filter = ["kind", "is_active", "illustrative"]
    search_fields = ["ref", "name", "iso_alpha2"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["sources"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "body", "role", "presumed"]
    list_filter = ["body", "presumed"]
    search_fields = ["member__name", "member__ref", "body__name", "body__ref"]
    autocomplete_fields = ["member", "body"]


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "role", "signed_by", "signed_by_title", "joined_on", "joined_note", "term_ends_on"]


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ["ref", "__str__", "kind", "status", "signed_on", "party_count", "commitment_count", "illustrative"]
    list_filter = ["kind", "status", "binding", "date_estimated", "illustrative"]
    search_fields = ["ref", "title", "short_title", "summary"]
    date_hierarchy = "signed_on"
    autocomplete_fields = ["parent"]
    filter_horizontal = ["sources", "related"]
    inlines = [PartyInline]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["ref", "title", "short_title", "kind", "status", "parent", "related"]}),
        (
            "Dates (deadlines anchored on them follow)",
            {"fields": ["signed_on", "effective_on", "date_estimated", "date_note", "place"]},
        ),
        ("Nature", {"fields": ["binding", "intended_binding", "binding_note", "minerals", "themes", "summary"]}),
        (
            "Evidence",
            {
                "fields": [
                    "source_url",
                    "sources",
                    "illustrative",
                    "illustrative_fields",
                    "recorded_after_status_as_of",
                    "status_at_as_of",
                    "membership_note",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_parties=Count("parties", distinct=True), _commitments=Count("commitments", distinct=True))
        )

    @admin.display(description="parties", ordering="_parties")
    def party_count(self, obj: Framework) -> int:
        return obj._parties

    @admin.display(description="commitments", ordering="_commitments")
    def commitment_count(self, obj: Framework) -> int:
        return obj._commitments

    def save_model(self, request, obj: Framework, form, change):
        if change and {"signed_on", "effective_on"} & set(form.changed_data):
            # Saves the framework and recomputes every dependent due date in one transaction.
            changes = services.framework_change_dates(
                framework=obj, signed_on=obj.signed_on, effective_on=obj.effective_on, by_user=request.user
            )
            report_moved_deadlines(request, changes)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Party)
class PartyAdmin(SimpleHistoryAdmin):
    list_display = ["framework", "organisation", "role", "signed_by", "joined_on"]
    list_filter = ["role", "framework__kind"]
    search_fields = ["framework__ref", "framework__title", "organisation__name", "organisation__ref", "signed_by"]
    autocomplete_fields = ["framework", "organisation"]
    list_select_related = ["framework", "organisation"]


class WorkingGroupMemberInline(admin.TabularInline):
    model = WorkingGroupMember
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ["ref", "name", "framework", "meeting_cadence", "established_on", "illustrative"]
    list_filter = ["framework", "illustrative"]
    search_fields = ["ref", "name", "mandate"]
    autocomplete_fields = ["framework"]
    filter_horizontal = ["sources"]
    inlines = [WorkingGroupMemberInline]
    list_select_related = ["framework"]


@admin.register(WorkingGroupMember)
class WorkingGroupMemberAdmin(admin.ModelAdmin):
    list_display = ["working_group", "organisation", "role"]
    list_filter = ["role", "working_group"]
    search_fields = ["working_group__name", "organisation__name"]
    autocomplete_fields = ["working_group", "organisation"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["ref", "name", "email", "organisation", "language", "time_zone", "is_active", "illustrative"]
    list_filter = ["language", "is_active", "illustrative"]
    search_fields = ["ref", "name", "email", "organisation__name", "organisation__ref"]
    autocomplete_fields = ["organisation", "user"]
    list_select_related = ["organisation"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["ref", "name", "date", "location"]
    search_fields = ["ref", "name"]
    autocomplete_fields = ["host"]
    filter_horizontal = ["attendees", "sources"]

    def save_model(self, request, obj: Event, form, change):
        if change and "date" in form.changed_data:
            report_moved_deadlines(request, services.event_change_date(event=obj, new_date=obj.date))
        else:
            super().save_model(request, obj, form, change)


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["ref", "date", "title", "kind", "date_estimated", "illustrative"]
    list_filter = ["kind", "date_estimated", "illustrative"]
    search_fields = ["ref", "title"]
    date_hierarchy = "date"
    filter_horizontal = ["frameworks", "sources"]

    def save_model(self, request, obj: Milestone, form, change):
        if change and "date" in form.changed_data:
            changes = services.milestone_change_date(milestone=obj, new_date=obj.date, by_user=request.user)
            report_moved_deadlines(request, changes)
        else:
            super().save_model(request, obj, form, change)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "time_zone", "reminder_digest"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["portfolio"]
    exclude = ["calendar_token_hash"]
