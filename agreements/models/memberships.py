"""Membership of one organisation in another (a country in FORGE, say), with its state: only a confirmed,
sourced membership widens what a partner may read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.models.sources import Sourced
from config.history import TrackedHistory

if TYPE_CHECKING:
    pass


class MembershipState(models.TextChoices):
    """How sure we are that an organisation belongs to a body. Only CONFIRMED widens what a partner may read."""

    CONFIRMED = "confirmed", _("Confirmed")
    PRESUMED = "presumed", _("Presumed (not confirmed by a source)")
    EXPRESSED_SUPPORT = "expressed_support", _("Expressed support")
    INVITED = "invited", _("Invited")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Membership(Sourced):
    """An organisation's membership of a body (a forum, a partnership), e.g. Japan in the MSP.

    The state says how sure we are; a presumed membership, an expression of support or an invitation is shown as
    such and never gives a partner's key more to read (`FrameworkQuerySet.for_organisation`).
    """

    member = models.ForeignKey(
        "agreements.Organisation", verbose_name=_("member"), on_delete=models.CASCADE, related_name="memberships"
    )
    body = models.ForeignKey(
        "agreements.Organisation", verbose_name=_("body"), on_delete=models.CASCADE, related_name="body_memberships"
    )
    role = models.CharField(verbose_name=_("role"), max_length=60, default="member")
    state = models.CharField(
        verbose_name=_("state"), max_length=20, choices=MembershipState.choices, default=MembershipState.CONFIRMED
    )
    note = models.TextField(
        verbose_name=_("note"), blank=True, help_text=_("What the source says, e.g. 'expressed support (2026-02-04)'.")
    )
    since = models.DateField(verbose_name=_("since"), null=True, blank=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["member", "body"], name="membership_unique"),
            models.CheckConstraint(condition=~Q(member=models.F("body")), name="membership_not_self"),
            models.CheckConstraint(condition=Q(state__in=MembershipState.values), name="membership_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.body}"

    @property
    def presumed(self) -> bool:
        return self.state == MembershipState.PRESUMED

    @property
    def gives_scope(self) -> bool:
        """Whether this membership lets the member's partner keys read what the body is party to."""
        return self.state == MembershipState.CONFIRMED and not self.illustrative
