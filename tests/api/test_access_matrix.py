"""Partner A against partner B's objects, for every endpoint of the router and every method.

The endpoints come from config.api_router.router, so a resource added there without an entry in
B_OBJECTS fails here: nobody has to remember to extend the matrix.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.api_router import router
from followups.models import SyncChange
from followups.sync.scope import audience_reconcile, audience_track
from followups.webhooks.endpoints import webhook_endpoint_delete, webhook_endpoint_register
from tests.api.conftest import World, all_items, error_of, without_request_id
from tests.api.snapshot import database_snapshot

pytestmark = pytest.mark.django_db

# For each basename: B's object's lookup value, and a value that exists nowhere.
B_OBJECTS = {
    "organisation": (lambda w: w.org_b.ref, "ORG-NOPE"),
    "framework": (lambda w: w.fw_b.ref, "FW-NOPE"),
    "working-group": (lambda w: w.wg_b.ref, "WG-NOPE"),
    "commitment": (lambda w: w.cmt_b.ref, "CMT-NOPE"),
    "deadline": (lambda w: w.cmt_b.deadlines.get().ref, "DL-NOPE"),
    "status-update": (lambda w: str(w.update_b.uuid), "00000000-0000-4000-8000-000000000000"),
    "webhook": (lambda w: str(w.hook_b.uuid), "00000000-0000-4000-8000-000000000000"),
    "webhook-delivery": (lambda w: str(w.hook_b.deliveries.first().uuid), "00000000-0000-4000-8000-000000000000"),
    "change": (lambda w: str(changes_of_both(w)[1].uuid), "00000000-0000-4000-8000-000000000000"),
}
# How B's objects show in a list: the key of each item that identifies it.
ITEM_KEY = {"status-update": "id", "webhook": "id", "webhook-delivery": "id", "change": "id"}
METHODS = ["get", "head", "options", "put", "patch", "delete", "post"]
ENDPOINTS = [basename for _prefix, _viewset, basename in router.registry]


def changes_of_both(world: World) -> tuple[SyncChange, SyncChange]:
    """A change in A's feed and one in B's: each deletes an endpoint of its own, through the service."""
    changes = []
    for org in (world.org_a, world.org_b):
        audience = audience_track(org)
        endpoint, _secret = webhook_endpoint_register(
            organisation=org, url="https://hooks.example.org/gone", events=["commitment.status_changed"]
        )
        audience_reconcile(audience)
        webhook_endpoint_delete(endpoint=endpoint)
        audience_reconcile(audience)
        changes.append(SyncChange.objects.get(audience=audience, ref=str(endpoint.uuid), change="deleted"))
    return changes[0], changes[1]


def b_identifiers(world: World) -> set[str]:
    b_refs = {world.org_b.ref, world.fw_b.ref, world.wg_b.ref, world.cmt_b.ref, world.cmt_b.deadlines.get().ref}
    b_webhooks = {str(world.hook_b.uuid)} | {str(d.uuid) for d in world.hook_b.deliveries.all()}
    b_changes = {str(c.uuid) for c in SyncChange.objects.filter(audience__organisation=world.org_b)}
    return b_refs | {str(world.update_b.uuid)} | b_webhooks | b_changes


def test_every_endpoint_is_in_the_matrix():
    assert set(ENDPOINTS) == set(B_OBJECTS), "add the new endpoint to B_OBJECTS"


@pytest.mark.parametrize("basename", ENDPOINTS)
def test_lists_hold_none_of_partner_bs_objects(basename, world, client_a):
    if basename == "change":
        changes_of_both(world)
    items = all_items(client_a, reverse(f"api:{basename}-list"))
    assert items, "partner A should see some of its own"
    key = ITEM_KEY.get(basename, "ref")
    assert not {str(item[key]) for item in items} & b_identifiers(world)
    # Nor does any of A's items carry B's commitment, framework or owner.
    text = str(items)
    for ref in (world.cmt_b.ref, world.fw_b.ref, world.wg_b.ref):
        assert ref not in text


@pytest.mark.parametrize("basename", ENDPOINTS)
@pytest.mark.parametrize("filter_name", ["framework", "organisation", "commitment", "working_group", "owner", "ref"])
def test_filtering_on_partner_bs_references_finds_nothing_of_theirs(basename, filter_name, world, client_a):
    for value in (world.fw_b.ref, world.org_b.ref, world.cmt_b.ref, world.wg_b.ref):
        response = client_a.get(reverse(f"api:{basename}-list"), {filter_name: value, "page_size": 200})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            key = ITEM_KEY.get(basename, "ref")
            assert not {str(i[key]) for i in response.json()["results"]} & b_identifiers(world)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("basename", ENDPOINTS)
def test_partner_bs_object_is_indistinguishable_from_a_missing_one(basename, method, world, client_a):
    lookup, missing = B_OBJECTS[basename]
    theirs_url = reverse(f"api:{basename}-detail", args=[lookup(world)])
    before = database_snapshot()
    body = {"ref": "CMT-HACKED", "status": "cancelled", "title": "changed", "owner": world.org_a.ref}

    kwargs = {} if method in ("get", "head", "options") else {"data": body, "format": "json"}
    theirs = getattr(client_a, method)(theirs_url, **kwargs)
    nowhere = getattr(client_a, method)(reverse(f"api:{basename}-detail", args=[missing]), **kwargs)

    if method in ("get", "head"):
        assert theirs.status_code == 404
    # Whatever the answer (404, 405 for a method not offered, OPTIONS' description), it is the same as for an
    # object that does not exist, and never a 403 that would reveal the object.
    assert theirs.status_code != 403
    assert without_request_id(theirs) == without_request_id(nowhere)
    assert database_snapshot() == before


def test_status_update_on_partner_bs_commitment_is_a_404_like_a_missing_one(world, client_a):
    before = database_snapshot()
    url = reverse("api:status-update-list")
    theirs = client_a.post(url, {"commitment": world.cmt_b.ref, "status": "completed"}, format="json")
    nowhere = client_a.post(url, {"commitment": "CMT-NOPE-99", "status": "completed"}, format="json")
    assert theirs.status_code == nowhere.status_code == 404
    assert error_of(theirs)["code"] == error_of(nowhere)["code"] == "not_found"
    assert error_of(theirs)["fields"] == {"commitment": [f"No commitment {world.cmt_b.ref} that you may report on."]}
    assert error_of(nowhere)["fields"] == {"commitment": ["No commitment CMT-NOPE-99 that you may report on."]}
    assert database_snapshot() == before


def test_a_commitment_a_can_see_but_does_not_own_cannot_be_reported_on(world, client_a):
    # The forum's commitment is visible to A (a member) but owed by the forum, not by A.
    assert client_a.get(reverse("api:commitment-detail", args=[world.cmt_body.ref])).status_code == 200
    before = database_snapshot()
    response = client_a.post(
        reverse("api:status-update-list"), {"commitment": world.cmt_body.ref, "status": "completed"}, format="json"
    )
    assert response.status_code == 404  # as any commitment it may not report on
    assert database_snapshot() == before


def test_partner_b_sees_nothing_of_partner_a(world, client_b):
    assert {f["ref"] for f in all_items(client_b, "/api/v1/frameworks/")} == {world.fw_b.ref}
    assert {c["ref"] for c in all_items(client_b, "/api/v1/commitments/")} == {world.cmt_b.ref}
    assert {o["ref"] for o in all_items(client_b, "/api/v1/organisations/")} == {world.org_b.ref}
    assert client_b.get(f"/api/v1/commitments/{world.cmt_a.ref}/").status_code == 404
