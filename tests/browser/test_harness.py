"""The browser harness works: Chromium renders our admin login page, screenshots are saved, axe-core runs."""

import pytest

from tests.browser.conftest import assert_accessible


def test_admin_login_page_renders_in_chromium_and_passes_axe(page, live_server, screenshot):
    page.goto(f"{live_server.url}/admin/login/")

    assert page.title().startswith("Log in")
    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").is_visible()
    shot = screenshot("admin-login")
    assert shot.stat().st_size > 5_000  # a rendered page, not a blank one
    assert_accessible(page)


def test_every_role_logs_in_through_the_login_helper(page, live_server, login, viewer, data_clerk):
    login(page, live_server, viewer.username, next_url="/")
    assert page.url.rstrip("/") == live_server.url  # landed where it was asked to

    page.context.clear_cookies()
    login(page, live_server, data_clerk.username, next_url="/admin/", via_admin=True)
    assert page.url == f"{live_server.url}/admin/"
    assert page.get_by_role("button", name="Log out").count() + page.get_by_role("link", name="Log out").count()


def test_the_login_helper_reports_a_refused_login(page, live_server, login, viewer):
    with pytest.raises(AssertionError, match="login as 'viewer-t' failed"):
        login(page, live_server, viewer.username, password="wrong-password")


def test_axe_check_reports_a_serious_violation_with_its_id_and_target(page, axe_check):
    # An image without a text alternative and a nameless button: what axe must catch for the checks to mean anything.
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png">'
        '<button id="nameless"></button></main></body></html>'
    )

    violations = axe_check(page)

    found = {v["id"]: [t for n in v["nodes"] for t in n["target"]] for v in violations}
    assert found.get("image-alt") == ["img"]
    assert found.get("button-name") == ["#nameless"]
