"""gunicorn with production settings on loopback, against PostgreSQL and Redis: what a visitor and an operator see."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from agreements.roles import Role
from tests.factories import TEST_PASSWORD, ContactFactory, DeadlineFactory
from tests.production.conftest import HOST, SITE_URL, Visitor, manage, production_user, start_gunicorn, stop_gunicorn

pytestmark = [pytest.mark.redis]

YEAR = 365 * 24 * 3600


def csp_directives(answer: requests.Response) -> dict[str, list[str]]:
    policy = answer.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_safe_headers(answer: requests.Response) -> None:
    h = answer.headers
    assert h.get("Strict-Transport-Security") == f"max-age={YEAR}; includeSubDomains", answer.url
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("Referrer-Policy") == "same-origin"
    assert "camera=()" in h.get("Permissions-Policy", "") and "geolocation=()" in h["Permissions-Policy"]
    csp = csp_directives(answer)
    assert csp.get("frame-ancestors") == ["'none'"], answer.url
    assert csp.get("default-src") == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp.get(directive, ["'unsafe-inline'"]), (directive, answer.url)
    assert csp.get("object-src") == ["'none'"]


def test_static_files_are_served_by_gunicorn_hashed_compressed_and_cached_for_a_year(server, collected_static):
    visitor = Visitor(server.url)
    page = visitor.get("/accounts/login/")
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page.text)
    assert any("uswds" in a for a in assets) and any("tracker" in a for a in assets), assets
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), f"{asset} has no content hash"
        answer = visitor.get(asset, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, asset
        cache = answer.headers["Cache-Control"]
        assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= YEAR, (asset, cache)
        assert answer.headers.get("Content-Encoding") == "gzip", asset
        assert len(answer.content) > 100

    admin = visitor.get("/admin/login/")
    admin_css = re.findall(r'href="(/static/admin/css/[^"]+)"', admin.text)
    assert admin_css and all(visitor.get(css).status_code == 200 for css in admin_css)

    # The API docs' own scripts (the docs page itself is for staff and keys in production).
    manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]
    swagger = manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"]
    assert visitor.get(f"/static/{swagger}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/admin/login/", "/api/v1/frameworks/", "/api/docs/", "/nowhere/"]
)
def test_pages_the_admin_and_the_api_answer_with_the_security_headers(server, path):
    answer = Visitor(server.url).get(path)

    assert answer.status_code in (200, 302, 401, 404), answer.status_code
    assert_safe_headers(answer)


def test_plain_http_is_sent_to_https(server):
    answer = requests.get(
        server.url + "/accounts/login/?next=/", headers={"Host": HOST}, allow_redirects=False, timeout=30
    )

    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{SITE_URL}/accounts/login/?next=/"


def test_the_cookies_are_secure_and_http_only(server):
    visitor = Visitor(server.url)
    visitor.get("/accounts/login/")

    csrf = [c for c in visitor.set_cookies if c.startswith("csrftoken=")]
    assert csrf, visitor.set_cookies
    assert "Secure" in csrf[0] and "HttpOnly" in csrf[0] and "SameSite=Lax" in csrf[0]


@pytest.mark.django_db(transaction=True)
def test_a_post_without_the_csrf_token_is_refused(server):
    user = production_user(role=Role.COORDINATOR)
    visitor = Visitor(server.url)
    visitor.get("/accounts/login/")

    forged = visitor.request(
        "POST",
        "/accounts/login/",
        data={"username": user.username, "password": TEST_PASSWORD},
        headers={"Referer": SITE_URL + "/accounts/login/"},
    )
    assert forged.status_code == 403
    assert "sessionid" not in visitor.cookies

    # Logged in, the API with the session cookie also wants the token (a partner's key does not).
    assert (
        visitor.post_form("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD}).status_code == 302
    )
    api = visitor.request("POST", "/api/v1/status-updates/", json={"status": "in_progress"})
    assert api.status_code == 403
    assert "CSRF" in api.text


@pytest.mark.django_db(transaction=True)
def test_logging_in_rotates_the_session_key_and_logging_out_ends_the_session(server):
    user = production_user(role=Role.DESK_OFFICER)
    planted = SessionStore()  # a session an attacker could have planted in the victim's browser
    planted["planted"] = True
    planted.create()
    visitor = Visitor(server.url, cookies={"sessionid": planted.session_key})

    login = visitor.post_form("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD})

    assert login.status_code == 302, login.text[:500]
    session_key = visitor.cookies["sessionid"]
    assert session_key != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    assert any(c.startswith("sessionid=") and "Secure" in c and "HttpOnly" in c for c in visitor.set_cookies)
    assert visitor.get("/").status_code == 200

    logout = visitor.post_form("/accounts/logout/", {}, csrf_from="/")

    assert logout.status_code == 302
    assert "sessionid" not in visitor.cookies
    assert not Session.objects.filter(session_key=session_key).exists()
    replayed = Visitor(server.url, cookies={"sessionid": session_key}).get("/")
    assert replayed.status_code == 302 and "/accounts/login/" in replayed.headers["Location"]


def test_check_deploy_reports_nothing(production_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_readyz_reports_each_check_and_turns_503_when_the_oldest_due_reminder_is_too_old(server):
    from followups.models import Reminder, ReminderStatus

    healthy = requests.get(server.url + "/readyz", timeout=30)
    assert healthy.status_code == 200, healthy.text
    checks = healthy.json()["checks"]
    assert {name for name, check in checks.items() if check["ok"]} == {
        "database",
        "migrations",
        "broker",
        "reminders",
        "webhooks",
    }
    assert checks["reminders"]["failed"] == 0

    deadline = DeadlineFactory()
    stuck = timezone.now() - timedelta(hours=2)
    Reminder.objects.create(
        deadline=deadline, contact=ContactFactory(), kind="before_7", due_at=stuck, next_attempt_at=stuck
    )
    Reminder.objects.create(
        deadline=deadline,
        contact=ContactFactory(),
        kind="before_30",
        due_at=stuck,
        next_attempt_at=stuck,
        status=ReminderStatus.FAILED,
    )

    unready = requests.get(server.url + "/readyz", timeout=30)

    assert unready.status_code == 503
    reminders = unready.json()["checks"]["reminders"]
    assert reminders["ok"] is False and reminders["oldest_due_minutes"] >= 119 and reminders["failed"] == 1
    assert unready.json()["checks"]["database"]["ok"] is True
    # A load balancer asks only what decides whether this process can serve.
    assert requests.get(server.url + "/readyz?only=database,migrations", timeout=30).status_code == 200
    assert requests.get(server.url + "/healthz", timeout=30).json() == {"status": "ok"}


def test_readyz_turns_503_when_the_database_is_unreachable(production_env, collected_static, tmp_path):
    env = production_env(DATABASE_URL="postgres://tracker:secret@127.0.0.1:9/tracker")  # nothing listens on 9
    down = start_gunicorn(env, 18102, tmp_path / "gunicorn.log")
    try:
        assert requests.get(down.url + "/healthz", timeout=30).status_code == 200
        answer = requests.get(down.url + "/readyz", timeout=30)
        assert answer.status_code == 503
        checks = answer.json()["checks"]
        assert checks["database"] == {"ok": False, "error": "OperationalError", "ms": checks["database"]["ms"]}
        assert checks["broker"]["ok"] is True
        assert "secret" not in answer.text
    finally:
        stop_gunicorn(down)


def test_each_request_has_an_id_and_one_json_log_line_with_its_latency(server):
    visitor = Visitor(server.url)
    answer = visitor.get("/accounts/login/", headers={"X-Request-Id": "proxy-4f1c2a"})
    assert answer.headers["X-Request-Id"] == "proxy-4f1c2a"
    made = visitor.get("/accounts/login/", headers={"X-Request-Id": "bad id\twith spaces"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)

    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "proxy-4f1c2a"]
    assert len(mine) == 1, mine
    line = mine[0]
    assert line["level"] == "INFO" and line["path"] == "/accounts/login/" and line["status"] == 200
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", line["time"])
    assert isinstance(line["latency_ms"], float)


@pytest.mark.django_db(transaction=True)
def test_the_log_line_of_an_api_request_names_the_partner_key(server):
    from agreements.partner_access import api_key_issue
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(ref="ORG-LOG")
    api_key, raw = api_key_issue(organisation=organisation, name="sync")

    answer = Visitor(server.url).get(
        "/api/v1/frameworks/", headers={"Authorization": f"Bearer {raw}", "X-Request-Id": "key-log-1"}
    )

    assert answer.status_code == 200
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    (line,) = [line for line in lines if line.get("request_id") == "key-log-1"]
    assert line["key"] == api_key.prefix and line["organisation"] == str(organisation.pk)
    assert raw not in server.output()
