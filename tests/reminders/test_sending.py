"""Sending in this process (the locmem mail backend): what the recipient reads, and the acknowledge link."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from agreements.models import Language
from followups.models import AnchorKind, Reminder, ReminderStatus
from followups.reminders.sending import reminder_resend, reminders_claim, reminders_tick
from tests import factories as f

pytestmark = pytest.mark.django_db

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def make_deadline(contact, due=date(2026, 6, 15), **kwargs):
    commitment = f.CommitmentFactory(contacts=[contact], **kwargs)
    with time_machine.travel(PLANNED, tick=False):
        return f.DeadlineFactory(
            commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=due, offset="", title="Conclude MoU"
        )


def test_the_seven_day_reminder_arrives_at_nine_in_spanish_with_link_ics_and_fixed_message_id():
    contact = f.ContactFactory(language=Language.SPANISH, time_zone="America/Lima")
    deadline = make_deadline(contact)
    with time_machine.travel(datetime(2026, 5, 16, 15, 0, tzinfo=UTC), tick=False):
        assert reminders_tick(inline=True) == 1  # the 30-day one
    mail.outbox.clear()
    # 09:00 in Lima (UTC-5) on 8 June is 14:00 UTC: one minute before, nothing is due.
    with time_machine.travel(datetime(2026, 6, 8, 13, 59, tzinfo=UTC), tick=False):
        assert reminders_tick(inline=True) == 0
    with time_machine.travel(datetime(2026, 6, 8, 14, 0, tzinfo=UTC), tick=False):
        assert reminders_tick(inline=True) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [contact.email]
    assert "vence el 2026-06-15 (quedan 7 días)" in message.subject
    assert deadline.commitment.framework.title in message.body
    # A point of contact has no account: the link opens the one-commitment report page (tests/partner).
    assert f"/commitments/{deadline.commitment.ref}/" not in message.body
    assert "http://127.0.0.1:8000/partner/report/pl_" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'lang="es"' in html
    (name, ics, ics_type) = message.attachments[0]
    assert name == f"{deadline.ref}.ics" and ics_type == "text/calendar"
    assert "DTSTART;VALUE=DATE:20260615" in ics
    row = Reminder.objects.get(deadline=deadline, kind="before_7")
    assert row.status == ReminderStatus.SENT and row.attempts == 1
    assert message.extra_headers["Message-ID"] == row.message_id == f"<reminder.{row.pk}.20260608T1400@example.org>"


def test_acknowledge_link_works_without_login_and_stops_that_contacts_reminders(client):
    contact = f.ContactFactory(language=Language.FRENCH)
    other = f.ContactFactory()
    deadline = make_deadline(contact)
    deadline.commitment.contacts.add(other)
    with time_machine.travel(PLANNED, tick=False):
        from followups.reminders.planner import reminders_plan

        reminders_plan(deadlines=[deadline])
    with time_machine.travel(datetime(2026, 5, 16, 9, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    french = next(m for m in mail.outbox if m.to == [contact.email])
    assert "Rappel" in french.subject
    link = re.search(r"http://127\.0\.0\.1:8000(/reminders/ack/\S+/)", french.body).group(1)
    # Opening the link (as a mail filter's preview does) only shows the form that the page sends by itself.
    opened = client.get(link)
    assert opened.status_code == 200
    assert deadline.commitment.ref in opened.content.decode()
    assert '<form method="post" id="acknowledge">' in opened.content.decode()
    assert Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING).count() == 5
    response = client.post(link)
    assert response.status_code == 200
    assert "Vous ne recevrez plus de rappels" in response.content.decode()  # the contact's language
    assert not Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING).exists()
    assert Reminder.objects.filter(contact=other, status=ReminderStatus.PENDING).count() == 5
    assert client.post(link).status_code == 200  # a second click is harmless
    assert client.get(link[:-3] + "xx/").status_code == 400
    assert client.post(link[:-3] + "xx/").status_code == 400


def test_completed_after_claim_is_not_sent():
    contact = f.ContactFactory()
    deadline = make_deadline(contact)
    with time_machine.travel(datetime(2026, 5, 16, 9, 0, tzinfo=UTC), tick=False):
        batches = reminders_claim()
        from followups import services
        from followups.reminders.sending import reminders_send_batch

        services.commitment_update_status(commitment=deadline.commitment, status="completed", actor="t")
        for token, units in batches:
            reminders_send_batch(units=units, token=token)
    assert mail.outbox == []
    assert Reminder.objects.get(deadline=deadline, kind="before_30").status == ReminderStatus.CANCELLED


def test_a_stale_claim_sends_nothing():
    """A Celery message delivered again after its rows were reclaimed (new token) is harmless."""
    contact = f.ContactFactory()
    make_deadline(contact)
    with time_machine.travel(datetime(2026, 5, 16, 9, 0, tzinfo=UTC), tick=False):
        [(old_token, units)] = reminders_claim()
    with time_machine.travel(datetime(2026, 5, 16, 9, 30, tzinfo=UTC), tick=False):  # lease expired
        [(new_token, _)] = reminders_claim()
        from followups.reminders.sending import reminders_send_batch

        assert reminders_send_batch(units=units, token=old_token) == {}
        assert reminders_send_batch(units=units, token=new_token) == {"sent": 1}
        assert reminders_send_batch(units=units, token=new_token) == {}
    assert len(mail.outbox) == 1


def test_resend_puts_a_failed_reminder_back_and_the_command_sends_it():
    contact = f.ContactFactory()
    deadline = make_deadline(contact)
    row = Reminder.objects.get(deadline=deadline, kind="before_30")
    Reminder.objects.filter(pk=row.pk).update(status=ReminderStatus.FAILED, last_error="550 no such user", attempts=1)
    with time_machine.travel(datetime(2026, 5, 20, 9, 0, tzinfo=UTC), tick=False):
        reminder_resend(reminder=row)
        call_command("send_due_reminders", "--inline")
    row.refresh_from_db()
    assert row.status == ReminderStatus.SENT
    assert len(mail.outbox) == 1


def test_admin_lists_reminders_and_resends_failed_ones(admin_client):
    contact = f.ContactFactory()
    deadline = make_deadline(contact)
    row = Reminder.objects.get(deadline=deadline, kind="before_1")
    Reminder.objects.filter(pk=row.pk).update(status=ReminderStatus.FAILED, last_error="550 mailbox unavailable")
    page = admin_client.get("/admin/followups/reminder/?status=failed")
    assert page.status_code == 200 and "550 mailbox unavailable" in page.content.decode()
    admin_client.post("/admin/followups/reminder/", {"action": "resend", "_selected_action": [row.pk]}, follow=True)
    row.refresh_from_db()
    assert row.status == ReminderStatus.PENDING and row.last_error == ""


def test_digest_reader_gets_one_message_for_the_week():
    from followups.models import ContactReminderPreference

    contact = f.ContactFactory()
    ContactReminderPreference.objects.create(contact=contact, digest=True)
    make_deadline(contact, due=date(2026, 6, 18))
    make_deadline(contact, due=date(2026, 6, 19))
    # The 30-day reminders (Tuesday 19 and Wednesday 20 May) come together on Monday 18 May.
    with time_machine.travel(datetime(2026, 5, 18, 9, 0, tzinfo=UTC), tick=False):
        assert reminders_tick(inline=True) == 2
    assert len(mail.outbox) == 1
    assert "2" in mail.outbox[0].subject and len(mail.outbox[0].attachments) == 2


def test_claim_queries_do_not_grow_with_due_rows(django_assert_max_num_queries):
    contacts = [f.ContactFactory() for _ in range(30)]
    for contact in contacts:
        make_deadline(contact)
    with time_machine.travel(datetime(2026, 5, 16, 9, 0, tzinfo=UTC), tick=False):
        with django_assert_max_num_queries(8):
            batches = reminders_claim()
        assert sum(len(units) for _, units in batches) == 30
        from followups.reminders.sending import reminders_send_batch

        # Per batch: its rows, the checks (mutes, pauses, reported completions, acknowledgements), the signed links
        # (renew, insert); per mail: one UPDATE that marks and locks its rows (and the savepoint), whatever the batch.
        with django_assert_max_num_queries(30 * 3 + 8):
            for token, units in batches:
                reminders_send_batch(units=units, token=token)
    assert len(mail.outbox) == 30


def test_escalation_to_staff_is_skipped_when_a_contact_acknowledged_the_overdue_item(client):
    from agreements.roles import Role
    from followups.reminders.acks import reminder_ack_token

    contact = f.ContactFactory()
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    deadline = make_deadline(contact, due=date(2026, 6, 15))
    contact_row = Reminder.objects.get(deadline=deadline, contact=contact, kind="overdue_1")
    with time_machine.travel(datetime(2026, 6, 20, 9, 0, tzinfo=UTC), tick=False):
        assert client.post(f"/reminders/ack/{reminder_ack_token(reminder=contact_row)}/").status_code == 200
    with time_machine.travel(datetime(2026, 7, 15, 10, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    escalation = Reminder.objects.get(deadline=deadline, user=coordinator, kind="overdue_30")
    assert escalation.status == ReminderStatus.SKIPPED
    assert not [m for m in mail.outbox if m.to == [coordinator.email]]


def test_unacknowledged_escalation_reaches_the_coordinator_in_their_language():
    from agreements.roles import Role

    contact = f.ContactFactory()
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    f.StaffProfileFactory(user=coordinator, language=Language.FRENCH, time_zone="Europe/Paris")
    deadline = make_deadline(contact, due=date(2026, 6, 15))
    with time_machine.travel(datetime(2026, 7, 15, 10, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    [to_coordinator] = [m for m in mail.outbox if m.to == [coordinator.email]]
    assert to_coordinator.subject.startswith("En retard")
    assert "Personne n'a encore accusé réception" in to_coordinator.body
    assert deadline.commitment.ref in to_coordinator.subject
