"""Two partners' worlds that share nothing, a body partner A belongs to, and clients for each caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from agreements.models import Framework, Organisation, WorkingGroup
from agreements.partner_access import api_key_issue
from agreements.roles import Role, role_groups_ensure
from followups import services
from followups.models import AnchorKind, Category, Commitment, StatusUpdate, WebhookEndpoint
from followups.webhooks.endpoints import webhook_endpoint_register
from tests import factories as f


def make_org(ref: str, *, iso: str | None = None, kind: str = "country", name: str = "") -> Organisation:
    return f.OrganisationFactory(ref=ref, name=name or ref, kind=kind, iso_alpha2=iso)


def make_framework(ref: str, *parties: Organisation) -> Framework:
    framework = f.FrameworkFactory(
        ref=ref, title=f"Framework {ref}", short_title="", kind="bilateral_framework", signed_on=date(2026, 2, 4)
    )
    for org in parties:
        f.PartyFactory(framework=framework, organisation=org)
    return framework


def make_commitment(ref: str, framework: Framework, *owners: Organisation, due: date | None = None) -> Commitment:
    """A commitment owed by `owners` (parties to `framework` or not) with one fixed deadline, through the services:
    its reminders and its partners' deadline notices are planned as in production."""
    commitment = f.CommitmentFactory(
        ref=ref, framework=framework, title=f"Commitment {ref}", category=Category.OTHER, owners=[]
    )
    services.commitment_owner_set(commitment=commitment, organisations=owners, actor="test world")
    due = due or days_from_today(200)
    f.DeadlineFactory(
        ref=f"DL-{ref}", commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=due, offset="", basis=""
    )
    return commitment


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    org_c: Organisation
    body: Organisation
    fw_a: Framework
    fw_body: Framework
    fw_b: Framework
    fw_c: Framework
    wg_a: WorkingGroup
    wg_b: WorkingGroup
    cmt_a: Commitment
    cmt_body: Commitment
    cmt_b: Commitment
    cmt_c: Commitment
    update_b: StatusUpdate
    hook_a: WebhookEndpoint
    hook_b: WebhookEndpoint


@pytest.fixture
def world(db) -> World:
    org_a = make_org("ORG-XA", iso="XA", name="Atlantis")
    org_b = make_org("ORG-XB", iso="XB", name="Borduria")
    org_c = make_org("ORG-XC", iso="XC", name="Carpania")
    body = make_org("ORG-FORUMX", kind="plurilateral_forum", name="Forum X")
    f.MembershipFactory(member=org_a, body=body)

    fw_a = make_framework("FW-XA-US", org_a)
    fw_body = make_framework("FW-FORUMX", body)
    fw_b = make_framework("FW-XB-US", org_b)
    fw_c = make_framework("FW-XC-US", org_c)

    wg_a = f.WorkingGroupFactory(ref="WG-XA-1", name="Atlantis response group", framework=fw_a, meeting_cadence="")
    f.WorkingGroupMemberFactory(working_group=wg_a, organisation=org_a, role="chair")
    wg_b = f.WorkingGroupFactory(ref="WG-XB-1", name="Borduria response group", framework=fw_b, meeting_cadence="")
    f.WorkingGroupMemberFactory(working_group=wg_b, organisation=org_b, role="chair")

    cmt_a = make_commitment("CMT-XA-01", fw_a, org_a)
    cmt_a.working_group = wg_a
    cmt_a.save()
    cmt_body = make_commitment("CMT-FORUMX-01", fw_body, body)
    cmt_b = make_commitment("CMT-XB-01", fw_b, org_b)
    cmt_b.working_group = wg_b
    cmt_b.save()
    # Partner A owes this one under a framework it is not party to: it sees the commitment, not the framework.
    cmt_c = make_commitment("CMT-XC-01", fw_c, org_c, org_a)
    services.commitment_update_status(
        commitment=cmt_a, status="in_progress", happened_on=date(2026, 3, 2), actor="user desk"
    )
    update_b = services.commitment_update_status(
        commitment=cmt_b, status="in_progress", happened_on=date(2026, 3, 1), actor="user desk"
    )
    # Each partner's webhook endpoint, with the deadline.approaching deliveries planned for its deadlines.
    events = ["commitment.status_changed", "deadline.approaching"]
    hook_a, _ = webhook_endpoint_register(organisation=org_a, url="https://hooks.example.org/xa", events=events)
    hook_b, _ = webhook_endpoint_register(organisation=org_b, url="https://hooks.example.org/xb", events=events)
    return World(
        org_a,
        org_b,
        org_c,
        body,
        fw_a,
        fw_body,
        fw_b,
        fw_c,
        wg_a,
        wg_b,
        cmt_a,
        cmt_body,
        cmt_b,
        cmt_c,
        update_b,
        hook_a,
        hook_b,
    )


def bearer_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def partner_key():
    """Issue a key for an organisation: returns (ApiKey, raw key)."""

    def issue(org: Organisation, name: str = "sync", **kwargs):
        return api_key_issue(organisation=org, name=name, **kwargs)

    return issue


@pytest.fixture
def client_a(world, partner_key) -> APIClient:
    return bearer_client(partner_key(world.org_a)[1])


@pytest.fixture
def client_b(world, partner_key) -> APIClient:
    return bearer_client(partner_key(world.org_b)[1])


@pytest.fixture
def staff_client_factory(db):
    def make(role: Role, username: str | None = None) -> APIClient:
        groups = role_groups_ensure()
        user = get_user_model().objects.create_user(username=username or f"api-{role.value}", password="x")
        user.groups.add(groups[role])
        client = APIClient()
        client.force_login(user)
        client.user = user
        return client

    return make


def all_items(client: APIClient, url: str) -> list[dict]:
    """Every item of a list endpoint, following the cursor."""
    items: list[dict] = []
    next_url = url + ("&" if "?" in url else "?") + "page_size=200"
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content
        items.extend(response.json()["results"])
        next_url = response.json()["next"]
    return items


def days_from_today(days: int) -> date:
    from django.utils import timezone

    return timezone.localdate() + timedelta(days=days)


def error_of(response) -> dict:
    """The error envelope's inner object, without the request id (which differs on every request)."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}, body
    error = dict(body["error"])
    assert set(error) == {"code", "message", "fields", "request_id"}, error
    assert error.pop("request_id") == response["X-Request-Id"]
    return error


def without_request_id(response) -> tuple[int, bytes]:
    """Status and body of an answer with its request id blanked, to compare two answers."""
    content = response.content
    request_id = response.get("X-Request-Id", "")
    return response.status_code, content.replace(request_id.encode(), b"") if request_id else content
