"""Sending the partner messages (a fresh link asked for, a reported completion returned): a small outbox sent by
the reminder tick (followups.reminders.sending.reminders_tick), so a return is e-mailed within one tick.

Each row is claimed with SELECT ... FOR UPDATE SKIP LOCKED and marked SENT in the transaction that hands it to the
SMTP server, with a fixed Message-ID; a temporary failure puts it back with a back-off, a permanent one marks it
FAILED. Low volume (a few a day), so it is sent in the tick's own process.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followups.models import PartnerMessage, PartnerMessageKind, PartnerMessageStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


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
    """Send the partner messages that are due. Returns how many were sent. Safe to run twice and concurrently
    (each row is locked while it is sent, and skipped by a concurrent run)."""
    from django.core.mail import get_connection

    now = now or timezone.now()
    sent = 0
    connection = get_connection()
    try:
        for _i in range(limit):
            with transaction.atomic():
                message = (
                    PartnerMessage.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("contact", "commitment")
                    .filter(status=PartnerMessageStatus.PENDING, next_attempt_at__lte=now)
                    .order_by("next_attempt_at", "pk")
                    .first()
                )
                if message is None:
                    break
                message.attempts += 1
                try:
                    connection.send_messages([partner_message_email(message=message)])
                except (smtplib.SMTPException, OSError) as exc:
                    permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
                    permanent = permanent or (
                        isinstance(exc, smtplib.SMTPRecipientsRefused)
                        and all(code >= 500 for code, _m in exc.recipients.values())
                    )
                    message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    if permanent or message.attempts >= MAX_ATTEMPTS:
                        message.status = PartnerMessageStatus.FAILED
                    else:
                        message.next_attempt_at = now + timedelta(minutes=2**message.attempts)
                    log.warning("partner message %s not sent: %s", message.pk, message.last_error)
                    connection.close()
                else:
                    message.status = PartnerMessageStatus.SENT
                    message.sent_at = now
                    message.last_error = ""
                    sent += 1
                message.save()
    finally:
        connection.close()
    return sent
