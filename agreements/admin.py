"""The data clerk's admin for organisations, frameworks, parties, working groups, contacts and milestones.

Changes that move deadlines (a framework's signature date, a milestone's date) go through the services, so
every dependent due date is recomputed in the same transaction and the clerk is told what moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, Count, Q, Value, When
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from agreements.models import (
    Contact,
    DataCaveat,
    Event,
    Framework,
    GlossaryTerm,
    Membership,
    Milestone,
    Organisation,
    Party,
    Source,
    StaffProfile,
    WorkingGroup,
    WorkingGroupMember,
)
from agreements.roles import Role, signed_in_user, user_has_role
from agreements.security import SecurityEvent
from followups import services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


# What the admins' get_queryset annotates, for the typed list columns below.
class _FrameworkCounts(TypedDict):
    _parties: int
    _commitments: int


class _GroupCounts(TypedDict):
    _members: int


def report_moved_deadlines(request: HttpRequest, changes: list[services.DeadlineChange]) -> None:
    """Tell the clerk which due dates a change moved (old -> new)."""
    if not changes:
        return
    moved = "; ".join(f"{c.deadline.ref}: {c.old_due_on} → {c.new_due_on}" for c in changes[:20])
    if len(changes) > 20:
        moved = gettext("%(moved)s and %(count)d more") % {"moved": moved, "count": len(changes) - 20}
    count = len(changes)
    text = ngettext(
        "%(count)d dependent due date recomputed: %(moved)s.",
        "%(count)d dependent due dates recomputed: %(moved)s.",
        count,
    )
    messages.info(request, text % {"count": count, "moved": moved})


class _HistoryContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        # simple_history shows an empty foreign key as "Deleted working group (pk=None)"; it was simply empty.
        if isinstance(value, DeletedObject) and value.pk is None:
            return gettext("(none)")
        return super().prepare_delta_change_value(change, value)


EVIDENCE_FIELDS = ("sources", "illustrative", "illustrative_fields")
_NOT_INVENTED = {"id", "ref", "created_at", "updated_at", *EVIDENCE_FIELDS}


class FieldNamesField(forms.MultipleChoiceField):
    """A record's invented fields as boxes to tick, not raw JSON. The names already stored are kept as boxes even
    when they are the dataset's own keys (forge_membership), and in their stored order, so that saving the same
    choice writes the same JSON."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": _("“%(value)s” is not a field of this record: tick only the fields listed."),
    }

    def __init__(self, *, stored: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.stored = stored

    def clean(self, value) -> list[str]:
        chosen = super().clean(value)
        return [n for n in self.stored if n in chosen] + [n for n in chosen if n not in self.stored]


def illustrative_fields_field(model, stored: list | None, help_text: StrOrPromise = "") -> FieldNamesField:
    """The boxes of a model's own fields, then any other name already stored on the record."""
    stored = [str(name) for name in stored or []]
    choices = [
        (f.name, f"{capfirst(f.verbose_name)} ({f.name})")
        for f in model._meta.get_fields()
        if getattr(f, "concrete", False) and getattr(f, "editable", False) and f.name not in _NOT_INVENTED
    ]
    known = {name for name, _label in choices}
    choices += [(name, name) for name in stored if name not in known]
    return FieldNamesField(
        stored=stored, choices=choices, required=False, label=_("Illustrative fields"), help_text=help_text
    )


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose "Changes" column shows an empty foreign key as "(none)", and whose invented fields
    are boxes to tick."""

    def get_historical_record_context_helper(self, request, historical_record):
        return _HistoryContextHelper(self.model, historical_record)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_illustrative_boxes(super().get_form(request, obj, change, **kwargs), obj)


def with_illustrative_boxes(form: type[forms.ModelForm], obj) -> type[forms.ModelForm]:
    """The form class (a new one per request, from modelform_factory) with illustrative_fields as boxes."""
    field = form.base_fields.get("illustrative_fields")
    if field is not None:
        stored = getattr(obj, "illustrative_fields", None)
        form.base_fields["illustrative_fields"] = illustrative_fields_field(
            form._meta.model, stored, help_text=field.help_text
        )
    return form


class EvidenceLastMixin:
    """Models built on Sourced would show its fields (sources, illustrative) before the record's own ref and name."""

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.fields:
            return fields
        return [f for f in fields if f not in EVIDENCE_FIELDS] + [f for f in fields if f in EVIDENCE_FIELDS]


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
    fields = ["body", "role", "state", "note", "since", "illustrative"]
    verbose_name = _("membership of a body")


@admin.register(Organisation)
class OrganisationAdmin(EvidenceLastMixin, HistoryAdmin):
    list_display = ["ref", "name", "kind", "iso_alpha2", "parent", "is_active", "illustrative"]
    list_filter = ["kind", "is_active", "illustrative"]
    search_fields = ["ref", "name", "iso_alpha2"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["sources"]
    inlines = [MembershipInline]
    actions = ["deactivate", "reactivate"]

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """The autocomplete lists the organisation named exactly as typed first, then names that start with it:
        "United States" is United States, not the Export-Import Bank of the United States (the changelist
        orders by its own columns afterwards)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return found, may_have_duplicates
        closeness = Case(
            When(Q(name__iexact=term) | Q(ref__iexact=term) | Q(iso_alpha2__iexact=term), then=Value(0)),
            When(name__istartswith=term, then=Value(1)),
            default=Value(2),
        )
        return found.annotate(_closeness=closeness).order_by("_closeness", "name"), may_have_duplicates

    def save_model(self, request: HttpRequest, obj: Organisation, form, change: bool) -> None:
        """Switching "active" goes through services.organisation_set_active: keys, webhooks and contacts'
        reminders stop (or resume) with it, pending ones cancelled with the reason."""
        wanted = obj.is_active
        if change and "is_active" in form.changed_data:
            obj.is_active = not wanted  # the service makes the switch, with what follows
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            services.organisation_set_active(organisation=obj, active=wanted, by=signed_in_user(request.user))
            obj.refresh_from_db()

    @admin.action(description=_("Deactivate: stop their API keys, webhooks and contacts' reminders"))
    def deactivate(self, request: HttpRequest, queryset) -> None:
        for organisation in queryset:
            services.organisation_set_active(organisation=organisation, active=False, by=signed_in_user(request.user))
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "%(count)d deactivated; their pending deliveries were cancelled.",
                "%(count)d deactivated; their pending deliveries were cancelled.",
                count,
            )
            % {"count": count},
        )

    @admin.action(description=_("Reactivate (what fell due meanwhile is not sent)"))
    def reactivate(self, request: HttpRequest, queryset) -> None:
        for organisation in queryset:
            services.organisation_set_active(organisation=organisation, active=True, by=signed_in_user(request.user))
        count = queryset.count()
        self.message_user(
            request, ngettext("%(count)d reactivated.", "%(count)d reactivated.", count) % {"count": count}
        )


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["member", "body", "role", "state"]
    list_filter = ["body", "state", "illustrative"]
    search_fields = ["member__name", "member__ref", "body__name", "body__ref"]
    autocomplete_fields = ["member", "body"]


class PartyInlineForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["organisation", "role", "signed_by", "signed_by_title", "joined_on"]
        # Django's 20em inputs made the row wider than the page (the whole form scrolled sideways).
        widgets = {
            name: forms.TextInput(attrs={"class": "vTextField", "style": "width: 9em"})
            for name in ("signed_by", "signed_by_title")
        }


class PartyInline(admin.TabularInline):
    model = Party
    form = PartyInlineForm
    extra = 0
    autocomplete_fields = ["organisation"]
    # Eight columns did not fit the page; a party's accession note and term are on its own page (the link).
    fields = ["organisation", "role", "signed_by", "signed_by_title", "joined_on"]
    show_change_link = True


@admin.register(Framework)
class FrameworkAdmin(HistoryAdmin):
    # Beside the filter panel only about six columns fit at 1280px: kind and "illustrative" are filters, and as
    # columns they pushed the counts out of sight.
    list_display = ["ref", "__str__", "status", "signed_on", "party_count", "commitment_count"]
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
            _("Dates (deadlines anchored on them follow)"),
            {"fields": ["signed_on", "effective_on", "date_estimated", "date_note", "place"]},
        ),
        (_("Nature"), {"fields": ["binding", "intended_binding", "binding_note", "minerals", "themes", "summary"]}),
        (
            _("Evidence"),
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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "title":  # long official titles were cut off in a one-line box
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("parties"), ordering="_parties")
    def party_count(self, obj: WithAnnotations[Framework, _FrameworkCounts]) -> int:
        return obj._parties

    @admin.display(description=_("commitments"), ordering="_commitments")
    def commitment_count(self, obj: WithAnnotations[Framework, _FrameworkCounts]) -> int:
        return obj._commitments

    def save_model(self, request, obj: Framework, form, change):
        if change and {"signed_on", "effective_on", "status"} & set(form.changed_data):
            # The other fields first; then the dates (recomputing every dependent due date) and the status through
            # their services, each in the framework's history.
            new_status, obj.status = obj.status, form.initial["status"]
            new_dates = (obj.signed_on, obj.effective_on)
            obj.signed_on, obj.effective_on = form.initial["signed_on"], form.initial["effective_on"]
            super().save_model(request, obj, form, change)
            if (obj.signed_on, obj.effective_on) != new_dates:
                # The milestone that records a corrected date (its signing) moves with it.
                changes = services.framework_change_dates_with_milestones(
                    framework=obj, signed_on=new_dates[0], effective_on=new_dates[1], by_user=request.user
                )
                report_moved_deadlines(request, changes)
            services.framework_set_status(framework=obj, status=new_status, by_user=request.user)
            obj.refresh_from_db()
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Party:
            return super().save_formset(request, form, formset, change)
        # Parties through the service, so that a party added here gets its own deadlines in this transaction.
        for party in formset.save(commit=False):
            services.party_save(party=party, by_user=request.user, reason="admin")
        for party in formset.deleted_objects:
            services.party_delete(party=party, by_user=request.user)
        formset.save_m2m()
        return None


@admin.register(Party)
class PartyAdmin(HistoryAdmin):
    list_display = ["framework", "organisation", "role", "signed_by", "joined_on", "joined_precision"]
    list_filter = ["role", "framework__kind", "joined_precision"]
    search_fields = ["framework__ref", "framework__title", "organisation__name", "organisation__ref", "signed_by"]
    autocomplete_fields = ["framework", "organisation"]
    list_select_related = ["framework", "organisation"]
    filter_horizontal = ["sources"]

    # Through the service: the framework's per-party clocks give a new party (or a moved date) its deadlines.
    def save_model(self, request, obj: Party, form, change):
        services.party_save(party=obj, by_user=request.user, reason="admin")

    # Through the service: the party's own deadlines go with it, and their commitments' next due dates follow.
    def delete_model(self, request, obj: Party):
        services.party_delete(party=obj, by_user=request.user)

    def delete_queryset(self, request, queryset):
        for party in queryset:
            services.party_delete(party=party, by_user=request.user)


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "ref"]
    search_fields = ["term", "definition"]


@admin.register(DataCaveat)
class DataCaveatAdmin(admin.ModelAdmin):
    list_display = ["ref", "__str__"]
    search_fields = ["ref", "text"]
    filter_horizontal = ["frameworks", "organisations"]


class WorkingGroupMemberInline(admin.TabularInline):
    model = WorkingGroupMember
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(EvidenceLastMixin, HistoryAdmin):
    list_display = ["ref", "name", "framework_ref", "member_count", "meeting_cadence"]
    ordering = ["ref"]
    list_filter = ["framework", "illustrative"]
    search_fields = ["ref", "name", "mandate"]
    autocomplete_fields = ["framework"]
    filter_horizontal = ["sources"]
    inlines = [WorkingGroupMemberInline]
    list_select_related = ["framework"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("memberships"))

    @admin.display(description=_("framework"), ordering="framework__ref")
    def framework_ref(self, obj: WorkingGroup) -> str:
        return obj.framework.ref

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj: WithAnnotations[WorkingGroup, _GroupCounts]) -> int:
        return obj._members


@admin.register(WorkingGroupMember)
class WorkingGroupMemberAdmin(HistoryAdmin):
    list_display = ["working_group", "organisation", "role"]
    list_filter = ["role", "working_group"]
    search_fields = ["working_group__name", "organisation__name"]
    autocomplete_fields = ["working_group", "organisation"]


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    list_display = ["ref", "name", "email", "organisation", "language", "time_zone", "is_active", "illustrative"]
    list_filter = ["language", "is_active", "illustrative"]
    search_fields = ["ref", "name", "email", "organisation__name", "organisation__ref"]
    autocomplete_fields = ["organisation", "user"]
    list_select_related = ["organisation"]

    def save_model(self, request, obj: Contact, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            # Address, language, zone or activity decide the contact's reminders.
            services.commitments_recipients_changed(obj.commitments.all())


@admin.register(Event)
class EventAdmin(EvidenceLastMixin, admin.ModelAdmin):
    list_display = ["ref", "name", "date", "location"]
    search_fields = ["ref", "name"]
    autocomplete_fields = ["host"]
    filter_horizontal = ["attendees", "sources"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_illustrative_boxes(super().get_form(request, obj, change, **kwargs), obj)

    def save_model(self, request, obj: Event, form, change):
        if change and "date" in form.changed_data:
            report_moved_deadlines(request, services.event_change_date(event=obj, new_date=obj.date))
        else:
            super().save_model(request, obj, form, change)


@admin.register(Milestone)
class MilestoneAdmin(EvidenceLastMixin, HistoryAdmin):
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

    # Through the services: the user's own reminders and the escalations of the portfolio follow.
    def save_model(self, request, obj: StaffProfile, form, change):
        request._portfolio_before = list(obj.portfolio.values_list("pk", flat=True)) if obj.pk else []
        if change and {"language", "time_zone", "reminder_digest"} & set(form.changed_data):
            services.staff_reminder_preferences_set(
                profile=obj, language=obj.language, time_zone=obj.time_zone, digest=obj.reminder_digest
            )
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.staff_profile_changed(profile=form.instance, portfolio_before=request._portfolio_before)


# --- Partner API keys (issue 5) ----------------------------------------------------------------------------
# Appended by the API developer: keys are issued through agreements.partner_access.api_key_issue and the raw
# key is rendered once in the response to the "add" form, never stored (not even in messages or the session).

from datetime import timedelta  # noqa: E402

from django import forms  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.cache import add_never_cache_headers  # noqa: E402

from agreements.partner_access import ApiKey, api_key_issue, api_key_revoke  # noqa: E402


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["organisation", "name", "expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "expires_at" in self.fields and not self.instance.pk:
            self.fields["expires_at"].initial = timezone.now() + timedelta(days=365)


@admin.register(ApiKey)
class ApiKeyAdmin(HistoryAdmin):
    form = ApiKeyForm
    list_display = ["prefix", "name", "organisation", "works", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "organisation__kind"]
    search_fields = ["prefix", "name", "organisation__ref", "organisation__name"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "organisation",
            "name",
            "prefix",
            "created_at",
            "created_by",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "last_used_at",
        ]

    def get_fields(self, request, obj=None):
        return ["organisation", "name", "expires_at"] if obj is None else self.get_readonly_fields(request, obj)

    def save_model(self, request, obj: ApiKey, form, change):
        if change:
            return  # nothing about an issued key changes but its revocation (the action)
        key, raw = api_key_issue(
            organisation=obj.organisation, name=obj.name, expires_at=obj.expires_at, by_user=request.user
        )
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        request._issued_api_key = raw  # in memory for this response only

    def response_add(self, request, obj: ApiKey, post_url_continue=None):
        raw = getattr(request, "_issued_api_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("API key issued"),
            "key": obj,
            "raw_key": raw,
            "list_url": "../",
        }
        # Rendered now: never-cache must be on the response that carries the key.
        response = TemplateResponse(request, "admin/agreements/apikey/issued.html", context).render()
        add_never_cache_headers(response)
        return response

    @admin.display(boolean=True, description=_("works now"))
    def works(self, obj: ApiKey) -> bool:
        return obj.is_usable()

    @admin.action(description=_("Revoke the selected keys (they stop working at once)"))
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(api_key=key, by_user=request.user)
        count = queryset.count()
        messages.success(
            request, ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count}
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Security records (logins, failed logins, lockouts, refused API requests): read by coordinators, changed by
    nobody; kept at least a year (agreements.security)."""

    list_display = ["created_at", "kind", "username", "api_key_prefix", "organisation", "ip_address", "reason"]
    list_filter = ["kind"]
    search_fields = ["username", "api_key_prefix", "organisation__ref", "reason", "path"]
    date_hierarchy = "created_at"
    list_select_related = ["organisation"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_has_role(request.user, Role.COORDINATOR)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
