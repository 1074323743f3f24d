"""Every writable endpoint, sent every model field plus owners, references and statuses a partner may not set."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from config.api_router import router
from followups.models import Commitment, CommitmentOwner, Deadline, StatusUpdate
from tests.api.conftest import World, days_from_today, error_of
from tests.api.snapshot import database_snapshot
from tests.api.test_access_matrix import changes_of_both

pytestmark = pytest.mark.django_db

ENDPOINTS = [basename for _prefix, _viewset, basename in router.registry]
A_OBJECTS = {
    "organisation": lambda w: w.org_a.ref,
    "framework": lambda w: w.fw_a.ref,
    "working-group": lambda w: w.wg_a.ref,
    "commitment": lambda w: w.cmt_a.ref,
    "deadline": lambda w: w.cmt_a.deadlines.get().ref,
    "status-update": lambda w: str(w.cmt_a.status_updates.get().uuid),
    "webhook": lambda w: str(w.hook_a.uuid),
    "webhook-delivery": lambda w: str(w.hook_a.deliveries.first().uuid),
    "change": lambda w: str(changes_of_both(w)[0].uuid),
}
# A partner's own records, which DELETE is for: deleting one is tested on its own (below), not as a protected change.
PARTNER_DELETABLE = {"webhook"}


def everything(world: World) -> dict:
    """Every field of the models a partner touches, set to something it may not set."""
    payload: dict = {}
    for model in (Commitment, CommitmentOwner, Deadline, StatusUpdate):
        for field in model._meta.concrete_fields:
            payload.setdefault(field.name, "X")
    payload.update(
        {
            "id": 1,
            "ref": "CMT-HIJACKED",
            "commitment": world.cmt_a.ref,
            "framework": world.fw_b.ref,
            "owner": world.org_b.ref,
            "owners": [world.org_b.ref],
            "organisation": world.org_b.ref,
            "status": "cancelled",
            "new_status": "cancelled",
            "old_status": "completed",
            "due_on": "2030-01-01",
            "extended_due_on": "2030-01-01",
            "completed_on": "2026-01-01",
            "title": "Rewritten",
            "priority": "high",
            "actor": "the coordinator",
            "by_user": 1,
            "created_at": "2020-01-01T00:00:00Z",
            "happened_on": "2026-03-01",
        }
    )
    return payload


@pytest.mark.parametrize("basename", ENDPOINTS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nothing_protected_changes_whatever_a_partner_sends(basename, method, world, client_a):
    detail = reverse(f"api:{basename}-detail", args=[A_OBJECTS[basename](world)])
    before = database_snapshot()
    urls = [reverse(f"api:{basename}-list"), detail]
    if method == "delete" and basename in PARTNER_DELETABLE:
        urls = [reverse(f"api:{basename}-list")]
    for url in urls:
        response = getattr(client_a, method)(url, everything(world), format="json")
        assert response.status_code in (400, 405), (url, response.status_code)
    assert database_snapshot() == before


def test_status_update_refuses_each_field_a_partner_may_not_set(world, client_a):
    allowed = {"commitment": world.cmt_a.ref, "status": "in_progress", "note": "call held"}
    before = database_snapshot()
    for name, value in everything(world).items():
        if name in allowed or name in {"note", "evidence_url", "happened_on"}:
            continue
        response = client_a.post(reverse("api:status-update-list"), {**allowed, name: value}, format="json")
        assert response.status_code == 400, name
        assert name in error_of(response)["fields"]
    assert database_snapshot() == before


@pytest.mark.parametrize("status", ["cancelled", "completed_late", "overdue", ""])
def test_a_partner_cannot_set_statuses_reserved_to_staff(world, client_a, status):
    before = database_snapshot()
    response = client_a.post(
        reverse("api:status-update-list"), {"commitment": world.cmt_a.ref, "status": status}, format="json"
    )
    assert response.status_code == 400
    assert "status" in error_of(response)["fields"]
    assert database_snapshot() == before


def test_the_allowed_fields_make_exactly_one_status_update_for_partner_as_owner(world, client_a):
    response = client_a.post(
        reverse("api:status-update-list"),
        {
            "commitment": world.cmt_c.ref,
            # Not "completed": a partner's completed is a claim awaiting staff (tests/partner/test_claims.py).
            "status": "in_progress",
            "note": "Signed on 3 March.",
            "evidence_url": "https://example.org/press/signed",
            "happened_on": "2026-03-03",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["commitment"] == world.cmt_c.ref
    assert body["owner"] == world.org_a.ref
    assert body["actor"] == f"API key 'sync' of {world.org_a.ref}"
    assert body["new_status"] == "in_progress"
    # Only A's own part moves; Carpania has not started its part, so the commitment is in progress.
    ownerships = {o.organisation.ref: o.status for o in world.cmt_c.ownerships.select_related("organisation")}
    assert ownerships == {world.org_a.ref: "in_progress", world.org_c.ref: "not_started"}
    world.cmt_c.refresh_from_db()
    assert world.cmt_c.status == "in_progress"
    assert world.cmt_c.ref == "CMT-XC-01" and world.cmt_c.framework == world.fw_c
    deadline = world.cmt_c.deadlines.get()
    assert deadline.due_on == days_from_today(200) and deadline.completed_on is None
    # The history says who: the key, by name and organisation, with no Django user.
    ownership = world.cmt_c.ownerships.get(organisation=world.org_a)
    last = ownership.history.first()
    assert last.history_user is None and last.history_change_reason.startswith(f"API key 'sync' of {world.org_a.ref}")
    last = world.cmt_c.history.first()
    assert last.history_user is None and last.history_change_reason.startswith(f"API key 'sync' of {world.org_a.ref}")
    update = StatusUpdate.objects.get(uuid=body["id"])
    assert update.by_user is None and update.happened_on == date(2026, 3, 3)
    assert update.evidence_url == "https://example.org/press/signed"


def test_deleting_its_own_webhook_removes_that_endpoint_and_its_deliveries_only(world, client_a):
    before = database_snapshot()
    url = reverse("api:webhook-detail", args=[world.hook_a.uuid])
    response = client_a.delete(url, everything(world), format="json")
    assert response.status_code == 204
    after = database_snapshot()
    gone = {row["id"] for row in before["followups.WebhookEndpoint"]} - {
        row["id"] for row in after["followups.WebhookEndpoint"]
    }
    assert gone == {world.hook_a.pk}
    assert {row["endpoint_id"] for row in after["followups.WebhookDelivery"]} == {world.hook_b.pk}
    for label, rows in before.items():
        if label.startswith("followups.Historical"):
            # The deletion is recorded in the endpoint's history; nothing else in it changes.
            added = [row for row in after[label] if row not in rows]
            assert {row["id"] for row in added} <= {world.hook_a.pk}, label
        elif label not in ("followups.WebhookEndpoint", "followups.WebhookDelivery"):
            assert after[label] == rows, label
