"""Who agreed to what: organisations, frameworks and their parties, working groups, contacts, milestones.

Every record loaded from a dataset keeps the dataset's id as `ref` (`ORG-AR`, `FW-US-AU`, `WG-US-CK`): the
stable reference that partners and files use. Database ids are internal.
"""

from __future__ import annotations

from datetime import date
from typing import Self
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.history import TrackedHistory

ref_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$", _("A reference looks like ORG-AR, FW-US-AU or CMT-AU-01.")
)


def validate_time_zone(value: str) -> None:
    if value not in _zones():
        raise ValidationError(_("%(value)s is not an IANA time zone such as Europe/Paris."), params={"value": value})


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


class Source(models.Model):
    """A piece of evidence (an official text, a mirror, a news report) that records cite."""

    ref = models.CharField(max_length=20, unique=True)
    title = models.TextField()
    # Usually a URL, but some sources are only described ("seed news article").
    url = models.CharField(max_length=500, blank=True)
    # Sources give "2026-02-04", "2026-02", "2026" or "n.d.": kept as given.
    published = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title[:80]}"


class Sourced(models.Model):
    """Fields every dataset record shares: its sources and whether it is invented for the demo."""

    sources = models.ManyToManyField(Source, blank=True, related_name="+")
    illustrative = models.BooleanField(
        default=False, help_text=_("Invented-but-plausible demo material, not a sourced fact.")
    )
    illustrative_fields = models.JSONField(default=list, blank=True, help_text=_("Invented fields of a real record."))

    class Meta:
        abstract = True


class OrganisationKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    SUPRANATIONAL_BODY = "supranational_body", _("Supranational body")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    MINISTRY = "ministry", _("Ministry")
    PLURILATERAL_FORUM = "plurilateral_forum", _("Plurilateral forum")
    PLURILATERAL_PARTNERSHIP = "plurilateral_partnership", _("Plurilateral partnership")
    MULTILATERAL_INITIATIVE = "multilateral_initiative", _("Multilateral initiative")
    FINANCE_NETWORK = "finance_network", _("Finance network")
    INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")
    EXPORT_CREDIT_AGENCY = "export_credit_agency", _("Export-credit agency")
    DEVELOPMENT_FINANCE_INSTITUTION = "development_finance_institution", _("Development-finance institution")
    COMPANY = "company", _("Company")


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def countries(self) -> Self:
        return self.filter(kind=OrganisationKind.COUNTRY)

    def active(self) -> Self:
        return self.filter(is_active=True)

    def visible_to(self, organisation: Organisation | None) -> Self:
        """What a partner organisation may read (None: staff, everything): itself, the bodies it belongs to, the
        parties and working-group members of the frameworks it can see, and its co-owners of commitments."""
        if organisation is None:
            return self.all()
        frameworks = Framework.objects.visible_to(organisation).values("pk")
        return self.filter(
            Q(pk=organisation.pk)
            | Q(
                pk__in=Membership.objects.filter(
                    member=organisation, state=MembershipState.CONFIRMED, illustrative=False
                ).values("body")
            )
            | Q(pk__in=Party.objects.filter(framework__in=frameworks).values("organisation"))
            | Q(
                pk__in=WorkingGroupMember.objects.filter(working_group__framework__in=frameworks).values("organisation")
            )
            | Q(
                pk__in=self.model.objects.filter(ownerships__commitment__ownerships__organisation=organisation).values(
                    "pk"
                )
            )
        )


class Organisation(Sourced):
    """A country (by ISO 3166-1 alpha-2 code) or a body: a ministry, an agency, a forum, a finance network."""

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=40, choices=OrganisationKind.choices)
    iso_alpha2 = models.CharField(
        "ISO 3166-1 alpha-2",
        max_length=2,
        null=True,
        blank=True,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters, such as AR."))],
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("e.g. a ministry's country"),
    )
    # Bodies an organisation belongs to (MSP partners, FORGE members): a partner sees the frameworks its
    # bodies are party to.
    member_of = models.ManyToManyField(
        "self", through="Membership", symmetrical=False, related_name="members", blank=True
    )
    roles = models.JSONField(default=list, blank=True, help_text=_("Roles as of the dataset's status date."))
    roles_later = models.JSONField(default=list, blank=True, help_text=_("Roles acquired after that date."))
    delegation_head = models.CharField(_("ministerial delegation head"), max_length=200, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text=_("Inactive organisations' API keys stop working."))

    objects = OrganisationQuerySet.as_manager()

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="country") | Q(iso_alpha2__isnull=False),
                name="organisation_country_has_iso_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name


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

    member = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    body = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="body_memberships")
    role = models.CharField(max_length=60, default="member")
    state = models.CharField(max_length=20, choices=MembershipState.choices, default=MembershipState.CONFIRMED)
    note = models.TextField(blank=True, help_text=_("What the source says, e.g. 'expressed support (2026-02-04)'."))
    since = models.DateField(null=True, blank=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
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
        bodies = Membership.objects.filter(
            member=organisation, state=MembershipState.CONFIRMED, illustrative=False
        ).values("body")
        parties = Party.objects.filter(illustrative=False).filter(
            Q(organisation=organisation) | Q(organisation__in=bodies)
        )
        return self.filter(pk__in=parties.values("framework"))

    def visible_to(self, organisation: Organisation | None) -> Self:
        """The partner scope rule, in one place: the frameworks a partner organisation may read (None: staff, all).

        The API, the webhooks and the tasks all start from this (and from the querysets built on it).
        """
        if organisation is None:
            return self.all()
        return self.filter(pk__in=self.model.objects.for_organisation(organisation).values("pk"))


class Framework(Sourced):
    """An instrument: a bilateral framework, an MoU, an action plan, a declaration, an initiative."""

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=40, choices=FrameworkKind.choices)
    status = models.CharField(max_length=30, choices=FrameworkStatus.choices, default=FrameworkStatus.SIGNED)
    signed_on = models.DateField(null=True, blank=True, help_text=_("Deadlines anchored on the signature follow it."))
    effective_on = models.DateField(null=True, blank=True, help_text=_("Entry into force, where it differs."))
    date_estimated = models.BooleanField(default=False)
    date_note = models.TextField(blank=True)
    place = models.CharField(max_length=200, blank=True)
    binding = models.BooleanField(default=False)
    intended_binding = models.BooleanField(default=False)
    binding_note = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    minerals = models.JSONField(default=list, blank=True)
    themes = models.JSONField(default=list, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    # As each record states it ("related_framework_ids"); the other side is `related_from`.
    related = models.ManyToManyField("self", blank=True, symmetrical=False, related_name="related_from")
    recorded_after_status_as_of = models.BooleanField(default=False)
    status_at_as_of = models.CharField(max_length=30, blank=True)
    membership_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields", "updated_at"])
    objects = FrameworkQuerySet.as_manager()

    class Meta:
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

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=20, choices=PartyRole.choices, default=PartyRole.SIGNATORY)
    signed_by = models.CharField(max_length=200, blank=True)
    signed_by_title = models.CharField(max_length=200, blank=True)
    joined_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("Accession or signature date; when known only to the month, the latest day it allows."),
    )
    joined_precision = models.CharField(
        max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY, blank=True
    )
    joined_note = models.CharField(max_length=200, blank=True, help_text=_("e.g. 'before 2026-02-20'"))
    term_ends_on = models.DateField(null=True, blank=True, help_text=_("End of a chair's term."))
    term_end_estimated = models.BooleanField(default=False, help_text=_("The term's end is an estimate."))

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name_plural = "parties"
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
        return self.filter(framework__in=Framework.objects.visible_to(organisation).values("pk"))


class WorkingGroup(Sourced):
    """A standing body under a framework or forum: response group, steering committee, working group."""

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=300)
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="working_groups")
    chair_person = models.CharField(max_length=200, blank=True)
    co_chair_person = models.CharField(max_length=200, blank=True)
    mandate = models.TextField(blank=True)
    meeting_cadence = models.CharField(max_length=100, blank=True)
    established_on = models.DateField(null=True, blank=True)
    chair_term_ends_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    members = models.ManyToManyField(Organisation, through="WorkingGroupMember", related_name="working_groups")

    objects = WorkingGroupQuerySet.as_manager()

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
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
    working_group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="working_group_memberships")
    role = models.CharField(max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)

    history = TrackedHistory()

    class Meta:
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


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"
    FRENCH = "fr", "Français"


class Contact(models.Model):
    """A person at an organisation: a point of contact who gets reminders, optionally with a staff login."""

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contacts")
    title = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact"
    )
    is_active = models.BooleanField(default=True)
    illustrative = models.BooleanField(default=False, help_text=_("A made-up demo contact."))

    history = TrackedHistory()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="contact_email_unique_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Event(Sourced):
    """A gathering that deadlines can be anchored on, such as the ministerial of 4 February 2026."""

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=300)
    date = models.DateField()
    location = models.CharField(max_length=300, blank=True)
    host = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="hosted_events"
    )
    attendees = models.ManyToManyField(Organisation, blank=True, related_name="events_attended")
    # The people who hosted it, as the sources name them ("Marco Rubio (Secretary of State)"): people are not
    # organisations here, the host organisation is `host`.
    hosts = models.JSONField(default=list, blank=True, help_text=_("The hosts as the sources name them."))
    outcomes = models.JSONField(default=list, blank=True, help_text=_("What the sources say came out of it."))
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return self.name


class Milestone(Sourced):
    """A dated event in the follow-up (a launch, a signing, a meeting) that deadlines can be anchored on."""

    ref = models.CharField(max_length=60, unique=True, validators=[ref_validator])
    date = models.DateField()
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=40)
    date_estimated = models.BooleanField(default=False)
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="milestones")
    # What else it concerns (organisations, commitments, working groups), by reference.
    related_refs = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        ordering = ["date", "ref"]

    def __str__(self) -> str:
        return f"{self.date}: {self.title}"


class GlossaryTerm(models.Model):
    """A word of the trade as the dataset defines it ("offtake", "accession"), for the glossary page."""

    # The term in a form usable as a page anchor (`#critical-mineral`); the dataset's terms have no id.
    ref = models.SlugField(max_length=120, unique=True)
    term = models.CharField(max_length=200)
    definition = models.TextField()

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term


class DataCaveat(models.Model):
    """A known caveat of the data (the dataset's open questions): what the sources leave unknown or contradict.

    Linked to the frameworks and organisations it concerns, whose pages point to it.
    """

    # DQ-1, DQ-2, ...: the question's position in the dataset's `open_questions`.
    ref = models.CharField(max_length=20, unique=True, validators=[ref_validator])
    text = models.TextField()
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="caveats")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="caveats")

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.text[:80]}"


class StaffProfile(models.Model):
    """A staff user's preferences and desk officer's portfolio (the countries and bodies they follow)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    portfolio = models.ManyToManyField(Organisation, blank=True, related_name="desk_officers")
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Secret of the personal iCal feed URL; blank when revoked or never issued. Stored hashed (sha256 hex).
    calendar_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    reminder_digest = models.BooleanField(
        default=False, help_text=_("One weekly digest instead of single reminder messages.")
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


# Models kept in modules of their own, registered with this app (partner API keys and webhooks).
from agreements.partner_access import *  # noqa: E402,F403
from agreements.security import SecurityEvent, SecurityEventKind  # noqa: E402,F401 - security records
