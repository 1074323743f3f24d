"""Quiet commitments: an open commitment with no status update for longer than its window (by priority, from the
framework's reminder policy or DEFAULT_QUIET_DAYS) nudges its contacts, then after a grace period its owners'
desk officers (DESIGN.md, "nothing goes quiet"), whether it has a deadline or not.

The nudges are rows of the same outbox as the deadline reminders (`Reminder` with no deadline), kind
"quiet_<last update, YYYYMMDD>_<window number>": the clock is part of the identity, so a status update starts a new
clock (the old clock's pending nudges are cancelled) and each window is nudged once. Rows are written when their
window is about to end, by `quiet_plan_all` (the daily planning run) and `quiet_plan` (called by the status
services when an update resets the clock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from followups.models import Commitment, Reminder, ReminderAcknowledgement, ReminderStatus
from followups.reminders.planner import RecipientKey, _contact_recipients, _Recipient, _Staff, reminder_instant

QUIET = "quiet_"


def quiet_kind(*, last_update: date, window: int) -> str:
    return f"{QUIET}{last_update:%Y%m%d}_{window}"


def quiet_clock_of(kind: str) -> str:
    """The "quiet_<YYYYMMDD>_" prefix of a nudge's kind: the clock it belongs to."""
    return kind.rsplit("_", 1)[0] + "_"


def _wanted(
    commitment: Commitment, staff: _Staff, acked: set[RecipientKey], *, now: datetime
) -> dict[tuple, tuple[_Recipient, str, datetime, bool]]:
    """(recipient key, kind) -> (recipient, kind, due instant, escalation) for the window ending now or tomorrow."""
    today = now.date()
    window, grace = commitment.quiet_window()
    last = commitment.last_update  # annotated by with_last_update
    number = (today + timedelta(days=1) - last).days // window
    if number < 1:
        return {}
    kind = quiet_kind(last_update=last, window=number)
    day = last + timedelta(days=number * window)
    contacts = [r for r in _contact_recipients(commitment) if r.key not in acked]
    staff_list = [r for r in staff.desk_officers(commitment) if r.key not in acked] or [
        r for r in staff.coordinators if r.key not in acked
    ]
    wanted = {}
    for r in contacts:
        wanted[(*r.key, kind)] = (r, kind, max(reminder_instant(day=day, zone=r.zone), now), False)
    # The desk officers after the grace period (at once when nobody is named to nudge first); a window found late
    # (the commitment went quiet before anyone planned it) gives the contacts their grace from now.
    staff_day = day + timedelta(days=grace if contacts else 0)
    for r in staff_list:
        at = reminder_instant(day=staff_day, zone=r.zone)
        if contacts:
            at = max(at, now + timedelta(days=grace))
        wanted[(*r.key, kind)] = (r, kind, max(at, now), bool(contacts))
    return wanted


def quiet_plan(*, commitments: Iterable[Commitment], now: datetime | None = None) -> None:
    """Write the nudges the commitments call for, in the caller's transaction (an outbox).

    A window about to end gets its rows (once: an existing row, sent or not, is left as it is); pending nudges of
    an older clock (a status update came), of a closed commitment, or to a recipient no longer concerned are
    cancelled. Safe to run twice.
    """
    now = now or timezone.now()
    ids = [c.pk for c in commitments]
    if not ids:
        return
    staff = _Staff()
    rows = (
        Commitment.objects.filter(pk__in=ids)
        .with_last_update()
        .select_related("framework__reminder_policy")
        .prefetch_related("contacts__reminder_preference", "contacts__organisation", "owners")
    )
    acked: dict[int, set[RecipientKey]] = defaultdict(set)
    for ack in ReminderAcknowledgement.objects.filter(commitment_id__in=ids):
        acked[ack.commitment_id].add(("c", ack.contact_id) if ack.contact_id else ("u", ack.user_id))
    # Keyed by commitment id (never None here: the rows are filtered by it).
    existing: dict[int | None, dict[tuple, Reminder]] = defaultdict(dict)
    for row in Reminder.objects.select_for_update().filter(commitment_id__in=ids, deadline__isnull=True):
        key = ("c", row.contact_id, row.kind) if row.contact_id else ("u", row.user_id, row.kind)
        existing[row.commitment_id][key] = row
    to_create, to_cancel = [], []
    for commitment in rows:
        wanted = {} if commitment.is_closed else _wanted(commitment, staff, acked[commitment.pk], now=now)
        have = existing[commitment.pk]
        for key, (recipient, kind, due_at, escalation) in wanted.items():
            if key not in have:
                to_create.append(
                    Reminder(
                        commitment=commitment,
                        contact_id=recipient.contact_id,
                        user_id=recipient.user_id,
                        kind=kind,
                        escalation=escalation,
                        due_at=due_at,
                        next_attempt_at=due_at,
                        created_at=now,
                    )
                )
        for key, row in have.items():
            if row.status == ReminderStatus.PENDING and key not in wanted:
                row.status = ReminderStatus.CANCELLED
                row.last_error = "no longer quiet: a status update arrived, or the commitment closed"
                to_cancel.append(row)
    Reminder.objects.bulk_create(to_create, batch_size=1000, ignore_conflicts=True)
    Reminder.objects.bulk_update(to_cancel, ["status", "last_error"], batch_size=1000)


def quiet_plan_all(*, now: datetime | None = None, chunk: int = 500) -> int:
    """Plan the nudges of every open commitment and cancel those of closed ones. Safe to run twice.

    Returns the number of commitments looked at."""
    now = now or timezone.now()
    ids = sorted(
        set(Commitment.objects.open().values_list("pk", flat=True))
        | set(
            Reminder.objects.filter(deadline__isnull=True, status=ReminderStatus.PENDING).values_list(
                "commitment_id", flat=True
            )
        )
    )
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            quiet_plan(commitments=list(Commitment.objects.filter(pk__in=ids[start : start + chunk])), now=now)
    return len(ids)
