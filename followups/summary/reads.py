"""The dashboard of all commitments, read from the summaries (followups.summary.models): each read is one query over
a few thousand rows at most, whatever the number of commitments and deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from followups.models import DEFAULT_QUIET_DAYS
from followups.summary.counts import before_q
from followups.summary.models import (
    DashboardCommitmentActivity,
    DashboardCommitmentCount,
    DashboardCommitmentDue,
    DashboardDeadlineDay,
)


def _sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("n", filter=condition), 0)


def deadline_totals(*, today: date) -> dict[str, Any]:
    """Open deadlines overdue / due within 7 and 30 days, of all and of the sourced (`sourced_*`), and the backlog's
    dates (oldest and latest overdue, next due). One query."""
    open_ = Q(is_open=True)
    windows = {
        "overdue": Q(day__lt=today),
        "due_7": Q(day__gte=today, day__lte=today + timedelta(days=7)),
        "due_30": Q(day__gte=today, day__lte=today + timedelta(days=30)),
    }
    sums = {name: _sum(open_ & q) for name, q in windows.items()}
    sums |= {f"sourced_{name}": _sum(open_ & q & Q(sourced=True)) for name, q in windows.items()}
    held = open_ & Q(n__gt=0)
    return DashboardDeadlineDay.objects.aggregate(
        **sums,
        oldest=Min("day", filter=held & Q(day__lt=today)),
        latest=Max("day", filter=held & Q(day__lt=today)),
        next_due=Min("day", filter=held & Q(day__gte=today)),
    )


def commitment_totals() -> list[tuple[int, str, bool, int]]:
    """(framework id, status, sourced, commitments). One query."""
    return list(DashboardCommitmentCount.objects.filter(n__gt=0).values_list("framework_id", "status", "sourced", "n"))


def overdue_by_framework(*, today: date) -> dict[tuple[int, str], int]:
    """Open commitments with an open deadline past due, per (framework id, status). One query."""
    rows = (
        DashboardCommitmentDue.objects.filter(before_q(today))
        .values("framework_id", "status")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("framework_id", "status", "total")
    )
    return {(fw, status): n for fw, status, n in rows if n}


def status_rows(*, today: date, totals: list[tuple[int, str, bool, int]]) -> list[Mapping[str, Any]]:
    """Commitments per (framework, status, overdue), as charts.commitment_status_rows gives them. One query."""
    per_status: dict[tuple[int, str], int] = {}
    for fw, status, _sourced, n in totals:
        per_status[(fw, status)] = per_status.get((fw, status), 0) + n
    overdue = overdue_by_framework(today=today)
    rows: list[Mapping[str, Any]] = []
    for (fw, status), n in per_status.items():
        late = overdue.get((fw, status), 0)
        for flag, k in ((True, late), (False, n - late)):
            if k:
                rows.append({"framework_id": fw, "status": status, "overdue": flag, "n": k})
    return rows


def quiet_count(*, today: date) -> int:
    """Open commitments with no status update for longer than their window, as CommitmentQuerySet.quiet counts them
    (the framework's reminder policy overrides the default of its priority). Two queries."""
    from followups.reminders.models import ReminderPolicy

    condition = Q()
    overridden: dict[str, list[int]] = {p: [] for p in DEFAULT_QUIET_DAYS}
    for policy in ReminderPolicy.objects.filter(framework__isnull=False):
        for priority in DEFAULT_QUIET_DAYS:
            days = getattr(policy, f"quiet_days_{priority}")
            if days and policy.framework_id is not None:
                overridden[priority].append(policy.framework_id)
                condition |= Q(framework_id=policy.framework_id, priority=priority) & before_q(
                    today - timedelta(days=days)
                )
    for priority, days in DEFAULT_QUIET_DAYS.items():
        condition |= (
            Q(priority=priority) & ~Q(framework_id__in=overridden[priority]) & before_q(today - timedelta(days=days))
        )
    return DashboardCommitmentActivity.objects.filter(condition).aggregate(total=_sum(Q()))["total"]


def deadline_months(*, today: date, start: date, end: date) -> dict[date, tuple[int, int, int]]:
    """Deadlines due per month from `start` to before `end`: (overdue, open ahead, closed). One query."""
    rows = (
        DashboardDeadlineDay.objects.filter(day__gte=start, day__lt=end)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            overdue=_sum(Q(is_open=True, day__lt=today)),
            upcoming=_sum(Q(is_open=True, day__gte=today)),
            closed=_sum(Q(is_open=False)),
        )
        .order_by()
    )
    by_month = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        by_month[month] = (row["overdue"], row["upcoming"], row["closed"])
    return by_month
