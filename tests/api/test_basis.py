"""Issue 10: every API resource says whether it is sourced (with its sources), from a template or illustrative,
by the same rule as the staff pages and exports, and the lists filter on it strictly."""

from __future__ import annotations

import pytest

from agreements.models import Framework, Organisation, WorkingGroup
from agreements.roles import Role
from followups.models import Commitment, Deadline, StatusUpdate
from tests.api.conftest import all_items, error_of
from tests.followups.conftest import ministerial  # noqa: F401 - the dataset, loaded once per module

pytestmark = pytest.mark.django_db

# (list, model, its rows' basis in the dataset).
RESOURCES = [
    ("/api/v1/organisations/", Organisation),
    ("/api/v1/frameworks/", Framework),
    ("/api/v1/working-groups/", WorkingGroup),
    ("/api/v1/commitments/", Commitment),
    ("/api/v1/deadlines/", Deadline),
]


@pytest.fixture
def staff(staff_client_factory):
    return staff_client_factory(Role.VIEWER)


@pytest.mark.parametrize(("url", "model"), RESOURCES)
def test_every_row_carries_its_basis_and_sources(ministerial, staff, url, model):  # noqa: F811
    items = all_items(staff, url)
    assert len(items) == model.objects.count()
    by_ref = {r.ref: r for r in model.objects.all()}
    for item in items:
        record = by_ref[item["ref"]]
        # The same rule as the pages and the exports: the model's own `provenance`.
        assert item["basis"] == record.provenance, item["ref"]
        assert isinstance(item["sources"], list)
    assert {item["basis"] for item in items} <= {"sourced", "template", "illustrative"}


def test_sources_are_the_dataset_sources(ministerial, staff):  # noqa: F811
    commitment = staff.get("/api/v1/commitments/CMT-AU-01/").json()
    assert commitment["basis"] == "sourced" and commitment["status_basis"] == "sourced"
    refs = [s["ref"] for s in commitment["sources"]]
    assert sorted(refs) == ["S06", "S07", "S09", "S11"]
    s06 = next(s for s in commitment["sources"] if s["ref"] == "S06")
    assert set(s06) == {"ref", "title", "url", "published", "kind"} and s06["title"]
    framework = staff.get("/api/v1/frameworks/FW-PAX-SILICA/").json()
    assert framework["sources"], "Pax Silica has sources"
    # Accessions land on the party with their own sources and date precision.
    greece = next(p for p in framework["parties"] if p["organisation"] == "ORG-GR")
    assert greece["joined_precision"] == "month" and greece["joined_on"] == "2026-02-19"
    assert greece["basis"] == "sourced"
    deadline = staff.get("/api/v1/deadlines/DL-AU-01/").json()
    assert deadline["basis"] == "sourced" and {s["ref"] for s in deadline["sources"]} == set(refs)


def test_the_basis_filter_gives_the_dashboard_numbers(ministerial, staff, viewer_client):  # noqa: F811
    """The lists split by basis add up, and the dashboard's sourced counts are the API's sourced rows."""
    for url, model in RESOURCES:
        split = {basis: len(all_items(staff, f"{url}?basis={basis}")) for basis in ("sourced", "illustrative")}
        if model is Deadline:
            split["template"] = len(all_items(staff, f"{url}?basis=template"))
        assert sum(split.values()) == model.objects.count(), url
        for basis, n in split.items():
            assert n == model.objects.filter(model.provenance_q(basis)).count(), (url, basis)
    # The dataset: 22 invented commitments; 28 of the 49 deadlines illustrative or copied from a template.
    assert len(all_items(staff, "/api/v1/commitments/?basis=illustrative")) == 22
    deadlines = Deadline.objects.filter(commitment__ref__startswith="CMT-", is_review=False, party_clock=None)
    assert deadlines.exclude(Deadline.provenance_q("sourced")).count() == 28
    # The dashboard counts sourced commitments whose status is sourced too (21 in the dataset).
    dashboard = viewer_client.get("/").context["sections"][-1]
    sourced_statuses = [
        c for c in all_items(staff, "/api/v1/commitments/?basis=sourced") if c["status_basis"] == "sourced"
    ]
    assert dashboard["split"]["total"][0] == len(sourced_statuses) == 21


def test_an_unknown_basis_is_a_400_naming_it(ministerial, staff):  # noqa: F811
    for url in ("/api/v1/commitments/", "/api/v1/deadlines/", "/api/v1/frameworks/"):
        response = staff.get(url + "?basis=estimated-ish")
        assert response.status_code == 400, url
        assert "basis" in error_of(response)["fields"], url
    # A framework is never copied from a template: not a value of its filter.
    response = staff.get("/api/v1/frameworks/?basis=template")
    assert response.status_code == 400 and "basis" in error_of(response)["fields"]


def test_status_updates_carry_basis_and_sources(ministerial, staff):  # noqa: F811
    items = all_items(staff, "/api/v1/status-updates/")
    assert len(items) == StatusUpdate.objects.count() > 0
    assert all(item["basis"] in ("sourced", "illustrative") and isinstance(item["sources"], list) for item in items)
    # The dataset's timeline updates are replayed with their sources.
    assert any(item["sources"] for item in items)


def test_the_schema_documents_basis_as_an_enum(db):
    from django.test import Client

    schema = Client().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    def enum_of(prop: dict) -> list[str]:
        ref = prop.get("$ref") or next((a["$ref"] for a in prop.get("allOf", []) if "$ref" in a), None)
        return sorted(components[ref.rsplit("/", 1)[-1]]["enum"] if ref else prop["enum"])

    for name in ("Commitment", "Deadline", "Framework", "Organisation", "WorkingGroup", "StatusUpdate", "Party"):
        props = components[name]["properties"]
        assert props["sources"]["type"] == "array", name
        expected = ["illustrative", "sourced", "template"] if name == "Deadline" else ["illustrative", "sourced"]
        assert enum_of(props["basis"]) == expected, name
    for path in ("/api/v1/commitments/", "/api/v1/deadlines/", "/api/v1/frameworks/"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert "illustrative" in params["basis"]["schema"]["enum"], path
