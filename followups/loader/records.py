"""What is particular to one record kind: values made of several keys or rows (parties, memberships, owners),
the services that write a changed value, and the checks that do not fit a declaration. Used by the table in
followups.loader.spec.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from agreements.models import (
    Contact,
    DataCaveat,
    DatePrecision,
    Event,
    Framework,
    FrameworkStatus,
    MemberRole,
    Membership,
    MembershipState,
    Milestone,
    Organisation,
    Party,
    PartyRole,
    WorkingGroup,
    WorkingGroupMember,
    validate_time_zone,
)
from config.history import ActorKind
from followups import services
from followups.deadlines import Offset, Recurrence, RuleError
from followups.loader.check import Checker
from followups.loader.fields import LOADER_ACTOR, Context, add_many_new, normalise
from followups.loader.rows import insert_new
from followups.models import (
    AnchorKind,
    Commitment,
    CommitmentOwner,
    Deadline,
    LoadBaseline,
    ReminderPolicy,
    Status,
)
from followups.summary.counts import dashboard_summary_refresh
from followups.sync.scope import api_scope_changed

# Roles in `organisations[].roles` that mean membership of a body.
ROLE_MEMBERSHIPS = {"msp_partner": "ORG-MSP", "msp_forum_member": "ORG-MSP-FORUM"}
# Dataset statuses that the tracker derives instead of storing.
DERIVED_STATUSES = {"overdue": Status.IN_PROGRESS.value}
# The file's anchor kinds and the list their `anchor_ref` names (a deadline anchors on a commitment's deadline).
ANCHOR_LISTS = {
    AnchorKind.FRAMEWORK_SIGNED: "frameworks",
    AnchorKind.FRAMEWORK_EFFECTIVE: "frameworks",
    AnchorKind.MILESTONE: "milestones",
    AnchorKind.EVENT: "events",
    AnchorKind.DEADLINE_DUE: "commitments",
    AnchorKind.DEADLINE_COMPLETED: "commitments",
}


def _validated(obj: models.Model, exclude: tuple[str, ...] = ()) -> None:
    """A record's fields as full_clean checks them. A reference to a record read or written by this load is not
    looked up again (it exists: one query per reference and record was most of a load's statements)."""
    known = [
        f.name
        for f in obj._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and getattr(obj, f.attname) is not None and f.is_cached(obj)
    ]
    try:
        obj.full_clean(exclude=[*known, *exclude], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        from followups.loader.report import LoadError

        details = "; ".join(f"{k}: {v[0]}" for k, v in exc.message_dict.items())
        raise LoadError([f"{getattr(obj, 'ref', obj)}: {details}"]) from exc


def save_loaded(obj: models.Model, ctx: Context) -> None:
    """Validate a record's fields and save it, in its history when it keeps one."""
    _validated(obj)
    if hasattr(obj, "history"):
        services.save_with_history(obj, by_user=None, actor=LOADER_ACTOR)
    else:
        obj.save()
    if isinstance(obj, Commitment):  # noted, counted once at the load's end (deadlines_changed_deferred)
        dashboard_summary_refresh([obj.pk])


def create_with_history(objs: list[Any], model: type[models.Model], *, reason: str = "") -> None:
    """Insert new records together (followups.loader.rows), with their history rows as
    services.save_with_history records them one by one: no user, the loader and the reason."""
    insert_new(objs, model, reason=f"{LOADER_ACTOR}: {reason}" if reason else LOADER_ACTOR)


def save_loaded_many(objs: list[Any], ctx: Context) -> None:
    """save_loaded for records this load creates: each validated, then inserted in batches with their history."""
    for obj in objs:
        _validated(obj)
    if objs:
        create_with_history(objs, type(objs[0]))
    if objs and isinstance(objs[0], Commitment):  # noted, counted once at the load's end
        dashboard_summary_refresh(obj.pk for obj in objs)


# Tables the bulk writers below fill besides those of the record kinds (rows.statistics_refresh).
BULK_WRITTEN = (CommitmentOwner, Membership, Party, WorkingGroupMember, LoadBaseline)


def person(record: dict[str, Any], ctx: Context) -> str:
    """'Name, role' from {"person": ..., "role": ...}, or the text as given."""
    value = record.get("ministerial_delegation_head")
    if isinstance(value, dict):
        return ", ".join(str(value[k]) for k in ("person", "role") if value.get(k))
    return str(value or "")


_PARTIAL_DATE = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?\s*(?:\((?P<note>[^)]*)\))?$")
_BEFORE = re.compile(r"\bbefore (\d{4}-\d{2}-\d{2})")
_SOURCE_REF = re.compile(r"\bS\d{2,}\b")


def partial_date(value: Any) -> tuple[date | None, str, str]:
    """(date, precision, note) of a date as the file gives it: "2026-01-12"; "2026-02 (before 2026-02-20; exact
    date not found)", known to the month, is kept as the latest day it allows (2026-02-19: a clock anchored on it
    is never early) with precision "month" and the note; text that is no date at all gives (None, "", text)."""
    if not value:
        return None, "", ""
    match = _PARTIAL_DATE.match(str(value).strip())
    if not match:
        return None, "", str(value)
    year, month, day_ = int(match["y"]), int(match["m"] or 12), match["d"]
    note = (match["note"] or "").strip()
    try:
        if day_:
            return date(year, month, int(day_)), DatePrecision.DAY.value, note
        latest = date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return None, "", str(value)
    before = _BEFORE.search(note)
    if before:
        latest = min(latest, date.fromisoformat(before[1]) - timedelta(days=1))
    return latest, (DatePrecision.MONTH if match["m"] else DatePrecision.YEAR).value, note


def loaded_on(ctx: Context) -> date:
    """The day a status change from the file is dated: the file's status date, unless that is still ahead."""
    today = timezone.localdate()
    return min(ctx.as_of, today) if ctx.as_of else today


# --- Organisations: memberships of bodies ---------------------------------------------------------------------


def membership_state(note: str) -> str:
    """The state a membership note of the file means ('presumed (...)', 'expressed support (...)')."""
    for state in (MembershipState.PRESUMED, MembershipState.EXPRESSED_SUPPORT, MembershipState.INVITED):
        if note.startswith(str(state.label).split(" (")[0].lower()) or note.startswith(state.value):
            return state.value
    return MembershipState.CONFIRMED.value


def memberships_in_file(record: dict[str, Any], ctx: Context) -> dict[str, dict[str, Any]]:
    wanted = {
        body: {"role": role, "state": MembershipState.CONFIRMED.value, "note": ""}
        for role, body in ROLE_MEMBERSHIPS.items()
        if role in (record.get("roles") or [])
    }
    if record.get("forge_membership"):
        note = str(record["forge_membership"])
        wanted["ORG-FORGE"] = {"role": "member", "state": membership_state(note), "note": note}
    return {body: values for body, values in wanted.items() if ctx.get("organisations", body)}


def memberships_now(org: Organisation) -> dict[str, dict[str, Any]]:
    return {m.body.ref: {"role": m.role, "state": m.state, "note": m.note} for m in org.memberships.all()}


def memberships_write(org: Organisation, wanted: dict[str, dict[str, Any]], ctx: Context) -> None:
    org.memberships.exclude(body__ref__in=wanted).delete()
    for body, values in wanted.items():
        Membership.objects.update_or_create(
            member=org,
            body=ctx.get("organisations", body),
            # A presumed membership is not a sourced fact (DESIGN.md, "Facts, estimates and illustrations").
            defaults={**values, "illustrative": values["state"] == MembershipState.PRESUMED},
        )
    api_scope_changed()  # a confirmed membership widens its member's scope: the changes feed follows
    ctx.report.count("memberships", "updated")


def memberships_write_new(pairs: list[tuple[Organisation, dict[str, dict[str, Any]]]], ctx: Context) -> None:
    """memberships_write for the organisations this load created: every membership in one insert per batch."""
    rows = [
        Membership(
            member=org,
            body=ctx.get("organisations", body),
            **values,
            illustrative=values["state"] == MembershipState.PRESUMED,
        )
        for org, wanted in pairs
        for body, values in wanted.items()
    ]
    create_with_history(rows, Membership)
    if rows:
        api_scope_changed()
    for _pair in pairs:
        ctx.report.count("memberships", "updated")


def check_partial_date(c: Checker, rid: str, key: str, value: Any) -> None:
    """A date that may be known only to the month or year ("2026-02 (before 2026-02-20)"); absent is fine."""
    if value and partial_date(value)[0] is None:
        c.problem(rid, f"{key} {value!r} is not a date such as 2026-01-12, 2026-02 or 2026 (with a note in brackets)")


def check_organisation(c: Checker, rid: str, o: dict[str, Any]) -> None:
    for key in ORGANISATION_ACCESSIONS:
        check_partial_date(c, rid, key, o.get(key))
    iso = o.get("iso_alpha2")
    if iso is not None and (not isinstance(iso, str) or len(iso) != 2 or not iso.isupper()):
        c.problem(rid, f"iso_alpha2 {iso!r} is not two capital letters")
    if o.get("kind") == "country" and not iso:
        c.problem(rid, "a country needs its iso_alpha2 code")


# --- Frameworks: dates and status through their services; parties -------------------------------------------


def framework_status(record: dict[str, Any], ctx: Context) -> str:
    """The status as of the file's date when the file's timeline replays what came after (the replay moves it on);
    else the file's current status (FW-US-JP-AP's later "planned_unverified" is not lost)."""
    replayed = any(t.get("target_id") == record.get("id") for t in ctx.data.get("timeline_updates") or [])
    return (record.get("status_at_as_of") or record["status"]) if replayed else record["status"]


def framework_signed_write(fw: Framework, value: date | None, ctx: Context) -> None:
    services.framework_change_dates(
        framework=fw, signed_on=value, effective_on=fw.effective_on, actor=LOADER_ACTOR, reason="date in the file"
    )


def framework_effective_write(fw: Framework, value: date | None, ctx: Context) -> None:
    services.framework_change_dates(
        framework=fw, signed_on=fw.signed_on, effective_on=value, actor=LOADER_ACTOR, reason="date in the file"
    )


def framework_status_write(fw: Framework, value: str, ctx: Context) -> None:
    services.framework_set_status(framework=fw, status=value, actor=LOADER_ACTOR, reason="status in the file")
    fw.status = value


def parties_in_file(f: dict[str, Any], ctx: Context) -> dict[str, dict[str, Any]]:
    """Each party's role, signature, own date and sources, from `parties`, `signatories`, `accessions`, the
    participants, the chair and the organisations' own accession keys (ORGANISATION_ACCESSIONS)."""
    blank: dict[str, Any] = {
        "signed_by": "",
        "signed_by_title": "",
        "joined_on": None,
        "joined_precision": DatePrecision.DAY.value,
        "joined_note": "",
        "term_ends_on": None,
        "term_end_estimated": False,
        "sources": [],
    }
    multilateral = f.get("kind") == "multilateral_initiative"
    parties: dict[str, dict[str, Any]] = {}
    for ref in f.get("parties") or []:
        parties[ref] = {**blank, "role": PartyRole.PARTICIPANT if multilateral else PartyRole.SIGNATORY}
    for s in f.get("signatories") or []:
        parties.setdefault(s["org"], {**blank, "role": PartyRole.SIGNATORY})
        parties[s["org"]].update(signed_by=s.get("person") or "", signed_by_title=s.get("role") or "")
    accessions = [*(f.get("accessions") or []), *_organisation_accessions(f, ctx, parties)]
    for a in accessions:
        joined, precision, note = partial_date(a.get("date"))
        parties[a["org"]] = {**blank, **parties.get(a["org"], {}), "role": PartyRole.SIGNATORY}
        parties[a["org"]].update(
            joined_on=joined,
            joined_precision=precision or DatePrecision.DAY.value,
            joined_note=note,
            sources=sorted(set(parties[a["org"]]["sources"]) | set(a.get("source_ids") or [])),
        )
    for ref in f.get("non_signatory_participants") or []:
        parties.setdefault(ref, {**blank, "role": PartyRole.PARTICIPANT})
    if f.get("chair"):
        chair = f["chair"]
        party = parties[chair["org"]] = {**blank, **parties.get(chair["org"], {}), "role": PartyRole.CHAIR}
        party["term_ends_on"] = date.fromisoformat(chair["term_end"]) if chair.get("term_end") else None
        party["term_end_estimated"] = bool(chair.get("term_end_estimated"))
        party["sources"] = sorted(set(party["sources"]) | set(chair.get("source_ids") or []))
    return normalise(parties)


# Keys of `organisations[]` that give the organisation's accession to a framework, and that framework: read with
# the framework's parties (an accession the framework's own `accessions` list already gives is taken from there).
ORGANISATION_ACCESSIONS = {"pax_silica_joined": "FW-PAX-SILICA"}


def _organisation_accessions(
    f: dict[str, Any], ctx: Context, parties: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Accessions that only the organisations' records give (the European Commission's to Pax Silica, with the
    sources its text names), for organisations not already among the framework's parties or accessions."""
    keys = [key for key, framework in ORGANISATION_ACCESSIONS.items() if framework == f.get("id")]
    listed = {a.get("org") for a in f.get("accessions") or []} | set(f.get("parties") or [])
    found: list[dict[str, Any]] = []
    if not keys:
        return found
    for org in ctx.data.get("organisations") or []:
        for key in keys:
            value = org.get(key)
            if value and org.get("id") not in listed:
                found.append({"org": org["id"], "date": value, "source_ids": _SOURCE_REF.findall(str(value))})
    return found


PARTY_FIELDS = (
    "role",
    "signed_by",
    "signed_by_title",
    "joined_on",
    "joined_precision",
    "joined_note",
    "term_ends_on",
    "term_end_estimated",
)


def parties_now(fw: Framework) -> dict[str, dict[str, Any]]:
    return {
        p.organisation.ref: normalise(
            {**{name: getattr(p, name) for name in PARTY_FIELDS}, "sources": sorted(s.ref for s in p.sources.all())}
        )
        for p in fw.parties.all()  # prefetched with their organisations and sources (spec.FRAMEWORKS)
    }


def parties_write(fw: Framework, wanted: dict[str, dict[str, Any]], ctx: Context) -> None:
    # Through the service, as the admin removes a party: its own deadlines go with it, their commitments' next
    # due dates and the dashboard follow, and the changes feed tells partners who no longer see the framework.
    for gone in fw.parties.exclude(organisation__ref__in=wanted):
        services.party_delete(party=gone, actor=LOADER_ACTOR)
    for ref, values in wanted.items():
        party = fw.parties.filter(organisation__ref=ref).first() or Party(
            framework=fw, organisation=ctx.get("organisations", ref)
        )
        for name in PARTY_FIELDS:
            value = values[name]
            setattr(party, name, date.fromisoformat(value) if value and name.endswith("_on") else value)
        # Through the service: a party's own clocks (PartyClock) give it its deadlines in the same transaction.
        services.party_save(party=party, actor=LOADER_ACTOR, reason="party in the file")
        party.sources.set(ctx.many("sources", values.get("sources") or []))
    ctx.report.count("parties", "updated")


def parties_write_new(pairs: list[tuple[Framework, dict[str, dict[str, Any]]]], ctx: Context) -> None:
    """parties_write for the frameworks this load created, set-based: each party checked as services.party_save
    checks it, all inserted with their history and sources. A new framework has no per-party clock yet (a clock is
    set in the tracker on an existing framework), so no party has deadlines to plan."""
    parties, sources = [], []
    for fw, wanted in pairs:
        for ref, values in wanted.items():
            party = Party(framework=fw, organisation=ctx.get("organisations", ref))
            for name in PARTY_FIELDS:
                value = values[name]
                setattr(party, name, date.fromisoformat(value) if value and name.endswith("_on") else value)
            _validated(party, exclude=("sources",))
            parties.append(party)
            sources.append((party, ctx.many("sources", values.get("sources") or [])))
    create_with_history(parties, Party, reason="party in the file")
    add_many_new(sources, ctx, name="sources")
    if parties:
        api_scope_changed()  # a party decides who sees the framework
    for _pair in pairs:
        ctx.report.count("parties", "updated")


def check_framework(c: Checker, rid: str, f: dict[str, Any]) -> None:
    signed = c.date(rid, "signed_date", f.get("signed_date"))
    effective = c.date(rid, "effective_date", f.get("effective_date"))
    if signed and effective and effective < signed:
        c.problem(rid, f"effective_date {effective} is before signed_date {signed}")
    for s in f.get("signatories") or []:
        c.ref(rid, "signatories.org", s.get("org"), "organisations")
    for a in f.get("accessions") or []:
        c.ref(rid, "accessions.org", a.get("org"), "organisations")
        check_partial_date(c, rid, "accessions.date", a.get("date"))
    if f.get("chair") and not isinstance(f["chair"].get("term_end_estimated", False), bool):
        c.problem(rid, "chair.term_end_estimated must be true or false")
    if f.get("chair"):
        c.ref(rid, "chair.org", f["chair"].get("org"), "organisations")
        c.date(rid, "chair.term_end", f["chair"].get("term_end"))


# --- Working groups: members and their roles -------------------------------------------------------------------


def members_in_file(w: dict[str, Any], ctx: Context) -> dict[str, str]:
    roles = {ref: MemberRole.MEMBER.value for ref in w.get("member_org_ids") or []}
    if w.get("co_chair_org_id"):
        roles[w["co_chair_org_id"]] = MemberRole.CO_CHAIR.value
    if w.get("chair_org_id"):
        roles[w["chair_org_id"]] = MemberRole.CHAIR.value
    return roles


def members_now(group: WorkingGroup) -> dict[str, str]:
    return {m.organisation.ref: m.role for m in group.memberships.all()}


def members_write(group: WorkingGroup, wanted: dict[str, str], ctx: Context) -> None:
    if group.memberships.exclude(organisation__ref__in=wanted).delete()[0]:
        api_scope_changed()  # who sees what changed: the changes feed says so
    for ref, role in wanted.items():
        WorkingGroupMember.objects.update_or_create(
            working_group=group, organisation=ctx.get("organisations", ref), defaults={"role": role}
        )
    ctx.report.count("working group members", "updated")


def members_write_new(pairs: list[tuple[WorkingGroup, dict[str, str]]], ctx: Context) -> None:
    """members_write for the working groups this load created: every member in one insert per batch."""
    rows = [
        WorkingGroupMember(working_group=group, organisation=ctx.get("organisations", ref), role=role)
        for group, wanted in pairs
        for ref, role in wanted.items()
    ]
    create_with_history(rows, WorkingGroupMember)
    for _pair in pairs:
        ctx.report.count("working group members", "updated")


# --- Milestones and events: dates through their services ----------------------------------------------------------


def milestone_date_write(milestone: Milestone, value: date, ctx: Context) -> None:
    services.milestone_change_date(milestone=milestone, new_date=value, actor=LOADER_ACTOR, reason="date in the file")


def event_date_write(event: Event, value: date, ctx: Context) -> None:
    services.event_change_date(event=event, new_date=value, actor=LOADER_ACTOR, reason="date in the file")


def milestone_frameworks(m: dict[str, Any], ctx: Context) -> list[Framework]:
    return ctx.many("frameworks", m.get("related_ids") or [])


def check_milestone(c: Checker, rid: str, m: dict[str, Any]) -> None:
    kinds = ("frameworks", "organisations", "commitments", "working_groups")
    known = set().union(*(c.index(k) for k in kinds))
    for related in m.get("related_ids") or []:
        if related not in known:
            c.problem(rid, f"related_ids refers to {related!r}, which is not in the file")


# --- Contacts -----------------------------------------------------------------------------------------------------


def contact_changed(contact: Contact, ctx: Context) -> None:
    """A contact's address, language or zone changed: their commitments' reminders are planned again."""
    services.commitments_recipients_changed(contact.commitments.all())


def check_contact(c: Checker, rid: str, p: dict[str, Any]) -> None:
    try:
        validate_email(p.get("email") or "")
    except ValidationError:
        c.problem(rid, f"email {p.get('email')!r} is not an e-mail address")
    try:
        validate_time_zone(p.get("time_zone") or "UTC")
    except ValidationError:
        c.problem(rid, f"time_zone {p.get('time_zone')!r} is not an IANA time zone such as America/Lima")


# --- Commitments: status, owners and contacts through the services ---------------------------------------------


def commitment_status(record: dict[str, Any], ctx: Context) -> str:
    return DERIVED_STATUSES.get(record["status"], record["status"])


def commitment_status_write(commitment: Commitment, value: str, ctx: Context) -> None:
    services.commitment_update_status(
        commitment=commitment,
        status=value,
        note="Status in the loaded file.",
        happened_on=loaded_on(ctx),
        actor=LOADER_ACTOR,
        actor_kind=ActorKind.LOADER,
    )
    commitment.refresh_from_db(fields=["status"])


def owners_write(commitment: Commitment, value: list[Organisation], ctx: Context) -> None:
    services.commitment_owner_set(commitment=commitment, organisations=value, actor=LOADER_ACTOR)
    ctx.report.count("commitment owners", "updated")


def owners_write_new(pairs: list[tuple[Commitment, list[Organisation]]], ctx: Context) -> None:
    """commitment_owner_set for the commitments this load created, set-based: each owner starts at its
    commitment's status ("owner added" in the owners' history); then the same follow-ups, once."""
    owners = [
        CommitmentOwner(commitment=commitment, organisation=org, status=commitment.status)
        for commitment, organisations in pairs
        for org in {o.pk: o for o in organisations}.values()
    ]
    create_with_history(owners, CommitmentOwner, reason="owner added")
    services.commitments_recipients_changed([commitment for commitment, _value in pairs])
    api_scope_changed()  # new owners see their commitments: the changes feed follows
    for _pair in pairs:
        ctx.report.count("commitment owners", "updated")


def contacts_write(commitment: Commitment, value: list[Contact], ctx: Context) -> None:
    services.commitment_contacts_set(commitment=commitment, contacts=value)


def contacts_write_new(pairs: list[tuple[Commitment, list[Contact]]], ctx: Context) -> None:
    """commitment_contacts_set for the commitments this load created: the contacts in one insert per batch, their
    reminders planned once."""
    add_many_new(pairs, ctx, name="contacts")
    services.commitments_recipients_changed([commitment for commitment, _value in pairs])


def review_every(record: dict[str, Any], ctx: Context) -> str:
    return (record.get("recurrence") or {}).get("review_every") or ""


def recurrence_basis(record: dict[str, Any], ctx: Context) -> str:
    return (record.get("recurrence") or {}).get("basis") or ""


def commitment_created(record: dict[str, Any], ctx: Context) -> None:
    if record["status"] in DERIVED_STATUSES:
        ctx.report.notes.append(
            f"{record['id']}: status {record['status']!r} is derived here, not stored: loaded as "
            f"{DERIVED_STATUSES[record['status']]!r} (it shows as overdue while its deadline is past)"
        )


# The keys of a commitment's `deadline` and `recurrence` the loader reads, and those data/README.md documents as
# prose it ignores; any other is an error.
NESTED_KEYS = {
    "deadline": {
        "anchor_kind", "anchor_ref", "anchor_date", "anchor_estimated", "offset", "basis", "due_date", "next_due_date",
        "offset_semantics", "recurrence_note",
    },
    "recurrence": {"rrule", "review_every", "basis"},
}  # fmt: skip


def check_nested_keys(c: Checker, rid: str, cm: dict[str, Any]) -> None:
    for key, known in NESTED_KEYS.items():
        value = cm.get(key)
        if value is not None and not isinstance(value, dict):
            c.problem(rid, f"{key} must be an object")
        elif value and set(value) - known:
            unknown = ", ".join(f"{key}.{k}" for k in sorted(set(value) - known))
            c.problem(rid, f"unknown key(s) {unknown} in commitments: not loaded; see data/README.md")


def check_commitment(c: Checker, rid: str, cm: dict[str, Any]) -> None:
    if not cm.get("owner_party_ids") and not c.problems:
        c.problem(rid, "owner_party_ids is empty: a commitment needs at least one owner")
    check_nested_keys(c, rid, cm)
    if not all(isinstance(cm.get(k) or {}, dict) for k in NESTED_KEYS):
        return
    if cm.get("status") not in DERIVED_STATUSES:
        c.choice(rid, "status", cm.get("status"), Status)
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
        check_deadline(c, rid, cm)


# --- Deadlines (one per commitment that has a rule in the file) -------------------------------------------------


def deadline_ref(commitment_ref: str) -> str:
    return "DL-" + commitment_ref.removeprefix("CMT-")


def deadline_records(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The file's deadline rules as records of their own, named DL-<the commitment's ref without CMT->."""
    return [
        {
            **cm["deadline"],
            "id": deadline_ref(cm["id"]),
            "commitment_id": cm["id"],
            "rrule": (cm.get("recurrence") or {}).get("rrule") or "",
        }
        for cm in data.get("commitments") or []
        if cm.get("deadline")
    ]


def deadline_anchor(rule: dict[str, Any], ctx: Context) -> models.Model | None:
    listed = ANCHOR_LISTS.get(rule["anchor_kind"])
    if listed == "commitments":
        return ctx.get("deadlines", deadline_ref(rule.get("anchor_ref") or ""))
    return ctx.get(listed, rule.get("anchor_ref")) if listed else None


def deadline_anchor_set(deadline: Deadline, target: models.Model | None) -> None:
    """Point the rule at its anchor: the one anchor foreign key whose model is the target's, the others cleared."""
    for field in Deadline._meta.concrete_fields:
        if field.is_relation and field.name.startswith("anchor_"):
            model = field.related_model
            setattr(deadline, field.name, target if isinstance(model, type) and isinstance(target, model) else None)


def deadline_anchor_now(deadline: Deadline) -> Any:
    return normalise(deadline.anchor_object)


def deadline_fixed_date(rule: dict[str, Any], ctx: Context) -> date | None:
    if rule["anchor_kind"] != AnchorKind.FIXED:
        return None
    return date.fromisoformat(rule["anchor_date"])


def deadline_fixed_date_now(deadline: Deadline) -> str | None:
    return deadline.anchor_date.isoformat() if deadline.anchor_kind == AnchorKind.FIXED else None


def deadline_fixed_date_set(deadline: Deadline, value: date | None) -> None:
    if value is not None:
        deadline.anchor_date = value


def deadline_recurrence(rule: dict[str, Any], ctx: Context) -> str:
    return str(Recurrence.parse(rule["rrule"])) if rule.get("rrule") else ""


def deadline_new(rule: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"commitment": ctx.get("commitments", rule["commitment_id"])}


def deadline_prepare(deadline: Deadline, rule: dict[str, Any], ctx: Context) -> None:
    """A new deadline starts where the file's status date stands: occurrences before it are behind us, and a
    commitment done (or cancelled) by then has its deadline met (or cancelled); the day it was met is not known."""
    try:
        services.deadline_apply_rule(deadline)
        if deadline.recurrence and ctx.as_of:
            rrule = deadline.recurrence_rule()
            assert rrule is not None  # noqa: S101 - the recurrence was just checked
            current = rrule.next_on_or_after(deadline.original_due_on, ctx.as_of)
            while rrule.occurrence(deadline.original_due_on, deadline.occurrence_index) < current:
                deadline.occurrence_index += 1
            services.deadline_apply_rule(deadline)
    except RuleError as exc:
        from followups.loader.report import LoadError

        raise LoadError([f"{rule['commitment_id']}: deadline: {exc}"]) from exc
    status = deadline.commitment.status
    if status in (Status.COMPLETED, Status.COMPLETED_LATE):
        deadline.completed_on = min(deadline.due_on, ctx.as_of) if ctx.as_of else deadline.due_on
    elif status == Status.CANCELLED:
        deadline.cancelled = True


def deadline_save(deadline: Deadline, ctx: Context) -> None:
    services.deadline_save_rule(deadline=deadline, actor=LOADER_ACTOR, reason="rule in the file")


def deadline_save_new(deadlines: list[Deadline], ctx: Context) -> None:
    """services.deadline_save_rule for the deadlines this load creates, set-based: each rule checked and computed,
    then inserted with its history in waves (a deadline anchored on a new one after it), and their reminders and
    webhooks planned (once, at the load's end). Nothing existing is anchored on a deadline that did not exist."""
    for deadline in deadlines:
        deadline.clean()
        services.deadline_apply_rule(deadline)
    waiting = list(deadlines)
    while waiting:
        wave = [d for d in waiting if d.anchor_deadline is None or d.anchor_deadline.pk is not None]
        if not wave:
            raise RuleError(f"deadline {waiting[0].ref} depends on itself through its anchors")
        create_with_history(wave, Deadline, reason="rule in the file")
        waiting = [d for d in waiting if d.pk is None]
    services.deadlines_changed(deadlines)


def check_deadline(c: Checker, rid: str, cm: dict[str, Any]) -> None:
    """The rule's references and dates; then its stated dates against what the rule gives from the file's own
    anchor dates (the application computes due dates; the file's are a cross-check)."""
    rule = cm["deadline"]
    kind = rule.get("anchor_kind")
    known = [k for k in AnchorKind.values if k != AnchorKind.PARTY_JOINED]
    if kind not in known:
        # A clock per party is set in the tracker (PartyClock), one deadline per party; the file has no form for it.
        c.problem(rid, f"deadline.anchor_kind {kind!r} is unknown; expected one of {', '.join(known)}")
        return
    if kind in ANCHOR_LISTS:
        c.ref(rid, "deadline.anchor_ref", rule.get("anchor_ref"), ANCHOR_LISTS[kind])
    c.date(rid, "deadline.anchor_date", rule.get("anchor_date"), required=kind == "fixed")
    c.date(rid, "deadline.due_date", rule.get("due_date"))
    c.date(rid, "deadline.next_due_date", rule.get("next_due_date"))
    try:
        offset = Offset.parse(rule.get("offset"))
    except RuleError as exc:
        c.problem(rid, f"deadline.{exc}")
        return
    anchor_date = _file_anchor_date(c, rid, rule)
    if anchor_date is not None:
        _check_stated_dates(c, rid, cm, anchor_date, offset)


def _file_dates(c: Checker) -> dict[str, Any]:
    """Each record's date as the file gives it, for the deadline cross-check (collected once per file)."""
    if c.dates is None:
        c.dates = {}
        for f in c.records("frameworks"):
            c.dates[f"framework_signed:{f.get('id')}"] = f.get("signed_date")
            c.dates[f"framework_effective:{f.get('id')}"] = f.get("effective_date") or f.get("signed_date")
        for key, kind in (("milestones", "milestone"), ("events", "event")):
            for r in c.records(key):
                c.dates[f"{kind}:{r.get('id')}"] = r.get("date")
    return c.dates


def _file_anchor_date(c: Checker, rid: str, rule: dict[str, Any]) -> date | None:
    kind, anchor = rule["anchor_kind"], rule.get("anchor_ref")
    if kind == AnchorKind.FIXED:
        value: Any = rule.get("anchor_date")
    elif kind == AnchorKind.DEADLINE_DUE:
        value = _file_dates(c).get(f"due:{anchor}")
        if anchor in c.index("commitments") and value is None:
            c.problem(rid, f"deadline.anchor_ref {anchor} has no deadline to anchor on (list it earlier in the file)")
    else:
        value = _file_dates(c).get(f"{kind}:{anchor}")
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None  # reported with the record it belongs to


def _check_stated_dates(c: Checker, rid: str, cm: dict[str, Any], anchor_date: date, offset: Offset) -> None:
    rule = cm["deadline"]
    stated_anchor = c.date(rid, "deadline.anchor_date", rule.get("anchor_date"))
    if stated_anchor and stated_anchor != anchor_date:
        c.problem(
            rid,
            f"deadline.anchor_date {stated_anchor} differs from its anchor {rule.get('anchor_ref')} ({anchor_date})",
        )
    due = offset.after(anchor_date)
    stated_due = c.date(rid, "deadline.due_date", rule.get("due_date"))
    if stated_due and stated_due != due:
        rule_text = f"{anchor_date} + {rule.get('offset') or 'P0D'} = {due}"
        c.problem(rid, f"deadline.due_date {stated_due} differs from the rule: {rule_text}")
    rrule_text = (cm.get("recurrence") or {}).get("rrule")
    if rrule_text and c.as_of:
        try:
            due = Recurrence.parse(rrule_text).next_on_or_after(due, c.as_of)
        except RuleError:
            return  # reported with the commitment
        stated_next = c.date(rid, "deadline.next_due_date", rule.get("next_due_date"))
        if stated_next and stated_next != due:
            c.problem(rid, f"deadline.next_due_date {stated_next} differs from the recurrence: {due}")
    _file_dates(c)[f"due:{cm['id']}"] = due.isoformat()


def check_project(c: Checker, rid: str, p: dict[str, Any]) -> None:
    if p.get("capacity") is not None and not isinstance(p.get("capacity"), int | float):
        c.problem(rid, f"capacity {p.get('capacity')!r} is not a number")


def check_timeline(c: Checker) -> None:
    """The dataset's later real events: each names a commitment or framework of the file and a status of its kind."""
    commitments, frameworks = c.index("commitments"), c.index("frameworks")
    for position, t in enumerate(c.records("timeline_updates")):
        rid = t.get("target_id") or f"timeline_updates[{position}]"
        c.date(rid, "timeline_updates.date", t.get("date"), required=True)
        if t.get("target_id") in commitments:
            c.choice(rid, "timeline_updates.new_status", t.get("new_status"), Status)
        elif t.get("target_id") in frameworks:
            c.choice(rid, "timeline_updates.new_status", t.get("new_status"), FrameworkStatus)
        else:
            c.problem(rid, "timeline_updates.target_id is not a commitment or framework in the file")


# --- Context: the vocabulary (glossary) and the open questions (known caveats of the data) --------------------


def vocabulary_records(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The glossary's terms as records, named by the term in a form usable as a page anchor."""
    return [
        {**term, "id": slugify(term.get("term") or "")}
        for term in data.get("vocabulary") or []
        if isinstance(term, dict) and term.get("term")
    ]


def caveat_records(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The open questions as records DQ-1, DQ-2, ... by position (the file gives them no id)."""
    return [
        {"id": f"DQ-{position}", "text": str(text)}
        for position, text in enumerate(data.get("open_questions") or [], start=1)
        if text
    ]


def _mentions(text: str, name: str) -> bool:
    name = re.sub(r"\s*\(.*?\)", "", name).strip()  # "US-Japan Action Plan (planned)": the name without notes
    return len(name) >= 3 and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE) is not None


def caveat_frameworks(record: dict[str, Any], ctx: Context) -> list[models.Model]:
    """The frameworks a caveat names by short title ("FORGE", "Pax Silica", "US-Japan action plan")."""
    return [
        fw
        for fw in ctx.objects.get("frameworks", {}).values()
        if isinstance(fw, Framework) and _mentions(record["text"], fw.short_title or "")
    ]


def caveat_organisations(record: dict[str, Any], ctx: Context) -> list[models.Model]:
    """The countries a caveat names ("Greece's Pax Silica accession", "Texts of the Argentina ... instruments")."""
    return [
        org
        for org in ctx.objects.get("organisations", {}).values()
        if isinstance(org, Organisation) and org.kind == "country" and _mentions(record["text"], org.name)
    ]


def check_context_lists(c: Checker) -> None:
    """`vocabulary` items are {"term", "definition"} with distinct terms; `open_questions` items are texts."""
    seen: set[str] = set()
    for position, term in enumerate(c.data.get("vocabulary") or []):
        rid = f"vocabulary[{position}]"
        if not isinstance(term, dict) or not term.get("term") or not term.get("definition"):
            c.problem(rid, "a term needs 'term' and 'definition'")
            continue
        unknown = sorted(set(term) - {"term", "definition"})
        if unknown:
            c.problem(rid, f"unknown key(s) {', '.join(unknown)} in vocabulary; see data/README.md")
        slug = slugify(term["term"])
        if slug in seen:
            c.problem(rid, f"the term {term['term']!r} is given twice")
        seen.add(slug)
    for position, text in enumerate(c.data.get("open_questions") or []):
        if not isinstance(text, str) or not text.strip():
            c.problem(f"open_questions[{position}]", "an open question is a non-empty text")


def set_frameworks(obj: DataCaveat, value: list[Framework], ctx: Context) -> None:
    obj.frameworks.set(value)


def set_organisations(obj: DataCaveat, value: list[Organisation], ctx: Context) -> None:
    obj.organisations.set(value)


# --- Reminder policies ------------------------------------------------------------------------------------------

# What a policy's `applies_to` may say: the criteria the tracker has (ReminderPolicy.category, .priority,
# .recurring), and two that every deadline meets where a policy acts (it has a due date; an overdue follow-up is
# about an overdue deadline).
POLICY_CRITERIA = {"category", "priority", "has_recurrence", "has_due_date", "status"}


def _one_of(record: dict[str, Any], key: str) -> str:
    values = (record.get("applies_to") or {}).get(key) or []
    return str(values[0]) if values else ""


def policy_category(record: dict[str, Any], ctx: Context) -> str:
    return _one_of(record, "category")


def policy_priority(record: dict[str, Any], ctx: Context) -> str:
    return _one_of(record, "priority")


def policy_recurring(record: dict[str, Any], ctx: Context) -> bool:
    return bool((record.get("applies_to") or {}).get("has_recurrence"))


def check_reminder_policy(c: Checker, rid: str, p: dict[str, Any]) -> None:
    from followups.models import Category, Priority

    applies = p.get("applies_to") or {}
    if not isinstance(applies, dict):
        c.problem(rid, 'applies_to must be an object such as {"category": ["meeting"]}')
        return
    unknown = sorted(set(applies) - POLICY_CRITERIA)
    if unknown:
        c.problem(rid, f"unknown criteria {', '.join(unknown)} in applies_to; see data/README.md")
    for key, choices in (("category", Category), ("priority", Priority)):
        values = applies.get(key) or []
        if not isinstance(values, list) or len(values) > 1 or any(v not in choices.values for v in values):
            c.problem(rid, f"applies_to.{key} must name one of {', '.join(choices.values)}: {values!r}")
    if applies.get("status") not in (None, ["overdue"]):
        c.problem(rid, f'applies_to.status can only be ["overdue"]: {applies.get("status")!r}')
    for key in ("lead_times_days", "follow_up_days_after_due"):
        days = p.get(key) or []
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in days
        ):
            c.problem(rid, f"{key} must be a list of whole numbers of days from 0: {days!r}")


def reminder_policy_save(policy: ReminderPolicy, ctx: Context) -> None:
    """Save a loaded policy like any record; the deadlines under it (and under what it was) are planned again,
    through the same service as the admin's save (once, at the load's end)."""
    previous = ReminderPolicy.objects.filter(pk=policy.pk).first() if policy.pk else None
    save_loaded(policy, ctx)
    services.reminder_policy_changed(policy=policy, previous=previous)
