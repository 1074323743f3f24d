"""The dashboard's and the calendar's overview: where the backlog is, and the charts that show it.

Reads only, each in a fixed number of queries whatever the number of rows (aggregates in the database).
The charts are drawn server-side as SVG with their geometry computed here; text in them is never scaled
down (the SVG is drawn at its own pixel size, or its text is HTML), so it stays readable on a phone.

A window "that contains the backlog" starts at the oldest open overdue deadline (or a few months back) and
ends at the next deadline (or a few months ahead), each bounded so that a very old or very distant date does
not squeeze the rest into a line; what falls outside is said in words, with a link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.db.models.functions import TruncMonth

from agreements.models import Framework, Organisation
from followups.models import CLOSED_STATUSES, Deadline, Status
from followups.selectors import _month_add, commitments_for, deadlines_for
from followups.summary import reads as summary_reads

OVERDUE = "overdue"

# Colours of the USWDS palette (system tokens), one per status; overdue has its own colour and a hatch pattern,
# and the legend and tooltips name each, so colour is never the only cue.
STATUS_COLOURS = {
    OVERDUE: "#b50909",  # red-60v, hatched
    Status.NOT_STARTED: "#71767a",  # gray-50
    Status.IN_PROGRESS: "#005ea2",  # blue-60v (primary)
    Status.AT_RISK: "#c05600",  # orange-60v: at risk is a warning, overdue is the alarm
    Status.COMPLETED: "#00a91c",  # green-cool-50v
    Status.COMPLETED_LATE: "#936f38",  # gold-50
    Status.CANCELLED: "#a9aeb1",  # gray-30
}


def month_start(day: date) -> date:
    return day.replace(day=1)


# --- Where the backlog is -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    """Open deadlines behind and ahead of today: how many are overdue, from when, and when the next one is."""

    today: date
    overdue: int
    oldest_overdue: date | None
    latest_overdue: date | None
    next_due: date | None

    def window(self, *, before: int = 3, after: int = 3, max_before: int = 15, max_after: int = 12) -> tuple[date, ...]:
        """(first month, first month after the window): at least `before` months back and `after` ahead of today,
        stretched to the oldest overdue deadline (at most `max_before` months back) and to the next deadline (at
        most `max_after` months ahead)."""
        this_month = month_start(self.today)
        first = _month_add(this_month, -before)
        if self.oldest_overdue:
            first = min(first, max(month_start(self.oldest_overdue), _month_add(this_month, -max_before)))
        last = _month_add(this_month, after)
        # A next deadline beyond max_after is named in words instead (an empty year says nothing).
        if self.next_due and self.next_due < _month_add(this_month, max_after + 1):
            last = max(last, month_start(self.next_due))
        return first, _month_add(last, 1)

    def next_outside(self, end: date) -> bool:
        """Whether the next deadline falls after a window ending (exclusive) at `end`."""
        return self.next_due is not None and self.next_due >= end

    def overdue_before(self, start: date) -> bool:
        return self.oldest_overdue is not None and self.oldest_overdue < start


def deadline_backlog(*, today: date, organisations: Iterable[Organisation] | None = None) -> Backlog:
    """One query: the count and the date range of open overdue deadlines, and the next open due date (of all
    commitments: from the summaries)."""
    if organisations is None:
        return backlog_of(today=today, totals=summary_reads.deadline_totals(today=today))
    row = (
        deadlines_for(organisations)
        .open()
        .aggregate(
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            oldest=Min("due_on", filter=Q(due_on__lt=today)),
            latest=Max("due_on", filter=Q(due_on__lt=today)),
            next_due=Min("due_on", filter=Q(due_on__gte=today)),
        )
    )
    return Backlog(today, row["overdue"], row["oldest"], row["latest"], row["next_due"])


def backlog_of(*, today: date, totals: Mapping[str, Any]) -> Backlog:
    """The backlog of all commitments from the summaries' totals (summary.reads.deadline_totals): no query."""
    return Backlog(today, totals["overdue"], totals["oldest"], totals["latest"], totals["next_due"])


# --- Status of commitments per framework ------------------------------------------------------------------------


def commitment_status_rows(
    *, today: date, organisations: Iterable[Organisation] | None = None
) -> list[Mapping[str, Any]]:
    """Commitments per (framework, status, overdue): one scan that serves the counts and the status chart.

    `overdue` is true for a commitment with an open deadline past due; it is derived, never stored.
    """
    overdue = Exists(Deadline.objects.overdue(today=today).filter(commitment=OuterRef("pk")))
    return list(
        commitments_for(organisations)
        .annotate(overdue=overdue)
        .values("framework_id", "status", "overdue")
        .annotate(n=Count("pk"))
        .order_by()
    )


@dataclass
class BarSegment:
    key: str  # a status, or "overdue"
    label: str
    count: int
    start: float  # percent of the plot's width
    width: float


@dataclass
class FrameworkBar:
    framework: Framework
    total: int
    overdue: int
    segments: list[BarSegment] = field(default_factory=list)

    @property
    def description(self) -> str:
        return ", ".join(f"{s.count} {s.label.lower()}" for s in self.segments)


@dataclass
class StatusChart:
    """One bar per framework (every framework, most commitments first); widths in percent of the widest."""

    bars: list[FrameworkBar]
    legend: list[tuple[str, str, str]]  # (key, label, colour)
    max_total: int


def chart_status_by_framework(*, status_rows: Iterable[Mapping[str, Any]]) -> StatusChart:
    """Status of commitments for every framework; commitments still open with an overdue deadline are counted
    as "overdue" rather than under their status. One query (the frameworks), given the status rows."""
    from django.utils.translation import gettext as _

    per_framework: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in status_rows:
        key = OVERDUE if row["overdue"] and row["status"] not in CLOSED_STATUSES else row["status"]
        per_framework[row["framework_id"]][key] += row["n"]
    order = sorted(per_framework, key=lambda pk: (-sum(per_framework[pk].values()), pk))
    frameworks = Framework.objects.in_bulk(order)
    labels = {OVERDUE: _("Overdue"), **{s.value: str(s.label) for s in Status}}
    keys = [OVERDUE, *(s.value for s in Status)]
    max_total = max((sum(per_framework[pk].values()) for pk in order), default=0) or 1
    bars = []
    for pk in sorted(order, key=lambda pk: (-sum(per_framework[pk].values()), frameworks[pk].ref)):
        counts = per_framework[pk]
        bar = FrameworkBar(framework=frameworks[pk], total=sum(counts.values()), overdue=counts.get(OVERDUE, 0))
        x = 0.0
        for key in keys:
            n = counts.get(key, 0)
            if n:
                width = 100 * n / max_total
                bar.segments.append(BarSegment(key, labels[key], n, round(x, 2), round(width, 2)))
                x += width
        bars.append(bar)
    legend = [(key, labels[key], STATUS_COLOURS[key]) for key in keys]
    return StatusChart(bars, legend, max_total)


# --- Deadlines per month ------------------------------------------------------------------------------------------


@dataclass
class MonthColumn:
    month: date
    overdue: int
    upcoming: int
    closed: int
    x: float
    label_x: float
    parts: list[tuple[str, int, float, float]] = field(default_factory=list)  # (kind, count, y, height)
    top: float = 0

    @property
    def total(self) -> int:
        return self.overdue + self.upcoming + self.closed

    @property
    def last_day(self) -> date:
        return _month_add(self.month, 1) - timedelta(days=1)


@dataclass
class MonthChart:
    columns: list[MonthColumn]
    width: int
    height: int
    column_width: int
    bar_width: int
    baseline: float
    today_x: float | None


def chart_deadlines_per_month(
    *, today: date, start: date, end: date, organisations: Iterable[Organisation] | None = None
) -> MonthChart:
    """Deadlines due per month from `start` to before `end`: overdue (open, past due), open ahead, and closed
    (completed or cancelled). One query (all commitments: from the summaries). Drawn at its own size (40 px a month)
    and scrolled if wider."""
    if organisations is None:
        by_month = summary_reads.deadline_months(today=today, start=start, end=end)
    else:
        by_month = _deadline_months(today=today, start=start, end=end, organisations=organisations)
    months = []
    m = start
    while m < end:
        months.append(m)
        m = _month_add(m, 1)
    max_count = max((sum(by_month.get(m, (0, 0, 0))) for m in months), default=0) or 1
    column_width, bar_width, top, plot_height, left = 44, 30, 22, 150, 4
    baseline = top + plot_height
    columns = []
    today_x = None
    for i, month in enumerate(months):
        overdue, upcoming, closed = by_month.get(month, (0, 0, 0))
        x = left + i * column_width + (column_width - bar_width) / 2
        column = MonthColumn(month, overdue, upcoming, closed, x=x, label_x=left + i * column_width + column_width / 2)
        y: float = baseline
        for kind, n in (("closed", closed), ("upcoming", upcoming), (OVERDUE, overdue)):
            if n:
                h = plot_height * n / max_count
                y -= h
                column.parts.append((kind, n, round(y, 1), round(h, 1)))
        column.top = round(y - 6, 1)
        columns.append(column)
        if month == month_start(today):
            days = (_month_add(month, 1) - month).days
            today_x = round(left + i * column_width + column_width * (today.day - 0.5) / days, 1)
    width = left * 2 + len(months) * column_width
    return MonthChart(columns, width, baseline + 40, column_width, bar_width, baseline, today_x)


def _deadline_months(
    *, today: date, start: date, end: date, organisations: Iterable[Organisation]
) -> dict[date, tuple[int, int, int]]:
    """A portfolio's deadlines per month (overdue, open ahead, closed), live through the owners. One query."""
    rows = (
        deadlines_for(organisations)
        .filter(due_on__gte=start, due_on__lt=end)
        .annotate(month=TruncMonth("due_on"))
        .values("month")
        .annotate(
            overdue=Count("pk", filter=Q(completed_on__isnull=True, cancelled=False, due_on__lt=today)),
            upcoming=Count("pk", filter=Q(completed_on__isnull=True, cancelled=False, due_on__gte=today)),
            closed=Count("pk", filter=Q(completed_on__isnull=False) | Q(cancelled=True)),
        )
        .order_by()
    )
    by_month = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        by_month[month] = (row["overdue"], row["upcoming"], row["closed"])
    return by_month
