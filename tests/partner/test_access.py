"""The access matrix of the signed-link pages: a link reaches its own contact, purpose and commitment, nothing else
(no other commitment, party or contact), and the staff verification needs a coordinator or desk officer."""

from __future__ import annotations

import pytest
from django.core import mail

from agreements.models import Contact
from followups.models import ContactPreferenceChange, PartnerLink, PartnerMessage, Status, StatusUpdate
from followups.partner_links.services import contact_preferences_change
from followups.reminders.sending import reminders_tick
from followups.services import commitments_recipients_changed
from tests import factories as f
from tests.partner.conftest import preferences_path, reminder_for, report_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def paths(partner):
    message = reminder_for(partner)
    report, prefs = report_path(message), preferences_path(message)
    return {
        "report": report,
        "prefs": prefs,
        "unsubscribe": prefs + "unsubscribe/",
        "report_token": report.split("/")[3],
        "prefs_token": prefs.split("/")[3],
    }


@pytest.mark.parametrize(
    ("url", "token", "expected"),
    [
        ("/partner/report/{}/", "report_token", 200),
        ("/partner/report/{}/", "prefs_token", 404),  # one purpose per link
        ("/partner/preferences/{}/", "prefs_token", 200),
        ("/partner/preferences/{}/", "report_token", 404),
        ("/partner/preferences/{}/unsubscribe/", "prefs_token", 200),
        ("/partner/preferences/{}/unsubscribe/", "report_token", 404),
        ("/partner/report/{}x/", "report_token", 404),  # a changed token is unknown
        ("/partner/report/{}/", "nothing", 404),
    ],
)
def test_each_link_opens_only_its_own_page(client, paths, url, token, expected):
    value = paths.get(token, "pl_00000000_" + "A" * 43)
    assert client.get(url.format(value)).status_code == expected


def test_a_post_cannot_name_another_commitment_or_party(client, partner, paths):
    other_commitment = f.CommitmentFactory(owners=[partner.country])
    response = client.post(
        paths["report"],
        {
            "status": Status.AT_RISK,
            "note": "n",
            "owner": partner.other.pk,
            "commitment": other_commitment.ref,
            "actor": "user admin",
        },
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert (update.commitment, update.owner, update.actor) == (
        partner.commitment,
        partner.country,
        "contact CON-T-AR (signed link)",
    )


def test_another_contacts_link_never_shows_this_contacts_commitment(client, partner, paths):
    stranger = f.ContactFactory(ref="CON-T-PE", organisation=partner.other)
    elsewhere = f.CommitmentFactory(owners=[partner.other], contacts=[stranger])
    f.DeadlineFactory(commitment=elsewhere)
    page = client.get(paths["prefs"]).content.decode()
    assert elsewhere.ref not in page and stranger.email not in page
    # A preferences link cannot change or undo another contact's settings.
    theirs = contact_preferences_change(contact=stranger, change="stop_all", values={"muted": True})
    assert client.post(paths["prefs"], {"action": "undo", "change": theirs.pk}).status_code == 404
    assert client.post(paths["prefs"], {"action": "stop_commitment", "commitment": elsewhere.ref}).status_code == 404
    assert ContactPreferenceChange.objects.get(pk=theirs.pk).undone_at is None


def test_a_contact_whose_party_does_not_owe_it_reads_but_cannot_report(client, partner):
    outsider = f.ContactFactory(ref="CON-T-XX", organisation=f.OrganisationFactory(ref="ORG-T-XX"))
    # Responsible for the commitment, but their organisation owes nothing.
    partner.commitment.contacts.add(outsider)
    commitments_recipients_changed([partner.commitment])
    reminders_tick(inline=True)  # the outsider's late-entry reminder goes out now
    message = next(m for m in mail.outbox if m.to == [outsider.email])
    path = report_path(message)
    page = client.get(path).content.decode()
    assert partner.commitment.ref in page and 'enctype="multipart/form-data"' not in page
    assert client.post(path, {"status": Status.COMPLETED}).status_code == 404
    assert not StatusUpdate.objects.exists()


def test_an_inactive_contacts_link_is_refused_and_gets_no_fresh_one(client, partner, paths):
    Contact.objects.filter(pk=partner.contact.pk).update(is_active=False)
    assert client.get(paths["report"]).status_code == 410
    client.post(paths["report"].replace("/partner/report/", "/partner/fresh-link/"))
    assert not PartnerMessage.objects.exists()
    # A link that still works gets no fresh one either (nothing to send, the same answer).
    Contact.objects.filter(pk=partner.contact.pk).update(is_active=True)
    assert client.post(paths["report"].replace("/partner/report/", "/partner/fresh-link/")).status_code == 200
    assert not PartnerMessage.objects.exists()


def test_links_are_stored_hashed(paths):
    stored = set(PartnerLink.objects.values_list("token_hash", flat=True))
    assert paths["report_token"] not in stored and paths["prefs_token"] not in stored
    assert all(len(h) == 64 for h in stored)


def test_staff_verification_needs_a_coordinator_or_desk_officer(client, partner, viewer, data_clerk, client_for):
    url = f"/commitments/{partner.commitment.ref}/completion/{partner.country.ref}/"
    response = client.post(url, {"decision": "accept"})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert client_for(viewer).post(url, {"decision": "accept"}).status_code == 403
    assert client_for(data_clerk).post(url, {"decision": "accept"}).status_code == 403
    # A partner's login (a contact with an account and no staff role) is not staff.
    user = f.UserFactory(username="lucia-login")
    Contact.objects.filter(pk=partner.contact.pk).update(user=user)
    assert client_for(user).post(url, {"decision": "accept"}).status_code == 403


def test_staff_revoke_links_from_the_admin(client, partner, paths, admin_client):
    links = list(PartnerLink.objects.filter(contact=partner.contact).values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/followups/partnerlink/", {"action": "revoke", "_selected_action": links}, follow=True
    )
    assert response.status_code == 200
    assert client.get(paths["report"]).status_code == 410
    assert client.get(paths["prefs"]).status_code == 410
    assert PartnerLink.objects.filter(revoked_at__isnull=True).count() == 0
    page = admin_client.get("/admin/followups/partnerlink/").content.decode()
    assert paths["report_token"] not in page  # the admin never shows a token
