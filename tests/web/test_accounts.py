"""Logging in, lockout after repeated failures, password reset by e-mail, sessions that expire."""

import re

import pytest
from django.conf import settings
from django.core import mail

from agreements.roles import Role

pytestmark = pytest.mark.django_db


def test_login_lands_on_the_dashboard(make_user, client):
    make_user("casey", Role.COORDINATOR)
    response = client.post("/accounts/login/", {"username": "casey", "password": "pw-2026-x!"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "What is due" in response.content.decode()


def test_wrong_password_says_so(make_user, client):
    make_user("casey", Role.COORDINATOR)
    response = client.post("/accounts/login/", {"username": "casey", "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(make_user, client):
    make_user("casey", Role.COORDINATOR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "casey", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "casey", "password": "pw-2026-x!"})
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert client.get("/").status_code == 302  # not logged in


def test_password_reset_sends_a_working_link(make_user, client):
    make_user("casey", Role.COORDINATOR)
    client.post("/accounts/password_reset/", {"email": "casey@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "A-new-pass-2026!", "new_password2": "A-new-pass-2026!"}
    )
    assert done.status_code == 302
    login = client.post("/accounts/login/", {"username": "casey", "password": "A-new-pass-2026!"})
    assert login.status_code == 302 and login["Location"] == "/"


def test_sessions_expire_after_idle_time():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_a_user_changes_their_password_by_giving_the_old_one(make_user, client):
    user = make_user("casey", Role.VIEWER)
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-2026-x!", "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-pass-2026")


def test_reminder_settings_on_the_profile_move_the_users_pending_reminders(client):
    from datetime import UTC, date, datetime

    from followups.models import AnchorKind, Reminder
    from tests import factories as f

    coordinator = f.UserFactory(role=Role.COORDINATOR)
    f.DeadlineFactory(anchor_kind=AnchorKind.FIXED, anchor_date=date(2031, 6, 2), offset="")  # a Monday
    escalation = Reminder.objects.get(user=coordinator, kind="overdue_30")
    assert escalation.due_at == datetime(2031, 7, 2, 9, 0, tzinfo=UTC)
    client.force_login(coordinator)
    assert "Reminders by e-mail" in client.get("/accounts/profile/").content.decode()

    response = client.post(
        "/accounts/reminders/", {"language": "fr", "time_zone": "Asia/Kolkata", "reminder_digest": ""}, follow=True
    )
    assert "Your reminder settings are saved." in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.due_at == datetime(2031, 7, 2, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata
    assert coordinator.staff_profile.language == "fr"

    # A zone that does not exist is refused with a message, and nothing changes.
    response = client.post(
        "/accounts/reminders/", {"language": "es", "time_zone": "Mars/Olympus", "reminder_digest": ""}
    )
    assert response.status_code == 400
    assert "Mars/Olympus is not an IANA time zone" in response.content.decode()
    coordinator.staff_profile.refresh_from_db()
    assert (coordinator.staff_profile.language, coordinator.staff_profile.time_zone) == ("fr", "Asia/Kolkata")


def test_a_viewer_may_choose_the_weekly_digest(client):
    from tests import factories as f

    viewer = f.UserFactory(role=Role.VIEWER)
    client.force_login(viewer)
    client.post("/accounts/reminders/", {"language": "en", "time_zone": "UTC", "reminder_digest": "on"})
    viewer.staff_profile.refresh_from_db()
    assert viewer.staff_profile.reminder_digest is True
