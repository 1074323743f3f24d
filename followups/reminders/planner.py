"""Planning reminders: which rows the outbox holds for a deadline (DESIGN.md, "Reminders").

`reminders_plan` writes the rows for changed deadlines inside the caller's transaction (an outbox). The services
that move, close or reopen a deadline, or change who is to hear about it, call it by name
(`followups.services.deadlines_changed`); `reminders_plan_all` plans every open deadline (the loader, the demo).
Who hears: the commitment's responsible contacts (unless muted, inactive or acknowledged), then by escalation its
owners' desk officers and the coordinators.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Contact, StaffProfile
from agreements.roles import Role
from followups.deadlines import local_instant
from followups.models import (
    CLOSED_STATUSES,
    Commitment,
    Deadline,
    Reminder,
    ReminderAcknowledgement,
    ReminderPolicy,
    ReminderStatus,
)

# A reminder whose moment passed less than this before it was planned still goes out (once); older: SKIPPED.
CATCH_UP_WINDOW = timedelta(days=1)


# --- When -----------------------------------------------------------------------------------------------------


def reminder_local_time() -> time:
    """REMINDER_LOCAL_TIME ("08:00") as a time of day."""
    hours, _, minutes = settings.REMINDER_LOCAL_TIME.partition(":")
    return time(int(hours), int(minutes or 0))


def reminder_instant(*, day: date, zone: str) -> datetime:
    """The UTC instant of REMINDER_LOCAL_TIME on `day` in the time zone `zone` (DST included)."""
    return local_instant(day=day, zone=zone, at=reminder_local_time())


# --- Who ------------------------------------------------------------------------------------------------------

# ("c", contact id) or ("u", user id): a reminder's one recipient (reminder_one_recipient), as a key.
RecipientKey = tuple[str, int | None]


@dataclass(frozen=True)
class _Recipient:
    contact_id: int | None
    user_id: int | None
    zone: str
    digest: bool

    @property
    def key(self) -> RecipientKey:
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


def _contact_active(contact: Contact) -> bool:
    """A contact hears nothing while inactive or while their organisation is deactivated."""
    return contact.is_active and contact.organisation.is_active


def _contact_recipients(commitment: Commitment) -> list[_Recipient]:
    found = []
    for contact in commitment.contacts.all():
        pref = getattr(contact, "reminder_preference", None)
        if not _contact_active(contact) or (pref is not None and pref.muted):
            continue
        found.append(_Recipient(contact.pk, None, contact.time_zone, bool(pref and pref.digest)))
    return found


def has_point_of_contact(commitment: Commitment) -> bool:
    """Whether anyone at a partner can be reminded: an active contact of an active organisation (a muted one
    counts: they chose). Without one, the owners' desk officers get the before-deadline reminders."""
    return any(_contact_active(c) for c in commitment.contacts.all())


def no_contact_notice(commitment: Commitment) -> str:
    """What staff are told on the commitment's page and in the admin when nobody at a partner can be reminded of
    it: who hears instead (the owners' desk officers, or only the coordinators). Blank when a contact can."""
    if commitment.is_closed or has_point_of_contact(commitment):
        return ""
    desk = (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=Role.DESK_OFFICER.value,
            staff_profile__portfolio__in=commitment.owners.all(),
        )
        .exclude(email="")
        .distinct()
    )
    names = sorted(u.get_full_name() or u.get_username() for u in desk)
    if names:
        return _("No point of contact: its reminders go to the desk officers of the owning parties (%(names)s).") % {
            "names": ", ".join(names)
        }
    return _(
        "No point of contact and no desk officer follows its owning parties: its reminders go to the coordinators."
    )


def _digest_day(day: date) -> date:
    """A digest reader gets the week's reminders on its Monday (the Monday on or before the day)."""
    return day - timedelta(days=day.weekday())


# Kinds of the staff's weekly overdue digest rows: "overdue_week_<Monday>" (one row per deadline and officer, sent
# together by the claim as one message per officer: followups.reminders.sending.reminders_claim).
WEEKLY_OVERDUE = "overdue_week_"


# --- Planning -------------------------------------------------------------------------------------------------


@dataclass
class _Wanted:
    recipient: _Recipient
    kind: str
    due_at: datetime
    escalation: bool


def _wanted(
    deadline: Deadline, staff: _Staff, acked: set[RecipientKey], today: date, general: list[ReminderPolicy]
) -> dict[tuple, _Wanted]:
    commitment = deadline.commitment
    lead, overdue = deadline.notice_days(general)
    contacts = [r for r in _contact_recipients(commitment) if r.key not in acked]
    desk = [r for r in staff.desk_officers(commitment) if r.key not in acked]
    # A later occurrence of a recurring obligation has rows of its own: the earlier ones keep their history.
    prefix = f"o{deadline.occurrence_index}:" if deadline.occurrence_index else ""
    wanted: dict[tuple, _Wanted] = {}

    def add(recipient: _Recipient, kind: str, day: date, escalation: bool) -> None:
        if recipient.digest:
            day = _digest_day(day)
        due_at = reminder_instant(day=day, zone=recipient.zone)
        wanted[(*recipient.key, prefix + kind)] = _Wanted(recipient, prefix + kind, due_at, escalation)

    # No point of contact: the owning parties' desk officers (else the coordinators) are reminded instead.
    before = contacts if has_point_of_contact(commitment) else (desk or staff.coordinators)
    for days in lead:
        for r in before:
            add(r, f"before_{days}", deadline.due_on - timedelta(days=days), False)
    for step, days in enumerate(overdue):
        day = deadline.due_on + timedelta(days=days)
        for r in contacts:
            add(r, f"overdue_{days}", day, False)
        # One step further up at each unacknowledged step: desk officers from the second, coordinators from the
        # third (from the first and second when nobody is named to receive it).
        up = step + (0 if contacts else 1)
        escalated = (desk if up >= 1 else []) + (staff.coordinators if up >= 2 else [])
        for r in escalated:
            if r.key not in acked:
                add(r, f"overdue_{days}", day, True)
    _add_repeats(deadline, overdue, contacts, acked, today, add, every=deadline.repeat_overdue_days(general))
    # The weekly digest of everything overdue: the owners' desk officers from the first Monday after the due date;
    # without a desk officer, the coordinators once the escalation steps are over.
    weekly_from = deadline.due_on if desk else deadline.due_on + timedelta(days=overdue[-1] if overdue else 0)
    _add_weekly(weekly_from, desk or staff.coordinators, acked, today, add)
    return wanted


def _add_repeats(deadline, overdue, contacts, acked, today, add, *, every: int) -> None:
    """After the last overdue step: the contacts every `repeat_overdue_days` until the deadline is closed or
    moved, or the reader acknowledged.

    Only the repeats near today are wanted (those that may still be sent and the next one): the planner runs
    again every day (`reminders_plan_daily`), so there is always one ahead and never an endless list of rows.
    """
    start = deadline.due_on + timedelta(days=overdue[-1] if overdue else 0)
    low, high = today - timedelta(days=every), today + timedelta(days=every)
    n = max(1, (low - start).days // every)
    while (day := start + timedelta(days=n * every)) <= high:
        if day >= low:
            for r in contacts:
                add(r, f"overdue_repeat_{n}", day, False)
        n += 1


def _add_weekly(start, staff, acked, today, add) -> None:
    """One row per Monday after `start` for each staff reader, near today (the same window as the repeats); the
    claim sends one reader's rows of a Monday as one message (followups.reminders.sending.reminders_claim)."""
    monday = start + timedelta(days=7 - start.weekday())  # the first Monday after the start
    if monday < today - timedelta(days=7):
        monday += timedelta(weeks=(today - monday).days // 7 - 1)
    while monday <= today + timedelta(days=7):
        if monday >= today - timedelta(days=7):
            for r in staff:
                if r.key not in acked:
                    add(replace(r, digest=False), f"{WEEKLY_OVERDUE}{monday:%Y%m%d}", monday, True)
        monday += timedelta(weeks=1)


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
        .prefetch_related(
            "commitment__contacts__reminder_preference", "commitment__contacts__organisation", "commitment__owners"
        )
    )
    acked: dict[int, set[RecipientKey]] = defaultdict(set)
    for ack in ReminderAcknowledgement.objects.filter(commitment_id__in={d.commitment_id for d in rows}):
        acked[ack.commitment_id].add(("c", ack.contact_id) if ack.contact_id else ("u", ack.user_id))
    # Keyed by deadline id (never None here: the rows are filtered by it).
    existing: dict[int | None, dict[tuple, Reminder]] = defaultdict(dict)
    for row in Reminder.objects.select_for_update().filter(deadline_id__in=ids):
        existing[row.deadline_id][_key(row)] = row

    plan = _Plan(now=now)
    general = ReminderPolicy.objects.general()  # the category, priority and repetition policies, read once
    for deadline in rows:
        live = deadline.is_open and deadline.commitment.status not in CLOSED_STATUSES
        wanted = _wanted(deadline, staff, acked[deadline.commitment_id], now.date(), general) if live else {}
        plan.reconcile(deadline, wanted, existing[deadline.pk])
    plan.write()


class _Plan:
    """The rows to create and update for a planning run, reconciled deadline by deadline."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.to_create: list[Reminder] = []
        self.to_update: list[Reminder] = []

    def reconcile(self, deadline: Deadline, wanted: dict[tuple, _Wanted], have: dict[tuple, Reminder]) -> None:
        """New rows for what is wanted, moved or revived rows for what changed, cancelled ones for the rest."""
        fresh: list[Reminder] = []
        for key, want in wanted.items():
            row = have.get(key)
            if row is None:
                row = self._new(deadline, want)
                self.to_create.append(row)
                fresh.append(row)
            elif self._moved_or_revived(row, want):
                self.to_update.append(row)
                fresh.append(row)
        for key, row in have.items():
            if key not in wanted and row.status == ReminderStatus.PENDING:
                row.status = ReminderStatus.CANCELLED
                row.last_error = "no longer due: deadline closed, moved or acknowledged"
                self.to_update.append(row)
        _apply_late_entry_rule(fresh, have.values(), now=self.now)

    def _new(self, deadline: Deadline, want: _Wanted) -> Reminder:
        return Reminder(
            deadline=deadline,
            commitment_id=deadline.commitment_id,
            contact_id=want.recipient.contact_id,
            user_id=want.recipient.user_id,
            kind=want.kind,
            escalation=want.escalation,
            due_at=want.due_at,
            next_attempt_at=want.due_at,
            created_at=self.now,
        )

    def _moved_or_revived(self, row: Reminder, want: _Wanted) -> bool:
        """Update an existing row to what is wanted now; whether it changed (and so is to be planned again)."""
        if row.status == ReminderStatus.PENDING:
            if row.due_at == want.due_at:
                return False
            row.due_at = row.next_attempt_at = want.due_at
            return True
        if want.due_at > self.now - CATCH_UP_WINDOW and (
            row.status == ReminderStatus.CANCELLED
            or (row.status in (ReminderStatus.SKIPPED, ReminderStatus.SENT) and row.due_at != want.due_at)
        ):
            # Reopened, or moved to a new date: it is to be sent (again) at its new moment; a moment that passed
            # within the last day (a deadline extended to next week) is a late entry, like a new row.
            row.status = ReminderStatus.PENDING
            row.due_at = row.next_attempt_at = want.due_at
            row.attempts, row.last_error, row.sent_at, row.message_id = 0, "", None, ""
            return True
        return False

    def write(self) -> None:
        Reminder.objects.bulk_create(self.to_create, batch_size=1000)
        Reminder.objects.bulk_update(
            self.to_update,
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


@transaction.atomic
def reminders_plan_commitment(*, commitment: Commitment) -> None:
    """Re-plan a commitment's reminders after its responsible contacts or owners changed: new contacts get their
    rows, removed ones lose the pending ones.

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


def reminders_plan_daily(*, now: datetime | None = None, chunk: int = 500) -> int:
    """The daily planning run (Celery beat, hourly: it is cheap and safe to run twice): every overdue open
    deadline is planned again so that its next overdue repeat and weekly digest row exist; then the quiet
    commitments' nudges (`followups.reminders.quiet.quiet_plan_all`). Returns the number of deadlines planned."""
    from followups.reminders.quiet import quiet_plan_all

    now = now or timezone.now()
    ids = list(Deadline.objects.overdue(today=now.date()).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            reminders_plan(deadlines=list(Deadline.objects.filter(pk__in=ids[start : start + chunk])), now=now)
    quiet_plan_all(now=now)
    return len(ids)
