"""Security records (issue 9): every login, failed login, lockout and refused API request is kept (at least a year)
and readable by coordinators in the admin, also after a successful login ends a lockout (axes forgets its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError

from agreements.partner_access import api_key_issue, api_key_revoke
from agreements.roles import Role
from agreements.security import SecurityEvent, SecurityEventKind, security_events_purge
from followups import services
from tests import factories as f
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADDRESS = "203.0.113.7"


def kinds(**filters) -> list[str]:
    return list(SecurityEvent.objects.filter(**filters).order_by("created_at", "pk").values_list("kind", flat=True))


def test_failed_logins_and_the_lockout_survive_the_successful_login_that_ends_it(client):
    f.UserFactory(username="casey", role=Role.DESK_OFFICER, password="pw-2026-x!")
    with time_machine.travel(START, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/accounts/login/", {"username": "casey", "password": "wrong"}, REMOTE_ADDR=ADDRESS)
        refused = client.post("/accounts/login/", {"username": "casey", "password": "pw-2026-x!"}, REMOTE_ADDR=ADDRESS)
        assert refused.status_code == 429
        assert AccessAttempt.objects.exists()
    after = START + timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    with time_machine.travel(after, tick=False):
        login = client.post("/accounts/login/", {"username": "casey", "password": "pw-2026-x!"}, REMOTE_ADDR=ADDRESS)
        assert login.status_code == 302
    assert not AccessAttempt.objects.exists()  # axes forgot the attempts...

    history = kinds(username="casey")  # ...the security records did not
    assert history.count(SecurityEventKind.LOGIN_FAILED) >= settings.AXES_FAILURE_LIMIT
    assert SecurityEventKind.LOCKOUT in history
    assert history[-1] == SecurityEventKind.LOGIN
    first = SecurityEvent.objects.filter(username="casey").order_by("created_at", "pk").first()
    assert (first.ip_address, first.path) == (ADDRESS, "/accounts/login/")
    assert first.reason == "wrong username or password"
    # The lockout, and the attempt refused while locked out.
    lockout = SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKOUT).first()
    assert f"after {settings.AXES_FAILURE_LIMIT} failed logins" in lockout.reason

    # Kept for at least a year: a purge of anything younger is refused, and a year-old record is still there.
    with pytest.raises(ValidationError):
        security_events_purge(older_than_days=30)
    with time_machine.travel(START + timedelta(days=366), tick=False):
        assert security_events_purge(older_than_days=400) == 0
    assert SecurityEvent.objects.filter(username="casey").count() == len(history)


def test_refused_api_requests_are_kept_with_key_prefix_organisation_address_and_reason(settings):
    settings.API_THROTTLE_RATE = "2/min"
    org = f.OrganisationFactory()
    revoked, revoked_raw = api_key_issue(organisation=org, name="old")
    api_key_revoke(api_key=revoked)
    _, raw = api_key_issue(organisation=org, name="sync")

    assert bearer_client("fut_deadbeef_guessed").get("/api/v1/commitments/", REMOTE_ADDR="198.51.100.4").status_code
    assert bearer_client(revoked_raw).get("/api/v1/commitments/").status_code == 401
    client = bearer_client(raw)
    assert [client.get("/api/v1/frameworks/").status_code for _ in range(4)] == [200, 200, 429, 429]
    services.organisation_set_active(organisation=org, active=False)
    assert client.get("/api/v1/frameworks/").status_code == 401

    refused = list(
        SecurityEvent.objects.filter(kind=SecurityEventKind.API_REFUSED)
        .order_by("created_at", "pk")
        .values_list("api_key_prefix", "organisation__ref", "ip_address", "reason")
    )
    assert (
        refused
        == [
            ("fut_deadbeef", None, "198.51.100.4", "unknown key"),
            (revoked.prefix, org.ref, "127.0.0.1", "revoked key"),
            (raw[: len(revoked.prefix)], org.ref, "127.0.0.1", "throttled: over 2/min"),  # once a minute, not per 429
            (raw[: len(revoked.prefix)], org.ref, "127.0.0.1", "organisation deactivated"),
        ]
    )


def test_coordinators_read_the_records_in_the_admin_and_nobody_changes_them(client_for):
    coordinator = f.UserFactory(role=Role.COORDINATOR, is_staff=True)
    clerk = f.UserFactory(role=Role.DATA_CLERK)
    bearer_client("fut_cafebabe_guessed").get("/api/v1/commitments/")
    event = SecurityEvent.objects.get()

    page = client_for(coordinator).get("/admin/agreements/securityevent/")
    assert page.status_code == 200
    assert "fut_cafebabe" in page.content.decode() and "unknown key" in page.content.decode()
    detail = client_for(coordinator).get(f"/admin/agreements/securityevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="reason"' not in detail.content.decode()  # read only
    deleted = client_for(coordinator).post(f"/admin/agreements/securityevent/{event.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert client_for(clerk).get("/admin/agreements/securityevent/").status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
