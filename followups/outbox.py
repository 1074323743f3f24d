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

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

PENDING = "pending"
SENDING = "sending"
FAILED = "failed"


def outbox_claim(
    model: type[models.Model], *, fields: tuple[str, ...], now: datetime, limit: int, lease_seconds: int
) -> tuple[str, list[tuple[Any, ...]]]:
    """Claim up to `limit` due rows (pending and due, or sending with an expired lease) under one new token.

    Returns (token, rows) where each row is (pk, *fields), oldest due first; ([] when nothing is due). SELECT ...
    FOR UPDATE SKIP LOCKED, then a conditional UPDATE: where row locks are not available (SQLite), a row another
    tick claimed meanwhile keeps that tick's token, and only that tick's worker sends it. Safe to run twice.
    """
    manager = model._default_manager
    with transaction.atomic():
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
        if not rows:
            return "", []
        token = uuid.uuid4().hex
        manager.filter(
            Q(status=PENDING) | Q(status=SENDING, lease_expires_at__lte=now), pk__in=[r[0] for r in rows]
        ).update(
            status=SENDING, claim_token=token, lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now
        )
    return token, rows


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
