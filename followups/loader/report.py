"""What a load says: the problems that stopped it, or what it created, updated, left alone and found in conflict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class LoadError(Exception):
    """The file cannot be loaded; `problems` names each record and what is wrong with it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:50]
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s), nothing was loaded:\n  " + "\n  ".join(shown) + more)


@dataclass(frozen=True)
class Conflict:
    """A value changed both in the file and in the tracker since the last load: the tracker's is kept."""

    kind: str
    ref: str
    field: str
    file: Any
    loaded: Any
    tracker: Any

    def line(self) -> str:
        return (
            f"{self.ref} {self.field}: the file says {self.file!r}, the tracker has {self.tracker!r} "
            f"(last loaded {self.loaded!r}); the tracker's value is kept"
        )


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    kept: int = 0  # values changed in the tracker (and not in the file) that the load left as they are

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def count(self, kind: str, outcome: str) -> None:
        getattr(self, outcome)[kind] += 1

    def lines(self) -> list[str]:
        kinds = list(dict.fromkeys([*self.created, *self.updated, *self.unchanged]))
        out = [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            for kind in kinds
        ]
        if not self.changed:
            out.append("No changes: the database already matches the file.")
        if self.kept:
            out.append(f"Kept {self.kept} value(s) changed in the tracker since the last load.")
        if self.conflicts:
            out.append(f"{len(self.conflicts)} conflict(s), changed in both the file and the tracker:")
            out.extend(f"  {conflict.line()}" for conflict in self.conflicts)
            out.append("  (listed for staff at /imports/conflicts/)")
        return out + self.notes
