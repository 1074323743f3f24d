"""List filters for frameworks, organisations and working groups (django-filter); the filter lives in the URL."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.filter_choices import fast_selects, ref_choices_fill
from agreements.models import (
    Basis,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    Organisation,
    OrganisationKind,
    WorkingGroup,
)


def uswds_widgets(form: forms.Form) -> None:
    """Give each field the USWDS class its widget needs (usa-input, usa-select, usa-checkbox__input)."""
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "usa-select"
        elif isinstance(widget, forms.CheckboxInput):
            css = "usa-checkbox__input"
        elif isinstance(widget, forms.Textarea):
            css = "usa-textarea"
        elif isinstance(widget, forms.ClearableFileInput | forms.FileInput):
            css = "usa-file-input"
        else:
            css = "usa-input"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


_DASHES = "---------"


class StyledFilterSet(django_filters.FilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ref_choices_fill(self)  # the options of every record choice, in one query
        fast_selects(self.form)
        uswds_widgets(self.form)
        # The empty choice says what it means ("Any"), not django-filter's "---------".
        for field in self.form.fields.values():
            if getattr(field, "empty_label", None) == _DASHES:
                field.empty_label = _("Any")
                field.widget.choices = field.choices  # the widget took a copy of the choices at creation


def text_search(*fields: str):
    def method(queryset, name, value):
        if not value:
            return queryset
        query = Q()
        for f in fields:
            query |= Q(**{f"{f}__icontains": value.strip()})
        return queryset.filter(query)

    return method


class BasisFilter(django_filters.ChoiceFilter):
    """`basis=sourced|template|illustrative`: the rows of that basis by their model's own rule (`provenance_q`,
    the same as the marks on the pages, the exports' Basis column and the API). The staff lists and the API."""

    def __init__(self, *, template: bool = False, **kwargs) -> None:
        # Only deadlines' rules may be copied from a template: the other records are sourced or illustrative.
        kwargs.setdefault("choices", Basis.choices if template else Basis.record_choices())
        kwargs.setdefault("label", _("Basis"))
        super().__init__(**kwargs)

    def filter(self, qs, value):
        return qs.filter(qs.model.provenance_q(value)) if value else qs


class FrameworkFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=text_search("ref", "title", "short_title", "summary"))
    kind = django_filters.ChoiceFilter(choices=FrameworkKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=FrameworkStatus.choices, label=_("Status"))
    organisation = django_filters.ModelChoiceFilter(
        to_field_name="ref",
        queryset=Organisation.objects.order_by("name"),
        label=_("Party"),
        method="filter_party",
    )
    signed_after = django_filters.DateFilter(
        field_name="signed_on",
        lookup_expr="gte",
        label=_("Signed from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    signed_before = django_filters.DateFilter(
        field_name="signed_on",
        lookup_expr="lte",
        label=_("Signed until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    basis = BasisFilter()
    sort = django_filters.OrderingFilter(
        fields=(
            ("ref", "ref"),
            ("title", "title"),
            ("signed_on", "signed"),
            ("status", "status"),
            ("n_commitments", "commitments"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = Framework
        fields: list[str] = []

    def filter_party(self, queryset, name, value):
        return queryset.filter(parties__organisation=value) if value else queryset


class OrganisationFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=text_search("ref", "name", "iso_alpha2"))
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, label=_("Kind"))
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("ref", "ref"), ("kind", "kind"), ("n_owed", "owed")), label=_("Sort by")
    )

    class Meta:
        model = Organisation
        fields: list[str] = []


class WorkingGroupFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method=text_search("ref", "name", "mandate"))
    framework = django_filters.ModelChoiceFilter(
        to_field_name="ref", queryset=Framework.objects.order_by("ref"), label=_("Framework")
    )
    organisation = django_filters.ModelChoiceFilter(
        to_field_name="ref", queryset=Organisation.objects.order_by("name"), label=_("Member"), field_name="members"
    )
    basis = BasisFilter()
    sort = django_filters.OrderingFilter(fields=(("ref", "ref"), ("name", "name")), label=_("Sort by"))

    class Meta:
        model = WorkingGroup
        fields: list[str] = []
