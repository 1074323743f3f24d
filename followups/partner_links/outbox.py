"""Sending the partner messages (a fresh link asked for, a reported completion returned): a small outbox sent by
the reminder tick (followups.reminders.sending.reminders_tick), so a return is e-mailed within one tick.

The rows are claimed, leased, backed off and resent through followups.outbox, as the reminders and webhooks are:
each claimed row is locked and marked SENT in the transaction that hands it to the SMTP server, with a fixed
Message-ID; a temporary failure puts it back with a back-off, a permanent one marks it FAILED. Low volume (a few a
day), so it is sent in the tick's own process.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followups.models import PartnerMessage, PartnerMessageKind, PartnerMessageStatus
from followups.outbox import outbox_claim, outbox_resend, outbox_retry_delay

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# Back-off after a temporary failure: 2, 4, 8... minutes (followups.outbox.outbox_retry_delay).
RETRY_BASE_SECONDS = 120
RETRY_MAX_SECONDS = 6 * 3600


def partner_message_email(*, message: PartnerMessage) -> EmailMultiAlternatives:
    """The e-mail of one partner message, in its contact's language, with fresh signed links."""
    from followups.partner_links.links import partner_link_urls

    contact, commitment = message.contact, message.commitment
    with translation.override(contact.language):
        reports, prefs_url = partner_link_urls(contact=contact, commitments=[commitment])
        report_url = reports[commitment.pk]
        if message.kind == PartnerMessageKind.RETURNED:
            subject = _("%(ref)s: your reported completion was returned") % {"ref": commitment.ref}
        else:
            subject = _("%(ref)s: your new link to report progress") % {"ref": commitment.ref}
        context = {
            "contact": contact,
            "commitment": commitment,
            "message": message,
            "returned": message.kind == PartnerMessageKind.RETURNED,
            "report_url": report_url,
            "preferences_url": prefs_url,
            "language": contact.language,
        }
        email = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/partner_message.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[contact.email],
            headers={
                "Message-ID": f"<partner.{message.pk}@{_domain()}>",
                "Content-Language": contact.language,
                "Auto-Submitted": "auto-generated",
                "List-Unsubscribe": f"<{prefs_url}unsubscribe/>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        email.attach_alternative(render_to_string("emails/partner_message.html", context), "text/html")
    return email


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").strip() or "tracker.invalid"


def partner_messages_send(*, now: datetime | None = None, limit: int = 50) -> int:
    """Send the partner messages that are due (and those whose sender's lease expired). Returns how many were sent.

    Safe to run twice and concurrently: concurrent runs never claim the same row (followups.outbox.outbox_claim),
    and a row no longer claimed with this run's token is left alone."""
    from django.core.mail import get_connection

    now = now or timezone.now()
    token, rows = outbox_claim(
        PartnerMessage, fields=(), now=now, limit=limit, lease_seconds=settings.REMINDER_LEASE_SECONDS
    )
    sent = 0
    if not rows:
        return sent
    connection = get_connection()
    try:
        for (pk,) in rows:
            with transaction.atomic():
                message = (
                    PartnerMessage.objects.select_for_update(of=("self",))
                    .select_related("contact", "commitment")
                    .filter(pk=pk, status=PartnerMessageStatus.SENDING, claim_token=token)
                    .first()
                )
                if message is not None:
                    sent += _send_one(message, connection=connection, now=now)
    finally:
        connection.close()
    return sent


def _send_one(message: PartnerMessage, *, connection: BaseEmailBackend, now: datetime) -> bool:
    """Hand one locked message to the SMTP server and record the outcome on it. Returns whether it was sent."""
    message.attempts += 1
    message.lease_expires_at = None
    try:
        connection.send_messages([partner_message_email(message=message)])
    except (smtplib.SMTPException, OSError) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if _is_permanent(exc) or message.attempts >= MAX_ATTEMPTS:
            message.status = PartnerMessageStatus.FAILED
        else:
            message.status = PartnerMessageStatus.PENDING
            message.next_attempt_at = now + outbox_retry_delay(
                message.attempts, base_seconds=RETRY_BASE_SECONDS, max_seconds=RETRY_MAX_SECONDS
            )
        log.warning("partner message %s not sent: %s", message.pk, message.last_error)
        connection.close()
        message.save()
        return False
    message.status = PartnerMessageStatus.SENT
    message.sent_at = now
    message.last_error = ""
    message.save()
    return True


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer (for every recipient, when the recipients were refused) will not change by retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _m in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


@transaction.atomic
def partner_message_resend(*, message: PartnerMessage) -> bool:
    """Put a FAILED message back in the queue, due now, its attempts reset (the admin's "resend"). Returns whether
    it was FAILED. Safe to run twice."""
    return outbox_resend(message)
