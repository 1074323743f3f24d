"""The pages for what had none: the Ministerial, every milestone, the glossary, the known caveats of the data; and
the framework page showing what was stored but shown nowhere."""

import re

import pytest
from django.utils.html import escape

from agreements.models import Framework, Milestone

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's words, without tags (so a test reads what the user reads)."""
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_ministerial_page(ministerial, viewer_client):
    page = text(viewer_client.get("/events/EVT-CMM-2026/"))
    assert "2026 Critical Minerals Ministerial" in page
    for host in ("Marco Rubio (Secretary of State)", "Jamieson Greer (USTR)"):
        assert escape(host) in page
    assert "Project Vault (announced 2026-02-02)" in page
    assert "55 attending delegations" in page
    # Frameworks launched or signed there, and the milestones of the day.
    for ref in ("FW-FORGE", "FW-US-GB", "FW-US-MX-AP"):
        assert ref in page
    launched = viewer_client.get("/events/EVT-CMM-2026/").context["launched"]
    assert all(f.signed_on.isoformat() == "2026-02-04" or f.milestones.filter(date="2026-02-04") for f in launched)
    assert viewer_client.get("/events/EVT-NOPE/").status_code == 404


def test_every_milestone_has_a_page_and_is_listed(ministerial, viewer_client):
    listed = text(viewer_client.get("/milestones/"))
    assert "34 milestones" in listed
    unlinked = Milestone.objects.filter(frameworks__isnull=True)
    assert unlinked.count() == 10
    for milestone in Milestone.objects.all():
        assert escape(milestone.title) in listed
    m = Milestone.objects.filter(frameworks__isnull=True, note__gt="").first() or unlinked.first()
    page = text(viewer_client.get(f"/milestones/{m.ref}/"))
    assert m.kind in page
    assert "Not linked to a framework." in page
    if m.note:
        assert escape(m.note) in page


def test_a_milestone_page_shows_estimation_and_sources(ministerial, viewer_client):
    m = Milestone.objects.filter(date_estimated=True).prefetch_related("sources").first()
    page = text(viewer_client.get(f"/milestones/{m.ref}/"))
    assert "Date estimated" in page
    for source in m.sources.all():
        assert source.ref in page


def test_milestones_on_the_calendar(ministerial, viewer_client):
    page = text(viewer_client.get("/calendar/?month=2026-02"))
    assert "Milestones and events in February 2026" in page
    assert "2026 Critical Minerals Ministerial" in page
    for m in Milestone.objects.filter(date__year=2026, date__month=2):
        assert escape(m.title) in page


def test_glossary_and_caveats_pages(ministerial, viewer_client):
    glossary = viewer_client.get("/glossary/")
    assert len(glossary.context["terms"]) == 49
    assert 'id="critical-mineral"' in glossary.content.decode()
    caveats = viewer_client.get("/data-caveats/")
    assert len(caveats.context["caveats"]) == 7
    page = text(caveats)
    assert "Greece's Pax Silica accession" in escape(page) or "Greece&#x27;s Pax Silica" in page
    assert 'id="DQ-7"' in caveats.content.decode()


def test_framework_page_shows_what_was_stored_but_shown_nowhere(ministerial, viewer_client):
    fw = Framework.objects.get(ref="FW-FORGE")
    response = viewer_client.get("/frameworks/FW-FORGE/")
    page = text(response)
    assert escape(fw.binding_note) in page
    assert escape(fw.membership_note) in page
    assert fw.source_url in response.content.decode()
    assert "Status on the dataset&#x27;s date" in page or "Status on the dataset's date" in page
    # The chair's estimated term end, the memberships with their states, the caveat that concerns it.
    assert "term ends 2026-06-30, estimated" in page
    assert "Presumed (not confirmed by a source)" in page
    assert "Expressed support" in page
    assert "/data-caveats/#DQ-1" in response.content.decode()


def test_intended_binding_and_the_month_only_accession(ministerial, viewer_client):
    assert "intended to be binding" in text(viewer_client.get("/frameworks/FW-USTR-PLURI/"))
    page = text(viewer_client.get("/frameworks/FW-PAX-SILICA/"))
    assert "Greece Signatory 2026-02 (known to the month; counted as 2026-02-19)" in page
    assert "before 2026-02-20; exact date not found S56" in page
    assert "S56" in page
    # Greece's caveat is linked from the framework it concerns.
    assert "/data-caveats/#DQ-7" in viewer_client.get("/frameworks/FW-PAX-SILICA/").content.decode()


def test_footer_leads_to_the_context_pages(viewer_client):
    body = viewer_client.get("/frameworks/").content.decode()
    for url in ("/milestones/", "/glossary/", "/data-caveats/"):
        assert f'href="{url}"' in body


def test_every_export_carries_the_basis_of_each_row(ministerial, viewer_client):
    import csv
    import io

    for url in ("/commitments/export.csv", "/frameworks/export.csv", "/deadlines/export.csv"):
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        column = rows[0].index("Basis")
        values = {row[column] for row in rows[1:]}
        if url == "/deadlines/export.csv":
            # The rule's own basis; a review deadline the tracker plans itself has none.
            assert {"text", "illustrative"} <= values <= {"text", "reported", "template", "illustrative", ""}, values
        else:
            assert values <= {"sourced", "illustrative"} and "sourced" in values, url
    commitments = viewer_client.get("/commitments/export.csv").content.decode("utf-8-sig")
    assert ",illustrative," in commitments and ",sourced," in commitments


def test_a_country_page_shows_its_accession_memberships_and_caveats(ministerial, viewer_client):
    page = text(viewer_client.get("/organisations/ORG-GR/"))
    assert "Pax Silica (Signatory, Joined 2026-02 (known to the month; counted as 2026-02-19)" in page
    assert "Known caveats of the data" in page
    india = text(viewer_client.get("/organisations/ORG-IN/"))
    assert "Expressed support" in india
    assert "expressed support (EAM Jaishankar, 2026-02-04)" in india


def test_the_calendar_marks_and_can_hide_what_is_not_sourced(ministerial, viewer_client):
    from followups.models import Deadline

    month = next(
        d.due_on for d in Deadline.objects.select_related("commitment").order_by("due_on") if d.provenance != "sourced"
    )
    query = f"/calendar/?month={month:%Y-%m}"
    everything = viewer_client.get(query).context["deadlines"]
    assert any(d.provenance != "sourced" for d in everything)
    page = text(viewer_client.get(query))
    assert "Illustrative" in page or "From a template" in page
    sourced = viewer_client.get(query + "&basis=sourced").context["deadlines"]
    assert all(d.provenance == "sourced" for d in sourced)
    assert {d.pk for d in sourced} == {d.pk for d in everything if d.provenance == "sourced"}


def test_dashboard_counts_split_sourced_and_illustrative_add_up(ministerial, viewer_client):
    response = viewer_client.get("/")
    section = response.context["sections"][-1]
    counts = section["counts"]
    for name, (sourced, illustrative) in section["split"].items():
        assert sourced + illustrative == getattr(counts, name), name
        assert sourced >= 0 and illustrative >= 0, name
    # The dataset has invented commitments (22) and unsourced statuses: the split is not trivial.
    assert section["split"]["total"][1] > 0
    assert "sourced ·" in text(response)
    hidden = viewer_client.get("/?basis=sourced")
    assert hidden.context["sections"][-1]["counts"].total == section["split"]["total"][0]
    assert "Counting sourced facts only" in text(hidden)


def test_a_status_recorded_by_staff_counts_as_sourced(ministerial, coordinator_client):
    """A coordinator's update replaces the dataset's illustrative status: the dashboard's sourced count and the
    API's status_basis take it in (the loader's own entries keep the file's basis)."""
    from followups.models import Commitment

    commitment = Commitment.objects.filter(illustrative=False, status_basis="illustrative").order_by("ref").first()
    assert commitment is not None

    def sourced_total() -> int:
        sections = coordinator_client.get("/").context["sections"]
        return next(s for s in sections if s["key"] == "all")["split"]["total"][0]

    before = sourced_total()
    response = coordinator_client.post(
        f"/commitments/{commitment.ref}/", {"status": "in_progress", "note": "Confirmed at the working group."}
    )
    assert response.status_code == 302
    assert sourced_total() == before + 1
    api = coordinator_client.get(f"/api/v1/commitments/{commitment.ref}/").json()
    assert api["status"] == "in_progress" and api["status_basis"] == "sourced"


def test_a_status_confirmed_unchanged_records_its_new_basis_in_history(ministerial, coordinator_client):
    """Confirming the dataset's status as it is makes it sourced too; the history says when and who, like any
    other change of a commitment."""
    from followups.models import Commitment

    commitment = Commitment.objects.filter(illustrative=False, status_basis="illustrative").order_by("ref").first()
    assert commitment is not None
    records_before = commitment.history.count()
    response = coordinator_client.post(
        f"/commitments/{commitment.ref}/", {"status": commitment.status, "note": "Status confirmed by the desk."}
    )
    assert response.status_code == 302
    latest, previous = commitment.history.order_by("-history_id")[:2]
    assert commitment.history.count() == records_before + 1
    assert (previous.status_basis, latest.status_basis) == ("illustrative", "sourced")
    assert latest.status == commitment.status
    assert latest.history_user is not None and latest.history_user.username == "coordinator-t"


def test_a_review_the_tracker_plans_is_as_sourced_as_the_repetition_it_comes_from(ministerial, viewer_client):
    """CMT-AU-05's six-monthly review is the dataset's illustrative repetition: its deadline says so in the
    deadlines list's basis filter and the API, not "sourced"."""
    from followups.models import Deadline
    from followups.tasks import reminders_plan_daily

    reminders_plan_daily()  # the hourly planning task schedules the reviews
    review = Deadline.objects.get(commitment__ref="CMT-AU-05", is_review=True)
    assert review.provenance == "illustrative"
    sourced = viewer_client.get("/deadlines/?basis=sourced&page_size=500").content.decode()
    assert review.ref not in sourced
    api = viewer_client.get(f"/api/v1/deadlines/{review.ref}/").json()
    assert api["basis"] == "illustrative"
