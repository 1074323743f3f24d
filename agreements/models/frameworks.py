"""Frameworks and MoUs, their parties (with each party's dates) and their working groups with members."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.models.memberships import Membership, MembershipState
from agreements.models.sources import Sourced, ref_validator
from config.history import TrackedHistory

if TYPE_CHECKING:
    from agreements.models.organisations import Organisation


class FrameworkKind(models.TextChoices):
    BILATERAL_FRAMEWORK = "bilateral_framework", _("Bilateral framework")
    MOU = "mou", _("Memorandum of understanding")
    STRATEGIC_PARTNERSHIP_AGREEMENT = "strategic_partnership_agreement", _("Strategic partnership agreement")
    ACTION_PLAN = "action_plan", _("Action plan")
    DECLARATION = "declaration", _("Declaration")
    JOINT_STATEMENT = "joint_statement", _("Joint statement")
    MULTILATERAL_INITIATIVE = "multilateral_initiative", _("Multilateral initiative")
    PLURILATERAL_FRAMEWORK_DRAFT = "plurilateral_framework_draft", _("Plurilateral framework (draft)")
    PLURILATERAL_AGREEMENT_PROPOSED = (
        "plurilateral_agreement_proposed",
        _("Plurilateral agreement (proposed)"),
    )
    INVESTMENT_FRAMEWORK = "investment_framework", _("Investment framework")
    DOMESTIC_INITIATIVE = "domestic_initiative", _("Domestic initiative")


class FrameworkStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PLANNED = "planned", _("Planned")
    UNDER_DEVELOPMENT = "under_development", _("Under development")
    UNDER_NEGOTIATION = "under_negotiation", _("Under negotiation")
    PLANNED_UNVERIFIED = "planned_unverified", _("Planned (unverified)")
    DRAFT_CIRCULATED = "draft_circulated", _("Draft circulated")
    SIGNED = "signed", _("Signed")
    SIGNED_UNVERIFIED = "signed_unverified", _("Signed (unverified)")
    LAUNCHED = "launched", _("Launched")
    OPEN_FOR_ACCESSION = "open_for_accession", _("Open for accession")
    IN_IMPLEMENTATION = "in_implementation", _("In implementation")
    SUPERSEDED = "superseded", _("Superseded")
    TERMINATED = "terminated", _("Terminated")


class FrameworkQuerySet(models.QuerySet["Framework"]):
    def for_organisation(self, organisation: Organisation) -> Self:
        """Frameworks the organisation is party to, directly or through a body it is a confirmed member of.

        Only confirmed facts count: a presumed, supported or invited membership, or an illustrative party or
        membership, never widens a partner's scope (DESIGN.md, "Who may see and change what").
        """
        return self.filter(pk__in=framework_ids_visible_to(organisation))

    def visible_to(self, organisation: Organisation | None) -> Self:
        """The partner scope rule, in one place: the frameworks a partner organisation may read (None: staff, all).

        The API, the webhooks and the tasks all start from this (and from the querysets built on it).
        """
        return self.all() if organisation is None else self.for_organisation(organisation)


def framework_ids_visible_to(organisation: Organisation) -> models.QuerySet[Party, Any]:
    """The ids of the frameworks a partner may read (`FrameworkQuerySet.for_organisation`), as a subquery: the
    querysets of what hangs under frameworks filter on it directly (`framework__in=`), with no query of the
    frameworks around it (building and compiling nested subqueries was a large part of an API request)."""
    bodies = Membership.objects.filter(member=organisation, state=MembershipState.CONFIRMED, illustrative=False)
    parties = Party.objects.filter(illustrative=False).filter(
        Q(organisation=organisation) | Q(organisation__in=bodies.values("body"))
    )
    return parties.values("framework")


class Framework(Sourced):
    """An instrument: a bilateral framework, an MoU, an action plan, a declaration, an initiative."""

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    title = models.CharField(verbose_name=_("title"), max_length=300)
    short_title = models.CharField(verbose_name=_("short title"), max_length=120, blank=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=40, choices=FrameworkKind.choices)
    status = models.CharField(
        verbose_name=_("status"), max_length=30, choices=FrameworkStatus.choices, default=FrameworkStatus.SIGNED
    )
    signed_on = models.DateField(
        verbose_name=_("signed on"),
        null=True,
        blank=True,
        help_text=_("Deadlines anchored on the signature follow it."),
    )
    effective_on = models.DateField(
        verbose_name=_("effective on"), null=True, blank=True, help_text=_("Entry into force, where it differs.")
    )
    date_estimated = models.BooleanField(verbose_name=_("date estimated"), default=False)
    date_note = models.TextField(verbose_name=_("date note"), blank=True)
    place = models.CharField(verbose_name=_("place"), max_length=200, blank=True)
    binding = models.BooleanField(verbose_name=_("binding"), default=False)
    intended_binding = models.BooleanField(verbose_name=_("intended binding"), default=False)
    binding_note = models.TextField(verbose_name=_("binding note"), blank=True)
    source_url = models.URLField(verbose_name=_("source url"), max_length=500, blank=True)
    summary = models.TextField(verbose_name=_("summary"), blank=True)
    minerals = models.JSONField(verbose_name=_("minerals"), default=list, blank=True)
    themes = models.JSONField(verbose_name=_("themes"), default=list, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # As each record states it ("related_framework_ids"); the other side is `related_from`.
    related = models.ManyToManyField(
        "self", verbose_name=_("related"), blank=True, symmetrical=False, related_name="related_from"
    )
    recorded_after_status_as_of = models.BooleanField(verbose_name=_("recorded after status as of"), default=False)
    status_at_as_of = models.CharField(verbose_name=_("status at as of"), max_length=30, blank=True)
    membership_note = models.TextField(verbose_name=_("membership note"), blank=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True, db_index=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields", "updated_at"])
    objects = FrameworkQuerySet.as_manager()

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(effective_on__gte=models.F("signed_on")),
                name="framework_effective_not_before_signed",
            ),
            models.CheckConstraint(condition=Q(status__in=FrameworkStatus.values), name="framework_status_valid"),
        ]

    def __str__(self) -> str:
        return self.short_title or self.title


class DatePrecision(models.TextChoices):
    """How much of a date the sources give. A date known to the month or year is stored as the latest day it
    allows (so that a clock anchored on it is never early) and shown with its precision and note."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class PartyRole(models.TextChoices):
    SIGNATORY = "signatory", _("Signatory")
    PARTICIPANT = "participant", _("Participant")
    CHAIR = "chair", _("Chair")
    OBSERVER = "observer", _("Observer")


class Party(Sourced):
    """An organisation's part in a framework: signatory, participant, chair or observer."""

    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.CASCADE, related_name="parties"
    )
    organisation = models.ForeignKey(
        "agreements.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="parties"
    )
    role = models.CharField(
        verbose_name=_("role"), max_length=20, choices=PartyRole.choices, default=PartyRole.SIGNATORY
    )
    signed_by = models.CharField(verbose_name=_("signed by"), max_length=200, blank=True)
    signed_by_title = models.CharField(verbose_name=_("signed by title"), max_length=200, blank=True)
    joined_on = models.DateField(
        verbose_name=_("joined on"),
        null=True,
        blank=True,
        help_text=_("Accession or signature date; when known only to the month, the latest day it allows."),
    )
    joined_precision = models.CharField(
        verbose_name=_("joined precision"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        blank=True,
    )
    joined_note = models.CharField(
        verbose_name=_("joined note"), max_length=200, blank=True, help_text=_("e.g. 'before 2026-02-20'")
    )
    term_ends_on = models.DateField(
        verbose_name=_("term ends on"), null=True, blank=True, help_text=_("End of a chair's term.")
    )
    term_end_estimated = models.BooleanField(
        verbose_name=_("term end estimated"), default=False, help_text=_("The term's end is an estimate.")
    )

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["framework", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "organisation"], name="party_unique"),
            models.CheckConstraint(condition=Q(role__in=PartyRole.values), name="party_role_valid"),
            models.CheckConstraint(
                condition=Q(joined_precision__in=DatePrecision.values), name="party_joined_precision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()}) in {self.framework}"

    @property
    def own_date(self) -> date | None:
        """The party's own date: its accession, else the framework's signature (a founding signatory)."""
        return self.joined_on or self.framework.signed_on

    @property
    def own_date_estimated(self) -> bool:
        """Whether the own date is only an estimate (known to the month, or the framework's date estimated)."""
        if self.joined_on is not None:
            return self.joined_precision != DatePrecision.DAY
        return self.framework.date_estimated


class WorkingGroupQuerySet(models.QuerySet["WorkingGroup"]):
    def visible_to(self, organisation: Organisation | None) -> Self:
        """The working groups under the frameworks a partner may read (None: staff, all)."""
        if organisation is None:
            return self.all()
        return self.filter(framework__in=framework_ids_visible_to(organisation))


class WorkingGroup(Sourced):
    """A standing body under a framework or forum: response group, steering committee, working group."""

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(verbose_name=_("name"), max_length=300)
    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="working_groups"
    )
    chair_person = models.CharField(verbose_name=_("chair person"), max_length=200, blank=True)
    co_chair_person = models.CharField(verbose_name=_("co chair person"), max_length=200, blank=True)
    mandate = models.TextField(verbose_name=_("mandate"), blank=True)
    meeting_cadence = models.CharField(verbose_name=_("meeting cadence"), max_length=100, blank=True)
    established_on = models.DateField(verbose_name=_("established on"), null=True, blank=True)
    chair_term_ends_on = models.DateField(verbose_name=_("chair term ends on"), null=True, blank=True)
    note = models.TextField(verbose_name=_("note"), blank=True)
    members = models.ManyToManyField(
        "agreements.Organisation",
        verbose_name=_("members"),
        through="WorkingGroupMember",
        related_name="working_groups",
    )

    objects = WorkingGroupQuerySet.as_manager()

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(
                condition=Q(chair_term_ends_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(chair_term_ends_on__gte=models.F("established_on")),
                name="working_group_term_after_established",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    CO_CHAIR = "co_chair", _("Co-chair")
    MEMBER = "member", _("Member")


class WorkingGroupMember(models.Model):
    working_group = models.ForeignKey(
        WorkingGroup, verbose_name=_("working group"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "agreements.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="working_group_memberships",
    )
    role = models.CharField(
        verbose_name=_("role"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER
    )

    history = TrackedHistory()

    class Meta:
        verbose_name = _("working group member")
        verbose_name_plural = _("working group members")
        ordering = ["working_group", "role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["working_group", "organisation"], name="working_group_member_unique"),
            # One chair per group; co-chairs and members as many as needed.
            models.UniqueConstraint(
                fields=["working_group"], condition=Q(role="chair"), name="working_group_one_chair"
            ),
            models.CheckConstraint(condition=Q(role__in=MemberRole.values), name="working_group_member_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"
