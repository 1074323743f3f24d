"""Every admin door changes state through the services, so what must follow a change follows from there too.

Each test makes the change as a data clerk would (the admin's own form, posted with what the page offers) and
checks what the people concerned would notice: reminders planned, moved or stopped, and the history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from agreements.models import FrameworkStatus
from agreements.roles import Role, role_groups_ensure
from followups.models import (
    AnchorKind,
    ContactReminderPreference,
    Reminder,
    ReminderPolicy,
    ReminderStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from followups.reminders.sending import reminders_claim, reminders_send_batch
from followups.webhooks.endpoints import webhook_endpoint_register
from tests import factories as f
from tests.agreements.test_admin import form_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clerk(client):
    groups = role_groups_ensure()
    user = get_user_model().objects.create_user("clerk-doors", password="pw-for-tests-1", is_staff=True)
    user.groups.add(groups[Role.DATA_CLERK])
    client.force_login(user)
    return client


def _deadline_with_contact(due: date):
    contact = f.ContactFactory(email="muted@example.org")
    commitment = f.CommitmentFactory(contacts=[contact])
    deadline = f.DeadlineFactory(commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=due, offset="")
    return contact, deadline


def _pending(deadline, **filters) -> set[str]:
    return set(
        Reminder.objects.filter(deadline=deadline, status=ReminderStatus.PENDING, **filters).values_list(
            "kind", flat=True
        )
    )


@time_machine.travel(NOW, tick=False)
def test_a_contact_muted_in_the_admin_loses_its_pending_reminders(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 6, 15))
    assert _pending(deadline, contact=contact)

    url = reverse("admin:followups_contactreminderpreference_add")
    data = form_of(clerk, url)
    data.update({"contact": [str(contact.pk)], "muted": ["on"]})
    response = clerk.post(url, data)
    assert response.status_code == 302, response.content.decode()[:800]

    assert ContactReminderPreference.objects.get(contact=contact).muted
    assert not _pending(deadline, contact=contact)
    assert Reminder.objects.filter(contact=contact, status=ReminderStatus.CANCELLED).exists()


def test_a_muted_contact_gets_nothing_even_for_a_row_claimed_before_the_mute(clerk):
    with time_machine.travel(NOW, tick=False):
        contact, deadline = _deadline_with_contact(date(2026, 3, 20))
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 3, 13, 12, 0, tzinfo=UTC), tick=False):  # the 7-day reminder is due
        batches = reminders_claim()
        assert batches, "the 7-day reminder was due and claimed"
        # Muted after the claim, by a door that writes the preference directly: the sender checks again.
        ContactReminderPreference.objects.create(contact=contact, muted=True)
        for token, units in batches:
            reminders_send_batch(units=units, token=token)
    assert mail.outbox == []
    row = Reminder.objects.get(deadline=deadline, contact=contact, kind="before_7")
    assert (row.status, row.last_error) == (ReminderStatus.CANCELLED, "the contact muted their reminders")


@time_machine.travel(NOW, tick=False)
def test_a_policy_edited_in_the_admin_moves_the_planned_reminders(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 8, 1))
    policy = ReminderPolicy.objects.create(framework=deadline.commitment.framework, lead_days=[30], overdue_days=[1])
    url = reverse("admin:followups_reminderpolicy_change", args=[policy.pk])
    data = form_of(clerk, url)
    data.update({"lead_days": ["[14, 3]"], "overdue_days": ["[2]"]})
    assert clerk.post(url, data).status_code == 302

    assert _pending(deadline, contact=contact) == {"before_14", "before_3", "overdue_2"}
    history = clerk.get(reverse("admin:followups_reminderpolicy_history", args=[policy.pk]))
    assert history.status_code == 200 and "[14, 3]" in history.content.decode()

    # Deleted: the defaults by priority come back.
    delete = reverse("admin:followups_reminderpolicy_delete", args=[policy.pk])
    assert clerk.post(delete, {"post": "yes"}).status_code == 302
    assert _pending(deadline, contact=contact) == {
        "before_30",
        "before_7",
        "before_1",
        "overdue_1",
        "overdue_7",
        "overdue_30",
    }


@time_machine.travel(NOW, tick=False)
def test_a_portfolio_given_in_the_admin_brings_the_desk_officer_the_overdue_escalations(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 2, 20))  # overdue: escalations are planned
    owner = deadline.commitment.owners.get()
    profile = f.StaffProfileFactory()
    officer = profile.user
    assert not Reminder.objects.filter(user=officer).exists()

    url = reverse("admin:agreements_staffprofile_change", args=[profile.pk])
    data = form_of(clerk, url)
    data["portfolio"] = [str(owner.pk)]
    assert clerk.post(url, data).status_code == 302

    assert Reminder.objects.filter(user=officer, deadline=deadline, escalation=True).exists()


@time_machine.travel(NOW, tick=False)
def test_owners_changed_in_the_admin_go_through_the_owner_service_and_keep_history(clerk):
    commitment = f.CommitmentFactory()
    old_owner = commitment.owners.get()
    new_owner = f.OrganisationFactory()
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk, url)
    data["ownerships-0-DELETE"] = ["on"]
    total = int(data["ownerships-TOTAL_FORMS"][0])
    data["ownerships-TOTAL_FORMS"] = [str(total + 1)]
    data[f"ownerships-{total}-organisation"] = [str(new_owner.pk)]
    response = clerk.post(url, data)
    assert response.status_code == 302, response.content.decode()[:800]

    assert list(commitment.owners.all()) == [new_owner]
    history = commitment.ownerships.model.history.filter(commitment_id=commitment.pk)
    assert {(h.organisation_id, h.history_type, h.history_user.username) for h in history if h.history_user} >= {
        (old_owner.pk, "-", "clerk-doors"),
        (new_owner.pk, "+", "clerk-doors"),
    }


@time_machine.travel(NOW, tick=False)
def test_a_framework_status_changed_in_the_admin_is_in_its_history_with_the_clerk(clerk):
    framework = f.FrameworkFactory(status=FrameworkStatus.SIGNED)
    url = reverse("admin:agreements_framework_change", args=[framework.pk])
    data = form_of(clerk, url)
    data["status"] = [FrameworkStatus.LAUNCHED.value]
    assert clerk.post(url, data).status_code == 302
    framework.refresh_from_db()
    assert framework.status == FrameworkStatus.LAUNCHED
    latest = framework.history.first()
    assert (latest.status, latest.history_user.username) == (FrameworkStatus.LAUNCHED, "clerk-doors")
    assert "signed -> launched" in latest.history_change_reason


@time_machine.travel(NOW, tick=False)
def test_a_deadline_deleted_in_the_admin_takes_its_reminders_and_keeps_who_deleted_it(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 6, 15))
    url = reverse("admin:followups_deadline_delete", args=[deadline.pk])
    assert clerk.post(url, {"post": "yes"}).status_code == 302
    assert not Reminder.objects.filter(deadline_id=deadline.pk).exists()
    record = deadline.history.model.objects.filter(id=deadline.pk, history_type="-").get()
    assert record.history_user.username == "clerk-doors"


@time_machine.travel(NOW, tick=False)
def test_points_of_contact_changed_on_a_commitment_in_the_admin_hand_over_the_pending_reminders(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 6, 15))
    newcomer = f.ContactFactory()
    url = reverse("admin:followups_commitment_change", args=[deadline.commitment.pk])
    data = form_of(clerk, url)
    data["contacts"] = [str(newcomer.pk)]
    response = clerk.post(url, data)
    assert response.status_code == 302, response.content.decode()[:800]

    assert not _pending(deadline, contact=contact)
    assert _pending(deadline, contact=newcomer) == {
        "before_30",
        "before_7",
        "before_1",
        "overdue_1",
        "overdue_7",
        "overdue_30",
    }


@time_machine.travel(NOW, tick=False)
def test_a_contacts_time_zone_changed_in_the_admin_moves_their_reminders_to_nine_there(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 6, 15))
    url = reverse("admin:agreements_contact_change", args=[contact.pk])
    data = form_of(clerk, url)
    data["time_zone"] = ["America/Lima"]
    assert clerk.post(url, data).status_code == 302

    row = Reminder.objects.get(deadline=deadline, contact=contact, kind="before_7")
    assert row.due_at == datetime(2026, 6, 8, 14, 0, tzinfo=UTC)  # 09:00 in Lima
    latest = contact.history.first()
    assert (latest.time_zone, latest.history_user.username) == ("America/Lima", "clerk-doors")


@time_machine.travel(NOW, tick=False)
def test_a_contacts_digest_chosen_in_the_admin_moves_the_weeks_reminders_to_monday(clerk):
    contact, deadline = _deadline_with_contact(date(2026, 6, 18))  # a Thursday
    url = reverse("admin:followups_contactreminderpreference_add")
    data = form_of(clerk, url)
    data.update({"contact": [str(contact.pk)], "digest": ["on"]})
    assert clerk.post(url, data).status_code == 302

    row = Reminder.objects.get(deadline=deadline, contact=contact, kind="before_7")
    assert row.due_at == datetime(2026, 6, 8, 9, 0, tzinfo=UTC)  # Thursday 11 June's, on Monday 8 June
    preference = ContactReminderPreference.objects.get(contact=contact)
    assert preference.history.first().history_user.username == "clerk-doors"


@time_machine.travel(NOW, tick=False)
def test_a_webhook_endpoint_paused_in_the_admin_has_its_pending_notices_cancelled(clerk):
    org = f.OrganisationFactory()
    deadline = f.fixed_deadline(date(2026, 6, 15), owners=[org])
    endpoint, _secret = webhook_endpoint_register(
        organisation=org, url="https://hooks.example.org/t", events=["deadline.approaching"]
    )
    notices = WebhookDelivery.objects.filter(endpoint=endpoint, deadline=deadline)
    assert notices.filter(status=WebhookDeliveryStatus.PENDING).count() == 3

    url = reverse("admin:followups_webhookendpoint_change", args=[endpoint.pk])
    data = form_of(clerk, url)
    data.pop("is_active", None)  # the box unticked
    response = clerk.post(url, data)
    assert response.status_code == 302, response.content.decode()[:800]

    assert not notices.filter(status=WebhookDeliveryStatus.PENDING).exists()
    assert notices.filter(status=WebhookDeliveryStatus.CANCELLED).count() == 3
    latest = endpoint.history.first()
    assert (latest.is_active, latest.history_user.username) == (False, "clerk-doors")
