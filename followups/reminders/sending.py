"""Claiming and sending reminders (DESIGN.md, "Reminders: the database is the queue").

- `reminders_tick` (run every minute by Celery beat) claims due rows with SELECT ... FOR UPDATE SKIP LOCKED,
  reclaims SENDING rows whose lease expired, and hands them to workers in batches.
- `reminders_send_batch` (a worker) sends one batch over one SMTP connection. Each row is locked while its
  mail is handed to the server and marked SENT in the same transaction, so a duplicate happens only if the
  worker dies between the server's acceptance and the commit, and then with the same Message-ID.
- Muted, inactive and acknowledged recipients are checked again at send time (`_why_not`).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections import defaultdict
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import StaffProfile
from followups.models import (
    CLOSED_STATUSES,
    ContactReminderPreference,
    Reminder,
    ReminderAcknowledgement,
    ReminderStatus,
)
from followups.outbox import outbox_claim, outbox_resend, outbox_retry_delay
from followups.partner_links.links import contact_not_now
from followups.reminders import emails
from followups.reminders.planner import WEEKLY_OVERDUE

log = logging.getLogger(__name__)


# --- Claiming -------------------------------------------------------------------------------------------------


def reminders_claim(*, now: datetime | None = None, limit: int = 10_000) -> list[tuple[str, list[list[int]]]]:
    """Claim the due rows (and those whose worker's lease expired) and cut them into batches.

    Returns [(claim token, units)], a unit being the ids sent in one message (one row, or a digest).
    Concurrent ticks never claim the same row (SKIP LOCKED, then a conditional UPDATE). Safe to run twice.
    """
    now = now or timezone.now()
    # Served by the partial indexes reminder_pending_next_attempt and reminder_sending_lease. One token for the
    # whole tick: a worker holding an older claim on a row sends nothing.
    token, rows = outbox_claim(
        Reminder,
        fields=("contact_id", "user_id", "kind"),
        now=now,
        limit=limit,
        lease_seconds=settings.REMINDER_LEASE_SECONDS,
    )
    if not rows:
        return []
    rows.sort(key=lambda r: (r[1] or 0, r[2] or 0, r[0]))  # one recipient's rows together
    contact_ids = {c for _, c, _, _ in rows if c}
    user_ids = {u for _, _, u, _ in rows if u}
    digest_readers = {
        ("c", pk)
        for pk in ContactReminderPreference.objects.filter(digest=True, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    } | {
        ("u", pk)
        for pk in StaffProfile.objects.filter(reminder_digest=True, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    }
    units: list[list[int]] = []
    digests: dict[tuple, list[int]] = {}
    for pk, contact_id, user_id, kind in rows:
        key = ("c", contact_id) if contact_id else ("u", user_id)
        # The staff's weekly digest of everything overdue in their portfolio: one message per officer (with the
        # rest of the week's reminders when they read a digest anyway).
        if key in digest_readers or WEEKLY_OVERDUE in kind:
            if key not in digests:
                digests[key] = []
                units.append(digests[key])
            digests[key].append(pk)
        else:
            units.append([pk])
    size = max(1, settings.REMINDER_BATCH_SIZE)
    return [(token, units[start : start + size]) for start in range(0, len(units), size)]


def reminders_tick(*, now: datetime | None = None, inline: bool = False) -> int:
    """One tick: claim what is due and hand it to the workers, one Celery task per batch. Returns rows claimed.

    If publishing a batch fails, its rows stay SENDING and a later tick reclaims them when the lease expires.
    With `inline`, send in this process instead (no worker needed). Safe to run twice.
    """
    from followups.partner_links.outbox import partner_messages_send
    from followups.tasks import reminders_send_batch as task  # tasks import this module

    batches = reminders_claim(now=now)
    for token, units in batches:
        if inline:
            reminders_send_batch(units=units, token=token)
        else:
            # A short argsrepr: Celery's default repr of 50 lists of ids took a third of a 10,000-row tick.
            task.apply_async((units, token), argsrepr=f"({len(units)} units, {token[:8]})")
    # The few e-mails partners asked for or must read (a fresh link, a returned completion), at the same tick.
    partner_messages_send(now=now)
    return sum(len(u) for _, units in batches for u in units)


# --- Sending --------------------------------------------------------------------------------------------------

TEMPORARY = "temporary"
PERMANENT = "permanent"


def _classify(exc: Exception) -> tuple[str, str]:
    """(temporary|permanent, reason) for a failed SMTP exchange: 5xx are permanent, the rest temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [(code, msg) for code, msg in exc.recipients.values()]
        code, msg = codes[0] if codes else (450, b"")
        text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
        return (PERMANENT if code >= 500 else TEMPORARY), f"{code} {text}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return (PERMANENT if exc.smtp_code >= 500 else TEMPORARY), f"{exc.smtp_code} {text}"
    return TEMPORARY, f"{type(exc).__name__}: {exc}"


def _retry_delay(attempts: int) -> timedelta:
    return outbox_retry_delay(
        attempts, base_seconds=settings.REMINDER_RETRY_BASE_SECONDS, max_seconds=settings.REMINDER_RETRY_MAX_SECONDS
    )


def _why_not(row: Reminder) -> tuple[str, str] | None:
    """(status, reason) when a claimed row must not be sent after all."""
    deadline = row.deadline
    commitment = deadline.commitment if deadline is not None else row.commitment
    if commitment is None:  # the check constraint reminder_about_something rules it out
        return ReminderStatus.CANCELLED, "about nothing"
    if deadline is not None and (not deadline.is_open or commitment.status in CLOSED_STATUSES):
        return ReminderStatus.CANCELLED, "deadline closed"
    if deadline is None and commitment.status in CLOSED_STATUSES:
        return ReminderStatus.CANCELLED, "commitment closed"
    reason = _contact_not_reachable(row) if row.contact_id else None
    # A contact's own pause, or their party's completion awaiting verification (followups.partner_links).
    reason = reason or contact_not_now(
        contact=row.contact, commitment=commitment, on=timezone.localtime(row.due_at).date()
    )
    if reason:
        return reason
    acks = ReminderAcknowledgement.objects.filter(commitment_id=commitment.pk)
    mine = Q(contact_id=row.contact_id) if row.contact_id else Q(user_id=row.user_id)
    if acks.filter(mine).exists():
        return ReminderStatus.CANCELLED, "acknowledged by the recipient"
    if deadline is None:
        return _quiet_why_not(row, commitment, acks)
    if row.escalation and acks.filter(created_at__date__gte=deadline.due_on).exists():
        return ReminderStatus.SKIPPED, "overdue item acknowledged: no escalation needed"
    return None


def _contact_not_reachable(row: Reminder) -> tuple[str, str] | None:
    contact = row.contact
    if not contact.is_active:
        return ReminderStatus.CANCELLED, "contact inactive"
    if not contact.organisation.is_active:
        # Checked here as well as when deactivating: a row claimed just before still stays unsent.
        return ReminderStatus.CANCELLED, "the contact's organisation is deactivated"
    if ContactReminderPreference.objects.filter(contact_id=row.contact_id, muted=True).exists():
        # Checked again here: a mute saved after the row was claimed (or by a door that did not re-plan) holds.
        return ReminderStatus.CANCELLED, "the contact muted their reminders"
    return None


def _quiet_why_not(row: Reminder, commitment, acks) -> tuple[str, str] | None:
    """A quiet-commitment nudge goes out only while its clock is the commitment's (no update since)."""
    if not row.kind.startswith(f"quiet_{commitment.last_update:%Y%m%d}_"):
        return ReminderStatus.CANCELLED, "a status update arrived: no longer quiet"
    if row.escalation and acks.filter(created_at__gte=row.created_at).exists():
        return ReminderStatus.SKIPPED, "quiet commitment acknowledged: no escalation needed"
    return None


def _drop_connection(backend) -> None:
    """Close an SMTP backend's socket at once (Django's close() first sends QUIT and waits for the answer)."""
    smtp = getattr(backend, "connection", None)
    if smtp is not None:
        with contextlib.suppress(Exception):
            smtp.close()
        backend.connection = None
    with contextlib.suppress(Exception):
        backend.close()


_SENT_FIELDS = [
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "sent_at",
    "message_id",
    "lease_expires_at",
    "updated_at",
]


class _Smtp:
    """One SMTP connection for a batch, opened on first use and dropped after a temporary failure."""

    def __init__(self) -> None:
        self.backend = get_connection()
        self.is_open = False

    def send(self, message) -> None:
        if not self.is_open:
            self.backend.open()
            self.is_open = True
        self.backend.send_messages([message])

    def drop(self) -> None:
        # The connection may be broken: the next unit opens a new one. Drop the socket without a polite QUIT,
        # which would wait on the same slow server and run into the hard limit.
        _drop_connection(self.backend)
        self.is_open = False

    def close(self) -> None:
        if self.is_open:  # the messages are already accepted or recorded as failed
            with contextlib.suppress(Exception):
                self.backend.close()


def _claimed_rows(unit: list[int], token: str) -> list[Reminder]:
    """The unit's rows still claimed with `token`, locked until the transaction ends."""
    return list(
        Reminder.objects.select_for_update(of=("self",))
        .select_related("deadline__commitment__framework", "commitment__framework", "contact__organisation", "user")
        .filter(pk__in=unit, status=ReminderStatus.SENDING, claim_token=token)
        .order_by("pk")
    )


def _drop_unsendable(rows: list[Reminder], counts: dict[str, int]) -> list[Reminder]:
    """Record why rows must not go out after all (closed, muted, acknowledged...); return the others."""
    sendable = []
    for row in rows:
        reason = _why_not(row)
        if reason is None:
            sendable.append(row)
            continue
        row.status, row.last_error = reason
        row.save(update_fields=["status", "last_error", "updated_at"])
        counts[row.status] += 1
    return sendable


def _record_failure(rows: list[Reminder], exc: Exception, *, now: datetime, counts: dict[str, int]) -> str:
    """Put rows back with a back-off after a temporary failure, or fail them; returns temporary|permanent."""
    kind, reason = _classify(exc)
    for row in rows:
        row.last_error = reason
        if kind == PERMANENT or row.attempts >= settings.REMINDER_MAX_ATTEMPTS:
            row.status = ReminderStatus.FAILED
        else:
            row.status = ReminderStatus.PENDING
            row.next_attempt_at = now + _retry_delay(row.attempts)
        counts[row.status] += 1
    log.warning("reminders %s not sent (%s): %s", [r.pk for r in rows], kind, reason)
    return kind


def _send_unit(rows: list[Reminder], smtp: _Smtp, counts: dict[str, int]) -> bool:
    """Send one unit's message and record the outcome on its rows. Returns True at Celery's soft time limit."""
    now = timezone.now()
    message = emails.reminder_message(rows=rows)
    for row in rows:
        row.attempts += 1
    out_of_time = False
    try:
        smtp.send(message)
    except Exception as exc:
        # Celery's soft time limit (below the lease): record this unit as a temporary failure, stop.
        out_of_time = isinstance(exc, SoftTimeLimitExceeded)
        if _record_failure(rows, exc, now=now, counts=counts) == TEMPORARY:
            smtp.drop()
    else:
        for row in rows:
            row.status, row.sent_at, row.last_error = ReminderStatus.SENT, now, ""
            row.message_id = message.extra_headers["Message-ID"]
            counts[row.status] += 1
    for row in rows:
        row.lease_expires_at = None
        row.save(update_fields=_SENT_FIELDS)
    return out_of_time


def reminders_send_batch(*, units: list[list[int]], token: str) -> dict[str, int]:
    """Send one claimed batch over one SMTP connection. Returns counts by outcome.

    Each unit (one reminder, or one recipient's digest) is locked, sent and marked in one transaction. Rows
    no longer claimed with `token` (reclaimed after a lease expired, or already sent) are left alone, so a
    redelivered task is harmless. At Celery's soft time limit the rest stay SENDING under their lease, and a
    later tick claims them again. Safe to run twice.
    """
    counts: dict[str, int] = defaultdict(int)
    smtp = _Smtp()
    try:
        for unit in units:
            with transaction.atomic():
                sendable = _drop_unsendable(_claimed_rows(unit, token), counts)
                if sendable and _send_unit(sendable, smtp, counts):
                    break
    finally:
        smtp.close()
    return dict(counts)


@transaction.atomic
def reminder_resend(*, reminder: Reminder) -> Reminder:
    """Put a FAILED reminder back in the queue, due now (the admin's "resend"). Safe to run twice."""
    outbox_resend(reminder)
    return reminder
