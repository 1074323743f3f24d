"""A rule as a number and a unit (followups/deadlines.py, the admin's rule widget): read back from what is stored,
written as the loader stores it, and a stored rule with no such form is kept as text rather than lost."""

from datetime import date

import pytest
from django import forms

from followups.admin import DeadlineRuleForm
from followups.deadlines import (
    SPAN_UNITS,
    Offset,
    Recurrence,
    RuleError,
    offset_of_span,
    recurrence_of_span,
    span_of_offset,
    span_of_recurrence,
    upcoming_due_dates,
)
from followups.models import Deadline


@pytest.mark.parametrize("unit", SPAN_UNITS)
@pytest.mark.parametrize("number", [1, 6, 180])
def test_a_span_is_stored_as_the_loader_stores_it_and_read_back(number, unit):
    offset = str(offset_of_span(number, unit))
    assert offset == f"P{number}{unit[0].upper()}"  # P6M, P180D, P1Y, P2W
    assert span_of_offset(offset) == (number, unit)
    recurrence = str(recurrence_of_span(number, unit))
    assert str(Recurrence.parse(recurrence)) == recurrence  # FREQ=MONTHLY;INTERVAL=6, as the loader normalises
    assert span_of_recurrence(recurrence) == (number, unit)


def test_two_units_are_read_in_the_smaller_when_the_dates_are_the_same():
    assert span_of_offset("P1Y6M") == (18, "months")
    assert span_of_offset("P1W3D") == (10, "days")
    anchor = date(2025, 8, 31)
    assert Offset.parse("P1Y6M").after(anchor) == offset_of_span(18, "months").after(anchor)
    assert span_of_offset("") is None and span_of_recurrence("") is None
    with pytest.raises(RuleError, match="mixes months and days"):
        span_of_offset("P1M2D")


def test_a_number_below_one_or_an_unknown_unit_is_refused():
    with pytest.raises(RuleError):
        offset_of_span(0, "months")
    with pytest.raises(RuleError):
        offset_of_span(3, "fortnights")


def test_upcoming_due_dates_clamp_to_the_month_end():
    quarterly = Recurrence.parse("FREQ=MONTHLY;INTERVAL=3")
    assert upcoming_due_dates(date(2026, 8, 31), quarterly) == [
        date(2026, 8, 31),
        date(2026, 11, 30),
        date(2027, 2, 28),
    ]
    assert upcoming_due_dates(date(2026, 4, 20), None) == [date(2026, 4, 20)]


def test_a_stored_rule_with_no_single_unit_keeps_its_text_box():
    form = DeadlineRuleForm(instance=Deadline(offset="P1M2D", recurrence="FREQ=MONTHLY"))
    assert isinstance(form.fields["offset"], forms.CharField)  # nothing lost on save
    assert form["recurrence"].value() == "FREQ=MONTHLY"
    assert "recurrence_0" in str(form["recurrence"])  # the repeat is shown as 1 month
