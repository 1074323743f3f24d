"""The issue's walk: load the dataset, then every key of every record of the kinds below either lands in a value
shown on a staff page (checked on that record's page) or is documented in data/README.md as deliberately ignored.

Kinds walked: events, frameworks (with their nested parties, signatories, accessions and chair), milestones,
vocabulary, open questions, and the organisations' keys about memberships and accessions.
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
