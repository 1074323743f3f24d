"""A data clerk enters a deadline rule in the admin as words and numbers: "6 months after FW-US-AU's signature",
sees its due date previewed as they type, and saves the rule the loader would save. The deadline and commitment
forms pass axe with no serious or critical finding. Screenshots: var/screenshots/admin-deadline-rule-*.png."""

from __future__ import annotations

from datetime import date

import pytest

from agreements.models import Framework
from followups.models import Commitment, Deadline
from tests.browser.conftest import axe_check, format_violations, login, screenshot_path


@pytest.fixture
def clerk(transactional_db):
    """The real dataset, as loaded, and a data clerk."""
    from agreements.roles import Role
    from followups.loader import load_file
    from tests.factories import UserFactory

    load_file()
    return UserFactory(role=Role.DATA_CLERK, username="clerk-rule", is_staff=True)


def shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(f"admin-deadline-rule-{name}")), full_page=True)


def preview_dates(page) -> list[str]:
    box = page.locator(".tracker-rule-preview")
    return box.locator("time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")


def test_six_months_after_the_us_au_signature_is_previewed_and_saved_as_the_loader_would(page, live_server, clerk):
    login(page, live_server, "clerk-rule", via_admin=True, next_url="/admin/")
    commitment = Commitment.objects.get(ref="CMT-AU-01")
    page.goto(f"{live_server.url}/admin/followups/deadline/add/?commitment={commitment.pk}")
    assert page.get_by_label("Ref:").input_value() == "DL-AU-01-2"  # proposed from the convention

    # The anchor: the signature of FW-US-AU, picked by typing its name in the autocomplete.
    page.get_by_label("Anchor kind:").select_option(label="Framework signed")
    assert page.locator(".field-anchor_framework").is_visible()
    assert not page.locator(".field-anchor_milestone").is_visible()  # only the field this anchor needs
    page.locator(".field-anchor_framework .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("FW-US-AU")
    page.locator(".select2-results__option", has_text="US-Australia Framework").first.click()
    # 6 months after it.
    page.get_by_label("Due after the anchor:", exact=True).fill("6")
    page.get_by_label("Due after the anchor: unit").select_option("months")
    page.wait_for_function("() => document.querySelector('.tracker-rule-preview time') !== null")
    assert preview_dates(page) == ["2026-04-20"]
    preview = page.locator(".tracker-rule-preview").inner_text()
    assert "6 months after the signature of FW-US-AU (20 October 2025)" in preview and "20 April 2026" in preview
    shot(page, "preview")
    violations = axe_check(page)
    assert not violations, format_violations(violations)

    # A bad number is said in the preview at once, and beside the field when saved.
    page.get_by_label("Due after the anchor:", exact=True).fill("0")
    page.wait_for_function("() => document.querySelector('.tracker-rule-preview__errors') !== null")
    assert "Enter a number of 1 or more" in page.locator(".tracker-rule-preview").inner_text()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert "Enter a number of 1 or more (0 was entered)." in page.locator(".field-offset .errorlist").inner_text()
    shot(page, "error")
    page.get_by_label("Due after the anchor:", exact=True).fill("6")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("was added successfully").first.is_visible()

    saved, loaded = Deadline.objects.get(ref="DL-AU-01-2"), Deadline.objects.get(ref="DL-AU-01")
    fields = ["anchor_kind", "anchor_framework_id", "anchor_date", "offset", "recurrence", "original_due_on", "due_on"]
    assert [getattr(saved, f) for f in fields] == [getattr(loaded, f) for f in fields]
    assert (saved.anchor_framework, saved.offset, saved.due_on) == (
        Framework.objects.get(ref="FW-US-AU"),
        "P6M",
        date(2026, 4, 20),
    )

    # Its page again: the rule as entered, its date previewed, no serious or critical axe finding.
    page.goto(f"{live_server.url}/admin/followups/deadline/{saved.pk}/change/")
    assert preview_dates(page) == ["2026-04-20"]
    shot(page, "change")
    violations = axe_check(page)
    assert not violations, format_violations(violations)
