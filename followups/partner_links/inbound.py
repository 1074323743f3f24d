"""Reply by e-mail (docs/reply-by-email.md): a contact's reply to a reminder becomes a note on that commitment's
timeline once staff have looked at it.

A reminder about one commitment carries `Reply-To: reply+<token>@REPLY_DOMAIN`, the token being a signed link of
purpose "reply" (stored hashed, bound to one contact and one commitment, expiring, revocable). The mail server
pipes what arrives there to `manage.py inbound_mail`, which calls `inbound_reply_receive`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from config.history import ActorKind
from followups.models import InboundReply, InboundReplyStatus, PartnerLinkPurpose, StatusUpdate
from followups.partner_links import links
from followups.summary.counts import dashboard_summary_refresh

LOCAL_PART = "reply"
MAX_TEXT = 10_000
MAX_BYTES = 25 * 1024 * 1024
# Where the quoted reminder starts, in the languages we write in (and the usual separators).
QUOTE_STARTS = [
    re.compile(r"^On .{0,200} wrote:\s*$"),
    re.compile(r"^El .{0,200} escribió:\s*$"),
    re.compile(r"^Le .{0,200} a écrit\s?:\s*$"),
    re.compile(r"^-{2,}\s*(Original Message|Mensaje original|Message d'origine)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^(From|De|Von)\s?: .+$"),
]


def reply_address(raw_token: str) -> str:
    return f"{LOCAL_PART}+{raw_token}@{settings.REPLY_DOMAIN}"


def _token(recipients: list[str]) -> str | None:
    domain = settings.REPLY_DOMAIN.lower()
    for address in recipients:
        local, _, host = address.strip().strip("<>").rpartition("@")
        if host.lower() == domain and local.lower().startswith(LOCAL_PART + "+"):
            return local[len(LOCAL_PART) + 1 :]
    return None


def _is_automatic(message: EmailMessage) -> bool:
    """Out-of-office answers, bounces, lists and our own messages: nobody wrote them to us."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    ours = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    return auto not in ("", "no") or precedence in ("bulk", "list", "junk") or sender == ours or not sender


def reply_text(message: EmailMessage) -> str:
    """The new part of a reply: its plain text (or its HTML's text), cut where the quoted message starts."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    if body.get_content_subtype() == "html":
        content = strip_tags(content)
    kept = []
    for line in content.replace("\r\n", "\n").split("\n"):
        if any(p.match(line.strip()) for p in QUOTE_STARTS):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()[:MAX_TEXT]


def _recipients(message: EmailMessage, envelope: list[str]) -> list[str]:
    headers = [str(v) for key in ("Delivered-To", "X-Original-To", "To", "Cc") for v in message.get_all(key, [])]
    return list(envelope) + [address for _name, address in getaddresses(headers)]


def inbound_reply_receive(*, raw: bytes, recipients: Sequence[str] = ()) -> InboundReply | None:
    """Store a reply that arrived at a reminder's Reply-To address, awaiting review. Returns None for what is not
    a reply to keep: too large, automatic, not to a reply address, or to an unknown link. A reply to an expired or
    revoked link queues a fresh link to the contact instead (partner_link_fresh_request). Safe to run twice: a
    second delivery of the same Message-ID stores nothing more.
    """
    if not settings.REPLY_DOMAIN or len(raw) > MAX_BYTES:
        return None
    message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))  # policy.default makes one
    token = _token(_recipients(message, list(recipients)))
    if token is None or _is_automatic(message):
        return None
    try:
        link = links.partner_link_resolve(raw=token, purpose=PartnerLinkPurpose.REPLY)
    except links.LinkNotFound:
        return None
    except links.LinkExpired as exc:
        links.partner_link_fresh_request(link=exc.link)
        return None
    message_id = str(message.get("Message-ID", "")).strip() or f"<sha256.{hashlib.sha256(raw).hexdigest()}>"
    names = [part.get_filename() or "unnamed" for part in message.iter_attachments()]
    reply, _created = InboundReply.objects.get_or_create(
        message_id=message_id[:300],
        defaults={
            "contact": link.contact,
            "commitment": link.linked_commitment,
            "link": link,
            "from_address": parseaddr(str(message.get("From", "")))[1][:300],
            "subject": str(message.get("Subject", ""))[:300],
            "text": reply_text(message),
            "attachment_names": names[:50],
        },
    )
    return reply


def _review(reply: InboundReply, by_user: User) -> InboundReply:
    from agreements.roles import can_update_status

    if not can_update_status(by_user):
        raise PermissionDenied("Only coordinators and desk officers review replies.")
    reply = InboundReply.objects.select_for_update().select_related("contact", "commitment").get(pk=reply.pk)
    if reply.status != InboundReplyStatus.PENDING:
        raise ValidationError("This reply has already been reviewed.")
    return reply


@transaction.atomic
def inbound_reply_accept(*, reply: InboundReply, by_user: User) -> StatusUpdate:
    """Put a reply on the commitment's timeline as a note from the contact (for their party; no status changes:
    a change of status is the reviewer's own update). Not safe to run twice: the second call raises."""
    reply = _review(reply, by_user)
    party = links.contact_party(contact=reply.contact, commitment=reply.commitment)
    status = party.status if party is not None else reply.commitment.status
    reviewer = by_user.get_full_name() or by_user.get_username()
    note = f"{reply.text}\n\n(Reply by e-mail from {reply.from_address}, accepted by {reviewer}.)"
    if reply.attachment_names:
        note += f"\n(Attachments not kept: {', '.join(reply.attachment_names)}.)"
    update = StatusUpdate.objects.create(
        commitment=reply.commitment,
        owner=party.organisation if party is not None else None,
        old_status=status,
        new_status=status,
        note=note.strip(),
        happened_on=timezone.localdate(reply.received_at),
        actor=f"contact {reply.contact.ref} (e-mail reply)",
        actor_kind=ActorKind.SIGNED_LINK,  # the reply address is a signed link of the contact's
    )
    reply.status, reply.reviewed_by, reply.reviewed_at = InboundReplyStatus.ACCEPTED, by_user, timezone.now()
    reply.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    dashboard_summary_refresh([reply.commitment_id])  # a note on the timeline: the quiet clock restarts
    return update


@transaction.atomic
def inbound_reply_dismiss(*, reply: InboundReply, by_user: User) -> InboundReply:
    """Dismiss a reply (spam, the wrong commitment): nothing reaches the timeline. Not safe to run twice."""
    reply = _review(reply, by_user)
    reply.status, reply.reviewed_by, reply.reviewed_at = InboundReplyStatus.DISMISSED, by_user, timezone.now()
    reply.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return reply
