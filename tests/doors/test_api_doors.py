"""The partner API is a thin door onto the services: a change made there plans what must follow.

Of the kinds of change issue 8 lists, the API changes one: a partner's own webhook endpoints (register, change the
events or pause, delete), with the partner's key. Each test calls the API as the partner's system would, with a
real key, and checks the `deadline.approaching` deliveries planned or cancelled and the endpoint's history, which
names the key. A staff session may read the endpoints but not change them (staff use the admin).

Kinds with no API door: the API writes only status updates and a recurring deadline's occurrences besides the
webhook endpoints, so owners, points of contact, reminder policies, contacts' reminder preferences and mutes,
staff profiles, framework status and API keys are changed in the admin (tests/doors/test_admin_doors.py), the
loader (tests/doors/test_loader_doors.py), the pages (tests/doors/test_staff_page_doors.py) or the
`issue_api_key` command (tests/api/test_keys.py), never through the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from followups.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from tests import factories as f
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
EVENTS = ["commitment.status_changed", "deadline.approaching"]


@pytest.fixture
def partner():
    """A partner owing a commitment due on 15 June 2026, and its API client with a real key."""
    org = f.OrganisationFactory()
    deadline = f.fixed_deadline(date(2026, 6, 15), owners=[org])
    key, raw = api_key_issue(organisation=org, name="sync")
    return org, deadline, key, bearer_client(raw)


def _approaching(deadline, status=WebhookDeliveryStatus.PENDING) -> list[datetime]:
    rows = WebhookDelivery.objects.filter(deadline=deadline, event="deadline.approaching", status=status)
    return sorted(rows.values_list("next_attempt_at", flat=True))


LEAD_MOMENTS = [  # 30, 7 and 1 days before 15 June, 09:00 UTC: a normal priority's defaults
    datetime(2026, 5, 16, 9, 0, tzinfo=UTC),
    datetime(2026, 6, 8, 9, 0, tzinfo=UTC),
    datetime(2026, 6, 14, 9, 0, tzinfo=UTC),
]


@time_machine.travel(NOW, tick=False)
def test_an_endpoint_registered_through_the_api_gets_its_deadline_notices_planned_and_names_the_key(partner):
    org, deadline, key, client = partner
    assert _approaching(deadline) == []

    response = client.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/t", "events": EVENTS}, format="json")
    assert response.status_code == 201, response.content

    assert _approaching(deadline) == LEAD_MOMENTS
    endpoint = WebhookEndpoint.objects.get(uuid=response.json()["id"])
    assert endpoint.organisation == org
    created = endpoint.history.get()
    assert (created.history_type, created.history_change_reason) == ("+", f"API key {key.prefix} of {org.ref}")


@time_machine.travel(NOW, tick=False)
def test_an_endpoint_paused_or_unsubscribed_through_the_api_has_its_pending_notices_cancelled(partner):
    org, deadline, key, client = partner
    hook = client.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/t", "events": EVENTS}, format="json")
    url = f"/api/v1/webhooks/{hook.json()['id']}/"

    response = client.patch(url, {"events": ["commitment.status_changed"]}, format="json")
    assert response.status_code == 200, response.content
    assert _approaching(deadline) == []
    assert _approaching(deadline, WebhookDeliveryStatus.CANCELLED) == LEAD_MOMENTS

    assert client.patch(url, {"events": EVENTS}, format="json").status_code == 200
    assert _approaching(deadline) == LEAD_MOMENTS  # subscribed again: the same notices are pending again

    assert client.patch(url, {"is_active": False}, format="json").status_code == 200
    assert _approaching(deadline) == []
    paused = WebhookEndpoint.objects.get(uuid=hook.json()["id"]).history.first()
    assert (paused.is_active, paused.history_change_reason) == (False, f"API key {key.prefix} of {org.ref}")


@time_machine.travel(NOW, tick=False)
def test_an_endpoint_deleted_through_the_api_takes_its_notices_and_its_history_keeps_the_key(partner):
    org, deadline, key, client = partner
    hook = client.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/t", "events": EVENTS}, format="json")
    endpoint = WebhookEndpoint.objects.get(uuid=hook.json()["id"])

    assert client.delete(f"/api/v1/webhooks/{hook.json()['id']}/").status_code == 204

    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not WebhookDelivery.objects.filter(deadline=deadline).exists()
    deleted = WebhookEndpoint.history.filter(id=endpoint.pk, history_type="-").get()
    assert deleted.history_change_reason == f"API key {key.prefix} of {org.ref}"


@time_machine.travel(NOW, tick=False)
def test_a_staff_session_cannot_register_an_endpoint_through_the_api(partner, user_factory, client_for):
    org, deadline, _key, _client = partner
    coordinator = client_for(user_factory(role=Role.COORDINATOR))

    response = coordinator.post(
        "/api/v1/webhooks/", {"url": "https://hooks.example.org/t", "events": EVENTS}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "staff use the admin" in response.json()["error"]["message"]
    assert not WebhookEndpoint.objects.exists()
    assert _approaching(deadline) == []
