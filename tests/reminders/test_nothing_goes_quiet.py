"""Nothing goes quiet (issue 9): overdue reminders repeat until someone acts, the desk officers get a weekly digest
of what is overdue in their portfolio, a commitment without a point of contact reminds its desk officers, and a
commitment with no update for longer than its window nudges its contacts and then its desk officer.

Each test walks the calendar day by day with time-machine, running what beat runs (the daily planning and the
tick), and reads the mail that arrived, as the recipients would.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from agreements.roles import Role
from followups import services
from followups.models import AnchorKind, Commitment, Priority, Reminder, ReminderPolicy, ReminderStatus, Status
from followups.reminders.acks import reminder_ack_token, reminder_acknowledge
from followups.reminders.planner import reminders_plan_daily
from followups.reminders.sending import reminders_tick
from tests import factories as f

pytestmark = pytest.mark.django_db

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def fixed_deadline(commitment, due: date):
    with time_machine.travel(PLANNED, tick=False):
        return f.DeadlineFactory(commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=due, offset="")


def walk(start: date, end: date, inbox: dict[str, list[tuple[date, str]]]) -> None:
    """Every day from start to end (inclusive) at 12:00 UTC: the daily planning run, then a tick."""
    day = start
    while day <= end:
        with time_machine.travel(datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC), tick=False):
            mail.outbox.clear()
            reminders_plan_daily()
            reminders_tick(inline=True)
            for message in mail.outbox:
                inbox[message.to[0]].append((day, message.subject))
        day += timedelta(days=1)


def days_after(due: date, received: list[tuple[date, str]]) -> list[int]:
    return [(day - due).days for day, _ in received]


def test_overdue_repeats_weekly_after_the_escalation_steps_until_completed():
    contact = f.ContactFactory(time_zone="UTC")
    commitment = f.CommitmentFactory(contacts=[contact])
    due = date(2026, 6, 15)
    fixed_deadline(commitment, due)
    inbox: dict[str, list] = defaultdict(list)

    walk(due - timedelta(days=1), date(2026, 8, 20), inbox)
    overdue = [(d, s) for d, s in inbox[contact.email] if d > due]
    # +1, +7, +30, then every week: nobody acted.
    assert days_after(due, overdue) == [1, 7, 30, 37, 44, 51, 58, 65]
    assert all(commitment.ref in s for _, s in overdue)

    with time_machine.travel(datetime(2026, 8, 20, 15, 0, tzinfo=UTC), tick=False):
        services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, actor="desk")
    inbox.clear()
    walk(date(2026, 8, 21), date(2026, 9, 20), inbox)
    assert inbox[contact.email] == []
    assert not Reminder.objects.filter(deadline__commitment=commitment, status=ReminderStatus.PENDING).exists()


def test_overdue_repeats_stop_for_the_recipient_who_acknowledged_and_follow_an_extension():
    first, second = f.ContactFactory(time_zone="UTC"), f.ContactFactory(time_zone="UTC")
    commitment = f.CommitmentFactory(contacts=[first, second])
    due = date(2026, 6, 15)
    deadline = fixed_deadline(commitment, due)
    inbox: dict[str, list] = defaultdict(list)
    walk(due, date(2026, 7, 23), inbox)  # up to the first repeat (+37, 22 July)
    assert days_after(due, inbox[first.email])[-1] == 37

    repeat = Reminder.objects.get(contact=first, kind="overdue_repeat_1")
    with time_machine.travel(datetime(2026, 7, 24, 10, 0, tzinfo=UTC), tick=False):
        reminder_acknowledge(token=reminder_ack_token(reminder=repeat))
    inbox.clear()
    walk(date(2026, 7, 24), date(2026, 8, 10), inbox)
    assert inbox[first.email] == []
    assert days_after(due, inbox[second.email]) == [44, 51]

    # Extended to 1 September: the repeats stop; the new date's own reminders take over.
    with time_machine.travel(datetime(2026, 8, 10, 15, 0, tzinfo=UTC), tick=False):
        services.deadline_extend(deadline=deadline, new_due_on=date(2026, 9, 1), reason="new signature", actor="t")
    inbox.clear()
    walk(date(2026, 8, 11), date(2026, 8, 31), inbox)
    assert [d for d, _ in inbox[second.email]] == [date(2026, 8, 25), date(2026, 8, 31)]  # 7 days and 1 day before


def test_a_repeat_interval_set_in_the_policy():
    contact = f.ContactFactory(time_zone="UTC")
    commitment = f.CommitmentFactory(contacts=[contact])
    ReminderPolicy.objects.create(framework=commitment.framework, overdue_days=[1], repeat_overdue_every_days=3)
    due = date(2026, 6, 15)
    fixed_deadline(commitment, due)
    inbox: dict[str, list] = defaultdict(list)
    walk(due, date(2026, 6, 26), inbox)
    assert days_after(due, [(d, s) for d, s in inbox[contact.email] if d > due]) == [1, 4, 7, 10]


def test_desk_officer_gets_one_weekly_digest_of_everything_overdue_in_the_portfolio():
    country = f.OrganisationFactory()
    desk = f.StaffProfileFactory(portfolio=[country]).user
    contact = f.ContactFactory(time_zone="UTC")
    one = f.CommitmentFactory(owners=[country], contacts=[contact])
    two = f.CommitmentFactory(owners=[country], contacts=[contact])
    fixed_deadline(one, date(2026, 6, 10))  # +30 on Friday 10 July
    fixed_deadline(two, date(2026, 6, 15))  # +30 on Wednesday 15 July
    inbox: dict[str, list] = defaultdict(list)
    walk(date(2026, 6, 9), date(2026, 8, 4), inbox)
    digest = "Your weekly follow-up digest: 2 deadlines"
    # Every Monday after a due date, one message with everything overdue in the portfolio, until someone acts;
    # the +7 and +30 escalations come on their own days besides.
    assert sorted(inbox[desk.email]) == [
        (date(2026, 6, 15), f"Overdue: {one.ref} was due on 2026-06-10 (5 days ago)"),
        (date(2026, 6, 17), f"Overdue: {one.ref} was due on 2026-06-10 (7 days ago)"),
        (date(2026, 6, 22), f"Overdue: {two.ref} was due on 2026-06-15 (7 days ago)"),
        (date(2026, 6, 22), digest),
        (date(2026, 6, 29), digest),
        (date(2026, 7, 6), digest),
        (date(2026, 7, 10), f"Overdue: {one.ref} was due on 2026-06-10 (30 days ago)"),
        (date(2026, 7, 13), digest),
        (date(2026, 7, 15), f"Overdue: {two.ref} was due on 2026-06-15 (30 days ago)"),
        (date(2026, 7, 20), digest),
        (date(2026, 7, 27), digest),
        (date(2026, 8, 3), digest),
    ]
    # The contact's repeats stay one message per deadline.
    assert [(d, s.split(":")[1].split()[0]) for d, s in inbox[contact.email] if d > date(2026, 7, 15)] == [
        (date(2026, 7, 17), one.ref),
        (date(2026, 7, 22), two.ref),
        (date(2026, 7, 24), one.ref),
        (date(2026, 7, 29), two.ref),
        (date(2026, 7, 31), one.ref),
    ]


def test_a_commitment_without_a_point_of_contact_reminds_its_desk_officers_before_the_deadline():
    country = f.OrganisationFactory()
    desk = f.StaffProfileFactory(portfolio=[country], time_zone="UTC").user
    other_desk = f.StaffProfileFactory(portfolio=[f.OrganisationFactory()]).user
    commitment = f.CommitmentFactory(owners=[country])
    due = date(2026, 6, 15)
    fixed_deadline(commitment, due)
    inbox: dict[str, list] = defaultdict(list)
    walk(date(2026, 5, 14), due, inbox)
    assert [(due - d).days for d, _ in inbox[desk.email]] == [30, 7, 1]
    assert all(commitment.ref in s and "due on 2026-06-15" in s for _, s in inbox[desk.email])
    assert inbox[other_desk.email] == []


def test_a_quiet_commitment_nudges_contacts_then_its_desk_officer_once_per_window_and_an_update_resets_it():
    country = f.OrganisationFactory()
    desk = f.StaffProfileFactory(portfolio=[country], time_zone="UTC").user
    contact = f.ContactFactory(time_zone="UTC")
    with time_machine.travel(PLANNED, tick=False):  # entered on 2 March, no deadline, normal priority: 60 days
        commitment = f.CommitmentFactory(owners=[country], contacts=[contact])
        assert commitment.deadlines.count() == 0
    inbox: dict[str, list] = defaultdict(list)
    walk(date(2026, 3, 3), date(2026, 5, 19), inbox)
    assert [d for d, _ in inbox[contact.email]] == [date(2026, 5, 1)]  # 60 days without an update
    assert [d for d, _ in inbox[desk.email]] == [date(2026, 5, 15)]  # after 14 days' grace
    assert commitment.ref in inbox[contact.email][0][1]
    with time_machine.travel(datetime(2026, 5, 10, tzinfo=UTC), tick=False):
        assert list(Commitment.objects.quiet(today=date(2026, 5, 10))) == [commitment]
        assert Commitment.objects.get(pk=commitment.pk).days_since_update() == 69

    with time_machine.travel(datetime(2026, 5, 20, 15, 0, tzinfo=UTC), tick=False):
        services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, note="call", actor="t")
        assert not Commitment.objects.quiet(today=date(2026, 5, 20)).exists()
    inbox.clear()
    walk(date(2026, 5, 21), date(2026, 7, 25), inbox)
    assert [d for d, _ in inbox[contact.email]] == [date(2026, 7, 19)]  # the clock restarted on 20 May
    assert inbox[desk.email] == []  # its grace runs to 2 August


def test_a_high_priority_commitment_goes_quiet_sooner_and_an_update_before_the_grace_stops_the_escalation():
    country = f.OrganisationFactory()
    desk = f.StaffProfileFactory(portfolio=[country], time_zone="UTC").user
    contact = f.ContactFactory(time_zone="UTC")
    with time_machine.travel(PLANNED, tick=False):
        commitment = f.CommitmentFactory(owners=[country], contacts=[contact], priority=Priority.HIGH)
    inbox: dict[str, list] = defaultdict(list)
    walk(date(2026, 3, 3), date(2026, 4, 5), inbox)
    assert [d for d, _ in inbox[contact.email]] == [date(2026, 4, 1)]  # 30 days
    escalation = Reminder.objects.get(user=desk, commitment=commitment, deadline__isnull=True)
    assert escalation.status == ReminderStatus.PENDING
    with time_machine.travel(datetime(2026, 4, 6, 15, 0, tzinfo=UTC), tick=False):
        services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, note="delayed", actor="t")
    escalation.refresh_from_db()
    assert escalation.status == ReminderStatus.CANCELLED
    walk(date(2026, 4, 7), date(2026, 4, 20), inbox)
    assert inbox[desk.email] == []


def test_coordinators_hear_of_a_quiet_commitment_nobody_else_would():
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    with time_machine.travel(PLANNED, tick=False):
        commitment = f.CommitmentFactory(priority=Priority.LOW)
    inbox: dict[str, list] = defaultdict(list)
    walk(date(2026, 5, 30), date(2026, 6, 2), inbox)
    assert [d for d, _ in inbox[coordinator.email]] == [date(2026, 5, 31)]  # 90 days
    assert commitment.ref in inbox[coordinator.email][0][1]


def test_the_dashboard_counts_what_has_gone_quiet_and_the_list_filters_on_it(client_for):
    desk = f.UserFactory(role=Role.DESK_OFFICER)
    with time_machine.travel(PLANNED, tick=False):
        quiet = f.CommitmentFactory(title="Untouched since March")
        recent = f.CommitmentFactory(title="Updated lately")
        f.CommitmentFactory(title="Closed long ago", status=Status.COMPLETED)
    with time_machine.travel(datetime(2026, 5, 25, 12, 0, tzinfo=UTC), tick=False):
        services.commitment_update_status(commitment=recent, status=Status.IN_PROGRESS, actor="t")
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), tick=False):  # 91 days after entry
        client = client_for(desk)
        dashboard = client.get("/").content.decode()
        assert '<span class="tracker-count__number">1</span> <span class="tracker-count__label">gone quiet' in dashboard
        for query in ("quiet=yes", "quiet=true"):
            listed = client.get(f"/commitments/?{query}").content.decode()
            assert quiet.ref in listed and recent.ref not in listed
        listed = client.get("/commitments/?quiet=no").content.decode()
        assert recent.ref in listed and quiet.ref not in listed
        page = client.get(f"/commitments/{quiet.ref}/").content.decode()
        assert "91 days ago" in page and "Gone quiet" in page


def test_the_beat_entry_plans_the_next_repeat_an_hour_at_most_after_it_is_needed(settings):
    from followups.tasks import reminders_plan_daily as task

    entry = settings.CELERY_BEAT_SCHEDULE["reminders-plan-daily"]
    assert (entry["task"], entry["schedule"]) == (task.name, 3600)
    contact = f.ContactFactory(time_zone="UTC")
    commitment = f.CommitmentFactory(contacts=[contact])
    fixed_deadline(commitment, date(2026, 6, 15))
    assert not Reminder.objects.filter(kind__startswith="overdue_repeat").exists()  # too far ahead in March
    with time_machine.travel(datetime(2026, 7, 20, 12, 0, tzinfo=UTC), tick=False):
        assert task.apply().get() == 1  # one overdue deadline planned again
    [repeat] = Reminder.objects.filter(kind__startswith="overdue_repeat")
    assert (repeat.kind, repeat.due_at, repeat.status) == (
        "overdue_repeat_1",
        datetime(2026, 7, 22, 9, 0, tzinfo=UTC),
        ReminderStatus.PENDING,
    )


def test_a_nudge_sent_shows_on_the_commitments_timeline(client_for):
    contact = f.ContactFactory(time_zone="UTC")
    with time_machine.travel(PLANNED, tick=False):
        commitment = f.CommitmentFactory(contacts=[contact], priority=Priority.HIGH)
    walk(date(2026, 4, 1), date(2026, 4, 1), defaultdict(list))  # 30 days without an update
    page = client_for(f.UserFactory(role=Role.VIEWER)).get(f"/commitments/{commitment.ref}/").content.decode()
    assert "Nudge sent to " in page and f"({contact.email}): no update for a while." in page


def test_send_due_reminders_plan_also_plans_repeats_and_nudges():
    from io import StringIO

    from django.core.management import call_command

    contact = f.ContactFactory(time_zone="UTC")
    with time_machine.travel(PLANNED, tick=False):
        commitment = f.CommitmentFactory(contacts=[contact])
    fixed_deadline(commitment, date(2026, 6, 15))
    out = StringIO()
    with time_machine.travel(datetime(2026, 7, 20, 12, 0, tzinfo=UTC), tick=False):
        call_command("send_due_reminders", "--plan", stdout=out)
    assert "Planned the repeats of 1 overdue deadlines" in out.getvalue()
    kinds = set(Reminder.objects.filter(contact=contact).values_list("kind", flat=True))
    assert "overdue_repeat_1" in kinds  # due 22 July
    assert any(k.startswith("quiet_") for k in kinds)  # no update since 2 March: quiet for over 60 days
