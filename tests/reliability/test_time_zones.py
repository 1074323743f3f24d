"""Time zones and daylight saving through 2026: every reminder fires once, at 09:00 in its recipient's zone.

The claim query is what decides when a reminder fires, so the test plans thousands of reminders and runs the
tick's claim at each instant (and one second before it): nothing fires early, everything fires at its instant,
nothing fires twice. Australia/Lord_Howe shifts by half an hour; Asia/Kolkata is UTC+5:30 without DST.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from followups.models import AnchorKind, Reminder, ReminderStatus
from followups.reminders.planner import reminders_plan
from followups.reminders.sending import reminders_claim
from tests import factories as f

pytestmark = pytest.mark.django_db

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]


def test_each_reminder_fires_once_at_nine_local_through_2026():
    contacts = [f.ContactFactory(time_zone=zone) for zone in ZONES]
    with time_machine.travel(datetime(2025, 10, 1, tzinfo=UTC), tick=False):
        deadlines = []
        for n in range(0, 365, 4):  # a deadline every four days through 2026
            deadline = f.DeadlineFactory(
                commitment=f.CommitmentFactory(),
                anchor_kind=AnchorKind.FIXED,
                anchor_date=date(2026, 1, 1) + timedelta(days=n),
                offset="",
            )
            deadline.commitment.contacts.set(contacts)
            deadlines.append(deadline)
        with transaction.atomic():
            reminders_plan(deadlines=deadlines)
    rows = list(Reminder.objects.select_related("contact", "deadline"))
    assert len(rows) > 2500

    for row in rows:
        zone = ZoneInfo(row.contact.time_zone)
        days = int(row.kind.split("_")[1]) * (-1 if row.kind.startswith("before") else 1)
        local = row.due_at.astimezone(zone)
        assert (local.date(), local.time()) == (row.deadline.due_on + timedelta(days=days), time(9, 0)), row.kind

    fired: Counter = Counter()
    window_start = datetime(2026, 1, 1, tzinfo=UTC)
    instants = sorted({r.due_at for r in rows if r.due_at >= window_start})
    # Rows before 2026 are claimed in one go first; then instant by instant.
    for _token, units in reminders_claim(now=window_start - timedelta(seconds=1), limit=100_000):
        for unit in units:
            fired.update(unit)
    Reminder.objects.filter(status=ReminderStatus.SENDING).update(status=ReminderStatus.SENT)
    for instant in instants:
        early = reminders_claim(now=instant - timedelta(seconds=1))
        assert early == [], f"something fired before {instant}"
        claimed = [pk for _, units in reminders_claim(now=instant) for unit in units for pk in unit]
        expected = {r.pk for r in rows if r.due_at == instant}
        assert set(claimed) == expected
        fired.update(claimed)
        # The worker's part (marking SENT) done here: the claim is what is under test.
        Reminder.objects.filter(pk__in=claimed).update(status=ReminderStatus.SENT)
    assert set(fired) == {r.pk for r in rows}
    assert max(fired.values()) == 1


@pytest.mark.parametrize(
    ("zone", "day", "utc"),
    [
        ("Europe/Paris", date(2026, 3, 28), datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),  # winter time
        ("Europe/Paris", date(2026, 3, 29), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),  # summer time from 02:00
        ("America/New_York", date(2026, 3, 8), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),
        ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
        ("Australia/Lord_Howe", date(2026, 4, 4), datetime(2026, 4, 3, 22, 0, tzinfo=UTC)),  # UTC+11
        ("Australia/Lord_Howe", date(2026, 4, 5), datetime(2026, 4, 4, 22, 30, tzinfo=UTC)),  # UTC+10:30
        ("Asia/Kolkata", date(2026, 7, 1), datetime(2026, 7, 1, 3, 30, tzinfo=UTC)),
    ],
)
def test_nine_local_on_daylight_saving_days(zone, day, utc):
    from followups.reminders.planner import reminder_instant

    assert reminder_instant(day=day, zone=zone) == utc
