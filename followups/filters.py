"""List filters for commitments, deadlines and projects (django-filter); the filter lives in the URL."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.filter_choices import RefChoiceFilter
from agreements.filters import BasisFilter, StyledFilterSet, text_search
from followups.models import Category, Commitment, CommitmentOwner, Deadline, Priority, Project, ProjectStage, Status

_DATE = {"type": "date"}
_SCOPES = [("portfolio", _("My portfolio"))]


def _portfolio_commitments(request):
    """Commitments owed by the organisations of the user's portfolio (a desk officer's countries)."""
    from followups.models import CommitmentOwner

    return CommitmentOwner.objects.filter(organisation__desk_officers__user=request.user).values("commitment")


_YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class CommitmentFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=text_search("ref", "title", "note"))
    scope = django_filters.ChoiceFilter(
        choices=_SCOPES, empty_label=_("Everyone's"), label=_("Whose"), method="filter_scope"
    )
    framework = RefChoiceFilter(source="framework", field_name="framework__ref", label=_("Framework"))
    organisation = RefChoiceFilter(source="organisation", label=_("Owner"), method="filter_owner")
    working_group = RefChoiceFilter(source="working_group", field_name="working_group__ref", label=_("Working group"))
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices,
        label=_("Status"),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # a column of the row itself: no join, so no DISTINCT (slow at 100,000 rows)
    )
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    due_after = django_filters.DateFilter(
        label=_("Due from"), method="filter_due_after", widget=forms.DateInput(attrs=_DATE)
    )
    due_before = django_filters.DateFilter(
        label=_("Due until"), method="filter_due_before", widget=forms.DateInput(attrs=_DATE)
    )
    overdue = django_filters.ChoiceFilter(
        choices=_YES_NO[1:], empty_label=_("Any"), label=_("Overdue"), method="filter_overdue"
    )
    # A partner reported it complete and no coordinator or desk officer has answered yet (issue 11).
    awaiting = django_filters.ChoiceFilter(
        choices=_YES_NO[1:], empty_label=_("Any"), label=_("Awaiting verification"), method="filter_awaiting"
    )
    # No status update for longer than the window of its priority (issue 9); `quiet=true` is read as yes.
    quiet = django_filters.ChoiceFilter(
        choices=_YES_NO[1:], empty_label=_("Any"), label=_("Gone quiet"), method="filter_quiet"
    )
    basis = BasisFilter()
    sort = django_filters.OrderingFilter(
        fields=(
            ("ref", "ref"),
            ("title", "title"),
            ("framework__ref", "framework"),
            ("status", "status"),
            ("priority", "priority"),
            ("next_due_on", "due"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = Commitment
        fields: list[str] = []

    def filter_owner(self, queryset, name, value):
        # By reference, in the same statement (owned_by() reads the organisations first).
        owed = CommitmentOwner.objects.filter(organisation__ref=value).values("commitment")
        return queryset.filter(pk__in=owed) if value else queryset

    def filter_scope(self, queryset, name, value):
        if value == "portfolio" and self.request is not None:
            return queryset.filter(pk__in=_portfolio_commitments(self.request))
        return queryset

    def _with_deadline(self, queryset, **lookups):
        return queryset.filter(Exists(Deadline.objects.filter(commitment=OuterRef("pk"), **lookups)))

    def filter_due_after(self, queryset, name, value):
        return self._with_deadline(queryset, due_on__gte=value) if value else queryset

    def filter_due_before(self, queryset, name, value):
        return self._with_deadline(queryset, due_on__lte=value) if value else queryset

    def filter_awaiting(self, queryset, name, value):
        if value == "yes":
            return queryset.awaiting_verification()
        if value == "no":
            return queryset.exclude(pk__in=Commitment.objects.awaiting_verification().values("pk"))
        return queryset

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("quiet") in ("true", "false"):
            data = data.copy()
            data["quiet"] = "yes" if data["quiet"] == "true" else "no"
        super().__init__(data, *args, **kwargs)

    def filter_quiet(self, queryset, name, value):
        quiet = Commitment.objects.quiet(today=timezone.localdate()).values("pk")
        if value == "yes":
            return queryset.filter(pk__in=quiet)
        if value == "no":
            return queryset.exclude(pk__in=quiet)
        return queryset

    def filter_overdue(self, queryset, name, value):
        overdue = Exists(Deadline.objects.overdue(today=timezone.localdate()).filter(commitment=OuterRef("pk")))
        if value == "yes":
            return queryset.filter(overdue)
        if value == "no":
            return queryset.exclude(overdue)
        return queryset

    @property
    def qs(self):
        qs = super().qs
        # Due-date filters with both bounds mean one deadline inside the range, not one after and another before.
        data = self.form.cleaned_data if self.form.is_valid() else {}
        if data.get("due_after") and data.get("due_before"):
            qs = self._with_deadline(qs, due_on__gte=data["due_after"], due_on__lte=data["due_before"])
        return qs


DEADLINE_STATES = [
    ("open", _("Open")),
    ("overdue", _("Overdue")),
    ("completed", _("Completed")),
    ("cancelled", _("Cancelled")),
]


class DeadlineFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method=text_search("ref", "title", "commitment__ref", "commitment__title")
    )
    scope = django_filters.ChoiceFilter(
        choices=_SCOPES, empty_label=_("Everyone's"), label=_("Whose"), method="filter_scope"
    )
    framework = RefChoiceFilter(source="framework", field_name="commitment__framework__ref", label=_("Framework"))
    organisation = RefChoiceFilter(source="organisation", label=_("Owner"), method="filter_owner")
    working_group = RefChoiceFilter(
        source="working_group", field_name="commitment__working_group__ref", label=_("Working group")
    )
    state = django_filters.ChoiceFilter(choices=DEADLINE_STATES, label=_("State"), method="filter_state")
    due_after = django_filters.DateFilter(
        field_name="due_on", lookup_expr="gte", label=_("Due from"), widget=forms.DateInput(attrs=_DATE)
    )
    due_before = django_filters.DateFilter(
        field_name="due_on", lookup_expr="lte", label=_("Due until"), widget=forms.DateInput(attrs=_DATE)
    )
    basis = BasisFilter(template=True)
    sort = django_filters.OrderingFilter(
        fields=(("due_on", "due"), ("ref", "ref"), ("commitment__ref", "commitment")), label=_("Sort by")
    )

    class Meta:
        model = Deadline
        fields: list[str] = []

    def filter_owner(self, queryset, name, value):
        owed = CommitmentOwner.objects.filter(organisation__ref=value).values("commitment")
        return queryset.filter(commitment__in=owed) if value else queryset

    def filter_scope(self, queryset, name, value):
        if value == "portfolio" and self.request is not None:
            return queryset.filter(commitment__in=_portfolio_commitments(self.request))
        return queryset

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "overdue":
            return queryset.overdue(today=timezone.localdate())
        if value == "completed":
            return queryset.filter(completed_on__isnull=False)
        if value == "cancelled":
            return queryset.filter(cancelled=True)
        return queryset


class ProjectFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=text_search("ref", "name", "note"))
    country = RefChoiceFilter(source="country", field_name="country__ref", label=_("Country"))
    framework = RefChoiceFilter(source="framework", field_name="frameworks__ref", label=_("Framework"))
    stage = django_filters.ChoiceFilter(choices=ProjectStage.choices, label=_("Stage"))
    basis = BasisFilter()
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("stage", "stage"), ("ref", "ref")), label=_("Sort by")
    )

    class Meta:
        model = Project
        fields: list[str] = []
