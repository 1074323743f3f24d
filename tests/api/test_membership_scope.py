"""A partner's scope grows only from confirmed facts: a party role, or a confirmed, sourced membership of a body.

Presumed, supported, invited or withdrawn memberships, and illustrative parties or memberships, are shown as what
they are and never let a key read more (DESIGN.md, "Who may see and change what"; issue 10).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements.models import Membership, MembershipState, Organisation, Party
from tests.api.conftest import all_items, bearer_client, make_framework, make_org
from tests.followups.conftest import ministerial  # noqa: F401 - the dataset, loaded once per module

pytestmark = pytest.mark.django_db


def framework_refs(client) -> set[str]:
    return {item["ref"] for item in all_items(client, reverse("api:framework-list"))}


@pytest.mark.parametrize(
    ("state", "illustrative", "sees_the_body_framework"),
    [
        (MembershipState.CONFIRMED, False, True),
        (MembershipState.CONFIRMED, True, False),  # an invented membership, even "confirmed"
        (MembershipState.PRESUMED, False, False),
        (MembershipState.EXPRESSED_SUPPORT, False, False),
        (MembershipState.INVITED, False, False),
        (MembershipState.WITHDRAWN, False, False),
    ],
)
def test_only_a_confirmed_sourced_membership_opens_the_bodys_frameworks(
    state, illustrative, sees_the_body_framework, partner_key
):
    member = make_org("ORG-MS", iso="QM", name="Member state")
    body = make_org("ORG-BODYX", kind="plurilateral_forum", name="Body X")
    Membership.objects.create(member=member, body=body, state=state, illustrative=illustrative)
    make_framework("FW-BODYX", body)
    make_framework("FW-MS-US", member)
    client = bearer_client(partner_key(member)[1])

    refs = framework_refs(client)
    assert "FW-MS-US" in refs  # its own party role always counts
    assert ("FW-BODYX" in refs) is sees_the_body_framework
    detail = client.get(reverse("api:framework-detail", args=["FW-BODYX"]))
    assert detail.status_code == (200 if sees_the_body_framework else 404)


def test_an_illustrative_party_role_gives_no_scope(partner_key):
    org = make_org("ORG-IP", iso="QI", name="Invented party")
    framework = make_framework("FW-IP-US")
    Party.objects.create(framework=framework, organisation=org, illustrative=True)
    assert "FW-IP-US" not in framework_refs(bearer_client(partner_key(org)[1]))


def test_in_the_dataset_india_and_presumed_members_do_not_read_forge(ministerial, partner_key):  # noqa: F811
    india = Organisation.objects.get(ref="ORG-IN")
    forge = Membership.objects.get(member=india, body__ref="ORG-FORGE")
    assert forge.state == MembershipState.EXPRESSED_SUPPORT
    assert "expressed support" in forge.note
    assert "FW-FORGE" not in framework_refs(bearer_client(partner_key(india)[1]))

    presumed = Membership.objects.filter(body__ref="ORG-FORGE", state=MembershipState.PRESUMED)
    assert presumed.count() == 13
    australia = Organisation.objects.get(ref="ORG-AU")
    assert presumed.filter(member=australia).exists()
    refs = framework_refs(bearer_client(partner_key(australia)[1]))
    assert "FW-FORGE" not in refs
    assert "FW-US-AU" in refs  # what Australia signed stays in scope
