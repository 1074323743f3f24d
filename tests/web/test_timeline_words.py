"""A commitment's timeline reads as sentences (issue 12): who did what in the reader's language, a note apart from
a status change, the reason typed for a date correction beside the change, acknowledgements shown; deadline
rules in words with the ISO form in a tooltip."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from agreements.roles import Role
from followups.deadlines import describe_offset, describe_recurrence, describe_rule
from followups.models import ReminderAcknowledgement, Status
from followups.services import commitment_update_status, framework_change_dates

pytestmark = pytest.mark.django_db


@pytest.fixture
def casey(make_user):
    user = make_user("casey", Role.COORDINATOR)
    user.first_name, user.last_name = "Casey", "Coordinator"
    user.save()
    return user


def _page(client, user, commitment, lang: str = "en") -> str:
    client.force_login(user)
    return client.get(f"/commitments/{commitment.ref}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_status_change_and_note_read_differently(client, casey, commitment_factory):
    commitment = commitment_factory(status=Status.NOT_STARTED)
    commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, note="Call held", by_user=casey)
    commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, note="Draft received", by_user=casey)
    page = _page(client, casey, commitment)
    assert "Casey Coordinator changed the status from Not started to In progress." in page
    assert "Casey Coordinator added a note; the status stays In progress." in page
    assert page.count("tracker-timeline__item--note") == 1
    assert page.count("tracker-timeline__item--status") == 1


def test_reason_of_a_signature_correction_is_beside_the_deadline_change(client, casey, commitment_factory):
    commitment = commitment_factory(anchored=True)
    framework = commitment.framework
    framework_change_dates(
        framework=framework, signed_on=date(2025, 10, 27), by_user=casey, reason="Signed a week later (cable 1123)"
    )
    page = _page(client, casey, commitment)
    assert f"Casey Coordinator changed deadline {commitment.deadlines.get().ref}." in page
    assert f"Follows a change of {framework.ref}. Reason: Signed a week later (cable 1123)" in page


def test_acknowledgement_is_on_the_timeline(client, casey, commitment_factory):
    commitment = commitment_factory()
    ReminderAcknowledgement.objects.create(commitment=commitment, user=casey)
    page = _page(client, casey, commitment)
    assert "Casey Coordinator acknowledged the reminder" in page
    assert "tracker-timeline__item--ack" in page


def test_loader_is_named_in_words_and_in_french(client, casey, commitment_factory):
    commitment = commitment_factory()
    commitment.refresh_from_db()
    history = commitment.history.first()
    history.history_change_reason = "load_ministerial"
    history.history_user = None
    history.save()
    assert "Data loader recorded commitment" in _page(client, casey, commitment)
    french = _page(client, casey, commitment, lang="fr")
    assert "Chargeur de données" in french and "Data loader" not in french


def test_rule_in_words_with_iso_tooltip(client, casey, commitment_factory):
    commitment = commitment_factory(anchored=True)
    page = _page(client, casey, commitment)
    assert f'title="framework_signed {commitment.framework.ref} + P6M"' in page
    assert f"6 months after the signature of {commitment.framework.ref} (20 October 2025)" in page
    assert ">P6M<" not in page


def test_describe_rule_words():
    with translation.override("en"):
        assert describe_offset("P1Y6M") == "1 year and 6 months"
        assert describe_offset("P180D") == "180 days"
        assert describe_recurrence("FREQ=MONTHLY;INTERVAL=3") == "every 3 months"
        assert describe_recurrence("FREQ=YEARLY") == "every year"
        assert describe_rule(anchor_kind="fixed", anchor_date=date(2026, 6, 30), offset="") == "On 30 June 2026"
        assert describe_rule(
            anchor_kind="event",
            anchor_name="Critical Minerals Ministerial",
            anchor_date=date(2026, 2, 4),
            offset="P180D",
            recurrence="FREQ=MONTHLY;INTERVAL=3",
            first_due=date(2026, 8, 3),
        ) == ("180 days after Critical Minerals Ministerial (4 February 2026), then every 3 months from 3 August 2026")
    with translation.override("es"):
        assert describe_offset("P6M") == "6 meses"
    with translation.override("fr"):
        assert describe_recurrence("FREQ=MONTHLY;INTERVAL=3") == "tous les 3 mois"


def test_framework_page_shows_who_corrected_the_signature_and_why(client, casey, commitment_factory):
    commitment = commitment_factory(anchored=True)
    framework = commitment.framework
    framework_change_dates(framework=framework, signed_on=date(2025, 10, 27), by_user=casey, reason="Cable 1123")
    client.force_login(casey)
    page = client.get(f"/frameworks/{framework.ref}/").content.decode()
    assert "Corrected from 2025-10-20 on" in page
    assert "by Casey Coordinator: Cable 1123" in page
