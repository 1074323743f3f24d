"""The loader is a thin door onto the services: a changed dataset re-plans what must follow, as a staff change would.

Each test loads the shipped dataset, then a modified copy of it with `manage.py load_ministerial <file>`, as the
data team would, and checks what the people concerned would notice: the points of contact's planned reminders,
the partners' planned `deadline.approaching` deliveries, and the history, which names the loader.

The file changes three of issue 8's kinds: a commitment's owners (`owner_party_ids`), its points of contact
(`contacts` and `contact_ids`, a contact's language and time zone) and a framework's status. The file's
`reminder_policies` go through the admin's service (tests/reminders/test_loaded_policies.py). It has no door for
the others: contacts' reminder preferences and mutes, staff profiles, webhook endpoints and API keys are not in
the format.
The other management command that changes one of these kinds, `issue_api_key`, is tested in tests/api/test_keys.py.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from agreements.models import Contact, Framework, FrameworkStatus, Organisation
from followups.loader import DEFAULT_PATH
from followups.models import (
    Commitment,
    CommitmentOwner,
    Deadline,
    Reminder,
    ReminderStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from followups.webhooks.endpoints import webhook_endpoint_register

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 29, 12, 0, tzinfo=UTC)  # after the last of the file's timeline updates (27 June)
DATASET = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
# CMT-GB-01 is owed by the United States and the United Kingdom under FW-US-GB, due on 4 August 2026.
COMMITMENT, FRAMEWORK = "CMT-GB-01", "FW-US-GB"
PLANNED = {"before_30", "before_7", "before_1", "overdue_1", "overdue_7", "overdue_30"}  # a normal priority's


def _dataset(*, owners=("ORG-US", "ORG-GB"), contact_ids=("CON-GB-1",), gb_zone="Europe/London") -> dict:
    """The shipped dataset with two British points of contact (the shipped file names none), changed as asked."""
    data = copy.deepcopy(DATASET)
    data["contacts"] = [
        {"id": "CON-GB-1", "name": "Alex Brown", "email": "alex@example.org", "organisation_id": "ORG-GB"},
        {"id": "CON-GB-2", "name": "Sam Green", "email": "sam@example.org", "organisation_id": "ORG-GB"},
    ]
    data["contacts"][0]["time_zone"] = gb_zone
    commitment = next(c for c in data["commitments"] if c["id"] == COMMITMENT)
    commitment["owner_party_ids"] = list(owners)
    commitment["contact_ids"] = list(contact_ids)
    return data


def _load(tmp_path: Path, data: dict, name: str = "ministerial.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    out = StringIO()
    call_command("load_ministerial", str(path), stdout=out)
    return out.getvalue()


def _deadline() -> Deadline:
    return Deadline.objects.get(commitment__ref=COMMITMENT)


def _pending_reminders(contact_ref: str) -> dict[str, datetime]:
    rows = Reminder.objects.filter(deadline=_deadline(), contact__ref=contact_ref, status=ReminderStatus.PENDING)
    return dict(rows.values_list("kind", "due_at"))


@time_machine.travel(NOW, tick=False)
def test_an_owner_dropped_then_restored_in_the_file_takes_and_gives_back_its_partners_deadline_notices(tmp_path):
    _load(tmp_path, _dataset())
    britain = Organisation.objects.get(ref="ORG-GB")
    endpoint, _secret = webhook_endpoint_register(
        organisation=britain, url="https://hooks.example.org/gb", events=["deadline.approaching"]
    )
    notices = WebhookDelivery.objects.filter(endpoint=endpoint, deadline=_deadline())
    assert notices.filter(status=WebhookDeliveryStatus.PENDING).count() == 3  # 30, 7 and 1 days before

    _load(tmp_path, _dataset(owners=["ORG-US"]))

    assert list(Commitment.objects.get(ref=COMMITMENT).owners.values_list("ref", flat=True)) == ["ORG-US"]
    assert not notices.filter(status=WebhookDeliveryStatus.PENDING).exists()
    removed = CommitmentOwner.history.filter(organisation=britain, commitment__ref=COMMITMENT, history_type="-").get()
    assert removed.history_change_reason == "load_ministerial"

    _load(tmp_path, _dataset())

    assert set(Commitment.objects.get(ref=COMMITMENT).owners.values_list("ref", flat=True)) == {"ORG-US", "ORG-GB"}
    assert notices.filter(status=WebhookDeliveryStatus.PENDING).count() == 3
    added = CommitmentOwner.history.filter(organisation=britain, commitment__ref=COMMITMENT, history_type="+")
    assert [h.history_change_reason for h in added.order_by("history_date")][-1] == "load_ministerial: owner added"


@time_machine.travel(NOW, tick=False)
def test_a_point_of_contact_replaced_in_the_file_hands_over_the_pending_reminders(tmp_path):
    _load(tmp_path, _dataset())
    assert set(_pending_reminders("CON-GB-1")) == PLANNED
    assert _pending_reminders("CON-GB-2") == {}

    _load(tmp_path, _dataset(contact_ids=["CON-GB-2"]))

    assert _pending_reminders("CON-GB-1") == {}
    assert set(_pending_reminders("CON-GB-2")) == PLANNED


@time_machine.travel(NOW, tick=False)
def test_a_contacts_time_zone_changed_in_the_file_moves_their_reminders_to_nine_there(tmp_path):
    _load(tmp_path, _dataset())
    # 30 days before 4 August is 5 July: 09:00 in London (summer time) is 08:00 UTC.
    assert _pending_reminders("CON-GB-1")["before_30"] == datetime(2026, 7, 5, 8, 0, tzinfo=UTC)

    _load(tmp_path, _dataset(gb_zone="Asia/Tokyo"))

    assert _pending_reminders("CON-GB-1")["before_30"] == datetime(2026, 7, 5, 0, 0, tzinfo=UTC)
    latest = Contact.objects.get(ref="CON-GB-1").history.first()
    assert (latest.time_zone, latest.history_change_reason) == ("Asia/Tokyo", "load_ministerial")


@time_machine.travel(NOW, tick=False)
def test_a_framework_status_changed_in_the_file_is_set_through_the_service_with_the_loader_in_its_history(tmp_path):
    _load(tmp_path, _dataset())
    framework = Framework.objects.get(ref=FRAMEWORK)
    assert framework.status == FrameworkStatus.SIGNED
    data = _dataset()
    next(f for f in data["frameworks"] if f["id"] == FRAMEWORK)["status"] = FrameworkStatus.IN_IMPLEMENTATION.value

    out = _load(tmp_path, data, "changed.json")

    framework.refresh_from_db()
    assert framework.status == FrameworkStatus.IN_IMPLEMENTATION
    latest = framework.history.first()
    assert latest.status == FrameworkStatus.IN_IMPLEMENTATION
    assert latest.history_change_reason == "load_ministerial: status in the file"
    assert "frameworks: 0 created, 1 updated" in out


def test_the_demo_seed_plans_what_the_hourly_task_would(db):
    """`make run`'s demo seed gives the desk officer a portfolio: their escalations are planned by the seed itself,
    as the admin's door plans them, not an hour later by the planning task."""
    import json

    from django.contrib.auth import get_user_model

    from followups.demo import demo_seed
    from followups.loader import DEFAULT_PATH, load_file
    from followups.models import Deadline, Reminder, ReminderStatus
    from followups.tasks import reminders_plan_daily

    load_file()
    demo_seed(dataset=json.loads(DEFAULT_PATH.read_text()))
    desk = get_user_model().objects.get(username="desk")

    seeded_deadlines = list(Deadline.objects.values_list("pk", flat=True))

    def planned() -> set[tuple]:
        # The task also schedules the next periodic reviews (new deadlines): those are its own to plan.
        rows = Reminder.objects.filter(user=desk, status=ReminderStatus.PENDING, deadline_id__in=seeded_deadlines)
        return set(rows.values_list("deadline_id", "commitment_id", "kind", "due_at"))

    seeded = planned()
    reminders_plan_daily()
    assert seeded, "the demo desk officer's portfolio has overdue commitments to hear about"
    assert planned() == seeded
