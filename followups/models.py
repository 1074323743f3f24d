"""What was undertaken and by when: commitments, their owners, deadlines, projects and the status timeline.

State changes go through `followups.services`; these models hold fields, constraints, indexes and small
derived properties. "Overdue" is never stored: it is derived from a deadline's due date and whether it is
still open (`DeadlineQuerySet.overdue`, `Deadline.is_overdue`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import (
    Contact,
    Event,
    Framework,
    Milestone,
    Organisation,
    Party,
    PartyRole,
    Sourced,
    WorkingGroup,
    ref_validator,
)
from config.history import TrackedHistory
from followups.deadlines import Offset, Recurrence, RuleError

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    AT_RISK = "at_risk", _("At risk")
    COMPLETED = "completed", _("Completed")
    COMPLETED_LATE = "completed_late", _("Completed late")
    CANCELLED = "cancelled", _("Cancelled or waived")


# A commitment in one of these needs no more work and gets no more reminders.
CLOSED_STATUSES = (Status.COMPLETED, Status.COMPLETED_LATE, Status.CANCELLED)
DONE_STATUSES = (Status.COMPLETED, Status.COMPLETED_LATE)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


# Days before the due date at which the responsible contacts are reminded, by priority (DESIGN.md).
DEFAULT_LEAD_DAYS = [30, 7, 1]
HIGH_PRIORITY_LEAD_DAYS = [60, 30, 14, 7, 1]
# Days after the due date: +1 to the contacts; +7 also to the desk officers; +30 also to the coordinators.
DEFAULT_OVERDUE_DAYS = [1, 7, 30]
# After the last overdue step, the reminder repeats at this interval until the deadline is completed, extended,
# waived or acknowledged (DESIGN.md, "nothing goes quiet").
DEFAULT_REPEAT_OVERDUE_DAYS = 7
# An open commitment with no status update for this many days (by priority) has gone quiet: its contacts are
# nudged, then after DEFAULT_QUIET_GRACE_DAYS its desk officers. A reminder policy on the framework overrides.
DEFAULT_QUIET_DAYS = {"high": 30, "normal": 60, "low": 90}
DEFAULT_QUIET_GRACE_DAYS = 14


class Category(models.TextChoices):
    AGREEMENT = "agreement", _("Agreement")
    ASSET_SALE_REVIEW = "asset_sale_review", _("Asset-sale review")
    CONSULTATION = "consultation", _("Consultation")
    COORDINATION = "coordination", _("Coordination")
    DATA_QUALITY = "data_quality", _("Data quality")
    FINANCING = "financing", _("Financing")
    GEOLOGICAL_MAPPING = "geological_mapping", _("Geological mapping")
    GOVERNANCE = "governance", _("Governance")
    INVESTMENT = "investment", _("Investment")
    INVESTMENT_VEHICLE = "investment_vehicle", _("Investment vehicle")
    MARKET_ACCESS = "market_access", _("Market access")
    MARKET_INTEGRITY = "market_integrity", _("Market integrity")
    MEETING = "meeting", _("Meeting")
    MEMBERSHIP = "membership", _("Membership")
    OFFTAKE_ACCESS = "offtake_access", _("Offtake access")
    PERMITTING = "permitting", _("Permitting")
    PRICING = "pricing", _("Pricing")
    PROCESSING = "processing", _("Processing")
    PROJECT_PIPELINE = "project_pipeline", _("Project pipeline")
    RECYCLING = "recycling", _("Recycling")
    REPORTING = "reporting", _("Reporting")
    REVIEW = "review", _("Review")
    SCOPING = "scoping", _("Scoping")
    STOCKPILING = "stockpiling", _("Stockpiling")
    SUPPLY_SECURITY = "supply_security", _("Supply security")
    TECHNICAL_COOPERATION = "technical_cooperation", _("Technical cooperation")
    TRANSPARENCY = "transparency", _("Transparency")
    OTHER = "other", _("Other")


class ProjectStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    FEASIBILITY = "feasibility", _("Feasibility")
    OFFTAKE = "offtake", _("Offtake")
    FINANCING = "financing", _("Financing")
    PRODUCTION = "production", _("Production")


class ProjectKind(models.TextChoices):
    MINE = "mine", _("Mine")
    REFINERY = "refinery", _("Refinery or processing plant")
    RECYCLING = "recycling", _("Recycling plant")
    MAGNET = "magnet", _("Magnet or component plant")
    OTHER = "other", _("Other")


class Project(Sourced):
    """A mine, refinery or recycling plant that commitments are about, counted under several frameworks.

    Identifying and financing projects is what the six-month windows ask for, so projects are records of
    their own with a pipeline stage, not text inside a commitment.
    """

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=ProjectKind.choices, default=ProjectKind.MINE)
    country = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects_located")
    sponsors = models.ManyToManyField(Organisation, blank=True, related_name="projects_sponsored")
    minerals = models.JSONField(default=list, blank=True, help_text=_('e.g. ["gallium"], ["NdPr", "Dy"]'))
    stage = models.CharField(max_length=20, choices=ProjectStage.choices, default=ProjectStage.IDENTIFIED)
    capacity = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    capacity_unit = models.CharField(max_length=40, blank=True, help_text=_("e.g. t/yr of contained metal"))
    offtake = models.TextField(blank=True, help_text=_("Offtake agreements and buyers."))
    financing = models.TextField(blank=True, help_text=_("Financing committed or sought, and by whom."))
    financing_usd = models.DecimalField(max_digits=16, decimal_places=0, null=True, blank=True)
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="projects")
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=ProjectStage.values), name="project_stage_valid"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=0), name="project_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommitmentQuerySet(models.QuerySet["Commitment"]):
    def open(self) -> Self:
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, *, today: date) -> Self:
        """Commitments with at least one deadline past due and still open."""
        return self.filter(Exists(Deadline.objects.overdue(today=today).filter(commitment=OuterRef("pk"))))

    def owned_by(self, organisations: Organisation | Iterable[Organisation]) -> Self:
        """Commitments owed by the organisation (or by any of several: a desk officer's portfolio)."""
        orgs = [organisations] if isinstance(organisations, Organisation) else list(organisations)
        return self.filter(pk__in=CommitmentOwner.objects.filter(organisation__in=orgs).values("commitment"))

    def awaiting_verification(self) -> Self:
        """Commitments with a party's "completed" reported by a partner and not yet accepted or returned."""
        # A claim that staff overtook by completing the party themselves waits for nobody.
        claims = CommitmentOwner.objects.filter(commitment=OuterRef("pk"), completion_reported_at__isnull=False)
        return self.filter(Exists(claims.exclude(status__in=DONE_STATUSES)))

    def with_last_update(self) -> Self:
        """Annotate `last_update_on`: the day of the latest status update, else the day it was entered."""
        latest = StatusUpdate.objects.filter(commitment=OuterRef("pk")).order_by("-happened_on").values("happened_on")
        return self.annotate(last_update_on=Coalesce(Subquery(latest[:1]), TruncDate("created_at")))

    def quiet(self, *, today: date) -> Self:
        """Open commitments with no status update for longer than their window (by priority; the framework's
        reminder policy overrides the defaults), with or without a deadline (`Commitment.is_quiet` for one)."""
        from followups.reminders.models import ReminderPolicy

        condition = Q()
        overridden: dict[str, list[int]] = {p: [] for p in DEFAULT_QUIET_DAYS}
        for policy in ReminderPolicy.objects.filter(framework__isnull=False):
            for priority in DEFAULT_QUIET_DAYS:
                days = getattr(policy, f"quiet_days_{priority}")
                if days:
                    overridden[priority].append(policy.framework_id)
                    condition |= Q(
                        framework_id=policy.framework_id,
                        priority=priority,
                        last_update_on__lt=today - timedelta(days=days),
                    )
        for priority, days in DEFAULT_QUIET_DAYS.items():
            condition |= Q(priority=priority, last_update_on__lt=today - timedelta(days=days)) & ~Q(
                framework_id__in=overridden[priority]
            )
        return self.open().with_last_update().filter(condition)

    def in_portfolio(self, user: AbstractBaseUser) -> Self:
        """Commitments owed by the organisations a desk officer follows (none for other users)."""
        return self.filter(
            pk__in=CommitmentOwner.objects.filter(organisation__desk_officers__user=user).values("commitment")
        )

    def visible_to(self, organisation: Organisation | None) -> Self:
        """What a partner may read (None: staff, all): commitments under the frameworks it can see, and every
        commitment it owns. The API, the webhooks and the tasks start from this."""
        if organisation is None:
            return self.all()
        frameworks = Framework.objects.visible_to(organisation).values("pk")
        return self.filter(Q(framework__in=frameworks) | Q(pk__in=self.owned_by(organisation).values("pk")))

    def reportable_by(self, organisation: Organisation | None) -> Self:
        """What a partner may record progress on (None: staff, all): the commitments its organisation owes."""
        return self.all() if organisation is None else self.owned_by(organisation)


class Commitment(Sourced):
    """Something one or more parties undertook under a framework, with owners, deadlines and a status.

    `status` is the commitment's overall status. When several parties owe it, each owner has its own
    status (`CommitmentOwner.status`) and the overall one is rolled up from theirs by
    `services.commitment_update_status`.
    """

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="commitments")
    title = models.TextField()
    category = models.CharField(max_length=40, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    status_basis = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("'sourced' or 'illustrative': where the loaded status came from."),
    )
    owners = models.ManyToManyField(Organisation, through="CommitmentOwner", related_name="commitments_owned")
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="commitments", help_text=_("Responsible points of contact.")
    )
    working_group = models.ForeignKey(
        WorkingGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    projects = models.ManyToManyField(Project, blank=True, related_name="commitments")
    review_every = models.CharField(
        max_length=20, blank=True, help_text=_("A review cadence with no dated anchor, such as P6M.")
    )
    # The dataset's `recurrence.basis`: where the repetition (review_every or the deadline's RRULE) comes from.
    recurrence_basis = models.CharField(
        max_length=20, blank=True, help_text=_("text, reported, template or illustrative")
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)  # partners sync with updated_since

    history = TrackedHistory(excluded_fields=["illustrative_fields", "updated_at"])
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="commitment_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="commitment_priority_valid"),
        ]
        indexes = [
            # Dashboard counts and list filters by status within a framework.
            models.Index(fields=["framework", "status"], name="commitment_framework_status"),
            models.Index(fields=["status", "priority"], name="commitment_status_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title[:80]}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def last_update(self) -> date:
        """The day of the latest status update, else the day it was entered (annotated by `with_last_update`)."""
        annotated = getattr(self, "last_update_on", None)
        if annotated is not None:
            return annotated
        latest = self.status_updates.order_by("-happened_on").values_list("happened_on", flat=True).first()
        self.last_update_on = latest or timezone.localtime(self.created_at).date()  # read once per instance
        return self.last_update_on

    def days_since_update(self, *, today: date | None = None) -> int:
        return ((today or timezone.localdate()) - self.last_update).days

    def quiet_window(self) -> tuple[int, int]:
        """(days without an update before it has gone quiet, grace days before its desk officers hear): the
        framework's reminder policy, else DEFAULT_QUIET_DAYS by priority and DEFAULT_QUIET_GRACE_DAYS."""
        from django.core.exceptions import ObjectDoesNotExist

        window, grace = DEFAULT_QUIET_DAYS.get(self.priority, DEFAULT_QUIET_DAYS["normal"]), DEFAULT_QUIET_GRACE_DAYS
        try:
            policy = self.framework.reminder_policy
        except ObjectDoesNotExist:
            return window, grace
        return getattr(policy, f"quiet_days_{self.priority}", None) or window, policy.quiet_grace_days or grace

    def is_quiet(self, *, today: date | None = None) -> bool:
        return not self.is_closed and self.days_since_update(today=today) > self.quiet_window()[0]


class CommitmentOwner(models.Model):
    """One party that owes a commitment, with that party's own status."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="ownerships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ownerships")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # A partner's "completed" is a claim (DESIGN.md): the party's status stays as it was, so the roll-up and the
    # deadlines do not move, until staff accept it (services.commitment_completion_accept) or return it.
    completion_reported_at = models.DateTimeField(null=True, blank=True)
    completion_reported_on = models.DateField(null=True, blank=True, help_text=_("When it was done, as reported."))
    completion_reported_by = models.CharField(max_length=200, blank=True, help_text=_("Who reported it, in words."))
    completion_reported_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reporter's own login, if any (a contact with a staff account): never the verifier.
    completion_reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = TrackedHistory()

    class Meta:
        ordering = ["commitment", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "organisation"], name="commitment_owner_unique"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="commitment_owner_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_status_display()}"

    @property
    def awaiting_verification(self) -> bool:
        """A partner reported it complete and staff have neither answered nor completed it themselves."""
        return self.completion_reported_at is not None and self.status not in DONE_STATUSES

    @property
    def last_update(self) -> date:
        """The day of the latest status update for this owner (or for the whole commitment), else the day the
        commitment was entered."""
        latest = (
            StatusUpdate.objects.filter(commitment_id=self.commitment_id)
            .filter(Q(owner_id=self.organisation_id) | Q(owner__isnull=True))
            .order_by("-happened_on")
            .values_list("happened_on", flat=True)
            .first()
        )
        return latest or timezone.localtime(self.commitment.created_at).date()

    def days_since_update(self, *, today: date | None = None) -> int:
        return ((today or timezone.localdate()) - self.last_update).days


class AnchorKind(models.TextChoices):
    FRAMEWORK_SIGNED = "framework_signed", _("Framework signed")
    FRAMEWORK_EFFECTIVE = "framework_effective", _("Framework in force")
    MILESTONE = "milestone", _("Milestone")
    EVENT = "event", _("Event")
    DEADLINE_DUE = "deadline_due", _("Another deadline's due date")
    DEADLINE_COMPLETED = "deadline_completed", _("Another deadline's completion")
    FIXED = "fixed", _("Fixed date")
    # Each party's own date (its accession, else the framework's signature): one deadline per party, generated
    # from a PartyClock (services.deadline_rule_per_party_apply).
    PARTY_JOINED = "party_joined", _("A party's own signature or accession")


@dataclass(frozen=True)
class Anchor:
    """What an anchor kind points at: the deadline's foreign key, and the date (and estimation) of its target."""

    field: str
    date: Callable[[Any], date | None]
    estimated: Callable[[Any], bool] | None = None  # None: the rule's own `anchor_estimated` flag says


# The anchor kinds (a fixed date has none): the deadline's foreign key that names the anchor, and the date it stands
# on. Deadline.ANCHORS; the constraint `deadline_anchor_present` is written out from it.
ANCHORS: dict[str, Anchor] = {
    AnchorKind.FRAMEWORK_SIGNED: Anchor("anchor_framework", lambda fw: fw.signed_on),
    AnchorKind.FRAMEWORK_EFFECTIVE: Anchor("anchor_framework", lambda fw: fw.effective_on or fw.signed_on),
    AnchorKind.MILESTONE: Anchor("anchor_milestone", lambda m: m.date),
    AnchorKind.EVENT: Anchor("anchor_event", lambda e: e.date),
    AnchorKind.DEADLINE_DUE: Anchor("anchor_deadline", lambda d: d.due_on),
    AnchorKind.DEADLINE_COMPLETED: Anchor("anchor_deadline", lambda d: d.completed_on),
    # A date known only to the month counts as the latest day it allows, and the deadline is marked estimated.
    AnchorKind.PARTY_JOINED: Anchor("anchor_party", lambda p: p.own_date, lambda p: p.own_date_estimated),
}


def _anchor_present() -> Q:
    """The foreign key an anchor kind names is set (a fixed date needs none)."""
    by_field: dict[str, list[str]] = {}
    for kind, anchor in ANCHORS.items():
        by_field.setdefault(anchor.field, []).append(str(kind))
    condition = Q(anchor_kind=AnchorKind.FIXED.value)
    for field, kinds in by_field.items():
        condition |= Q(anchor_kind__in=kinds, **{f"{field}__isnull": False})
    return condition


# A deadline rule's bases that are not a sourced fact (DeadlineQuerySet.sourced, Deadline.provenance).
UNSOURCED_BASES = ("illustrative", "template")


class DeadlineQuerySet(models.QuerySet["Deadline"]):
    def open(self) -> Self:
        return self.filter(completed_on__isnull=True, cancelled=False)

    def overdue(self, *, today: date) -> Self:
        return self.open().filter(due_on__lt=today)

    def due_between(self, start: date, end: date) -> Self:
        return self.filter(due_on__gte=start, due_on__lte=end)

    def sourced(self) -> Self:
        """Deadlines that are facts: a rule stated in the text or reported, of a commitment that is not invented
        (a rule copied from a sister instrument, 'template', is not verified for this one)."""
        return self.exclude(basis__in=UNSOURCED_BASES).exclude(commitment__illustrative=True)

    def anchored_on(self, obj: models.Model) -> Self:
        """The deadlines whose rule uses `obj` (a framework, milestone, event, party or deadline) as its anchor."""
        fields = {a.field for a in Deadline.ANCHORS.values()}
        field = next(f for f in fields if isinstance(obj, Deadline._meta.get_field(f).related_model or ()))
        return self.filter(**{field: obj})


class Deadline(models.Model):
    """What a commitment must meet by when: a rule (anchor + ISO-8601 offset), and the due date it yields.

    `original_due_on` is what the rule computes and is never overwritten by an extension; an extension
    sets `extended_due_on` with a reason. `due_on` is the date in force (the extension, else the rule; for
    a recurring obligation, the current occurrence) and is stored so that indexes can serve "what is due".
    """

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="deadlines")
    title = models.CharField(max_length=300, blank=True)

    anchor_kind = models.CharField(max_length=20, choices=AnchorKind.choices)
    anchor_framework = models.ForeignKey(
        Framework, null=True, blank=True, on_delete=models.PROTECT, related_name="anchored_deadlines"
    )
    anchor_milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="anchored_deadlines"
    )
    anchor_event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="anchored_deadlines"
    )
    anchor_deadline = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependent_deadlines"
    )
    # A party's own clock: goes with the party (a party removed from the framework owes nothing by its date).
    anchor_party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.CASCADE, related_name="anchored_deadlines"
    )
    # The per-party rule this deadline was generated from (one deadline per rule and party).
    party_clock = models.ForeignKey(
        "followups.PartyClock", null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    anchor_date = models.DateField(help_text=_("The anchor's date when the due date was last computed."))
    anchor_estimated = models.BooleanField(default=False)
    offset = models.CharField(max_length=20, blank=True, help_text=_("ISO-8601: P6M, P180D, P1Y; blank for none."))
    recurrence = models.CharField(max_length=60, blank=True, help_text=_("RRULE such as FREQ=MONTHLY;INTERVAL=3."))
    # For a recurring obligation: how many occurrences are behind us; due_on is occurrence number this.
    occurrence_index = models.PositiveIntegerField(default=0)
    basis = models.CharField(max_length=20, blank=True, help_text=_("text, reported, template or illustrative"))
    # The periodic review its commitment's `review_every` calls for (services.commitment_schedule_review).
    is_review = models.BooleanField(default=False, editable=False)

    original_due_on = models.DateField(help_text=_("Computed from the rule (the first occurrence if recurring)."))
    extended_due_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    due_on = models.DateField(help_text=_("The due date in force."))
    completed_on = models.DateField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = TrackedHistory(excluded_fields=["updated_at"])
    objects = DeadlineQuerySet.as_manager()

    # The one table of anchor kinds (a fixed date has none): the foreign key that names the anchor and the date it
    # stands on. Used by the constraint below, `anchor_object`, `anchored_on` and services.deadline_anchor_date.
    ANCHORS: ClassVar[dict[str, Anchor]] = ANCHORS

    class Meta:
        ordering = ["due_on", "ref"]
        constraints = [
            models.CheckConstraint(condition=Q(anchor_kind__in=AnchorKind.values), name="deadline_anchor_kind_valid"),
            # The anchor named by the kind must be set (written out from the table ANCHORS).
            models.CheckConstraint(condition=_anchor_present(), name="deadline_anchor_present"),
            # One deadline per per-party rule and party.
            models.UniqueConstraint(
                fields=["party_clock", "anchor_party"],
                condition=Q(party_clock__isnull=False),
                name="deadline_one_per_clock_and_party",
            ),
            models.CheckConstraint(
                condition=~Q(anchor_deadline=models.F("pk")), name="deadline_not_anchored_on_itself"
            ),
            # An extension moves the date later and says why; it never replaces the original.
            models.CheckConstraint(
                condition=Q(extended_due_on__isnull=True)
                | (Q(extended_due_on__gt=models.F("original_due_on")) & ~Q(extension_reason="")),
                name="deadline_extension_later_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(extended_due_on__isnull=True) | Q(due_on=models.F("extended_due_on")),
                name="deadline_due_on_is_extension",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence="") | Q(extended_due_on__isnull=False) | Q(due_on=models.F("original_due_on")),
                name="deadline_due_on_is_rule",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("original_due_on")), name="deadline_due_not_before_original"
            ),
        ]
        indexes = [
            # "What is due": open deadlines by due date (dashboard, reminder planner, lists' due filters).
            models.Index(
                fields=["due_on"],
                condition=Q(completed_on__isnull=True, cancelled=False),
                name="deadline_open_due_on",
            ),
            models.Index(fields=["commitment", "due_on"], name="deadline_commitment_due_on"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} due {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.completed_on is None and not self.cancelled

    @property
    def provenance(self) -> str:
        """'sourced', 'template' (copied from a sister instrument, not verified) or 'illustrative' (invented)."""
        if self.basis == "illustrative" or self.commitment.illustrative:
            return "illustrative"
        return "template" if self.basis == "template" else "sourced"

    def is_overdue(self, *, today: date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())

    @property
    def is_extended(self) -> bool:
        return self.extended_due_on is not None

    @property
    def met_original(self) -> bool | None:
        """Whether it was completed by the date the rule gave; None while not completed."""
        return None if self.completed_on is None else self.completed_on <= self.original_due_on

    @property
    def met_extended(self) -> bool | None:
        """Whether it was completed by the extended date; None if not completed or never extended."""
        if self.completed_on is None or self.extended_due_on is None:
            return None
        return self.completed_on <= self.extended_due_on

    @property
    def rule_text(self) -> str:
        """The rule in words, e.g. 'Framework signed (2025-10-20) + P6M, every FREQ=MONTHLY;INTERVAL=3'."""
        anchor = self.get_anchor_kind_display()
        anchor_obj = self.anchor_object
        if anchor_obj is not None:
            anchor += f" {getattr(anchor_obj, 'ref', anchor_obj)}"
        text = f"{anchor} ({self.anchor_date})"
        if self.offset:
            text += f" + {self.offset}"
        if self.recurrence:
            text += f", repeating {self.recurrence}"
        return text

    @property
    def anchor_object(self) -> models.Model | None:
        anchor = self.ANCHORS.get(self.anchor_kind)
        return getattr(self, anchor.field) if anchor else None

    def notice_days(self) -> tuple[list[int], list[int]]:
        """(days before, days overdue) at which this deadline is announced: its own reminder policy, else its
        framework's, else the defaults by priority; each list from the most specific policy that sets it.

        The one home of this rule: the reminder planner and the webhook planner both read it.
        """
        from django.core.exceptions import ObjectDoesNotExist

        commitment = self.commitment
        lead = HIGH_PRIORITY_LEAD_DAYS if commitment.priority == Priority.HIGH else DEFAULT_LEAD_DAYS
        overdue = DEFAULT_OVERDUE_DAYS
        for owner in (commitment.framework, self):  # the more specific last, so it wins
            try:
                policy = owner.reminder_policy
            except ObjectDoesNotExist:
                continue
            lead = policy.lead_days or lead
            overdue = policy.overdue_days or overdue
        return sorted({int(d) for d in lead}, reverse=True), sorted({int(d) for d in overdue})

    def repeat_overdue_days(self) -> int:
        """The interval of the overdue repeats after the last step: the most specific policy's, else 7 days."""
        from django.core.exceptions import ObjectDoesNotExist

        every = DEFAULT_REPEAT_OVERDUE_DAYS
        for owner in (self.commitment.framework, self):
            try:
                every = owner.reminder_policy.repeat_overdue_every_days or every
            except ObjectDoesNotExist:
                continue
        return every

    def offset_rule(self) -> Offset:
        return Offset.parse(self.offset)

    def recurrence_rule(self) -> Recurrence | None:
        return Recurrence.parse(self.recurrence) if self.recurrence else None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        for field, parse in (("offset", Offset.parse), ("recurrence", Recurrence.parse)):
            value = getattr(self, field)
            if value:
                try:
                    parse(value)
                except RuleError as exc:
                    errors[field] = str(exc)
        if errors:
            raise ValidationError(errors)


class PartyClock(models.Model):
    """A deadline rule that counts from each party's own date: "within six months of joining" gives every party of
    the framework its own due date and reminders (one Deadline per party, services.deadline_rule_per_party_apply).

    A party added later (in the admin or by the loader) gets its deadline in the same transaction
    (services.party_deadlines_plan).
    """

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="party_clocks")
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="party_clocks")
    title = models.CharField(max_length=300, blank=True)
    offset = models.CharField(max_length=20, help_text=_("ISO-8601: P6M, P180D, P1Y."))
    basis = models.CharField(max_length=20, blank=True, help_text=_("text, reported, template or illustrative"))
    acceding_only = models.BooleanField(
        default=True,
        help_text=_("Only parties with a date of their own (accessions), not the founding signatories."),
    )

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.offset} after each party's own date"

    def parties(self) -> models.QuerySet[Party]:
        """The parties this rule gives a deadline: signatories and chairs that have a date (their own, or, unless
        `acceding_only`, the framework's signature)."""
        parties = self.framework.parties.filter(role__in=[PartyRole.SIGNATORY, PartyRole.CHAIR])
        if self.acceding_only or self.framework.signed_on is None:
            parties = parties.filter(joined_on__isnull=False)
        return parties.select_related("organisation", "framework")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            Offset.parse(self.offset)
        except RuleError as exc:
            raise ValidationError({"offset": str(exc)}) from exc


class Completion(models.TextChoices):
    """What a timeline entry does to a partner's claim of completion (blank: an ordinary update)."""

    REPORTED = "reported", _("Reported complete, awaiting verification")
    VERIFIED = "verified", _("Completion verified")
    RETURNED = "returned", _("Completion returned")


# How partners are recorded as actors (agreements.partner_access.ApiKey.actor_label, a contact's signed link).
PARTNER_ACTOR_PREFIXES = ("API key ", "contact ")
COORDINATING_OFFICE = _("Coordinating office")


class StatusUpdate(models.Model):
    """One entry of a commitment's timeline: a status change (or a note) with who, when and evidence."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="status_updates")
    # The public id (API, webhooks): opaque, so that partners cannot count what others post.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The owning party this update is for; blank for the commitment as a whole."),
    )
    old_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=20, choices=Status.choices)
    completion = models.CharField(max_length=10, choices=Completion.choices, blank=True)
    note = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    happened_on = models.DateField(help_text=_("When it happened, which may be before it was recorded."))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who: a staff user, a partner's API key, or the system (the loader, a task), named in `actor`.
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=200, help_text=_("Who made the change, in words."))
    sources = models.ManyToManyField("agreements.Source", blank=True, related_name="+")

    class Meta:
        ordering = ["-happened_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(new_status__in=Status.values), name="status_update_status_valid"),
        ]
        indexes = [models.Index(fields=["commitment", "-created_at"], name="status_update_timeline")]

    def __str__(self) -> str:
        return f"{self.commitment.ref}: {self.old_status or '-'} -> {self.new_status} on {self.happened_on}"

    def actor_shown_to(self, organisation_id: int | None) -> str:
        """The author as a partner organisation (by id) may see it (None: staff, who see it as recorded).

        A partner sees its own keys and contacts by name, another partner's as that organisation, and staff,
        the loader and the system as the coordinating office: never a staff user's name.
        """
        if organisation_id is None:
            return self.actor
        if self.by_user_id is None and self.owner_id is not None and self.actor.startswith(PARTNER_ACTOR_PREFIXES):
            return self.actor if self.owner_id == organisation_id else self.owner.name
        return str(COORDINATING_OFFICE)


class OccurrenceOutcome(models.TextChoices):
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class DeadlineOccurrence(models.Model):
    """One occurrence of a recurring obligation (a quarterly meeting, a six-monthly review) and its outcome.

    Written by services.deadline_record_occurrence when staff mark the current occurrence met or missed; the
    deadline then moves on to the next one. Nobody edits these afterwards: they are the obligation's history.
    """

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="occurrences")
    index = models.PositiveIntegerField(help_text=_("0 for the first occurrence."))
    due_on = models.DateField()
    outcome = models.CharField(max_length=10, choices=OccurrenceOutcome.choices)
    happened_on = models.DateField(null=True, blank=True, help_text=_("When it was met (blank if missed)."))
    note = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=200)

    class Meta:
        ordering = ["deadline", "index"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "index"], name="deadline_occurrence_once"),
            models.CheckConstraint(condition=Q(outcome__in=OccurrenceOutcome.values), name="occurrence_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline.ref} #{self.index + 1} due {self.due_on}: {self.outcome}"


# Models kept in their capability's folder and registered with this app from here (the reminder outbox, its
# policies and preferences; partners' webhook endpoints and their delivery outbox).
from followups.loader.models import LoadBaseline  # noqa: E402
from followups.partner_links.models import (  # noqa: E402
    ContactPause,
    ContactPreferenceChange,
    InboundReply,
    InboundReplyStatus,
    PartnerLink,
    PartnerLinkPurpose,
    PartnerMessage,
    PartnerMessageKind,
    PartnerMessageStatus,
)
from followups.reminders.models import (  # noqa: E402
    ContactReminderPreference,
    Reminder,
    ReminderAcknowledgement,
    ReminderPolicy,
    ReminderStatus,
)
from followups.webhooks.models import (  # noqa: E402
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "CLOSED_STATUSES",
    "DEFAULT_LEAD_DAYS",
    "DEFAULT_OVERDUE_DAYS",
    "DEFAULT_QUIET_DAYS",
    "DEFAULT_QUIET_GRACE_DAYS",
    "DEFAULT_REPEAT_OVERDUE_DAYS",
    "DONE_STATUSES",
    "HIGH_PRIORITY_LEAD_DAYS",
    "LoadBaseline",
    "AnchorKind",
    "Category",
    "Commitment",
    "CommitmentOwner",
    "Completion",
    "ContactPause",
    "ContactPreferenceChange",
    "ContactReminderPreference",
    "InboundReply",
    "InboundReplyStatus",
    "Deadline",
    "PartyClock",
    "DeadlineOccurrence",
    "OccurrenceOutcome",
    "Priority",
    "PartnerLink",
    "PartnerLinkPurpose",
    "PartnerMessage",
    "PartnerMessageKind",
    "PartnerMessageStatus",
    "Project",
    "ProjectKind",
    "ProjectStage",
    "Reminder",
    "ReminderAcknowledgement",
    "ReminderPolicy",
    "ReminderStatus",
    "Status",
    "StatusUpdate",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEvent",
]
