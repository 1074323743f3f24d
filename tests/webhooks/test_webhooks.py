"""Partners' webhooks: queued with the change that calls for them, POSTed signed to a real receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from agreements.partner_access import api_key_issue
from followups import services
from followups.models import (
    AnchorKind,
    Status,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from followups.webhooks.endpoints import webhook_endpoint_register, webhook_endpoint_update
from followups.webhooks.sending import webhook_delivery_resend, webhooks_tick
from tests import factories as f
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.django_db

BOTH = [WebhookEvent.STATUS_CHANGED, WebhookEvent.DEADLINE_APPROACHING]
STATUS = [WebhookEvent.STATUS_CHANGED]


def register(org, url="https://hooks.example.org/in", events=BOTH) -> tuple[WebhookEndpoint, str]:
    return webhook_endpoint_register(organisation=org, url=url, events=events, actor="test")


def signature_ok(secret: str, request) -> bool:
    """What a partner does with the secret: HMAC-SHA256 of "{timestamp}.{body}", compared in constant time."""
    timestamp = request.headers["X-Tracker-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", request.headers["X-Tracker-Signature"])


def status_deliveries(**filters):
    return WebhookDelivery.objects.filter(event=WebhookEvent.STATUS_CHANGED, **filters)


# --- Queued with the change ------------------------------------------------------------------------------------


def test_a_status_change_queues_one_delivery_per_subscribed_endpoint_of_each_owner_and_none_for_others():
    org_a, org_c, org_b = f.OrganisationFactory(), f.OrganisationFactory(), f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org_a, org_c])
    both, _ = register(org_a)
    status_only, _ = register(org_a, events=STATUS)
    register(org_a, events=[WebhookEvent.DEADLINE_APPROACHING])
    inactive, _ = register(org_a)
    webhook_endpoint_update(endpoint=inactive, is_active=False)
    co_owner, _ = register(org_c, events=STATUS)
    register(org_b)  # another organisation's endpoint: not an owner of this commitment

    update = services.commitment_update_status(
        commitment=commitment, status=Status.IN_PROGRESS, owner=org_a, note="call held", actor="t"
    )

    rows = list(status_deliveries())
    assert sorted(r.endpoint_id for r in rows) == sorted([both.pk, status_only.pk, co_owner.pk])
    assert len({r.event_id for r in rows}) == 1  # one event, one id, whichever endpoint receives it
    payload = rows[0].payload
    assert payload["event"] == "commitment.status_changed" and payload["id"] == str(rows[0].event_id)
    data = payload["data"]
    assert data["commitment"]["ref"] == commitment.ref
    assert (data["commitment"]["previous_status"], data["commitment"]["status"]) == ("not_started", "in_progress")
    owners = {o["organisation"]: (o["previous_status"], o["status"]) for o in data["owners"]}
    assert owners == {org_a.ref: ("not_started", "in_progress"), org_c.ref: ("not_started", "not_started")}
    assert data["status_update"] == {
        "id": str(update.uuid),
        "owner": org_a.ref,
        "status": "in_progress",
        "note": "call held",
        "happened_on": timezone.localdate().isoformat(),
        # Not a partner's key or contact: partners see the coordinating office, never a staff user's name.
        "actor": "Coordinating office",
    }
    assert all(r.status == WebhookDeliveryStatus.PENDING and r.commitment_id == commitment.pk for r in rows)

    # A note that changes no status is not a status change.
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, owner=org_a, actor="t")
    assert status_deliveries().count() == 3


def test_a_status_change_that_rolls_back_queues_nothing():
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    register(org)

    class Abort(Exception):
        pass

    def change_then_fail() -> None:
        with transaction.atomic():
            services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, actor="t")
            assert status_deliveries().count() == 1  # written inside the transaction...
            raise Abort

    with pytest.raises(Abort):
        change_then_fail()
    assert status_deliveries().count() == 0  # ...and gone with it


# --- Delivered by the tick -------------------------------------------------------------------------------------


def test_registered_through_the_api_delivered_by_the_tick_signed_with_the_secret_shown_once(receiver):
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    _key, raw = api_key_issue(organisation=org, name="sync")
    client = bearer_client(raw)

    created = client.post("/api/v1/webhooks/", {"url": receiver.url, "events": STATUS}, format="json")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    hook_id = created.json()["id"]
    # Never again: not in the endpoint, the list, nor the deliveries.
    assert "secret" not in client.get(f"/api/v1/webhooks/{hook_id}/").json()
    assert secret not in client.get("/api/v1/webhooks/").content.decode()

    response = client.post(
        "/api/v1/status-updates/", {"commitment": commitment.ref, "status": "at_risk", "note": "delayed"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert webhooks_tick(inline=True) == 1

    [request] = receiver.snapshot()
    row = WebhookDelivery.objects.get()
    assert request.path == "/hooks/tracker"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Tracker-Event"] == "commitment.status_changed"
    assert request.headers["X-Tracker-Delivery"] == str(row.event_id)
    assert abs(int(request.headers["X-Tracker-Timestamp"]) - timezone.now().timestamp()) < 60
    assert signature_ok(secret, request)
    assert not signature_ok("whsec_wrong", request)
    body = json.loads(request.body)
    assert body["data"]["commitment"]["status"] == "at_risk"
    assert body["data"]["status_update"]["actor"] == f"API key 'sync' of {org.ref}"
    assert (row.status, row.attempts, row.response_status) == (WebhookDeliveryStatus.SENT, 1, 200)
    assert secret not in client.get("/api/v1/webhook-deliveries/").content.decode()
    listed = client.get("/api/v1/webhook-deliveries/").json()["results"]
    assert [(d["endpoint"], d["status"], d["event_id"]) for d in listed] == [(hook_id, "sent", str(row.event_id))]

    assert webhooks_tick(inline=True) == 0  # sent once
    assert receiver.count() == 1


def test_a_500_is_retried_with_backoff_and_delivered_once_with_the_same_delivery_id(receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    _hook, secret = register(org, url=receiver.url, events=STATUS)
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, actor="t")
    receiver.answer(500, body="database down")

    assert webhooks_tick(inline=True) == 1
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_status) == (WebhookDeliveryStatus.PENDING, 1, 500)
    assert row.last_error.startswith("HTTP 500") and "database down" in row.last_error
    assert timedelta(seconds=55) < row.next_attempt_at - timezone.now() <= timedelta(seconds=60)
    assert webhooks_tick(inline=True) == 0  # not before its backoff

    assert webhooks_tick(inline=True, now=timezone.now() + timedelta(seconds=61)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (WebhookDeliveryStatus.SENT, 2, "")
    first, second = receiver.snapshot()
    assert first.headers["X-Tracker-Delivery"] == second.headers["X-Tracker-Delivery"] == str(row.event_id)
    assert first.body == second.body
    assert signature_ok(secret, first) and signature_ok(secret, second)
    assert webhooks_tick(inline=True, now=timezone.now() + timedelta(days=1)) == 0
    assert receiver.count() == 2


def test_429_waits_as_long_as_retry_after_asks_and_the_last_attempt_fails(receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    org = f.OrganisationFactory()
    register(org, url=receiver.url, events=STATUS)
    services.commitment_update_status(commitment=f.CommitmentFactory(owners=[org]), status="at_risk", actor="t")
    receiver.answer(429, headers={"Retry-After": "120"})
    receiver.answer(503)
    webhooks_tick(inline=True)
    row = WebhookDelivery.objects.get()
    assert row.status == WebhookDeliveryStatus.PENDING and row.response_status == 429
    assert timedelta(seconds=115) < row.next_attempt_at - timezone.now() <= timedelta(seconds=120)
    webhooks_tick(inline=True, now=timezone.now() + timedelta(hours=1))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == (WebhookDeliveryStatus.FAILED, 2, 503)


def test_410_fails_after_one_attempt_with_the_reason_and_is_resent_on_request(receiver):
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    register(org, url=receiver.url, events=STATUS)
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, actor="t")
    receiver.answer(410, body="this hook was removed")

    webhooks_tick(inline=True)
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_status) == (WebhookDeliveryStatus.FAILED, 1, 410)
    assert "410" in row.last_error and "this hook was removed" in row.last_error
    assert webhooks_tick(inline=True, now=timezone.now() + timedelta(days=3)) == 0
    assert receiver.count() == 1

    webhook_delivery_resend(delivery=row)  # the admin's action, once the partner fixed its side
    webhooks_tick(inline=True)
    row.refresh_from_db()
    assert row.status == WebhookDeliveryStatus.SENT
    first, second = receiver.snapshot()
    assert first.headers["X-Tracker-Delivery"] == second.headers["X-Tracker-Delivery"]


def test_a_redirect_is_not_followed_and_a_closed_port_is_retried(receiver):
    org = f.OrganisationFactory()
    register(org, url=receiver.url, events=STATUS)
    closed, _ = register(org, url="http://127.0.0.1:9/nobody-listens", events=STATUS)
    receiver.answer(302)
    services.commitment_update_status(commitment=f.CommitmentFactory(owners=[org]), status="at_risk", actor="t")
    assert webhooks_tick(inline=True) == 2
    redirected = WebhookDelivery.objects.exclude(endpoint=closed).get()
    assert redirected.status == WebhookDeliveryStatus.FAILED and "redirects are not followed" in redirected.last_error
    refused = WebhookDelivery.objects.get(endpoint=closed)
    assert refused.status == WebhookDeliveryStatus.PENDING and refused.attempts == 1
    assert "refused" in refused.last_error.lower()


def test_a_deactivated_endpoint_receives_nothing(receiver):
    org = f.OrganisationFactory()
    hook, _ = register(org, url=receiver.url, events=STATUS)
    services.commitment_update_status(commitment=f.CommitmentFactory(owners=[org]), status="at_risk", actor="t")
    webhook_endpoint_update(endpoint=hook, is_active=False)
    assert webhooks_tick(inline=True) == 0
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.CANCELLED
    assert receiver.count() == 0


# --- Deadlines approaching -------------------------------------------------------------------------------------

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def approaching(**filters) -> dict[int, WebhookDelivery]:
    rows = WebhookDelivery.objects.filter(event=WebhookEvent.DEADLINE_APPROACHING, **filters)
    return {r.payload["data"]["deadline"]["days_before"]: r for r in rows}


def test_deadline_approaching_is_planned_at_the_reminder_lead_days_and_follows_the_deadline(receiver):
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    with time_machine.travel(PLANNED, tick=False):
        deadline = f.DeadlineFactory(
            commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=date(2026, 6, 15), offset=""
        )
        hook, secret = register(org, url=receiver.url, events=[WebhookEvent.DEADLINE_APPROACHING])
    planned = approaching(status=WebhookDeliveryStatus.PENDING)
    assert sorted(planned) == [1, 7, 30]
    assert planned[30].next_attempt_at == datetime(2026, 5, 16, 9, 0, tzinfo=UTC)
    assert planned[30].deadline == deadline

    # The 30-day one goes out at its moment, signed, and only it.
    assert webhooks_tick(inline=True, now=datetime(2026, 5, 16, 8, 59, tzinfo=UTC)) == 0
    assert webhooks_tick(inline=True, now=datetime(2026, 5, 16, 9, 0, tzinfo=UTC)) == 1
    [request] = receiver.snapshot()
    assert request.headers["X-Tracker-Event"] == "deadline.approaching"
    assert signature_ok(secret, request)
    body = json.loads(request.body)["data"]
    assert body["deadline"] == {
        "ref": deadline.ref,
        "title": deadline.title,
        "due_on": "2026-06-15",
        "days_before": 30,
        "url": f"http://127.0.0.1:8000/api/v1/deadlines/{deadline.ref}/",
    }

    # Extended: the pending ones are cancelled and planned again for the new date; the sent one stays sent.
    with time_machine.travel(datetime(2026, 5, 20, tzinfo=UTC), tick=False):
        services.deadline_extend(deadline=deadline, new_due_on=date(2026, 7, 15), reason="partner asked", actor="t")
    pending = approaching(status=WebhookDeliveryStatus.PENDING)
    assert sorted(pending) == [1, 7, 30]
    assert pending[7].next_attempt_at == datetime(2026, 7, 8, 9, 0, tzinfo=UTC)
    assert approaching(status=WebhookDeliveryStatus.SENT)[30].payload["data"]["deadline"]["due_on"] == "2026-06-15"
    assert WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.CANCELLED).count() == 2

    # Completed: nothing more is due about it (and the status change itself is not subscribed to).
    with time_machine.travel(datetime(2026, 5, 21, tzinfo=UTC), tick=False):
        services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, actor="t")
    assert approaching(status=WebhookDeliveryStatus.PENDING) == {}
    assert not status_deliveries().exists()


def test_planning_twice_changes_nothing():
    from followups.webhooks.planner import webhooks_plan_deadlines

    org = f.OrganisationFactory()
    with time_machine.travel(PLANNED, tick=False):
        deadline = f.DeadlineFactory(
            commitment=f.CommitmentFactory(owners=[org]),
            anchor_kind=AnchorKind.FIXED,
            anchor_date=date(2026, 6, 15),
            offset="",
        )
        register(org, events=[WebhookEvent.DEADLINE_APPROACHING])
        before = list(WebhookDelivery.objects.order_by("pk").values())
        with transaction.atomic():
            webhooks_plan_deadlines(deadlines=[deadline])
            webhooks_plan_deadlines(deadlines=[deadline])
    assert list(WebhookDelivery.objects.order_by("pk").values()) == before
    assert len(before) == 3
