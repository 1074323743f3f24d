"""A commitment's next due date (`Commitment.next_due_on`): the earliest due date of its open deadlines.

Stored so that the staff list sorts by it through an index (issue 15); derived from the deadlines, so it is written
here only, set-based, in the transaction of the change: `services.deadlines_changed` (every change that moves,
closes or reopens deadlines) and the services that delete deadlines call `commitments_next_due_refresh` with the
commitments concerned. Run without ids (`manage.py next_due_refresh`) it rebuilds every commitment.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Min, OuterRef, Q, QuerySet, Subquery

from followups.models import Commitment, Deadline

# Ids per UPDATE: a loader's whole set stays within every database's limit of parameters.
_CHUNK = 5000


def next_due_subquery() -> Subquery:
    """The earliest open due date of the outer commitment (NULL without an open deadline)."""
    first = (
        Deadline.objects.open()
        .filter(commitment=OuterRef("pk"))
        .order_by()
        .values("commitment")
        .annotate(first=Min("due_on"))
        .values("first")
    )
    return Subquery(first)


def commitments_next_due_refresh(commitment_ids: Iterable[int | None] | None = None) -> int:
    """Recompute `next_due_on` of these commitments (None: of every commitment) from their deadlines, 5,000 at a
    time, writing only the rows whose date changed. Runs in the caller's transaction. Safe to run twice.
    Returns the number of commitments whose date changed."""
    if commitment_ids is None:
        ids = list(Commitment.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({pk for pk in commitment_ids if pk is not None})
    return sum(_refresh(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK))


def commitments_next_due_stale(commitments: QuerySet[Commitment] | None = None) -> QuerySet[Commitment]:
    """The commitments (of `commitments`, else all) whose stored `next_due_on` is not what their deadlines give
    now, NULL compared as a value: empty when the column is right (the rebuild check of the tests and of
    `manage.py next_due_refresh --check`)."""
    qs = Commitment.objects.all() if commitments is None else commitments
    return qs.alias(fresh=next_due_subquery()).filter(
        Q(next_due_on__isnull=True, fresh__isnull=False)
        | Q(next_due_on__isnull=False, fresh__isnull=True)
        | (Q(next_due_on__isnull=False, fresh__isnull=False) & ~Q(next_due_on=F("fresh")))
    )


def _refresh(ids: list[int]) -> int:
    """In the caller's transaction, two statements and an UPDATE per 1,000 changed dates: lock the commitments
    (in id order, so a concurrent change of the same commitment waits, then reads this one's deadlines), read
    their earliest open due dates with one GROUP BY, write the dates that changed. No subquery per commitment: in
    the transaction that has just written the deadlines (the loader, a bulk fill) the planner has no statistics
    for them yet, and the UPDATE with a subquery per commitment that this replaces had not finished after 30
    minutes in a bench fill of 100,000 commitments."""
    stored = dict(
        Commitment.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "next_due_on")
    )
    fresh = dict(
        Deadline.objects.open()
        .filter(commitment_id__in=ids)
        .order_by()
        .values("commitment_id")
        .annotate(first=Min("due_on"))
        .values_list("commitment_id", "first")
    )
    # Only the rows whose date changed: an unchanged row is not rewritten (the column is in an index).
    changed = [Commitment(pk=pk, next_due_on=fresh.get(pk)) for pk, old in stored.items() if fresh.get(pk) != old]
    Commitment.objects.bulk_update(changed, ["next_due_on"], batch_size=1000)
    return len(changed)
