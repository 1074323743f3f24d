"""Who owns a value: the three-way compare of the file, what was last loaded, and the tracker (DESIGN.md).

| file vs tracker | tracker vs last loaded | file vs last loaded | outcome                                          |
|-----------------|------------------------|---------------------|--------------------------------------------------|
| equal           |                        |                     | nothing to do; the file's value is the baseline   |
| different       | equal                  |                     | nobody changed it here: the file's is applied     |
| different       | different              | equal               | changed here only: the tracker's stays            |
| different       | different              | different           | changed in both: the tracker's stays, a conflict  |
| different       | nothing loaded yet     |                     | tracker empty: applied; else a conflict, once     |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from followups.loader.models import LoadBaseline
from followups.loader.report import Conflict, LoadReport
from followups.loader.rows import insert_new

_MISSING = object()

SAME, APPLY, KEPT, CONFLICT, UNKNOWN = "same", "apply", "kept", "conflict", "unknown"


def three_way(file: Any, loaded: Any, tracker: Any) -> str:
    """The outcome for one value (see the table above); `loaded` is _MISSING when nothing was loaded yet."""
    if file == tracker:
        return SAME
    if loaded is _MISSING:
        # Never loaded before (a new field of the format, a record from before baselines): an empty value in the
        # tracker was set by nobody, so the file's applies; any other is someone's and stays.
        empty = tracker is None or tracker is False or tracker in ("", [], {})
        return APPLY if empty else UNKNOWN
    if tracker == loaded:
        return APPLY
    if file == loaded:
        return KEPT
    return CONFLICT


@dataclass
class Baselines:
    """The baselines of every loaded record, read once per load and written back (only what changed) at its end."""

    rows: dict[tuple[str, str], LoadBaseline] = field(default_factory=dict)
    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    conflicts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Baselines:
        rows = {(b.kind, b.ref): b for b in LoadBaseline.objects.all()}
        return cls(rows=rows, values={key: dict(b.values) for key, b in rows.items()})

    def known(self, kind: str, ref: str) -> bool:
        return (kind, ref) in self.rows

    def created(self, kind: str, ref: str, values: dict[str, Any]) -> None:
        """A record this load created (or gave values to): what it was given is what was last loaded."""
        self.values.setdefault((kind, ref), {}).update(values)
        self.conflicts.setdefault((kind, ref), {})

    def compare(self, kind: str, ref: str, values: list[tuple[str, Any, Any]], report: LoadReport) -> set[str]:
        """Compare (name, file, tracker) values of one record; returns the names whose file value is to be applied.

        Conflicts go to the report and to the record's baseline; the baseline follows the file except where a
        conflict keeps the value last loaded (so the conflict is reported again until someone settles it).
        """
        loaded = self.values.setdefault((kind, ref), {})
        conflicts = self.conflicts.setdefault((kind, ref), {})
        apply: set[str] = set()
        for name, file, tracker in values:
            last = loaded.get(name, _MISSING)
            outcome = three_way(file, last, tracker)
            if outcome in (SAME, APPLY, UNKNOWN):
                loaded[name] = file
            if outcome == APPLY:
                apply.add(name)
            elif outcome == KEPT:
                report.kept += 1
            elif outcome in (CONFLICT, UNKNOWN):
                shown = None if last is _MISSING else last
                conflicts[name] = {"file": file, "loaded": shown, "tracker": tracker}
                report.conflicts.append(Conflict(kind, ref, name, file, shown, tracker))
        return apply

    def save(self) -> None:
        """Write the baselines that changed (values or conflicts); a load that changed nothing writes nothing."""
        now = timezone.now()
        new: list[LoadBaseline] = []
        changed: list[LoadBaseline] = []
        for key, values in self.values.items():
            conflicts = self.conflicts.get(key, {})
            row = self.rows.get(key)
            if row is None:
                new.append(LoadBaseline(kind=key[0], ref=key[1], values=values, conflicts=conflicts, loaded_at=now))
            elif row.values != values or (key in self.conflicts and row.conflicts != conflicts):
                row.values, row.loaded_at = values, now
                row.conflicts = conflicts if key in self.conflicts else row.conflicts
                changed.append(row)
        insert_new(new, LoadBaseline)
        LoadBaseline.objects.bulk_update(changed, ["values", "conflicts", "loaded_at"], batch_size=500)
