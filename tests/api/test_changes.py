"""The changes feed (GET /api/v1/changes/): a sync client learns which records it could see were deleted or
left its scope, and which entered it, per organisation, with a real partner key (issue 13, point 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from followups import services
from followups.webhooks.endpoints import webhook_endpoint_delete, webhook_endpoint_register
from tests.api.conftest import all_items, error_of

pytestmark = pytest.mark.django_db

FEED = "/api/v1/changes/"


def feed(client, query: str = "") -> set[tuple[str, str, str]]:
    return {(c["resource"], c["ref"], c["change"]) for c in all_items(client, FEED + query)}


def test_a_commitment_whose_owner_moves_away_leaves_the_partners_scope(world, client_a, client_b):
    assert feed(client_a) == set() and feed(client_b) == set()  # the first request starts following the scope
    assert client_a.get(f"/api/v1/commitments/{world.cmt_c.ref}/").status_code == 200

    services.commitment_owner_set(commitment=world.cmt_c, organisations=[world.org_c], actor="test")

    assert feed(client_a) == {
        ("commitments", "CMT-XC-01", "left_scope"),
        ("deadlines", "DL-CMT-XC-01", "left_scope"),
        ("organisations", "ORG-XC", "left_scope"),  # A saw Carpania only as a co-owner
    }
    assert client_a.get(f"/api/v1/commitments/{world.cmt_c.ref}/").status_code == 404
    assert feed(client_b) == set()  # nothing of it was ever B's

    services.commitment_owner_set(commitment=world.cmt_c, organisations=[world.org_c, world.org_a], actor="test")
    assert ("commitments", "CMT-XC-01", "entered_scope") in feed(client_a)


def test_a_deleted_deadline_is_reported_deleted_to_those_who_saw_it(world, client_a, client_b, staff_client_factory):
    from agreements.roles import Role

    staff = staff_client_factory(Role.COORDINATOR)
    for client in (client_a, client_b, staff):
        assert feed(client) == set()
    deadline = world.cmt_a.deadlines.get()

    services.deadline_delete(deadline=deadline, actor="test")

    assert feed(client_a) == {("deadlines", deadline.ref, "deleted")}
    assert feed(staff) == {("deadlines", deadline.ref, "deleted")}
    assert feed(client_b) == set()


def test_a_party_removed_takes_the_framework_and_what_hangs_under_it(world, client_a):
    assert feed(client_a) == set()
    party = world.fw_body.parties.get()  # A sees the forum's framework through its membership of the forum

    services.party_delete(party=party, actor="test")

    assert feed(client_a) == {
        ("frameworks", "FW-FORUMX", "left_scope"),
        ("commitments", "CMT-FORUMX-01", "left_scope"),
        ("deadlines", "DL-CMT-FORUMX-01", "left_scope"),
    }
    refs = {f["ref"] for f in all_items(client_a, "/api/v1/frameworks/")}
    assert "FW-FORUMX" not in refs


def test_a_deleted_webhook_endpoint_is_reported_to_its_organisation_only(world, client_a, client_b):
    extra, _ = webhook_endpoint_register(
        organisation=world.org_a, url="https://hooks.example.org/xa2", events=["commitment.status_changed"]
    )
    assert feed(client_a) == set() and feed(client_b) == set()

    webhook_endpoint_delete(endpoint=extra)

    assert feed(client_a) == {("webhooks", str(extra.uuid), "deleted")}
    assert feed(client_b) == set()


def test_since_keeps_the_changes_from_that_instant_and_each_change_has_its_own_address(world, client_a):
    assert feed(client_a) == set()
    services.deadline_delete(deadline=world.cmt_a.deadlines.get(), actor="test")
    [change] = all_items(client_a, FEED)
    later = (timezone.now() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")

    assert all_items(client_a, f"{FEED}?since={later}") == []
    assert all_items(client_a, f"{FEED}?since={earlier}&resource=deadlines&change=deleted") == [change]
    assert client_a.get(f"{FEED}{change['id']}/").json() == change
    for bad in ("since=yesterday", "resource=nothing", "change=moved", "ordering=at"):
        response = client_a.get(f"{FEED}?{bad}")
        assert response.status_code == 400, bad
        assert bad.split("=")[0] in error_of(response)["fields"]


@pytest.mark.django_db(transaction=True)
def test_the_service_records_the_change_when_its_transaction_commits(world, client_a):
    from followups.models import SyncChange

    assert feed(client_a) == set()
    services.commitment_owner_set(commitment=world.cmt_c, organisations=[world.org_c], actor="test")
    recorded = timezone.now()
    # Written by the service's commit, not by the next read of the feed: dated when it happened.
    assert SyncChange.objects.filter(audience__organisation=world.org_a, ref="CMT-XC-01").exists()
    [change] = [c for c in all_items(client_a, FEED) if c["ref"] == "CMT-XC-01"]
    assert change["change"] == "left_scope"
    assert change["at"] <= recorded.isoformat().replace("+00:00", "Z")


def test_the_feed_starts_at_the_organisations_first_request(world, partner_key):
    from tests.api.conftest import bearer_client

    # A change before the organisation ever called the API is nothing its clients could have seen.
    services.deadline_delete(deadline=world.cmt_b.deadlines.get(), actor="test")
    client = bearer_client(partner_key(world.org_b)[1])
    assert feed(client) == set()
