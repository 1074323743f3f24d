"""Keep, rebuild and read the dashboard's summary tables (followups.summary.models).

`dashboard_summary_refresh(commitment_ids)` is the one service every door calls after it creates, edits, closes,
reopens or deletes commitments or deadlines or records a status update, in the transaction of the change
(`services.deadlines_changed` calls it for every change of deadlines). Set-based: one call for a loader's whole set
is a few statements per 2,000 commitments.

How it stays right under concurrent transactions: each commitment's `DashboardContribution` row is locked first
(two refreshes of one commitment take turns), then the commitment and its deadlines are read (READ COMMITTED: the
statement sees what committed before the lock was granted), and the difference between what it counted and what it
counts now is added to the summaries with `n = n + delta` upserts, in a fixed order of keys. The last refresh of a
commitment to commit has therefore read every change committed before it.

Only the all-commitments scope (the coordinator's view) reads the summaries. A desk officer's portfolio keeps its
live queries: they are restricted through the owners' index, so their cost follows the portfolio's size, not the
table's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate

from followups.models.choices import CLOSED_STATUSES
from followups.models.deadlines import UNSOURCED_BASES

# Commitments per refresh statement: within every database's limit of parameters.
_CHUNK = 2000


# --- What one commitment counts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """A commitment's contribution: its own key (status empty: none) and its deadlines' keys."""

    framework_id: int | None
    status: str
    sourced: bool
    priority: str
    next_due: date | None
    last_activity: date | None
    deadlines: tuple[tuple[str, bool, bool], ...]


NOTHING = Counted(None, "", False, "", None, None, ())


def buckets(day: date) -> list[tuple[str, date]]:
    """The three rows a date is counted in (followups.summary.models.Grain)."""
    return [("Y", date(day.year, 1, 1)), ("M", day.replace(day=1)), ("D", day)]


def before_q(threshold: date) -> Q:
    """Rows of a grained summary whose dates, counted once each, are before `threshold`."""
    year, month = date(threshold.year, 1, 1), threshold.replace(day=1)
    return (
        Q(grain="Y", day__lt=year)
        | Q(grain="M", day__gte=year, day__lt=month)
        | Q(grain="D", day__gte=month, day__lt=threshold)
    )


def _keys(counted: Counted) -> Iterator[tuple[str, tuple]]:
    """(summary table, key) for each row this contribution adds one to."""
    if counted.status:
        yield "count", (counted.framework_id, counted.status, counted.sourced)
        if counted.next_due is not None:
            for grain, day in buckets(counted.next_due):
                yield "due", (counted.framework_id, counted.status, grain, day)
        if counted.last_activity is not None:
            for grain, day in buckets(counted.last_activity):
                yield "activity", (counted.framework_id, counted.priority, grain, day)
    for iso_day, is_open, sourced in counted.deadlines:
        yield "deadline", (date.fromisoformat(iso_day), is_open, sourced)


# --- Refresh ----------------------------------------------------------------------------------------------------


# Commitments noted inside `dashboard_summary_refresh_deferred` (None outside it), for this thread or task only.
_deferred: ContextVar[set[int] | None] = ContextVar("dashboard_summary_deferred", default=None)


def dashboard_summary_refresh(commitment_ids: Iterable[int | None], *, apps: Any = global_apps) -> int:
    """Bring the summaries up to date for these commitments (existing or deleted) and their deadlines, in the
    caller's transaction. Inside `dashboard_summary_refresh_deferred` it only notes them. Safe to run twice.
    Returns the number of commitments whose contribution changed."""
    ids = {pk for pk in commitment_ids if pk is not None}
    deferred = _deferred.get()
    if deferred is not None:
        deferred.update(ids)
        return 0
    ordered = sorted(ids)
    changed = 0
    with transaction.atomic():
        for i in range(0, len(ordered), _CHUNK):
            changed += _refresh_chunk(ordered[i : i + _CHUNK], _Models(apps))
    return changed


@contextmanager
def dashboard_summary_refresh_deferred() -> Iterator[None]:
    """Refresh once, at the end of a bulk change (the loader), every commitment the block named. If the block raises,
    nothing is refreshed (and the caller's transaction rolls back)."""
    noted: set[int] = set()
    token = _deferred.set(noted)
    try:
        yield
    finally:
        _deferred.reset(token)
    dashboard_summary_refresh(noted)


class _Models:
    """The models, from the running app or from a migration's historical registry."""

    def __init__(self, apps: Any) -> None:
        get = apps.get_model
        self.commitment = get("followups", "Commitment")
        self.deadline = get("followups", "Deadline")
        self.status_update = get("followups", "StatusUpdate")
        self.contribution = get("followups", "DashboardContribution")
        self.tables = {
            "count": get("followups", "DashboardCommitmentCount"),
            "due": get("followups", "DashboardCommitmentDue"),
            "activity": get("followups", "DashboardCommitmentActivity"),
            "deadline": get("followups", "DashboardDeadlineDay"),
        }


_KEY_FIELDS = {
    "count": ("framework_id", "status", "sourced"),
    "due": ("framework_id", "status", "grain", "day"),
    "activity": ("framework_id", "priority", "grain", "day"),
    "deadline": ("day", "is_open", "sourced"),
}


def _refresh_chunk(ids: list[int], m: _Models) -> int:
    Contribution = m.contribution
    # A row for each commitment first (counting nothing if new), so that the lock below always has a row to hold.
    Contribution.objects.bulk_create([Contribution(commitment_id=pk) for pk in ids], ignore_conflicts=True)
    rows = Contribution.objects.select_for_update().filter(commitment_id__in=ids).order_by("commitment_id")
    old = {row.commitment_id: _as_counted(row) for row in rows}
    new = _counted_now(ids, m)
    delta: Counter[tuple[str, tuple]] = Counter()
    changed = []
    for pk in ids:
        before, now = old.get(pk, NOTHING), new.get(pk, NOTHING)
        if before == now:
            continue
        changed.append(pk)
        delta.update(_keys(now))
        delta.subtract(_keys(before))
    _add(delta, m)
    _store(changed, new, m)
    return len(changed)


def _as_counted(row: Any) -> Counted:
    return Counted(
        row.framework_id,
        row.status,
        row.sourced,
        row.priority,
        row.next_due,
        row.last_activity,
        tuple((d, bool(o), bool(s)) for d, o, s in row.deadlines),
    )


def _counted_now(ids: list[int], m: _Models) -> dict[int, Counted]:
    """What each existing commitment of `ids` counts according to the tables: two queries."""
    updates = m.status_update.objects.filter(commitment=OuterRef("pk")).order_by().values("commitment")
    latest = Subquery(updates.annotate(last=Max("happened_on")).values("last"))
    commitments = (
        m.commitment.objects.filter(pk__in=ids)
        .annotate(
            # As CommitmentQuerySet.with_last_update: the last status update's day, else the day it was entered.
            activity=Coalesce(latest, TruncDate("created_at"))
        )
        .values_list("pk", "framework_id", "status", "status_basis", "illustrative", "priority", "activity")
    )
    deadlines: dict[int, list[tuple[date, bool, str]]] = {}
    for cid, due_on, completed_on, cancelled, basis in (
        m.deadline.objects.filter(commitment_id__in=ids)
        .order_by()
        .values_list("commitment_id", "due_on", "completed_on", "cancelled", "basis")
    ):
        deadlines.setdefault(cid, []).append((due_on, completed_on is None and not cancelled, basis))
    counted = {}
    for pk, framework_id, status, status_basis, illustrative, priority, activity in commitments:
        mine = deadlines.get(pk, [])
        is_open = status not in CLOSED_STATUSES
        open_days = [due for due, still_open, _basis in mine if still_open]
        counted[pk] = Counted(
            framework_id,
            status,
            not illustrative and status_basis == "sourced",
            priority,
            min(open_days) if is_open and open_days else None,
            activity if is_open else None,
            tuple(
                sorted(
                    (due.isoformat(), still_open, not illustrative and basis not in UNSOURCED_BASES)
                    for due, still_open, basis in mine
                )
            ),
        )
    return counted


def _add(delta: Counter[tuple[str, tuple]], m: _Models) -> None:
    """`n = n + delta` for each key, one upsert per table, keys in a fixed order (no deadlock between two)."""
    for table, fields in _KEY_FIELDS.items():
        rows = sorted((key, n) for (name, key), n in delta.items() if name == table and n)
        if not rows:
            continue
        model = m.tables[table]
        db_table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f) for f in fields)
        values = ", ".join(["(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"] * len(rows))
        sql = (
            f"INSERT INTO {db_table} ({columns}, n) VALUES {values} "  # noqa: S608 (names from the models, values bound)
            f"ON CONFLICT ({columns}) DO UPDATE SET n = {db_table}.n + EXCLUDED.n"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for key, n in rows for value in (*key, n)])


def _store(changed: list[int], new: dict[int, Counted], m: _Models) -> None:
    """Write what each changed commitment counts now; a deleted commitment's row goes."""
    Contribution = m.contribution
    gone = [pk for pk in changed if pk not in new]
    if gone:
        Contribution.objects.filter(commitment_id__in=gone).delete()
    rows = [
        Contribution(
            commitment_id=pk,
            framework_id=c.framework_id,
            status=c.status,
            sourced=c.sourced,
            priority=c.priority,
            next_due=c.next_due,
            last_activity=c.last_activity,
            deadlines=[list(d) for d in c.deadlines],
        )
        for pk in changed
        if (c := new.get(pk)) is not None
    ]
    if rows:
        fields = ["framework_id", "status", "sourced", "priority", "next_due", "last_activity", "deadlines"]
        Contribution.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["commitment_id"], update_fields=fields, batch_size=1000
        )


# --- Rebuild ----------------------------------------------------------------------------------------------------


def dashboard_summary_rebuild(*, apps: Any = global_apps) -> int:
    """Empty the summaries and count every commitment and deadline again from the tables, in one transaction (other
    refreshes wait for it on PostgreSQL). For a data migration, `manage.py dashboard_summary_rebuild` and a check
    that the kept summaries equal a rebuild. Safe to run twice. Returns the number of commitments counted."""
    m = _Models(apps)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {m.contribution._meta.db_table} IN EXCLUSIVE MODE")
        m.contribution.objects.all().delete()
        for model in m.tables.values():
            model.objects.all().delete()
        ids = list(m.commitment.objects.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(ids), _CHUNK):
            _refresh_chunk(ids[i : i + _CHUNK], m)
    return len(ids)


def dashboard_summary_snapshot(*, apps: Any = global_apps) -> dict[str, dict[tuple, int]]:
    """Every non-zero count of every summary, by table and key: what a test compares with a rebuild."""
    m = _Models(apps)
    return {
        table: {tuple(row[:-1]): row[-1] for row in m.tables[table].objects.exclude(n=0).values_list(*fields, "n")}
        for table, fields in _KEY_FIELDS.items()
    }


def dashboard_summary_vacuum() -> bool:
    """After a rebuild (a restore, the command): on PostgreSQL and outside a transaction, VACUUM ANALYZE the summary
    tables, whose counters the rebuild rewrote once per chunk of commitments (1,000,000 commitments left about
    1,150,000 dead rows under 15,000 live ones in one table). False where there is nothing to do."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    m = _Models(global_apps)
    tables = [model._meta.db_table for model in (*m.tables.values(), m.contribution)]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    return True
