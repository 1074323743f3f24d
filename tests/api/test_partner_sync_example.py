"""docs/partner_sync.py, the partner sync example, run against a live server on PostgreSQL with a real key: it
pages with the cursor, syncs with updated_since and the changes feed, revalidates with If-None-Match, retries a
POST with one Idempotency-Key, registers a webhook and checks the signature of what it is sent (issue 13, 9)."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path

import httpx
import pytest

from followups import services
from followups.models import StatusUpdate
from followups.webhooks.sending import webhooks_tick

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "partner_sync.py"


@pytest.fixture
def example():
    spec = importlib.util.spec_from_file_location("partner_sync", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sync_example_keeps_a_partners_copy_right(
    example, live_server, world, partner_key, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("TRACKER_URL", live_server.url)
    monkeypatch.setenv("TRACKER_API_KEY", partner_key(world.org_a)[1])
    state_path = tmp_path / "state.json"

    def run(*args: str) -> str:
        assert example.main(["--state", str(state_path), *args]) == 0
        return capsys.readouterr().out

    def kept(resource: str) -> set[str]:
        return set(json.loads(state_path.read_text())["records"][resource])

    out = run("sync")
    assert "commitments: 3 fetched, 3 kept" in out
    assert "frameworks: 2 fetched, 2 kept" in out
    assert kept("commitments") == {"CMT-XA-01", "CMT-FORUMX-01", "CMT-XC-01"}
    assert "CMT-XB-01" not in state_path.read_text()

    # Carpania takes CMT-XC-01 back alone, and a deadline of A's is deleted: the lists alone would not say so.
    services.commitment_owner_set(commitment=world.cmt_c, organisations=[world.org_c], actor="test")
    services.deadline_delete(deadline=world.cmt_a.deadlines.get(), actor="test")
    out = run("sync")
    assert "change: commitments CMT-XC-01 left_scope -> dropped" in out
    assert "change: deadlines DL-CMT-XA-01 deleted -> dropped" in out
    assert kept("commitments") == {"CMT-XA-01", "CMT-FORUMX-01"}
    assert kept("deadlines") == {"DL-CMT-FORUMX-01"}
    assert "ORG-XC" not in kept("organisations")

    assert run("refresh", "CMT-XA-01") == "CMT-XA-01: fetched\n"
    assert run("refresh", "CMT-XA-01") == "CMT-XA-01: not modified\n"

    # Webhooks: registered through the example, received by its listener, which checks the signature.
    listener = example.webhook_server(state_path, 0)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        out = run("register", f"http://127.0.0.1:{listener.server_address[1]}/hooks")
        assert out.startswith("registered ")
        assert json.loads(state_path.read_text())["secret"]

        before = StatusUpdate.objects.count()
        first = run("report", "CMT-XA-01", "at_risk", "Budget delayed", "--idempotency-key", "erp-42")
        again = run("report", "CMT-XA-01", "at_risk", "Budget delayed", "--idempotency-key", "erp-42")
        assert first.startswith("reported CMT-XA-01 at_risk: ") and not first.strip().endswith("(replayed)")
        assert again == first.rstrip("\n") + " (replayed)\n"
        assert StatusUpdate.objects.count() == before + 1

        webhooks_tick(inline=True)  # to A's endpoints: the example's, and the world's (unreachable)
        assert capsys.readouterr().out == "webhook commitment.status_changed CMT-XA-01\n"
        forged = httpx.post(
            f"http://127.0.0.1:{listener.server_address[1]}/hooks",
            content=b'{"data": {"commitment": {"ref": "CMT-XA-01"}}}',
            headers={"X-Tracker-Timestamp": "1", "X-Tracker-Signature": "sha256=00", "X-Tracker-Delivery": "x"},
        )
        assert forged.status_code == 400
        assert capsys.readouterr().out == "webhook refused: bad signature\n"
    finally:
        listener.shutdown()
        listener.server_close()
