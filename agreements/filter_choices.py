"""Choices of records (a framework, an owner, a working group, a country) in the staff lists' filters, by
reference: every such field of a filter gets its options from one query, rendered without a template per option.

django-filter's ModelChoiceFilter runs one query per field for its options (three on the commitments list) and
Django renders each of their ~170 options through two templates: together a quarter of the list's time (issue 15).
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from agreements.models import Framework, Organisation, WorkingGroup


@dataclass(frozen=True)
class Source:
    """Where a choice's options come from: the records, their label as their __str__ gives it, their order."""

    queryset: Any  # a callable returning the QuerySet (the models' managers are read at request time)
    label: Any
    order: str


SOURCES: dict[str, Source] = {
    "framework": Source(
        lambda: Framework.objects.all(), Coalesce(NullIf(F("short_title"), Value("")), F("title")), "ref"
    ),
    "organisation": Source(lambda: Organisation.objects.all(), F("name"), "name"),
    "country": Source(lambda: Organisation.objects.countries(), F("name"), "name"),
    "working_group": Source(lambda: WorkingGroup.objects.all(), F("name"), "ref"),
}


class FastSelect(forms.Select):
    """A <select> written in Python: the same markup as Django's template (attributes, `selected`), without
    rendering two templates per option."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        chosen = frozenset(str(v) for v in self.format_value(value))
        choices = tuple(("" if option is None else str(option), str(label)) for option, label in self.choices)
        select = f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>'
        return mark_safe(select + _options(choices, chosen) + "</select>")  # noqa: S308 - escaped in _options


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[str, str], ...], chosen: frozenset[str]) -> str:
    """The <option>s, written once per distinct set of options and choice (the same on most requests), escaped
    as Django's escape does (html.escape)."""
    return "".join(
        f'<option value="{html.escape(option)}"{" selected" if option in chosen else ""}>{html.escape(label)}</option>'
        for option, label in choices
    )


class RefChoiceFilter(django_filters.ChoiceFilter):
    """A record chosen by its reference (`?framework=FW-US-AU`): filters on `<field_name>` (a `..._ref` path)
    or through `method`, which receives the reference. Its options are filled by `ref_choices_fill`."""

    def __init__(self, *, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("choices", [])
        kwargs.setdefault("widget", FastSelect)
        super().__init__(**kwargs)


def ref_choices_fill(filterset: django_filters.FilterSet) -> None:
    """Give every RefChoiceFilter of `filterset` its options, all from one query (UNION ALL of the sources)."""
    wanted = {name: f.source for name, f in filterset.filters.items() if isinstance(f, RefChoiceFilter)}
    if not wanted:
        return
    sources = sorted(set(wanted.values()))
    parts: list[QuerySet] = [
        SOURCES[s]
        .queryset()
        .order_by()
        .annotate(_kind=Value(i), _label=SOURCES[s].label, _order=F(SOURCES[s].order))
        .values_list("_kind", "ref", "_label", "_order")
        for i, s in enumerate(sources)
    ]
    rows = (parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]).order_by("_kind", "_order")
    options: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for kind, ref, label, _order in rows:
        options[sources[kind]].append((ref, label))
    for name, source in wanted.items():
        if name in filterset.form.fields:
            filterset.form.fields[name].choices = options[source]


def fast_selects(form: forms.Form) -> None:
    """Every plain <select> of `form` written by FastSelect (the same markup, a fraction of the time)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget = FastSelect(attrs=field.widget.attrs, choices=field.widget.choices)
