"""A clock per party: "within six months of joining" gives each party of Pax Silica its own due date and reminders;
a party added later (the admin's door, through services.party_save) gets its deadline in the same transaction."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model

from agreements.models import Contact, Organisation, Party, PartyRole
from agreements.roles import Role, role_groups_ensure
from followups import services
from followups.models import AnchorKind, Commitment, Deadline, PartyClock, Reminder

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(ministerial):
    commitment = Commitment.objects.get(ref="CMT-PAX-02")
    # Someone to remind: a point of contact of the commitment.
    us = Organisation.objects.get(ref="ORG-US")
    contact = Contact.objects.create(ref="CON-PAX-T", name="Test", email="t@example.org", organisation=us)
    commitment.contacts.add(contact)
    with time_machine.travel(AS_OF, tick=False):
        clock = PartyClock(
            ref="PC-PAX-01",
            commitment=commitment,
            framework=commitment.framework,
            offset="P6M",
            basis="illustrative",
        )
        services.deadline_rule_per_party_apply(clock=clock, actor="test")
    return clock


def test_each_acceding_party_gets_its_own_due_date(clock):
    due = {d.anchor_party.organisation.ref: d for d in clock.deadlines.select_related("anchor_party__organisation")}
    assert due["ORG-QA"].due_on == date(2026, 7, 12)  # 2026-01-12 + P6M
    assert due["ORG-QA"].anchor_kind == AnchorKind.PARTY_JOINED
    assert due["ORG-AE"].due_on == date(2026, 7, 14)
    assert due["ORG-IN"].due_on == date(2026, 8, 20)
    # Twelve accessions and the European Commission's; the founding signatories have no date of their own.
    assert len(due) == 13
    assert "ORG-JP" not in due


def test_a_month_only_accession_counts_from_the_latest_day_and_is_estimated(clock):
    greece = clock.deadlines.get(anchor_party__organisation__ref="ORG-GR")
    assert (greece.anchor_date, greece.due_on, greece.anchor_estimated) == (date(2026, 2, 19), date(2026, 8, 19), True)
    assert clock.deadlines.get(anchor_party__organisation__ref="ORG-QA").anchor_estimated is False


def test_each_party_deadline_has_its_own_reminders(clock):
    qatar = clock.deadlines.get(anchor_party__organisation__ref="ORG-QA")
    kinds = set(Reminder.objects.filter(deadline=qatar).values_list("kind", flat=True))
    assert {"before_30", "before_7", "before_1"} <= kinds
    reminder = Reminder.objects.filter(deadline=qatar, kind="before_30").get()
    assert reminder.due_at.date() == date(2026, 6, 12)


def test_running_the_clock_twice_changes_nothing(clock):
    before = sorted(clock.deadlines.values_list("ref", "due_on"))
    reminders = Reminder.objects.count()
    with time_machine.travel(AS_OF, tick=False):
        services.deadline_rule_per_party_apply(clock=clock, actor="test")
    assert sorted(clock.deadlines.values_list("ref", "due_on")) == before
    assert Reminder.objects.count() == reminders


def test_a_party_added_later_gets_its_deadline_in_the_same_transaction(clock):
    peru = Organisation.objects.get(ref="ORG-PE")
    party = Party(framework=clock.framework, organisation=peru, role=PartyRole.SIGNATORY, joined_on=date(2026, 9, 1))
    with time_machine.travel(AS_OF, tick=False):
        services.party_save(party=party, actor="test")
    deadline = Deadline.objects.get(party_clock=clock, anchor_party=party)
    assert deadline.due_on == date(2027, 3, 1)
    assert Reminder.objects.filter(deadline=deadline).exists()


def test_a_corrected_accession_date_moves_the_partys_deadline(clock):
    qatar = Party.objects.get(framework=clock.framework, organisation__ref="ORG-QA")
    qatar.joined_on = date(2026, 1, 31)
    with time_machine.travel(AS_OF, tick=False):
        services.party_save(party=qatar, actor="test")
    assert clock.deadlines.get(anchor_party=qatar).due_on == date(2026, 7, 31)


@pytest.fixture
def clerk_client(client):
    clerk = get_user_model().objects.create_user("clerk-clock", password="pw-for-tests-1", is_staff=True)
    clerk.groups.add(role_groups_ensure()[Role.DATA_CLERK])
    client.force_login(clerk)
    return client


def test_the_admin_adds_a_party_through_the_service(clock, clerk_client):
    chile_party = Party.objects.get(framework=clock.framework, organisation__ref="ORG-CL")
    chile_party.delete()  # its deadline goes with it
    assert not clock.deadlines.filter(anchor_party__organisation__ref="ORG-CL").exists()
    chile = Organisation.objects.get(ref="ORG-CL")
    with time_machine.travel(AS_OF, tick=True):
        response = clerk_client.post(
            "/admin/agreements/party/add/",
            {
                "framework": clock.framework.pk,
                "organisation": chile.pk,
                "role": "signatory",
                "joined_on": "2026-06-27",
                "joined_precision": "day",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "/login/" not in response.url, response.url
    assert clock.deadlines.get(anchor_party__organisation=chile).due_on == date(2026, 12, 27)


def test_the_rule_reads_in_words(clock, viewer_client):
    page = viewer_client.get(f"/commitments/{clock.commitment.ref}/").content.decode()
    assert "6 months after the day Qatar joined" in page


def test_admin_pages_of_the_new_records(ministerial, clerk_client):
    for model in ("followups/partyclock", "agreements/glossaryterm", "agreements/datacaveat"):
        for page in ("", "add/"):
            assert clerk_client.get(f"/admin/{model}/{page}").status_code == 200, (model, page)


def test_a_clock_saved_in_the_admin_plans_the_party_deadlines(ministerial, clerk_client):
    commitment = Commitment.objects.get(ref="CMT-PAX-02")
    with time_machine.travel(AS_OF, tick=True):
        response = clerk_client.post(
            "/admin/followups/partyclock/add/",
            {
                "ref": "PC-PAX-09",
                "commitment": commitment.pk,
                "framework": commitment.framework.pk,
                "offset": "P6M",
                "basis": "illustrative",
                "acceding_only": "on",
            },
        )
    assert response.status_code == 302
    clock = PartyClock.objects.get(ref="PC-PAX-09")
    assert clock.deadlines.get(anchor_party__organisation__ref="ORG-QA").due_on == date(2026, 7, 12)
