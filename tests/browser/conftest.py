"""Shared browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's live_server.

- `browser`: one headless Chromium per session (Playwright cannot download its own browsers here).
- `page`: a fresh context per test (1280x900, no shared cookies); a failing test leaves a screenshot in
  var/screenshots/<test name>.png.
- `login(page, live_server, username)`: logs in through the staff login page (password TEST_PASSWORD,
  the one tests.factories gives every user); via_admin=True uses the admin's form.
- `axe_check(page)`: runs axe-core (static/vendor/axe/axe.min.js) and returns the serious and critical
  violations; `assert not axe_check(page), format_violations(...)` is done for you by `assert_accessible`.
Everything under tests/browser/ is marked `browser` (skipped without Chromium, a failure with CI=true).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE_JS = ROOT / "static" / "vendor" / "axe" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
_HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py decides what to skip
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Keep each phase's report on the item, so `page` knows at teardown whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150] + ".png")


# The session's Playwright and Chromium (`playwright_instance`, `browser`) are in tests/conftest.py: one for
# every folder, since two sync Playwright instances cannot run at once.


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    """A page in a context of its own; a screenshot of it is saved if the test fails."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed and not page.is_closed():
        try:
            page.screenshot(path=str(screenshot_path(f"FAILED-{request.node.nodeid}")), full_page=True)
        except Exception as exc:  # a missing screenshot must not hide the test's own failure
            print(f"could not save a screenshot: {exc}")
    context.close()


@pytest.fixture
def screenshot(page, request) -> Callable[[str], Path]:
    """screenshot("after-login") saves var/screenshots/<test>-after-login.png and returns its path."""

    def take(label: str = "") -> Path:
        path = screenshot_path(f"{request.node.name}-{label}" if label else request.node.name)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(
    page, live_server, username: str, password: str = TEST_PASSWORD, *, next_url: str = "/", via_admin: bool = False
) -> None:
    """Log in through the staff login page (settings.LOGIN_URL; any role) or the admin's (is_staff users only).

    Lands on `next_url`; raises with the page's error message when the login is refused.
    """
    from django.conf import settings

    login_path = "/admin/login/" if via_admin else settings.LOGIN_URL
    page.goto(f"{live_server.url}{login_path}?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith(login_path):
        error = page.locator(".errornote, .usa-alert, [role=alert]").all_inner_texts()
        raise AssertionError(f"login as {username!r} failed: {' '.join(error) or page.url}")


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    """The `login` helper as a fixture: login(page, live_server, "desk-t")."""
    return login


def axe_check(page, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS, context: object = None) -> list[dict]:
    """Run axe-core on the page as it is now; return the violations of the given impacts (serious, critical)."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make install-test` (it copies axe-core from npm)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: an injected <script> would be refused by the pages' CSP.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "async (context) => await window.axe.run(context || document, {resultTypes: ['violations']})",
        context,
    )
    return [v for v in results["violations"] if v.get("impact") in impacts]


def format_violations(violations: list[dict]) -> str:
    """The violations as a readable assertion message: rule id, impact, help and the failing elements."""
    lines = [f"{len(violations)} serious/critical accessibility violation(s):"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v.get("nodes", [])[:10]:
            lines.append(f"    at {', '.join(map(str, node.get('target', [])))}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Fail with each serious or critical axe-core violation, its id and its targets."""
    violations = axe_check(page)
    assert not violations, format_violations(violations)


@pytest.fixture(name="axe_check")
def axe_check_fixture() -> Callable[..., list[dict]]:
    """The `axe_check` helper as a fixture (returns the serious/critical violations)."""
    return axe_check


@pytest.fixture(name="assert_accessible")
def assert_accessible_fixture() -> Callable[[object], None]:
    return assert_accessible
