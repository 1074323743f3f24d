"""Every fact of the Ministerial the file carries is loaded, with its precision, estimation and sources."""

from datetime import date

import pytest

from agreements.models import DataCaveat, DatePrecision, Event, Framework, GlossaryTerm, Party, PartyRole

pytestmark = pytest.mark.django_db


def party(framework: str, org: str) -> Party:
    return Party.objects.get(framework__ref=framework, organisation__ref=org)


def test_accession_known_to_the_month_keeps_its_precision_and_note(ministerial):
    greece = party("FW-PAX-SILICA", "ORG-GR")
    # "2026-02 (before 2026-02-20; exact date not found)": the latest day it allows.
    assert greece.joined_on == date(2026, 2, 19)
    assert greece.joined_precision == DatePrecision.MONTH
    assert greece.joined_note == "before 2026-02-20; exact date not found"
    assert greece.own_date_estimated
    assert [s.ref for s in greece.sources.all()] == ["S56"]


def test_accessions_carry_their_sources(ministerial):
    qatar = party("FW-PAX-SILICA", "ORG-QA")
    assert (qatar.joined_on, qatar.joined_precision, qatar.own_date_estimated) == (date(2026, 1, 12), "day", False)
    assert [s.ref for s in qatar.sources.all()] == ["S54"]
    assert sorted(s.ref for s in party("FW-PAX-SILICA", "ORG-IN").sources.all()) == ["S57", "S86"]


def test_the_european_commissions_june_accession_is_not_lost(ministerial):
    commission = party("FW-PAX-SILICA", "ORG-EU-COM")
    assert commission.role == PartyRole.SIGNATORY
    assert commission.joined_on == date(2026, 6, 27)
    assert commission.joined_note == "secondary source S58"
    assert [s.ref for s in commission.sources.all()] == ["S58"]


def test_twelve_accessions_plus_the_commissions(ministerial):
    acceded = Party.objects.filter(framework__ref="FW-PAX-SILICA", joined_on__isnull=False)
    assert acceded.count() == 13


def test_the_forge_chairs_term_end_is_an_estimate_with_its_sources(ministerial):
    chair = party("FW-FORGE", "ORG-KR")
    assert chair.role == PartyRole.CHAIR
    assert chair.term_ends_on == date(2026, 6, 30)
    assert chair.term_end_estimated
    assert sorted(s.ref for s in chair.sources.all()) == ["S03", "S82"]


def test_the_ministerial_has_its_hosts_and_outcomes(ministerial):
    event = Event.objects.get(ref="EVT-CMM-2026")
    assert len(event.hosts) == 6
    assert event.hosts[0] == "Marco Rubio (Secretary of State)"
    assert len(event.outcomes) == 5
    assert event.outcomes[3] == "Project Vault (announced 2026-02-02)"


def test_vocabulary_and_open_questions(ministerial):
    assert GlossaryTerm.objects.count() == 49
    assert GlossaryTerm.objects.get(ref="critical-mineral").definition.startswith("A non-fuel mineral")
    assert DataCaveat.objects.count() == 7
    greece = DataCaveat.objects.get(ref="DQ-7")
    assert greece.text.startswith("Greece's Pax Silica accession")
    assert [f.ref for f in greece.frameworks.all()] == ["FW-PAX-SILICA"]
    assert [o.ref for o in greece.organisations.all()] == ["ORG-GR"]
    forge = DataCaveat.objects.get(ref="DQ-1")
    assert Framework.objects.get(ref="FW-FORGE") in forge.frameworks.all()


def test_the_basis_of_a_repetition_is_kept_and_shown(ministerial, viewer_client):
    from followups.models import Commitment

    review = Commitment.objects.get(ref="CMT-AU-05")
    assert (review.review_every, review.recurrence_basis) == ("P6M", "illustrative")
    assert Commitment.objects.get(ref="CMT-MY-01").recurrence_basis == "text"
    page = viewer_client.get("/commitments/CMT-AU-05/").content.decode()
    assert "Repetition" in page


def test_a_framework_keeps_its_current_status(ministerial):
    # recorded after the dataset's date as planned_unverified, with no timeline update to replay it.
    assert Framework.objects.get(ref="FW-US-JP-AP").status == "planned_unverified"
    assert Framework.objects.get(ref="FW-US-JP-AP").status_at_as_of == "planned"
