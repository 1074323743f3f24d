"""The overview shows the backlog (issue 12): the dashboard's charts, the calendar and the timeline open on a
window that holds the overdue deadlines and the next one, every framework is in the status chart, overdue has
its own colour and words, and the counts link to the lists they count."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone

from followups.charts import OVERDUE, Backlog
from followups.models import Status

pytestmark = pytest.mark.django_db


def _month(day: date) -> str:
    return day.strftime("%B %Y")


def test_month_chart_holds_old_overdue_deadlines_and_the_next_one(coordinator_client, commitment_factory):
    today = timezone.localdate()
    commitment_factory(due_in=-300)  # ten months late: outside a "three months back" window
    commitment_factory(due_in=200)  # the next deadline, more than three months ahead
    response = coordinator_client.get("/")
    chart = response.context["month_chart"]
    months = [c.month for c in chart.columns]
    overdue_day = today - timezone.timedelta(days=300)
    assert overdue_day.replace(day=1) in months
    assert (today + timezone.timedelta(days=200)).replace(day=1) in months
    assert sum(c.overdue for c in chart.columns) == 1
    assert sum(c.upcoming for c in chart.columns) == 1
    html = response.content.decode()
    assert "tracker-seg--overdue" in html  # the hatched overdue column is drawn


def test_a_far_next_deadline_is_named_in_words(coordinator_client, commitment_factory):
    commitment_factory(due_in=-20)
    far = commitment_factory(due_in=800)
    response = coordinator_client.get("/")
    html = response.content.decode()
    due = far.deadlines.get().due_on
    assert f"The next deadline, on {due.day} {_month(due)}, is after this chart." in html


def test_status_chart_shows_every_framework_with_overdue_apart(coordinator_client, commitment_factory):
    for _ in range(15):
        commitment_factory(due_in=10, status=Status.IN_PROGRESS)
    late = commitment_factory(due_in=-5, status=Status.IN_PROGRESS)
    response = coordinator_client.get("/")
    bars = response.context["status_chart"].bars
    assert len(bars) == 16  # not the 12 biggest
    late_bar = next(b for b in bars if b.framework == late.framework)
    assert [(s.key, s.count) for s in late_bar.segments] == [(OVERDUE, 1)]
    html = response.content.decode()
    # The count links to the list it counts, by reference, and says "overdue" in words.
    assert f'href="/commitments/?framework={late.framework.ref}&amp;overdue=yes">1 overdue</a>' in html


def test_at_risk_and_overdue_have_distinct_colours(coordinator_client, commitment_factory):
    commitment_factory(due_in=10, status=Status.AT_RISK)
    commitment_factory(due_in=-10, status=Status.AT_RISK)
    legend = {key: colour for key, _label, colour in coordinator_client.get("/").context["status_chart"].legend}
    assert legend[OVERDUE] != legend[Status.AT_RISK]


def test_calendar_lists_overdue_deadlines_of_earlier_months(coordinator_client, commitment_factory):
    late = commitment_factory(due_in=-100)
    nxt = commitment_factory(due_in=400)
    response = coordinator_client.get("/calendar/")
    html = response.content.decode()
    assert "Still open from earlier months: 1 overdue deadline" in html
    assert late.ref in html
    due = nxt.deadlines.get().due_on
    assert f"?month={due.strftime('%Y-%m')}" in html  # the way to the next deadline, one click


def test_timeline_opens_on_the_overdue_deadlines(coordinator_client, commitment_factory):
    late = commitment_factory(due_in=-250)
    response = coordinator_client.get("/calendar/timeline/")
    assert response.context["start"] <= late.deadlines.get().due_on
    assert late.ref in response.content.decode()
    assert "No deadline in this period." not in response.content.decode()


def test_backlog_window_bounds():
    today = date(2026, 12, 3)
    backlog = Backlog(today, overdue=3, oldest_overdue=date(2020, 1, 1), latest_overdue=date(2026, 8, 1), next_due=None)
    start, end = backlog.window()
    assert start == date(2025, 9, 1)  # at most 15 months back; older ones are named in words
    assert end == date(2027, 4, 1)
    assert backlog.overdue_before(start)
    near = Backlog(today, 0, None, None, next_due=date(2027, 7, 9))
    assert near.window()[1] == date(2027, 8, 1)
    assert not near.next_outside(near.window()[1])


def test_dashboard_chart_text_is_not_scaled_down(coordinator_client, commitment_factory):
    """The month chart is drawn at its own pixel size (scrolled, not shrunk), so its 12px text stays 12px."""
    commitment_factory(due_in=-10)
    html = coordinator_client.get("/").content.decode()
    svg = re.search(r'<svg viewBox="0 0 (\d+) (\d+)" width="(\d+)" height="(\d+)"', html)
    assert svg and svg.group(1) == svg.group(3) and svg.group(2) == svg.group(4)
