"""Every staff page on a phone, a tablet and a desktop (issue 12): no page wider than the screen, no serious or
critical axe finding, a screenshot of each kept (var/screenshots/size-<width>-<page>.png); the filter panel
folds away on small screens; the overview shows the demo's overdue deadlines without a click."""

from __future__ import annotations

import json

import pytest

from followups.demo import demo_seed
from followups.loader import DEFAULT_PATH
from tests.browser.conftest import axe_check, format_violations, screenshot_path
from tests.browser.test_staff_app import STAFF_PAGES, staff_login

WIDTHS = (320, 390, 768, 1280)


@pytest.fixture
def demo_data(transactional_db):
    """The real dataset with the demo accounts (as tests/browser/test_staff_app.py's `demo`)."""
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        demo_seed(dataset=json.load(handle))


PAGES = {
    **STAFF_PAGES,
    "calendar-default": "/calendar/",
    "timeline-default": "/calendar/timeline/",
    "deadlines-all": "/deadlines/",
    "commitments-invalid-filter": "/commitments/?framework=FW-NOPE",
}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(browser, live_server, demo_data, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    failures = []
    try:
        staff_login(page, live_server, "coordinator")
        for name, url in PAGES.items():
            page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state()
            page.screenshot(path=str(screenshot_path(f"size-{width}-{name}")), full_page=True)
            scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll_width > inner_width:
                wide = page.evaluate(
                    """() => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                        .filter(e => !e.closest('[tabindex="0"][role="region"], .usa-nav, .usa-sr-only'))
                        .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
                )
                failures.append(f"{url} at {width}px is {scroll_width}px wide: {wide}")
            violations = axe_check(page)
            if violations:
                failures.append(f"{url} at {width}px\n{format_violations(violations)}")
    finally:
        context.close()
    assert not failures, "\n\n".join(failures)


def test_filter_panel_folds_away_on_a_phone(browser, live_server, demo_data):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    try:
        staff_login(page, live_server, "coordinator")
        page.goto(f"{live_server.url}/commitments/")
        toggle = page.get_by_role("button", name="Show filters")
        assert toggle.is_visible()
        assert not page.get_by_label("Search").is_visible()
        first_row = page.locator("tbody tr").first.bounding_box()
        assert first_row is not None and first_row["y"] < 844 * 1.5, first_row  # results near the top
        toggle.click()
        assert page.get_by_label("Search").is_visible()
        assert page.get_by_role("button", name="Hide filters").get_attribute("aria-expanded") == "true"
        # Applying a filter drops the empty fields from the address.
        page.get_by_label("Search").fill("lithium")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_load_state()
        assert page.url.endswith("/commitments/?q=lithium"), page.url
        page.screenshot(path=str(screenshot_path("size-390-filters-applied")), full_page=False)
    finally:
        context.close()


def test_overview_shows_the_demo_backlog_without_a_click(page, live_server, demo_data):
    staff_login(page, live_server, "coordinator")
    overdue_count = int(page.locator(".tracker-count--overdue .tracker-count__number").first.inner_text())
    assert overdue_count > 0
    columns = page.locator(".tracker-chart rect.tracker-seg--overdue")
    assert columns.count() > 0
    # Every framework has its bar, and the month chart's text is drawn at 12px or more.
    assert page.locator(".tracker-bars__row").count() >= 20
    sizes = page.evaluate(
        "[...document.querySelectorAll('.tracker-chart svg text')].map(t => t.getBoundingClientRect().height)"
    )
    assert sizes and min(sizes) >= 12, sizes
    page.goto(f"{live_server.url}/calendar/")
    assert page.get_by_role("heading", name="Still open from earlier months").is_visible()
    page.goto(f"{live_server.url}/calendar/timeline/")
    assert page.locator("circle.tracker-dot--overdue").count() == overdue_count


def test_filter_panel_stays_beside_the_list_on_a_desktop(page, live_server, demo_data):
    staff_login(page, live_server, "coordinator")
    page.goto(f"{live_server.url}/deadlines/")
    assert not page.locator(".tracker-filters__toggle").is_visible()
    assert page.get_by_label("Search").is_visible()
    panel = page.locator(".tracker-filters").bounding_box()
    table = page.locator(".tracker-list-body table").bounding_box()
    assert panel and table and panel["x"] + panel["width"] <= table["x"], (panel, table)
