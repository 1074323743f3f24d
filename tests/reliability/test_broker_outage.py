"""No dependency on the broker for the API (issue 9): with a Redis server of this test's own (the broker and the
throttle's store) stopped, the partner API keeps answering, a status update posted meanwhile is saved, and its
webhook goes out through a real Celery worker and beat once Redis is back."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from agreements.partner_access import api_key_issue
from followups.models import StatusUpdate, WebhookDelivery, WebhookDeliveryStatus, WebhookEvent
from followups.webhooks.endpoints import webhook_endpoint_register
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.reliability.conftest import wait_for
from tests.webhooks.conftest import receiver  # noqa: F401 - a fixture shared with the webhook tests

pytestmark = pytest.mark.redis

# Helper 4's port range (18400-18499): other developers' tests run beside these.
PORT = 18411


class OwnRedis:
    """A redis-server started and stopped by the test (no persistence: a restart comes back empty)."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(PORT, tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker_url(own_redis: OwnRedis) -> str:
    """The cluster's broker is this test's own Redis."""
    return f"{own_redis.url}/0"


def test_partner_api_answers_and_keeps_a_status_update_while_redis_is_down_then_its_webhook_goes_out(
    receiver,  # noqa: F811 - the shared fixture
    own_redis,
    cluster,
    settings,
):
    settings.CACHES = {
        **settings.CACHES,
        "api_throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"{own_redis.url}/1",
            "KEY_PREFIX": "api-throttle",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        },
    }
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    webhook_endpoint_register(organisation=org, url=receiver.url, events=[WebhookEvent.STATUS_CHANGED], actor="t")
    key, raw = api_key_issue(organisation=org, name="sync")
    partner = bearer_client(raw)
    c = cluster()
    c.worker()
    c.beat()

    assert partner.get("/api/v1/commitments/").status_code == 200
    # The counts live in this Redis while it is up.
    assert redis.Redis(port=own_redis.port, db=1).keys(f"api-throttle:*throttle_api_key_{key.pk}")

    own_redis.stop()
    listed = partner.get("/api/v1/commitments/")
    assert listed.status_code == 200
    assert [item["ref"] for item in listed.json()["results"]] == [commitment.ref]
    posted = partner.post(
        "/api/v1/status-updates/",
        {"commitment": commitment.ref, "status": "at_risk", "note": "posted while Redis was down"},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    assert StatusUpdate.objects.get(commitment=commitment).note == "posted while Redis was down"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status in (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SENDING)
    time.sleep(2)  # beat keeps ticking into the void meanwhile: nothing can reach the worker
    assert receiver.count() == 0

    own_redis.start()
    wait_for(
        lambda: WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.SENT).exists(),
        timeout=120,
        what="the webhook SENT after Redis returned",
        logs=c.logs,
    )
    [request] = receiver.snapshot()
    assert json.loads(request.body)["data"]["status_update"]["note"] == "posted while Redis was down"
