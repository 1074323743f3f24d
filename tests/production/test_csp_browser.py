"""The Content-Security-Policy leaves the staff pages, the admin and the API docs working, in headless Chromium.

gunicorn runs with the production settings, except what needs TLS between the browser and the server (the
HTTPS redirect, upgrade-insecure-requests and Secure cookies): the policy itself is the production one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agreements.roles import Role
from tests.factories import TEST_PASSWORD, CommitmentFactory, DeadlineFactory, StatusUpdateFactory
from tests.production.conftest import production_user, start_gunicorn, stop_gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Collects every violation the browser reports, before any script of the page runs.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture(scope="module")
def plain_http_server(production_env, collected_static, tmp_path_factory) -> Iterator[str]:
    env = production_env(
        SECURE_SSL_REDIRECT="false",
        CSP_UPGRADE_INSECURE_REQUESTS="false",
        SESSION_COOKIE_SECURE="false",
        SECURE_PROXY_SSL_HEADER="false",
    )
    server = start_gunicorn(env, 18105, tmp_path_factory.mktemp("gunicorn-csp") / "gunicorn.log")
    yield server.url
    stop_gunicorn(server)


@pytest.fixture
def chromium_page(browser):
    """A page of the session's Chromium (tests/conftest.py) that records every CSP violation it reports."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.console_csp = console
    yield page
    context.close()


def visit(page, url: str) -> list[str]:
    page.goto(url, wait_until="networkidle")
    return page.evaluate("window.__csp") + page.console_csp


def test_staff_pages_admin_and_api_docs_run_under_the_policy(plain_http_server, chromium_page):
    page = chromium_page
    coordinator = production_user(role=Role.COORDINATOR, is_staff=True, is_superuser=True)
    commitment = CommitmentFactory()
    DeadlineFactory(commitment=commitment)
    StatusUpdateFactory(commitment=commitment, actor="test")

    assert visit(page, plain_http_server + "/accounts/login/") == []
    page.fill("input[name=username]", coordinator.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_load_state("networkidle")

    for path in (
        "/",
        "/commitments/",
        f"/commitments/{commitment.ref}/",
        "/deadlines/",
        "/calendar/",
        "/calendar/timeline/",
        "/frameworks/",
        f"/frameworks/{commitment.framework.ref}/",
        "/accounts/profile/",
    ):
        assert visit(page, plain_http_server + path) == [], path
        # USWDS's JavaScript ran (it removes the class its start-up script sets) and its CSS applies.
        assert page.evaluate("document.documentElement.classList.contains('usa-js-loading')") is False, path
        assert (
            page.evaluate("getComputedStyle(document.body).fontFamily").lower().lstrip('"').startswith("source sans")
        ), path

    for path in ("/admin/", "/admin/followups/commitment/", f"/admin/followups/commitment/{commitment.pk}/change/"):
        assert visit(page, plain_http_server + path) == [], path

    assert visit(page, plain_http_server + "/api/docs/") == []
    page.wait_for_selector(".swagger-ui .info", timeout=20000)  # Swagger UI rendered the schema
    # Redoc's "powered by" logo is fetched from its makers' CDN: blocked, as every outside address is.
    redoc = visit(page, plain_http_server + "/api/redoc/")
    assert [v for v in redoc if "cdn.redoc.ly" not in v] == []
    page.wait_for_selector(".api-content", timeout=20000)  # Redoc rendered the schema
