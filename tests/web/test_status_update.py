"""Recording a status update from the commitment page: validation, timeline, roll-up."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agreements.roles import Role
from followups.models import Status, StatusUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(make_user, client):
    client.force_login(make_user("dana", Role.DESK_OFFICER))
    return client


def test_desk_officer_records_a_status_and_sees_it_on_the_timeline(desk_client, commitment_factory):
    commitment = commitment_factory()
    url = f"/commitments/{commitment.ref}/"
    response = desk_client.post(
        url, {"status": Status.AT_RISK, "note": "Partner ministry asks for two more weeks", "evidence_url": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}#timeline"
    commitment.refresh_from_db()
    assert commitment.status == Status.AT_RISK
    page = desk_client.get(url).content.decode()
    assert "Partner ministry asks for two more weeks" in page
    assert "Status of" in page and "recorded" in page  # the confirmation message
    update = StatusUpdate.objects.get(commitment=commitment)
    assert update.by_user.username == "dana"
    assert commitment.history.count() >= 2  # created, then changed


def test_completing_closes_the_deadline(desk_client, commitment_factory):
    commitment = commitment_factory(due_in=10)
    desk_client.post(f"/commitments/{commitment.ref}/", {"status": Status.COMPLETED, "note": "Signed"})
    deadline = commitment.deadlines.get()
    assert deadline.completed_on == timezone.localdate()
    page = desk_client.get(f"/commitments/{commitment.ref}/").content.decode()
    assert "Completed " + timezone.localdate().isoformat() in page


def test_a_future_date_is_refused_with_a_clear_message(desk_client, commitment_factory):
    commitment = commitment_factory()
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = desk_client.post(
        f"/commitments/{commitment.ref}/", {"status": Status.IN_PROGRESS, "happened_on": tomorrow.isoformat()}
    )
    assert response.status_code == 400
    assert "cannot be dated in the future" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_an_unchanged_status_needs_a_note(desk_client, commitment_factory):
    commitment = commitment_factory(status=Status.IN_PROGRESS)
    response = desk_client.post(f"/commitments/{commitment.ref}/", {"status": Status.IN_PROGRESS})
    assert response.status_code == 400
    assert "The status is unchanged" in response.content.decode()
    ok = desk_client.post(f"/commitments/{commitment.ref}/", {"status": Status.IN_PROGRESS, "note": "Call held"})
    assert ok.status_code == 302


def test_one_owner_status_rolls_up(desk_client, commitment_factory, org_factory):
    a, b = org_factory(name="Atlantis"), org_factory(name="Borduria")
    commitment = commitment_factory(owners=[a, b])
    desk_client.post(f"/commitments/{commitment.ref}/", {"status": Status.COMPLETED, "owner": str(a.pk)})
    commitment.refresh_from_db()
    assert commitment.status == Status.IN_PROGRESS
    statuses = dict(commitment.ownerships.values_list("organisation__name", "status"))
    assert statuses == {"Atlantis": Status.COMPLETED, "Borduria": Status.NOT_STARTED}


def test_evidence_file_is_kept_and_linked(desk_client, commitment_factory, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    commitment = commitment_factory()
    upload = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    desk_client.post(f"/commitments/{commitment.ref}/", {"status": Status.IN_PROGRESS, "evidence_file": upload})
    update = StatusUpdate.objects.get()
    assert update.evidence_file.name.endswith(".pdf")
    assert "Evidence file" in desk_client.get(f"/commitments/{commitment.ref}/").content.decode()


def test_an_executable_is_not_evidence(desk_client, commitment_factory):
    commitment = commitment_factory()
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = desk_client.post(
        f"/commitments/{commitment.ref}/", {"status": Status.IN_PROGRESS, "evidence_file": upload}
    )
    assert response.status_code == 400
    assert "not accepted as evidence" in response.content.decode()


def test_timeline_shows_deadline_changes(desk_client, commitment_factory):
    from followups.services import deadline_extend

    commitment = commitment_factory(due_in=5)
    deadline = commitment.deadlines.get()
    deadline_extend(deadline=deadline, new_due_on=deadline.due_on + timedelta(days=30), reason="Cabinet reshuffle")
    page = desk_client.get(f"/commitments/{commitment.ref}/").content.decode()
    assert f"The tracker changed deadline {deadline.ref}." in page  # no user: the tracker did it
    assert "Reason: Cabinet reshuffle" in page
    assert "Cabinet reshuffle" in page


def test_coordinator_extends_a_deadline_and_the_original_date_stays(make_user, client, commitment_factory):
    client.force_login(make_user("casey", Role.COORDINATOR))
    commitment = commitment_factory(due_in=5)
    deadline = commitment.deadlines.get()
    original = deadline.due_on
    page = client.get(f"/commitments/{commitment.ref}/").content.decode()
    assert f"/deadlines/{deadline.ref}/extend/" in page
    new = original + timedelta(days=20)
    response = client.post(
        f"/deadlines/{deadline.ref}/extend/",
        {f"extend-{deadline.pk}-new_due_on": new.isoformat(), f"extend-{deadline.pk}-reason": "Elections"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/commitments/{commitment.ref}/#deadlines")
    deadline.refresh_from_db()
    assert (deadline.due_on, deadline.original_due_on, deadline.extension_reason) == (new, original, "Elections")
    page = client.get(f"/commitments/{commitment.ref}/").content.decode()
    assert f"originally {original.isoformat()}" in page


def test_an_earlier_date_is_not_an_extension(make_user, client, commitment_factory):
    client.force_login(make_user("casey", Role.COORDINATOR))
    deadline = commitment_factory(due_in=5).deadlines.get()
    before = deadline.due_on
    response = client.post(
        f"/deadlines/{deadline.ref}/extend/",
        {f"extend-{deadline.pk}-new_due_on": before.isoformat(), f"extend-{deadline.pk}-reason": "x"},
        follow=True,
    )
    assert "must be after the current due date" in response.content.decode()
    deadline.refresh_from_db()
    assert deadline.due_on == before


def test_desk_officers_cannot_extend(desk_client, commitment_factory):
    deadline = commitment_factory(due_in=5).deadlines.get()
    assert "/extend/" not in desk_client.get(f"/commitments/{deadline.commitment.ref}/").content.decode()
    new = (deadline.due_on + timedelta(days=9)).isoformat()
    response = desk_client.post(
        f"/deadlines/{deadline.ref}/extend/",
        {f"extend-{deadline.pk}-new_due_on": new, f"extend-{deadline.pk}-reason": "x"},
    )
    assert response.status_code == 403
    deadline.refresh_from_db()
    assert deadline.extended_due_on is None


def test_quick_update_from_the_list_returns_to_the_same_filtered_list(desk_client, commitment_factory):
    commitment = commitment_factory()
    list_url = "/commitments/?q=Commitment&sort=-due"
    page = desk_client.get(list_url).content.decode()
    assert f'action="/commitments/{commitment.ref}/"' in page
    response = desk_client.post(
        f"/commitments/{commitment.ref}/", {"status": Status.IN_PROGRESS, "note": "Kick-off call", "next": list_url}
    )
    assert response.status_code == 302 and response["Location"] == list_url
    commitment.refresh_from_db()
    assert commitment.status == Status.IN_PROGRESS


def test_quick_update_never_redirects_to_another_site(desk_client, commitment_factory):
    commitment = commitment_factory()
    response = desk_client.post(
        f"/commitments/{commitment.ref}/", {"status": Status.AT_RISK, "next": "https://evil.example/phish"}
    )
    assert response["Location"] == f"/commitments/{commitment.ref}/#timeline"


def test_viewers_get_no_quick_form(viewer_client, commitment_factory):
    commitment_factory()
    assert "tracker-quick" not in viewer_client.get("/commitments/").content.decode()
