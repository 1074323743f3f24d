"""The signed "report progress" link in a partner contact's reminder (issue 11, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from followups.models import (
    Commitment,
    CommitmentOwner,
    PartnerLink,
    PartnerMessage,
    Status,
    StatusUpdate,
)
from followups.partner_links.links import partner_link_revoke
from tests import factories as f
from tests.partner.conftest import reminder_for, report_path

pytestmark = pytest.mark.django_db


def snapshot(partner):
    return (
        list(StatusUpdate.objects.filter(commitment=partner.commitment).values_list("pk", flat=True)),
        list(
            CommitmentOwner.objects.filter(commitment=partner.commitment).values_list(
                "status", "completion_reported_at"
            )
        ),
        Commitment.objects.get(pk=partner.commitment.pk).status,
        list(PartnerLink.objects.values_list("last_used_at", flat=True)),
    )


def test_the_reminder_links_to_the_report_page_not_to_a_staff_login(partner):
    message = reminder_for(partner)
    assert f"/commitments/{partner.commitment.ref}/" not in message.body
    html = message.alternatives[0][0]
    assert "/accounts/login" not in message.body + html and f"/commitments/{partner.commitment.ref}/" not in html
    assert "Informar del avance" in message.body  # in the contact's language
    path = report_path(message)
    assert path in html
    # Only the hash is stored: the token in the e-mail is nowhere in the database.
    token = path.split("/")[3]
    assert not PartnerLink.objects.filter(token_hash=token).exists() and token.startswith("pl_")


def test_opening_the_link_shows_that_commitment_in_spanish_and_changes_nothing(client, partner):
    StatusUpdateFactory = f.StatusUpdateFactory
    StatusUpdateFactory(commitment=partner.commitment, owner=partner.other, note="Peru's private note", actor="t")
    path = report_path(reminder_for(partner))
    before = snapshot(partner)
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert partner.commitment.ref in page and partner.commitment.title in page
    assert "2026-06-15" in page
    assert "Argentina" in page
    assert "Peru's private note" not in page  # another party's update never shows
    assert "Peru" not in page.split("Últimas novedades")[0]  # nor another party's status
    assert response["Referrer-Policy"] == "no-referrer"
    assert snapshot(partner) == before
    assert client.head(path).status_code in (200, 405) and snapshot(partner) == before


def test_a_post_records_the_update_for_their_own_party_with_the_contact_as_actor(client, partner):
    path = report_path(reminder_for(partner))
    evidence = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n%minutes of the call\n", content_type="application/pdf")
    response = client.post(
        path,
        {
            "status": Status.IN_PROGRESS,
            "note": "Llamada con el ministerio",
            "evidence_url": "https://example.org/acta",
            "evidence_file": evidence,
        },
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get(commitment=partner.commitment)
    assert update.actor == "contact CON-T-AR (signed link)"
    assert update.owner == partner.country and update.new_status == Status.IN_PROGRESS
    assert update.evidence_url == "https://example.org/acta" and update.evidence_file.name.endswith(".pdf")
    assert CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.other).status == (
        Status.NOT_STARTED
    )
    follow = client.get(response["Location"])
    assert "Gracias" in follow.content.decode()


def test_the_staff_forms_checks_hold_on_the_report_page(client, partner):
    path = report_path(reminder_for(partner))
    bad = SimpleUploadedFile("tool.exe", b"MZ...", content_type="application/octet-stream")
    response = client.post(path, {"status": Status.IN_PROGRESS, "evidence_file": bad})
    assert response.status_code == 400
    response = client.post(path, {"status": Status.CANCELLED, "note": "x"})
    assert response.status_code == 400  # cancelling is staff's call
    assert not StatusUpdate.objects.filter(commitment=partner.commitment).exists()


def test_the_same_token_on_another_commitment_is_a_404(client, partner):
    path = report_path(reminder_for(partner))
    other = f.CommitmentFactory(owners=[partner.country], contacts=[partner.contact])
    token = path.split("/")[3]
    # The address carries only the token: there is no way to name another commitment with it.
    assert client.get(f"/partner/report/{token}/{other.ref}/").status_code == 404
    assert client.get(f"/commitments/{other.ref}/").status_code in (302, 403)  # the staff page needs a login
    # A preferences page does not open with a report token, nor the other way round.
    assert client.get(f"/partner/preferences/{token}/").status_code == 404


def test_expired_and_revoked_links_are_refused_and_offer_a_fresh_one(client, partner):
    path = report_path(reminder_for(partner))
    link = PartnerLink.objects.filter(purpose="report").latest("created_at")
    with time_machine.travel(link.expires_at + timedelta(seconds=1), tick=False):
        response = client.get(path)
        assert response.status_code == 410
        page = response.content.decode()
        assert "Envíenme un enlace nuevo" in page or "nuevo enlace" in page
        assert client.post(path, {"status": Status.COMPLETED}).status_code == 410
        fresh = page.split('action="')[1].split('"')[0]
        assert client.post(fresh).status_code == 200
        assert client.post(fresh).status_code == 200  # asked twice: one message
    assert PartnerMessage.objects.filter(contact=partner.contact, kind="fresh_link").count() == 1
    assert not StatusUpdate.objects.filter(commitment=partner.commitment).exists()


def test_a_revoked_link_cannot_be_replayed_and_a_forged_one_is_unknown(client, partner):
    path = report_path(reminder_for(partner))
    assert client.get(path).status_code == 200
    for link in PartnerLink.objects.filter(contact=partner.contact):
        partner_link_revoke(link=link)
    assert client.get(path).status_code == 410
    assert client.post(path, {"status": Status.IN_PROGRESS, "note": "replay"}).status_code == 410
    token = path.split("/")[3]
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    assert client.get(f"/partner/report/{forged}/").status_code == 404
    assert client.get("/partner/report/pl_00000000_x/").status_code == 404
    assert not StatusUpdate.objects.filter(commitment=partner.commitment).exists()


def test_each_reminder_renews_the_earlier_links(client, partner):
    first = report_path(reminder_for(partner))
    # The 7-day reminder (8 June) renews the link of the 30-day one (16 May) for 30 days from 8 June.
    second_at = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    reminder_for(partner, at=second_at)
    with time_machine.travel(second_at + timedelta(days=29), tick=False):
        assert client.get(first).status_code == 200
    with time_machine.travel(second_at + timedelta(days=31), tick=False):
        assert client.get(first).status_code == 410


def test_a_fresh_link_arrives_within_one_tick(client, partner, mailoutbox):
    path = report_path(reminder_for(partner))
    link = PartnerLink.objects.filter(purpose="report").latest("created_at")
    later = link.expires_at + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        client.post(path.replace("/partner/report/", "/partner/fresh-link/"))
    mailoutbox.clear()
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        from followups.reminders.sending import reminders_tick

        reminders_tick(inline=True)
        [message] = [m for m in mailoutbox if m.extra_headers["Message-ID"].startswith("<partner.")]
        assert message.to == [partner.contact.email] and "nuevo enlace" in message.subject
        new = report_path(message)
        assert new != path
        assert client.get(new).status_code == 200


def test_staff_emails_keep_the_staff_links_and_no_partner_link(partner, coordinator):
    from django.core import mail

    from followups.reminders.sending import reminders_tick
    from followups.services import commitments_recipients_changed

    commitments_recipients_changed([partner.commitment])  # the coordinator now hears of escalations
    with time_machine.travel(datetime(2026, 7, 15, 9, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    [staff] = [m for m in mail.outbox if m.to == [coordinator.email]]
    assert f"http://127.0.0.1:8000/commitments/{partner.commitment.ref}/" in staff.body
    assert "/partner/" not in staff.body and "List-Unsubscribe" not in staff.extra_headers
    assert not PartnerLink.objects.filter(contact__isnull=True).exists()
