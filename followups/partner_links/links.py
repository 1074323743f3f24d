"""Signed links: issuing, resolving and revoking them, and what a link reaches (the contact's own party).

Low in the layers: the reminder e-mails and the sender use it, so it never imports followups.services (what a
contact changes through a link is in followups.partner_links.services). Every function that writes owns its
transaction and says whether it is safe to run twice.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from agreements.models import Contact, Organisation
from followups.models import (
    Commitment,
    CommitmentOwner,
    PartnerLink,
    PartnerLinkPurpose,
    PartnerMessage,
    PartnerMessageKind,
)

# Tokens look like "pl_<prefix>_<secret>": the prefix names a link in the admin without revealing it.
TOKEN_SCHEME = "pl"  # noqa: S105 - a prefix, not a secret
LINK_LIFETIME = timedelta(days=30)
# A contact asking again and again for a fresh link gets one message per this interval.
FRESH_LINK_INTERVAL = timedelta(minutes=10)


class LinkNotFound(Exception):
    """No link has this token (mistyped, cut by a mail program, or forged)."""


class LinkExpired(Exception):
    """The link exists but no longer opens (expired, revoked, or its contact is inactive)."""

    def __init__(self, link: PartnerLink) -> None:
        super().__init__(f"link {link.prefix} no longer opens")
        self.link = link


def partner_link_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def partner_link_urls(
    *, contact: Contact, commitments: list[Commitment], now: datetime | None = None
) -> tuple[dict[int, str], str]:
    """The links of one e-mail to a contact: a report link per commitment, and one preferences link (bound to the
    first commitment). Every still-valid link of the contact is renewed to the same expiry (each reminder renews
    them). Two queries whatever the number of commitments. Not idempotent: each call issues new links.
    """
    reports, preferences, _reply = partner_links_issue(wanted=[(contact, commitments, False)], now=now)[0]
    return reports, preferences


def partner_links_issue(
    *, wanted: list[tuple[Contact, list[Commitment], bool]], now: datetime | None = None
) -> list[tuple[dict[int, str], str, str]]:
    """The links of several e-mails at once (a reminder batch): for each (contact, commitments, with a reply
    token), the report links by commitment pk, the preferences link (bound to the first commitment) and the raw
    reply token (bound to the first commitment; "" when not asked for). Every still-valid link of those contacts
    is renewed to the same expiry. Two queries whatever the number of e-mails. Not idempotent: each call issues
    new links (an e-mail that is not sent after all leaves links nobody holds; they expire).
    """
    from django.conf import settings
    from django.urls import reverse

    if not wanted:
        return []
    now = now or timezone.now()
    expires_at = now + LINK_LIFETIME
    contact_ids = {contact.pk for contact, _commitments, _reply in wanted}
    PartnerLink.objects.filter(contact_id__in=contact_ids, revoked_at__isnull=True, expires_at__gt=now).update(
        expires_at=expires_at
    )
    rows: list[PartnerLink] = []
    raws: list[list[tuple[str, Commitment | None, str]]] = []
    for contact, commitments, reply in wanted:
        first = commitments[0] if commitments else None
        links: list[tuple[str, Commitment | None]] = [
            (PartnerLinkPurpose.REPORT, c) for c in dict.fromkeys(commitments)
        ]
        links.append((PartnerLinkPurpose.PREFERENCES, first))
        if reply:
            links.append((PartnerLinkPurpose.REPLY, first))
        issued: list[tuple[str, Commitment | None, str]] = []
        for purpose, commitment in links:
            raw, prefix = _new_token()
            issued.append((purpose, commitment, raw))
            rows.append(
                PartnerLink(
                    contact=contact,
                    commitment=commitment,
                    purpose=purpose,
                    prefix=prefix,
                    token_hash=partner_link_hash(raw),
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        raws.append(issued)
    PartnerLink.objects.bulk_create(rows)
    base = settings.SITE_URL
    out = []
    for issued in raws:
        by_purpose = {purpose: raw for purpose, _c, raw in issued if purpose != PartnerLinkPurpose.REPORT}
        reports = {
            c.pk: base + reverse("partner_report", args=[raw])
            for purpose, c, raw in issued
            if purpose == PartnerLinkPurpose.REPORT and c is not None
        }
        preferences = base + reverse("partner_preferences", args=[by_purpose[PartnerLinkPurpose.PREFERENCES]])
        out.append((reports, preferences, by_purpose.get(PartnerLinkPurpose.REPLY, "")))
    return out


def partner_reply_token(*, contact: Contact, commitment: Commitment, now: datetime | None = None) -> str:
    """A "reply" link for the Reply-To address of one e-mail about one commitment; returns its raw token (one
    INSERT; the renewal of the contact's links is partner_link_urls's). Not idempotent: each call issues one."""
    now = now or timezone.now()
    raw, prefix = _new_token()
    PartnerLink.objects.create(
        contact=contact,
        commitment=commitment,
        purpose=PartnerLinkPurpose.REPLY,
        prefix=prefix,
        token_hash=partner_link_hash(raw),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    return raw


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}", f"{TOKEN_SCHEME}_{prefix}"


def partner_link_resolve(*, raw: str, purpose: str, now: datetime | None = None) -> PartnerLink:
    """The link a token stands for, if it opens now for `purpose`. Raises LinkNotFound or LinkExpired.

    Reads only: opening a link changes nothing (mail scanners fetch links).
    """
    if not raw.startswith(f"{TOKEN_SCHEME}_") or len(raw) > 100:
        raise LinkNotFound
    link = (
        PartnerLink.objects.select_related("contact__organisation", "commitment__framework")
        .filter(token_hash=partner_link_hash(raw), purpose=purpose)
        .first()
    )
    if link is None:
        raise LinkNotFound
    if not link.is_usable(now=now):
        raise LinkExpired(link)
    return link


def partner_link_revoke(*, link: PartnerLink, by_user: User | None = None) -> PartnerLink:
    """Revoke a link: it fails on its next use. Safe to run twice (the first revocation time is kept)."""
    PartnerLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by_user
    )
    link.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return link


@transaction.atomic
def partner_links_revoke_contact(*, contact: Contact, by_user: User | None = None) -> int:
    """Revoke every live link of a contact (a mailbox lost, a person gone). Safe to run twice."""
    return PartnerLink.objects.filter(contact=contact, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by_user
    )


@transaction.atomic
def partner_link_fresh_request(*, link: PartnerLink, now: datetime | None = None) -> bool:
    """Queue an e-mail with a fresh link to the address of an expired or revoked link's contact. Returns whether
    one was queued: nothing for an inactive contact, a contact no longer responsible for the commitment, or a
    second ask within FRESH_LINK_INTERVAL. Safe to run twice (the second run queues nothing).
    """
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=link.contact_id)
    commitment = link.commitment
    if not contact.is_active or commitment is None or not commitment.contacts.filter(pk=contact.pk).exists():
        return False
    recent = PartnerMessage.objects.filter(
        contact=contact,
        commitment=commitment,
        kind=PartnerMessageKind.FRESH_LINK,
        created_at__gt=now - FRESH_LINK_INTERVAL,
    )
    if recent.exists():
        return False
    PartnerMessage.objects.create(
        contact=contact, commitment=commitment, kind=PartnerMessageKind.FRESH_LINK, created_at=now, next_attempt_at=now
    )
    return True


def partner_message_queue_returned(*, contact: Contact, commitment: Commitment, reason: str) -> PartnerMessage:
    """Queue the e-mail telling a contact their reported completion was returned, in the caller's transaction."""
    return PartnerMessage.objects.create(
        contact=contact, commitment=commitment, kind=PartnerMessageKind.RETURNED, reason=reason
    )


# --- What a report link reaches --------------------------------------------------------------------------------


def contact_party(*, contact: Contact, commitment: Commitment) -> CommitmentOwner | None:
    """The owning party a contact speaks for on a commitment: their organisation, or the nearest organisation above
    it (a ministry's country) that owes the commitment; None when no party of theirs owes it."""
    ownerships = {o.organisation_id: o for o in commitment.ownerships.select_related("organisation")}
    organisation: Organisation | None = contact.organisation
    seen: set[int] = set()
    while organisation is not None and organisation.pk not in seen:
        if organisation.pk in ownerships:
            return ownerships[organisation.pk]
        seen.add(organisation.pk)
        organisation = organisation.parent
    return None


def party_contacts(*, commitment: Commitment, ownership: CommitmentOwner) -> list[Contact]:
    """The commitment's responsible contacts who speak for the party of `ownership`."""
    return [
        contact
        for contact in commitment.contacts.select_related("organisation")
        if (party := contact_party(contact=contact, commitment=commitment)) is not None and party.pk == ownership.pk
    ]


def contact_awaiting_verification(*, contact: Contact, commitment: Commitment) -> bool:
    """Whether the contact's party has reported the commitment complete and staff have not yet answered: the
    contact is then not reminded (the sender checks this at send time)."""
    party = contact_party(contact=contact, commitment=commitment)
    return party is not None and party.completion_reported_at is not None


def contact_not_now(*, contact: Contact | None, commitment: Commitment, on: date) -> tuple[str, str] | None:
    """(status, reason) when a reminder to this contact about this commitment is not to go out on day `on`: they
    paused their reminders, or their party reported the commitment complete and staff have not answered yet. None
    for a staff recipient (no contact). Two queries in the usual case (no pause, no claim)."""
    if contact is None:
        return None
    return ContactsNotNow(contact_ids={contact.pk}, commitment_ids={commitment.pk}).reason(
        contact=contact, commitment=commitment, on=on
    )


class ContactsNotNow:
    """contact_not_now for many reminders at once (a sender's batch): the pauses of the contacts and the
    commitments with a reported completion read in two queries whatever their number."""

    def __init__(self, *, contact_ids: set[int], commitment_ids: set[int]) -> None:
        from followups.models import ContactPause

        self.paused: dict[int, date] = {}
        self.reported: set[int] = set()
        if contact_ids:
            # One pause per contact (a one-to-one field).
            self.paused = dict(
                ContactPause.objects.filter(contact_id__in=contact_ids).values_list("contact_id", "until")
            )
            self.reported = set(
                CommitmentOwner.objects.filter(
                    commitment_id__in=commitment_ids, completion_reported_at__isnull=False
                ).values_list("commitment_id", flat=True)
            )

    def reason(self, *, contact: Contact | None, commitment: Commitment, on: date) -> tuple[str, str] | None:
        from followups.models import ReminderStatus

        if contact is None:
            return None
        until = self.paused.get(contact.pk)
        if until is not None and until >= on:
            return ReminderStatus.SKIPPED, f"paused by the contact until {until}"
        if commitment.pk in self.reported and contact_awaiting_verification(contact=contact, commitment=commitment):
            return ReminderStatus.CANCELLED, "reported complete, awaiting verification"
        return None
