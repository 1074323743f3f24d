"""The shared test harness: which services answer, what to skip without them, and generic fixtures.

At start the harness probes PostgreSQL, Redis, RabbitMQ and Debian's Chromium. With CI=true a missing one
fails the run at once; elsewhere only the tests that need it are skipped, and the run ends with a line saying
what was skipped and why. A test needs PostgreSQL when it uses the database (the django_db marker or a
database fixture), and Redis, RabbitMQ or Chromium when marked `redis`, `rabbitmq` or `browser` (everything
under tests/browser/ is marked `browser` by its conftest).
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")

# Fixtures that open the test database; item.fixturenames is the closure, so fixtures built on these count.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "client",
    "admin_client",
    "admin_user",
}


@dataclass(frozen=True)
class Service:
    key: str  # the marker that asks for it
    name: str
    where: str
    problem: str  # empty when it answers

    @property
    def available(self) -> bool:
        return not self.problem


def _tcp_problem(host: str, port: int) -> str:
    try:
        with socket.create_connection((host, port), timeout=2):
            return ""
    except OSError:
        return f"{host}:{port} not answering"


def _url_service(key: str, name: str, url: str, default_port: int) -> Service:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    return Service(key, name, f"{host}:{port}", _tcp_problem(host, port))


def _postgres() -> Service:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return Service("postgres", "PostgreSQL", database["ENGINE"], "the test settings do not use PostgreSQL")
    host, port = database.get("HOST") or "127.0.0.1", int(database.get("PORT") or 5432)
    if host.startswith("/"):  # a Unix socket directory
        socket_path = Path(host) / f".s.PGSQL.{port}"
        return Service("postgres", "PostgreSQL", str(socket_path), "" if socket_path.exists() else "no socket")
    return Service("postgres", "PostgreSQL", f"{host}:{port}", _tcp_problem(host, port))


def _chromium() -> Service:
    usable = CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)
    return Service("browser", "Chromium", str(CHROMIUM), "" if usable else f"{CHROMIUM} not found")


def probe_services() -> dict[str, Service]:
    services = [
        _postgres(),
        _url_service("redis", "Redis", REDIS_URL, 6379),
        _url_service("rabbitmq", "RabbitMQ", RABBITMQ_URL, 5672),
        _chromium(),
    ]
    return {s.key: s for s in services}


_services_key = pytest.StashKey[dict[str, Service]]()
_skipped_key = pytest.StashKey[Counter]()


def pytest_configure(config: pytest.Config) -> None:
    services = probe_services()
    config.stash[_services_key] = services
    config.stash[_skipped_key] = Counter()
    missing = [s for s in services.values() if not s.available]
    if missing and os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.exit(
            "CI=true and a service the suite needs is missing: "
            + "; ".join(f"{s.name} ({s.problem})" for s in missing),
            returncode=3,
        )


def needed_services(item: pytest.Item) -> set[str]:
    """The services (marker names) a test needs."""
    needed = {key for key in ("postgres", "redis", "rabbitmq", "browser") if item.get_closest_marker(key)}
    if item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        needed.add("postgres")
    return needed


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    services = config.stash[_services_key]
    skipped = config.stash[_skipped_key]
    for item in items:
        missing = [services[key] for key in sorted(needed_services(item)) if not services[key].available]
        if missing:
            skipped.update(s.key for s in missing)
            reasons = "; ".join(f"needs {s.name} ({s.problem})" for s in missing)
            item.add_marker(pytest.mark.skip(reason=f"missing service: {reasons}"))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    services = config.stash.get(_services_key, None)
    if services is None:
        return
    skipped = config.stash[_skipped_key]
    if skipped:
        parts = []
        for key, count in skipped.items():
            service = services[key]
            parts.append(f"{count} {'test needs' if count == 1 else 'tests need'} {service.name} ({service.problem})")
        terminalreporter.write_line("skipped for missing services: " + "; ".join(parts), yellow=True, bold=True)
    else:
        answering = ", ".join(f"{s.name} {s.where}" for s in services.values() if s.available)
        terminalreporter.write_line(f"services: none missing ({answering})")


# --- Generic fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server for tests marked `redis` (TEST_REDIS_URL; database 15 by default, kept for tests)."""
    return REDIS_URL


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """The RabbitMQ server for tests marked `rabbitmq` (TEST_RABBITMQ_URL)."""
    return RABBITMQ_URL


@pytest.fixture
def user_factory(db) -> Callable[..., object]:
    """Make a staff user, optionally with a role: user_factory(role=Role.VIEWER, username="val")."""
    from tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def client_for(db) -> Callable[[object], object]:
    """A Django test client logged in as the given user: client_for(user)."""
    from django.test import Client

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def coordinator(user_factory):
    from agreements.roles import Role

    return user_factory(role=Role.COORDINATOR, username="coordinator-t")


@pytest.fixture
def desk_officer(user_factory):
    from agreements.roles import Role

    return user_factory(role=Role.DESK_OFFICER, username="desk-t")


@pytest.fixture
def data_clerk(user_factory):
    """A data clerk, with is_staff so the admin lets them in."""
    from agreements.roles import Role

    return user_factory(role=Role.DATA_CLERK, username="clerk-t")


@pytest.fixture
def viewer(user_factory):
    from agreements.roles import Role

    return user_factory(role=Role.VIEWER, username="viewer-t")


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


@pytest.fixture
def desk_officer_client(client_for, desk_officer):
    return client_for(desk_officer)


@pytest.fixture
def data_clerk_client(client_for, data_clerk):
    return client_for(data_clerk)


@pytest.fixture
def viewer_client(client_for, viewer):
    return client_for(viewer)


# --- One headless Chromium for the whole session (tests/browser, tests/partner, tests/production) ----------------
# Two sync Playwright instances cannot run in one process, so every folder shares these.


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
