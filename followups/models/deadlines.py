"""Deadlines: a rule (an anchor, an offset, a recurrence) or a fixed date, each party's own clock, and the
state of each occurrence of a recurring deadline. The pure arithmetic is in followups.deadlines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import (
    Basis,
    Event,
    Framework,
    Milestone,
    Party,
    PartyRole,
    ref_validator,
)
from config.history import TrackedHistory
from followups.deadlines import Offset, Recurrence, RuleError
from followups.models.choices import (
    DEFAULT_LEAD_DAYS,
    DEFAULT_OVERDUE_DAYS,
    DEFAULT_REPEAT_OVERDUE_DAYS,
    HIGH_PRIORITY_LEAD_DAYS,
    Priority,
)

if TYPE_CHECKING:
    from followups.reminders.models import ReminderPolicy


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
        return self.filter(Deadline.provenance_q(Basis.SOURCED))

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

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    commitment = models.ForeignKey(
        "followups.Commitment", verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="deadlines"
    )
    title = models.CharField(verbose_name=_("title"), max_length=300, blank=True)

    anchor_kind = models.CharField(verbose_name=_("anchor kind"), max_length=20, choices=AnchorKind.choices)
    anchor_framework = models.ForeignKey(
        Framework,
        verbose_name=_("anchor framework"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="anchored_deadlines",
    )
    anchor_milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("anchor milestone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="anchored_deadlines",
    )
    anchor_event = models.ForeignKey(
        Event,
        verbose_name=_("anchor event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="anchored_deadlines",
    )
    anchor_deadline = models.ForeignKey(
        "self",
        verbose_name=_("anchor deadline"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependent_deadlines",
    )
    # A party's own clock: goes with the party (a party removed from the framework owes nothing by its date).
    anchor_party = models.ForeignKey(
        Party,
        verbose_name=_("anchor party"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="anchored_deadlines",
    )
    # The per-party rule this deadline was generated from (one deadline per rule and party).
    party_clock = models.ForeignKey(
        "followups.PartyClock",
        verbose_name=_("party clock"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadlines",
    )
    anchor_date = models.DateField(
        verbose_name=_("anchor date"), help_text=_("The anchor's date when the due date was last computed.")
    )
    anchor_estimated = models.BooleanField(verbose_name=_("anchor estimated"), default=False)
    offset = models.CharField(
        verbose_name=_("offset"), max_length=20, blank=True, help_text=_("ISO-8601: P6M, P180D, P1Y; blank for none.")
    )
    recurrence = models.CharField(
        verbose_name=_("recurrence"), max_length=60, blank=True, help_text=_("RRULE such as FREQ=MONTHLY;INTERVAL=3.")
    )
    # For a recurring obligation: how many occurrences are behind us; due_on is occurrence number this.
    occurrence_index = models.PositiveIntegerField(verbose_name=_("occurrence index"), default=0)
    basis = models.CharField(
        verbose_name=_("basis"), max_length=20, blank=True, help_text=_("text, reported, template or illustrative")
    )
    # The periodic review its commitment's `review_every` calls for (services.commitment_schedule_review).
    is_review = models.BooleanField(verbose_name=_("is review"), default=False, editable=False)

    original_due_on = models.DateField(
        verbose_name=_("original due on"), help_text=_("Computed from the rule (the first occurrence if recurring).")
    )
    extended_due_on = models.DateField(verbose_name=_("extended due on"), null=True, blank=True)
    extension_reason = models.TextField(verbose_name=_("extension reason"), blank=True)
    due_on = models.DateField(verbose_name=_("due on"), help_text=_("The due date in force."))
    completed_on = models.DateField(verbose_name=_("completed on"), null=True, blank=True)
    cancelled = models.BooleanField(verbose_name=_("cancelled"), default=False)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True, db_index=True)

    history = TrackedHistory(excluded_fields=["updated_at"])
    objects = DeadlineQuerySet.as_manager()

    # The one table of anchor kinds (a fixed date has none): the foreign key that names the anchor and the date it
    # stands on. Used by the constraint below, `anchor_object`, `anchored_on` and services.deadline_anchor_date.
    ANCHORS: ClassVar[dict[str, Anchor]] = ANCHORS

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
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
            # "What is due": open deadlines by due date (dashboard, reminder planner, lists' due filters). With the
            # reference, the order of the dashboard's next and missed deadlines: eight rows read, not a day's worth.
            models.Index(
                fields=["due_on", "ref"],
                condition=Q(completed_on__isnull=True, cancelled=False),
                name="deadline_open_due_on_ref",
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
        """'sourced', 'template' (copied from a sister instrument, not verified) or 'illustrative' (invented): the
        rule's own basis, and illustrative whatever it says when its commitment is invented. `provenance_q` in SQL.
        """
        if self.basis == Basis.ILLUSTRATIVE or self.commitment.illustrative:
            return Basis.ILLUSTRATIVE.value
        return Basis.TEMPLATE.value if self.basis == Basis.TEMPLATE else Basis.SOURCED.value

    @classmethod
    def provenance_q(cls, basis: str) -> Q:
        """The deadlines whose `provenance` is `basis`, as a filter."""
        invented = Q(basis=Basis.ILLUSTRATIVE) | Q(commitment__illustrative=True)
        if basis == Basis.ILLUSTRATIVE:
            return invented
        if basis == Basis.TEMPLATE:
            return Q(basis=Basis.TEMPLATE) & ~invented
        return ~Q(basis__in=UNSOURCED_BASES) & ~invented if basis == Basis.SOURCED else Q(pk__in=[])

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

    def reminder_policies(self, general: Sequence[ReminderPolicy] | None = None) -> list[ReminderPolicy]:
        """The policies that apply to this deadline, the least specific first: the general ones whose criteria
        take it in (by category, repetition, priority: ReminderPolicy.specificity), its framework's, its own.
        `general` is ReminderPolicy.objects.general(), read once by a planner (else read here: one query)."""
        from django.core.exceptions import ObjectDoesNotExist

        from followups.reminders.models import ReminderPolicy

        if general is None:
            general = ReminderPolicy.objects.general()
        policies = [p for p in general if p.applies_to(self)]
        for owner in (self.commitment.framework, self):  # the more specific last, so it wins
            try:
                policies.append(owner.reminder_policy)
            except ObjectDoesNotExist:
                continue
        return policies

    def notice_days(self, general: Sequence[ReminderPolicy] | None = None) -> tuple[list[int], list[int]]:
        """(days before, days overdue) at which this deadline is announced: each list from the most specific
        policy that sets it (`reminder_policies`), else the defaults by priority. 0 days before is the day itself.

        The one home of this rule: the reminder planner and the webhook planner both read it.
        """
        commitment = self.commitment
        lead = HIGH_PRIORITY_LEAD_DAYS if commitment.priority == Priority.HIGH else DEFAULT_LEAD_DAYS
        overdue = DEFAULT_OVERDUE_DAYS
        for policy in self.reminder_policies(general):
            lead = policy.lead_days or lead
            overdue = policy.overdue_days or overdue
        return sorted({int(d) for d in lead}, reverse=True), sorted({int(d) for d in overdue})

    def repeat_overdue_days(self, general: Sequence[ReminderPolicy] | None = None) -> int:
        """The interval of the overdue repeats after the last step: the most specific policy's, else 7 days."""
        every = DEFAULT_REPEAT_OVERDUE_DAYS
        for policy in self.reminder_policies(general):
            every = policy.repeat_overdue_every_days or every
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

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    commitment = models.ForeignKey(
        "followups.Commitment", verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="party_clocks"
    )
    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.CASCADE, related_name="party_clocks"
    )
    title = models.CharField(verbose_name=_("title"), max_length=300, blank=True)
    offset = models.CharField(verbose_name=_("offset"), max_length=20, help_text=_("ISO-8601: P6M, P180D, P1Y."))
    basis = models.CharField(
        verbose_name=_("basis"), max_length=20, blank=True, help_text=_("text, reported, template or illustrative")
    )
    acceding_only = models.BooleanField(
        verbose_name=_("acceding only"),
        default=True,
        help_text=_("Only parties with a date of their own (accessions), not the founding signatories."),
    )

    class Meta:
        verbose_name = _("party clock")
        verbose_name_plural = _("party clocks")
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


class OccurrenceOutcome(models.TextChoices):
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class DeadlineOccurrence(models.Model):
    """One occurrence of a recurring obligation (a quarterly meeting, a six-monthly review) and its outcome.

    Written by services.deadline_record_occurrence when staff mark the current occurrence met or missed; the
    deadline then moves on to the next one. Nobody edits these afterwards: they are the obligation's history.
    """

    deadline = models.ForeignKey(
        Deadline, verbose_name=_("deadline"), on_delete=models.CASCADE, related_name="occurrences"
    )
    index = models.PositiveIntegerField(verbose_name=_("index"), help_text=_("0 for the first occurrence."))
    due_on = models.DateField(verbose_name=_("due on"))
    outcome = models.CharField(verbose_name=_("outcome"), max_length=10, choices=OccurrenceOutcome.choices)
    happened_on = models.DateField(
        verbose_name=_("happened on"), null=True, blank=True, help_text=_("When it was met (blank if missed).")
    )
    note = models.TextField(verbose_name=_("note"), blank=True)
    evidence_url = models.URLField(verbose_name=_("evidence url"), max_length=500, blank=True)
    evidence_file = models.FileField(verbose_name=_("evidence file"), upload_to="evidence/%Y/%m/", blank=True)
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField(verbose_name=_("actor"), max_length=200)

    class Meta:
        verbose_name = _("deadline occurrence")
        verbose_name_plural = _("deadline occurrences")
        ordering = ["deadline", "index"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "index"], name="deadline_occurrence_once"),
            models.CheckConstraint(condition=Q(outcome__in=OccurrenceOutcome.values), name="occurrence_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline.ref} #{self.index + 1} due {self.due_on}: {self.outcome}"
