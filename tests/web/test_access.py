"""Who may see and change what on the staff pages (agreements.roles decides; the pages obey)."""

import pytest

from agreements.roles import Role
from followups.models import Status, StatusUpdate

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/commitments/",
    "/deadlines/",
    "/frameworks/",
    "/organisations/",
    "/working-groups/",
    "/projects/",
    "/calendar/",
    "/calendar/timeline/",
    "/accounts/profile/",
    "/commitments/export.csv",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitor_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PAGES)
def test_viewer_reads_every_page(viewer_client, url):
    assert viewer_client.get(url).status_code == 200


def test_account_without_a_staff_role_is_refused(make_user, client):
    user = make_user("partner-login")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "no staff role" in response.content.decode()


def test_viewer_cannot_update_a_status(viewer_client, commitment_factory):
    commitment = commitment_factory()
    page = viewer_client.get(f"/commitments/{commitment.ref}/").content.decode()
    assert "Record the update" not in page
    response = viewer_client.post(f"/commitments/{commitment.ref}/", {"status": Status.AT_RISK, "note": "late"})
    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.status == Status.NOT_STARTED
    assert not StatusUpdate.objects.exists()


def test_viewer_cannot_change_an_anchor_date(viewer_client, commitment_factory):
    commitment = commitment_factory(anchored=True)
    framework = commitment.framework
    url = f"/frameworks/{framework.ref}/dates/"
    assert viewer_client.get(url).status_code == 403
    response = viewer_client.post(
        url, {"field": "signed_on", "new_date": "2025-11-01", "reason": "typo", "confirm": "1"}
    )
    assert response.status_code == 403
    framework.refresh_from_db()
    assert str(framework.signed_on) == "2025-10-20"


def test_a_viewer_may_issue_their_own_calendar_feed(viewer_client):
    # Reading one's own deadlines in a calendar is reading: a viewer may have a feed.
    assert viewer_client.post("/accounts/calendar-feed/", {"action": "issue"}).status_code == 302
    from agreements.models import StaffProfile

    assert StaffProfile.objects.exclude(calendar_token_hash="").exists()


def test_desk_officer_cannot_change_an_anchor_date(make_user, client, commitment_factory):
    client.force_login(make_user("desk", Role.DESK_OFFICER))
    commitment = commitment_factory(anchored=True)
    assert client.get(f"/frameworks/{commitment.framework.ref}/dates/").status_code == 403


def test_desk_officer_cannot_reach_the_admin(make_user, client):
    client.force_login(make_user("desk", Role.DESK_OFFICER))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "Data entry (admin)" not in client.get("/").content.decode()


def test_desk_officer_who_is_also_a_clerk_reaches_the_admin(make_user, client):
    client.force_login(make_user("deskclerk", Role.DESK_OFFICER, Role.DATA_CLERK, is_staff=True))
    assert client.get("/admin/").status_code == 200
    assert "Data entry (admin)" in client.get("/").content.decode()


def test_logout_ends_the_session(coordinator_client):
    response = coordinator_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert coordinator_client.get("/").status_code == 302
