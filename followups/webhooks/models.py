"""Partners' webhooks: the endpoints they register and the delivery outbox. Re-exported by followups.models.

Each notification to send is a `WebhookDelivery` row, written in the same transaction as the change that calls
for it (followups.webhooks.planner), and sent by the same kind of tick and worker as the reminders: the row, not
a broker message, is the source of truth (DESIGN.md, "Reminders: the database is the queue").
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.history import TrackedHistory

__all__ = ["WebhookEvent", "WebhookDeliveryStatus", "WebhookEndpoint", "WebhookDelivery"]


class WebhookEvent(models.TextChoices):
    STATUS_CHANGED = "commitment.status_changed", _("A commitment's status (or an owner's status) changed")
    DEADLINE_APPROACHING = "deadline.approaching", _("A deadline is near (at the reminders' lead days)")
    # A partner's "completed" is a claim until staff verify it (DESIGN.md).
    COMPLETION_REPORTED = "commitment.completion_reported", _("A party reported a commitment complete")
    COMPLETION_VERIFIED = "commitment.completion_verified", _("Staff accepted a reported completion")
    COMPLETION_RETURNED = "commitment.completion_returned", _("Staff returned a reported completion with a reason")


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # No longer due: the deadline closed or moved before its moment, or the endpoint was deactivated.
    CANCELLED = "cancelled", _("Cancelled")


class WebhookEndpoint(models.Model):
    """A URL of one partner organisation that receives signed notifications about the commitments it owns.

    The secret signs every delivery (HMAC-SHA256). It is generated at registration and shown once; it is kept in
    clear because signing needs it (a hash would not do), and no API answer or admin page shows it again.
    """

    # The identifier partners see (the API's `id`): not the sequence, which would count other partners' endpoints.
    uuid = models.UUIDField(verbose_name=_("uuid"), default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "agreements.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(
        verbose_name=_("url"), max_length=500, help_text=_("Where notifications are POSTed (https in production).")
    )
    secret = models.CharField(verbose_name=_("secret"), max_length=100, editable=False)
    events = models.JSONField(
        verbose_name=_("events"),
        default=list,
        help_text=_("The events it receives, e.g. ['commitment.status_changed']."),
    )
    description = models.CharField(verbose_name=_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(
        verbose_name=_("is active"), default=True, help_text=_("An inactive endpoint receives nothing.")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)
    created_by = models.CharField(
        verbose_name=_("created by"), max_length=200, blank=True, editable=False, help_text=_("Key or user.")
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    # Who registered, changed or paused it; the secret is never copied into history.
    history = TrackedHistory(excluded_fields=["secret", "updated_at"])

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "pk"]
        indexes = [
            # The enqueue look-up (followups.webhooks.planner.endpoints_by_org): the active endpoints of the owning
            # organisations.
            models.Index(fields=["organisation"], condition=Q(is_active=True), name="webhook_endpoint_active_org"),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.organisation_id}{'' if self.is_active else ', inactive'})"

    def subscribes(self, event: str) -> bool:
        return self.is_active and event in (self.events or [])


class WebhookDelivery(models.Model):
    """One notification to one endpoint. PENDING -> SENDING (claimed by a tick, with a lease) -> SENT | FAILED;
    CANCELLED when it is no longer due.

    `event_id` names the event and travels as X-Tracker-Delivery: it is the same at every attempt, so the partner
    can drop a repeat. It is derived from what happened (the status update, or the deadline, lead and due date),
    so planning the same thing twice finds the row already there (unique with the endpoint).
    """

    uuid = models.UUIDField(verbose_name=_("uuid"), default=uuid.uuid4, unique=True, editable=False)
    # Indexed by the unique constraint webhook_delivery_once (endpoint, event_id): no index of its own.
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.CharField(verbose_name=_("event"), max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(verbose_name=_("event id"))
    payload = models.JSONField(verbose_name=_("payload"))
    # What the event is about: for re-planning (deadline) and the partner's filters (commitment).
    commitment = models.ForeignKey(
        "followups.Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    deadline = models.ForeignKey(
        "followups.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    response_status = models.PositiveIntegerField(
        verbose_name=_("response status"), null=True, blank=True, help_text=_("The last HTTP status.")
    )
    next_attempt_at = models.DateTimeField(
        verbose_name=_("next attempt at"),
        help_text=_("When a tick may claim it (its moment, or later after a failure)."),
    )
    lease_expires_at = models.DateTimeField(verbose_name=_("lease expires at"), null=True, blank=True)
    # Changes at every claim: a worker holding an older claim (a redelivered Celery message) sends nothing.
    claim_token = models.CharField(verbose_name=_("claim token"), max_length=32, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=WebhookDeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
            models.CheckConstraint(condition=Q(event__in=WebhookEvent.values), name="webhook_delivery_event_valid"),
        ]
        indexes = [
            # The tick's claim (followups.webhooks.sending.webhooks_claim): pending rows whose time has come...
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_pending_next_attempt"
            ),
            # ...and rows whose worker's lease expired.
            models.Index(fields=["lease_expires_at"], condition=Q(status="sending"), name="webhook_sending_lease"),
            # No more: each claim changes `status`, so every index takes a new entry per claimed row. The
            # planner's look-up of a deadline's deliveries (webhooks_plan_deadlines) uses the foreign key's index.
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} to {self.endpoint_id} ({self.status})"
