"""The admin's commitment form as a data clerk uses it: folded sections, an owner picked by typing its whole name
and Enter (never a partial match), errors summed up at the top with links to their fields, and no serious or
critical axe finding. Screenshots: var/screenshots/admin-commitment-form-*.png."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from followups.models import Commitment
from tests.browser.conftest import axe_check, format_violations, login, screenshot_path


@pytest.fixture
def clerk(transactional_db):
    from agreements.roles import Role
    from followups.loader import load_file
    from tests.factories import UserFactory

    load_file()
    return UserFactory(role=Role.DATA_CLERK, username="clerk-form", is_staff=True)


def shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(f"admin-commitment-form-{name}")), full_page=True)


def assert_accessible(page) -> None:
    violations = axe_check(page)
    assert not violations, format_violations(violations)


def new_owner_row(page):
    page.locator("#ownerships-group").get_by_text("Add another Commitment owner").click()
    return page.locator("#ownerships-group tr.form-row.dynamic-ownerships").last


def type_in_autocomplete(page, row, text: str) -> None:
    """Type into an autocomplete as a clerk would, wait for the results of the whole text, press Enter."""
    row.locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    term = "term=" + quote(text)
    with page.expect_response(lambda response: "/autocomplete/" in response.url and term in response.url):
        search.press_sequentially(text, delay=20)  # as typed: Select2 searches once the typing stops
    page.wait_for_function("() => !document.querySelector('.select2-results__option.loading-results')")
    search.press("Enter")


def test_owner_autocomplete_sections_error_summary_and_axe(page, live_server, clerk):
    login(page, live_server, "clerk-form", via_admin=True, next_url="/admin/")
    commitment = Commitment.objects.get(ref="CMT-MY-03")  # owed by Malaysia alone
    page.goto(f"{live_server.url}/admin/followups/commitment/{commitment.pk}/change/")
    shot(page, "open")
    print(f"commitment form as opened: {page.evaluate('() => document.documentElement.scrollHeight')} px")
    assert_accessible(page)
    # The commitment's own fields open; the other sections folded.
    assert page.locator("#id_title").is_visible()
    assert not page.locator(".field-status_basis").is_visible()
    page.get_by_text("Evidence", exact=True).click()
    assert page.locator(".field-status_basis").is_visible()

    # "United" and Enter: a partial match is not picked.
    row = new_owner_row(page)
    type_in_autocomplete(page, row, "United")
    assert row.locator("select").evaluate("s => s.value") == ""
    page.keyboard.press("Escape")
    # "United States" and Enter: the United States, not the Export-Import Bank of the United States.
    type_in_autocomplete(page, row, "United States")
    assert row.locator(".select2-selection__rendered").inner_text().strip().endswith("United States")
    assert row.locator("select").evaluate("s => s.selectedOptions[0].text") == "United States"
    assert_accessible(page)

    # A deadline added under the commitment: its reference proposed, its rule previewed in the row itself.
    page.locator("#deadlines-group").get_by_text("Add another Deadline").click()
    deadline = page.locator("#deadlines-group .inline-related.dynamic-deadlines").last
    assert deadline.locator("input[name$='-ref']").input_value() == "DL-MY-03"
    deadline.locator("select[name$='-anchor_kind']").select_option("fixed")
    assert deadline.locator("select[name$='-anchor_kind']").is_visible()  # its row stays
    assert not deadline.locator(".fieldBox.field-anchor_framework").is_visible()
    deadline.locator("input[name$='-anchor_date']").fill("2026-01-31")
    deadline.locator("input[name$='-offset_0']").fill("1")
    deadline.locator("select[name$='-offset_1']").select_option("months")
    deadline.locator(".tracker-rule-preview time").wait_for()
    assert deadline.locator(".tracker-rule-preview time").get_attribute("datetime") == "2026-02-28"  # clamped
    height = page.evaluate("() => document.documentElement.scrollHeight")
    print(f"commitment form with a deadline added: {height} px")
    deadline.locator(".inline-deletelink").click()

    # An error: summed up at the top, the link takes the clerk to the field.
    page.locator("#id_title").fill("")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "Title: This field is required." in summary.inner_text()
    shot(page, "errors")
    assert_accessible(page)
    summary.get_by_role("link", name="Title: This field is required.").click()
    assert page.evaluate("() => document.activeElement.id") == "id_title"
