"""Webhooks through a real Celery worker and beat on Redis (the reliability harness), to a receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from followups import services
from followups.models import Status, WebhookDelivery, WebhookDeliveryStatus, WebhookEvent
from followups.webhooks.endpoints import webhook_endpoint_register
from tests import factories as f
from tests.reliability.conftest import wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def broker_url(redis_url: str) -> str:
    return redis_url


def test_the_beat_and_a_worker_deliver_a_status_change_after_a_503_signed_and_once(cluster, receiver):
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    _hook, secret = webhook_endpoint_register(
        organisation=org, url=receiver.url, events=[WebhookEvent.STATUS_CHANGED], actor="test"
    )
    receiver.answer(503, body="deploying")
    services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, note="slipping", actor="t")

    c = cluster(WEBHOOK_RETRY_BASE_SECONDS="0.5", WEBHOOK_RETRY_MAX_SECONDS="2")
    c.worker()
    c.beat()
    wait_for(
        lambda: WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.SENT).exists(),
        timeout=60,
        what="the delivery SENT",
        logs=c.logs,
    )
    row = WebhookDelivery.objects.get()
    assert (row.attempts, row.response_status) == (2, 200)
    first, second = receiver.snapshot()
    for request in (first, second):
        assert request.headers["X-Tracker-Delivery"] == str(row.event_id)
        timestamp = request.headers["X-Tracker-Timestamp"]
        digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Tracker-Signature"] == f"sha256={digest}"
    assert json.loads(second.body)["data"]["status_update"]["note"] == "slipping"
    time.sleep(2)  # more ticks: nothing is sent again
    assert receiver.count() == 2
