"""Partners manage their own webhook endpoints through the API, and nobody else's."""

from __future__ import annotations

import pytest

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from followups import services
from followups.models import Status, WebhookDelivery, WebhookEndpoint
from tests import factories as f
from tests.api.conftest import bearer_client, error_of
from tests.api.snapshot import database_snapshot

pytestmark = pytest.mark.django_db

EVENTS = ["commitment.status_changed", "deadline.approaching"]


@pytest.fixture
def partners():
    """Two partners, each with a commitment it owns and a client with its key."""
    org_a, org_b = f.OrganisationFactory(), f.OrganisationFactory()
    cmt_a = f.CommitmentFactory(owners=[org_a])
    clients = {org: bearer_client(api_key_issue(organisation=org, name="sync")[1]) for org in (org_a, org_b)}
    return org_a, org_b, cmt_a, clients[org_a], clients[org_b]


def test_partner_b_can_neither_see_nor_change_nor_delete_partner_as_endpoint(partners):
    org_a, org_b, cmt_a, client_a, client_b = partners
    created = client_a.post("/api/v1/webhooks/", {"url": "https://a.example.org/hook", "events": EVENTS}, format="json")
    assert created.status_code == 201, created.content
    hook_a = created.json()["id"]
    assert created.json()["organisation"] == org_a.ref
    services.commitment_update_status(commitment=cmt_a, status=Status.AT_RISK, actor="t")
    delivery_a = str(WebhookDelivery.objects.filter(event="commitment.status_changed").get().uuid)
    before = database_snapshot()

    missing = "00000000-0000-4000-8000-000000000000"
    for hook in (hook_a, missing, "not-a-uuid"):
        assert client_b.get(f"/api/v1/webhooks/{hook}/").status_code == 404
        assert client_b.patch(f"/api/v1/webhooks/{hook}/", {"is_active": False}, format="json").status_code == 404
        assert client_b.delete(f"/api/v1/webhooks/{hook}/").status_code == 404
    assert client_b.get(f"/api/v1/webhook-deliveries/{delivery_a}/").status_code == 404
    assert client_b.get("/api/v1/webhooks/").json()["results"] == []
    assert client_b.get("/api/v1/webhook-deliveries/").json()["results"] == []
    assert client_b.get("/api/v1/webhook-deliveries/", {"endpoint": hook_a}).json()["results"] == []
    assert database_snapshot() == before

    # B's own registration is B's, whatever organisation it names.
    response = client_b.post(
        "/api/v1/webhooks/", {"url": "https://b.example.org/hook", "events": EVENTS[:1]}, format="json"
    )
    assert response.status_code == 201
    assert WebhookEndpoint.objects.get(uuid=response.json()["id"]).organisation == org_b
    assert [h["id"] for h in client_a.get("/api/v1/webhooks/").json()["results"]] == [hook_a]


def test_the_owner_updates_pauses_and_deletes_its_endpoint(partners):
    org_a, _org_b, cmt_a, client_a, _client_b = partners
    hook = client_a.post("/api/v1/webhooks/", {"url": "https://a.example.org/1", "events": EVENTS}, format="json")
    url = f"/api/v1/webhooks/{hook.json()['id']}/"
    assert WebhookDelivery.objects.filter(status="pending").count() == 0  # the factory's commitment has no deadline

    paused = client_a.patch(url, {"is_active": False, "events": EVENTS[:1]}, format="json")
    assert paused.status_code == 200, paused.content
    assert (paused.json()["is_active"], paused.json()["events"]) == (False, EVENTS[:1])
    services.commitment_update_status(commitment=cmt_a, status=Status.AT_RISK, actor="t")
    assert not WebhookDelivery.objects.exists()  # a paused endpoint gets nothing

    assert client_a.put(url, {"url": "https://a.example.org/2", "events": EVENTS}, format="json").status_code == 405
    assert client_a.delete(url).status_code == 204
    assert client_a.get(url).status_code == 404
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://a.example.org/hook", "events": EVENTS}, "url"),
        ({"url": "not a url", "events": EVENTS}, "url"),
        ({"url": "https://user:pw@a.example.org/hook", "events": EVENTS}, "url"),
        ({"url": "https://a.example.org/hook", "events": ["commitment.deleted"]}, "events"),
        ({"url": "https://a.example.org/hook", "events": []}, "events"),
        ({"url": "https://a.example.org/hook", "events": EVENTS, "secret": "mine"}, "secret"),
        ({"url": "https://a.example.org/hook", "events": EVENTS, "organisation": "ORG-XB"}, "organisation"),
        ({"url": "https://a.example.org/hook", "events": EVENTS, "is_active": False}, "is_active"),
    ],
)
def test_a_bad_registration_is_a_400_naming_the_field_and_writes_nothing(partners, payload, field):
    client_a = partners[3]
    before = database_snapshot()
    response = client_a.post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert database_snapshot() == before


def test_production_demands_https_to_a_public_address(partners, settings):
    settings.WEBHOOK_ALLOW_INSECURE = False
    client_a = partners[3]
    for url in ("http://a.example.org/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://localhost/"):
        response = client_a.post("/api/v1/webhooks/", {"url": url, "events": EVENTS}, format="json")
        assert response.status_code == 400, url
        assert "url" in error_of(response)["fields"]
    ok = client_a.post("/api/v1/webhooks/", {"url": "https://a.example.org/hook", "events": EVENTS}, format="json")
    assert ok.status_code == 201


def test_an_organisation_has_at_most_the_configured_number_of_endpoints(partners, settings):
    settings.WEBHOOK_MAX_ENDPOINTS = 2
    client_a = partners[3]
    for n in range(2):
        payload = {"url": f"https://a.example.org/{n}", "events": EVENTS}
        assert client_a.post("/api/v1/webhooks/", payload, format="json").status_code == 201
    third = client_a.post("/api/v1/webhooks/", {"url": "https://a.example.org/3", "events": EVENTS}, format="json")
    assert third.status_code == 409 and "url" in error_of(third)["fields"]
    assert error_of(third)["code"] == "too_many_endpoints"


def test_staff_read_every_endpoint_but_register_them_in_the_admin(partners, staff_client_factory):
    client_a = partners[3]
    client_a.post("/api/v1/webhooks/", {"url": "https://a.example.org/hook", "events": EVENTS}, format="json")
    coordinator = staff_client_factory(Role.COORDINATOR)
    listed = coordinator.get("/api/v1/webhooks/").json()["results"]
    assert [h["url"] for h in listed] == ["https://a.example.org/hook"]
    assert "secret" not in listed[0]
    response = coordinator.post("/api/v1/webhooks/", {"url": "https://s.example.org/", "events": EVENTS}, format="json")
    assert response.status_code == 403
