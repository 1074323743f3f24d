"""CSV and Excel exports of the filtered staff lists (the same filter as the page, every row, not one page)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from agreements.labels import label_of
from followups.models import Category, Commitment, CommitmentOwner, Priority, Status


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


def _owners(c: Commitment) -> str:
    return "; ".join(f"{name} ({label_of(Status, status)})" for name, status in c.owner_pairs)  # type: ignore[attr-defined]


def commitment_rows(commitments: QuerySet[Commitment], chunk_size: int = 2000) -> Iterator[Commitment]:
    """The commitments of an export in chunks, each with `owner_pairs` (the owners' names and statuses, in the
    page's order) read in one query per chunk: a prefetch built a queryset and two models per owner, most of the
    time of a 10,000-row export."""
    rows = commitments.prefetch_related(None).iterator(chunk_size=chunk_size)
    while batch := list(islice(rows, chunk_size)):
        owners: dict[int, list[tuple[str, str]]] = defaultdict(list)
        pairs = (
            CommitmentOwner.objects.filter(commitment_id__in=[c.pk for c in batch])
            .order_by("commitment_id", "organisation__name")
            .values_list("commitment_id", "organisation__name", "status")
        )
        for commitment_id, name, status in pairs:
            owners[commitment_id].append((name, status))
        for c in batch:
            c.owner_pairs = owners[c.pk]  # type: ignore[attr-defined]
        yield from batch


def _basis(record) -> str:
    """Whether a row is a sourced fact or invented for the demo (issue 10: the two are never mixed unmarked): the
    record's own rule (`provenance`), as on the pages and in the API."""
    return record.provenance


COMMITMENT_COLUMNS = [
    Column("Reference", lambda c: c.ref, 14),
    Column("Title", lambda c: c.title, 60),
    Column("Framework", lambda c: c.framework.ref, 16),
    Column("Owners", _owners, 40),
    # Labels from a dictionary per language: get_FOO_display() translates every choice on each call.
    Column("Status", lambda c: label_of(Status, c.status), 14),
    Column("Priority", lambda c: label_of(Priority, c.priority), 10),
    Column("Category", lambda c: label_of(Category, c.category), 18),
    Column("Working group", lambda c: c.working_group.ref if c.working_group else "", 16),
    Column("Next due", lambda c: c.next_due_on, 12),
    Column("Basis", _basis, 12),
    Column("Status basis", lambda c: c.status_basis, 12),
]

DEADLINE_COLUMNS = [
    Column("Reference", lambda d: d.ref, 16),
    Column("Commitment", lambda d: d.commitment.ref, 14),
    Column("Title", lambda d: d.title or d.commitment.title, 60),
    Column("Framework", lambda d: d.commitment.framework.ref, 16),
    Column("Due", lambda d: d.due_on, 12),
    Column("Original due", lambda d: d.original_due_on, 12),
    Column("Extended to", lambda d: d.extended_due_on, 12),
    Column("Extension reason", lambda d: d.extension_reason, 30),
    Column("Completed", lambda d: d.completed_on, 12),
    Column("Cancelled", lambda d: "yes" if d.cancelled else "", 10),
    Column("Offset", lambda d: d.offset, 8),
    Column("Recurrence", lambda d: d.recurrence, 18),
    # text, reported, template or illustrative (the deadline rule's own basis), and whether its anchor is estimated.
    Column("Basis", lambda d: d.basis, 12),
    Column("Anchor estimated", lambda d: "yes" if d.anchor_estimated else "", 10),
]

FRAMEWORK_COLUMNS = [
    Column("Reference", lambda f: f.ref, 16),
    Column("Title", lambda f: f.title, 60),
    Column("Kind", lambda f: f.get_kind_display(), 22),
    Column("Status", lambda f: f.get_status_display(), 16),
    Column("Signed", lambda f: f.signed_on, 12),
    Column("In force", lambda f: f.effective_on, 12),
    Column("Binding", lambda f: "yes" if f.binding else "no", 8),
    Column("Parties", lambda f: f.n_parties, 8),
    Column("Commitments", lambda f: f.n_commitments, 12),
    Column("Open commitments", lambda f: f.n_open, 12),
    Column("Basis", _basis, 12),
    Column("Date estimated", lambda f: "yes" if f.date_estimated else "", 10),
]

ORGANISATION_COLUMNS = [
    Column("Reference", lambda o: o.ref, 16),
    Column("Name", lambda o: o.name, 40),
    Column("Kind", lambda o: o.get_kind_display(), 22),
    Column("ISO code", lambda o: o.iso_alpha2 or "", 8),
    Column("Part of", lambda o: o.parent.name if o.parent else "", 30),
    Column("Frameworks", lambda o: o.n_frameworks, 10),
    Column("Commitments owed", lambda o: o.n_owed, 12),
    Column("Basis", _basis, 12),
]

WORKING_GROUP_COLUMNS = [
    Column("Reference", lambda g: g.ref, 18),
    Column("Name", lambda g: g.name, 50),
    Column("Framework", lambda g: g.framework.ref, 16),
    Column(
        "Members",
        lambda g: "; ".join(f"{m.organisation.name} ({m.get_role_display()})" for m in g.memberships.all()),
        50,
    ),
    Column("Meets", lambda g: g.meeting_cadence, 16),
    Column("Basis", _basis, 12),
]

PROJECT_COLUMNS = [
    Column("Reference", lambda p: p.ref, 18),
    Column("Name", lambda p: p.name, 40),
    Column("Kind", lambda p: p.get_kind_display(), 18),
    Column("Country", lambda p: p.country.name, 20),
    Column("Minerals", lambda p: ", ".join(p.minerals), 20),
    Column("Stage", lambda p: p.get_stage_display(), 12),
    Column("Frameworks", lambda p: ", ".join(f.ref for f in p.frameworks.all()), 30),
    Column("Basis", _basis, 12),
]

# A spreadsheet treats a cell that starts with one of these as a formula (CSV injection): quote it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _filename(stem: str, ext: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{ext}"


def export_csv(rows: Iterable[Any], columns: list[Column], *, stem: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, "csv")}"'
    # Written to a buffer and handed over once: HttpResponse.write() encodes and stores each line apart.
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that Excel opens UTF-8 (accents in names) correctly
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow(
            [_cell(v.isoformat() if isinstance(v, date) else ("" if v is None else v)) for v in _values(row, columns)]
        )
    response.content = buffer.getvalue().encode("utf-8")
    return response


def export_xlsx(rows: Iterable[Any], columns: list[Column], *, stem: str, title: str) -> HttpResponse:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in _values(row, columns)])
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = column.width
        if columns[i - 1].header in {
            "Next due",
            "Due",
            "Original due",
            "Extended to",
            "Completed",
            "Signed",
            "In force",
        }:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, "xlsx")}"'
    return response


def _values(row: Any, columns: list[Column]) -> list[Any]:
    return [column.value(row) for column in columns]
