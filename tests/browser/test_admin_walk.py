"""A data clerk's walk through the Django admin in a real browser (issue 2), on the real dataset with the demo
accounts: find a framework and its parties, a commitment with its deadline's computed due date beside the rule,
pick a working group through an autocomplete and save, see the change in the history with the clerk's name, then
a working group's members, the deadlines and the reminder outbox.

Every page visited is saved whole as var/screenshots/admin-walk-*.png, and checked with axe-core: findings in
markup that Django, its autocomplete (Select2) or its inlines render are reported (printed), not failed; any other
serious or critical finding fails the test.
"""

from __future__ import annotations

import json

import pytest

from followups.demo import DEMO_PASSWORD, demo_seed
from followups.loader import DEFAULT_PATH
from followups.models import Commitment
from tests.browser.conftest import axe_check, format_violations, screenshot_path

# axe-core rules that fail on markup Django's admin renders itself: the breadcrumbs' links (white on a light
# blue bar, no underline), Select2's <ul> of chosen items and its empty combobox with no name, the label-less
# cells of a tabular inline (a date cell named only by its title), and the aria-label on the filter_horizontal
# widget's search icon.
DJANGO_OWN_FINDINGS = {
    "link-in-text-block",
    "list",
    "aria-input-field-name",
    "label",
    "select-name",
    "label-title-only",
    "aria-prohibited-attr",
}


@pytest.fixture
def demo(transactional_db):
    """The real dataset with the demo accounts (coordinator, desk, clerk, viewer)."""
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        demo_seed(dataset=json.load(handle))


class Walk:
    """Screenshots and accessibility findings of each page the clerk visits."""

    def __init__(self, page):
        self.page = page
        self.count = 0
        self.django_findings: dict[str, list[str]] = {}
        self.other_findings: dict[str, str] = {}

    def visited(self, name: str) -> None:
        self.count += 1
        self.page.wait_for_load_state()
        self.page.screenshot(path=str(screenshot_path(f"admin-walk-{self.count:02d}-{name}")), full_page=True)
        violations = axe_check(self.page)
        ours = [v for v in violations if v["id"] not in DJANGO_OWN_FINDINGS]
        if ours:
            self.other_findings[name] = format_violations(ours)
        django_own = sorted({v["id"] for v in violations} - {v["id"] for v in ours})
        if django_own:
            self.django_findings[name] = django_own

    def in_sight(self, selector: str) -> bool:
        """The first cell matching `selector` is inside the changelist's table as scrolled at first."""
        return self.page.evaluate(
            """(selector) => {
                const box = document.querySelector('#changelist .results').getBoundingClientRect();
                const cell = document.querySelector(selector).getBoundingClientRect();
                return cell.right <= box.right;
            }""",
            selector,
        )

    def fits_the_window(self) -> bool:
        """No sideways scrolling: neither the page nor a changelist's table is wider than the window."""
        return self.page.evaluate(
            """() => {
                const page = document.documentElement.scrollWidth <= window.innerWidth;
                const table = document.querySelector('#changelist .results');
                return page && (!table || table.scrollWidth <= table.clientWidth);
            }"""
        )


def test_clerk_finds_edits_and_traces_the_ministerial_in_the_admin(page, live_server, demo):
    walk = Walk(page)
    base = live_server.url

    # Log in at /admin/ as the demo data clerk.
    page.goto(f"{base}/admin/")
    walk.visited("login")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.get_by_text("Welcome, Chris").is_visible()
    walk.visited("index")

    # Frameworks: search "Australia", open FW-US-AU, see its parties inline.
    page.locator("#content-main").get_by_role("link", name="Frameworks", exact=True).click()
    walk.visited("frameworks")
    assert walk.fits_the_window(), "the frameworks' columns run out of sight"
    page.locator("#searchbar").fill("Australia")
    page.locator("#changelist-search").get_by_role("button", name="Search").click()
    walk.visited("frameworks-search-australia")
    row = page.locator("#result_list tbody tr", has_text="FW-US-AU")
    assert "US-Australia Framework" in row.inner_text()
    assert "2025-10-20" in row.inner_text()  # signed on, written as on the staff pages
    row.get_by_role("link", name="FW-US-AU").click()
    walk.visited("framework-fw-us-au")
    assert page.get_by_role("heading", name="US-Australia Framework").is_visible()
    assert (
        page.get_by_label("Title:", exact=True)
        .input_value()
        .startswith("United States-Australia Framework for Securing")
    )
    parties = page.locator(".inline-group", has_text="Parties")
    assert parties.locator(".select2-selection__rendered").all_inner_texts() == ["Australia", "United States"]
    assert parties.locator("tr.form-row:not(.empty-form) input[name$=signed_by]").evaluate_all(
        "els => els.map(e => e.value)"
    ) == [
        "Anthony Albanese",
        "Donald J. Trump",
    ]
    assert walk.fits_the_window(), "the parties' row is wider than the window"

    # Commitments filtered by framework; CMT-AU-01 and its deadline's computed due date beside the rule.
    page.locator(".breadcrumbs").get_by_role("link", name="Home").click()
    page.locator("#content-main").get_by_role("link", name="Commitments", exact=True).click()
    walk.visited("commitments")
    page.locator("#changelist-filter").get_by_role("link", name="US-Australia Framework", exact=True).click()
    walk.visited("commitments-us-australia")
    assert "framework__id__exact=" in page.url
    assert page.locator("#result_list tbody tr").count() == 7
    row = page.locator("#result_list tbody tr", has_text="CMT-AU-01")
    for text in ("Take measures to provide at least US$1bn", "In progress", "2026-04-20", "High"):
        assert text in row.inner_text()
    assert walk.fits_the_window(), "the commitments' status or due date is out of sight"
    row.get_by_role("link", name="CMT-AU-01").click()
    walk.visited("commitment-cmt-au-01")
    deadlines = page.locator(".inline-group", has_text="Deadlines")
    assert deadlines.get_by_text("Deadline: DL-AU-01 due 2026-04-20").is_visible()
    # The rule as a number and a unit (no ISO-8601 to type), with its due date previewed in words.
    assert page.locator("#id_deadlines-0-offset_0").input_value() == "6"
    assert page.locator("#id_deadlines-0-offset_1").input_value() == "months"
    computed = deadlines.locator(".inline-related:not(.empty-form) .field-computed_dates")
    assert "2026-04-20 = 6 months after the signature of FW-US-AU (20 October 2025)" in computed.inner_text()
    assert computed.locator("span[title]").get_attribute("title") == "Framework signed FW-US-AU (2025-10-20) + P6M"

    # Autocomplete: pick the US-Australia response group as the commitment's working group, and save.
    page.locator(".field-working_group .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Response")
    page.locator(".select2-results__option", has_text="US-Australia Critical Minerals Supply Security").click()
    page.get_by_role("button", name="Save and continue editing").click()
    walk.visited("commitment-saved")
    assert page.get_by_text("was changed successfully").is_visible()
    assert Commitment.objects.get(ref="CMT-AU-01").working_group.ref == "WG-US-AU-RESPONSE"

    # The history says who changed what, and when.
    page.locator(".object-tools").get_by_role("link", name="History").click()
    walk.visited("commitment-history")
    latest = page.locator("#change-history tbody tr").first
    assert "Changed" in latest.inner_text()
    # The kind of actor and the clerk's own name (the demo clerk is Chris Clerk, user "clerk").
    assert latest.locator("td").nth(3).inner_text() == "User: Chris Clerk"
    changes = latest.locator("td").last.inner_text()
    assert "Working group: (none)" in changes and "US-Australia Critical Minerals Supply Security Response" in changes
    assert "load_ministerial" in page.locator("#change-history tbody tr").last.inner_text()  # who created it

    # A working group with its members inline.
    page.goto(f"{base}/admin/agreements/workinggroup/")
    walk.visited("working-groups")
    assert walk.fits_the_window(), "the working groups' columns run out of sight"
    page.get_by_role("link", name="WG-US-AU-RESPONSE").click()
    walk.visited("working-group-wg-us-au-response")
    fields = page.locator("#workinggroup_form .form-row label").all_inner_texts()
    assert fields.index("Ref:") < fields.index("Sources:"), "the group's own fields come first"
    members = page.locator(".inline-group", has_text="Working group members")
    assert members.locator(".select2-selection__rendered").all_inner_texts() == ["United States", "Australia"]
    roles = members.locator("tr.form-row:not(.empty-form) select[name$=role]").evaluate_all(
        "els => els.map(e => e.selectedOptions[0].text)"
    )
    assert roles == ["Chair", "Co-chair"]

    # The deadlines, each with its rule and due date.
    page.goto(f"{base}/admin/followups/deadline/?q=CMT-AU-01")
    walk.visited("deadlines-cmt-au-01")
    row = page.locator("#result_list tbody tr", has_text="DL-AU-01")
    assert "2026-04-20" in row.inner_text()
    assert "6 months after the signature of FW-US-AU (20 October 2025)" in row.inner_text()  # the ISO in a tooltip
    assert walk.fits_the_window(), "the deadlines' dates run out of sight"

    # The reminder outbox: CMT-AU-01's reminders, each with its status.
    page.locator(".breadcrumbs").get_by_role("link", name="Home").click()
    page.locator("#content-main").get_by_role("link", name="Reminders", exact=True).click()
    walk.visited("reminders")
    assert page.locator("#result_list tbody tr").count() > 0
    page.locator("#searchbar").fill("CMT-AU-01")
    page.locator("#changelist-search").get_by_role("button", name="Search").click()
    walk.visited("reminders-cmt-au-01")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() > 0
    assert all("DL-AU-01" in text for text in rows.all_inner_texts())
    # Its row is still wider than the table (the last error runs out of sight), but status and time come first.
    assert walk.in_sight("td.field-status") and walk.in_sight("td.field-due_at"), (
        "the reminders' status is out of sight"
    )

    print(f"{walk.count} admin pages; axe findings in Django's own markup: {json.dumps(walk.django_findings)}")
    assert not walk.other_findings, "\n".join(f"{name}: {text}" for name, text in walk.other_findings.items())
    # Django's own markup is named too now (static/js/admin-forms.js: Select2, inline cells, the filter icon).
    assert not walk.django_findings, json.dumps(walk.django_findings)
