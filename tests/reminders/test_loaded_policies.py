"""The dataset's reminder policies (issue 10): loaded with their days and scope, used by the planner for the
deadlines they cover (a meeting gets its day-of reminder), and a coordinator's edit survives the next load."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from followups import services
from followups.loader import DEFAULT_PATH, LoadError, load_data
from followups.models import Deadline, LoadBaseline, Reminder, ReminderPolicy
from followups.reminders.planner import reminders_plan

pytestmark = pytest.mark.django_db

DATASET = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
# The dataset's own date: the meeting of the US-Australia framework (CMT-AU-04) is still ahead.
AS_OF = datetime(2026, 3, 15, 12, tzinfo=ZoneInfo("UTC"))


def dataset(mutate=None) -> dict:
    data = copy.deepcopy(DATASET)
    if mutate:
        mutate({p["id"]: p for p in data["reminder_policies"]})
    return data


@pytest.fixture
def loaded():
    load_data(dataset())


def test_the_policies_are_loaded_with_their_days_and_scope(loaded):
    policies = {p.ref: p for p in ReminderPolicy.objects.filter(ref__startswith="RP-")}
    assert set(policies) == {"RP-DEFAULT", "RP-HIGH", "RP-MEETING", "RP-RECURRING", "RP-OVERDUE"}
    meeting = policies["RP-MEETING"]
    assert (meeting.lead_days, meeting.category, meeting.priority, meeting.recurring) == (
        [30, 7, 1, 0],
        "meeting",
        "",
        False,
    )
    assert meeting.name == "Meeting reminders (incl. day-of)" and meeting.illustrative
    assert (policies["RP-RECURRING"].lead_days, policies["RP-RECURRING"].recurring) == ([7, 1], True)
    assert (policies["RP-HIGH"].lead_days, policies["RP-HIGH"].priority) == ([60, 30, 14, 7, 1], "high")
    assert (policies["RP-OVERDUE"].lead_days, policies["RP-OVERDUE"].overdue_days) == ([], [1, 7, 30])
    assert all(p.framework_id is None and p.deadline_id is None for p in policies.values())


def test_each_deadline_takes_the_policy_of_its_category_then_repetition_then_priority(loaded):
    general = ReminderPolicy.objects.general()
    # A high-priority meeting: the meeting policy (the dataset's scheduled reminders say RP-MEETING), day-of too.
    assert Deadline.objects.get(commitment__ref="CMT-AU-04").notice_days(general) == ([30, 7, 1, 0], [1, 7, 30])
    # A repeating review that is not a meeting: the recurring policy.
    assert Deadline.objects.get(commitment__ref="CMT-CD-05").notice_days(general) == ([7, 1], [1, 7, 30])
    # A repeating meeting: still the meeting policy.
    assert Deadline.objects.get(commitment__ref="CMT-MY-01").notice_days(general)[0] == [30, 7, 1, 0]
    # High priority, neither: the high-priority policy.
    assert Deadline.objects.get(commitment__ref="CMT-AU-01").notice_days(general)[0] == [60, 30, 14, 7, 1]
    # Read here without the planner's list: the same answer.
    assert Deadline.objects.get(commitment__ref="CMT-AU-04").notice_days() == ([30, 7, 1, 0], [1, 7, 30])


def test_a_meeting_gets_a_reminder_on_the_day_itself(loaded, coordinator):
    deadline = Deadline.objects.get(commitment__ref="CMT-AU-04")
    # Planned on the dataset's date, a month before the meeting. No point of contact in the dataset: the
    # reminders go to the coordinators.
    reminders_plan(deadlines=[deadline], now=AS_OF)
    rows = Reminder.objects.filter(deadline=deadline, user=coordinator)
    assert {r.kind for r in rows} >= {"before_30", "before_7", "before_1", "before_0"}
    day_of = rows.get(kind="before_0")
    assert timezone.localtime(day_of.due_at, ZoneInfo(settings.TIME_ZONE)).date() == deadline.due_on
    assert day_of.status == "pending"


def test_a_coordinator_edit_of_a_policy_survives_loading_again(loaded, coordinator):
    meeting = ReminderPolicy.objects.get(ref="RP-MEETING")
    meeting.lead_days = [14, 0]
    services.reminder_policy_save(policy=meeting, by_user=coordinator)  # as the admin saves it
    deadline = Deadline.objects.get(commitment__ref="CMT-AU-04")
    kinds = set(Reminder.objects.filter(deadline=deadline, user=coordinator).values_list("kind", flat=True))
    assert {"before_14", "before_0"} <= kinds
    report = load_data(dataset())  # `make run` again
    assert ReminderPolicy.objects.get(ref="RP-MEETING").lead_days == [14, 0]
    assert report.conflicts == []
    assert Deadline.objects.get(commitment__ref="CMT-AU-04").notice_days()[0] == [14, 0]
    # A change in the file to a policy nobody edited follows the file and moves its deadlines' reminders.
    load_data(dataset(lambda p: p["RP-RECURRING"].update(lead_times_days=[3])))
    assert ReminderPolicy.objects.get(ref="RP-RECURRING").lead_days == [3]
    assert ReminderPolicy.objects.get(ref="RP-MEETING").lead_days == [14, 0]
    assert LoadBaseline.objects.filter(kind="reminder_policies", ref="RP-RECURRING").exists()


def test_a_policy_the_loader_cannot_apply_is_an_error_naming_it(db):
    def bad(policies):
        policies["RP-MEETING"]["applies_to"] = {"category": ["meeting", "pricing"], "region": ["EU"]}
        policies["RP-RECURRING"]["lead_times_days"] = [7, -1]

    with pytest.raises(LoadError) as error:
        load_data(dataset(bad))
    problems = "\n".join(error.value.problems)
    assert "RP-MEETING: unknown criteria region" in problems
    assert "RP-MEETING: applies_to.category must name one of" in problems
    assert "RP-RECURRING: lead_times_days must be a list of whole numbers of days from 0" in problems
    assert not ReminderPolicy.objects.exists()
