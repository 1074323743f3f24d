"""One spec per record kind: the file's keys, what they refer to, how each value compares and is written, and
what the tracker owns. The check (followups.loader.check) and the write (followups.loader.write) both run from
this table, in its order (a kind comes after the kinds it refers to).

Who owns a value: every field listed here is compared three ways on a later load (file, last loaded, tracker;
followups.loader.merge). What a spec does not list is the tracker's alone: a deadline's extension, completion and
occurrences, owners' own statuses, reminders, and the contacts of a commitment whose record names none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agreements.models import (
    Contact,
    DataCaveat,
    Event,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    GlossaryTerm,
    Language,
    Milestone,
    Organisation,
    OrganisationKind,
    Source,
    WorkingGroup,
)
from followups.loader import records as r
from followups.loader.check import Checker, Choice, Day, Present, Ref, Refs
from followups.loader.fields import (
    Context,
    Derived,
    Field,
    Read,
    add_many_new,
    day,
    flag,
    items,
    m2m,
    many,
    one,
    text,
)
from followups.models import (
    Category,
    Commitment,
    Deadline,
    Priority,
    Project,
    ProjectKind,
    ProjectStage,
    ReminderPolicy,
)

Check = Ref | Refs | Choice | Day | Present


@dataclass(frozen=True)
class RecordSpec:
    """How one kind of record is checked and written. Records are matched by their `id` (the tracker's `ref`)."""

    kind: str  # the file's list, and the name in the report and the baselines
    model: type[Any]  # a model with a unique `ref`
    fields: tuple[Field, ...]
    checks: tuple[Check, ...] = ()
    extra_check: Callable[[Checker, str, dict[str, Any]], None] | None = None
    # Values a new record gets and that are the tracker's afterwards (the commitment a deadline belongs to).
    create_only: Callable[[dict[str, Any], Context], dict[str, Any]] | None = None
    prepare_new: Callable[[Any, dict[str, Any], Context], None] | None = None
    save: Callable[[Any, Context], None] = r.save_loaded
    # The same for all the records of the kind this load creates, set-based (None: `save` one by one).
    save_new: Callable[[list[Any], Context], None] | None = r.save_loaded_many
    after_update: Callable[[Any, Context], None] | None = None
    on_create: Callable[[dict[str, Any], Context], None] | None = None
    # Records that come from another kind's (a deadline from its commitment), instead of the file's list.
    derive: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None
    # Keys read elsewhere (by a derived spec or an extra check), and keys data/README.md documents as ignored.
    other_keys: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    # Deleted in the tracker since the last load: stays deleted (a deadline entered by mistake).
    deletion_kept: bool = False
    strict_keys: bool = True
    # Existing records are read once per kind with what their fields refer to (False: one at a time, fresh, for
    # records an earlier record's write may change: a deadline anchored on another, read again once a merge of the
    # kind changed something); more to prefetch, and to read with them (`select`, in either case).
    preload: bool = True
    prefetch: tuple[str, ...] = ()
    select: tuple[str, ...] = ()

    @property
    def derived(self) -> bool:
        return self.derive is not None

    def records(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return self.derive(data) if self.derive else list(data.get(self.kind) or [])

    def known_keys(self) -> set[str]:
        keys = {"id", *self.other_keys, *self.ignored}
        for field in self.fields:
            keys.update(field.keys)
        for check in self.checks:
            keys.add(check.key)
        return keys


def sources(key: str = "source_ids") -> Field:
    return m2m("sources", "sources", key)


SOURCES = RecordSpec(
    "sources",
    Source,
    fields=(
        Field("title", text("title")),
        Field("url", text("url")),
        Field("published", text("date")),
        Field("kind", text("kind")),
    ),
)

ORGANISATIONS = RecordSpec(
    "organisations",
    Organisation,
    fields=(
        Field("name", text("name")),
        Field("kind", text("kind")),
        Field("iso_alpha2", Read("iso_alpha2")),
        Field("roles", items("roles")),
        Field("roles_later", items("roles_after_status_as_of")),
        Field("delegation_head", Derived(("ministerial_delegation_head",), r.person)),
        Field("notes", text("notes")),
        Field("illustrative", flag("illustrative")),
        Field("illustrative_fields", items("illustrative_fields")),
        sources(),
        Field("parent", one("organisations", "parent_id"), late=True),
        Field(
            "memberships",
            Derived(("roles", "forge_membership"), r.memberships_in_file),
            column=False,
            service=r.memberships_write,
            bulk=r.memberships_write_new,
            current=r.memberships_now,
            late=True,
        ),
    ),
    checks=(
        Present("name"),
        Choice("kind", OrganisationKind),
        Refs("source_ids", "sources"),
        Ref("parent_id", "organisations", required=False),
    ),
    extra_check=r.check_organisation,
    prefetch=("memberships__body",),
    # Read with the frameworks' parties (records.ORGANISATION_ACCESSIONS).
    other_keys=tuple(r.ORGANISATION_ACCESSIONS),
)

EVENTS = RecordSpec(
    "events",
    Event,
    fields=(
        Field("name", Derived(("name",), lambda e, ctx: e.get("name") or e["id"])),
        Field("date", day("date"), service=r.event_date_write),
        Field("location", text("location")),
        Field("host", one("organisations", "host_org_id")),
        Field("note", text("attendance_note")),
        Field("hosts", items("hosts")),
        Field("outcomes", items("outcomes")),
        m2m("attendees", "organisations", "attendee_org_ids"),
        sources(),
    ),
    checks=(
        Day("date", required=True),
        Ref("host_org_id", "organisations", required=False),
        Refs("attendee_org_ids", "organisations"),
        Refs("source_ids", "sources"),
    ),
)

FRAMEWORKS = RecordSpec(
    "frameworks",
    Framework,
    fields=(
        Field("title", text("title")),
        Field("short_title", text("short_title")),
        Field("kind", text("kind")),
        Field("signed_on", day("signed_date"), service=r.framework_signed_write),
        Field("effective_on", day("effective_date"), service=r.framework_effective_write),
        Field("date_estimated", flag("date_estimated")),
        Field("date_note", text("date_note")),
        Field("place", text("place")),
        Field("binding", flag("binding")),
        Field("intended_binding", flag("intended_binding")),
        Field("binding_note", text("binding_note")),
        Field("source_url", text("source")),
        Field("summary", text("summary")),
        Field("minerals", items("minerals")),
        Field("themes", items("themes")),
        Field("recorded_after_status_as_of", flag("recorded_after_status_as_of")),
        Field("status_at_as_of", text("status_at_as_of")),
        Field("status", Derived(("status", "status_at_as_of"), r.framework_status), service=r.framework_status_write),
        Field("membership_note", text("membership_note")),
        Field("illustrative", flag("illustrative")),
        Field("illustrative_fields", items("illustrative_fields")),
        sources(),
        Field(
            "parties",
            Derived(("parties", "signatories", "accessions", "non_signatory_participants", "chair"), r.parties_in_file),
            column=False,
            service=r.parties_write,
            bulk=r.parties_write_new,
            current=r.parties_now,
        ),
        m2m("related", "frameworks", "related_framework_ids", late=True),
    ),
    checks=(
        Present("title"),
        Choice("kind", FrameworkKind),
        Choice("status", FrameworkStatus),
        Choice("status_at_as_of", FrameworkStatus, optional=True),
        Refs("parties", "organisations"),
        Refs("related_framework_ids", "frameworks"),
        Refs("source_ids", "sources"),
        Refs("non_signatory_participants", "organisations"),
    ),
    extra_check=r.check_framework,
    prefetch=("parties__organisation", "parties__sources"),
)

WORKING_GROUPS = RecordSpec(
    "working_groups",
    WorkingGroup,
    fields=(
        Field("name", text("name")),
        Field("framework", one("frameworks", "parent_id")),
        Field("chair_person", text("chair_person")),
        Field("co_chair_person", text("co_chair_person")),
        Field("mandate", text("mandate")),
        Field("meeting_cadence", text("meeting_cadence")),
        Field("established_on", day("established")),
        Field("chair_term_ends_on", day("chair_term_end")),
        Field("note", text("note")),
        Field("illustrative", flag("illustrative")),
        sources(),
        Field(
            "members",
            Derived(("member_org_ids", "chair_org_id", "co_chair_org_id"), r.members_in_file),
            column=False,
            service=r.members_write,
            bulk=r.members_write_new,
            current=r.members_now,
        ),
    ),
    checks=(
        Present("name"),
        Ref("parent_id", "frameworks"),
        Ref("chair_org_id", "organisations", required=False),
        Ref("co_chair_org_id", "organisations", required=False),
        Refs("member_org_ids", "organisations"),
        Day("established"),
        Day("chair_term_end"),
        Refs("source_ids", "sources"),
    ),
    prefetch=("memberships__organisation",),
)

MILESTONES = RecordSpec(
    "milestones",
    Milestone,
    fields=(
        Field("date", day("date"), service=r.milestone_date_write),
        Field("title", Derived(("title",), lambda m, ctx: m.get("title") or m["id"])),
        Field("kind", text("kind")),
        Field("date_estimated", flag("date_estimated")),
        Field("related_refs", items("related_ids")),
        Field("note", text("note")),
        Field("illustrative", flag("illustrative")),
        Field(
            "frameworks",
            Derived(("related_ids",), r.milestone_frameworks),
            column=False,
            service=lambda obj, value, ctx: obj.frameworks.set(value),
            bulk=lambda pairs, ctx: add_many_new(pairs, ctx, name="frameworks"),
        ),
        sources(),
    ),
    checks=(Day("date", required=True), Refs("source_ids", "sources")),
    extra_check=r.check_milestone,
)

CONTACTS = RecordSpec(
    "contacts",
    Contact,
    fields=(
        Field("name", text("name")),
        Field("email", text("email")),
        Field("organisation", one("organisations", "organisation_id")),
        Field("title", text("title")),
        Field("language", Read("language", default="en")),
        Field("time_zone", Read("time_zone", default="UTC")),
        Field("illustrative", flag("illustrative")),
    ),
    checks=(
        Ref("organisation_id", "organisations"),
        Present("name"),
        Choice("language", Language, default="en"),
    ),
    extra_check=r.check_contact,
    after_update=r.contact_changed,
)

COMMITMENTS = RecordSpec(
    "commitments",
    Commitment,
    fields=(
        Field("framework", one("frameworks", "framework_id")),
        Field("title", text("title")),
        Field("category", Read("category", default=Category.OTHER)),
        Field("priority", Read("priority", default=Priority.NORMAL)),
        Field("status_basis", text("status_basis")),
        Field("working_group", one("working_groups", "working_group_id")),
        Field("review_every", Derived(("recurrence",), r.review_every)),
        Field("recurrence_basis", Derived(("recurrence",), r.recurrence_basis)),
        Field("note", text("note")),
        Field("illustrative", flag("illustrative")),
        sources(),
        # Owners before the status: a new owner starts at the commitment's status, then the status moves all.
        Field(
            "owners",
            many("organisations", "owner_party_ids"),
            column=False,
            service=r.owners_write,
            bulk=r.owners_write_new,
        ),
        Field("status", Derived(("status",), r.commitment_status), service=r.commitment_status_write),
        # A file that names no contacts leaves the ones already assigned (by the demo or by staff) alone.
        Field(
            "contacts",
            many("contacts", "contact_ids"),
            column=False,
            service=r.contacts_write,
            bulk=r.contacts_write_new,
            when=lambda cm: "contact_ids" in cm,
        ),
    ),
    checks=(
        Ref("framework_id", "frameworks"),
        Refs("owner_party_ids", "organisations"),
        Choice("category", Category, default=Category.OTHER),
        Choice("priority", Priority, default=Priority.NORMAL),
        Refs("source_ids", "sources"),
        Refs("contact_ids", "contacts"),
        Ref("working_group_id", "working_groups", required=False),
    ),
    extra_check=r.check_commitment,
    on_create=r.commitment_created,
    other_keys=("deadline",),
)

DEADLINES = RecordSpec(
    "deadlines",
    Deadline,
    fields=(
        Field("anchor_kind", text("anchor_kind")),
        Field(
            "anchor",
            Derived(("anchor_kind", "anchor_ref"), r.deadline_anchor),
            current=r.deadline_anchor_now,
            set=r.deadline_anchor_set,
        ),
        Field(
            "fixed_anchor_date",
            Derived(("anchor_date",), r.deadline_fixed_date),
            current=r.deadline_fixed_date_now,
            set=r.deadline_fixed_date_set,
        ),
        Field("anchor_estimated", flag("anchor_estimated")),
        Field("offset", text("offset")),
        Field("recurrence", Derived(("rrule",), r.deadline_recurrence)),
        Field("basis", text("basis")),
    ),
    create_only=r.deadline_new,
    prepare_new=r.deadline_prepare,
    save=r.deadline_save,
    save_new=r.deadline_save_new,
    derive=r.deadline_records,
    deletion_kept=True,
    preload=False,
    # What `anchor` compares (its ref), in the same query.
    select=("anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline", "anchor_party"),
    strict_keys=False,
)

# The dataset's reminder policies (RP-MEETING: 30/7/1 days and the day itself for meetings). Saved through the
# service that plans the reminders of the deadlines they cover again; a coordinator's edit in the admin stays.
REMINDER_POLICIES = RecordSpec(
    "reminder_policies",
    ReminderPolicy,
    fields=(
        Field("name", text("name")),
        Field("lead_days", items("lead_times_days")),
        Field("overdue_days", items("follow_up_days_after_due")),
        Field("category", Derived(("applies_to",), r.policy_category)),
        Field("priority", Derived(("applies_to",), r.policy_priority)),
        Field("recurring", Derived(("applies_to",), r.policy_recurring)),
        Field("illustrative", flag("illustrative")),
    ),
    checks=(Present("name"),),
    extra_check=r.check_reminder_policy,
    save=r.reminder_policy_save,
    save_new=None,  # a handful, each planning the deadlines under it: one by one
    # The tracker's own channels (e-mail, the calendar feed) and escalation (contacts, desk officers,
    # coordinators) apply: data/README.md.
    ignored=("channels", "escalate_to"),
)

PROJECTS = RecordSpec(
    "projects",
    Project,
    fields=(
        Field("name", text("name")),
        Field("kind", Read("kind", default=ProjectKind.MINE)),
        Field("country", one("organisations", "country_id")),
        Field("minerals", items("minerals")),
        Field("stage", Read("stage", default=ProjectStage.IDENTIFIED)),
        Field("capacity", Read("capacity")),
        Field("capacity_unit", text("capacity_unit")),
        Field("offtake", text("offtake")),
        Field("financing", text("financing")),
        Field("note", text("note")),
        Field("illustrative", flag("illustrative")),
        Field("illustrative_fields", items("illustrative_fields")),
        m2m("frameworks", "frameworks", "framework_ids"),
        m2m("sponsors", "organisations", "sponsor_ids"),
        m2m("commitments", "commitments", "commitment_ids"),
        sources(),
    ),
    checks=(
        Present("name"),
        Ref("country_id", "organisations"),
        Choice("stage", ProjectStage, default=ProjectStage.IDENTIFIED),
        Choice("kind", ProjectKind, default=ProjectKind.MINE),
        Refs("framework_ids", "frameworks"),
        Refs("commitment_ids", "commitments"),
        Refs("sponsor_ids", "organisations"),
        Refs("source_ids", "sources"),
    ),
    extra_check=r.check_project,
)

# The glossary and the known caveats of the data (checked by records.check_context_lists).
VOCABULARY = RecordSpec(
    "vocabulary",
    GlossaryTerm,
    fields=(Field("term", text("term")), Field("definition", text("definition"))),
    derive=r.vocabulary_records,
)

OPEN_QUESTIONS = RecordSpec(
    "open_questions",
    DataCaveat,
    fields=(
        Field("text", text("text")),
        Field(
            "frameworks",
            Derived(("text",), r.caveat_frameworks),
            column=False,
            service=r.set_frameworks,
            bulk=lambda pairs, ctx: add_many_new(pairs, ctx, name="frameworks"),
        ),
        Field(
            "organisations",
            Derived(("text",), r.caveat_organisations),
            column=False,
            service=r.set_organisations,
            bulk=lambda pairs, ctx: add_many_new(pairs, ctx, name="organisations"),
        ),
    ),
    derive=r.caveat_records,
)

# In writing order: a kind comes after every kind it refers to. The reminder policies before the commitments: a
# saved policy plans the deadlines under it again, which for the deadlines this load creates is done at its end
# anyway (once for all); before them, it looks only at the deadlines the tracker already had.
SPECS: tuple[RecordSpec, ...] = (
    SOURCES,
    ORGANISATIONS,
    EVENTS,
    FRAMEWORKS,
    WORKING_GROUPS,
    MILESTONES,
    CONTACTS,
    REMINDER_POLICIES,
    COMMITMENTS,
    DEADLINES,
    PROJECTS,
    VOCABULARY,
    OPEN_QUESTIONS,
)
