"""Load a file in the format of data/ministerial.json (see data/README.md) into the tracker.

The whole file is checked before anything is written: a broken reference, a bad date, an unknown status or
kind is reported with the record's id and the reason, and the database is left exactly as it was. Then
everything is written in one transaction. Loading is idempotent: records are matched by their dataset id
(`ref`), a record whose fields are unchanged is not touched, and a second run reports that nothing changed.

What the tracker owns once a record exists is not overwritten by a later load: the status of a commitment
and of a framework (changed through status updates, which keep the timeline), and a deadline's extension,
completion and occurrence count. Everything else follows the file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction

from agreements.models import (
    Contact,
    Event,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    Language,
    MemberRole,
    Membership,
    Milestone,
    Organisation,
    OrganisationKind,
    Party,
    PartyRole,
    Source,
    WorkingGroup,
    WorkingGroupMember,
    ref_validator,
    validate_time_zone,
)
from followups import services
from followups.deadlines import Offset, Recurrence, RuleError
from followups.models import (
    AnchorKind,
    Category,
    Commitment,
    CommitmentOwner,
    Deadline,
    Priority,
    Project,
    ProjectKind,
    ProjectStage,
    Status,
    StatusUpdate,
)
from followups.reminders.planner import reminders_plan_all

DEFAULT_PATH = Path(settings.BASE_DIR) / "data" / "ministerial.json"
LOADER_ACTOR = "load_ministerial"
TIMELINE_ACTOR = "load_ministerial (dataset timeline)"

# Roles in `organisations[].roles` that mean membership of a body.
ROLE_MEMBERSHIPS = {"msp_partner": "ORG-MSP", "msp_forum_member": "ORG-MSP-FORUM"}
# Dataset statuses that the tracker derives instead of storing.
DERIVED_STATUSES = {"overdue": Status.IN_PROGRESS.value}


class LoadError(Exception):
    """The file cannot be loaded; `problems` names each record and what is wrong with it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:50]
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s), nothing was loaded:\n  " + "\n  ".join(shown) + more)


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

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
        return out + self.notes


class _Checker:
    """Collects problems while reading the file, each named by its record."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.problems: list[str] = []
        self.ids: dict[str, set[str]] = {}

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
                if key != "sources":
                    try:
                        ref_validator(rid)
                    except ValidationError:
                        self.problem(rid, "is not a valid reference (such as ORG-AR, FW-US-AU, CMT-AU-01)")
            self.ids[key] = seen
        return self.ids[key]

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
        if value not in choices.values:
            self.problem(rid, f"{name} {value!r} is unknown; expected one of {', '.join(choices.values)}")
            return default or choices.values[0]
        return value


def load_file(path: Path | str | None = None) -> LoadReport:
    """Load a dataset file; raises LoadError (database untouched) when anything in it is wrong."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LoadError([f"{path}: no such file"]) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError([f"{path}: not valid JSON ({exc})"]) from exc
    if not isinstance(data, dict):
        raise LoadError([f"{path}: the top level must be an object with lists such as 'organisations'"])
    return load_data(data)


def load_data(data: dict[str, Any]) -> LoadReport:
    """Check then load a parsed dataset in one transaction. Safe to run twice (the second run changes nothing)."""
    checker = _Checker(data)
    plan = _check(checker)
    if checker.problems:
        raise LoadError(checker.problems)
    report = LoadReport()
    try:
        with transaction.atomic():
            _write(plan, report, checker)
            if checker.problems:
                raise LoadError(checker.problems)
            if report.changed:
                # Contacts, owners and statuses change reminders as much as dates do; the planner keeps what stands.
                reminders_plan_all()
    except RuleError as exc:
        raise LoadError([str(exc)]) from exc
    return report


# --- Checking ---------------------------------------------------------------------------------------------


def _check(c: _Checker) -> dict[str, Any]:
    """Read and check every record; returns the plan that _write carries out."""
    for key in (
        "sources",
        "organisations",
        "frameworks",
        "working_groups",
        "milestones",
        "events",
        "contacts",
    ):
        c.index(key)
    c.index("commitments")
    c.index("projects")
    for key in ("organisations", "frameworks", "commitments"):
        c.records(key, required=True)
    meta = c.data.get("meta") or {}
    as_of = c.date("meta", "status_as_of", meta.get("status_as_of")) if isinstance(meta, dict) else None

    for o in c.records("organisations"):
        rid = o.get("id", "?")
        c.choice(rid, "kind", o.get("kind"), OrganisationKind)
        iso = o.get("iso_alpha2")
        if iso is not None and (not isinstance(iso, str) or len(iso) != 2 or not iso.isupper()):
            c.problem(rid, f"iso_alpha2 {iso!r} is not two capital letters")
        if o.get("kind") == "country" and not iso:
            c.problem(rid, "a country needs its iso_alpha2 code")
        c.refs(rid, "source_ids", o.get("source_ids"), "sources")
        if o.get("parent_id"):
            c.ref(rid, "parent_id", o.get("parent_id"), "organisations")
    for f in c.records("frameworks"):
        rid = f.get("id", "?")
        c.choice(rid, "kind", f.get("kind"), FrameworkKind)
        c.choice(rid, "status", f.get("status"), FrameworkStatus)
        if f.get("status_at_as_of"):
            c.choice(rid, "status_at_as_of", f.get("status_at_as_of"), FrameworkStatus)
        signed = c.date(rid, "signed_date", f.get("signed_date"))
        effective = c.date(rid, "effective_date", f.get("effective_date"))
        if signed and effective and effective < signed:
            c.problem(rid, f"effective_date {effective} is before signed_date {signed}")
        c.refs(rid, "parties", f.get("parties"), "organisations")
        c.refs(rid, "related_framework_ids", f.get("related_framework_ids"), "frameworks")
        c.refs(rid, "source_ids", f.get("source_ids"), "sources")
        for s in f.get("signatories") or []:
            c.ref(rid, "signatories.org", s.get("org"), "organisations")
        for a in f.get("accessions") or []:
            c.ref(rid, "accessions.org", a.get("org"), "organisations")
        c.refs(rid, "non_signatory_participants", f.get("non_signatory_participants"), "organisations")
        if f.get("chair"):
            c.ref(rid, "chair.org", f["chair"].get("org"), "organisations")
            c.date(rid, "chair.term_end", f["chair"].get("term_end"))
    for w in c.records("working_groups"):
        rid = w.get("id", "?")
        c.ref(rid, "parent_id", w.get("parent_id"), "frameworks")
        c.ref(rid, "chair_org_id", w.get("chair_org_id"), "organisations", required=False)
        c.ref(rid, "co_chair_org_id", w.get("co_chair_org_id"), "organisations", required=False)
        c.refs(rid, "member_org_ids", w.get("member_org_ids"), "organisations")
        c.date(rid, "established", w.get("established"))
        c.date(rid, "chair_term_end", w.get("chair_term_end"))
        c.refs(rid, "source_ids", w.get("source_ids"), "sources")
    any_ref = set().union(*(c.index(k) for k in ("frameworks", "organisations", "commitments", "working_groups")))
    for m in c.records("milestones"):
        rid = m.get("id", "?")
        c.date(rid, "date", m.get("date"), required=True)
        for related in m.get("related_ids") or []:
            if related not in any_ref:
                c.problem(rid, f"related_ids refers to {related!r}, which is not in the file")
        c.refs(rid, "source_ids", m.get("source_ids"), "sources")
    for e in c.records("events"):
        rid = e.get("id", "?")
        c.date(rid, "date", e.get("date"), required=True)
        c.ref(rid, "host_org_id", e.get("host_org_id"), "organisations", required=False)
        c.refs(rid, "attendee_org_ids", e.get("attendee_org_ids"), "organisations")
    for p in c.records("contacts"):
        rid = p.get("id", "?")
        c.ref(rid, "organisation_id", p.get("organisation_id"), "organisations")
        if not p.get("name"):
            c.problem(rid, "name is missing")
        try:
            validate_email(p.get("email") or "")
        except ValidationError:
            c.problem(rid, f"email {p.get('email')!r} is not an e-mail address")
        c.choice(rid, "language", p.get("language"), Language, default="en")
        try:
            validate_time_zone(p.get("time_zone") or "UTC")
        except ValidationError:
            c.problem(rid, f"time_zone {p.get('time_zone')!r} is not an IANA time zone such as America/Lima")
    for cm in c.records("commitments"):
        rid = cm.get("id", "?")
        c.ref(rid, "framework_id", cm.get("framework_id"), "frameworks")
        owners = c.refs(rid, "owner_party_ids", cm.get("owner_party_ids"), "organisations")
        if not owners and not c.problems:
            c.problem(rid, "owner_party_ids is empty: a commitment needs at least one owner")
        status = cm.get("status")
        if status not in DERIVED_STATUSES:
            c.choice(rid, "status", status, Status)
        c.choice(rid, "category", cm.get("category"), Category, default=Category.OTHER)
        c.choice(rid, "priority", cm.get("priority"), Priority, default=Priority.NORMAL)
        c.refs(rid, "source_ids", cm.get("source_ids"), "sources")
        c.refs(rid, "contact_ids", cm.get("contact_ids"), "contacts")
        c.ref(rid, "working_group_id", cm.get("working_group_id"), "working_groups", required=False)
        recurrence = cm.get("recurrence") or {}
        if recurrence.get("rrule"):
            try:
                Recurrence.parse(recurrence["rrule"])
            except RuleError as exc:
                c.problem(rid, str(exc))
        if recurrence.get("review_every"):
            try:
                Offset.parse(recurrence["review_every"])
            except RuleError as exc:
                c.problem(rid, f"recurrence.review_every: {exc}")
        if cm.get("deadline"):
            _check_deadline(c, rid, cm["deadline"])
    for p in c.records("projects"):
        rid = p.get("id", "?")
        if not p.get("name"):
            c.problem(rid, "name is missing")
        c.ref(rid, "country_id", p.get("country_id"), "organisations")
        c.choice(rid, "stage", p.get("stage"), ProjectStage, default=ProjectStage.IDENTIFIED)
        c.choice(rid, "kind", p.get("kind"), ProjectKind, default=ProjectKind.MINE)
        c.refs(rid, "framework_ids", p.get("framework_ids"), "frameworks")
        c.refs(rid, "commitment_ids", p.get("commitment_ids"), "commitments")
        c.refs(rid, "sponsor_ids", p.get("sponsor_ids"), "organisations")
        c.refs(rid, "source_ids", p.get("source_ids"), "sources")
        if p.get("capacity") is not None and not isinstance(p.get("capacity"), int | float):
            c.problem(rid, f"capacity {p.get('capacity')!r} is not a number")
    targets = c.index("commitments") | c.index("frameworks")
    for position, t in enumerate(c.records("timeline_updates")):
        rid = t.get("target_id") or f"timeline_updates[{position}]"
        c.date(rid, "timeline_updates.date", t.get("date"), required=True)
        if t.get("target_id") not in targets:
            c.problem(rid, "timeline_updates.target_id is not a commitment or framework in the file")
        elif t["target_id"] in c.index("commitments"):
            c.choice(rid, "timeline_updates.new_status", t.get("new_status"), Status)
        else:
            c.choice(rid, "timeline_updates.new_status", t.get("new_status"), FrameworkStatus)
    return {"as_of": as_of}


def _check_deadline(c: _Checker, rid: str, rule: dict[str, Any]) -> None:
    kind = rule.get("anchor_kind")
    if kind not in AnchorKind.values:
        c.problem(rid, f"deadline.anchor_kind {kind!r} is unknown; expected one of {', '.join(AnchorKind.values)}")
        return
    anchor_keys = {
        "framework_signed": "frameworks",
        "framework_effective": "frameworks",
        "milestone": "milestones",
        "event": "events",
    }
    if kind in anchor_keys:
        c.ref(rid, "deadline.anchor_ref", rule.get("anchor_ref"), anchor_keys[kind])
    elif kind in ("deadline_due", "deadline_completed"):
        c.ref(rid, "deadline.anchor_ref", rule.get("anchor_ref"), "commitments")
    c.date(rid, "deadline.anchor_date", rule.get("anchor_date"), required=kind == "fixed")
    c.date(rid, "deadline.due_date", rule.get("due_date"))
    c.date(rid, "deadline.next_due_date", rule.get("next_due_date"))
    try:
        Offset.parse(rule.get("offset"))
    except RuleError as exc:
        c.problem(rid, f"deadline.{exc}")


# --- Writing ----------------------------------------------------------------------------------------------


def _upsert(
    model: type[models.Model],
    report: LoadReport,
    kind: str,
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    m2m: dict[str, list[models.Model]] | None = None,
    create_only: dict[str, Any] | None = None,
) -> tuple[models.Model, str]:
    """Create or update one record; touch it only when a value differs. Returns the record and the outcome."""
    obj = model.objects.filter(**lookup).first()
    outcome = "unchanged"
    if obj is None:
        obj = model(**lookup, **values, **(create_only or {}))
        outcome = "created"
    else:
        differing = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if differing:
            for k, v in differing.items():
                setattr(obj, k, v)
            outcome = "updated"
    if outcome != "unchanged":
        try:
            obj.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            name = lookup.get("ref") or ", ".join(str(v) for v in lookup.values())
            raise LoadError([f"{name}: {'; '.join(f'{k}: {v[0]}' for k, v in exc.message_dict.items())}"]) from exc
        if hasattr(obj, "history"):
            services.save_with_history(obj, by_user=None, actor=LOADER_ACTOR)
        else:
            obj.save()
    for name, targets in (m2m or {}).items():
        manager = getattr(obj, name)
        wanted = {t.pk for t in targets}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(targets)
            if outcome == "unchanged":
                outcome = "updated"
    report.count(kind, outcome)
    return obj, outcome


def _write(plan: dict[str, Any], report: LoadReport, c: _Checker) -> None:
    sources = {}
    for s in c.records("sources"):
        sources[s["id"]], _ = _upsert(
            Source,
            report,
            "sources",
            {"ref": s["id"]},
            {
                "title": s.get("title") or "",
                "url": s.get("url") or "",
                "published": s.get("date") or "",
                "kind": s.get("kind") or "",
            },
        )

    def src(record: dict[str, Any]) -> list[Source]:
        return [sources[i] for i in record.get("source_ids") or []]

    orgs: dict[str, Organisation] = {}
    for o in c.records("organisations"):
        orgs[o["id"]], _ = _upsert(
            Organisation,
            report,
            "organisations",
            {"ref": o["id"]},
            {
                "name": o["name"],
                "kind": o["kind"],
                "iso_alpha2": o.get("iso_alpha2") or None,
                "roles": o.get("roles") or [],
                "roles_later": o.get("roles_after_status_as_of") or [],
                "delegation_head": _person(o.get("ministerial_delegation_head")),
                "notes": o.get("notes") or "",
                "illustrative": bool(o.get("illustrative")),
                "illustrative_fields": o.get("illustrative_fields") or [],
            },
            m2m={"sources": src(o)},
        )
    for o in c.records("organisations"):
        if o.get("parent_id"):
            org = orgs[o["id"]]
            if org.parent_id != orgs[o["parent_id"]].pk:
                org.parent = orgs[o["parent_id"]]
                org.save(update_fields=["parent"])
        memberships = [
            (body, {"role": role, "presumed": False})
            for role, body in ROLE_MEMBERSHIPS.items()
            if role in (o.get("roles") or [])
        ]
        if o.get("forge_membership") and "ORG-FORGE" in orgs:
            note = str(o["forge_membership"])
            memberships.append(("ORG-FORGE", {"role": "member", "presumed": note.startswith("presumed")}))
        for body, values in memberships:
            if body in orgs:
                _upsert(
                    Membership,
                    report,
                    "memberships",
                    {"member": orgs[o["id"]], "body": orgs[body]},
                    {**values, "illustrative": values["presumed"]},
                )

    events = {}
    for e in c.records("events"):
        events[e["id"]], _ = _upsert(
            Event,
            report,
            "events",
            {"ref": e["id"]},
            {
                "name": e.get("name") or e["id"],
                "date": date.fromisoformat(e["date"]),
                "location": e.get("location") or "",
                "host": orgs.get(e.get("host_org_id")),
                "note": e.get("attendance_note") or "",
            },
            m2m={"attendees": [orgs[i] for i in e.get("attendee_org_ids") or []], "sources": src(e)},
        )

    frameworks: dict[str, Framework] = {}
    for f in c.records("frameworks"):
        frameworks[f["id"]], _ = _upsert(
            Framework,
            report,
            "frameworks",
            {"ref": f["id"]},
            {
                "title": f["title"],
                "short_title": f.get("short_title") or "",
                "kind": f["kind"],
                "signed_on": _date(f.get("signed_date")),
                "effective_on": _date(f.get("effective_date")),
                "date_estimated": bool(f.get("date_estimated")),
                "date_note": f.get("date_note") or "",
                "place": f.get("place") or "",
                "binding": bool(f.get("binding")),
                "intended_binding": bool(f.get("intended_binding")),
                "binding_note": f.get("binding_note") or "",
                "source_url": f.get("source") or "",
                "summary": f.get("summary") or "",
                "minerals": f.get("minerals") or [],
                "themes": f.get("themes") or [],
                "recorded_after_status_as_of": bool(f.get("recorded_after_status_as_of")),
                "status_at_as_of": f.get("status_at_as_of") or "",
                "membership_note": f.get("membership_note") or "",
                "illustrative": bool(f.get("illustrative")),
                "illustrative_fields": f.get("illustrative_fields") or [],
            },
            create_only={"status": f.get("status_at_as_of") or f["status"]},
            m2m={"sources": src(f)},
        )
    for f in c.records("frameworks"):
        fw = frameworks[f["id"]]
        related = [frameworks[i] for i in f.get("related_framework_ids") or []]
        if set(fw.related.values_list("pk", flat=True)) != {r.pk for r in related}:
            fw.related.set(related)
        _write_parties(f, fw, orgs, report, src)

    groups: dict[str, WorkingGroup] = {}
    for w in c.records("working_groups"):
        groups[w["id"]], _ = _upsert(
            WorkingGroup,
            report,
            "working groups",
            {"ref": w["id"]},
            {
                "name": w["name"],
                "framework": frameworks[w["parent_id"]],
                "chair_person": w.get("chair_person") or "",
                "co_chair_person": w.get("co_chair_person") or "",
                "mandate": w.get("mandate") or "",
                "meeting_cadence": w.get("meeting_cadence") or "",
                "established_on": _date(w.get("established")),
                "chair_term_ends_on": _date(w.get("chair_term_end")),
                "note": w.get("note") or "",
                "illustrative": bool(w.get("illustrative")),
            },
            m2m={"sources": src(w)},
        )
        roles = {i: MemberRole.MEMBER for i in w.get("member_org_ids") or []}
        if w.get("co_chair_org_id"):
            roles[w["co_chair_org_id"]] = MemberRole.CO_CHAIR
        if w.get("chair_org_id"):
            roles[w["chair_org_id"]] = MemberRole.CHAIR
        group = groups[w["id"]]
        stale = group.memberships.exclude(organisation__ref__in=roles)
        if stale.exists():
            stale.delete()
            report.count("working group members", "updated")
        for org_ref, role in roles.items():
            _upsert(
                WorkingGroupMember,
                report,
                "working group members",
                {"working_group": group, "organisation": orgs[org_ref]},
                {"role": role},
            )

    milestones: dict[str, Milestone] = {}
    for m in c.records("milestones"):
        milestones[m["id"]], _ = _upsert(
            Milestone,
            report,
            "milestones",
            {"ref": m["id"]},
            {
                "date": date.fromisoformat(m["date"]),
                "title": m.get("title") or m["id"],
                "kind": m.get("kind") or "",
                "date_estimated": bool(m.get("date_estimated")),
                "related_refs": m.get("related_ids") or [],
                "note": m.get("note") or "",
                "illustrative": bool(m.get("illustrative")),
            },
            m2m={
                "frameworks": [frameworks[i] for i in m.get("related_ids") or [] if i in frameworks],
                "sources": src(m),
            },
        )

    contacts: dict[str, Contact] = {}
    for p in c.records("contacts"):
        contacts[p["id"]], _ = _upsert(
            Contact,
            report,
            "contacts",
            {"ref": p["id"]},
            {
                "name": p["name"],
                "email": p["email"],
                "organisation": orgs[p["organisation_id"]],
                "title": p.get("title") or "",
                "language": p.get("language") or "en",
                "time_zone": p.get("time_zone") or "UTC",
                "illustrative": bool(p.get("illustrative")),
            },
        )

    commitments: dict[str, Commitment] = {}
    for cm in c.records("commitments"):
        status = DERIVED_STATUSES.get(cm["status"], cm["status"])
        if cm["status"] in DERIVED_STATUSES and not Commitment.objects.filter(ref=cm["id"]).exists():
            report.notes.append(
                f"{cm['id']}: status {cm['status']!r} is derived here, not stored: loaded as {status!r} "
                "(it shows as overdue while its deadline is past)"
            )
        commitment, outcome = _upsert(
            Commitment,
            report,
            "commitments",
            {"ref": cm["id"]},
            {
                "framework": frameworks[cm["framework_id"]],
                "title": cm["title"],
                "category": cm.get("category") or Category.OTHER,
                "priority": cm.get("priority") or Priority.NORMAL,
                "status_basis": cm.get("status_basis") or "",
                "working_group": groups.get(cm.get("working_group_id")),
                "review_every": (cm.get("recurrence") or {}).get("review_every") or "",
                "note": cm.get("note") or "",
                "illustrative": bool(cm.get("illustrative")),
            },
            create_only={"status": status},
            # A file that names no contacts leaves the ones already assigned (by the demo or by staff) alone.
            m2m={"sources": src(cm)}
            | ({"contacts": [contacts[i] for i in cm["contact_ids"]]} if "contact_ids" in cm else {}),
        )
        commitments[cm["id"]] = commitment
        owners = [orgs[i] for i in cm.get("owner_party_ids") or []]
        existing = set(commitment.ownerships.values_list("organisation__ref", flat=True))
        if existing != {o.ref for o in owners}:
            commitment.ownerships.exclude(organisation__in=owners).delete()
            CommitmentOwner.objects.bulk_create(
                CommitmentOwner(commitment=commitment, organisation=o, status=commitment.status)
                for o in owners
                if o.ref not in existing
            )
            report.count("commitment owners", "created" if not existing else "updated")
    for cm in c.records("commitments"):
        if cm.get("deadline"):
            _write_deadline(c, cm, commitments[cm["id"]], frameworks, milestones, events, commitments, plan, report)

    for p in c.records("projects"):
        _upsert(
            Project,
            report,
            "projects",
            {"ref": p["id"]},
            {
                "name": p["name"],
                "kind": p.get("kind") or ProjectKind.MINE,
                "country": orgs[p["country_id"]],
                "minerals": p.get("minerals") or [],
                "stage": p.get("stage") or ProjectStage.IDENTIFIED,
                "capacity": p.get("capacity"),
                "capacity_unit": p.get("capacity_unit") or "",
                "offtake": p.get("offtake") or "",
                "financing": p.get("financing") or "",
                "note": p.get("note") or "",
                "illustrative": bool(p.get("illustrative")),
                "illustrative_fields": p.get("illustrative_fields") or [],
            },
            m2m={
                "frameworks": [frameworks[i] for i in p.get("framework_ids") or []],
                "sponsors": [orgs[i] for i in p.get("sponsor_ids") or []],
                "commitments": [commitments[i] for i in p.get("commitment_ids") or []],
                "sources": src(p),
            },
        )

    _replay_timeline(c, commitments, frameworks, report)


def _write_parties(f: dict[str, Any], fw: Framework, orgs: dict[str, Organisation], report: LoadReport, src) -> None:
    multilateral = f.get("kind") in ("multilateral_initiative",)
    parties: dict[str, dict[str, Any]] = {}
    for ref in f.get("parties") or []:
        parties[ref] = {"role": PartyRole.PARTICIPANT if multilateral else PartyRole.SIGNATORY}
    for s in f.get("signatories") or []:
        parties.setdefault(s["org"], {"role": PartyRole.SIGNATORY})
        parties[s["org"]].update(signed_by=s.get("person") or "", signed_by_title=s.get("role") or "")
    for a in f.get("accessions") or []:
        joined, note = _partial_date_value(a.get("date"))
        parties[a["org"]] = {
            **parties.get(a["org"], {}),
            "role": PartyRole.SIGNATORY,
            "joined_on": joined,
            "joined_note": note,
        }
    for ref in f.get("non_signatory_participants") or []:
        parties.setdefault(ref, {"role": PartyRole.PARTICIPANT})
    if f.get("chair"):
        chair = f["chair"]
        parties[chair["org"]] = {
            **parties.get(chair["org"], {}),
            "role": PartyRole.CHAIR,
            "term_ends_on": _date(chair.get("term_end")),
        }
    stale = fw.parties.exclude(organisation__ref__in=parties)
    if stale.exists():
        stale.delete()
        report.count("parties", "updated")
    defaults = {
        "signed_by": "",
        "signed_by_title": "",
        "joined_on": None,
        "joined_note": "",
        "term_ends_on": None,
    }
    for ref, values in parties.items():
        _upsert(Party, report, "parties", {"framework": fw, "organisation": orgs[ref]}, {**defaults, **values})


def _write_deadline(
    c: _Checker,
    cm: dict[str, Any],
    commitment: Commitment,
    frameworks: dict[str, Framework],
    milestones: dict[str, Milestone],
    events: dict[str, Event],
    commitments: dict[str, Commitment],
    plan: dict[str, Any],
    report: LoadReport,
) -> None:
    rule = cm["deadline"]
    rid = cm["id"]
    ref = "DL-" + rid.removeprefix("CMT-")
    deadline = Deadline.objects.filter(ref=ref).first()
    outcome = "unchanged" if deadline else "created"
    if deadline is None:
        deadline = Deadline(ref=ref, commitment=commitment)
    before = {f.attname: getattr(deadline, f.attname) for f in Deadline._meta.concrete_fields}
    kind = rule["anchor_kind"]
    anchor = rule.get("anchor_ref")
    deadline.anchor_kind = kind
    deadline.anchor_framework = frameworks.get(anchor) if kind.startswith("framework") else None
    deadline.anchor_milestone = milestones.get(anchor) if kind == "milestone" else None
    deadline.anchor_event = events.get(anchor) if kind == "event" else None
    deadline.anchor_deadline = (
        commitments[anchor].deadlines.order_by("pk").first() if kind.startswith("deadline_") else None
    )
    if kind.startswith("deadline_") and deadline.anchor_deadline is None:
        c.problem(rid, f"deadline.anchor_ref {anchor} has no deadline to anchor on (list it earlier in the file)")
        return
    if kind == AnchorKind.FIXED:
        deadline.anchor_date = date.fromisoformat(rule["anchor_date"])
    deadline.anchor_estimated = bool(rule.get("anchor_estimated"))
    deadline.offset = rule.get("offset") or ""
    deadline.basis = rule.get("basis") or ""
    recurrence = (cm.get("recurrence") or {}).get("rrule") or ""
    deadline.recurrence = str(Recurrence.parse(recurrence)) if recurrence else ""
    try:
        services.deadline_apply_rule(deadline)
    except RuleError as exc:
        c.problem(rid, f"deadline: {exc}")
        return
    stated_anchor = _date(rule.get("anchor_date"))
    if stated_anchor and stated_anchor != deadline.anchor_date:
        c.problem(
            rid,
            f"deadline.anchor_date {stated_anchor} differs from its anchor {anchor} ({deadline.anchor_date})",
        )
    stated_due = _date(rule.get("due_date"))
    if stated_due and stated_due != deadline.original_due_on:
        c.problem(
            rid,
            f"deadline.due_date {stated_due} differs from the rule: "
            f"{deadline.anchor_date} + {deadline.offset or 'P0D'} = {deadline.original_due_on}",
        )
    if deadline.recurrence and outcome == "created" and plan["as_of"]:
        # Occurrences before the dataset's status date are behind us: start from the first one on or after it.
        rrule = deadline.recurrence_rule()
        current = rrule.next_on_or_after(deadline.original_due_on, plan["as_of"])
        while rrule.occurrence(deadline.original_due_on, deadline.occurrence_index) < current:
            deadline.occurrence_index += 1
        services.deadline_apply_rule(deadline)
        stated_next = _date(rule.get("next_due_date"))
        if stated_next and stated_next != deadline.due_on:
            c.problem(rid, f"deadline.next_due_date {stated_next} differs from the recurrence: {deadline.due_on}")
    if outcome == "created" and commitment.status in ("completed", "completed_late"):
        # Done before the dataset's status date; the day it was met is not in the file.
        deadline.completed_on = min(deadline.due_on, plan["as_of"]) if plan["as_of"] else deadline.due_on
    elif outcome == "created" and commitment.status == Status.CANCELLED:
        deadline.cancelled = True
    after = {f.attname: getattr(deadline, f.attname) for f in Deadline._meta.concrete_fields}
    if outcome == "unchanged" and before != after:
        outcome = "updated"
    if outcome != "unchanged":
        services.save_with_history(deadline, by_user=None, actor=LOADER_ACTOR)
        services.deadlines_changed([deadline])
    report.count("deadlines", outcome)


def _replay_timeline(
    c: _Checker, commitments: dict[str, Commitment], frameworks: dict[str, Framework], report: LoadReport
) -> None:
    """Apply the dataset's later real events once each, as status updates on the timeline."""
    for t in sorted(c.records("timeline_updates"), key=lambda t: t["date"]):
        happened_on = date.fromisoformat(t["date"])
        target = t["target_id"]
        if target in commitments:
            commitment = commitments[target]
            done = StatusUpdate.objects.filter(commitment=commitment, happened_on=happened_on, actor=TIMELINE_ACTOR)
            if done.exists():
                report.count("timeline updates", "unchanged")
                continue
            services.commitment_update_status(
                commitment=commitment,
                status=t["new_status"],
                note=t.get("note") or "",
                happened_on=happened_on,
                actor=TIMELINE_ACTOR,
                source_refs=t.get("source_ids") or [],
            )
            report.count("timeline updates", "created")
        else:
            framework = frameworks[target]
            reason = f"{TIMELINE_ACTOR}: {t['date']}"
            if framework.history.filter(history_change_reason__contains=reason).exists():
                report.count("timeline updates", "unchanged")
                continue
            framework.status = t["new_status"]
            services.save_with_history(
                framework, by_user=None, actor=TIMELINE_ACTOR, reason=f"{t['date']} {t.get('note') or ''}"
            )
            report.count("timeline updates", "created")


def _person(value: Any) -> str:
    """'Name, role' from {"person": ..., "role": ...}, or the text as given."""
    if isinstance(value, dict):
        return ", ".join(str(value[k]) for k in ("person", "role") if value.get(k))
    return str(value or "")


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _partial_date_value(value: Any) -> tuple[date | None, str]:
    if not value:
        return None, ""
    try:
        return date.fromisoformat(str(value)), ""
    except ValueError:
        return None, str(value)
