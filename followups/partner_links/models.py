"""Signed links for points of contact, and the small outbox of messages they ask for (DESIGN.md, "Who may see and
change what": signed links). Re-exported by followups.models.

A link's token is random and shown only in the e-mail; only its sha256 is stored (like partners' API keys,
agreements.partner_access), so that staff can revoke it and a leaked database holds no usable link. A link is
bound to one contact, one purpose and (for reporting) one commitment; it expires, and each new reminder renews the
contact's live links (followups.partner_links.links.partner_link_urls).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from followups.models import Commitment

__all__ = [
    "PartnerLinkPurpose",
    "PartnerLink",
    "PartnerMessageKind",
    "PartnerMessageStatus",
    "PartnerMessage",
    "ContactPreferenceChange",
    "ContactPause",
    "InboundReplyStatus",
    "InboundReply",
]


class PartnerLinkPurpose(models.TextChoices):
    REPORT = "report", _("Report progress on one commitment")
    PREFERENCES = "preferences", _("Manage one's reminders")
    # The Reply-To address of a reminder (reply+<token>@REPLY_DOMAIN): a reply becomes a note awaiting review.
    REPLY = "reply", _("Reply to a reminder by e-mail")


class PartnerLinkQuerySet(models.QuerySet["PartnerLink"]):
    def usable(self, *, now: datetime | None = None) -> Self:
        """Links that open now: not revoked, not expired, their contact active."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now(), contact__is_active=True)


class PartnerLink(models.Model):
    """One signed link in one e-mail to a point of contact. The raw token is never stored."""

    contact = models.ForeignKey(
        "agreements.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="partner_links"
    )
    purpose = models.CharField(verbose_name=_("purpose"), max_length=20, choices=PartnerLinkPurpose.choices)
    # The one commitment a report link reaches; a preferences link may name the commitment of its message.
    commitment = models.ForeignKey(
        "followups.Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="partner_links",
    )
    prefix = models.CharField(
        verbose_name=_("prefix"), max_length=20, editable=False, help_text=_("The start of the token, to recognise it.")
    )
    # sha256 hex of the raw token; the views look a link up by it (unique index).
    token_hash = models.CharField(verbose_name=_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"), help_text=_("The link stops working at this instant (renewed by reminders).")
    )
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(verbose_name=_("last used at"), null=True, blank=True, editable=False)

    objects = PartnerLinkQuerySet.as_manager()

    class Meta:
        verbose_name_plural = _("signed links")
        verbose_name = _("signed link")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=PartnerLinkPurpose.values), name="partner_link_purpose"),
            models.CheckConstraint(
                condition=~Q(purpose__in=["report", "reply"]) | Q(commitment__isnull=False),
                name="partner_link_report_commitment",
            ),
        ]
        indexes = [
            # Renewal at each reminder (partner_link_urls): a contact's live links.
            models.Index(
                fields=["contact", "commitment", "purpose"],
                condition=Q(revoked_at__isnull=True),
                name="partner_link_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.purpose}, {self.contact_id}, {self.commitment_id})"

    def is_usable(self, *, now: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now()) and self.contact.is_active

    @property
    def actor_label(self) -> str:
        """How changes made through this link are recorded in the history and on the timeline."""
        return f"contact {self.contact.ref} (signed link)"

    @property
    def linked_commitment(self) -> Commitment:
        """The commitment of a report or reply link: always there (constraint partner_link_report_commitment)."""
        if self.commitment is None:
            raise ValueError(f"the {self.purpose} link {self.pk} names no commitment")
        return self.commitment


class PartnerMessageKind(models.TextChoices):
    FRESH_LINK = "fresh_link", _("A fresh link, asked for from an expired one")
    RETURNED = "returned", _("A reported completion returned by staff, with the reason")


class PartnerMessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class PartnerMessage(models.Model):
    """One e-mail to a point of contact that is not a reminder, written in the transaction that calls for it and
    sent by the reminder tick (followups.partner_links.outbox.partner_messages_send). An outbox row
    (followups.outbox): PENDING -> SENDING (claimed, with a lease) -> SENT | FAILED."""

    contact = models.ForeignKey(
        "agreements.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="partner_messages"
    )
    commitment = models.ForeignKey(
        "followups.Commitment", verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=PartnerMessageKind.choices)
    reason = models.TextField(verbose_name=_("reason"), blank=True)
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=PartnerMessageStatus.choices,
        default=PartnerMessageStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"), default=timezone.now)
    lease_expires_at = models.DateTimeField(verbose_name=_("lease expires at"), null=True, blank=True)
    # Changes at every claim: a sender holding an older claim sends nothing.
    claim_token = models.CharField(verbose_name=_("claim token"), max_length=32, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("partner message")
        verbose_name_plural = _("partner messages")
        ordering = ["-created_at"]
        indexes = [
            # The tick's claim (followups.outbox.outbox_claim): pending rows whose time has come, then rows whose
            # sender's lease expired.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="partner_message_pending"),
            models.Index(
                fields=["lease_expires_at"], condition=Q(status="sending"), name="partner_message_sending_lease"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.contact_id} about {self.commitment_id} ({self.status})"


class ContactPreferenceChange(models.Model):
    """A change a contact made to their own reminders from the preferences page, kept so it can be undone and
    shown on the timeline. `before` and `after` hold the changed settings."""

    contact = models.ForeignKey(
        "agreements.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="preference_changes"
    )
    # Set when the change is about one commitment (stop reminders for it), so its timeline shows it.
    commitment = models.ForeignKey(
        "followups.Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    summary = models.CharField(verbose_name=_("summary"), max_length=300)
    before = models.JSONField(verbose_name=_("before"), default=dict)
    after = models.JSONField(verbose_name=_("after"), default=dict)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    undone_at = models.DateTimeField(verbose_name=_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact preference change")
        verbose_name_plural = _("contact preference changes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.summary}"

    def describe(self) -> str:
        """The change in the current language (the preferences page); `summary` is the English record."""
        from django.utils.translation import gettext

        after = self.after or {}
        if "language" in after or "time_zone" in after:
            return gettext("Language and time zone set to %(language)s, %(time_zone)s") % {
                "language": after.get("language", ""),
                "time_zone": after.get("time_zone", ""),
            }
        if "digest" in after:
            return gettext("Weekly digest on") if after["digest"] else gettext("Weekly digest off")
        if "paused_until" in after:
            if after["paused_until"]:
                return gettext("Reminders paused until %(date)s") % {"date": after["paused_until"]}
            return gettext("Pause ended")
        if "muted" in after:
            return gettext("All reminders stopped") if after["muted"] else gettext("Reminders started again")
        if "stopped" in after and self.commitment_id:
            ref = self.commitment.ref if self.commitment else ""
            if after["stopped"]:
                return gettext("Reminders about %(ref)s stopped") % {"ref": ref}
            return gettext("Reminders about %(ref)s started again") % {"ref": ref}
        return self.summary


class ContactPause(models.Model):
    """A contact paused their reminders until a day (inclusive): rows due meanwhile are skipped at send time
    (followups.reminders.sending), and the later ones go out as planned."""

    contact = models.OneToOneField("agreements.Contact", on_delete=models.CASCADE, related_name="reminder_pause")
    until = models.DateField()

    def __str__(self) -> str:
        return f"{self.contact_id} paused until {self.until}"


class InboundReplyStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted as a note")
    DISMISSED = "dismissed", _("Dismissed")


class InboundReply(models.Model):
    """A contact's e-mail reply to a reminder, received at the reminder's Reply-To address (docs/reply-by-email.md).

    It waits for staff review: accepted, it becomes a timeline note with the contact as the actor
    (followups.partner_links.inbound.inbound_reply_accept); dismissed, it stays here only.
    """

    contact = models.ForeignKey("agreements.Contact", on_delete=models.CASCADE, related_name="inbound_replies")
    commitment = models.ForeignKey("followups.Commitment", on_delete=models.CASCADE, related_name="inbound_replies")
    link = models.ForeignKey(PartnerLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A mail server may deliver a message twice: the second delivery finds this and stores nothing.
    message_id = models.CharField(max_length=300, unique=True)
    from_address = models.CharField(max_length=300)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(help_text=_("The new part of the reply, without the quoted reminder."))
    attachment_names = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=InboundReplyStatus.choices, default=InboundReplyStatus.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The commitment page's pending replies (followups.partner_links.timeline).
            models.Index(fields=["commitment"], condition=Q(status="pending"), name="inbound_reply_pending"),
        ]

    def __str__(self) -> str:
        return f"reply from {self.from_address} on {self.commitment_id} ({self.status})"

    @property
    def from_someone_else(self) -> bool:
        """Sent from another address than the contact's (a colleague answering): shown to the reviewer."""
        return self.from_address.strip().lower() != self.contact.email.strip().lower()
