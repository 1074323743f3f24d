"""The planner writes the outbox rows with the deadline change; policies, moves, closing and late entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from agreements.roles import Role
from followups import services
from followups.models import AnchorKind, Priority, Reminder, ReminderPolicy, ReminderStatus, Status
from followups.reminders.planner import reminders_plan, reminders_plan_all
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def fixed_deadline(due: date, **kwargs):
    return f.DeadlineFactory(anchor_kind=AnchorKind.FIXED, anchor_date=due, offset="", **kwargs)


def rows(deadline, **filters):
    return {(r.kind, r.contact_id or r.user_id): r for r in Reminder.objects.filter(deadline=deadline, **filters)}


@time_machine.travel(NOW, tick=False)
def test_a_new_deadline_plans_30_7_1_days_before_and_overdue_at_nine_local_time():
    paris = f.ContactFactory(time_zone="Europe/Paris")
    kolkata = f.ContactFactory(time_zone="Asia/Kolkata")
    commitment = f.CommitmentFactory(contacts=[paris, kolkata])
    deadline = fixed_deadline(date(2026, 6, 15), commitment=commitment)

    planned = rows(deadline)
    kinds = {k for k, _ in planned}
    assert kinds == {"before_30", "before_7", "before_1", "overdue_1", "overdue_7", "overdue_30"}
    # 09:00 in Paris on 16 May (summer time, UTC+2) and in Kolkata (UTC+5:30).
    assert planned[("before_30", paris.pk)].due_at == datetime(2026, 5, 16, 7, 0, tzinfo=UTC)
    assert planned[("before_30", kolkata.pk)].due_at == datetime(2026, 5, 16, 3, 30, tzinfo=UTC)
    assert planned[("overdue_1", paris.pk)].due_at == datetime(2026, 6, 16, 7, 0, tzinfo=UTC)
    assert all(r.status == ReminderStatus.PENDING for r in planned.values())


@time_machine.travel(NOW, tick=False)
def test_high_priority_and_policy_overrides():
    contact = f.ContactFactory()
    high = f.CommitmentFactory(contacts=[contact], priority=Priority.HIGH)
    d1 = fixed_deadline(date(2026, 8, 1), commitment=high)
    assert {k for k, _ in rows(d1) if k.startswith("before")} == {f"before_{n}" for n in (60, 30, 14, 7, 1)}

    normal = f.CommitmentFactory(contacts=[contact])
    ReminderPolicy.objects.create(framework=normal.framework, lead_days=[10], overdue_days=[2])
    d2 = fixed_deadline(date(2026, 8, 1), commitment=normal)
    assert {k for k, _ in rows(d2)} == {"before_10", "overdue_2"}

    ReminderPolicy.objects.create(deadline=d2, lead_days=[3])
    with transaction.atomic():
        reminders_plan(deadlines=[d2])
    assert {k for k, _ in rows(d2, status=ReminderStatus.PENDING)} == {"before_3", "overdue_2"}
    assert rows(d2)[("before_10", contact.pk)].status == ReminderStatus.CANCELLED


@time_machine.travel(NOW, tick=False)
def test_extending_a_deadline_reschedules_its_pending_reminders():
    contact = f.ContactFactory()
    deadline = fixed_deadline(date(2026, 6, 15), commitment=f.CommitmentFactory(contacts=[contact]))
    services.deadline_extend(deadline=deadline, new_due_on=date(2026, 7, 15), reason="partner asked", actor="t")
    assert rows(deadline)[("before_7", contact.pk)].due_at == datetime(2026, 7, 8, 9, 0, tzinfo=UTC)
    assert Reminder.objects.filter(deadline=deadline).count() == 6


@time_machine.travel(NOW, tick=False)
def test_completing_or_cancelling_stops_reminders_and_reopening_restores_them():
    contact = f.ContactFactory()
    commitment = f.CommitmentFactory(contacts=[contact])
    deadline = fixed_deadline(date(2026, 6, 15), commitment=commitment)
    services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, actor="t")
    assert set(Reminder.objects.filter(deadline=deadline).values_list("status", flat=True)) == {"cancelled"}
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, actor="t")
    assert set(Reminder.objects.filter(deadline=deadline).values_list("status", flat=True)) == {"pending"}
    services.commitment_update_status(commitment=commitment, status=Status.CANCELLED, actor="t")
    assert set(Reminder.objects.filter(deadline=deadline).values_list("status", flat=True)) == {"cancelled"}


def test_late_entry_sends_one_catch_up_and_skips_older_moments():
    contact = f.ContactFactory()
    commitment = f.CommitmentFactory(contacts=[contact])
    # Entered at 15:00 UTC on 1 June for a deadline due 2 June: the 1-day reminder (09:00 on 1 June) passed six
    # hours ago and goes out now; the 30- and 7-day ones passed long ago and are skipped.
    entered = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    with time_machine.travel(entered, tick=False):
        deadline = fixed_deadline(date(2026, 6, 2), commitment=commitment)
    planned = rows(deadline)
    assert planned[("before_1", contact.pk)].status == ReminderStatus.PENDING
    assert planned[("before_1", contact.pk)].catch_up
    assert planned[("before_1", contact.pk)].next_attempt_at == entered
    assert planned[("before_30", contact.pk)].status == ReminderStatus.SKIPPED
    assert planned[("before_7", contact.pk)].status == ReminderStatus.SKIPPED

    # Moved to yesterday (overdue +1 passed an hour ago): no second catch-up for this deadline.
    with time_machine.travel(datetime(2026, 6, 5, 10, 0, tzinfo=UTC), tick=False):
        deadline.refresh_from_db()
        deadline.anchor_date = date(2026, 6, 3)
        services.deadline_save_rule(deadline=deadline, actor="t")
    planned = rows(deadline)
    assert planned[("overdue_1", contact.pk)].status == ReminderStatus.SKIPPED
    assert sum(r.catch_up for r in planned.values()) == 1


def test_an_overdue_deadline_extended_to_next_week_gets_its_seven_day_reminder_at_once():
    contact = f.ContactFactory()
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        deadline = fixed_deadline(date(2026, 4, 20), commitment=f.CommitmentFactory(contacts=[contact]))
    Reminder.objects.filter(deadline=deadline, due_at__lt=datetime(2026, 12, 1, tzinfo=UTC)).update(
        status=ReminderStatus.SENT
    )
    # On 2 December at 15:00 UTC it is extended to 9 December: the 7-day moment (09:00 today) passed six hours
    # ago and goes out now; the 30- and 14-day ones are long past and stay as they were.
    extended_at = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(extended_at, tick=False):
        services.deadline_extend(deadline=deadline, new_due_on=date(2026, 12, 9), reason="late signature", actor="t")
    planned = rows(deadline)
    seven = planned[("before_7", contact.pk)]
    assert (seven.status, seven.catch_up, seven.next_attempt_at) == (ReminderStatus.PENDING, True, extended_at)
    assert planned[("before_30", contact.pk)].status == ReminderStatus.SENT
    assert planned[("before_1", contact.pk)].status == ReminderStatus.PENDING


def test_a_late_entry_older_than_a_day_is_skipped_entirely():
    contact = f.ContactFactory()
    with time_machine.travel(datetime(2026, 6, 3, 15, 0, tzinfo=UTC), tick=False):
        deadline = fixed_deadline(date(2026, 6, 1), commitment=f.CommitmentFactory(contacts=[contact]))
    planned = rows(deadline)
    assert planned[("before_1", contact.pk)].status == ReminderStatus.SKIPPED
    # overdue +1 (09:00 on 2 June) passed 30 hours ago: skipped too; +7 and +30 are still ahead.
    assert planned[("overdue_1", contact.pk)].status == ReminderStatus.SKIPPED
    assert planned[("overdue_7", contact.pk)].status == ReminderStatus.PENDING


@time_machine.travel(NOW, tick=False)
def test_overdue_escalates_to_desk_officer_then_coordinator():
    contact = f.ContactFactory()
    commitment = f.CommitmentFactory(contacts=[contact])
    owner = commitment.owners.get()
    desk = f.StaffProfileFactory(portfolio=[owner]).user
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    deadline = fixed_deadline(date(2026, 6, 15), commitment=commitment)
    planned = rows(deadline)
    assert ("overdue_1", desk.pk) not in planned
    assert planned[("overdue_7", desk.pk)].escalation
    assert ("overdue_7", coordinator.pk) not in planned
    assert planned[("overdue_30", coordinator.pk)].escalation
    assert planned[("overdue_30", desk.pk)].escalation


@time_machine.travel(NOW, tick=False)
def test_digest_readers_get_the_weeks_reminders_on_monday():
    desk_profile = f.StaffProfileFactory(time_zone="America/New_York", reminder_digest=True)
    contact = f.ContactFactory()
    commitment = f.CommitmentFactory(contacts=[contact])
    contact.reminder_preference = None
    from followups.models import ContactReminderPreference

    ContactReminderPreference.objects.create(contact=contact, digest=True)
    deadline = fixed_deadline(date(2026, 6, 18), commitment=commitment)  # a Thursday
    planned = rows(deadline)
    # 7 days before = Thursday 11 June -> Monday 8 June, 09:00 UTC.
    assert planned[("before_7", contact.pk)].due_at == datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    assert desk_profile.user_id  # the desk officer follows no country here: no rows
    assert not Reminder.objects.filter(user=desk_profile.user).exists()


@time_machine.travel(NOW, tick=False)
def test_rolled_back_change_leaves_no_row():
    contact = f.ContactFactory()
    commitment = f.CommitmentFactory(contacts=[contact])
    seen_inside = []

    def change_then_fail():
        with transaction.atomic():
            fixed_deadline(date(2026, 6, 15), commitment=commitment)
            seen_inside.append(Reminder.objects.count())
            raise RuntimeError("the form failed after the save")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen_inside == [6]
    assert Reminder.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_plan_all_is_safe_to_run_twice(django_assert_max_num_queries):
    contact = f.ContactFactory()
    for n in range(5):
        fixed_deadline(date(2026, 6, 1) + timedelta(days=n), commitment=f.CommitmentFactory(contacts=[contact]))
    Reminder.objects.all().delete()
    assert reminders_plan_all() == 5
    first = set(Reminder.objects.values_list("deadline_id", "kind", "due_at", "status"))
    reminders_plan_all()
    assert set(Reminder.objects.values_list("deadline_id", "kind", "due_at", "status")) == first
    assert len(first) == 30


@time_machine.travel(NOW, tick=False)
def test_a_contact_added_later_gets_reminders_once_the_commitment_is_replanned():
    from followups.reminders.planner import reminders_plan_commitment

    first = f.ContactFactory()
    commitment = f.CommitmentFactory(contacts=[first])
    deadline = fixed_deadline(date(2026, 6, 15), commitment=commitment)
    later = f.ContactFactory()
    commitment.contacts.set([later])
    reminders_plan_commitment(commitment=commitment)
    assert Reminder.objects.filter(deadline=deadline, contact=later, status=ReminderStatus.PENDING).count() == 6
    assert Reminder.objects.filter(deadline=deadline, contact=first, status=ReminderStatus.PENDING).count() == 0
