"""The session's idle clock (config.sessions): restarted by requests, written at most once a minute."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def expiry(client) -> object:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date


def test_a_request_within_the_minute_writes_nothing_and_a_later_one_moves_the_idle_clock(coordinator_client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert coordinator_client.get("/commitments/").status_code == 200
        first = expiry(coordinator_client)
        clock.shift(timedelta(seconds=30))
        assert coordinator_client.get("/commitments/").status_code == 200
        assert expiry(coordinator_client) == first
        clock.shift(timedelta(seconds=60))
        assert coordinator_client.get("/commitments/").status_code == 200
        assert expiry(coordinator_client) == timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_a_session_idle_longer_than_its_age_is_signed_out(coordinator_client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert coordinator_client.get("/commitments/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = coordinator_client.get("/commitments/")
        assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
