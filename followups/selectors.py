"""Reads for the staff pages: dashboard counts, next deadlines, chart data, list querysets and the timeline.

Every function here answers in a fixed number of queries whatever the number of rows (aggregates in the
database, related rows through select_related / prefetch_related), so that the pages stay fast with
100,000 commitments (tests/web/test_query_counts.py, bench/bench_staff_pages.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Func, Prefetch, Q, QuerySet, TextField
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import Basis, Framework, Organisation
from followups.models import (
    CLOSED_STATUSES,
    DONE_STATUSES,
    Commitment,
    CommitmentOwner,
    CommitmentQuerySet,
    Deadline,
    DeadlineQuerySet,
    Status,
    StatusUpdate,
)
from followups.partner_links.timeline import preference_timeline_entries
from followups.reminders.timeline import reminder_timeline_entries
from followups.summary import reads as summary_reads
from followups.timeline import TimelineEntry

# --- Scope ------------------------------------------------------------------------------------------------


def portfolio_of(user) -> list[Organisation]:
    """The organisations a desk officer follows (empty for everyone else). One query."""
    if not user.is_authenticated:
        return []
    return list(Organisation.objects.filter(desk_officers__user=user).order_by("name"))


def commitments_for(organisations: Iterable[Organisation] | None) -> CommitmentQuerySet:
    """All commitments, or those owed by any of `organisations` (a portfolio)."""
    qs = Commitment.objects.all()
    return qs if organisations is None else qs.owned_by(organisations)


def deadlines_for(organisations: Iterable[Organisation] | None) -> DeadlineQuerySet:
    qs = Deadline.objects.all()
    if organisations is not None:
        qs = qs.filter(
            commitment__in=CommitmentOwner.objects.filter(organisation__in=list(organisations)).values("commitment")
        )
    return qs


# --- Dashboard --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardCounts:
    overdue: int
    due_7: int
    due_30: int
    at_risk: int
    completed: int
    total: int


def commitment_status_rows(*, organisations: Iterable[Organisation] | None = None) -> list[Mapping[str, Any]]:
    """Commitments per (framework, status): one scan that serves both the counts and the status chart."""
    return list(commitments_for(organisations).values("framework_id", "status").annotate(n=Count("pk")).order_by())


def dashboard_counts(
    *,
    today: date,
    organisations: Iterable[Organisation] | None = None,
    status_rows: Sequence[Mapping[str, Any]] | None = None,
) -> DashboardCounts:
    """Open deadlines overdue / due within 7 and 30 days; commitments at risk and completed. Two queries, or
    one when the caller passes the commitment_status_rows it already has."""
    open_deadlines = deadlines_for(organisations).open()
    d = open_deadlines.aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_7=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=7))),
        due_30=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=30))),
    )
    rows = status_rows if status_rows is not None else commitment_status_rows(organisations=organisations)
    return _counts(d, rows)


def dashboard_counts_sourced(*, today: date, organisations: Iterable[Organisation] | None = None) -> DashboardCounts:
    """The same counts over sourced facts only (issue 10): deadlines whose rule is stated or reported
    (DeadlineQuerySet.sourced) and commitments not invented whose status is sourced. The illustrative part of a
    count is the total less this. Two queries."""
    open_deadlines = deadlines_for(organisations).open().sourced()
    d = open_deadlines.aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_7=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=7))),
        due_30=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=30))),
    )
    commitments = commitments_for(organisations).filter(Commitment.provenance_q(Basis.SOURCED), status_basis="sourced")
    rows = list(commitments.values("status").annotate(n=Count("pk")).order_by())
    return _counts(d, rows)


@dataclass(frozen=True)
class DashboardAll:
    """The dashboard of all commitments, from the summaries the services keep (followups.summary)."""

    counts: DashboardCounts
    sourced: DashboardCounts
    quiet: int
    status_rows: list[Mapping[str, Any]]
    deadlines: dict[str, Any]  # summary.reads.deadline_totals: the backlog's dates too


def dashboard_all(*, today: date) -> DashboardAll:
    """The counts, the sourced counts, the "gone quiet" count and the status chart's rows of all commitments, from
    the summaries: five queries over a few thousand rows, whatever the number of commitments (issue 15). A
    portfolio's are live queries instead (`dashboard_counts` with organisations): they go through the owners' index,
    so their cost follows the portfolio's size, not the table's."""
    d = summary_reads.deadline_totals(today=today)
    totals = summary_reads.commitment_totals()
    rows = summary_reads.status_rows(today=today, totals=totals)
    names = ("overdue", "due_7", "due_30")
    return DashboardAll(
        counts=_counts({k: d[k] for k in names}, rows),
        sourced=_counts(
            {k: d[f"sourced_{k}"] for k in names},
            [{"status": status, "n": n} for _fw, status, sourced, n in totals if sourced],
        ),
        quiet=summary_reads.quiet_count(today=today),
        status_rows=rows,
        deadlines=d,
    )


def awaiting_verification_count() -> int:
    """Commitments with a party's reported completion not yet accepted or returned (CommitmentQuerySet.
    awaiting_verification): counted from the owners with a claim, through the partial index on them. One query."""
    claims = CommitmentOwner.objects.filter(completion_reported_at__isnull=False).exclude(status__in=DONE_STATUSES)
    return claims.values("commitment_id").distinct().count()


def _counts(d: dict[str, Any], rows: Sequence[Mapping[str, Any]]) -> DashboardCounts:
    return DashboardCounts(
        **d,
        at_risk=sum(r["n"] for r in rows if r["status"] == Status.AT_RISK),
        completed=sum(r["n"] for r in rows if r["status"] in DONE_STATUSES),
        total=sum(r["n"] for r in rows),
    )


def deadlines_upcoming(
    *, today: date, organisations: Iterable[Organisation] | None = None, overdue: bool = False, limit: int = 10
) -> list[Deadline]:
    """The next open deadlines from today (or, with overdue=True, the most recently missed ones). One query."""
    qs = deadlines_for(organisations).open().select_related("commitment__framework")
    if overdue:
        qs = qs.filter(due_on__lt=today).order_by("-due_on", "ref")
    else:
        qs = qs.filter(due_on__gte=today).order_by("due_on", "ref")
    return list(qs[:limit])


def _month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


# --- Lists --------------------------------------------------------------------------------------------------


def commitment_list_queryset() -> QuerySet[Commitment]:
    """Commitments with what a list row shows: framework, working group, owners (the next open due date is the
    commitment's own `next_due_on`, kept by the services)."""
    return Commitment.objects.select_related("framework", "working_group").prefetch_related(
        Prefetch("ownerships", queryset=CommitmentOwner.objects.select_related("organisation"))
    )


class OwnerNames(Func):
    """The names of the commitment's owners, by name, joined with ", " ('' without one): the list's Owners cell
    read in the row's own query (a correlated subquery on the owners' commitment index) instead of a prefetch of
    two models per owner in a query of its own."""

    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra_context):
        pk, params = compiler.compile(self.source_expressions[0])
        rows = _OWNER_ROWS.format(
            owners=CommitmentOwner._meta.db_table, organisations=Organisation._meta.db_table, pk=pk
        )
        # SQLite before 3.44 has no ORDER BY inside an aggregate: it concatenates in an ordered subquery's order.
        template = _OWNER_NAMES_PG if connection.vendor == "postgresql" else _OWNER_NAMES_SQLITE
        return template.format(rows=rows), params


# Table names and the compiled outer column only: no value of a request is written into this SQL.
_OWNER_ROWS = "FROM {owners} co JOIN {organisations} o ON o.id = co.organisation_id WHERE co.commitment_id = {pk}"
_OWNER_NAMES_PG = "COALESCE((SELECT STRING_AGG(o.name, ', ' ORDER BY o.name) {rows}), '')"
_OWNER_NAMES_SQLITE = (
    "COALESCE((SELECT GROUP_CONCAT(name, ', ') FROM (SELECT o.name AS name {rows} ORDER BY o.name)), '')"
)


# What a row of the commitments list shows, read as values (no model per row): the cells of
# followups.templatetags.cells.commitment_rows.
COMMITMENT_ROW_FIELDS = (
    "pk",
    "ref",
    "title",
    "illustrative",
    "status",
    "status_basis",
    "priority",
    "next_due_on",
    "framework__ref",
    "owner_names",
)


def commitment_rows_queryset(commitments: QuerySet[Commitment]) -> QuerySet[Commitment, Any]:
    """A page's rows of the commitments list, each a named tuple of COMMITMENT_ROW_FIELDS (`row.ref`, as a model
    reads): one query, the owners in it, no model per row."""
    rows = commitments.prefetch_related(None).annotate(owner_names=OwnerNames())
    return rows.values_list(*COMMITMENT_ROW_FIELDS, named=True)


def deadline_list_queryset() -> QuerySet[Deadline]:
    return Deadline.objects.select_related("commitment__framework").prefetch_related(
        Prefetch("commitment__ownerships", queryset=CommitmentOwner.objects.select_related("organisation"))
    )


def framework_list_queryset() -> QuerySet[Framework]:
    return Framework.objects.order_by("ref").annotate(
        n_commitments=Count("commitments", distinct=True),
        n_parties=Count("parties", distinct=True),
        n_open=Count("commitments", filter=~Q(commitments__status__in=CLOSED_STATUSES), distinct=True),
    )


def organisation_list_queryset() -> QuerySet[Organisation]:
    return (
        Organisation.objects.select_related("parent")
        .order_by("name")
        .annotate(n_owed=Count("ownerships", distinct=True), n_frameworks=Count("parties", distinct=True))
    )


# --- Timeline -----------------------------------------------------------------------------------------------


# Which changes of a deadline or a commitment the timeline tells, and how each field is named in a sentence.
_DEADLINE_FIELDS = {
    "due_on": gettext_lazy("due date"),
    "original_due_on": gettext_lazy("date given by the rule"),
    "extended_due_on": gettext_lazy("extended date"),
    "completed_on": gettext_lazy("completion date"),
    "cancelled": gettext_lazy("cancelled"),
    "anchor_date": gettext_lazy("anchor date"),
    "offset": gettext_lazy("offset"),
    "occurrence_index": gettext_lazy("occurrence"),
}
_COMMITMENT_FIELDS = {
    "title": gettext_lazy("title"),
    "priority": gettext_lazy("priority"),
    "category": gettext_lazy("category"),
    "working_group": gettext_lazy("working group"),
}


def actor_display(label: str) -> str:
    """A history label as a reader would say it: "load_ministerial" -> "Data loader", "system" -> "The tracker";
    a person's name, a partner key or a contact stays as it is."""
    label = (label or "").strip()
    if not label or label == "system":
        return _("The tracker")
    if label.startswith("load_"):
        extra = label.split(" ", 1)[1] if " " in label else ""
        return _("Data loader") + (f" {extra}" if extra else "")
    if label.startswith("user "):
        return label[len("user ") :]
    return label


def _history_who(record) -> str:
    if record.history_user_id is not None and record.history_user is not None:
        return record.history_user.get_full_name() or record.history_user.get_username()
    reason = record.history_change_reason or ""
    return actor_display(reason.split(":", 1)[0])


def _status_entry(u: StatusUpdate, labels: dict[str, Any]) -> TimelineEntry:
    """A status update as a sentence; an update that keeps the status is a note (shown differently)."""
    who = (u.by_user.get_full_name() or u.by_user.get_username()) if u.by_user else actor_display(u.actor)
    words = {
        "who": who,
        "old": labels.get(u.old_status, u.old_status),
        "new": labels.get(u.new_status, u.new_status),
        "owner": u.owner.name if u.owner else "",
    }
    if u.old_status == u.new_status:
        kind = "note"
        title = _("%(who)s added a note; the status stays %(new)s.") % words
    elif not u.old_status:
        kind = "status"
        title = _("%(who)s set the status to %(new)s.") % words
    else:
        kind = "status"
        title = _("%(who)s changed the status from %(old)s to %(new)s.") % words
    if u.completion:
        # A partner's reported completion and staff's answer to it (followups.services.commitment_completion_*).
        title = _("%(who)s: %(what)s.") % {"who": who, "what": u.get_completion_display()}
    if u.owner:
        title += " " + _("For %(owner)s.") % words
    return TimelineEntry(
        kind=kind,
        when=u.created_at,
        who=who,
        title=title,
        detail=u.note,
        status=u.new_status,
        old_status=u.old_status,
        evidence_url=u.evidence_url,
        evidence_file_url=reverse("evidence_download", args=[u.pk]) if u.evidence_file else "",
        happened_on=u.happened_on,
    )


def last_updates_annotate(commitment: Commitment, owners: list[CommitmentOwner]) -> None:
    """The day of the latest status update of the commitment and of each owner (its own or the whole
    commitment's), else the day the commitment was entered: one query instead of one per owner."""
    updates = list(StatusUpdate.objects.filter(commitment=commitment).values_list("owner_id", "happened_on"))
    entered = timezone.localtime(commitment.created_at).date()
    commitment.last_update_on = max((day for _, day in updates), default=None) or entered
    for o in owners:
        days = [day for owner_id, day in updates if owner_id is None or owner_id == o.organisation_id]
        o.last_update_on = max(days, default=None) or entered  # type: ignore[attr-defined]


def commitment_timeline(commitment: Commitment, deadline_ids: Iterable[int] | None = None) -> list[TimelineEntry]:
    """Status updates and notes, deadline changes (with the reason typed for them), edits to the commitment and
    acknowledgements, newest first, each a sentence in the reader's language. A fixed number of queries, one
    fewer when the caller passes the ids of the commitment's deadlines (the page has them)."""
    entries: list[TimelineEntry] = []
    updates = StatusUpdate.objects.filter(commitment=commitment).select_related("by_user", "owner")
    labels = dict(Status.choices)
    entries.extend(_status_entry(u, labels) for u in updates)
    deadline_history = list(
        Deadline.history.filter(commitment_id=commitment.pk).select_related("history_user").order_by("history_date")
    )
    anchor_reasons = _anchor_reasons(deadline_history)
    entries.extend(_history_entries(deadline_history, "deadline", _DEADLINE_FIELDS, anchor_reasons=anchor_reasons))
    commitment_history = commitment.history.select_related("history_user").order_by("history_date")
    entries.extend(_history_entries(commitment_history, "commitment", _COMMITMENT_FIELDS))
    entries.extend(_acknowledgement_entries(commitment))
    # The sources are named here: reminders sent or failed (followups.reminders.timeline).
    entries.extend(reminder_timeline_entries(commitment, deadline_ids))
    # Contacts' own changes to their reminders (followups.partner_links.timeline).
    entries.extend(preference_timeline_entries(commitment))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


@dataclass(frozen=True)
class DateCorrection:
    """The latest change of a date field of a record, and the reason typed for it."""

    field: str
    old: date | None
    new: date | None
    when: datetime
    who: str
    reason: str


def date_corrections(obj, fields: tuple[str, ...] = ("signed_on", "effective_on")) -> dict[str, DateCorrection]:
    """The latest change to each of `fields` of a framework or a milestone, from its history, with who made it
    and why, so that a page can show the reason beside the date. One query."""
    records = list(obj.history.select_related("history_user").order_by("history_date"))
    latest: dict[str, DateCorrection] = {}
    for before, after in zip(records, records[1:], strict=False):
        for name in fields:
            old, new = getattr(before, name, None), getattr(after, name, None)
            if old != new:
                reason = after.history_change_reason or ""
                typed = reason.split(": ", 1)[1] if ": " in reason else ""
                if typed in ("dates corrected", "date corrected"):
                    typed = ""
                latest[name] = DateCorrection(name, old, new, after.history_date, _history_who(after), typed)
    return latest


def _acknowledgement_entries(commitment: Commitment) -> list[TimelineEntry]:
    """Who clicked "I have seen this" in a reminder: their reminders for this commitment stopped. One query."""
    from followups.models import ReminderAcknowledgement

    rows = ReminderAcknowledgement.objects.filter(commitment=commitment).select_related("contact", "user")
    entries = []
    for ack in rows:
        if ack.contact is not None:
            who = str(ack.contact)
        elif ack.user is not None:
            who = ack.user.get_full_name() or ack.user.get_username()
        else:  # the constraint reminder_ack_one_recipient makes this unreachable
            continue
        entries.append(
            TimelineEntry(
                kind="ack",
                when=ack.created_at,
                who=who,
                title=_("%(who)s acknowledged the reminder; no more reminders go to them for this commitment.")
                % {"who": who},
            )
        )
    return entries


_ANCHOR_CHANGED = re.compile(r"^anchor (?P<ref>\S+) (?P<what>changed|extended|completed|completed_late|cancelled)$")


def _anchor_reasons(deadline_history: list) -> dict[tuple[str, object], str]:
    """For deadline changes that follow an anchor's correction ("anchor FW-US-AU changed"), the reason typed for
    that correction, from the anchor's own history: {(anchor ref, deadline history date): reason}. One query per
    kind of anchor that occurs."""
    from agreements.models import Event, Milestone

    wanted: dict[str, list] = defaultdict(list)
    for record in deadline_history:
        reason = (record.history_change_reason or "").split(": ", 1)
        match = _ANCHOR_CHANGED.match(reason[1]) if len(reason) == 2 else None
        if match and match["what"] == "changed":
            wanted[match["ref"]].append(record.history_date)
    if not wanted:
        return {}
    found: dict[tuple[str, object], str] = {}
    for model in (Framework, Milestone, Event):
        if not hasattr(model, "history"):  # no history kept for this kind of anchor
            continue
        records = (
            model.history.filter(ref__in=list(wanted))
            .exclude(history_change_reason__isnull=True)
            .order_by("ref", "history_date")
            .values_list("ref", "history_date", "history_change_reason")
        )
        for ref, when, reason in records:
            typed = reason.split(": ", 1)[1] if ": " in reason else ""
            if not typed or typed in ("dates corrected", "date corrected"):
                continue
            # The correction is saved just before its dependents, in the same transaction.
            for deadline_when in wanted.get(ref, []):
                if when <= deadline_when:
                    found[(ref, deadline_when)] = typed
    return found


def _value_words(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _reason_words(reason: str, record, anchor_reasons: dict) -> str:
    """The reason stored with a change, as a reader would read it (the typed reason of an extension or of the
    anchor's correction; the loader's or the service's own labels in words)."""
    if reason.startswith("extended: "):
        return _("Reason: %(reason)s") % {"reason": reason[len("extended: ") :]}
    match = _ANCHOR_CHANGED.match(reason)
    if match:
        typed = anchor_reasons.get((match["ref"], record.history_date), "")
        words = _("Follows a change of %(ref)s.") % {"ref": match["ref"]}
        return f"{words} " + (_("Reason: %(reason)s") % {"reason": typed}) if typed else words
    if reason.startswith("commitment "):
        status = reason[len("commitment ") :]
        return _("Follows the commitment's status: %(status)s.") % {"status": dict(Status.choices).get(status, status)}
    if reason.startswith("status ") and " -> " in reason:
        old, new = reason[len("status ") :].split(" -> ", 1)
        labels = dict(Status.choices)
        return _("Status %(old)s → %(new)s.") % {"old": labels.get(old, old), "new": labels.get(new, new)}
    return reason


def _field_value(record, attr: str) -> object:
    """A field of a history record, a foreign key by its id: never the related row (a query per record)."""
    value = getattr(record, attr + "_id", _MISSING)
    return getattr(record, attr, None) if value is _MISSING else value


_MISSING = object()


def _history_entries(records, kind: str, fields: dict, *, anchor_reasons: dict | None = None) -> list[TimelineEntry]:
    """Turn simple_history records into sentences: creation, then only changes to `fields`."""
    entries: list[TimelineEntry] = []
    previous: dict[int, object] = {}
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        reason = record.history_change_reason or ""
        reason = reason.split(": ", 1)[1] if ": " in reason else ""
        who = _history_who(record)
        words = {"who": who, "ref": record.ref}
        if before is None:
            if record.history_type == "+":
                title = (
                    _("%(who)s recorded deadline %(ref)s.") % words
                    if kind == "deadline"
                    else _("%(who)s recorded commitment %(ref)s.") % words
                )
                entries.append(TimelineEntry(kind=kind, when=record.history_date, who=who, title=title))
            continue
        changes = []
        for attr, label in fields.items():
            old, new = _field_value(before, attr), _field_value(record, attr)
            if old != new:
                changes.append((str(label), _value_words(old), _value_words(new)))
        if changes:
            title = (
                _("%(who)s changed deadline %(ref)s.") % words
                if kind == "deadline"
                else _("%(who)s changed commitment %(ref)s.") % words
            )
            entries.append(
                TimelineEntry(
                    kind=kind,
                    when=record.history_date,
                    who=who,
                    title=title,
                    detail=_reason_words(reason, record, anchor_reasons or {}),
                    changes=changes,
                )
            )
    return entries


def today() -> date:
    return timezone.localdate()
