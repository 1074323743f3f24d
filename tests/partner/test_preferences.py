"""Partner contacts manage their own reminders from a link in every message (issue 11, item 3)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from agreements.models import Contact, Language
from followups.models import ContactPreferenceChange, Reminder, ReminderStatus
from followups.reminders.sending import reminders_tick
from followups.selectors import commitment_timeline
from tests import factories as f
from tests.partner.conftest import preferences_path, reminder_for, report_path

pytestmark = pytest.mark.django_db


def pending(contact) -> int:
    return Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING).count()


def test_one_click_unsubscribe_by_post_stops_the_reminders_and_is_undoable(client, partner):
    message = reminder_for(partner)
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<http://127\.0\.0\.1:8000(/partner/preferences/\S+/unsubscribe/)>", header).group(1)
    before = pending(partner.contact)
    assert before > 0
    # A mail scanner fetching the address changes nothing.
    assert client.get(url).status_code == 200 and pending(partner.contact) == before
    # The mail program's one-click POST (RFC 8058): no session, no CSRF token, no confirmation page.
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert pending(partner.contact) == 0
    change = ContactPreferenceChange.objects.get(contact=partner.contact)
    assert change.summary == "all reminders stopped"
    assert any("all reminders stopped" in e.title for e in commitment_timeline(partner.commitment))
    # Undone from the preferences page: the reminders are planned again.
    prefs = preferences_path(message)
    page = client.get(prefs).content.decode()
    assert "Deshacer" in page and '<html lang="es">' in page
    assert "Todos los recordatorios detenidos" in page  # the change, in the contact's language
    assert client.post(prefs, {"action": "undo", "change": change.pk}).status_code == 302
    assert pending(partner.contact) == before
    assert ContactPreferenceChange.objects.get(pk=change.pk).undone_at is not None
    assert any(e.title.startswith("Undone") for e in commitment_timeline(partner.commitment))


def test_language_time_zone_and_digest_follow_the_contacts_choice(client, partner):
    prefs = preferences_path(reminder_for(partner))
    response = client.post(prefs, {"action": "language", "language": "fr", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    contact = Contact.objects.get(pk=partner.contact.pk)
    assert (contact.language, contact.time_zone) == (Language.FRENCH, "Europe/Paris")
    page = client.get(prefs).content.decode()
    assert '<html lang="fr">' in page and "Réglage de vos rappels" in page
    # The 7-day reminder now comes at 09:00 in Paris (07:00 UTC), in French.
    row = Reminder.objects.get(contact=contact, kind="before_7")
    assert row.due_at == datetime(2026, 6, 8, 7, 0, tzinfo=UTC)
    assert client.post(prefs, {"action": "digest_on"}).status_code == 302
    row.refresh_from_db()
    assert row.due_at.date() == date(2026, 6, 8) and row.due_at.weekday() == 0  # a Monday digest
    with time_machine.travel(datetime(2026, 6, 8, 7, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    from django.core import mail

    french = [m for m in mail.outbox if m.to == [contact.email]][-1]
    assert "Rappel" in french.subject or "récapitulatif" in french.subject
    assert client.get(report_path(french)).content.decode().count('<html lang="fr">') == 1


def test_pause_skips_the_reminders_of_the_period_and_the_later_ones_go_out(client, partner):
    prefs = preferences_path(reminder_for(partner))
    assert client.post(prefs, {"action": "pause", "until": "2026-06-10"}).status_code == 302
    assert client.post(prefs, {"action": "pause", "until": "2020-01-01"}).status_code == 400  # the past
    with time_machine.travel(datetime(2026, 6, 8, 9, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    row = Reminder.objects.get(contact=partner.contact, kind="before_7")
    assert row.status == ReminderStatus.SKIPPED and "paused" in row.last_error
    with time_machine.travel(datetime(2026, 6, 14, 9, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    assert Reminder.objects.get(contact=partner.contact, kind="before_1").status == ReminderStatus.SENT


def test_stop_for_one_commitment_only_and_never_for_someone_elses(client, partner):
    second = f.CommitmentFactory(owners=[partner.country], contacts=[partner.contact])
    f.DeadlineFactory(commitment=second)
    elsewhere = f.CommitmentFactory(owners=[partner.other])
    prefs = preferences_path(reminder_for(partner))
    page = client.get(prefs).content.decode()
    assert second.ref in page and partner.commitment.ref in page and elsewhere.ref not in page
    response = client.post(prefs, {"action": "stop_commitment", "commitment": partner.commitment.ref})
    assert response.status_code == 302
    assert not Reminder.objects.filter(
        contact=partner.contact, deadline__commitment=partner.commitment, status=ReminderStatus.PENDING
    ).exists()
    assert Reminder.objects.filter(
        contact=partner.contact, deadline__commitment=second, status=ReminderStatus.PENDING
    ).exists()
    assert client.post(prefs, {"action": "stop_commitment", "commitment": elsewhere.ref}).status_code == 404
    assert client.post(prefs, {"action": "resume_commitment", "commitment": partner.commitment.ref}).status_code == 302
    assert Reminder.objects.filter(
        contact=partner.contact, deadline__commitment=partner.commitment, status=ReminderStatus.PENDING
    ).exists()


@pytest.mark.parametrize(("language", "words"), [("es", "Informar del avance"), ("fr", "Signaler l'avancement")])
def test_the_pages_speak_the_contacts_language(client, partner, language, words):
    Contact.objects.filter(pk=partner.contact.pk).update(language=language)
    partner.contact.refresh_from_db()
    message = reminder_for(partner)
    assert message.extra_headers["Content-Language"] == language
    report = client.get(report_path(message), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<html lang="{language}">' in report and words in report
    prefs = client.get(preferences_path(message), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<html lang="{language}">' in prefs
    ack = re.search(r"http://127\.0\.0\.1:8000(/reminders/ack/\S+/)", message.body).group(1)
    assert f'<html lang="{language}">' in client.get(ack, HTTP_ACCEPT_LANGUAGE="en").content.decode()
