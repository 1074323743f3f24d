"""Claiming and sending reminders (DESIGN.md, "Reminders: the database is the queue").

- `reminders_tick` (run every minute by Celery beat) claims due rows with SELECT ... FOR UPDATE SKIP LOCKED,
  reclaims SENDING rows whose lease expired, and hands them to workers in batches.
- `reminders_send_batch` (a worker) sends one batch over one SMTP connection. Each row is locked while its
  mail is handed to the server and marked SENT in the same transaction, so a duplicate happens only if the
  worker dies between the server's acceptance and the commit, and then with the same Message-ID.
- Muted, inactive and acknowledged recipients are checked again at send time (`_Checks`, read once per batch).
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
from django.db import connection, transaction
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
from followups.partner_links.links import ContactsNotNow, partner_links_issue
from followups.reminders import emails
from followups.reminders.planner import WEEKLY_OVERDUE

log = logging.getLogger(__name__)
# Tasks a tick publishes at most (see reminders_claim): 10,000 due rows go out as 20 batches of 500, not 200 of 50.
MAX_BATCHES_PER_TICK = 20


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
    # REMINDER_BATCH_SIZE units a task, but no more than MAX_BATCHES_PER_TICK tasks: a large tick makes larger
    # batches (one publish each, and a batch's checks and links are read once), still enough of them to keep every
    # worker process busy.
    size = max(1, settings.REMINDER_BATCH_SIZE, -(-len(units) // MAX_BATCHES_PER_TICK))
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


def _commitment_of(row: Reminder):
    return row.deadline.commitment if row.deadline is not None else row.commitment


class _Checks:
    """What a batch's rows are checked against at send time, read once per batch (four queries whatever its size):
    mutes, pauses, reported completions and acknowledgements. Read when the batch starts, a few seconds at most
    before each of its mails goes out."""

    def __init__(self, rows: list[Reminder]) -> None:
        contact_ids = {r.contact_id for r in rows if r.contact_id}
        commitment_ids = {c.pk for c in map(_commitment_of, rows) if c is not None}
        self.muted: set[int] = set()
        if contact_ids:
            self.muted = set(
                ContactReminderPreference.objects.filter(contact_id__in=contact_ids, muted=True).values_list(
                    "contact_id", flat=True
                )
            )
        self.not_now = ContactsNotNow(contact_ids=contact_ids, commitment_ids=commitment_ids)
        self.acks: dict[int, list[ReminderAcknowledgement]] = defaultdict(list)
        for ack in ReminderAcknowledgement.objects.filter(commitment_id__in=commitment_ids).only(
            "commitment_id", "contact_id", "user_id", "created_at"
        ):
            self.acks[ack.commitment_id].append(ack)

    def why_not(self, row: Reminder) -> tuple[str, str] | None:
        """(status, reason) when a claimed row must not be sent after all."""
        deadline = row.deadline
        commitment = _commitment_of(row)
        if commitment is None:  # the check constraint reminder_about_something rules it out
            return ReminderStatus.CANCELLED, "about nothing"
        if deadline is not None and (not deadline.is_open or commitment.status in CLOSED_STATUSES):
            return ReminderStatus.CANCELLED, "deadline closed"
        if deadline is None and commitment.status in CLOSED_STATUSES:
            return ReminderStatus.CANCELLED, "commitment closed"
        reason = self._contact_not_reachable(row) if row.contact_id else None
        # A contact's own pause, or their party's completion awaiting verification (followups.partner_links).
        reason = reason or self.not_now.reason(
            contact=row.contact, commitment=commitment, on=timezone.localtime(row.due_at).date()
        )
        if reason:
            return reason
        acks = self.acks[commitment.pk]
        if any((a.contact_id == row.contact_id) if row.contact_id else (a.user_id == row.user_id) for a in acks):
            return ReminderStatus.CANCELLED, "acknowledged by the recipient"
        if deadline is None:
            return _quiet_why_not(row, commitment, acks)
        if row.escalation and any(timezone.localtime(a.created_at).date() >= deadline.due_on for a in acks):
            return ReminderStatus.SKIPPED, "overdue item acknowledged: no escalation needed"
        return None

    def _contact_not_reachable(self, row: Reminder) -> tuple[str, str] | None:
        contact = row.contact
        if contact is None:  # a staff user's row (the caller asks only about a contact's)
            return None
        if not contact.is_active:
            return ReminderStatus.CANCELLED, "contact inactive"
        if not contact.organisation.is_active:
            # Checked here as well as when deactivating: a row claimed just before still stays unsent.
            return ReminderStatus.CANCELLED, "the contact's organisation is deactivated"
        if row.contact_id in self.muted:
            # Checked again here: a mute saved after the row was claimed (or by a door that did not re-plan) holds.
            return ReminderStatus.CANCELLED, "the contact muted their reminders"
        return None


def _quiet_why_not(row: Reminder, commitment, acks: list[ReminderAcknowledgement]) -> tuple[str, str] | None:
    """A quiet-commitment nudge goes out only while its clock is the commitment's (no update since)."""
    if not row.kind.startswith(f"quiet_{commitment.last_update:%Y%m%d}_"):
        return ReminderStatus.CANCELLED, "a status update arrived: no longer quiet"
    if row.escalation and any(a.created_at >= row.created_at for a in acks):
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


def _batch_rows(units: list[list[int]], token: str) -> dict[int, Reminder]:
    """The batch's rows still claimed with `token` (not locked: each unit locks its own when it is sent)."""
    ids = [pk for unit in units for pk in unit]
    rows = (
        Reminder.objects.select_related(
            "deadline__commitment__framework",
            "commitment__framework",
            "contact__organisation",
            "user__staff_profile",
        )
        .filter(pk__in=ids, status=ReminderStatus.SENDING, claim_token=token)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def _drop_unsendable(
    units: list[list[int]], rows: dict[int, Reminder], token: str, counts: dict[str, int]
) -> list[list[Reminder]]:
    """Record why rows must not go out after all (closed, muted, acknowledged...), one UPDATE per reason, each
    only while the row is still claimed with `token`; return the units of the others."""
    checks = _Checks(list(rows.values()))
    dropped: dict[tuple[str, str], list[int]] = defaultdict(list)
    sendable_units = []
    for unit in units:
        sendable = []
        for row in (rows[pk] for pk in sorted(unit) if pk in rows):
            reason = checks.why_not(row)
            if reason is None:
                sendable.append(row)
            else:
                dropped[reason].append(row.pk)
        if sendable:
            sendable_units.append(sendable)
    for (status, why), ids in dropped.items():
        counts[status] += Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SENDING, claim_token=token).update(
            status=status, last_error=why, updated_at=timezone.now()
        )
    return sendable_units


class _NoLongerClaimed(Exception):
    """Some of a unit's rows were reclaimed or sent meanwhile: its mark is rolled back, the rest sent alone."""

    def __init__(self, marked: set[int]) -> None:
        super().__init__(f"{len(marked)} still claimed")
        self.marked = marked


def _mark_sent(rows: list[Reminder], token: str, message_id: str, now: datetime) -> set[int]:
    """Mark the unit's rows still claimed with `token` SENT; the UPDATE also locks them until the transaction ends
    (one query). Returns the ids marked."""
    ids = [r.pk for r in rows]
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Reminder._meta.db_table)
        # The same as Reminder.objects.filter(...).update(...), with the ids that matched back in the same query.
        # `IN (%s, ...)` rather than PostgreSQL's `= ANY(%s)`: the embedded SQLite default sends through it too.
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, last_error = '', message_id = %s, "  # noqa: S608
            "attempts = attempts + 1, lease_expires_at = NULL, updated_at = %s "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))}) AND status = %s AND claim_token = %s RETURNING id",
            [ReminderStatus.SENT, now, message_id, now, *ids, ReminderStatus.SENDING, token],
        )
        return {pk for (pk,) in cursor.fetchall()}


def _record_failure(rows: list[Reminder], exc: Exception, *, token: str, now: datetime, counts: dict[str, int]) -> str:
    """Put rows back with a back-off after a temporary failure, or fail them; returns temporary|permanent. Only
    rows still claimed with `token` are written (the send's transaction, and its lock, are over)."""
    kind, reason = _classify(exc)
    for row in rows:
        if kind == PERMANENT or row.attempts >= settings.REMINDER_MAX_ATTEMPTS:
            status, next_attempt_at = ReminderStatus.FAILED, row.next_attempt_at
        else:
            status, next_attempt_at = ReminderStatus.PENDING, now + _retry_delay(row.attempts)
        counts[status] += Reminder.objects.filter(pk=row.pk, status=ReminderStatus.SENDING, claim_token=token).update(
            status=status,
            attempts=row.attempts,
            last_error=reason,
            next_attempt_at=next_attempt_at,
            lease_expires_at=None,
            updated_at=now,
        )
    log.warning("reminders %s not sent (%s): %s", [r.pk for r in rows], kind, reason)
    return kind


def _send_unit(rows: list[Reminder], smtp: _Smtp, counts: dict[str, int], token: str, build) -> bool:
    """Send one unit's message (`build(rows)`) and record the outcome on its rows. Returns True at Celery's soft
    time limit.

    The rows are marked SENT first, in the transaction that hands the mail to the server: that UPDATE locks them
    until the commit, so they are locked while the mail is handed over and marked in the same transaction (three
    round trips: begin, update, commit); a failed send rolls the mark back.
    """
    message = build(rows)
    now = timezone.now()
    try:
        with transaction.atomic():
            marked = _mark_sent(rows, token, message.extra_headers["Message-ID"], now)
            if len(marked) != len(rows):
                raise _NoLongerClaimed(marked)
            smtp.send(message)
    except _NoLongerClaimed as changed:
        rest = [r for r in rows if r.pk in changed.marked]
        return bool(rest) and _send_unit(rest, smtp, counts, token, build)
    except Exception as exc:
        # Celery's soft time limit (below the lease): record this unit as a temporary failure, stop.
        for row in rows:
            row.attempts += 1
        if _record_failure(rows, exc, token=token, now=now, counts=counts) == TEMPORARY:
            smtp.drop()
        return isinstance(exc, SoftTimeLimitExceeded)
    counts[ReminderStatus.SENT] += len(rows)
    return False


def reminders_send_batch(*, units: list[list[int]], token: str) -> dict[str, int]:
    """Send one claimed batch over one SMTP connection. Returns counts by outcome.

    The batch's rows and what they are checked against (mutes, pauses, acknowledgements) are read once, the
    contacts' signed links issued at once, and each distinct message rendered once (emails.Rendered). Each unit
    (one reminder, or one recipient's digest) is then locked, sent and marked in one transaction (_send_unit).
    Rows no longer claimed with `token` (reclaimed after a lease expired, or already sent) are left alone, so a
    redelivered task is harmless. At Celery's soft time limit the rest stay SENDING under their lease, and a later
    tick claims them again. Safe to run twice.
    """
    counts: dict[str, int] = defaultdict(int)
    sendable = _drop_unsendable(units, _batch_rows(units, token), token, counts)
    wanted = [emails.links_wanted(rows) for rows in sendable]
    issued = iter(partner_links_issue(wanted=[w for w in wanted if w is not None]))
    links = [next(issued) if w is not None else None for w in wanted]
    rendered = emails.Rendered()
    smtp = _Smtp()
    try:
        for rows, unit_links in zip(sendable, links, strict=True):

            def build(rows: list[Reminder], unit_links=unit_links):
                return emails.reminder_message(rows=rows, links=unit_links, rendered=rendered)

            if _send_unit(rows, smtp, counts, token, build):
                break
    finally:
        smtp.close()
    return dict(counts)


@transaction.atomic
def reminder_resend(*, reminder: Reminder) -> Reminder:
    """Put a FAILED reminder back in the queue, due now (the admin's "resend"). Safe to run twice."""
    outbox_resend(reminder)
    return reminder
