"""The shape of one line of a commitment's timeline, shared by every source that contributes lines.

`followups.selectors.commitment_timeline` assembles the timeline and names its sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class TimelineEntry:
    """One line of a commitment's timeline, whatever its origin."""

    kind: str  # "status", "deadline", "commitment", "reminder"
    when: datetime
    who: str
    title: str
    detail: str = ""
    status: str = ""
    old_status: str = ""
    evidence_url: str = ""
    evidence_file_url: str = ""
    happened_on: date | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)
