"""The partner messages are an outbox like the reminders and webhooks (followups.outbox): a refusing mail server
puts a message back with a back-off, a permanent refusal fails it, the admin resends it, and a sender that died
holding a claim leaves the message to the next tick once its lease expired, sent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from followups.models import PartnerMessage, PartnerMessageStatus
from followups.outbox import outbox_claim
from followups.partner_links.links import partner_message_queue_returned
from followups.partner_links.outbox import partner_messages_send

pytestmark = pytest.mark.django_db


def _partner_messages(smtp_mailbox) -> list:
    return [m for m in smtp_mailbox.handler.whole if m["Message-ID"].startswith("<partner.")]


def test_a_refused_message_backs_off_fails_and_the_admin_resends_it(partner, smtp_mailbox, admin_client):
    queued = partner_message_queue_returned(
        contact=partner.contact, commitment=partner.commitment, reason="Falta el acta firmada."
    )
    address = partner.contact.email
    smtp_mailbox.handler.refuse[address] = "450 mailbox busy, try again later"
    start = timezone.now()
    assert partner_messages_send(now=start) == 0
    message = PartnerMessage.objects.get(pk=queued.pk)
    assert message.status == PartnerMessageStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == start + timedelta(minutes=2) and "450" in message.last_error
    assert partner_messages_send(now=start + timedelta(minutes=1)) == 0  # not due yet: not tried again
    assert PartnerMessage.objects.get(pk=queued.pk).attempts == 1

    smtp_mailbox.handler.refuse[address] = "550 no such user"
    assert partner_messages_send(now=start + timedelta(minutes=2)) == 0
    message = PartnerMessage.objects.get(pk=queued.pk)
    assert message.status == PartnerMessageStatus.FAILED and "550" in message.last_error
    assert not _partner_messages(smtp_mailbox)

    del smtp_mailbox.handler.refuse[address]  # the address was fixed
    admin_client.post(
        "/admin/followups/partnermessage/", {"action": "resend", "_selected_action": [queued.pk]}, follow=True
    )
    message = PartnerMessage.objects.get(pk=queued.pk)
    assert message.status == PartnerMessageStatus.PENDING and message.attempts == 0 and message.last_error == ""
    assert partner_messages_send() == 1
    assert PartnerMessage.objects.get(pk=queued.pk).status == PartnerMessageStatus.SENT
    [received] = _partner_messages(smtp_mailbox)
    assert received["To"] == address and received["Message-ID"].startswith(f"<partner.{queued.pk}@")


def test_a_message_whose_sender_died_is_sent_once_after_its_lease(partner, smtp_mailbox):
    queued = partner_message_queue_returned(
        contact=partner.contact, commitment=partner.commitment, reason="Falta el acta firmada."
    )
    now = timezone.now()
    # A sender claims the message and dies before sending it.
    _token, rows = outbox_claim(
        PartnerMessage, fields=(), now=now, limit=50, lease_seconds=settings.REMINDER_LEASE_SECONDS
    )
    assert rows == [(queued.pk,)]
    assert partner_messages_send(now=now) == 0  # claimed by the dead sender, lease not expired
    later = now + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert partner_messages_send(now=later) == 1
        assert partner_messages_send(now=later) == 0
    assert PartnerMessage.objects.get(pk=queued.pk).status == PartnerMessageStatus.SENT
    assert len(_partner_messages(smtp_mailbox)) == 1
