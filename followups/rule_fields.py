"""A deadline rule as a clerk enters it: "6 months" after an anchor, "repeat every 3 months".

Form fields for the admin's rule form (followups/admin.py): a number and a unit in, the stored text out, through
the pure rules of followups/deadlines.py, so the admin stores exactly what the loader stores (P6M,
FREQ=MONTHLY;INTERVAL=3). The clerk never types an ISO-8601 offset or an RRULE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from followups.deadlines import (
    SPAN_UNITS,
    RuleError,
    offset_of_span,
    recurrence_of_span,
    span_of_offset,
    span_of_recurrence,
)

UNIT_CHOICES = [
    ("", _("unit")),
    ("days", _("days")),
    ("weeks", _("weeks")),
    ("months", _("months")),
    ("years", _("years")),
]
assert [value for value, _label in UNIT_CHOICES[1:]] == list(SPAN_UNITS)  # noqa: S101 - one list of units


class SpanWidget(forms.MultiWidget):
    """A number box and a unit picker; the stored text (P6M) is read back into them."""

    def __init__(self, *, read: Callable[[str | None], tuple[int, str] | None], unit_label: str, attrs=None):
        self.read = read
        widgets = [
            forms.NumberInput(attrs={"min": "1", "step": "1", "class": "vIntegerField tracker-span-number"}),
            forms.Select(choices=UNIT_CHOICES, attrs={"aria-label": unit_label, "class": "tracker-span-unit"}),
        ]
        super().__init__(widgets, attrs)

    def id_for_label(self, id_: str) -> str:
        # The field's label names the number box (the unit picker has its own aria-label).
        return f"{id_}_0" if id_ else ""

    def decompress(self, value: Any) -> list[Any]:
        span = self.read(value) if value else None
        return list(span) if span else [None, ""]


class SpanField(forms.MultiValueField):
    """A number of days, weeks, months or years, stored as text by `write` (blank when both are empty)."""

    def __init__(
        self,
        *,
        read: Callable[[str | None], tuple[int, str] | None],
        write: Callable[[int, str], object],
        unit_label: str,
        **kwargs: Any,
    ):
        self.write = write
        fields = (
            forms.IntegerField(required=False, error_messages={"invalid": _("Enter a whole number, such as 6.")}),
            forms.ChoiceField(choices=UNIT_CHOICES, required=False),
        )
        kwargs.setdefault("required", False)
        super().__init__(
            fields, require_all_fields=False, widget=SpanWidget(read=read, unit_label=unit_label), **kwargs
        )

    def compress(self, data_list: list[Any]) -> str:
        number, unit = (list(data_list) + [None, ""])[:2]
        if number in (None, "") and not unit:
            return ""
        if number in (None, ""):
            raise ValidationError(
                _("Enter how many %(unit)s.") % {"unit": dict(UNIT_CHOICES)[unit]}, code="number_missing"
            )
        if number < 1:
            raise ValidationError(_("Enter a number of 1 or more (%(number)s was entered).") % {"number": number})
        if not unit:
            raise ValidationError(_("Choose days, weeks, months or years."), code="unit_missing")
        try:
            return str(self.write(number, unit))
        except RuleError as exc:  # pragma: no cover - the checks above are the rule's own
            raise ValidationError(str(exc)) from exc


def offset_field() -> SpanField:
    return SpanField(
        read=span_of_offset,
        write=offset_of_span,
        unit_label=str(_("Due after the anchor: unit")),
        label=_("Due after the anchor"),
        help_text=_("A number and a unit, such as 6 months or 180 days. Leave both empty for the anchor's own day."),
    )


def recurrence_field() -> SpanField:
    return SpanField(
        read=span_of_recurrence,
        write=recurrence_of_span,
        unit_label=str(_("Repeat every: unit")),
        label=_("Repeat every"),
        help_text=_("Only for an obligation that comes back, such as 3 months for a quarterly report."),
    )


def representable(read: Callable[[str | None], object], value: str | None) -> bool:
    """Whether a stored rule can be shown as a number and a unit (else the form keeps the stored text)."""
    try:
        read(value)
    except RuleError:
        return False
    return True
