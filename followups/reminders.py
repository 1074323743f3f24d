"""Reminders: planning the outbox rows, claiming the due ones, sending them (DESIGN.md, "Reminders").

- `reminders_plan` writes the rows for changed deadlines inside the caller's transaction; it is registered in
  `followups.services.deadline_change_hooks`, so every service that moves, closes or reopens a deadline
  reschedules its reminders in the same transaction. `reminders_plan_all` plans every open deadline.
- `reminders_tick` (run every minute by Celery beat) claims due rows with SELECT ... FOR UPDATE SKIP LOCKED,
  reclaims SENDING rows whose lease expired, and hands them to workers in batches.
- `reminders_send_batch` (a worker) sends one batch over one SMTP connection. Each row is locked while its
  mail is handed to the server and marked SENT in the same transaction, so a duplicate happens only if the
  worker dies between the server's acceptance and the commit, and then with the same Message-ID.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import StaffProfile
from agreements.roles import Role
from followups import services
from followups.models import (
    CLOSED_STATUSES,
    DEFAULT_LEAD_DAYS,
    DEFAULT_OVERDUE_DAYS,
    HIGH_PRIORITY_LEAD_DAYS,
    Commitment,
    ContactReminderPreference,
    Deadline,
    Priority,
    Reminder,
    ReminderAcknowledgement,
    ReminderPolicy,
    ReminderStatus,
)

log = logging.getLogger(__name__)

# A reminder whose moment passed less than this before it was planned still goes out (once); older: SKIPPED.
CATCH_UP_WINDOW = timedelta(days=1)
ACK_SALT = "followups.reminder-ack"
ACK_MAX_AGE = timedelta(days=400)


# --- When -----------------------------------------------------------------------------------------------------


def _local_time() -> time:
    hours, _, minutes = settings.REMINDER_LOCAL_TIME.partition(":")
    return time(int(hours), int(minutes or 0))


def reminder_instant(*, day: date, zone: str) -> datetime:
    """The UTC instant of REMINDER_LOCAL_TIME on `day` in the time zone `zone` (DST included)."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return datetime.combine(day, _local_time(), tzinfo=tz).astimezone(UTC)


def reminder_policy_days(deadline: Deadline) -> tuple[list[int], list[int]]:
    """(days before, days overdue) for a deadline: its own policy, else its framework's, else by priority.

    Each list is taken from the most specific policy that sets it.
    """
    lead = HIGH_PRIORITY_LEAD_DAYS if deadline.commitment.priority == Priority.HIGH else DEFAULT_LEAD_DAYS
    overdue = DEFAULT_OVERDUE_DAYS
    for owner in (deadline.commitment.framework, deadline):  # the more specific last, so it wins
        try:
            policy = owner.reminder_policy
        except ReminderPolicy.DoesNotExist:
            continue
        lead = policy.lead_days or lead
        overdue = policy.overdue_days or overdue
    return sorted({int(d) for d in lead}, reverse=True), sorted({int(d) for d in overdue})


# --- Who ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    contact_id: int | None
    user_id: int | None
    zone: str
    digest: bool

    @property
    def key(self) -> tuple[str, int]:
        return ("c", self.contact_id) if self.contact_id else ("u", self.user_id)


class _Staff:
    """The staff who receive escalations, read once per planning run."""

    def __init__(self) -> None:
        profiles = {p.user_id: p for p in StaffProfile.objects.prefetch_related("portfolio")}
        users = get_user_model().objects.filter(is_active=True).exclude(email="")
        self.coordinators = [
            self._recipient(u.pk, profiles) for u in users.filter(groups__name=Role.COORDINATOR.value).distinct()
        ]
        self.desk_by_org: dict[int, list[_Recipient]] = defaultdict(list)
        for user in users.filter(groups__name=Role.DESK_OFFICER.value).distinct():
            profile = profiles.get(user.pk)
            if profile is None:
                continue
            for org in profile.portfolio.all():
                self.desk_by_org[org.pk].append(self._recipient(user.pk, profiles))

    @staticmethod
    def _recipient(user_id: int, profiles: dict[int, StaffProfile]) -> _Recipient:
        profile = profiles.get(user_id)
        return _Recipient(
            contact_id=None,
            user_id=user_id,
            zone=profile.time_zone if profile else "UTC",
            digest=bool(profile and profile.reminder_digest),
        )

    def desk_officers(self, commitment: Commitment) -> list[_Recipient]:
        found = {r.key: r for org in commitment.owners.all() for r in self.desk_by_org.get(org.pk, [])}
        return list(found.values())


def _contact_recipients(commitment: Commitment) -> list[_Recipient]:
    found = []
    for contact in commitment.contacts.all():
        pref = getattr(contact, "reminder_preference", None)
        if not contact.is_active or (pref is not None and pref.muted):
            continue
        found.append(_Recipient(contact.pk, None, contact.time_zone, bool(pref and pref.digest)))
    return found


def _digest_day(day: date) -> date:
    """A digest reader gets the week's reminders on its Monday (the Monday on or before the day)."""
    return day - timedelta(days=day.weekday())


# --- Planning -------------------------------------------------------------------------------------------------


@dataclass
class _Wanted:
    recipient: _Recipient
    kind: str
    due_at: datetime
    escalation: bool


def _wanted(deadline: Deadline, staff: _Staff, acked: set[tuple[str, int]]) -> dict[tuple, _Wanted]:
    commitment = deadline.commitment
    lead, overdue = reminder_policy_days(deadline)
    contacts = [r for r in _contact_recipients(commitment) if r.key not in acked]
    wanted: dict[tuple, _Wanted] = {}

    def add(recipient: _Recipient, kind: str, day: date, escalation: bool) -> None:
        if recipient.digest:
            day = _digest_day(day)
        due_at = reminder_instant(day=day, zone=recipient.zone)
        wanted[(*recipient.key, kind)] = _Wanted(recipient, kind, due_at, escalation)

    for days in lead:
        for r in contacts:
            add(r, f"before_{days}", deadline.due_on - timedelta(days=days), False)
    for step, days in enumerate(overdue):
        day = deadline.due_on + timedelta(days=days)
        for r in contacts:
            add(r, f"overdue_{days}", day, False)
        # One step further up at each unacknowledged step: desk officers from the second, coordinators from the
        # third (from the first and second when nobody is named to receive it).
        up = step + (0 if contacts else 1)
        escalated = (staff.desk_officers(commitment) if up >= 1 else []) + (staff.coordinators if up >= 2 else [])
        for r in escalated:
            if r.key not in acked:
                add(r, f"overdue_{days}", day, True)
    return wanted


def _key(row: Reminder) -> tuple:
    return ("c", row.contact_id, row.kind) if row.contact_id else ("u", row.user_id, row.kind)


def reminders_plan(*, deadlines: Iterable[Deadline], now: datetime | None = None) -> None:
    """Write the reminder rows the deadlines call for, in the caller's transaction (an outbox).

    New rows are created; pending rows move with their deadline; rows no longer wanted (deadline closed,
    recipient gone or acknowledged) are cancelled; a cancelled or already sent row whose moment moves into
    the future is pending again. Late entries: of the reminders whose moment has already passed, the latest one
    less than a day old goes out at once (one catch-up per deadline and recipient), the others are SKIPPED.
    Safe to run twice.
    """
    now = now or timezone.now()
    ids = [d.pk for d in deadlines]
    if not ids:
        return
    staff = _Staff()
    rows = (
        Deadline.objects.filter(pk__in=ids)
        .select_related("commitment__framework__reminder_policy", "reminder_policy")
        .prefetch_related("commitment__contacts__reminder_preference", "commitment__owners")
    )
    commitment_ids = {d.commitment_id for d in rows}
    acked: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for ack in ReminderAcknowledgement.objects.filter(commitment_id__in=commitment_ids):
        acked[ack.commitment_id].add(("c", ack.contact_id) if ack.contact_id else ("u", ack.user_id))
    existing: dict[int, dict[tuple, Reminder]] = defaultdict(dict)
    for row in Reminder.objects.select_for_update().filter(deadline_id__in=ids):
        existing[row.deadline_id][_key(row)] = row

    to_create: list[Reminder] = []
    to_update: list[Reminder] = []
    for deadline in rows:
        have = existing[deadline.pk]
        live = deadline.is_open and deadline.commitment.status not in CLOSED_STATUSES
        wanted = _wanted(deadline, staff, acked[deadline.commitment_id]) if live else {}
        fresh: list[Reminder] = []
        for key, want in wanted.items():
            row = have.get(key)
            if row is None:
                row = Reminder(
                    deadline=deadline,
                    contact_id=want.recipient.contact_id,
                    user_id=want.recipient.user_id,
                    kind=want.kind,
                    escalation=want.escalation,
                    due_at=want.due_at,
                    next_attempt_at=want.due_at,
                    created_at=now,
                )
                to_create.append(row)
                fresh.append(row)
            elif row.status == ReminderStatus.PENDING:
                if row.due_at != want.due_at:
                    row.due_at = row.next_attempt_at = want.due_at
                    to_update.append(row)
                    fresh.append(row)
            elif want.due_at > now - CATCH_UP_WINDOW and (
                row.status == ReminderStatus.CANCELLED
                or (row.status in (ReminderStatus.SKIPPED, ReminderStatus.SENT) and row.due_at != want.due_at)
            ):
                # Reopened, or moved to a new date: it is to be sent (again) at its new moment; a moment that
                # passed within the last day (a deadline extended to next week) is a late entry, like a new row.
                row.status = ReminderStatus.PENDING
                row.due_at = row.next_attempt_at = want.due_at
                row.attempts, row.last_error, row.sent_at, row.message_id = 0, "", None, ""
                to_update.append(row)
                fresh.append(row)
        for key, row in have.items():
            if key not in wanted and row.status == ReminderStatus.PENDING:
                row.status = ReminderStatus.CANCELLED
                row.last_error = "no longer due: deadline closed, moved or acknowledged"
                to_update.append(row)
        _apply_late_entry_rule(fresh, have.values(), now=now)

    Reminder.objects.bulk_create(to_create, batch_size=1000)
    Reminder.objects.bulk_update(
        to_update,
        ["status", "due_at", "next_attempt_at", "attempts", "last_error", "sent_at", "message_id", "catch_up"],
        batch_size=1000,
    )


def _apply_late_entry_rule(fresh: list[Reminder], existing: Iterable[Reminder], *, now: datetime) -> None:
    caught_up = {_key(r)[:2] for r in existing if r.catch_up}
    past: dict[tuple, list[Reminder]] = defaultdict(list)
    for row in fresh:
        if row.due_at <= now:
            past[_key(row)[:2]].append(row)
    for recipient, rows in past.items():
        rows.sort(key=lambda r: r.due_at)
        latest = rows[-1]
        for row in rows:
            if row is latest and now - row.due_at < CATCH_UP_WINDOW and recipient not in caught_up:
                row.catch_up = True
                row.next_attempt_at = now
            else:
                row.status = ReminderStatus.SKIPPED
                row.last_error = "its moment had passed when it was planned"


def _plan_hook(deadlines: list[Deadline]) -> None:
    reminders_plan(deadlines=deadlines)


if _plan_hook not in services.deadline_change_hooks:
    services.deadline_change_hooks.append(_plan_hook)


@transaction.atomic
def reminders_plan_commitment(*, commitment: Commitment) -> None:
    """Re-plan a commitment's reminders after its responsible contacts or owners changed (not a deadline change,
    so no deadline_change_hooks call): new contacts get their rows, removed ones lose the pending ones.

    Safe to run twice.
    """
    reminders_plan(deadlines=list(commitment.deadlines.all()))


def reminders_plan_all(*, now: datetime | None = None, chunk: int = 500) -> int:
    """Plan the reminders of every deadline (the loader and the demo seed call this). Safe to run twice.

    Closed deadlines are included so that their pending rows are cancelled. Returns the number of deadlines.
    """
    ids = list(Deadline.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            reminders_plan(deadlines=list(Deadline.objects.filter(pk__in=ids[start : start + chunk])), now=now)
    return len(ids)


# --- Acknowledgement ------------------------------------------------------------------------------------------


def reminder_ack_token(*, reminder: Reminder) -> str:
    """The signed token of the acknowledge link in a reminder's e-mail (no login needed)."""
    payload = {"m": reminder.deadline.commitment_id, "r": reminder.pk}
    payload["c" if reminder.contact_id else "u"] = reminder.contact_id or reminder.user_id
    return signing.dumps(payload, salt=ACK_SALT, compress=True)


@transaction.atomic
def reminder_ack_commitment(*, token: str) -> Commitment:
    """The commitment an acknowledge link is about, without acknowledging. Raises signing.BadSignature."""
    return Commitment.objects.get(pk=signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)["m"])


def reminder_acknowledge(*, token: str) -> ReminderAcknowledgement:
    """Stop reminders of the token's commitment to the token's recipient. Raises signing.BadSignature.

    Safe to run twice (the second click finds the acknowledgement already there).
    """
    data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    commitment = Commitment.objects.get(pk=data["m"])
    who = {"contact_id": data["c"]} if "c" in data else {"user_id": data["u"]}
    ack, _ = ReminderAcknowledgement.objects.get_or_create(
        commitment=commitment, **who, defaults={"reminder_id": data.get("r")}
    )
    Reminder.objects.filter(deadline__commitment=commitment, status=ReminderStatus.PENDING, **who).update(
        status=ReminderStatus.CANCELLED, last_error="acknowledged by the recipient", updated_at=timezone.now()
    )
    return ack


# --- Claiming -------------------------------------------------------------------------------------------------


def reminders_claim(*, now: datetime | None = None, limit: int = 10_000) -> list[tuple[str, list[list[int]]]]:
    """Claim the due rows (and those whose worker's lease expired) and cut them into batches.

    Returns [(claim token, units)], a unit being the ids sent in one message (one row, or a digest).
    Concurrent ticks never claim the same row (SKIP LOCKED, then a conditional UPDATE). Safe to run twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Served by the partial indexes reminder_pending_next_attempt and reminder_sending_lease.
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", "contact_id", "user_id")[:limit]
        )
        if len(rows) < limit:
            rows += list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(status=ReminderStatus.SENDING, lease_expires_at__lte=now)
                .order_by("lease_expires_at")
                .values_list("pk", "contact_id", "user_id")[: limit - len(rows)]
            )
        if not rows:
            return []
        ids = [pk for pk, _, _ in rows]
        # One token for the whole tick: a worker holding an older claim on a row sends nothing.
        token = uuid.uuid4().hex
        # Conditional, like the SELECT: where row locks are not available (SQLite), a row another tick claimed
        # meanwhile keeps that tick's token, and only that tick's worker sends it.
        Reminder.objects.filter(
            Q(status=ReminderStatus.PENDING) | Q(status=ReminderStatus.SENDING, lease_expires_at__lte=now),
            pk__in=ids,
        ).update(
            status=ReminderStatus.SENDING,
            claim_token=token,
            lease_expires_at=now + timedelta(seconds=settings.REMINDER_LEASE_SECONDS),
            updated_at=now,
        )
    rows.sort(key=lambda r: (r[1] or 0, r[2] or 0, r[0]))  # one recipient's rows together
    contact_ids = {c for _, c, _ in rows if c}
    user_ids = {u for _, _, u in rows if u}
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
    for pk, contact_id, user_id in rows:
        key = ("c", contact_id) if contact_id else ("u", user_id)
        if key in digest_readers:
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
    from followups.tasks import reminders_send_batch as task

    batches = reminders_claim(now=now)
    for token, units in batches:
        if inline:
            reminders_send_batch(units=units, token=token)
        else:
            task.delay(units, token)
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
    seconds = settings.REMINDER_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, settings.REMINDER_RETRY_MAX_SECONDS))


def _why_not(row: Reminder) -> tuple[str, str] | None:
    """(status, reason) when a claimed row must not be sent after all."""
    deadline = row.deadline
    if not deadline.is_open or deadline.commitment.status in CLOSED_STATUSES:
        return ReminderStatus.CANCELLED, "deadline closed"
    if row.contact_id and not row.contact.is_active:
        return ReminderStatus.CANCELLED, "contact inactive"
    acks = ReminderAcknowledgement.objects.filter(commitment_id=deadline.commitment_id)
    mine = Q(contact_id=row.contact_id) if row.contact_id else Q(user_id=row.user_id)
    if acks.filter(mine).exists():
        return ReminderStatus.CANCELLED, "acknowledged by the recipient"
    if row.escalation and acks.filter(created_at__date__gte=deadline.due_on).exists():
        return ReminderStatus.SKIPPED, "overdue item acknowledged: no escalation needed"
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


def reminders_send_batch(*, units: list[list[int]], token: str) -> dict[str, int]:
    """Send one claimed batch over one SMTP connection. Returns counts by outcome.

    Each unit (one reminder, or one recipient's digest) is locked, sent and marked in one transaction. Rows
    no longer claimed with `token` (reclaimed after a lease expired, or already sent) are left alone, so a
    redelivered task is harmless. Safe to run twice.
    """
    from followups import emails

    counts: dict[str, int] = defaultdict(int)
    connection = get_connection()
    is_open = False
    out_of_time = False
    try:
        for unit in units:
            if out_of_time:
                # The rest stay SENDING under their lease; a later tick claims them again.
                break
            with transaction.atomic():
                rows = list(
                    Reminder.objects.select_for_update(of=("self",))
                    .select_related("deadline__commitment__framework", "contact", "user")
                    .filter(pk__in=unit, status=ReminderStatus.SENDING, claim_token=token)
                    .order_by("pk")
                )
                now = timezone.now()
                sendable = []
                for row in rows:
                    reason = _why_not(row)
                    if reason is None:
                        sendable.append(row)
                        continue
                    row.status, row.last_error = reason
                    row.save(update_fields=["status", "last_error", "updated_at"])
                    counts[row.status] += 1
                if not sendable:
                    continue
                message = emails.reminder_message(rows=sendable)
                for row in sendable:
                    row.attempts += 1
                try:
                    if not is_open:
                        connection.open()
                        is_open = True
                    connection.send_messages([message])
                except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
                    kind, reason = _classify(exc)
                    # Celery's soft time limit (below the lease): record this unit as a temporary failure, stop.
                    out_of_time = isinstance(exc, SoftTimeLimitExceeded)
                    if kind == TEMPORARY:
                        # The connection may be broken: the next unit opens a new one. Drop the socket without
                        # a polite QUIT, which would wait on the same slow server and run into the hard limit.
                        _drop_connection(connection)
                        is_open = False
                    for row in sendable:
                        row.last_error = reason
                        if kind == PERMANENT or row.attempts >= settings.REMINDER_MAX_ATTEMPTS:
                            row.status = ReminderStatus.FAILED
                        else:
                            row.status = ReminderStatus.PENDING
                            row.next_attempt_at = now + _retry_delay(row.attempts)
                        counts[row.status] += 1
                    log.warning("reminders %s not sent (%s): %s", [r.pk for r in sendable], kind, reason)
                else:
                    for row in sendable:
                        row.status = ReminderStatus.SENT
                        row.sent_at = now
                        row.message_id = message.extra_headers["Message-ID"]
                        row.last_error = ""
                        counts[row.status] += 1
                for row in sendable:
                    row.lease_expires_at = None
                    row.save(
                        update_fields=[
                            "status",
                            "attempts",
                            "last_error",
                            "next_attempt_at",
                            "sent_at",
                            "message_id",
                            "lease_expires_at",
                            "updated_at",
                        ]
                    )
    finally:
        if is_open:
            # The messages are already accepted or recorded as failed.
            with contextlib.suppress(Exception):
                connection.close()
    return dict(counts)


@transaction.atomic
def reminder_resend(*, reminder: Reminder) -> Reminder:
    """Put a FAILED reminder back in the queue, due now (the admin's "resend"). Safe to run twice."""
    updated = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
        updated_at=timezone.now(),
    )
    if updated:
        reminder.refresh_from_db()
    return reminder


# --- The commitment's timeline --------------------------------------------------------------------------------


def _timeline_entries(commitment: Commitment) -> list:
    from followups.selectors import TimelineEntry

    rows = (
        Reminder.objects.filter(
            deadline__commitment=commitment, status__in=[ReminderStatus.SENT, ReminderStatus.FAILED]
        )
        .select_related("deadline", "contact", "user")
        .order_by("-updated_at")[:200]
    )
    return [
        TimelineEntry(
            kind="reminder",
            when=row.sent_at or row.updated_at,
            who="system",
            title=f"Reminder {row.kind.replace('_', ' ')} {row.get_status_display().lower()} to {row.recipient_label}",
            detail=row.last_error,
            status=row.status,
        )
        for row in rows
    ]


def _register_timeline() -> None:
    try:
        from followups import selectors
    except ImportError:  # pragma: no cover - the timeline is optional
        return
    if _timeline_entries not in selectors.timeline_sources:
        selectors.timeline_sources.append(_timeline_entries)


_register_timeline()

__all__ = [
    "reminder_instant",
    "reminder_policy_days",
    "reminders_plan",
    "reminders_plan_all",
    "reminders_plan_commitment",
    "reminder_ack_commitment",
    "reminder_ack_token",
    "reminder_acknowledge",
    "reminders_claim",
    "reminders_tick",
    "reminders_send_batch",
    "reminder_resend",
]
