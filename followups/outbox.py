"""The outbox pattern, once: claim with a lease, back off, resend (DESIGN.md, "Reminders: the database is the queue").

The reminders (`followups.reminders.sending`) and the partners' webhooks (`followups.webhooks.sending`) keep one
row per message to send, PENDING -> SENDING -> SENT | FAILED, written in the transaction of the change that calls
for it. Both claim, lease, retry and resend their rows through these functions, so the guarantees are written
once: concurrent ticks never claim the same row, a worker that dies leaves its rows to be reclaimed when the lease
expires, and a worker holding an older claim sends nothing.

A model is an outbox when it has `status` (with "pending", "sending", "failed"), `next_attempt_at`,
`lease_expires_at`, `claim_token`, `attempts`, `last_error` and `updated_at`, and partial indexes on the pending
rows by `next_attempt_at` and on the sending rows by `lease_expires_at`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone

PENDING = "pending"
SENDING = "sending"
FAILED = "failed"


def outbox_claim(
    model: type[models.Model], *, fields: tuple[str, ...], now: datetime, limit: int, lease_seconds: int
) -> tuple[str, list[tuple[Any, ...]]]:
    """Claim up to `limit` due rows (pending and due, or sending with an expired lease) under one new token.

    Returns (token, rows) where each row is (pk, *fields), oldest due first; ([] when nothing is due). Concurrent
    ticks never claim the same row: on PostgreSQL one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
    LOCKED) RETURNING` per kind of due row (the floor that bench/bench_reminders.py compares it with); elsewhere
    SELECT ... FOR UPDATE SKIP LOCKED then a conditional UPDATE: where row locks are not available (SQLite), a
    row another tick claimed meanwhile keeps that tick's token, and only that tick's worker sends it. Safe to run
    twice.
    """
    token = uuid.uuid4().hex
    lease = now + timedelta(seconds=lease_seconds)
    with transaction.atomic(using=router.db_for_write(model)):
        if connections[router.db_for_write(model)].vendor == "postgresql":
            rows = _claim_postgresql(model, fields, now=now, limit=limit, token=token, lease=lease)
        else:
            rows = _claim_portable(model, fields, now=now, limit=limit, token=token, lease=lease)
    return (token, rows) if rows else ("", [])


def _claim_postgresql(
    model: type[models.Model], fields: tuple[str, ...], *, now: datetime, limit: int, token: str, lease: datetime
) -> list[tuple[Any, ...]]:
    """Two statements at most, each claiming and returning its rows at once: no second pass over 10,000 ids."""
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    names = ("status", "next_attempt_at", "lease_expires_at", "claim_token", "updated_at")
    col = {name: qn(_column(model, name)) for name in names}
    table, pk = qn(model._meta.db_table), qn(_column(model, "pk"))
    returned = ", ".join([pk, *(qn(_column(model, f)) for f in fields)])
    rows: list[tuple[Any, ...]] = []
    # Pending rows due (partial index *_pending_next_attempt), then sending rows whose lease expired
    # (partial index *_sending_lease), oldest first; only the four columns a claim must change are written.
    for status, order in ((PENDING, "next_attempt_at"), (SENDING, "lease_expires_at")):
        if len(rows) >= limit:
            break
        # Identifiers come from the model's meta, quoted; every value is a parameter.
        sql = (
            f"UPDATE {table} SET {col['status']} = %s, {col['claim_token']} = %s, "  # noqa: S608
            f"{col['lease_expires_at']} = %s, "
            f"{col['updated_at']} = %s WHERE {pk} IN (SELECT {pk} FROM {table} WHERE {col['status']} = %s "
            f"AND {col[order]} <= %s ORDER BY {col[order]} LIMIT %s FOR UPDATE SKIP LOCKED) "
            # The due instant comes back as seconds (a float): parsing 10,000 timestamps cost a tenth of a tick.
            f"RETURNING {returned}, EXTRACT(EPOCH FROM {col[order]})::float8"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [SENDING, token, lease, now, status, now, limit - len(rows)])
            claimed = cursor.fetchall()
        claimed.sort(key=lambda r: (r[-1], r[0]))
        rows += [tuple(r[:-1]) for r in claimed]
    return rows


def _column(model: type[models.Model], name: str) -> str:
    """The database column of a concrete field (or of the primary key, "pk")."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return column


def _claim_portable(
    model: type[models.Model], fields: tuple[str, ...], *, now: datetime, limit: int, token: str, lease: datetime
) -> list[tuple[Any, ...]]:
    manager = model._default_manager
    rows = list(
        manager.select_for_update(skip_locked=True)
        .filter(status=PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", *fields)[:limit]
    )
    if len(rows) < limit:
        rows += list(
            manager.select_for_update(skip_locked=True)
            .filter(status=SENDING, lease_expires_at__lte=now)
            .order_by("lease_expires_at")
            .values_list("pk", *fields)[: limit - len(rows)]
        )
    if rows:
        manager.filter(
            Q(status=PENDING) | Q(status=SENDING, lease_expires_at__lte=now), pk__in=[r[0] for r in rows]
        ).update(status=SENDING, claim_token=token, lease_expires_at=lease, updated_at=now)
    return rows


def outbox_retry_delay(
    attempts: int, *, base_seconds: float, max_seconds: float, retry_after: str | None = None
) -> timedelta:
    """Exponential back-off after a temporary failure: base, 2 x base, 4 x base... capped at `max_seconds`; a
    receiver's Retry-After (in seconds) is honoured when it asks for longer."""
    seconds = base_seconds * (2 ** max(0, attempts - 1))
    if retry_after and retry_after.strip().isdigit():
        seconds = max(seconds, float(retry_after))
    return timedelta(seconds=min(seconds, max_seconds))


@transaction.atomic
def outbox_resend(row: models.Model) -> bool:
    """Put a FAILED row back in the queue, due now, its attempts reset (the admin's "resend").

    Returns whether it was FAILED (anything else is left alone). Safe to run twice.
    """
    now = timezone.now()
    updated = (
        type(row)
        ._default_manager.filter(pk=row.pk, status=FAILED)
        .update(status=PENDING, attempts=0, next_attempt_at=now, last_error="", updated_at=now)
    )
    if updated:
        row.refresh_from_db()
    return bool(updated)
