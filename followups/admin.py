"""The data clerk's admin for commitments, deadlines, projects and the status timeline.

Deadlines are edited as rules (anchor + offset + recurrence); their due dates are computed by the services
and shown read-only beside the rule. A status changed here becomes a status update on the timeline.
"""

from __future__ import annotations

import json
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from agreements.admin import EvidenceLastMixin, HistoryAdmin, report_moved_deadlines
from followups import services
from followups.deadlines import RuleError, describe_rule, span_of_offset, span_of_recurrence, upcoming_due_dates
from followups.loader.records import deadline_ref
from followups.models import (
    AnchorKind,
    Commitment,
    CommitmentOwner,
    Deadline,
    DeadlineOccurrence,
    PartyClock,
    Project,
    StatusUpdate,
)
from followups.rule_fields import offset_field, recurrence_field, representable

# The fields that make up a rule: the preview reads only their errors.
RULE_FIELDS = (
    "anchor_kind",
    "anchor_framework",
    "anchor_milestone",
    "anchor_event",
    "anchor_deadline",
    "anchor_date",
    "offset",
    "recurrence",
)


class DeadlineRuleForm(forms.ModelForm):
    """A deadline's rule, entered as an anchor, a number and a unit, and an optional "repeat every"; checks that
    it yields a date and fills in the anchor date from the anchor. The preview (DeadlineAdmin.rule_preview_view)
    runs this same form."""

    class Meta:
        model = Deadline
        fields = [
            "ref",
            "title",
            "anchor_kind",
            "anchor_framework",
            "anchor_milestone",
            "anchor_event",
            "anchor_deadline",
            "anchor_date",
            "anchor_estimated",
            "offset",
            "recurrence",
            "basis",
            "extended_due_on",
            "extension_reason",
            "completed_on",
            "cancelled",
        ]
        help_texts = {"anchor_date": _("Only for a fixed date; other anchors give their own date.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trial: Deadline | None = None
        if "anchor_date" in self.fields:
            self.fields["anchor_date"].required = False
        # A number and a unit instead of P6M and FREQ=...; a stored rule that has no such form (P1M2D) keeps
        # its text box, so that nothing is lost.
        for name, make, read in (
            ("offset", offset_field, span_of_offset),
            ("recurrence", recurrence_field, span_of_recurrence),
        ):
            if name in self.fields and representable(read, getattr(self.instance, name)):
                self.fields[name] = make()
        if "ref" in self.fields:
            self.fields["ref"].required = False
            self.fields["ref"].help_text = _(
                "Leave empty for the usual reference: DL- and the commitment's reference without CMT- "
                "(CMT-AU-01 gives DL-AU-01; -2, -3... when taken)."
            )
            commitment = self.instance.commitment if self.instance.commitment_id else self.initial.get("commitment")
            if not self.instance.pk and commitment and not self.initial.get("ref"):
                self.initial["ref"] = deadline_ref_proposed(commitment)

    def clean_ref(self) -> str:
        ref = self.cleaned_data.get("ref") or ""
        commitment = (
            self.instance.commitment if self.instance.commitment_id else self.data.get(self.add_prefix("commitment"))
        )
        if not ref and commitment:
            ref = deadline_ref_proposed(commitment)
        if not ref:
            raise ValidationError(_("Choose the commitment first, or enter a reference such as DL-AU-01."))
        return ref

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("anchor_kind")
        if kind == AnchorKind.PARTY_JOINED and self.instance.anchor_party_id is None:
            self.add_error("anchor_kind", _("A deadline per party comes from a per-party clock (Party clocks)."))
            return cleaned
        anchor = Deadline.ANCHORS.get(kind) if kind else None
        needed = "anchor_date" if kind == AnchorKind.FIXED else anchor.field if anchor else None
        if needed in self.fields and not cleaned.get(needed):
            self.add_error(needed, _("Required when the anchor is '%(kind)s'.") % {"kind": AnchorKind(kind).label})
            return cleaned
        for other in ("anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline"):
            if other != needed:
                cleaned[other] = None
        if cleaned.get("extended_due_on") and not (cleaned.get("extension_reason") or "").strip():
            self.add_error("extension_reason", _("Say why the deadline is extended."))
        if any(field in self.errors for field in RULE_FIELDS):
            return cleaned
        trial = self._trial(cleaned, needed)
        if trial is None:
            return cleaned
        if cleaned.get("extended_due_on") and cleaned["extended_due_on"] <= trial.original_due_on:
            self.add_error(
                "extended_due_on",
                _("An extension must be later than the rule's date %(date)s.") % {"date": trial.original_due_on},
            )
        cleaned["anchor_date"] = trial.anchor_date
        self.trial = trial
        return cleaned

    def _trial(self, cleaned: dict, needed: str | None) -> Deadline | None:
        """The rule computed on a copy, so that a rule that yields no date is an error beside its field."""
        model_fields = {f.name for f in Deadline._meta.fields}
        trial = Deadline(**{k: v for k, v in cleaned.items() if k in model_fields and k != "commitment"})
        trial.occurrence_index = self.instance.occurrence_index
        trial.anchor_party = (
            self.instance.anchor_party if cleaned.get("anchor_kind") == AnchorKind.PARTY_JOINED else None
        )
        try:
            trial.clean()
            services.deadline_apply_rule(trial)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return None
        except RuleError as exc:
            # Most often an anchor with no date yet (a framework not signed): said beside the anchor.
            beside = needed if needed in self.fields else None
            self.add_error(beside, _("This rule gives no due date: %(problem)s.") % {"problem": exc})
            return None
        return trial

    def preview(self) -> dict:
        """What the rule gives, for the live preview: its words and next due dates, or the rule fields' errors."""
        self.is_valid()
        errors = {
            (field if field != NON_FIELD_ERRORS else "rule"): [str(m) for m in messages_]
            for field, messages_ in self.errors.items()
            if field in RULE_FIELDS or field == NON_FIELD_ERRORS
        }
        if errors or self.trial is None:
            return {"errors": errors or {"rule": [str(_("Choose an anchor."))]}, "dates": []}
        trial = self.trial
        dates = upcoming_due_dates(trial.original_due_on, trial.recurrence_rule(), start=trial.occurrence_index)
        return {"errors": {}, "rule": rule_in_words(trial), "dates": [_date_item(d) for d in dates]}


def _date_item(day) -> dict:
    return {"iso": day.isoformat(), "text": date_format(day, "j F Y")}


def rule_in_words(deadline: Deadline) -> str:
    anchor = deadline.anchor_object
    return describe_rule(
        anchor_kind=deadline.anchor_kind,
        anchor_name=str(getattr(anchor, "ref", anchor) or ""),
        anchor_date=deadline.anchor_date,
        offset=deadline.offset,
        recurrence=deadline.recurrence,
    )


def deadline_ref_proposed(commitment: Commitment | int | str) -> str:
    """The dataset's convention, as the loader names deadlines: DL-<the commitment's ref without CMT->, then
    -2, -3... when that reference is taken."""
    found = commitment if isinstance(commitment, Commitment) else None
    if found is None and str(commitment).isdigit():
        found = Commitment.objects.filter(pk=str(commitment)).first()
    if found is None:
        return ""
    base = deadline_ref(found.ref)
    taken = set(Deadline.objects.filter(ref__startswith=base).values_list("ref", flat=True))
    ref, n = base, 1
    while ref in taken:
        n += 1
        ref = f"{base}-{n}"
    return ref


class DeadlineInlineFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if (index is None or index >= self.initial_form_count()) and self.instance.pk:
            # A new deadline under a saved commitment: its reference proposed from the convention.
            kwargs["initial"] = {**kwargs.get("initial", {}), "ref": deadline_ref_proposed(self.instance)}
        return kwargs


class RulePreviewMixin:
    """The live preview of a rule's next due dates (static/js/admin-deadline-rule.js asks rule_preview_view)."""

    class Media:
        js = ["js/admin-deadline-rule.js"]
        css = {"all": ["css/admin.css"]}

    @admin.display(description=_("next due dates"))
    def rule_preview(self, obj: Deadline | None) -> str:
        anchors = {str(kind): anchor.field for kind, anchor in Deadline.ANCHORS.items()}
        anchors[AnchorKind.FIXED.value] = "anchor_date"
        if obj is not None and obj.pk:
            dates = upcoming_due_dates(obj.original_due_on, obj.recurrence_rule(), start=obj.occurrence_index)
            shown = format_html(
                "<p>{}</p><ol>{}</ol>",
                rule_in_words(obj),
                format_html_join(
                    "",
                    '<li><time datetime="{}">{}</time></li>',
                    ((d.isoformat(), date_format(d, "j F Y")) for d in dates),
                ),
            )
        else:
            shown = format_html("<p>{}</p>", _("Choose an anchor and enter the time after it to see the due dates."))
        return format_html(
            '<div class="tracker-rule-preview" data-url="{}" data-object="{}" data-anchors="{}" aria-live="polite">'
            "{}</div>",
            reverse("admin:followups_deadline_rule_preview"),
            obj.pk if obj is not None and obj.pk else "",
            json.dumps(anchors),
            shown,
        )


class DeadlineInline(RulePreviewMixin, admin.StackedInline):
    model = Deadline
    form = DeadlineRuleForm
    formset = DeadlineInlineFormSet
    fk_name = "commitment"
    extra = 0
    autocomplete_fields = ["anchor_framework", "anchor_milestone", "anchor_deadline"]
    readonly_fields = ["computed_dates", "rule_preview"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("ref", "title"),
                    ("anchor_kind", "anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline"),
                    ("anchor_date", "anchor_estimated"),
                    ("offset", "recurrence", "basis"),
                    "rule_preview",
                    "computed_dates",
                    ("extended_due_on", "extension_reason"),
                    ("completed_on", "cancelled"),
                ]
            },
        )
    ]

    @admin.display(description=_("computed due date"))
    def computed_dates(self, obj: Deadline) -> str:
        return deadline_dates_html(obj)


def deadline_dates_html(obj: Deadline) -> str:
    if not obj or not obj.pk:
        return gettext("computed when saved")
    # The rule in words; the stored form (P6M, FREQ=...) in a tooltip for the curious.
    parts = [
        format_html(
            '<strong>{}</strong> = <span title="{}">{}</span>', obj.original_due_on, obj.rule_text, rule_in_words(obj)
        )
    ]
    if obj.extended_due_on:
        parts.append(
            format_html(
                gettext("extended to {date} ({reason})"),
                date=format_html("<strong>{}</strong>", obj.extended_due_on),
                reason=obj.extension_reason,
            )
        )
    if obj.recurrence:
        parts.append(
            format_html(gettext("current occurrence due {date}"), date=format_html("<strong>{}</strong>", obj.due_on))
        )
    if obj.is_overdue():
        parts.append(format_html('<span class="tracker-admin-overdue">{}</span>', pgettext("deadline", "overdue")))
    return format_html("<br>".join(["{}"] * len(parts)), *parts)


class OwnerInline(admin.TabularInline):
    model = CommitmentOwner
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "status", "status_changed_at"]
    # Each owner's status changes through status updates (staff pages, API), which keep the timeline.
    readonly_fields = ["status", "status_changed_at"]


# Shown and read-only alike (tuples: the admin's two attributes are typed differently).
_STATUS_UPDATE_COLUMNS = ("happened_on", "owner", "old_status", "new_status", "note", "evidence_url", "actor")
_OCCURRENCE_COLUMNS = ("index", "due_on", "outcome", "happened_on", "note", "evidence_url", "evidence_file", "actor")


class StatusUpdateInline(admin.TabularInline):
    model = StatusUpdate
    extra = 0
    fields = _STATUS_UPDATE_COLUMNS
    readonly_fields = _STATUS_UPDATE_COLUMNS
    can_delete = False
    ordering = ["-happened_on", "-created_at"]
    verbose_name_plural = _("timeline (status updates; change the status above to add one)")
    classes = ["collapse"]

    def has_add_permission(self, request, obj=None):
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = _("Overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.overdue(today=today)
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.overdue(today=today).values("pk"))
        return queryset


class ErrorSummaryMixin:
    """A summary of the form's errors at the top, each a link to its field (the form and its inlines)."""

    change_form_template = "admin/tracker_change_form.html"

    def render_change_form(self, request, context, *args, **kwargs):
        context["error_summary"] = error_summary(context.get("adminform"), context.get("inline_admin_formsets", []))
        return super().render_change_form(request, context, *args, **kwargs)


def error_summary(adminform, inline_formsets) -> list[dict[str, str]]:
    """[{"target": the field's id, "label": ..., "message": ...}] for every error of the form and its inlines."""
    found: list[dict[str, str]] = []

    def add(form, where: str, default_target: str) -> None:
        for field, errors in form.errors.items():
            bound = form[field] if field in form.fields else None
            target = (bound.id_for_label or bound.auto_id) if bound is not None else default_target
            label = f"{where}{bound.label}" if bound is not None else where.rstrip(": ") or str(_("The form"))
            found.extend({"target": target, "label": label, "message": str(m)} for m in errors)

    if adminform is not None:
        add(adminform.form, "", "content-main")
    for inline in inline_formsets:
        formset = inline.formset
        name = str(inline.opts.verbose_name).capitalize()
        group = f"{formset.prefix}-group"
        for message in formset.non_form_errors():
            found.append(
                {"target": group, "label": str(inline.opts.verbose_name_plural).capitalize(), "message": message}
            )
        for index, form in enumerate(formset.forms):
            add(form, f"{name} {index + 1}: ", group)
    return found


@admin.register(Commitment)
class CommitmentAdmin(ErrorSummaryMixin, HistoryAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        # No recipient, no silence: the clerk is told who is reminded when no point of contact can be.
        from followups.reminders.planner import no_contact_notice

        commitment = self.get_object(request, object_id)
        if commitment is not None and request.method == "GET" and (notice := no_contact_notice(commitment)):
            messages.warning(request, notice)
        return super().change_view(request, object_id, form_url, extra_context)

    # Beside the filter panel only about five columns fit at 1280px: status and the next due date first;
    # category and "illustrative" are filters.
    list_display = ["ref", "short_title", "status", "next_due", "priority", "framework_ref"]
    list_filter = [OverdueFilter, "status", "priority", "category", "framework", "illustrative"]
    search_fields = ["ref", "title", "note", "framework__ref", "framework__title", "owners__name"]
    autocomplete_fields = ["framework", "working_group", "contacts", "projects"]
    filter_horizontal = ["sources"]
    list_select_related = ["framework"]
    inlines = [OwnerInline, DeadlineInline, StatusUpdateInline]
    readonly_fields = ["created_at", "updated_at"]
    # The commitment itself open; the rest folded (a section with an error opens, static/js/admin-errors.js).
    fieldsets = [
        (None, {"fields": ["ref", "framework", "title", "category", "priority", "status", "working_group"]}),
        (_("People and projects"), {"fields": ["contacts", "projects"], "classes": ["collapse"]}),
        (
            _("Evidence"),
            {
                "fields": ["status_basis", "review_every", "note", "sources", "illustrative", "illustrative_fields"],
                "classes": ["collapse"],
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("title"))
    def short_title(self, obj: Commitment) -> str:
        return obj.title if len(obj.title) <= 70 else obj.title[:67] + "..."

    @admin.display(description=_("framework"), ordering="framework__ref")
    def framework_ref(self, obj: Commitment) -> str:
        return obj.framework.ref

    # The earliest open due date, kept by the services (Commitment.next_due_on).
    @admin.display(description=_("next due"), ordering="next_due_on")
    def next_due(self, obj: Commitment) -> date | None:
        return obj.next_due_on

    def save_model(self, request, obj: Commitment, form, change):
        if change and "status" in form.changed_data:
            # A status change is a timeline entry with its consequences (deadlines closed, reminders stopped).
            new_status = obj.status
            obj.status = form.initial["status"]
            super().save_model(request, obj, form, change)
            services.commitment_update_status(
                commitment=obj, status=new_status, note="Changed in the admin.", by_user=request.user
            )
            obj.refresh_from_db()
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Contacts or owners may have changed: who is reminded follows.
        services.commitments_recipients_changed([form.instance])
        # Entered or edited (framework, priority, basis...): the dashboard's counts follow.
        services.dashboard_summary_refresh([form.instance.pk])

    def delete_model(self, request, obj: Commitment):
        pk = obj.pk
        with transaction.atomic():
            super().delete_model(request, obj)
            services.dashboard_summary_refresh([pk])  # its deadlines and updates went with it

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            pks = list(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)
            services.dashboard_summary_refresh(pks)

    def save_formset(self, request, form, formset, change):
        # Every change goes through the services, so reminders and webhooks follow as from any other door.
        if formset.model is CommitmentOwner:
            formset.save(commit=False)  # writes nothing; fills the lists the admin's change message reads
            kept = [
                f.cleaned_data["organisation"]
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            services.commitment_owner_set(commitment=form.instance, organisations=kept, by_user=request.user)
            return
        if formset.model is not Deadline:
            super().save_formset(request, form, formset, change)
            return
        deadlines = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            services.deadline_delete(deadline=deleted, by_user=request.user)
        for deadline in deadlines:
            deadline.commitment = form.instance
            report_moved_deadlines(request, services.deadline_save_rule(deadline=deadline, by_user=request.user))
        formset.save_m2m()


class OccurrenceInline(admin.TabularInline):
    """Every past occurrence of a recurring obligation with its outcome (recorded by the actions, never edited)."""

    model = DeadlineOccurrence
    extra = 0
    can_delete = False
    fields = _OCCURRENCE_COLUMNS
    readonly_fields = _OCCURRENCE_COLUMNS
    verbose_name_plural = _("occurrences (history)")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deadline)
class DeadlineAdmin(ErrorSummaryMixin, RulePreviewMixin, HistoryAdmin):
    form = DeadlineRuleForm
    inlines = [OccurrenceInline]
    # The commitment's full title pushed the dates out of sight; its ref is enough to find it. The rule's own date
    # differs from the due date only when extended, and is on the deadline's page.
    list_display = ["ref", "due_on", "overdue", "rule", "completed_on", "commitment_ref"]
    list_filter = ["anchor_kind", "basis", "cancelled", "commitment__framework"]
    search_fields = ["ref", "title", "commitment__ref", "commitment__title"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["commitment", "anchor_framework", "anchor_milestone", "anchor_deadline"]
    list_select_related = ["commitment", "anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline"]
    readonly_fields = ["computed_dates", "rule_preview", "original_due_on", "due_on", "updated_at"]
    fieldsets = [
        (None, {"fields": ["ref", "commitment", "title"]}),
        (
            _("Rule"),
            {
                "fields": [
                    "anchor_kind",
                    "anchor_framework",
                    "anchor_milestone",
                    "anchor_event",
                    "anchor_deadline",
                    "anchor_date",
                    "anchor_estimated",
                    "offset",
                    "recurrence",
                    "rule_preview",
                    "basis",
                    "computed_dates",
                ]
            },
        ),
        (_("Extension"), {"fields": ["extended_due_on", "extension_reason"]}),
        (_("Outcome"), {"fields": ["completed_on", "cancelled", "updated_at"]}),
    ]

    def get_urls(self):
        preview = path(
            "rule-preview/",
            self.admin_site.admin_view(self.rule_preview_view),
            name="followups_deadline_rule_preview",
        )
        return [preview, *super().get_urls()]

    def rule_preview_view(self, request):
        """The rule's words and next due dates as JSON, computed by the form that saves it (staff only)."""
        if not (self.has_view_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        instance = None
        if (object_id := request.GET.get("object", "")).isdigit():
            instance = Deadline.objects.filter(pk=object_id).first()
        form = DeadlineRuleForm(data=request.GET, instance=instance)
        return JsonResponse(form.preview())

    @admin.display(description=pgettext_lazy("deadline", "overdue"))
    def overdue(self, obj: Deadline) -> str:
        # Words, not Django's green tick, which reads as "all well".
        if obj.is_overdue():
            return format_html('<strong class="tracker-admin-overdue">{}</strong>', pgettext("deadline", "overdue"))
        return "—"

    @admin.display(description=_("rule"))
    def rule(self, obj: Deadline) -> str:
        return format_html('<span title="{}">{}</span>', obj.rule_text, rule_in_words(obj))

    @admin.display(description=_("commitment"), ordering="commitment__ref")
    def commitment_ref(self, obj: Deadline) -> str:
        return obj.commitment.ref

    @admin.display(description=_("computed due date"))
    def computed_dates(self, obj: Deadline) -> str:
        return deadline_dates_html(obj)

    def save_model(self, request, obj: Deadline, form, change):
        changes = services.deadline_save_rule(deadline=obj, by_user=request.user)
        report_moved_deadlines(request, changes)
        if not change:
            messages.info(
                request,
                gettext("%(ref)s is due %(date)s: %(rule)s.")
                % {"ref": obj.ref, "date": obj.due_on, "rule": rule_in_words(obj)},
            )

    def delete_model(self, request, obj: Deadline):
        services.deadline_delete(deadline=obj, by_user=request.user)

    def delete_queryset(self, request, queryset):
        for deadline in queryset:
            services.deadline_delete(deadline=deadline, by_user=request.user)

    # Recurring obligations, one occurrence at a time (services.deadline_record_occurrence).
    actions = ["occurrence_met", "occurrence_missed"]

    @admin.action(description=_("Mark the current occurrence met (the next one becomes due)"))
    def occurrence_met(self, request, queryset):
        self._record_occurrences(request, queryset, "met")

    @admin.action(description=_("Mark the current occurrence missed (the next one becomes due)"))
    def occurrence_missed(self, request, queryset):
        self._record_occurrences(request, queryset, "missed")

    def _record_occurrences(self, request, queryset, outcome: str) -> None:
        for deadline in queryset:
            try:
                occurrence = services.deadline_record_occurrence(
                    deadline=deadline, outcome=outcome, by_user=request.user
                )
            except ValidationError as exc:
                messages.error(request, f"{deadline.ref}: {' '.join(exc.messages)}")
                continue
            deadline.refresh_from_db()
            done = {"met": gettext("met"), "missed": gettext("missed")}[outcome]
            messages.success(
                request,
                gettext("%(ref)s: occurrence %(number)d (due %(due)s) %(outcome)s; the next is due %(next)s.")
                % {
                    "ref": deadline.ref,
                    "number": occurrence.index + 1,
                    "due": occurrence.due_on,
                    "outcome": done,
                    "next": deadline.due_on,
                },
            )


@admin.register(CommitmentOwner)
class CommitmentOwnerAdmin(HistoryAdmin):
    list_display = ["commitment", "organisation", "status", "status_changed_at"]
    list_filter = ["status", "organisation"]
    search_fields = ["commitment__ref", "organisation__name", "organisation__ref"]
    autocomplete_fields = ["commitment", "organisation"]
    list_select_related = ["commitment", "organisation"]
    readonly_fields = ["status", "status_changed_at"]


@admin.register(Project)
class ProjectAdmin(EvidenceLastMixin, HistoryAdmin):
    list_display = ["ref", "name", "kind", "country", "stage", "capacity", "capacity_unit", "illustrative"]
    list_filter = ["stage", "kind", "country", "illustrative"]
    search_fields = ["ref", "name", "country__name", "offtake", "financing"]
    autocomplete_fields = ["country", "sponsors", "frameworks"]
    filter_horizontal = ["sources"]
    list_select_related = ["country"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    """The timeline is append-only: entries are made by status changes, never edited."""

    list_display = ["commitment", "happened_on", "owner", "old_status", "new_status", "actor", "created_at"]
    list_filter = ["new_status", "happened_on"]
    search_fields = ["commitment__ref", "note", "actor"]
    list_select_related = ["commitment", "owner"]
    date_hierarchy = "happened_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartyClock)
class PartyClockAdmin(admin.ModelAdmin):
    """A deadline counted from each party's own date; saving it plans one deadline per party (and their
    reminders) through services.deadline_rule_per_party_apply."""

    list_display = ["ref", "commitment", "framework", "offset", "acceding_only", "deadline_count"]
    search_fields = ["ref", "commitment__ref", "framework__ref"]
    autocomplete_fields = ["commitment", "framework"]
    fields = ["ref", "commitment", "framework", "title", "offset", "basis", "acceding_only"]

    @admin.display(description=_("deadlines"))
    def deadline_count(self, obj: PartyClock) -> int:
        return obj.deadlines.count()

    # Through the service: the clock's deadlines go as deadline_delete removes one (reminders, next due dates).
    def delete_model(self, request, obj: PartyClock):
        services.party_clock_delete(clock=obj, by_user=request.user)

    def delete_queryset(self, request, queryset):
        for clock in queryset:
            services.party_clock_delete(clock=clock, by_user=request.user)

    def save_model(self, request, obj: PartyClock, form, change):
        deadlines = services.deadline_rule_per_party_apply(clock=obj, by_user=request.user)
        count = len(deadlines)
        self.message_user(
            request,
            ngettext("%(count)d party deadline planned.", "%(count)d party deadlines planned.", count)
            % {"count": count},
        )


# The admin of the capability folders: the reminder outbox, its policies and preferences; partners' webhooks and
# their outbox. Django's autodiscovery imports only this module, so it imports theirs.
from followups.partner_links import admin as partner_links_admin  # noqa: E402,F401
from followups.reminders import admin as reminders_admin  # noqa: E402,F401
from followups.webhooks import admin as webhooks_admin  # noqa: E402,F401
