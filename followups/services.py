"""Every change to commitments and deadlines goes through these functions.

The staff pages, the admin, the API, the loader and the Celery tasks all call them, so the rules (status
roll-up, deadline recomputation, history) hold whichever door a change comes through. Each function owns
its transaction and says whether it is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone

from agreements.models import (
    Basis,
    Contact,
    Event,
    Framework,
    FrameworkStatus,
    Milestone,
    Organisation,
    Party,
    Source,
    StaffProfile,
)
from config.history import PARTNER_KINDS, ActorKind
from followups.deadlines import RuleError
from followups.models import (
    CLOSED_STATUSES,
    DONE_STATUSES,
    AnchorKind,
    Commitment,
    CommitmentOwner,
    Completion,
    ContactReminderPreference,
    Deadline,
    DeadlineOccurrence,
    OccurrenceOutcome,
    PartyClock,
    Reminder,
    ReminderPolicy,
    ReminderStatus,
    Status,
    StatusUpdate,
    WebhookEvent,
)
from followups.next_due import commitments_next_due_refresh
from followups.reminders.planner import reminders_plan
from followups.reminders.quiet import quiet_plan
from followups.summary.counts import dashboard_summary_refresh, dashboard_summary_refresh_deferred
from followups.sync.scope import api_scope_changed
from followups.webhooks.planner import webhooks_plan_deadlines, webhooks_status_changed


@dataclass(frozen=True)
class DeadlineChange:
    """A due date that an anchor change moves (or would move): shown for confirmation, kept in history."""

    deadline: Deadline
    old_due_on: date
    new_due_on: date


def _actor_label(by_user: User | None, actor: str) -> str:
    if actor:
        return actor
    if by_user is not None:
        return f"user {by_user.get_username()}"
    return "system"


def _history_note(obj: models.Model, *, by_user: User | None, reason: str) -> None:
    """Who and why, for the history row django-simple-history writes at the object's next save or delete."""
    # simple_history reads these two attributes of the instance, which no model class declares.
    obj._history_user, obj._change_reason = by_user, reason  # type: ignore[attr-defined]


def save_with_history(obj: models.Model, *, by_user: User | None, actor: str, reason: str = "") -> None:
    """Save, recording who and why in the object's history (user, partner key or system)."""
    label = _actor_label(by_user, actor)
    _history_note(obj, by_user=by_user, reason=f"{label}: {reason}" if reason else label)
    obj.save()


# --- Deadline rules -------------------------------------------------------------------------------------


def deadline_anchor_date(deadline: Deadline) -> date:
    """The date the rule's anchor stands on now (the table Deadline.ANCHORS). Raises RuleError when the anchor has
    no date yet."""
    kind = deadline.anchor_kind
    if kind == AnchorKind.FIXED:
        return deadline.anchor_date
    anchor = Deadline.ANCHORS.get(kind)
    if anchor is None:
        raise RuleError(f"unknown anchor kind {kind!r}")
    target = getattr(deadline, anchor.field)
    value = anchor.date(target) if target is not None else None
    if value is None:
        raise RuleError(f"the anchor ({deadline.get_anchor_kind_display()} {deadline.anchor_object}) has no date yet")
    return value


def deadline_apply_rule(deadline: Deadline) -> None:
    """Recompute the deadline's anchor date, original due date and due date in force, in memory.

    Pure with respect to the database (the caller saves). Safe to run twice.
    """
    deadline.anchor_date = deadline_anchor_date(deadline)
    anchor = Deadline.ANCHORS.get(deadline.anchor_kind)
    if anchor is not None and anchor.estimated is not None:
        # The anchor knows whether its date is an estimate (a party's accession known only to the month).
        deadline.anchor_estimated = anchor.estimated(deadline.anchor_object)
    deadline.original_due_on = deadline.offset_rule().after(deadline.anchor_date)
    recurrence = deadline.recurrence_rule()
    if recurrence is not None:
        current = recurrence.occurrence(deadline.original_due_on, deadline.occurrence_index)
    else:
        current = deadline.original_due_on
    if deadline.extended_due_on is not None and deadline.extended_due_on <= current:
        # The rule now gives a date at or after the extension: the extension no longer extends anything.
        deadline.extended_due_on = None
        deadline.extension_reason = ""
    deadline.due_on = deadline.extended_due_on or current


def _dependents(anchors: Iterable[models.Model]) -> list[Deadline]:
    found: list[Deadline] = []
    for anchor in anchors:
        found.extend(
            Deadline.objects.anchored_on(anchor).select_related(
                "anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline", "anchor_party__framework"
            )
        )
        if isinstance(anchor, Framework):
            # A founding party's own date is the framework's signature: its per-party deadlines follow it.
            found.extend(
                Deadline.objects.filter(
                    anchor_party__framework=anchor, anchor_party__joined_on__isnull=True
                ).select_related("anchor_party__framework")
            )
    return found


def _recompute_dependents(
    anchor: models.Model, *, by_user: User | None, actor: str, reason: str
) -> list[DeadlineChange]:
    """Recompute every deadline that depends on `anchor`, directly or through other deadlines."""
    changes: list[DeadlineChange] = []
    seen: set[int] = set()
    queue = _dependents([anchor])
    while queue:
        deadline = queue.pop(0)
        if deadline.pk in seen:
            raise RuleError(f"deadline {deadline.ref} depends on itself through its anchors")
        seen.add(deadline.pk)
        old = (deadline.due_on, deadline.anchor_date, deadline.original_due_on)
        deadline_apply_rule(deadline)
        if (deadline.due_on, deadline.anchor_date, deadline.original_due_on) != old:
            save_with_history(deadline, by_user=by_user, actor=actor, reason=reason)
            changes.append(DeadlineChange(deadline=deadline, old_due_on=old[0], new_due_on=deadline.due_on))
        queue.extend(_dependents([deadline]))
    if changes:
        deadlines_changed([c.deadline for c in changes])
    return changes


def deadlines_changed(deadlines: list[Deadline]) -> None:
    """What follows every change that moves, closes or reopens deadlines, or changes who is to hear about them.

    Runs in the caller's transaction, so the outbox rows commit or roll back with the change: the commitments'
    next due dates are recomputed, the reminders are planned again, and so are the partners'
    `deadline.approaching` webhooks. Inside
    `deadlines_changed_deferred` it only notes the deadlines, planned once at the block's end. Safe to run twice.
    """
    deferred = _deferred_deadlines.get()
    if deferred is not None:
        deferred.update(d.pk for d in deadlines if d.pk)
        return
    commitments_next_due_refresh(d.commitment_id for d in deadlines)
    reminders_plan(deadlines=deadlines)
    webhooks_plan_deadlines(deadlines=deadlines)
    dashboard_summary_refresh(d.commitment_id for d in deadlines)


# The deadlines changed inside `deadlines_changed_deferred` (None outside it), for this thread or task only.
_deferred_deadlines: ContextVar[set[int] | None] = ContextVar("deferred_deadlines", default=None)


@contextmanager
def deadlines_changed_deferred() -> Iterator[None]:
    """Run what follows changed deadlines once, at the end of a bulk change (the loader), for every deadline the
    block changed, instead of once per service call. Use inside the caller's transaction: if the block raises,
    nothing is planned (and the transaction rolls back). Safe to run twice."""
    deferred: set[int] = set()
    # The dashboard's counts too: every commitment the block and the planning below name, counted once at the end.
    with dashboard_summary_refresh_deferred():
        token = _deferred_deadlines.set(deferred)
        try:
            yield
        finally:
            _deferred_deadlines.reset(token)
        if deferred:
            deadlines_changed(list(Deadline.objects.filter(pk__in=deferred)))


@transaction.atomic
def commitments_recipients_changed(commitments: Iterable[Commitment]) -> None:
    """After owners, responsible contacts or a contact's address, language or zone changed: the reminders of
    these commitments' deadlines are planned again (new recipients get theirs, removed ones lose the pending)."""
    ids = [c.pk for c in commitments]
    if ids:
        deadlines_changed(list(Deadline.objects.filter(commitment_id__in=ids)))


class _Preview(Exception):
    """Raised to roll back a change made only to see its consequences."""


def _preview(change: Callable[[], list[DeadlineChange]]) -> list[DeadlineChange]:
    result: list[DeadlineChange] = []
    try:
        with transaction.atomic():
            result = change()
            raise _Preview
    except _Preview:
        pass
    return result


@transaction.atomic
def framework_change_dates(
    *,
    framework: Framework,
    signed_on: date | None,
    effective_on: date | None = None,
    by_user: User | None = None,
    actor: str = "",
    reason: str = "",
) -> list[DeadlineChange]:
    """Correct a framework's signature or entry-into-force date and recompute every dependent due date.

    One transaction: the framework, all dependent deadlines (transitively) and their reminders change
    together, or nothing does. Safe to run twice (the second run changes nothing).
    """
    framework.signed_on = signed_on
    framework.effective_on = effective_on
    try:
        framework.full_clean(exclude=["sources", "related"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    save_with_history(framework, by_user=by_user, actor=actor, reason=reason or "dates corrected")
    return _recompute_dependents(framework, by_user=by_user, actor=actor, reason=f"anchor {framework.ref} changed")


@transaction.atomic
def milestone_change_date(
    *,
    milestone: Milestone,
    new_date: date,
    by_user: User | None = None,
    actor: str = "",
    reason: str = "",
) -> list[DeadlineChange]:
    """Move a milestone and recompute every deadline anchored on it. Safe to run twice."""
    milestone.date = new_date
    save_with_history(milestone, by_user=by_user, actor=actor, reason=reason or "date corrected")
    return _recompute_dependents(milestone, by_user=by_user, actor=actor, reason=f"anchor {milestone.ref} changed")


@transaction.atomic
def event_change_date(
    *,
    event: Event,
    new_date: date,
    by_user: User | None = None,
    actor: str = "",
    reason: str = "",
) -> list[DeadlineChange]:
    """Move an event and recompute every deadline anchored on it. Safe to run twice."""
    event.date = new_date
    event.save()
    return _recompute_dependents(event, by_user=by_user, actor=actor, reason=f"anchor {event.ref} changed")


# The milestone kinds that record a framework's date (data/ministerial.json: a signing or a launch on the day the
# framework was signed): framework_change_dates_with_milestones moves them with a correction of that date.
MILESTONE_KINDS_OF_DATE = {"signed_on": ("signing", "launch"), "effective_on": ("entry_into_force",)}


def framework_date_milestones(
    *, framework: Framework, field: str, on: date | None
) -> tuple[list[Milestone], list[Milestone]]:
    """The milestones of `framework` that record its `field` date (a signing on the day it was signed): those of
    this framework alone, which move with a correction; and those shared with other frameworks, which keep their
    date (it may be right for the others), with `other_frameworks` set to the others' refs."""
    kinds = MILESTONE_KINDS_OF_DATE.get(field, ())
    if on is None or not kinds:
        return [], []
    recording = framework.milestones.filter(kind__in=kinds, date=on).values("pk")
    found = list(Milestone.objects.filter(pk__in=recording).prefetch_related("frameworks").order_by("ref"))
    moving: list[Milestone] = []
    kept: list[Milestone] = []
    for milestone in found:
        others = sorted(f.ref for f in milestone.frameworks.all() if f.pk != framework.pk)
        milestone.other_frameworks = others  # type: ignore[attr-defined]
        (kept if others else moving).append(milestone)
    return moving, kept


@transaction.atomic
def framework_change_dates_with_milestones(
    *,
    framework: Framework,
    signed_on: date | None,
    effective_on: date | None = None,
    by_user: User | None = None,
    actor: str = "",
    reason: str = "",
) -> list[DeadlineChange]:
    """Correct a framework's dates (framework_change_dates) and move with each the milestones that record it for
    this framework alone, with every deadline anchored on them; shared ones keep their date (the staff page says
    so: framework_date_milestones). One transaction. Safe to run twice. The staff page and the admin use it."""
    moving: list[tuple[Milestone, date]] = []
    for field, new in (("signed_on", signed_on), ("effective_on", effective_on)):
        old = getattr(framework, field)
        if new is not None and new != old:  # a date taken away leaves its milestone where it was
            moving += [(m, new) for m in framework_date_milestones(framework=framework, field=field, on=old)[0]]
    changes = framework_change_dates(
        framework=framework, signed_on=signed_on, effective_on=effective_on, by_user=by_user, actor=actor, reason=reason
    )
    for milestone, new in moving:
        changes += milestone_change_date(
            milestone=milestone,
            new_date=new,
            by_user=by_user,
            actor=actor,
            reason=reason or f"moved with {framework.ref}'s corrected date",
        )
    return changes


def anchor_change_preview(*, anchor: models.Model, new_date: date, field: str = "") -> list[DeadlineChange]:
    """Every deadline that moving `anchor` to `new_date` would move, old -> new; changes nothing.

    For a framework, `field` is 'signed_on' (default) or 'effective_on'.
    """

    def change() -> list[DeadlineChange]:
        if isinstance(anchor, Framework):
            # The form offers only the two dates; the milestones recording the date move with it, as when applied.
            dates = {"signed_on": anchor.signed_on, "effective_on": anchor.effective_on, field or "signed_on": new_date}
            return framework_change_dates_with_milestones(
                framework=anchor, signed_on=dates["signed_on"], effective_on=dates["effective_on"], actor="preview"
            )
        if isinstance(anchor, Milestone):
            return milestone_change_date(milestone=anchor, new_date=new_date, actor="preview")
        if isinstance(anchor, Event):
            return event_change_date(event=anchor, new_date=new_date, actor="preview")
        raise TypeError(f"cannot preview a change to {type(anchor).__name__}")

    original = {f.attname: getattr(anchor, f.attname) for f in anchor._meta.concrete_fields}
    try:
        return _preview(change)
    finally:
        for name, value in original.items():
            setattr(anchor, name, value)


@transaction.atomic
def deadline_save_rule(
    *, deadline: Deadline, by_user: User | None = None, actor: str = "", reason: str = ""
) -> list[DeadlineChange]:
    """Save a new or edited deadline rule: compute its dates, then everything anchored on it.

    The admin and the loader save deadlines through this. Safe to run twice.
    """
    stored = None
    if deadline.pk:
        stored = Deadline.objects.filter(pk=deadline.pk).values_list("due_on", "commitment_id").first()
    old, old_commitment = stored or (None, None)
    deadline.clean()
    deadline_apply_rule(deadline)
    save_with_history(deadline, by_user=by_user, actor=actor, reason=reason)
    changes = [DeadlineChange(deadline, old, deadline.due_on)] if old is not None and old != deadline.due_on else []
    if old_commitment not in (None, deadline.commitment_id):  # moved to another commitment: the one it left
        commitments_next_due_refresh([old_commitment])
        dashboard_summary_refresh([old_commitment])
    deadlines_changed([deadline])
    return changes + _recompute_dependents(
        deadline, by_user=by_user, actor=actor, reason=f"anchor {deadline.ref} changed"
    )


# --- A clock per party ----------------------------------------------------------------------------------------


def _party_deadline_ref(clock: PartyClock, party: Party) -> str:
    """DL-<the clock's ref without PC->-<the party's ISO code or ref>: DL-PAX-01-QA."""
    org = party.organisation
    return f"DL-{clock.ref.removeprefix('PC-')}-{org.iso_alpha2 or org.ref.removeprefix('ORG-')}"


def _party_deadline(clock: PartyClock, party: Party) -> Deadline:
    deadline = clock.deadlines.filter(anchor_party=party).first() or Deadline(
        ref=_party_deadline_ref(clock, party),
        commitment=clock.commitment,
        party_clock=clock,
        anchor_kind=AnchorKind.PARTY_JOINED,
        anchor_party=party,
    )
    deadline.title = clock.title or f"{clock.commitment.title[:200]} ({party.organisation.name})"
    deadline.offset = clock.offset
    deadline.basis = clock.basis
    return deadline


@transaction.atomic
def deadline_rule_per_party_apply(
    *, clock: PartyClock, by_user: User | None = None, actor: str = "", reason: str = ""
) -> list[Deadline]:
    """Give each party the clock concerns its own deadline (its own date + the clock's offset), update the ones
    that exist, and remove those of parties it no longer concerns; their reminders and webhooks follow.

    One transaction. Safe to run twice (the second run changes nothing).
    """
    clock.full_clean()
    clock.save()
    parties = list(clock.parties())
    if clock.deadlines.exclude(anchor_party__in=parties).delete()[0]:
        commitments_next_due_refresh([clock.commitment_id])
        dashboard_summary_refresh([clock.commitment_id])
        api_scope_changed()  # the changes feed tells partners their deadlines went
    deadlines = []
    for party in parties:
        deadline = _party_deadline(clock, party)
        deadline_save_rule(deadline=deadline, by_user=by_user, actor=actor, reason=reason or f"clock {clock.ref}")
        deadlines.append(deadline)
    return deadlines


@transaction.atomic
def party_deadlines_plan(*, party: Party, by_user: User | None = None, actor: str = "") -> list[Deadline]:
    """After a party was added or its own date changed: the per-party clocks of its framework give it its
    deadlines (or move them, with everything anchored on them); a party no clock concerns any more loses them.

    Runs in the caller's transaction (the admin's save, the loader's). Safe to run twice.
    """
    planned = []
    for clock in PartyClock.objects.filter(framework_id=party.framework_id).select_related("commitment"):
        if clock.parties().filter(pk=party.pk).exists():
            deadline = _party_deadline(clock, party)
            deadline_save_rule(deadline=deadline, by_user=by_user, actor=actor, reason=f"clock {clock.ref}")
            planned.append(deadline)
        elif clock.deadlines.filter(anchor_party=party).delete()[0]:
            commitments_next_due_refresh([clock.commitment_id])
            dashboard_summary_refresh([clock.commitment_id])
    return planned


@transaction.atomic
def party_clock_delete(*, clock: PartyClock, by_user: User | None = None, actor: str = "") -> None:
    """Remove a per-party clock (the admin) with the deadlines it gave, each as `deadline_delete` removes one:
    their reminders and partners' notices follow, and their commitment's next due date. Safe to run twice."""
    for deadline in Deadline.objects.filter(party_clock_id=clock.pk):
        deadline_delete(deadline=deadline, by_user=by_user, actor=actor)
    PartyClock.objects.filter(pk=clock.pk).delete()


@transaction.atomic
def party_save(*, party: Party, by_user: User | None = None, actor: str = "", reason: str = "") -> None:
    """Save a new or changed party (the admin, the loader) and plan its own deadlines in the same transaction.
    Safe to run twice."""
    party.full_clean(exclude=["sources"], validate_unique=False, validate_constraints=False)
    save_with_history(party, by_user=by_user, actor=actor, reason=reason)
    party_deadlines_plan(party=party, by_user=by_user, actor=actor)
    api_scope_changed()  # a party (or its illustrative flag) decides who sees the framework


@transaction.atomic
def party_delete(*, party: Party, by_user: User | None = None, actor: str = "") -> None:
    """Remove a party from its framework (the admin): its own deadlines go, and the framework with what hangs
    under it leaves the scope of partners who saw it only through this party (the changes feed says so).
    Safe to run twice."""
    current = Party.objects.filter(pk=party.pk).first()
    if current is None:
        return
    clocks = list(PartyClock.objects.filter(framework_id=current.framework_id))
    for clock in clocks:
        clock.deadlines.filter(anchor_party=current).delete()
    _history_note(current, by_user=by_user, reason=_actor_label(by_user, actor))
    current.delete()
    commitments_next_due_refresh(clock.commitment_id for clock in clocks)
    dashboard_summary_refresh([clock.commitment_id for clock in clocks])
    api_scope_changed()


@transaction.atomic
def deadline_extend(
    *,
    deadline: Deadline,
    new_due_on: date,
    reason: str,
    by_user: User | None = None,
    actor: str = "",
) -> list[DeadlineChange]:
    """Extend a deadline to a later date, keeping the date the rule gave. Safe to run twice."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the deadline is extended."})
    if new_due_on <= deadline.due_on:
        raise ValidationError({"new_due_on": f"The new date must be after the current due date {deadline.due_on}."})
    old = deadline.due_on
    deadline.extended_due_on = new_due_on
    deadline.extension_reason = reason.strip()
    deadline.due_on = new_due_on
    save_with_history(deadline, by_user=by_user, actor=actor, reason=f"extended: {reason.strip()}")
    deadlines_changed([deadline])
    changes = [DeadlineChange(deadline, old, new_due_on)] if old != new_due_on else []
    return changes + _recompute_dependents(
        deadline, by_user=by_user, actor=actor, reason=f"anchor {deadline.ref} extended"
    )


# --- Status ------------------------------------------------------------------------------------------------


def rollup_status(statuses: Iterable[str]) -> str:
    """The overall status of a commitment from its owners' statuses.

    All done -> completed (completed late if any was late); all cancelled -> cancelled; any at risk -> at
    risk; any started or done -> in progress; otherwise not started. Cancelled owners do not hold it back.
    """
    values = list(statuses)
    live = [s for s in values if s != Status.CANCELLED]
    if not values:
        return Status.NOT_STARTED
    if not live:
        return Status.CANCELLED
    if all(s in DONE_STATUSES for s in live):
        return Status.COMPLETED_LATE if Status.COMPLETED_LATE in live else Status.COMPLETED
    if Status.AT_RISK in live:
        return Status.AT_RISK
    if any(s != Status.NOT_STARTED for s in live):
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


@transaction.atomic
def commitment_update_status(
    *,
    commitment: Commitment,
    status: str,
    note: str = "",
    owner: Organisation | None = None,
    evidence_url: str = "",
    evidence_file: UploadedFile | None = None,
    happened_on: date | None = None,
    by_user: User | None = None,
    actor: str = "",
    actor_kind: ActorKind | None = None,
    source_refs: Iterable[str] = (),
) -> StatusUpdate:
    """Record a status change (for one owning party, or for the commitment as a whole) on the timeline.

    - With `owner`, only that party's status changes and the overall status is rolled up from all owners;
      without, every owner takes the new status. Completed with an open deadline already past on `happened_on`
      is recorded as completed late.
    - `actor_kind` is the door's (staff with `by_user`, else the system by default); a partner's (API key's or
      signed link's) completed is only reported: `commitment_completion_report`.
    - Done closes the open deadlines (completed on `happened_on`); cancelled cancels them; reopening reopens them;
      reminders and webhooks follow, in this transaction. Not idempotent: each call is one timeline entry.
    """
    commitment, ownerships, happened_on = _checked_and_locked(commitment, status, owner=owner, happened_on=happened_on)
    actor_kind = _actor_kind(by_user, actor_kind)
    if status in DONE_STATUSES and owner is not None and actor_kind in PARTNER_KINDS:
        return commitment_completion_report(  # a claim until staff verify it ("Claimed versus verified" below)
            commitment=commitment,
            owner=owner,
            note=note,
            evidence_url=evidence_url,
            evidence_file=evidence_file,
            happened_on=happened_on,
            actor=actor,
            actor_kind=actor_kind,
        )
    status = _status_as_recorded(commitment, ownerships, status, owner=owner, happened_on=happened_on)
    now = timezone.now()
    changed_owners = _owners_take_status(ownerships, status, owner=owner, now=now, by_user=by_user, actor=actor)
    update = StatusUpdate.objects.create(
        commitment=commitment,
        owner=owner,
        old_status=commitment.status,
        new_status=status,
        note=note.strip(),
        evidence_url=evidence_url,
        evidence_file=evidence_file or "",
        happened_on=happened_on,
        by_user=by_user,
        actor=_actor_label(by_user, actor),
        actor_kind=actor_kind,
    )
    if source_refs:
        update.sources.set(Source.objects.filter(ref__in=list(source_refs)))
    new_overall = rollup_status([o.status for o in ownerships]) if owner is not None else status
    basis_now_sourced = _status_now_reported(commitment, actor_kind)
    _commitment_takes_status(
        commitment,
        new_overall,
        happened_on=happened_on,
        now=now,
        by_user=by_user,
        actor=actor,
        basis_changed=basis_now_sourced,
    )
    webhooks_status_changed(update=update, changed_owners=changed_owners)
    quiet_plan(commitments=[commitment])  # an update restarts the quiet clock
    dashboard_summary_refresh([commitment.pk])  # its status, basis and last update
    return update


def _commitment_takes_status(
    commitment: Commitment,
    new_overall: str,
    *,
    happened_on: date,
    now: datetime,
    by_user: User | None,
    actor: str,
    basis_changed: bool = False,
) -> None:
    """Set the overall status (its deadlines follow: closed, cancelled or reopened); an unchanged status only
    marks the commitment updated, with a history record when its basis changed."""
    old_status = commitment.status
    if new_overall == old_status and not basis_changed:
        Commitment.objects.filter(pk=commitment.pk).update(updated_at=now)
        return
    commitment.status = new_overall
    reason = f"status {old_status} -> {new_overall}" if new_overall != old_status else "status reported"
    save_with_history(commitment, by_user=by_user, actor=actor, reason=reason)
    if new_overall != old_status:
        _sync_deadlines_with_status(commitment, new_overall, happened_on=happened_on, by_user=by_user, actor=actor)


def _status_now_reported(commitment: Commitment, actor_kind: ActorKind) -> bool:
    """A status recorded through the tracker rests on its timeline entry (who, when, note, evidence): it is no
    longer the dataset's illustrative guess, so the dashboard's sourced counts and the API's `status_basis` take
    it in. The loader's own entries keep the file's basis. True when the basis changed (the caller saves it, with
    its history record)."""
    if actor_kind == ActorKind.LOADER or commitment.status_basis == Basis.SOURCED:
        return False
    commitment.status_basis = Basis.SOURCED
    return True


def _actor_kind(by_user: User | None, actor_kind: ActorKind | None) -> ActorKind:
    """The kind of actor a door names; a signed-in staff user when there is one, else the system by default."""
    if by_user is not None:
        return ActorKind.USER
    return actor_kind or ActorKind.SYSTEM


def _checked_and_locked(
    commitment: Commitment, status: str, *, owner: Organisation | None, happened_on: date | None
) -> tuple[Commitment, list[CommitmentOwner], date]:
    """The commitment locked for the update, its owners and the day the update happened on, once the status is
    known, the day not ahead and `owner`, when given, one of the owners."""
    happened_on = _checked_status_and_date(status, happened_on)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    ownerships = list(commitment.ownerships.select_related("organisation"))
    if owner is not None and owner.pk not in {o.organisation_id for o in ownerships}:
        raise ValidationError({"owner": f"{owner} does not owe {commitment.ref}."})
    return commitment, ownerships, happened_on


def _checked_status_and_date(status: str, happened_on: date | None) -> date:
    """The day a status update happened on (today by default), once the status is known and the day not ahead."""
    if status not in Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}; use one of {', '.join(Status.values)}."})
    happened_on = happened_on or timezone.localdate()
    if happened_on > timezone.localdate():
        raise ValidationError({"happened_on": "A status update cannot be dated in the future."})
    return happened_on


def _status_as_recorded(
    commitment: Commitment,
    ownerships: list[CommitmentOwner],
    status: str,
    *,
    owner: Organisation | None,
    happened_on: date,
) -> str:
    """Completed with an open deadline already past is completed late; a repeated "completed" (a retry) never
    rewrites a late completion."""
    if status != Status.COMPLETED:
        return status
    if any(d.due_on < happened_on for d in commitment.deadlines.open()):
        return Status.COMPLETED_LATE
    targets = [o.status for o in ownerships if owner is None or o.organisation_id == owner.pk]
    if targets and all(t == Status.COMPLETED_LATE for t in targets):
        return Status.COMPLETED_LATE
    return status


def _owners_take_status(
    ownerships: list[CommitmentOwner],
    status: str,
    *,
    owner: Organisation | None,
    now: datetime,
    by_user: User | None,
    actor: str,
) -> list[tuple[CommitmentOwner, str]]:
    """Set the status of the owner concerned (or of every owner); returns each changed owner with its old status."""
    changed: list[tuple[CommitmentOwner, str]] = []
    for ownership in ownerships:
        if (owner is None or ownership.organisation_id == owner.pk) and ownership.status != status:
            changed.append((ownership, ownership.status))
            ownership.status = status
            ownership.status_changed_at = now
            save_with_history(ownership, by_user=by_user, actor=actor)
    return changed


def _sync_deadlines_with_status(
    commitment: Commitment, status: str, *, happened_on: date, by_user: User | None, actor: str
) -> None:
    changed: list[Deadline] = []
    for deadline in commitment.deadlines.all():
        if status in DONE_STATUSES and deadline.is_open:
            deadline.completed_on = happened_on
        elif status == Status.CANCELLED and deadline.is_open:
            deadline.cancelled = True
        elif status not in CLOSED_STATUSES and not deadline.is_open:
            deadline.completed_on = None
            deadline.cancelled = False
        else:
            continue
        save_with_history(deadline, by_user=by_user, actor=actor, reason=f"commitment {status}")
        changed.append(deadline)
    if changed:
        deadlines_changed(changed)
        for deadline in changed:
            _recompute_dependents(deadline, by_user=by_user, actor=actor, reason=f"anchor {deadline.ref} {status}")


@transaction.atomic
def deadline_record_occurrence(
    *,
    deadline: Deadline,
    outcome: str,
    note: str = "",
    evidence_url: str = "",
    evidence_file: UploadedFile | None = None,
    happened_on: date | None = None,
    by_user: User | None = None,
    actor: str = "",
) -> DeadlineOccurrence:
    """Record the current occurrence of a recurring obligation as met (with a note and evidence) or missed, keep
    it in the obligation's history, and move the deadline on to the next occurrence, which gets its own due date
    and its own reminders (their kinds carry the occurrence number; the old occurrence's pending ones are
    cancelled). What is anchored on the deadline follows.

    Not idempotent: each call records one occurrence and moves one on.
    """
    if outcome not in OccurrenceOutcome.values:
        raise ValidationError({"outcome": f"Use one of {', '.join(OccurrenceOutcome.values)}."})
    deadline = Deadline.objects.select_for_update().select_related("commitment").get(pk=deadline.pk)
    if not deadline.recurrence:
        raise ValidationError({"recurrence": f"{deadline.ref} does not repeat: complete it with a status update."})
    if not deadline.is_open:
        raise ValidationError({"deadline": f"{deadline.ref} is closed (completed or cancelled)."})
    today = timezone.localdate()
    if outcome == OccurrenceOutcome.MET:
        happened_on = happened_on or today
        if happened_on > today:
            raise ValidationError({"happened_on": "An occurrence cannot be met in the future."})
    else:
        happened_on = None
    occurrence = DeadlineOccurrence.objects.create(
        deadline=deadline,
        index=deadline.occurrence_index,
        due_on=deadline.due_on,
        outcome=outcome,
        happened_on=happened_on,
        note=note.strip(),
        evidence_url=evidence_url,
        evidence_file=evidence_file or "",
        by_user=by_user,
        actor=_actor_label(by_user, actor),
    )
    deadline.occurrence_index += 1
    deadline.extended_due_on = None
    deadline.extension_reason = ""
    deadline_apply_rule(deadline)
    reason = f"occurrence {occurrence.index + 1} (due {occurrence.due_on}) {outcome}; next due {deadline.due_on}"
    save_with_history(deadline, by_user=by_user, actor=actor, reason=reason)
    deadlines_changed([deadline])
    _recompute_dependents(deadline, by_user=by_user, actor=actor, reason=f"anchor {deadline.ref} moved on")
    return occurrence


def deadline_complete_occurrence(*, deadline: Deadline, by_user: User | None = None, actor: str = "") -> Deadline:
    """Mark the current occurrence as met (see `deadline_record_occurrence`). Not idempotent."""
    deadline_record_occurrence(deadline=deadline, outcome="met", by_user=by_user, actor=actor)
    deadline.refresh_from_db()
    return deadline


def _review_ref(commitment: Commitment) -> str:
    return f"{commitment.ref[:33]}-REVIEW"


@transaction.atomic
def commitment_schedule_review(
    *, commitment: Commitment, by_user: User | None = None, actor: str = ""
) -> Deadline | None:
    """Keep the periodic review deadline that the commitment's `review_every` (such as P6M) calls for: first due
    one period after its framework took effect (or was signed; else after the commitment was entered), then every
    period, met one occurrence at a time like any recurring obligation. Cleared or closed: the review is cancelled.

    Safe to run twice.
    """
    review = Deadline.objects.filter(commitment=commitment, is_review=True).first()
    every = commitment.review_every.strip()
    if not every or commitment.is_closed:
        if review is not None and review.is_open:
            review.cancelled = True
            save_with_history(review, by_user=by_user, actor=actor, reason="review no longer asked for")
            deadlines_changed([review])
        return review
    framework = commitment.framework
    anchored = framework.effective_on or framework.signed_on
    wanted = {
        "anchor_kind": AnchorKind.FRAMEWORK_EFFECTIVE if anchored else AnchorKind.FIXED,
        "anchor_framework": framework if anchored else None,
        "offset": every,
        "recurrence": every,
        # The review's rule is the dataset's repetition: as sourced as its `recurrence.basis` says.
        "basis": commitment.recurrence_basis or "template",
    }
    if review is None:
        review = Deadline(
            ref=_review_ref(commitment),
            commitment=commitment,
            title=f"Review ({every})",
            is_review=True,
            anchor_date=timezone.localtime(commitment.created_at).date(),
            **wanted,
        )
    elif all(getattr(review, k) == v for k, v in wanted.items()) and review.cancelled is False:
        return review
    else:
        for key, value in wanted.items():
            setattr(review, key, value)
        review.cancelled = False
    deadline_save_rule(deadline=review, by_user=by_user, actor=actor, reason=f"review every {every}")
    return review


def commitments_schedule_reviews() -> int:
    """Schedule (or cancel) the review deadline of every commitment with a `review_every` or an open review; run
    by the hourly planning task, so a cadence entered through any door is scheduled. Safe to run twice."""
    commitments = Commitment.objects.exclude(review_every="") | Commitment.objects.filter(
        deadlines__is_review=True, deadlines__cancelled=False, deadlines__completed_on__isnull=True
    )
    count = 0
    for commitment in commitments.distinct().select_related("framework"):
        commitment_schedule_review(commitment=commitment, actor="review schedule")
        count += 1
    return count


def reminders_plan_hourly() -> int:
    """The hourly task's service: review deadlines scheduled, then the overdue repeats, weekly digests and quiet
    nudges planned ahead (`followups.reminders.planner.reminders_plan_daily`). Safe to run twice."""
    from followups.reminders.planner import reminders_plan_daily

    commitments_schedule_reviews()
    return reminders_plan_daily()


@transaction.atomic
def staff_reminder_preferences_set(*, profile: StaffProfile, language: str, time_zone: str, digest: bool) -> None:
    """Save a staff user's e-mail language, time zone and digest choice; their pending reminders follow."""
    profile.language, profile.time_zone, profile.reminder_digest = language, time_zone, digest
    profile.full_clean()
    profile.save()
    deadline_ids = Reminder.objects.filter(user_id=profile.user_id).values("deadline_id")
    deadlines_changed(list(Deadline.objects.filter(pk__in=deadline_ids, completed_on__isnull=True)))


@transaction.atomic
def commitment_owner_set(
    *,
    commitment: Commitment,
    organisations: Iterable[Organisation],
    by_user: User | None = None,
    actor: str = "",
) -> None:
    """Make exactly these organisations the owners, keeping the status of those already owning it.

    A new owner starts where the commitment stands. Each removal and addition is kept in the owners' history;
    reminders and webhooks follow (new owners' desk officers, partners' deadline notices). Safe to run twice.
    """
    wanted = {o.pk: o for o in organisations}
    for ownership in commitment.ownerships.exclude(organisation_id__in=wanted):
        _history_note(ownership, by_user=by_user, reason=_actor_label(by_user, actor))
        ownership.delete()
    existing = set(commitment.ownerships.values_list("organisation_id", flat=True))
    for pk, org in wanted.items():
        if pk not in existing:
            ownership = CommitmentOwner(commitment=commitment, organisation=org, status=commitment.status)
            save_with_history(ownership, by_user=by_user, actor=actor, reason="owner added")
    commitments_recipients_changed([commitment])
    api_scope_changed()  # an owner removed may no longer see the commitment; the changes feed tells it


@transaction.atomic
def commitment_contacts_set(*, commitment: Commitment, contacts: Iterable[Contact]) -> None:
    """Make exactly these points of contact responsible for the commitment; their reminders follow (new ones get
    theirs, removed ones lose the pending). Safe to run twice."""
    commitment.contacts.set(list(contacts))
    commitments_recipients_changed([commitment])


@transaction.atomic
def deadline_delete(*, deadline: Deadline, by_user: User | None = None, actor: str = "") -> None:
    """Delete a deadline entered by mistake; its history keeps who deleted it. Its reminder rows go with it, and
    its partners' pending `deadline.approaching` deliveries are cancelled. Safe to run twice."""
    current = Deadline.objects.filter(pk=deadline.pk).first()
    if current is None:
        return
    current.cancelled = True  # planned as closed first, so the webhook planner cancels what was pending
    deadlines_changed([current])
    _history_note(current, by_user=by_user, reason=_actor_label(by_user, actor))
    current.delete()
    commitments_next_due_refresh([current.commitment_id])
    dashboard_summary_refresh([current.commitment_id])
    api_scope_changed()  # partners who saw it learn of the deletion from the changes feed


# --- Frameworks -------------------------------------------------------------------------------------------------


@transaction.atomic
def framework_set_status(
    *, framework: Framework, status: str, by_user: User | None = None, actor: str = "", reason: str = ""
) -> Framework:
    """Record a framework's new status (signed, in force, superseded...) in its history. Safe to run twice."""
    if status not in FrameworkStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}; use one of {', '.join(FrameworkStatus.values)}."})
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.status != status:
        old = framework.status
        framework.status = status
        save_with_history(framework, by_user=by_user, actor=actor, reason=reason or f"status {old} -> {status}")
    return framework


# --- Who hears about deadlines: policies and preferences -------------------------------------------------------


def _deadlines_under_policy(policy: ReminderPolicy) -> list[Deadline]:
    if policy.deadline_id:
        return list(Deadline.objects.filter(pk=policy.deadline_id))
    if policy.framework_id is not None:
        return list(Deadline.objects.filter(commitment__framework_id=policy.framework_id))
    # A general policy (RP-MEETING): the open deadlines its criteria take in.
    deadlines = Deadline.objects.open().select_related("commitment")
    if policy.category:
        deadlines = deadlines.filter(commitment__category=policy.category)
    if policy.priority:
        deadlines = deadlines.filter(commitment__priority=policy.priority)
    return [d for d in deadlines if policy.applies_to(d)]


@transaction.atomic
def reminder_policy_save(*, policy: ReminderPolicy, by_user: User | None = None) -> ReminderPolicy:
    """Save a framework's or a deadline's lead and overdue days; the reminders and partners' deadline notices of
    every deadline under it are planned again in the same transaction. Safe to run twice."""
    policy.full_clean()
    previous = ReminderPolicy.objects.filter(pk=policy.pk).first() if policy.pk else None
    policy.save()
    reminder_policy_changed(policy=policy, previous=previous)
    return policy


def reminder_policy_changed(*, policy: ReminderPolicy, previous: ReminderPolicy | None) -> None:
    """Plan again the reminders of every deadline under a saved policy, and under what it was (`previous`, as
    read before the save; None for a new policy). The admin's save and the loader's both end here."""
    affected = {d.pk: d for d in _deadlines_under_policy(policy)}
    if previous is not None:  # a policy moved to another framework, deadline or category: the old scope loses it
        affected.update({d.pk: d for d in _deadlines_under_policy(previous)})
    deadlines_changed(list(affected.values()))


@transaction.atomic
def reminder_policy_delete(*, policy: ReminderPolicy, by_user: User | None = None) -> None:
    """Remove a policy; its deadlines fall back to the framework's policy or the defaults. Safe to run twice."""
    affected = _deadlines_under_policy(policy)
    ReminderPolicy.objects.filter(pk=policy.pk).delete()
    deadlines_changed(affected)


@transaction.atomic
def contact_reminder_preference_set(
    *, contact: Contact, digest: bool, muted: bool, by_user: User | None = None
) -> ContactReminderPreference:
    """A point of contact's choice of single messages or a weekly digest, or no reminders at all (muted).

    Muting cancels the contact's pending reminders in this transaction (and the sender checks again at send
    time); unmuting plans them again from now on, without sending what was skipped meanwhile. Safe to run twice.
    """
    preference, _created = ContactReminderPreference.objects.select_for_update().get_or_create(contact=contact)
    preference.digest, preference.muted = digest, muted
    preference.save()
    commitments_recipients_changed(contact.commitments.all())
    return preference


@transaction.atomic
def staff_profile_changed(*, profile: StaffProfile, portfolio_before: Iterable[int] = ()) -> None:
    """After a staff profile's portfolio (or e-mail choices) changed in the admin: the escalations of every
    commitment owned by an organisation in the old or new portfolio, and the user's own pending reminders, are
    planned again. Safe to run twice."""
    organisations = set(portfolio_before) | set(profile.portfolio.values_list("pk", flat=True))
    commitments = Commitment.objects.owned_by(Organisation.objects.filter(pk__in=organisations))
    deadline_ids = set(Reminder.objects.filter(user_id=profile.user_id).values_list("deadline_id", flat=True))
    deadline_ids |= set(Deadline.objects.filter(commitment__in=commitments).values_list("pk", flat=True))
    deadlines_changed(list(Deadline.objects.filter(pk__in=deadline_ids)))


# --- Claimed versus verified: a partner's "completed" ---------------------------------------------------------
# DESIGN.md, "A partner's 'completed' is a claim". The party's own status stays as it was while the claim waits
# (CommitmentOwner.completion_reported_*), so the roll-up, the deadlines and the staff reminders do not move; the
# reporting party's contacts get no more reminders meanwhile (followups.reminders.sending checks at send time).


def _reporting_contact(actor: str, actor_kind: ActorKind) -> Contact | None:
    """The point of contact behind a signed link's label (PartnerLink.actor_label); none for an API key."""
    if actor_kind != ActorKind.SIGNED_LINK:
        return None
    ref = actor.removeprefix("contact ").removesuffix("(signed link)").strip()
    return Contact.objects.filter(ref=ref).select_related("user").first()


@transaction.atomic
def commitment_completion_report(
    *,
    commitment: Commitment,
    owner: Organisation,
    actor: str,
    actor_kind: ActorKind,
    note: str = "",
    evidence_url: str = "",
    evidence_file: UploadedFile | None = None,
    happened_on: date | None = None,
) -> StatusUpdate:
    """Record a partner's "completed" for its own party as reported, awaiting verification by staff.

    The deadlines stay open and the staff reminders go on; the party's contacts are no longer reminded (their
    pending rows are cancelled here, and checked again at send time). Queues `commitment.completion_reported`.
    Not idempotent: each call is one timeline entry (a second report refreshes the claim).
    """
    from followups.webhooks.planner import webhooks_completion_event

    happened_on = happened_on or timezone.localdate()
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    ownership = commitment.ownerships.select_related("organisation").get(organisation=owner)
    if ownership.status in DONE_STATUSES:
        raise ValidationError({"status": f"{owner} has already completed {commitment.ref}."})
    contact = _reporting_contact(actor, actor_kind)
    now = timezone.now()
    ownership.completion_reported_at = now
    ownership.completion_reported_on = happened_on
    ownership.completion_reported_by = actor
    ownership.completion_reported_contact = contact
    ownership.completion_reported_user = contact.user if contact else None
    save_with_history(ownership, by_user=None, actor=actor, reason="reported complete")
    update = StatusUpdate.objects.create(
        commitment=commitment,
        owner=owner,
        old_status=commitment.status,
        new_status=ownership.status,
        completion=Completion.REPORTED,
        note=note.strip(),
        evidence_url=evidence_url,
        evidence_file=evidence_file or "",
        happened_on=happened_on,
        actor=actor,
        actor_kind=actor_kind,
    )
    Commitment.objects.filter(pk=commitment.pk).update(updated_at=now)
    dashboard_summary_refresh([commitment.pk])  # an update: the quiet clock restarts
    from followups.partner_links.links import party_contacts

    Reminder.objects.filter(
        deadline__commitment=commitment,
        contact__in=party_contacts(commitment=commitment, ownership=ownership),
        status=ReminderStatus.PENDING,
    ).update(status=ReminderStatus.CANCELLED, last_error="reported complete, awaiting verification", updated_at=now)
    webhooks_completion_event(update=update, ownership=ownership, event=WebhookEvent.COMPLETION_REPORTED)
    return update


def _claim_for_verification(
    *, commitment: Commitment, owner: Organisation, by_user: User
) -> tuple[Commitment, CommitmentOwner]:
    from agreements.roles import can_update_status

    if not can_update_status(by_user):
        raise PermissionDenied("Only coordinators and desk officers verify a reported completion.")
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    ownership = (
        commitment.ownerships.select_for_update(of=("self",))
        .select_related("organisation", "completion_reported_contact")
        .filter(organisation=owner)
        .first()
    )
    if ownership is None or ownership.completion_reported_at is None:
        raise ValidationError({"owner": f"No completion of {commitment.ref} by {owner} awaits verification."})
    contact = ownership.completion_reported_contact
    if ownership.completion_reported_user_id == by_user.pk or (contact is not None and contact.user_id == by_user.pk):
        raise ValidationError({"owner": "The person who reported the completion cannot verify it."})
    return commitment, ownership


def _clear_claim(ownership: CommitmentOwner) -> tuple[str, date | None, Contact | None]:
    claim = (ownership.completion_reported_by, ownership.completion_reported_on, ownership.completion_reported_contact)
    ownership.completion_reported_at = ownership.completion_reported_on = None
    ownership.completion_reported_by = ""
    ownership.completion_reported_contact = ownership.completion_reported_user = None
    return claim


@transaction.atomic
def commitment_completion_accept(
    *, commitment: Commitment, owner: Organisation, by_user: User, note: str = ""
) -> StatusUpdate:
    """A coordinator or desk officer accepts a party's reported completion: the party's status becomes completed
    (late if a deadline had passed on the reported day) and, when every party is done, the deadlines close. The
    timeline and the history name both the reporter and the verifier. Queues `commitment.completion_verified`.
    Not safe to run twice: the second call finds no claim and raises ValidationError.
    """
    from followups.webhooks.planner import webhooks_completion_event

    commitment, ownership = _claim_for_verification(commitment=commitment, owner=owner, by_user=by_user)
    reporter, reported_on, _contact = _clear_claim(ownership)
    verifier = by_user.get_full_name() or by_user.get_username()
    # The history row names the verifier (its user) and, in its reason, the reporter (reasons hold 100 characters).
    save_with_history(ownership, by_user=by_user, actor="", reason=f"verified completion by {reporter}"[:80])
    text = f"Completion reported by {reporter} on {reported_on}; verified by {verifier}."
    update = commitment_update_status(
        commitment=commitment,
        status=Status.COMPLETED,
        owner=owner,
        note=f"{text}\n{note.strip()}".strip(),
        happened_on=reported_on,
        by_user=by_user,
    )
    StatusUpdate.objects.filter(pk=update.pk).update(completion=Completion.VERIFIED)
    update.completion = Completion.VERIFIED
    ownership.refresh_from_db()
    webhooks_completion_event(update=update, ownership=ownership, event=WebhookEvent.COMPLETION_VERIFIED)
    return update


@transaction.atomic
def commitment_completion_return(
    *, commitment: Commitment, owner: Organisation, by_user: User, reason: str
) -> StatusUpdate:
    """A coordinator or desk officer returns a party's reported completion with a reason: the party's status stays,
    its contacts are reminded again, and the reporting contact is e-mailed the reason with a fresh link (queued
    here, sent by the next reminder tick). Queues `commitment.completion_returned`.
    Not safe to run twice: the second call finds no claim and raises ValidationError.
    """
    from followups.partner_links.links import partner_message_queue_returned
    from followups.webhooks.planner import webhooks_completion_event

    if not reason.strip():
        raise ValidationError({"reason": "Say why the reported completion is returned."})
    commitment, ownership = _claim_for_verification(commitment=commitment, owner=owner, by_user=by_user)
    reporter, reported_on, contact = _clear_claim(ownership)
    save_with_history(ownership, by_user=by_user, actor="", reason=f"returned completion by {reporter}"[:80])
    update = StatusUpdate.objects.create(
        commitment=commitment,
        owner=owner,
        old_status=commitment.status,
        new_status=ownership.status,
        completion=Completion.RETURNED,
        note=reason.strip(),
        happened_on=timezone.localdate(),
        by_user=by_user,
        actor=_actor_label(by_user, ""),
        actor_kind=ActorKind.USER,
    )
    Commitment.objects.filter(pk=commitment.pk).update(updated_at=timezone.now())
    dashboard_summary_refresh([commitment.pk])
    if contact is not None:
        partner_message_queue_returned(contact=contact, commitment=commitment, reason=reason.strip())
    # The party's contacts are to be reminded again from now on.
    deadlines_changed(list(commitment.deadlines.open()))
    webhooks_completion_event(update=update, ownership=ownership, event=WebhookEvent.COMPLETION_RETURNED)
    return update


# --- Organisations: deactivation honoured everywhere -------------------------------------------------------------


@transaction.atomic
def organisation_set_active(
    *, organisation: Organisation, active: bool, by: User | None = None, reason: str = ""
) -> Organisation:
    """Deactivate or reactivate a partner organisation, with everything that follows, in one transaction.

    Deactivating: its API keys stop at once (they check the flag), its endpoints' pending webhook deliveries and
    its contacts' pending reminders are cancelled with the reason (the senders check again at send time), and
    its contacts' commitments are planned again (a commitment left without an active contact reminds its desk
    officers). Reactivating resumes them from now on: what fell due meanwhile is not sent. Safe to run twice.
    """
    from followups.models import ReminderStatus, WebhookDelivery, WebhookDeliveryStatus
    from followups.webhooks.planner import webhooks_plan_organisation

    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_active == active:
        return organisation
    now = timezone.now()
    who = _actor_label(by, "")
    why = f"organisation {organisation.ref} {'reactivated' if active else 'deactivated'} by {who}"
    if reason.strip():
        why += f": {reason.strip()}"
    organisation.is_active = active
    organisation.save(update_fields=["is_active"])
    if not active:
        WebhookDelivery.objects.filter(
            endpoint__organisation=organisation, status=WebhookDeliveryStatus.PENDING
        ).update(status=WebhookDeliveryStatus.CANCELLED, last_error=why, updated_at=now)
        Reminder.objects.filter(contact__organisation=organisation, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.CANCELLED, last_error=why, updated_at=now
        )
    commitments = list(Commitment.objects.filter(contacts__organisation=organisation).distinct())
    commitments_recipients_changed(commitments)
    webhooks_plan_organisation(organisation_id=organisation.pk)
    if active:
        # What fell due while it was deactivated stays unsent (the planner would catch up the last day's).
        Reminder.objects.filter(
            contact__organisation=organisation, status=ReminderStatus.PENDING, due_at__lte=now
        ).update(status=ReminderStatus.SKIPPED, last_error=f"fell due while {organisation.ref} was deactivated")
    quiet_plan(commitments=commitments)
    return organisation
