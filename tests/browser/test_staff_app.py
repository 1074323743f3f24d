"""The staff application in a real browser (Debian's Chromium): the daily path of a desk officer, lockout,
and every page screenshotted (var/screenshots/staff-*.png) and checked with axe-core."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings

from followups.demo import DEMO_PASSWORD, demo_seed
from followups.loader import DEFAULT_PATH
from followups.models import Commitment, Status, StatusUpdate
from tests.browser.conftest import assert_accessible, screenshot_path


@pytest.fixture
def demo(transactional_db):
    """The real dataset with the demo accounts (coordinator, desk, clerk, viewer)."""
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        demo_seed(dataset=json.load(handle))


def staff_login(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def shot(page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(screenshot_path(f"staff-{name}")), full_page=full_page)


def test_desk_officer_filters_updates_exports_and_logs_out(page, live_server, demo):
    staff_login(page, live_server, "desk")
    assert page.get_by_role("heading", name="What is due").is_visible()
    assert page.locator("#section-portfolio").inner_text().startswith("Your portfolio")
    at_risk_before = int(page.locator("#section-all ~ ul .tracker-count--risk .tracker-count__number").inner_text())
    shot(page, "path-1-dashboard")

    # Filter the commitments: Australia's, in progress, by text.
    page.get_by_role("link", name="Commitments", exact=True).first.click()
    page.get_by_label("Owner").select_option(label="Australia")
    page.locator("label.usa-checkbox__label", has_text="In progress").click()  # USWDS hides the box itself
    page.get_by_label("Search").fill("1bn")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "status=in_progress" in page.url and "q=1bn" in page.url  # the view can be bookmarked
    rows = page.locator("tbody tr")
    refs = [r.locator("td").first.inner_text() for r in rows.all()]
    assert refs == ["CMT-AU-01"]
    shot(page, "path-2-filtered-list")

    # Open the commitment and record a status update.
    page.get_by_role("link", name="CMT-AU-01").first.click()
    page.get_by_label("New status").select_option(Status.AT_RISK)
    page.get_by_label("Note").fill("Treasury approval slips to next quarter")
    page.get_by_role("button", name="Record the update").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Status of CMT-AU-01 recorded: At risk").is_visible()
    timeline = page.locator("#timeline ~ ol")
    assert "Treasury approval slips to next quarter" in timeline.inner_text()
    assert "Dana Desk-Officer" in timeline.locator("li").first.inner_text()
    shot(page, "path-3-after-update")
    assert Commitment.objects.get(ref="CMT-AU-01").status == Status.AT_RISK
    assert StatusUpdate.objects.filter(commitment__ref="CMT-AU-01", by_user__username="desk").count() == 1

    # The dashboard counts it.
    page.get_by_role("link", name="Dashboard").click()
    at_risk_after = int(page.locator("#section-all ~ ul .tracker-count--risk .tracker-count__number").inner_text())
    assert at_risk_after == at_risk_before + 1
    shot(page, "path-4-dashboard-after")

    # Export the at-risk commitments.
    page.goto(f"{live_server.url}/commitments/?status=at_risk")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("commitments-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert "CMT-AU-01" in [r[0] for r in rows[1:]]

    # Log out.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="You are logged out.").is_visible()
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_repeated_bad_logins_lock_out(page, live_server, demo):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        staff_login(page, live_server, "viewer", "not-the-password")
        assert page.get_by_role("alert").filter(has_text="do not match").is_visible()
    staff_login(page, live_server, "viewer", "not-the-password")
    assert page.get_by_role("heading", name="Logging in is locked for a while").is_visible()
    staff_login(page, live_server, "viewer")  # even the right password is refused now
    assert page.get_by_role("heading", name="Logging in is locked for a while").is_visible()
    shot(page, "lockout")
    assert_accessible(page)
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_coordinator_corrects_a_signature_date_after_a_preview(page, live_server, demo):
    staff_login(page, live_server, "coordinator")
    page.goto(f"{live_server.url}/frameworks/FW-US-AU/")
    page.get_by_role("link", name="Correct a date", exact=True).click()
    page.get_by_label("Corrected date").fill("2025-10-31")
    page.get_by_label("Why is it corrected?").fill("date in the signed text")
    page.get_by_role("button", name="Preview the changes").click()
    preview = page.locator("table").inner_text()
    assert "2026-04-20" in preview and "2026-04-30" in preview
    shot(page, "anchor-preview")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm and apply").click()
    page.wait_for_load_state()
    assert "deadline(s) moved" in page.get_by_role("status").first.inner_text()
    page.goto(f"{live_server.url}/commitments/CMT-AU-01/")
    assert "2026-04-30" in page.locator("table").nth(1).inner_text()


STAFF_PAGES = {
    "dashboard": "/",
    "commitments": "/commitments/",
    "commitments-filtered": "/commitments/?status=in_progress&sort=-due",
    "commitment-detail": "/commitments/CMT-AU-01/",
    "commitment-forge": "/commitments/CMT-FORGE-02/",
    "deadlines": "/deadlines/?state=overdue",
    "frameworks": "/frameworks/",
    "framework-detail": "/frameworks/FW-US-AU/",
    "anchor-change": "/frameworks/FW-US-AU/dates/",
    "organisations": "/organisations/",
    "organisation-detail": "/organisations/ORG-JP/",
    "working-groups": "/working-groups/",
    "working-group-detail": "/working-groups/WG-US-AU-RESPONSE/",
    "projects": "/projects/",
    "project-detail": "/projects/PRJ-AU-NOLANS/",
    "calendar": "/calendar/?month=2026-04",
    "timeline": "/calendar/timeline/?start=2026-01",
    "profile": "/accounts/profile/",
    "password-change": "/accounts/password_change/",
}


def test_every_page_renders_and_has_no_serious_accessibility_finding(page, live_server, demo):
    anonymous = {"login": "/accounts/login/", "password-reset": "/accounts/password_reset/"}
    for name, url in anonymous.items():
        page.goto(f"{live_server.url}{url}")
        shot(page, name)
        assert_accessible(page)
    staff_login(page, live_server, "coordinator")
    failures = []
    for name, url in STAFF_PAGES.items():
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, f"{url}: {response.status}"
        if name == "commitments":
            page.locator("details.tracker-quick summary").first.click()  # the row's quick status form, opened
        if name == "commitment-detail":
            page.locator("details.tracker-extend summary").first.click()  # the deadline-extension form, opened
        shot(page, name)
        try:
            assert_accessible(page)
        except AssertionError as exc:
            failures.append(f"{url}\n{exc}")
    # Open the chart tables (details) and check them too.
    page.goto(f"{live_server.url}/")
    for summary in page.locator("summary").all():
        summary.click()
    shot(page, "dashboard-chart-tables")
    try:
        assert_accessible(page)
    except AssertionError as exc:
        failures.append(f"dashboard with tables open\n{exc}")
    assert not failures, "\n\n".join(failures)


def test_phone_layout_and_translations(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    page = context.new_page()
    try:
        staff_login_es(page, live_server)
        assert page.locator("html").get_attribute("lang") == "es"
        shot(page, "phone-dashboard-es", full_page=False)
        assert_accessible(page)
        page.get_by_role("button", name="Menú").click()
        shot(page, "phone-menu-es", full_page=False)
        page.goto(f"{live_server.url}/commitments/CMT-AU-01/")
        shot(page, "phone-commitment-es", full_page=False)
        assert_accessible(page)
        page.get_by_role("button", name="Français").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "fr"
        shot(page, "phone-commitment-fr", full_page=False)
    finally:
        context.close()


def staff_login_es(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("desk")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("button.tracker-login-button").click()
    page.wait_for_load_state()


def test_the_acknowledge_link_stops_reminders_in_one_click(page, live_server, demo):
    """A recipient opens the e-mail's link: the page confirms by itself, no login, and says so."""
    from followups.models import Reminder, ReminderStatus
    from followups.reminders.acks import reminder_ack_token

    row = Reminder.objects.filter(
        deadline__commitment__ref="CMT-CD-05", contact__isnull=False, status=ReminderStatus.PENDING
    ).first()
    page.goto(f"{live_server.url}/reminders/ack/{reminder_ack_token(reminder=row)}/")
    # The page speaks its reader's language: the demo's contact at the DR Congo ministry reads French.
    page.get_by_role("heading", name="Merci").wait_for()
    shot(page, "reminder-acknowledged")
    assert_accessible(page)
    assert not Reminder.objects.filter(
        deadline__commitment__ref="CMT-CD-05", contact=row.contact, status=ReminderStatus.PENDING
    ).exists()
