"""The issue's walk: load the dataset, then every key of every record of the kinds below either lands in a value
shown on a staff page (checked on that record's page) or is documented in data/README.md as deliberately ignored.

Kinds walked: events, frameworks (with their nested parties, signatories, accessions and chair), milestones,
commitments (with their deadline rule and recurrence), working groups, sources, reminder policies, vocabulary,
open questions, and the organisations' keys about memberships and accessions.
"""

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from agreements.models import Organisation

pytestmark = pytest.mark.django_db

DATA = json.loads((Path(settings.BASE_DIR) / "data" / "ministerial.json").read_text(encoding="utf-8"))
README = (Path(settings.BASE_DIR) / "data" / "README.md").read_text(encoding="utf-8")


def words(response) -> str:
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def name(ref: str) -> str:
    return Organisation.objects.get(ref=ref).name


def shown(value) -> list[str]:
    """What the page must show for a plain value: the text, each item of a list, a date as written."""
    if value in (None, "", [], False):
        return []
    if value is True:
        return []  # a flag: checked where it has a word of its own
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


Check = Callable[[dict, str], list[str]]  # (record, page words) -> the texts the page must contain

FRAMEWORK_KEYS: dict[str, Check] = {
    "id": lambda f, p: [f["id"]],
    "title": lambda f, p: [f["title"]],
    "short_title": lambda f, p: shown(f["short_title"]),
    "kind": lambda f, p: [],  # shown by its label, checked below
    "parties": lambda f, p: [name(r) for r in f["parties"]],
    "signatories": lambda f, p: [s["person"] for s in f["signatories"]],
    "signed_date": lambda f, p: shown(f["signed_date"]),
    "date_estimated": lambda f, p: ["estimated"] if f["date_estimated"] else [],
    "date_note": lambda f, p: shown(f["date_note"]),
    "place": lambda f, p: shown(f["place"]),
    "status": lambda f, p: [],  # by its label, below
    "binding": lambda f, p: ["Binding" if f["binding"] else "Not binding"],
    "intended_binding": lambda f, p: ["intended to be binding"] if f["intended_binding"] else [],
    "binding_note": lambda f, p: shown(f["binding_note"]),
    "source": lambda f, p: [],  # a link: checked in the HTML below
    "source_ids": lambda f, p: [],  # the sources list: checked below
    "summary": lambda f, p: shown(f["summary"]),
    "related_framework_ids": lambda f, p: shown(f["related_framework_ids"]),
    "illustrative": lambda f, p: ["Illustrative"] if f["illustrative"] else [],
    "recorded_after_status_as_of": lambda f, p: (
        ["recorded after that date"] if f["recorded_after_status_as_of"] else []
    ),
    "status_at_as_of": lambda f, p: ["Status on the dataset's date"] if f.get("status_at_as_of") else [],
    "membership_note": lambda f, p: shown(f.get("membership_note")),
    "accessions": lambda f, p: (
        [name(a["org"]) for a in f["accessions"]] + [s for a in f["accessions"] for s in a.get("source_ids") or []]
    ),
    "non_signatory_participants": lambda f, p: [name(r) for r in f["non_signatory_participants"]],
    "chair": lambda f, p: (
        [name(f["chair"]["org"]), f"term ends {f['chair']['term_end']}"]
        + (["estimated"] if f["chair"].get("term_end_estimated") else [])
        + f["chair"].get("source_ids", [])
    ),
}

EVENT_KEYS: dict[str, Check] = {
    "id": lambda e, p: [e["id"]],
    "name": lambda e, p: [e["name"]],
    "date": lambda e, p: [e["date"]],
    "location": lambda e, p: [e["location"]],
    "host_org_id": lambda e, p: [name(e["host_org_id"])],
    "hosts": lambda e, p: e["hosts"],
    "attendee_org_ids": lambda e, p: [name(r) for r in e["attendee_org_ids"]],
    "attendance_note": lambda e, p: [e["attendance_note"]],
    "outcomes": lambda e, p: e["outcomes"],
    "source_ids": lambda e, p: e["source_ids"],
}

MILESTONE_KEYS: dict[str, Check] = {
    "id": lambda m, p: [m["id"]],
    "date": lambda m, p: [m["date"]],
    "title": lambda m, p: [m["title"]],
    "kind": lambda m, p: [m["kind"]],
    "related_ids": lambda m, p: [r if not r.startswith("ORG-") else name(r) for r in m["related_ids"]],
    "date_estimated": lambda m, p: ["estimated"] if m["date_estimated"] else [],
    "source_ids": lambda m, p: m["source_ids"],
    "illustrative": lambda m, p: ["Illustrative"] if m["illustrative"] else [],
    "note": lambda m, p: shown(m["note"]),
}


def _label(choices, value: str) -> list[str]:
    return [str(dict(choices)[value])]


def _basis(value: str) -> list[str]:
    from followups.templatetags.tracker import basis_label

    return [f"Basis: {basis_label(value)}"] if value else []


def _deadline(c: dict, p: str) -> list[str]:
    """The rule's keys on the commitment's page: its anchor, its offset (the ISO form in the rule's tooltip), the
    due date the tracker computed (the current occurrence of a repeating one), the estimate and the basis."""
    d = c["deadline"]
    if not d:
        return []
    due = d.get("next_due_date") or d["due_date"]
    # A fixed date is the rule's anchor in words (4 February 2026); any other anchor is named in the tooltip.
    anchor = f"{d['anchor_kind']} {d['anchor_ref']}" if d["anchor_ref"] else _words(d["anchor_date"])
    expected = [due, *shown(d["offset"]), anchor]
    return expected + (["anchor estimated"] if d["anchor_estimated"] else []) + _basis(d["basis"])


def _words(day: str) -> str:
    from datetime import date

    from django.utils.formats import date_format

    return date_format(date.fromisoformat(day), "j F Y")


def _recurrence(c: dict, p: str) -> list[str]:
    from followups.templatetags.tracker import basis_label

    r = c["recurrence"]
    if not r:
        return []
    return shown(r.get("rrule")) + shown(r.get("review_every")) + [f"Repetition {basis_label(r['basis'])}"]


COMMITMENT_KEYS: dict[str, Check] = {
    "id": lambda c, p: [c["id"]],
    "framework_id": lambda c, p: [c["framework_id"]],
    "title": lambda c, p: [c["title"]],
    "owner_party_ids": lambda c, p: [name(r) for r in c["owner_party_ids"]],
    "deadline": _deadline,
    "recurrence": _recurrence,
    "status": lambda c, p: [],  # by its label: a replayed timeline update may have moved it on (checked below)
    "status_basis": lambda c, p: [f"Status basis: {c['status_basis']}"],
    "category": lambda c, p: _category(c["category"]),
    "priority": lambda c, p: [f"Priority: {_priority(c['priority'])}"],
    "source_ids": lambda c, p: c["source_ids"],
    "illustrative": lambda c, p: ["Illustrative"] if c["illustrative"] else [],
    "note": lambda c, p: shown(c["note"]),
}


def _category(value: str) -> list[str]:
    from followups.models import Category

    return [f"Category: {dict(Category.choices)[value]}"]


def _priority(value: str) -> str:
    from followups.models import Priority

    return str(dict(Priority.choices)[value])


WORKING_GROUP_KEYS: dict[str, Check] = {
    "id": lambda g, p: [g["id"]],
    "name": lambda g, p: [g["name"]],
    "parent_id": lambda g, p: [_framework_name(g["parent_id"])],
    "chair_org_id": lambda g, p: [f"{name(g['chair_org_id'])} (Chair)"] if g["chair_org_id"] else [],
    "chair_person": lambda g, p: shown(g["chair_person"]),
    "co_chair_org_id": lambda g, p: [f"{name(g['co_chair_org_id'])} (Co-chair)"] if g["co_chair_org_id"] else [],
    "co_chair_person": lambda g, p: shown(g["co_chair_person"]),
    "member_org_ids": lambda g, p: [name(r) for r in g["member_org_ids"]],
    "mandate": lambda g, p: shown(g["mandate"]),
    "meeting_cadence": lambda g, p: shown(g["meeting_cadence"]),
    "established": lambda g, p: shown(g["established"]),
    "chair_term_end": lambda g, p: [f"Chair's term ends {g['chair_term_end']}"] if g["chair_term_end"] else [],
    "source_ids": lambda g, p: g["source_ids"],
    "illustrative": lambda g, p: ["Illustrative"] if g["illustrative"] else [],
    "note": lambda g, p: shown(g["note"]),
}


def _framework_name(ref: str) -> str:
    from agreements.models import Framework

    return str(Framework.objects.get(ref=ref))


SOURCE_KEYS: dict[str, Check] = {
    "id": lambda s, p: [s["id"]],
    "title": lambda s, p: [s["title"]],
    "url": lambda s, p: [],  # a link (or, not a URL, the text): checked in the HTML below
    "date": lambda s, p: [s["date"]],
    "kind": lambda s, p: [s["kind"]],
}


def walk(records: list[dict], keys: dict[str, Check], page: Callable[[dict], str], kind: str) -> None:
    unknown = sorted({k for r in records for k in r} - set(keys))
    undocumented = [k for k in unknown if f"`{k}`" not in README]
    assert not undocumented, f"{kind}: keys neither shown nor documented as ignored in data/README.md: {undocumented}"
    for record in records:
        text = page(record)
        for key, check in keys.items():
            if key in record:
                for expected in check(record, text):
                    assert expected in text, f"{record['id']}.{key}: {expected!r} is not on its page"


def test_every_key_of_every_framework_is_on_its_page(ministerial, viewer_client):
    from agreements.models import Framework

    def page(f: dict) -> str:
        response = viewer_client.get(f"/frameworks/{f['id']}/")
        fw = Framework.objects.get(ref=f["id"])
        body = response.content.decode()
        if f.get("source"):
            assert f'href="{html.escape(f["source"])}"' in body or f["source"] in html.unescape(body)
        for ref in f["source_ids"]:
            assert ref in words(response) or ref in body
        text = words(response)
        assert fw.get_kind_display() in text and fw.get_status_display() in text
        return text

    walk(DATA["frameworks"], FRAMEWORK_KEYS, page, "frameworks")


def test_every_key_of_the_event_is_on_its_page(ministerial, viewer_client):
    walk(DATA["events"], EVENT_KEYS, lambda e: words(viewer_client.get(f"/events/{e['id']}/")), "events")


def test_every_key_of_every_milestone_is_on_its_page(ministerial, viewer_client):
    walk(
        DATA["milestones"], MILESTONE_KEYS, lambda m: words(viewer_client.get(f"/milestones/{m['id']}/")), "milestones"
    )


def test_every_term_and_open_question_is_on_its_page(ministerial, viewer_client):
    glossary = words(viewer_client.get("/glossary/"))
    for term in DATA["vocabulary"]:
        assert set(term) == {"term", "definition"}
        assert term["term"] in glossary and term["definition"] in glossary
    caveats = words(viewer_client.get("/data-caveats/"))
    for question in DATA["open_questions"]:
        assert question in caveats


def test_organisations_memberships_and_accessions_are_shown(ministerial, viewer_client):
    """`forge_membership` lands as a membership with its state and note (on FORGE's page); `pax_silica_joined`
    as the organisation's party to Pax Silica with its date (on Pax Silica's page)."""
    forge = words(viewer_client.get("/frameworks/FW-FORGE/"))
    pax = words(viewer_client.get("/frameworks/FW-PAX-SILICA/"))
    for org in DATA["organisations"]:
        if org.get("forge_membership"):
            assert f"{org['name']} " in forge and org["forge_membership"] in forge, org["id"]
        if org.get("pax_silica_joined"):
            joined = org["pax_silica_joined"]
            assert org["name"] in pax, org["id"]
            assert joined[:7] in pax, org["id"]


def test_every_key_of_every_commitment_is_on_its_page(ministerial, viewer_client):
    from followups.models import Commitment

    def page(c: dict) -> str:
        response = viewer_client.get(f"/commitments/{c['id']}/")
        text = words(response)
        # The ISO forms of the rule (anchor, offset, repetition) are the rule's tooltip.
        tooltips = " ".join(
            html.unescape(t) for t in re.findall(r'class="tracker-rule" title="([^"]*)"', response.content.decode())
        )
        # The current status by its label: the file's, unless a replayed timeline update moved it on.
        assert Commitment.objects.get(ref=c["id"]).get_status_display() in text, c["id"]
        return text + " " + tooltips

    walk(DATA["commitments"], COMMITMENT_KEYS, page, "commitments")


def test_every_key_of_every_working_group_is_on_its_page(ministerial, viewer_client):
    walk(
        DATA["working_groups"],
        WORKING_GROUP_KEYS,
        lambda g: words(viewer_client.get(f"/working-groups/{g['id']}/")),
        "working groups",
    )


def test_every_key_of_every_source_is_on_the_sources_page(ministerial, viewer_client):
    response = viewer_client.get("/sources/")
    body = response.content.decode()
    text = words(response)
    for source in DATA["sources"]:
        url = source["url"]
        assert f'href="{html.escape(url)}"' in body if url.startswith("http") else url in text, source["id"]
    walk(DATA["sources"], SOURCE_KEYS, lambda s: text, "sources")


def test_every_key_of_every_reminder_policy_is_in_the_admin(ministerial, coordinator, coordinator_client):
    """The policies are the admin's (Reminder policies): each row names the policy with its days, its category
    and priority by their labels; repetition and illustration by the list's filters."""
    from followups.models import Category, Priority

    coordinator.is_staff = True  # the admin lets a coordinator in with is_staff (agreements.roles)
    coordinator.save(update_fields=["is_staff"])

    base = "/admin/followups/reminderpolicy/"
    recurring = words(coordinator_client.get(base + "?recurring__exact=1"))
    illustrative = words(coordinator_client.get(base + "?illustrative__exact=1"))
    keys: dict[str, Check] = {
        "id": lambda rp, p: [rp["id"]],
        "name": lambda rp, p: [rp["name"]],
        "lead_times_days": lambda rp, p: [str(rp["lead_times_days"])],
        "follow_up_days_after_due": lambda rp, p: [f"overdue {rp.get('follow_up_days_after_due') or []}"],
        "applies_to": lambda rp, p: (
            [str(dict(Category.choices)[c]) for c in rp["applies_to"].get("category", [])]
            + [str(dict(Priority.choices)[c]) for c in rp["applies_to"].get("priority", [])]
        ),
        "illustrative": lambda rp, p: [],  # below, with repetition
    }

    def page(rp: dict) -> str:
        if rp["applies_to"].get("has_recurrence"):
            assert rp["id"] in recurring, rp["id"]
        if rp["illustrative"]:
            assert rp["id"] in illustrative, rp["id"]
        return words(coordinator_client.get(f"{base}?q={rp['id']}"))

    walk(DATA["reminder_policies"], keys, page, "reminder policies")
