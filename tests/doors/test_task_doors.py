"""The Celery tasks honour every change made at the other doors, up to the moment of sending.

No task changes any of issue 8's kinds (owners, contacts, policies, preferences, mutes, staff profiles,
framework status, webhook endpoints, API keys): the tasks take ids and carry out what the services planned (the
sending ticks and batches, the hourly planning). So each test here makes a change through another door's service
after the planning, or writes it straight into its table as a door that skipped the services would, then runs
the tasks as the worker does (the beat's claim, then the task function with the claimed ids and token) and checks
what the recipient gets: a muted contact gets nothing, even for a row claimed before the mute; an edited policy
holds through the hourly planning and its new moment is sent; an endpoint paused after its notice was claimed is
not called.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from followups import services, tasks
from followups.models import (
    ContactReminderPreference,
    Reminder,
    ReminderPolicy,
    ReminderStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from followups.reminders.sending import reminders_claim
from followups.webhooks.endpoints import webhook_endpoint_register, webhook_endpoint_update
from followups.webhooks.sending import webhooks_claim
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SEVEN_DAYS_BEFORE = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)  # of a deadline due on 20 March, 09:00 UTC


def _send_due_reminders() -> None:
    """The beat's tick claims what is due; the worker runs one send task per claimed batch."""
    for token, units in reminders_claim():
        tasks.reminders_send_batch(units, token)


def test_a_contact_muted_through_the_service_after_planning_is_sent_nothing_and_the_colleague_is():
    contact, colleague = f.ContactFactory(), f.ContactFactory()
    with time_machine.travel(NOW, tick=False):
        f.fixed_deadline(date(2026, 3, 20), contacts=[contact, colleague])
        services.contact_reminder_preference_set(contact=contact, digest=False, muted=True)
    mail.outbox.clear()

    with time_machine.travel(SEVEN_DAYS_BEFORE, tick=False):
        _send_due_reminders()

    assert [m.to for m in mail.outbox] == [[colleague.email]]


def test_a_contact_muted_by_a_direct_write_after_the_claim_is_sent_nothing_by_the_send_task():
    contact, colleague = f.ContactFactory(), f.ContactFactory()
    with time_machine.travel(NOW, tick=False):
        deadline = f.fixed_deadline(date(2026, 3, 20), contacts=[contact, colleague])
    mail.outbox.clear()

    with time_machine.travel(SEVEN_DAYS_BEFORE, tick=False):
        batches = reminders_claim()
        assert batches, "both contacts' 7-day reminders were due and claimed"
        # A door that skipped the service (a script, the database shell): nothing was cancelled.
        ContactReminderPreference.objects.create(contact=contact, muted=True)
        for token, units in batches:
            tasks.reminders_send_batch(units, token)

    assert [m.to for m in mail.outbox] == [[colleague.email]]
    row = Reminder.objects.get(deadline=deadline, contact=contact, kind="before_7")
    assert (row.status, row.last_error) == (ReminderStatus.CANCELLED, "the contact muted their reminders")


def test_a_policy_edited_after_planning_holds_through_the_hourly_planning_task_and_its_moment_is_sent():
    contact = f.ContactFactory()
    with time_machine.travel(NOW, tick=False):
        deadline = f.fixed_deadline(date(2026, 3, 20), contacts=[contact])
        policy = ReminderPolicy(framework=deadline.commitment.framework, lead_days=[10], overdue_days=[2])
        services.reminder_policy_save(policy=policy)
        tasks.reminders_plan_daily()
    pending = Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING)
    assert set(pending.values_list("kind", flat=True)) == {"before_10", "overdue_2"}
    mail.outbox.clear()

    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):  # ten days before
        _send_due_reminders()
    assert [m.to for m in mail.outbox] == [[contact.email]]
    assert Reminder.objects.get(contact=contact, kind="before_10").status == ReminderStatus.SENT
    with time_machine.travel(SEVEN_DAYS_BEFORE, tick=False):  # the defaults' 7-day moment: nothing more
        _send_due_reminders()
    assert len(mail.outbox) == 1


def test_an_endpoint_paused_after_its_notice_was_claimed_is_not_called_by_the_send_task():
    org = f.OrganisationFactory()
    with time_machine.travel(NOW, tick=False):
        deadline = f.fixed_deadline(date(2026, 3, 20), owners=[org])
        endpoint, _secret = webhook_endpoint_register(
            organisation=org, url="https://hooks.example.org/t", events=["deadline.approaching"]
        )
    notice = WebhookDelivery.objects.get(deadline=deadline, next_attempt_at=SEVEN_DAYS_BEFORE)

    with time_machine.travel(SEVEN_DAYS_BEFORE, tick=False):
        batches = webhooks_claim()
        assert [ids for _token, ids in batches] == [[notice.pk]]
        webhook_endpoint_update(endpoint=endpoint, is_active=False)  # the partner pauses it meanwhile
        for token, ids in batches:
            tasks.webhooks_send_batch(ids, token)

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (WebhookDeliveryStatus.CANCELLED, 0)
    assert notice.last_error == "the endpoint was deactivated or no longer receives this event"
