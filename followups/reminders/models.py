"""The reminder outbox, reminder policies and contacts' preferences (DESIGN.md, "Reminders: the database is the
queue"). Re-exported by followups.models.

Each reminder to send is a row, written in the same transaction as the deadline change that calls for it
(followups.reminders.planner.reminders_plan). A tick claims due rows and workers send them; the row, not a broker
message, is the source of truth, so a lost or repeated Celery message never loses or doubles a reminder.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import ref_validator
from config.history import TrackedHistory
from followups.models.choices import Category, Priority

__all__ = [
    "ReminderStatus",
    "Reminder",
    "ReminderPolicy",
    "ContactReminderPreference",
    "ReminderAcknowledgement",
]


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class Reminder(models.Model):
    """One message to send: (deadline, recipient, kind), due at an instant in UTC.

    The recipient is a point of contact or, for escalations, a staff user (desk officer, coordinator).
    `kind` is "before_<days>", "overdue_<days>", "overdue_repeat_<n>" (the n-th repeat after the escalation steps,
    until someone acts), each prefixed "o<index>:" for a recurring obligation's later occurrences; or "quiet_<n>"
    for a commitment that has had no status update for n windows, which has no deadline (`commitment` only).
    PENDING -> SENDING (claimed by a tick, with a lease) ->
    SENT | FAILED; SKIPPED when its moment had long passed when it was planned (a deadline entered late)
    or an escalation nobody needed; CANCELLED when the deadline closed or the recipient acknowledged.
    """

    # Null only for a quiet-commitment nudge, which is about the commitment as a whole. No index of its own: the
    # unique reminder_contact_once leads with it and covers every row (the planner's and the timeline's look-ups
    # by deadline, and deleting a deadline).
    deadline = models.ForeignKey(
        "followups.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,
    )
    # Its foreign key's index: the quiet planner (quiet.py: commitment_id IN ... AND deadline_id IS NULL), the
    # acknowledgement's and the timeline's "commitment =" arm (acks.py, timeline.py), deleting a commitment.
    commitment = models.ForeignKey(
        "followups.Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # Its foreign key's index: the acknowledgement (acks.py: contact_id = ... AND pending), an organisation's
    # deactivation and a completion report (services: contact IN ...), deleting a contact.
    contact = models.ForeignKey(
        "agreements.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # Indexed by the partial index reminder_user below (most rows go to contacts and need no entry).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=40)
    # An escalation to a staff user: sent only if nobody acknowledged the overdue commitment.
    escalation = models.BooleanField(verbose_name=_("escalation"), default=False)
    due_at = models.DateTimeField(
        verbose_name=_("due at"), help_text=_("The instant it is due: the local time of day in the recipient's zone.")
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    # A late entry's one catch-up message (sent at once although its moment had passed).
    catch_up = models.BooleanField(verbose_name=_("catch up"), default=False)
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(
        verbose_name=_("next attempt at"), help_text=_("When a tick may claim it (due_at, or later after a failure).")
    )
    lease_expires_at = models.DateTimeField(verbose_name=_("lease expires at"), null=True, blank=True)
    # Changes at every claim: a worker holding an older claim (a redelivered Celery message) sends nothing.
    claim_token = models.CharField(verbose_name=_("claim token"), max_length=32, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    message_id = models.CharField(verbose_name=_("message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, user__isnull=True) | Q(contact__isnull=True, user__isnull=False),
                name="reminder_one_recipient",
            ),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"),
            # Not partial (NULLs are distinct, so rows to a staff user or without a deadline never conflict): it is
            # the index on deadline for every row too (the planner's look-ups, the timeline, deleting a deadline).
            models.UniqueConstraint(fields=["deadline", "contact", "kind"], name="reminder_contact_once"),
            models.UniqueConstraint(
                fields=["deadline", "user", "kind"], condition=Q(user__isnull=False), name="reminder_user_once"
            ),
            # reminder_user_once and the two below: uniqueness only (the planners' bulk_create ignore_conflicts).
            # Quiet-commitment nudges have no deadline: once per commitment, recipient and window.
            models.UniqueConstraint(
                fields=["commitment", "contact", "kind"],
                condition=Q(deadline__isnull=True, contact__isnull=False),
                name="reminder_quiet_contact_once",
            ),
            models.UniqueConstraint(
                fields=["commitment", "user", "kind"],
                condition=Q(deadline__isnull=True, user__isnull=False),
                name="reminder_quiet_user_once",
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=False) | Q(commitment__isnull=False), name="reminder_about_something"
            ),
        ]
        indexes = [
            # The tick's claim query (followups.reminders.reminders_claim): pending rows whose time has come...
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="reminder_pending_next_attempt"
            ),
            # ...and rows whose worker's lease expired (a worker died mid-batch).
            models.Index(fields=["lease_expires_at"], condition=Q(status="sending"), name="reminder_sending_lease"),
            # A staff user's reminders (escalations, digests; services' portfolio and deactivation look-ups).
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="reminder_user"),
            # No more: every claim moves a row from pending to sending, a change of an indexed column, so each
            # index (whose predicate holds) takes a new entry per claimed row (bench/RESULTS.md, "tick"): five for
            # a contact's row (primary key, the lease index, contact, commitment, reminder_contact_once). Each was
            # checked with EXPLAIN against the queries named beside it; the deadline's own index is gone
            # (reminder_contact_once serves its look-ups).
        ]

    def __str__(self) -> str:
        about = self.deadline_id or f"commitment {self.commitment_id}"
        return f"{self.kind} for {about} to {self.recipient_label} ({self.status})"

    @property
    def is_quiet_nudge(self) -> bool:
        return self.deadline_id is None

    @property
    def recipient_label(self) -> str:
        # A reminder goes to a contact or to a staff user (reminder_one_recipient).
        if self.contact is not None:
            return str(self.contact.email)
        if self.user is not None:
            return str(self.user.email or self.user.get_username())
        return ""


class ReminderPolicyQuerySet(models.QuerySet["ReminderPolicy"]):
    def general(self) -> list[ReminderPolicy]:
        """The policies for no one framework or deadline (the dataset's RP-...), least specific first: a planner
        reads them once and passes them to `Deadline.notice_days`."""
        rows = self.filter(framework__isnull=True, deadline__isnull=True)
        return sorted(rows, key=lambda p: (p.specificity, p.ref or ""))


class ReminderPolicy(models.Model):
    """Lead times overriding the priority defaults: for every deadline, for those of a category (meetings), a
    priority or repeating obligations (the dataset's reminder_policies, RP-...), for a whole framework or for one
    deadline.

    Each list comes from the most specific policy that sets it (Deadline.notice_days): a deadline's own, else its
    framework's, else the general policies that apply to it (by category, then repetition, then priority, then
    those for every deadline), else DEFAULT_LEAD_DAYS (or HIGH_PRIORITY_LEAD_DAYS for high-priority commitments)
    and DEFAULT_OVERDUE_DAYS. A blank field falls back the same way (DEFAULT_REPEAT_OVERDUE_DAYS,
    DEFAULT_QUIET_DAYS, DEFAULT_QUIET_GRACE_DAYS). The quiet windows are read from the framework's policy (a
    commitment may have no deadline).
    """

    # The dataset's id (RP-MEETING) for a loaded policy; blank for one set in the tracker for a framework or deadline.
    ref = models.CharField(
        verbose_name=_("ref"), max_length=40, unique=True, null=True, blank=True, validators=[ref_validator]
    )
    name = models.CharField(verbose_name=_("name"), max_length=200, blank=True)
    category = models.CharField(
        verbose_name=_("category"),
        max_length=30,
        choices=Category.choices,
        blank=True,
        help_text=_("Only the deadlines of commitments of this category (e.g. meetings); blank for any."),
    )
    priority = models.CharField(
        verbose_name=_("priority"),
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text=_("Only the deadlines of commitments of this priority; blank for any."),
    )
    recurring = models.BooleanField(
        verbose_name=_("recurring"),
        default=False,
        help_text=_("Only repeating obligations (a recurrence or a periodic review)."),
    )
    illustrative = models.BooleanField(
        verbose_name=_("illustrative"),
        default=False,
        help_text=_("Invented-but-plausible demo material, not a sourced fact."),
    )

    framework = models.OneToOneField(
        "agreements.Framework",
        verbose_name=_("framework"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminder_policy",
    )
    deadline = models.OneToOneField(
        "followups.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminder_policy",
    )
    lead_days = models.JSONField(
        verbose_name=_("lead days"),
        default=list,
        blank=True,
        help_text=_("Days before the due date, e.g. [30, 7, 1]; 0 for the day itself."),
    )
    overdue_days = models.JSONField(
        verbose_name=_("overdue days"),
        default=list,
        blank=True,
        help_text=_("Days after the due date for overdue escalation, e.g. [1, 7, 30]."),
    )
    repeat_overdue_every_days = models.PositiveSmallIntegerField(
        verbose_name=_("repeat overdue every days"),
        null=True,
        blank=True,
        help_text=_("After the last overdue step, repeat every this many days until someone acts (default 7)."),
    )
    quiet_days_high = models.PositiveSmallIntegerField(
        verbose_name=_("quiet days high"),
        null=True,
        blank=True,
        help_text=_("A high-priority commitment with no update this long has gone quiet (30)."),
    )
    quiet_days_normal = models.PositiveSmallIntegerField(
        verbose_name=_("quiet days normal"),
        null=True,
        blank=True,
        help_text=_("The same for normal priority (default 60)."),
    )
    quiet_days_low = models.PositiveSmallIntegerField(
        verbose_name=_("quiet days low"), null=True, blank=True, help_text=_("The same for low priority (default 90).")
    )
    quiet_grace_days = models.PositiveSmallIntegerField(
        verbose_name=_("quiet grace days"),
        null=True,
        blank=True,
        help_text=_("Days after nudging the contacts of a quiet commitment before its desk officers are (14)."),
    )

    history = TrackedHistory()
    objects = ReminderPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder policy")
        verbose_name_plural = _("reminder policies")
        constraints = [
            # For a framework, for a deadline, or (neither) general: never both.
            models.CheckConstraint(
                condition=Q(framework__isnull=True) | Q(deadline__isnull=True),
                name="reminder_policy_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(repeat_overdue_every_days__isnull=True) | Q(repeat_overdue_every_days__gte=1),
                name="reminder_policy_repeat_positive",
            ),
        ]

    def __str__(self) -> str:
        if self.framework_id or self.deadline_id:
            scope = f"framework {self.framework_id}" if self.framework_id else f"deadline {self.deadline_id}"
        else:
            scope = f"{self.ref or ''} {self.name}".strip() or "general"
        return f"{scope}: {self.lead_days} / overdue {self.overdue_days}"

    @property
    def specificity(self) -> tuple[bool, bool, bool]:
        """How narrow a general policy is: a category beats repetition, which beats a priority (RP-MEETING is a
        meeting's policy whatever its priority; the dataset's scheduled reminders say so)."""
        return (bool(self.category), self.recurring, bool(self.priority))

    def applies_to(self, deadline) -> bool:
        """Whether this policy's criteria (category, priority, repetition) take in the deadline."""
        commitment = deadline.commitment
        return (
            (not self.category or commitment.category == self.category)
            and (not self.priority or commitment.priority == self.priority)
            and (not self.recurring or bool(deadline.recurrence) or deadline.is_review)
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        for field in ("lead_days", "overdue_days"):
            days = getattr(self, field)
            if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 3660 for d in days):
                raise ValidationError({field: _("A list of whole numbers of days from 0, e.g. [30, 7, 1, 0].")})


class ContactReminderPreference(models.Model):
    """A point of contact's choice: single messages or one weekly digest; or no reminders at all."""

    contact = models.OneToOneField(
        "agreements.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="reminder_preference"
    )
    digest = models.BooleanField(
        verbose_name=_("digest"), default=False, help_text=_("One weekly digest (Monday morning) instead.")
    )
    muted = models.BooleanField(verbose_name=_("muted"), default=False, help_text=_("No reminders for this contact."))

    history = TrackedHistory()

    class Meta:
        verbose_name = _("contact reminder preference")
        verbose_name_plural = _("contact reminder preferences")

    def __str__(self) -> str:
        return f"{self.contact}: {'digest' if self.digest else 'single'}{', muted' if self.muted else ''}"


class ReminderAcknowledgement(models.Model):
    """A recipient clicked the signed link: no more reminders to them for that commitment.

    An acknowledgement by anyone after a deadline passed also stops its escalation to staff.
    """

    commitment = models.ForeignKey(
        "followups.Commitment",
        verbose_name=_("commitment"),
        on_delete=models.CASCADE,
        related_name="reminder_acknowledgements",
    )
    contact = models.ForeignKey(
        "agreements.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    reminder = models.ForeignKey(
        Reminder, verbose_name=_("reminder"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder acknowledgement")
        verbose_name_plural = _("reminder acknowledgements")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, user__isnull=True) | Q(contact__isnull=True, user__isnull=False),
                name="reminder_ack_one_recipient",
            ),
            models.UniqueConstraint(
                fields=["commitment", "contact"], condition=Q(contact__isnull=False), name="reminder_ack_contact_once"
            ),
            models.UniqueConstraint(
                fields=["commitment", "user"], condition=Q(user__isnull=False), name="reminder_ack_user_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id} acknowledged by {self.contact_id or self.user_id}"
