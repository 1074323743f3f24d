"""Production as an operator runs it: gunicorn on loopback with DJANGO_ENV=production, PostgreSQL and Redis.

- `production_env(**overrides)`: the environment of a production process: every required setting well formed,
  the database being pytest-django's test database (so that tests write through the ORM with `transactional_db`
  and the server sees it), Redis as the broker, static and media folders of this session.
- `server`: one gunicorn (2 workers) with that environment, for the module; `Visitor` talks to it as a browser
  behind the TLS-terminating proxy does (Host, X-Forwarded-Proto: https, cookies kept by hand since they are
  Secure and the loopback connection is plain HTTP).
Ports 18100-18199 belong to these tests.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
HOST = "tracker.test"
SITE_URL = f"https://{HOST}"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Settings a developer's shell (or this test run) may carry that would change what is being tested.
CLEARED = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ENV",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "EMAIL_URL",
    "CELERY_BROKER_URL",
    "DEFAULT_FROM_EMAIL",
    "DJANGO_DEBUG",
    "EVIDENCE_STORAGE_URL",
    "SENTRY_DSN",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/conftest.py for Playwright; never in a deployment
}


def database_url() -> str:
    """pytest-django's test database (valid once django_db_setup has run)."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def production_folders(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("production")
    folders = {name: base / name for name in ("var", "static", "media")}
    for folder in folders.values():
        folder.mkdir()
    return folders


@pytest.fixture(scope="session")
def production_env(production_folders) -> Callable[..., dict[str, str]]:
    secret = secrets.token_urlsafe(50)

    def make(**overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_ENV="production",
            SECRET_KEY=secret,
            ALLOWED_HOSTS=f"{HOST},127.0.0.1",
            SITE_URL=SITE_URL,
            DATABASE_URL=database_url(),
            EMAIL_URL="smtp://127.0.0.1:2",  # nothing is mailed in these tests
            CELERY_BROKER_URL=REDIS_URL,
            CELERY_TASK_DEFAULT_QUEUE=f"production-tests-{os.getpid()}",
            DEFAULT_FROM_EMAIL="Tracker <tracker@example.org>",
            VAR_DIR=str(production_folders["var"]),
            STATIC_ROOT=str(production_folders["static"]),
            MEDIA_ROOT=str(production_folders["media"]),
            LOG_LEVEL="INFO",
        )
        env.update(overrides)
        return env

    return make


def manage(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def collected_static(production_env, production_folders, django_db_setup) -> Path:
    """`collectstatic` as the deployment runs it: hashed, compressed copies in STATIC_ROOT."""
    result = manage("collectstatic", "--noinput", env=production_env())
    assert result.returncode == 0, result.stderr
    assert (production_folders["static"] / "staticfiles.json").is_file()
    return production_folders["static"]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_gunicorn(env: dict[str, str], port: int, log: Path, *, wait: bool = True) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    if wait:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stop_gunicorn(server)
                pytest.fail(f"gunicorn did not start:\n{server.output()[-3000:]}")
            time.sleep(0.3)
    return server


def stop_gunicorn(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="module")
def server(production_env, collected_static, tmp_path_factory, django_db_blocker) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    running = start_gunicorn(production_env(), 18101, log)
    yield running
    stop_gunicorn(running)


@dataclass
class Visitor:
    """A browser behind the proxy: the site's Host, X-Forwarded-Proto: https, and its cookies."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)  # the Set-Cookie headers of the last answer

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs) -> requests.Response:
        sent = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = requests.request(method, self.base + path, headers=sent, allow_redirects=False, timeout=30, **kwargs)
        self.set_cookies = answer.raw.headers.getlist("Set-Cookie")
        for raw in self.set_cookies:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] in ("0", 0):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict[str, str], *, csrf_from: str | None = None) -> requests.Response:
        """POST a form as the page at `csrf_from` (default: `path`) would, with its CSRF token and Referer."""
        page = self.get(csrf_from or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {csrf_from or path}"
        return self.request(
            "POST",
            path,
            data={**data, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": SITE_URL + (csrf_from or path)},
        )


def production_user(**kwargs):
    """A staff user (tests.factories) whose password the production server can check: the test settings hash
    with MD5 for speed, which production does not accept, so the hash is PBKDF2 (few iterations, still fast)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.factories import TEST_PASSWORD, UserFactory

    user = UserFactory(**kwargs)
    user.password = PBKDF2PasswordHasher().encode(TEST_PASSWORD, PBKDF2PasswordHasher().salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user
