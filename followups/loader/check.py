"""Checking a file before anything is written: every problem is collected and named by its record.

The checks of a record kind are declared in its spec (followups.loader.spec) as small objects: `Ref`, `Refs`,
`Choice`, `Day`, `Present`; what does not fit a declaration is a function of the spec (`extra_check`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

from agreements.models import ref_validator

if TYPE_CHECKING:
    from followups.loader.spec import RecordSpec


class Checker:
    """Collects problems while reading the file, each named by its record."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.problems: list[str] = []
        self.ids: dict[str, set[str]] = {}
        self.as_of: date | None = None
        # Each record's date as the file gives it ("framework_signed:FW-US-AU"), for the deadline cross-check.
        self.dates: dict[str, Any] | None = None
        self.known_keys: dict[str, set[str]] = {}  # per record kind, the keys its spec reads or ignores

    def problem(self, record_id: str, message: str) -> None:
        self.problems.append(f"{record_id}: {message}")

    def records(self, key: str, required: bool = False) -> list[dict[str, Any]]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(f"{key}: missing (a list is required)")
            return []
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            self.problems.append(f"{key}: must be a list of objects")
            return []
        return value

    def index(self, key: str) -> set[str]:
        """The ids of the file's records of this kind (each checked once: present, unique, a valid ref)."""
        if key not in self.ids:
            seen: set[str] = set()
            for position, record in enumerate(self.records(key)):
                rid = record.get("id")
                if not isinstance(rid, str) or not rid:
                    self.problem(f"{key}[{position}]", "has no id")
                    continue
                if rid in seen:
                    self.problem(rid, f"appears twice in {key}")
                seen.add(rid)
                self._check_ref_form(key, rid)
            self.ids[key] = seen
        return self.ids[key]

    def _check_ref_form(self, key: str, rid: str) -> None:
        if key == "sources":  # the dataset's sources are S01, S02...
            return
        try:
            ref_validator(rid)
        except ValidationError:
            self.problem(rid, "is not a valid reference (such as ORG-AR, FW-US-AU, CMT-AU-01)")

    def date(self, rid: str, name: str, value: Any, *, required: bool = False) -> date | None:
        if value in (None, ""):
            if required:
                self.problem(rid, f"{name} is missing")
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(rid, f"{name} {value!r} is not a date (YYYY-MM-DD)")
            return None

    def ref(self, rid: str, name: str, value: Any, key: str, *, required: bool = True) -> str | None:
        if value in (None, ""):
            if required:
                self.problem(rid, f"{name} is missing")
            return None
        if value not in self.index(key):
            self.problem(rid, f"{name} refers to {value!r}, which is not in {key}")
            return None
        return value

    def refs(self, rid: str, name: str, values: Any, key: str) -> list[str]:
        if values in (None, ""):
            return []
        if not isinstance(values, list):
            self.problem(rid, f"{name} must be a list")
            return []
        return [v for v in values if self.ref(rid, name, v, key)]

    def choice(self, rid: str, name: str, value: Any, choices: type[models.TextChoices], default: str = "") -> str:
        if value in (None, "") and default:
            return default
        if value not in _values(choices):
            self.problem(rid, f"{name} {value!r} is unknown; expected one of {', '.join(choices.values)}")
            return default or choices.values[0]
        return value


@functools.cache
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    """A vocabulary's values, read once (Django builds the list at each `.values`: a check per record and key)."""
    return frozenset(choices.values)


# --- Declarations used by the specs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    key: str
    kind: str
    required: bool = True

    def run(self, c: Checker, rid: str, record: dict[str, Any]) -> None:
        c.ref(rid, self.key, record.get(self.key), self.kind, required=self.required)


@dataclass(frozen=True)
class Refs:
    key: str
    kind: str

    def run(self, c: Checker, rid: str, record: dict[str, Any]) -> None:
        c.refs(rid, self.key, record.get(self.key), self.kind)


@dataclass(frozen=True)
class Choice:
    key: str
    choices: type[models.TextChoices]
    default: str = ""
    optional: bool = False  # absent is fine (and has no default)

    def run(self, c: Checker, rid: str, record: dict[str, Any]) -> None:
        if self.optional and not record.get(self.key):
            return
        c.choice(rid, self.key, record.get(self.key), self.choices, default=self.default)


@dataclass(frozen=True)
class Day:
    key: str
    required: bool = False

    def run(self, c: Checker, rid: str, record: dict[str, Any]) -> None:
        c.date(rid, self.key, record.get(self.key), required=self.required)


@dataclass(frozen=True)
class Present:
    key: str

    def run(self, c: Checker, rid: str, record: dict[str, Any]) -> None:
        if not record.get(self.key):
            c.problem(rid, f"{self.key} is missing")


# --- The whole file ---------------------------------------------------------------------------------------------


REQUIRED_KEYS = ("organisations", "frameworks", "commitments")
INDEXED_KEYS = (
    "sources",
    "organisations",
    "frameworks",
    "working_groups",
    "milestones",
    "events",
    "contacts",
    "commitments",
    "projects",
    "reminder_policies",
)


def check_file(c: Checker, specs: tuple[RecordSpec, ...]) -> None:
    """Check every record of every kind; problems are collected on `c`."""
    for key in INDEXED_KEYS:
        c.index(key)
    for key in REQUIRED_KEYS:
        c.records(key, required=True)
    meta = c.data.get("meta") or {}
    if isinstance(meta, dict):
        c.as_of = c.date("meta", "status_as_of", meta.get("status_as_of"))
    for spec in specs:
        if spec.derived:
            continue  # checked with the records they come from (a deadline with its commitment)
        for position, record in enumerate(c.records(spec.kind)):
            rid = record.get("id") or f"{spec.kind}[{position}]"
            for check in spec.checks:
                check.run(c, rid, record)
            if spec.extra_check:
                spec.extra_check(c, rid, record)
            if spec.strict_keys:
                _check_keys(c, rid, record, spec)


def _check_keys(c: Checker, rid: str, record: dict[str, Any], spec: RecordSpec) -> None:
    """A key the loader does not understand is an error, unless data/README.md documents it as ignored."""
    known = c.known_keys.get(spec.kind)
    if known is None:
        known = c.known_keys[spec.kind] = spec.known_keys()
    unknown = sorted(set(record) - known)
    if unknown:
        c.problem(
            rid,
            f"unknown key(s) {', '.join(unknown)} in {spec.kind}: not loaded; "
            "see data/README.md for the keys each record may carry",
        )
