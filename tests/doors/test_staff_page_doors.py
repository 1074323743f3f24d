"""The pages are thin doors onto the services: a change made there re-plans what must follow.

Two kinds of page change the reminders' recipients: a staff user's own profile (their e-mail language, time zone
and weekly digest: staff profiles) and a point of contact's preferences page, reached by the signed link of every
reminder (their language and time zone, the digest, stopping all reminders: contacts, contact reminder
preferences and mutes). Each test posts what the page's form posts, as its user would, and checks what the
recipient would notice: the planned Reminder rows, what is sent at the next tick, the timeline, the history.

Kinds with no page door: owners, a commitment's points of contact, reminder policies, framework status and API
keys are changed in the admin only (tests/doors/test_admin_doors.py, tests/api/test_keys.py); webhook endpoints
through the API or the admin (tests/doors/test_api_doors.py). The staff pages' other forms (a status update,
a deadline's extension, an anchor's new date) change deadlines and statuses, tested in tests/web.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from agreements.models import Contact, Language
from followups.models import ContactReminderPreference, Reminder, ReminderStatus
from followups.partner_links.links import partner_link_urls
from followups.reminders.sending import reminders_tick
from followups.selectors import commitment_timeline
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _pending(**filters) -> dict[str, datetime]:
    rows = Reminder.objects.filter(status=ReminderStatus.PENDING, **filters)
    return dict(rows.values_list("kind", "due_at"))


def _preferences_path(contact: Contact, commitment) -> str:
    """The preferences link a reminder to this contact carries (the path, without the site's address)."""
    _reports, url = partner_link_urls(contact=contact, commitments=[commitment])
    return url.removeprefix("http://127.0.0.1:8000")


# --- Staff profiles: the profile page's reminder settings ------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_desk_officer_who_sets_tokyo_and_the_digest_on_the_profile_page_gets_their_escalations_moved(client):
    commitment = f.CommitmentFactory()
    officer = f.StaffProfileFactory(portfolio=[commitment.owners.get()]).user
    f.fixed_deadline(date(2026, 2, 20), commitment=commitment)  # overdue: the desk officer's escalations are planned
    assert _pending(user=officer)["overdue_30"] == datetime(2026, 3, 22, 9, 0, tzinfo=UTC)

    client.force_login(officer)
    response = client.post(
        "/accounts/reminders/", {"language": "fr", "time_zone": "Asia/Tokyo", "reminder_digest": ""}, follow=True
    )
    assert "Your reminder settings are saved." in response.content.decode()
    assert _pending(user=officer)["overdue_30"] == datetime(2026, 3, 22, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo

    client.post("/accounts/reminders/", {"language": "fr", "time_zone": "Asia/Tokyo", "reminder_digest": "on"})
    # The digest brings a week's reminders on its Monday: Sunday 22 March's comes on Monday 16 March, 09:00 in Tokyo.
    assert _pending(user=officer)["overdue_30"] == datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
    officer.staff_profile.refresh_from_db()
    assert (officer.staff_profile.language, officer.staff_profile.reminder_digest) == ("fr", True)


# --- A point of contact's own page: language and zone, digest, stop all ---------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_contact_who_moves_to_lima_on_their_preferences_page_gets_the_reminders_at_nine_in_lima(client):
    contact = f.ContactFactory()
    deadline = f.fixed_deadline(date(2026, 6, 15), contacts=[contact])
    assert _pending(contact=contact)["before_7"] == datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    prefs = _preferences_path(contact, deadline.commitment)

    response = client.post(prefs, {"action": "language", "language": "es", "time_zone": "America/Lima"})
    assert response.status_code == 302

    assert _pending(contact=contact)["before_7"] == datetime(2026, 6, 8, 14, 0, tzinfo=UTC)  # 09:00 in Lima
    contact.refresh_from_db()
    assert (contact.language, contact.time_zone) == (Language.SPANISH, "America/Lima")
    assert "language and time zone set to es, America/Lima" in [
        e.title for e in commitment_timeline(deadline.commitment)
    ]
    latest = contact.history.first()
    assert (latest.time_zone, latest.history_change_reason) == ("America/Lima", f"contact {contact.ref} (signed link)")


@time_machine.travel(NOW, tick=False)
def test_a_contact_who_turns_the_digest_on_has_the_weeks_reminders_moved_to_monday(client):
    contact = f.ContactFactory()
    deadline = f.fixed_deadline(date(2026, 6, 18), contacts=[contact])  # a Thursday
    prefs = _preferences_path(contact, deadline.commitment)

    assert client.post(prefs, {"action": "digest_on"}).status_code == 302

    # 7 days before is Thursday 11 June: the digest brings it on Monday 8 June.
    assert _pending(contact=contact)["before_7"] == datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    assert ContactReminderPreference.objects.get(contact=contact).digest
    assert "weekly digest on" in [e.title for e in commitment_timeline(deadline.commitment)]


def test_a_contact_who_stops_all_reminders_on_their_page_has_none_pending_and_is_sent_nothing(client):
    contact, colleague = f.ContactFactory(), f.ContactFactory()
    with time_machine.travel(NOW, tick=False):
        deadline = f.fixed_deadline(date(2026, 3, 20), contacts=[contact, colleague])
        assert _pending(contact=contact) and _pending(contact=colleague)
        prefs = _preferences_path(contact, deadline.commitment)
        assert client.post(prefs, {"action": "stop_all"}).status_code == 302

        assert _pending(contact=contact) == {}
        assert ContactReminderPreference.objects.get(contact=contact).muted
        assert "all reminders stopped" in [e.title for e in commitment_timeline(deadline.commitment)]
        preference = ContactReminderPreference.objects.get(contact=contact).history.first()
        assert preference.history_change_reason == f"contact {contact.ref} (signed link)"

    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 3, 13, 9, 0, tzinfo=UTC), tick=False):  # the 7-day reminder is due
        assert reminders_tick(inline=True) == 1  # the colleague's
    assert [m.to for m in mail.outbox] == [[colleague.email]]
