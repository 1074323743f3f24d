"""The API's representation of commitments and deadlines, built from plain rows (issue 15).

A page is one `values()` query (the view's scoped, filtered, ordered and paginated queryset) and at most two for
its related rows, whatever its length (commitments: owners with sources, and deadlines; deadlines: the sources of
their commitments); rows are written straight
into the dicts the API answers, in the order and formats of the serializers in `followups.api` (which keep
describing the schema, and give the same output for a model instance: tests/api/test_rows.py compares them).
DRF's field machinery cost about 13,500 attribute look-ups and a model per row and relation on a page of 50.

Formats are DRF's: dates in ISO 8601, instants in ISO 8601 in the current time zone with `Z` for UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import CharField, DateTimeField, F, QuerySet, Value
from django.utils import timezone

from followups.models import DONE_STATUSES, Commitment, CommitmentOwner, Deadline

Row = dict[str, Any]

# The page's own columns; the two references come from joins (one query).
COMMITMENT_COLUMNS = (
    "id",
    "ref",
    "title",
    "category",
    "priority",
    "status",
    "review_every",
    "note",
    "illustrative",
    "status_basis",
    "created_at",
    "updated_at",
)
DEADLINE_COLUMNS = (
    "ref",
    "commitment_id",
    "title",
    "anchor_kind",
    "anchor_date",
    "anchor_estimated",
    "offset",
    "recurrence",
    "original_due_on",
    "extended_due_on",
    "extension_reason",
    "due_on",
    "completed_on",
    "cancelled",
    "basis",
    "updated_at",
)


def commitment_values(queryset: QuerySet[Commitment]) -> QuerySet[Commitment, Row]:
    """The rows of a commitments page (any scope, filter and order the view applied): one query."""
    return queryset.values(
        *COMMITMENT_COLUMNS, framework_ref=F("framework__ref"), working_group_ref=F("working_group__ref")
    )


def deadline_values(queryset: QuerySet[Deadline]) -> QuerySet[Deadline, Row]:
    """The rows of a deadlines page: one query, with its commitment's reference and basis."""
    return queryset.values(
        "id",
        *DEADLINE_COLUMNS,
        commitment_ref=F("commitment__ref"),
        commitment_illustrative=F("commitment__illustrative"),
    )


def instant_writer() -> Callable[[datetime | None], str | None]:
    """DRF's DateTimeField: ISO 8601 in the current time zone, `Z` for UTC. The database gives UTC, so in a UTC
    zone (the default) a value is written as it is; only another zone converts each value."""
    zone = timezone.get_current_timezone()
    utc = timezone.get_current_timezone_name() in ("UTC", "Etc/UTC")

    def write(value: datetime | None) -> str | None:
        if value is None:
            return None
        text = value.isoformat()
        if not (utc and text.endswith("+00:00")):
            text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _deadline_basis(basis: str, invented: bool) -> str:
    # Deadline.provenance: illustrative when the rule or its commitment is invented, else template or sourced.
    if basis == "illustrative" or invented:
        return "illustrative"
    return "template" if basis == "template" else "sourced"


def _deadline_row(d: Row, *, invented: bool, today: date, instant: Callable, commitment: str | None = None) -> Row:
    """A deadline as DeadlineSerializer writes it; without `commitment` (and sources), as within its commitment."""
    row: Row = {"ref": d["ref"]}
    if commitment is not None:
        row["commitment"] = commitment
    row.update(
        title=d["title"],
        anchor_kind=d["anchor_kind"],
        anchor_date=_day(d["anchor_date"]),
        anchor_estimated=d["anchor_estimated"],
        offset=d["offset"],
        recurrence=d["recurrence"],
        original_due_on=_day(d["original_due_on"]),
        extended_due_on=_day(d["extended_due_on"]),
        extension_reason=d["extension_reason"],
        due_on=_day(d["due_on"]),
        completed_on=_day(d["completed_on"]),
        cancelled=d["cancelled"],
        is_overdue=d["completed_on"] is None and not d["cancelled"] and d["due_on"] < today,
        basis=_deadline_basis(d["basis"], invented),
    )
    if commitment is not None:
        row["sources"] = d["sources"]
    row["updated_at"] = instant(d["updated_at"])
    return row


def sources_by_commitment(ids: Iterable[int]) -> dict[int, list[Row]]:
    """Each commitment's sources as SourceSerializer writes them, in the Source model's order: one query."""
    columns = ("commitment_id", "source__ref", "source__title", "source__url", "source__published", "source__kind")
    found: dict[int, list[Row]] = {i: [] for i in ids}
    for cid, ref, title, url, published, kind in _sources(list(found)).order_by("source__ref").values_list(*columns):
        found[cid].append({"ref": ref, "title": title, "url": url, "published": published, "kind": kind})
    return found


def _sources(ids: Iterable[int]) -> QuerySet:
    """The commitments' links to their sources (Commitment.sources)."""
    return Commitment.sources.through.objects.filter(commitment_id__in=ids)


def _owners_and_sources(ids: list[int], instant: Callable) -> tuple[dict[int, list[Row]], dict[int, list[Row]]]:
    """Each commitment's owners (by name) and sources (by reference), in one query: a UNION ALL of the two lists,
    column for column (ref, name or title, status or url, published, kind, two instants)."""
    text, moment = Value(None, output_field=CharField()), Value(None, output_field=DateTimeField())
    owners = CommitmentOwner.objects.filter(commitment_id__in=ids).annotate(
        row_kind=Value("o"), row_order=F("organisation__name"), c1=F("organisation__ref"), c2=F("organisation__name"),
        c3=F("status"), c4=text, c5=text, c6=F("status_changed_at"), c7=F("completion_reported_at"),
    )  # fmt: skip
    sources = _sources(ids).annotate(
        row_kind=Value("s"), row_order=F("source__ref"), c1=F("source__ref"), c2=F("source__title"),
        c3=F("source__url"), c4=F("source__published"), c5=F("source__kind"), c6=moment, c7=moment,
    )  # fmt: skip
    columns = ("commitment_id", "row_kind", "row_order", "c1", "c2", "c3", "c4", "c5", "c6", "c7")
    rows = owners.values_list(*columns).union(sources.values_list(*columns), all=True).order_by("row_kind", "row_order")
    owned: dict[int, list[Row]] = {i: [] for i in ids}
    cited: dict[int, list[Row]] = {i: [] for i in ids}
    for cid, kind, _order, c1, c2, c3, c4, c5, c6, c7 in rows:
        if kind == "s":
            cited[cid].append({"ref": c1, "title": c2, "url": c3, "published": c4, "kind": c5})
            continue
        owned[cid].append(
            {
                "organisation": c1,
                "organisation_name": c2,
                "status": c3,
                "status_changed_at": instant(c6),
                "awaiting_verification": c7 is not None and c3 not in DONE_STATUSES,  # CommitmentOwner's rule
                "completion_reported_at": instant(c7),
            }
        )
    return owned, cited


def commitment_rows(rows: list[Row], *, today: date) -> list[Row]:
    """Commitments as CommitmentSerializer writes them, from `commitment_values` rows: two queries a page (owners
    with sources, deadlines), whatever its length."""
    ids = [r["id"] for r in rows]
    instant = instant_writer()
    owners, sources = _owners_and_sources(ids, instant)
    invented = {r["id"]: r["illustrative"] for r in rows}
    deadlines: dict[int, list[Row]] = {i: [] for i in ids}
    next_due: dict[int, date] = {}
    overdue: set[int] = set()
    for d in Deadline.objects.filter(commitment_id__in=ids).order_by("due_on", "ref").values(*DEADLINE_COLUMNS):
        cid = d["commitment_id"]
        row = _deadline_row(d, invented=invented[cid], today=today, instant=instant)
        deadlines[cid].append(row)
        if d["completed_on"] is None and not d["cancelled"]:
            next_due[cid] = min(next_due.get(cid, d["due_on"]), d["due_on"])
        if row["is_overdue"]:
            overdue.add(cid)
    return [
        {
            "ref": r["ref"],
            "framework": r["framework_ref"],
            "title": r["title"],
            "category": r["category"],
            "priority": r["priority"],
            "status": r["status"],
            "owners": owners[r["id"]],
            "working_group": r["working_group_ref"],
            "deadlines": deadlines[r["id"]],
            "next_due_on": _day(next_due.get(r["id"])),
            "is_overdue": r["id"] in overdue,
            "review_every": r["review_every"],
            "note": r["note"],
            "basis": "illustrative" if r["illustrative"] else "sourced",  # Sourced.provenance
            "status_basis": r["status_basis"],
            "sources": sources[r["id"]],
            "created_at": instant(r["created_at"]),
            "updated_at": instant(r["updated_at"]),
        }
        for r in rows
    ]


def deadline_rows(rows: list[Row], *, today: date) -> list[Row]:
    """Deadlines as DeadlineSerializer writes them, from `deadline_values` rows: one more query (the sources of
    their commitments) a page."""
    sources = sources_by_commitment({r["commitment_id"] for r in rows})
    instant = instant_writer()
    return [
        _deadline_row(
            {**r, "sources": sources[r["commitment_id"]]},
            invented=r["commitment_illustrative"],
            today=today,
            instant=instant,
            commitment=r["commitment_ref"],
        )
        for r in rows
    ]
