"""The deadline arithmetic, checked on examples from the texts and by Hypothesis over all dates."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followups.deadlines import Offset, Recurrence, RuleError, compute_due_date

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.parametrize(
    ("anchor", "offset", "due"),
    [
        (date(2025, 10, 20), "P6M", date(2026, 4, 20)),  # US-Australia: six months
        (date(2025, 10, 20), "P180D", date(2026, 4, 18)),  # US-Australia: 180 days, a different deadline
        (date(2025, 8, 31), "P6M", date(2026, 2, 28)),  # clamped to the month's end
        (date(2027, 8, 31), "P6M", date(2028, 2, 29)),  # ... 29 in a leap year
        (date(2024, 2, 29), "P1Y", date(2025, 2, 28)),
        (date(2026, 2, 4), "P30D", date(2026, 3, 6)),  # EU-US MoU within 30 days
        (date(2025, 12, 4), "P3Y", date(2028, 12, 4)),
        (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
        (date(2026, 3, 19), "", date(2026, 3, 19)),
        (date(2026, 3, 19), "P2W", date(2026, 4, 2)),
        (date(2026, 1, 31), "P1Y1M1D", date(2027, 3, 1)),
    ],
)
def test_due_dates_from_the_texts(anchor, offset, due):
    assert compute_due_date(anchor, offset) == due


@pytest.mark.parametrize("text", ["6M", "P", "PT6H", "P6X", "P-1D", "six months", "P1.5M"])
def test_malformed_offsets_are_refused_with_the_offending_text(text):
    with pytest.raises(RuleError, match="offset"):
        Offset.parse(text)


@given(dates, st.integers(min_value=0, max_value=3650))
def test_days_are_days(anchor, days):
    assert compute_due_date(anchor, f"P{days}D") == anchor + timedelta(days=days)


@given(dates, st.integers(min_value=1, max_value=120))
def test_months_land_in_the_right_month_clamped_to_its_end(anchor, months):
    due = compute_due_date(anchor, f"P{months}M")
    month_index = anchor.year * 12 + anchor.month - 1 + months
    assert due.year * 12 + due.month - 1 == month_index
    last_day = calendar.monthrange(due.year, due.month)[1]
    assert due.day == min(anchor.day, last_day)


@given(dates, st.integers(min_value=1, max_value=120))
def test_an_offset_never_goes_backwards_and_months_stay_within_a_month_of_the_day_count(anchor, months):
    due = compute_due_date(anchor, f"P{months}M")
    assert due > anchor
    # A month is 28 to 31 days: the clamped result is within those bounds of the anchor.
    assert 28 * months - 3 <= (due - anchor).days <= 31 * months


@given(dates, st.integers(min_value=1, max_value=10))
def test_years_are_twelve_months(anchor, years):
    assert compute_due_date(anchor, f"P{years}Y") == compute_due_date(anchor, f"P{12 * years}M")


@given(st.sampled_from(["P6M", "P180D", "P1Y", "P3M", "P2W", "P1Y6M"]))
def test_offsets_print_back_as_they_parse(text):
    assert str(Offset.parse(text)) == text


@pytest.mark.parametrize(
    ("rule", "first", "index", "expected"),
    [
        ("FREQ=MONTHLY;INTERVAL=3", date(2026, 1, 26), 1, date(2026, 4, 26)),  # Malaysia quarterly meetings
        ("FREQ=YEARLY;INTERVAL=3", date(2028, 12, 4), 1, date(2031, 12, 4)),  # DRC review forum
        ("FREQ=MONTHLY", date(2026, 1, 31), 1, date(2026, 2, 28)),  # clamped, not skipped
        ("FREQ=MONTHLY", date(2026, 1, 31), 2, date(2026, 3, 31)),  # and no drift after clamping
        ("P6M", date(2026, 8, 31), 1, date(2027, 2, 28)),
    ],
)
def test_recurrence_occurrences(rule, first, index, expected):
    assert Recurrence.parse(rule).occurrence(first, index) == expected


def test_recurrence_next_occurrence_matches_the_dataset():
    quarterly = Recurrence.parse("FREQ=MONTHLY;INTERVAL=3")
    # CMT-MY-01: first due 2026-01-26; the dataset's next_due_date on/after 2026-03-15 is 2026-04-26.
    assert quarterly.next_on_or_after(date(2026, 1, 26), date(2026, 3, 15)) == date(2026, 4, 26)
    assert quarterly.next_on_or_after(date(2026, 1, 26), date(2026, 4, 26)) == date(2026, 4, 26)
    assert quarterly.next_after(date(2026, 1, 26), date(2026, 4, 26)) == date(2026, 7, 26)


@pytest.mark.parametrize("rule", ["FREQ=HOURLY", "FREQ=MONTHLY;BYDAY=MO", "every month", "P1M2D"])
def test_unsupported_recurrences_are_refused(rule):
    with pytest.raises(RuleError, match="recurrence"):
        Recurrence.parse(rule)


@given(
    st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    st.integers(min_value=1, max_value=12),
    dates,
    st.integers(min_value=0, max_value=4000),
)
def test_next_occurrence_is_the_first_on_or_after(freq, interval, first, days_later):
    rule = Recurrence(freq=freq, interval=interval)
    when = first + timedelta(days=days_later)
    found = rule.next_on_or_after(first, when)
    assert found >= when
    # It is an occurrence, and the one before it (if any) is before `when`.
    index = next(i for i in range(100_000) if rule.occurrence(first, i) >= found)
    assert rule.occurrence(first, index) == found
    assert index == 0 or rule.occurrence(first, index - 1) < when
