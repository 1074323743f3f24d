"""Reply by e-mail (issue 11, item 5): a contact's reply to a reminder, received over SMTP on loopback and piped to
`manage.py inbound_mail` as the mail server would, waits for staff review and then becomes a timeline note."""

from __future__ import annotations

import io
import smtplib
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from followups.models import InboundReply, InboundReplyStatus, PartnerLink, PartnerMessage, StatusUpdate
from followups.partner_links.inbound import inbound_reply_accept
from followups.partner_links.links import partner_link_revoke
from tests.partner.conftest import reminder_for

pytestmark = pytest.mark.django_db

DOMAIN = "replies.example.org"


@pytest.fixture
def replies(settings):
    settings.REPLY_DOMAIN = DOMAIN


def answer(reminder, body: str, **headers) -> EmailMessage:
    """The contact's mail program answering the reminder."""
    message = EmailMessage()
    message["From"] = headers.pop("From", "Lucía Pérez <lucia@example.org>")
    message["To"] = reminder.extra_headers["Reply-To"]
    message["Subject"] = "Re: " + reminder.subject
    message["In-Reply-To"] = reminder.extra_headers["Message-ID"]
    message["Message-ID"] = headers.pop("Message_ID", "<answer-1@mail.example.org>")
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body)
    return message


def deliver(smtp_server, message: EmailMessage) -> str:
    """Over SMTP to the inbound server on loopback, then piped to the command with the envelope recipient."""
    with smtplib.SMTP("127.0.0.1", smtp_server.port) as client:
        client.send_message(message)
    recipients, raw = smtp_server.handler.raw[-1]
    out = io.StringIO()
    call_command("inbound_mail", *recipients, stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


QUOTED = """El acta se firmó el martes; la subimos esta semana.

El 16 may 2026, a las 9:00, Follow-up tracker escribió:
> Recordatorio: vence el 2026-06-15
> Informar del avance: http://...
"""


def test_a_reply_waits_for_review_and_then_is_a_note_from_the_contact(
    client, partner, replies, request, desk_officer, client_for
):
    reminder = reminder_for(partner)
    assert reminder.extra_headers["Reply-To"].startswith("reply+pl_")
    assert reminder.extra_headers["Reply-To"].endswith("@" + DOMAIN)
    assert len(reminder.extra_headers["Reply-To"].split("@")[0]) <= 64  # an address's local part
    server = request.getfixturevalue("smtp_mailbox")
    assert deliver(server, answer(reminder, QUOTED)).startswith("kept")
    reply = InboundReply.objects.get()
    assert reply.status == InboundReplyStatus.PENDING and reply.commitment == partner.commitment
    assert reply.text == "El acta se firmó el martes; la subimos esta semana."
    assert not StatusUpdate.objects.exists()  # nothing on the timeline before review
    # Delivered twice by the mail server: stored once.
    assert deliver(server, answer(reminder, QUOTED)).startswith("kept")
    assert InboundReply.objects.count() == 1
    page = client_for(desk_officer).get(f"/commitments/{partner.commitment.ref}/").content.decode()
    assert "awaiting review" in page and "la subimos esta semana" in page
    response = client_for(desk_officer).post(
        f"/commitments/{partner.commitment.ref}/replies/{reply.pk}/", {"decision": "accept"}
    )
    assert response.status_code == 302
    note = StatusUpdate.objects.get()
    assert note.actor == "contact CON-T-AR (e-mail reply)" and note.owner == partner.country
    assert note.new_status == note.old_status  # a note: the status is the reviewer's own decision
    assert "la subimos esta semana" in note.note
    with pytest.raises(Exception, match="already been reviewed"):
        inbound_reply_accept(reply=reply, by_user=desk_officer)


def test_automatic_answers_strangers_and_old_links_store_nothing(partner, replies, request, viewer, client_for):
    reminder = reminder_for(partner)
    server = request.getfixturevalue("smtp_mailbox")
    out_of_office = answer(reminder, "Fuera de la oficina", Auto_Submitted="auto-replied", Message_ID="<ooo@x>")
    assert deliver(server, out_of_office) == "dropped\n"
    forged = answer(reminder, "hola", Message_ID="<forged@x>")
    forged.replace_header("To", f"reply+pl_00000000_{'A' * 43}@{DOMAIN}")
    assert deliver(server, forged) == "dropped\n"
    for link in PartnerLink.objects.filter(purpose="reply"):
        partner_link_revoke(link=link)
    assert deliver(server, answer(reminder, "tarde", Message_ID="<late@x>")) == "dropped\n"
    assert not InboundReply.objects.exists()
    # The contact of a withdrawn address is sent a fresh link instead.
    assert PartnerMessage.objects.filter(contact=partner.contact, kind="fresh_link").count() == 1


def test_viewers_cannot_review_and_no_reply_to_without_a_reply_domain(partner, viewer, client_for, settings):
    settings.REPLY_DOMAIN = ""
    assert "Reply-To" not in reminder_for(partner).extra_headers
    reply = InboundReply.objects.create(
        contact=partner.contact, commitment=partner.commitment, message_id="<m@x>", from_address="a@x", text="t"
    )
    url = f"/commitments/{partner.commitment.ref}/replies/{reply.pk}/"
    assert client_for(viewer).post(url, {"decision": "accept"}).status_code == 403
    assert InboundReply.objects.get().status == InboundReplyStatus.PENDING
