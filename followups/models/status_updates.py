"""The status timeline: every update of a commitment, who made it (a person, a partner's key or link, the
loader) and what it says."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import (
    Basis,
    Organisation,
)
from config.history import PARTNER_KINDS, ActorKind
from followups.models.choices import Status

if TYPE_CHECKING:
    pass


class Completion(models.TextChoices):
    """What a timeline entry does to a partner's claim of completion (blank: an ordinary update)."""

    REPORTED = "reported", _("Reported complete, awaiting verification")
    VERIFIED = "verified", _("Completion verified")
    RETURNED = "returned", _("Completion returned")


COORDINATING_OFFICE = _("Coordinating office")


class StatusUpdate(models.Model):
    """One entry of a commitment's timeline: a status change (or a note) with who, when and evidence."""

    commitment = models.ForeignKey(
        "followups.Commitment", verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="status_updates"
    )
    # The public id (API, webhooks): opaque, so that partners cannot count what others post.
    uuid = models.UUIDField(verbose_name=_("uuid"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The owning party this update is for; blank for the commitment as a whole."),
    )
    old_status = models.CharField(verbose_name=_("old status"), max_length=20, choices=Status.choices, blank=True)
    new_status = models.CharField(verbose_name=_("new status"), max_length=20, choices=Status.choices)
    completion = models.CharField(verbose_name=_("completion"), max_length=10, choices=Completion.choices, blank=True)
    note = models.TextField(verbose_name=_("note"), blank=True)
    evidence_url = models.URLField(verbose_name=_("evidence url"), max_length=500, blank=True)
    evidence_file = models.FileField(verbose_name=_("evidence file"), upload_to="evidence/%Y/%m/", blank=True)
    happened_on = models.DateField(
        verbose_name=_("happened on"), help_text=_("When it happened, which may be before it was recorded.")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, db_index=True)
    # Who: a staff user, a partner's API key or a contact's signed link, the loader or the system (a task), by kind
    # in `actor_kind` (set by the door through the service) and named in `actor`.
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField(verbose_name=_("actor"), max_length=200, help_text=_("Who made the change, in words."))
    # A partner's key or link is shown to partners by name, anyone else as the coordinating office.
    actor_kind = models.CharField(
        verbose_name=_("actor kind"), max_length=20, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    sources = models.ManyToManyField("agreements.Source", verbose_name=_("sources"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        ordering = ["-happened_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(new_status__in=Status.values), name="status_update_status_valid"),
            models.CheckConstraint(condition=Q(actor_kind__in=ActorKind.values), name="status_update_actor_kind_valid"),
        ]
        indexes = [models.Index(fields=["commitment", "-created_at"], name="status_update_timeline")]

    def __str__(self) -> str:
        return f"{self.commitment.ref}: {self.old_status or '-'} -> {self.new_status} on {self.happened_on}"

    @property
    def provenance(self) -> str:
        """An update is what its author reported (with its sources when it has some): illustrative only when its
        commitment is invented, else sourced. `provenance_q` in SQL."""
        return Basis.ILLUSTRATIVE.value if self.commitment.illustrative else Basis.SOURCED.value

    @classmethod
    def provenance_q(cls, basis: str) -> Q:
        """The updates whose `provenance` is `basis`, as a filter."""
        if basis == Basis.ILLUSTRATIVE:
            return Q(commitment__illustrative=True)
        return Q(commitment__illustrative=False) if basis == Basis.SOURCED else Q(pk__in=[])

    def actor_shown_to(self, organisation_id: int | None) -> str:
        """The author as a partner organisation (by id) may see it (None: staff, who see it as recorded).

        A partner sees its own keys and contacts by name, another partner's as that organisation, and staff,
        the loader and the system as the coordinating office: never a staff user's name.
        """
        if organisation_id is None:
            return self.actor
        if self.actor_kind not in PARTNER_KINDS or self.owner_id is None:
            return str(COORDINATING_OFFICE)
        if self.owner_id == organisation_id:
            return self.actor
        return self.owner.name if self.owner is not None else str(COORDINATING_OFFICE)
