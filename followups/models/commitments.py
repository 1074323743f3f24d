"""Commitments and their owners. "Overdue" is never stored: it is derived from the open deadlines
(`CommitmentQuerySet.overdue`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import (
    Contact,
    Framework,
    Organisation,
    Sourced,
    WorkingGroup,
    framework_ids_visible_to,
    ref_validator,
)
from config.history import TrackedHistory
from followups.models.choices import (
    CLOSED_STATUSES,
    DEFAULT_QUIET_DAYS,
    DEFAULT_QUIET_GRACE_DAYS,
    DONE_STATUSES,
    Category,
    Priority,
    Status,
)
from followups.models.deadlines import Deadline
from followups.models.status_updates import StatusUpdate

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
        # Framework ids (never None: the policies are filtered on it).
        overridden: dict[str, list[int | None]] = {p: [] for p in DEFAULT_QUIET_DAYS}
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

    def in_portfolio(self, user: User) -> Self:
        """Commitments owed by the organisations a desk officer follows (none for other users)."""
        return self.filter(
            pk__in=CommitmentOwner.objects.filter(organisation__desk_officers__user=user).values("commitment")
        )

    def visible_to(self, organisation: Organisation | None) -> Self:
        """What a partner may read (None: staff, all): commitments under the frameworks it can see, and every
        commitment it owns. The API, the webhooks and the tasks start from this."""
        if organisation is None:
            return self.all()
        owed = CommitmentOwner.objects.filter(organisation=organisation).values("commitment")
        return self.filter(Q(framework__in=framework_ids_visible_to(organisation)) | Q(pk__in=owed))

    def reportable_by(self, organisation: Organisation | None) -> Self:
        """What a partner may record progress on (None: staff, all): the commitments its organisation owes."""
        return self.all() if organisation is None else self.owned_by(organisation)


# Closed (1) or open (0): the first key of the staff list's default order and of its index.
CLOSED_FIRST_KEY = models.Case(models.When(status__in=CLOSED_STATUSES, then=models.Value(1)), default=models.Value(0))
COMMITMENT_LIST_ORDER = (CLOSED_FIRST_KEY, models.F("next_due_on"), models.F("ref"))


class Commitment(Sourced):
    """Something one or more parties undertook under a framework, with owners, deadlines and a status.

    `status` is the commitment's overall status. When several parties owe it, each owner has its own
    status (`CommitmentOwner.status`) and the overall one is rolled up from theirs by
    `services.commitment_update_status`.
    """

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="commitments"
    )
    title = models.TextField(verbose_name=_("title"))
    category = models.CharField(
        verbose_name=_("category"), max_length=40, choices=Category.choices, default=Category.OTHER
    )
    priority = models.CharField(
        verbose_name=_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    status_basis = models.CharField(
        verbose_name=_("status basis"),
        max_length=20,
        blank=True,
        help_text=_("'sourced' or 'illustrative': where the loaded status came from."),
    )
    owners = models.ManyToManyField(
        Organisation, verbose_name=_("owners"), through="CommitmentOwner", related_name="commitments_owned"
    )
    contacts = models.ManyToManyField(
        Contact,
        verbose_name=_("contacts"),
        blank=True,
        related_name="commitments",
        help_text=_("Responsible points of contact."),
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
    )
    projects = models.ManyToManyField(
        "followups.Project", verbose_name=_("projects"), blank=True, related_name="commitments"
    )
    review_every = models.CharField(
        verbose_name=_("review every"),
        max_length=20,
        blank=True,
        help_text=_("A review cadence with no dated anchor, such as P6M."),
    )
    # The dataset's `recurrence.basis`: where the repetition (review_every or the deadline's RRULE) comes from.
    recurrence_basis = models.CharField(
        verbose_name=_("recurrence basis"),
        max_length=20,
        blank=True,
        help_text=_("text, reported, template or illustrative"),
    )
    note = models.TextField(verbose_name=_("note"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(
        verbose_name=_("updated at"), auto_now=True, db_index=True
    )  # partners sync with updated_since
    # The earliest due date of its open deadlines (None without one): derived, kept by the services in the
    # transaction of every deadline change (services.commitments_next_due_refresh), so that the lists sort by it
    # through an index instead of a subquery per commitment (issue 15).
    next_due_on = models.DateField(verbose_name=_("next due on"), null=True, blank=True, editable=False)

    history = TrackedHistory(excluded_fields=["illustrative_fields", "updated_at", "next_due_on"])
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="commitment_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="commitment_priority_valid"),
        ]
        indexes = [
            # Dashboard counts and list filters by status within a framework.
            models.Index(fields=["framework", "status"], name="commitment_framework_status"),
            models.Index(fields=["status", "priority"], name="commitment_status_priority"),
            # The staff list's default order (open first, the soonest next due, then ref): its first page is an
            # index scan and a limit. ASC puts NULLs last, as the list wants. Queries must order by
            # COMMITMENT_LIST_ORDER, the very same expressions.
            models.Index(*COMMITMENT_LIST_ORDER, name="commitment_list_order"),
        ]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title[:80]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """An existing commitment's save leaves `next_due_on` alone unless named in `update_fields`: only
        followups.next_due writes it, so an instance read before its deadlines changed cannot put an old date back."""
        if (
            not self._state.adding
            and not args
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = _SAVED_FIELDS
        super().save(*args, **kwargs)

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


_SAVED_FIELDS = [f.name for f in Commitment._meta.concrete_fields if not f.primary_key and f.name != "next_due_on"]


class CommitmentOwner(models.Model):
    """One party that owes a commitment, with that party's own status."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="ownerships"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="ownerships"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    status_changed_at = models.DateTimeField(verbose_name=_("status changed at"), null=True, blank=True)
    # A partner's "completed" is a claim (DESIGN.md): the party's status stays as it was, so the roll-up and the
    # deadlines do not move, until staff accept it (services.commitment_completion_accept) or return it.
    completion_reported_at = models.DateTimeField(verbose_name=_("completion reported at"), null=True, blank=True)
    completion_reported_on = models.DateField(
        verbose_name=_("completion reported on"), null=True, blank=True, help_text=_("When it was done, as reported.")
    )
    completion_reported_by = models.CharField(
        verbose_name=_("completion reported by"), max_length=200, blank=True, help_text=_("Who reported it, in words.")
    )
    completion_reported_contact = models.ForeignKey(
        Contact,
        verbose_name=_("completion reported contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The reporter's own login, if any (a contact with a staff account): never the verifier.
    completion_reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completion reported user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = TrackedHistory()

    class Meta:
        verbose_name = _("commitment owner")
        verbose_name_plural = _("commitment owners")
        ordering = ["commitment", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "organisation"], name="commitment_owner_unique"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="commitment_owner_status_valid"),
        ]
        indexes = [
            # The dashboard's count of completions awaiting verification reads the claims only.
            models.Index(
                fields=["commitment"],
                condition=Q(completion_reported_at__isnull=False),
                name="commitment_owner_claims",
            ),
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
        commitment was entered. `selectors.last_updates_annotate` sets it for a page's owners in one query."""
        annotated = getattr(self, "last_update_on", None)
        if annotated is not None:
            return annotated
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
