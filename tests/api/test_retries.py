"""Safe retries (Idempotency-Key) and what a partner may learn about others (actors, identifiers)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import IdempotencyKey
from followups import services
from followups.models import StatusUpdate, WebhookEndpoint
from tests.api.conftest import bearer_client, error_of
from tests.api.snapshot import database_snapshot

pytestmark = pytest.mark.django_db

URL = "/api/v1/status-updates/"


def post(client, body: dict, key: str | None, url: str = URL):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, format="json", **headers)


def test_the_same_post_twice_with_one_key_makes_one_update_and_answers_identically(world, client_a):
    body = {"commitment": world.cmt_a.ref, "status": "at_risk", "note": "supplier late"}
    key = str(uuid.uuid4())
    before = StatusUpdate.objects.count()
    first = post(client_a, body, key)
    second = post(client_a, body, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert StatusUpdate.objects.count() == before + 1
    # The same body with a new key is a new update; without a key every POST is one.
    assert post(client_a, body, str(uuid.uuid4())).json()["id"] != first.json()["id"]
    assert StatusUpdate.objects.count() == before + 2


def test_the_same_key_with_another_body_is_a_409_and_changes_nothing(world, client_a):
    key = "retry-7f3a"
    assert post(client_a, {"commitment": world.cmt_a.ref, "status": "at_risk"}, key).status_code == 201
    before = database_snapshot()
    other = post(client_a, {"commitment": world.cmt_a.ref, "status": "in_progress"}, key)
    assert other.status_code == 409
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert database_snapshot() == before


def test_a_refused_request_is_not_remembered_so_its_corrected_retry_runs(world, client_a):
    key = "fix-and-retry"
    refused = post(client_a, {"commitment": world.cmt_a.ref, "status": "lost"}, key)
    assert refused.status_code == 400
    assert post(client_a, {"commitment": world.cmt_a.ref, "status": "at_risk"}, key).status_code == 201


def test_keys_belong_to_one_caller_and_expire_after_a_day(world, client_a, partner_key):
    body = {"commitment": world.cmt_a.ref, "status": "at_risk"}
    assert post(client_a, body, "shared-key").status_code == 201
    other_key_of_a = bearer_client(partner_key(world.org_a, "second")[1])
    before = StatusUpdate.objects.count()
    assert post(other_key_of_a, body, "shared-key").status_code == 201
    assert StatusUpdate.objects.count() == before + 1
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    assert "Idempotent-Replayed" not in post(client_a, body, "shared-key")
    assert StatusUpdate.objects.count() == before + 2


@pytest.mark.parametrize("key", ["", "has space", "é", "x" * 256])
def test_a_malformed_key_is_a_400(world, client_a, key):
    response = post(client_a, {"commitment": world.cmt_a.ref, "status": "at_risk"}, key)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_idempotency_key"


def test_registering_a_webhook_twice_with_one_key_registers_one(world, client_a):
    body = {"url": "https://hooks.example.org/retry", "events": ["commitment.status_changed"]}
    first = post(client_a, body, "hook-1", url="/api/v1/webhooks/")
    second = post(client_a, body, "hook-1", url="/api/v1/webhooks/")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()  # the secret too: the retry may be the only answer the client saw
    assert WebhookEndpoint.objects.filter(url=body["url"]).count() == 1


def test_partners_never_see_a_staff_users_name_and_ids_are_opaque(world, client_a, partner_key):
    desk = get_user_model().objects.create_user("desk.officer.jones", password="x")
    services.commitment_update_status(commitment=world.cmt_c, status="at_risk", note="staff", by_user=desk)
    client_c = bearer_client(partner_key(world.org_c, "erp")[1])
    post(client_c, {"commitment": world.cmt_c.ref, "status": "in_progress"}, None)
    mine = post(client_a, {"commitment": world.cmt_c.ref, "status": "in_progress"}, None).json()

    items = client_a.get(URL, {"commitment": world.cmt_c.ref}).json()["results"]
    actors = {item["actor"] for item in items}
    assert actors == {"Coordinating office", "Carpania", "API key 'sync' of ORG-XA"}
    assert "jones" not in str(items) and "erp" not in str(items)
    assert mine["actor"] == "API key 'sync' of ORG-XA"
    for item in items:
        uuid.UUID(item["id"])  # not a sequential number
    assert client_a.get(f"{URL}{mine['id']}/").json()["id"] == mine["id"]
    # Staff see who it was.
    update = StatusUpdate.objects.get(by_user=desk)
    assert update.actor_shown_to(None) == "user desk.officer.jones"
