"""The set-up and the harness do what a newcomer relies on.

- the front-end files are pinned and copied where the templates and the browser tests look for them;
- `scripts/run.sh` (the end of `make run`) starts the web server, a worker and beat, and Ctrl-C stops them all;
- the harness skips only what needs a missing service and says so, and with CI=true refuses to run;
- the shared factories and role fixtures build valid records.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# --- Front-end files ---------------------------------------------------------------------------------------------


def test_npm_packages_are_pinned_to_exact_versions_and_locked():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())

    assert set(package["dependencies"]) >= {"@uswds/uswds", "axe-core"}
    for name, version in package["dependencies"].items():
        assert version[0].isdigit(), f"{name} {version} is a range: `npm ci` must install what was tested"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_uswds_and_axe_are_copied_into_static_vendor():
    vendor = ROOT / "static" / "vendor"
    missing = [
        path
        for path in (
            "uswds/css/uswds.min.css",
            "uswds/js/uswds.min.js",
            "uswds/js/uswds-init.min.js",
            "uswds/img/usa-icons/close.svg",
            "axe/axe.min.js",
        )
        if not (vendor / path).is_file()
    ]
    assert not missing, f"missing under static/vendor/ (run `make install`): {missing}"
    assert any((vendor / "uswds" / "fonts").rglob("*.woff2"))
    # The CSS refers to its fonts and images relative to itself: the folders must sit beside css/.
    assert "../fonts/" in (vendor / "uswds/css/uswds.min.css").read_text(errors="replace")


# --- `make run`'s processes -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = set(), [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.add(child)
            queue.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_run_script_serves_the_site_with_a_worker_and_beat_and_ctrl_c_stops_them_all(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(VAR_DIR=str(tmp_path), PORT=str(_free_port()), PY=sys.executable)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    log = tmp_path / "run.log"
    with log.open("w") as out:
        run = subprocess.Popen(["scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{env['PORT']}/admin/login/"
        deadline = time.monotonic() + 90
        page = ""
        while time.monotonic() < deadline:
            text = log.read_text()
            if not page:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        page = response.read().decode()
                except OSError:
                    pass
            if page and "ready." in text and "beat: Starting" in text:
                break
            assert run.poll() is None, f"run.sh exited early:\n{text}"
            time.sleep(0.5)
        text = log.read_text()
        assert 'name="username"' in page, text
        assert f"The tracker: http://127.0.0.1:{env['PORT']}/" in text
        assert "coordinator" in text and "demo-pass-2026" in text  # the demo logins
        assert "ready." in text, f"the worker did not start:\n{text}"
        assert "beat: Starting" in text, f"beat did not start:\n{text}"
        processes = _descendants(run.pid)
        assert len(processes) >= 3

        run.send_signal(signal.SIGINT)  # what Ctrl-C sends
        run.wait(timeout=30)
        time.sleep(0.5)
        left = sorted(pid for pid in processes if _alive(pid))
        assert not left, f"still running after Ctrl-C: {left}"
    finally:
        if run.poll() is None:
            for pid in _descendants(run.pid):
                os.kill(pid, signal.SIGKILL)
            run.kill()
            run.wait()


# --- The harness itself ------------------------------------------------------------------------------------------

_SAMPLE_TESTS = """
import pytest

def test_plain():
    assert True

@pytest.mark.django_db
def test_uses_the_database():
    from django.contrib.auth.models import Group
    assert Group.objects.count() >= 0

def test_uses_the_database_through_a_fixture(admin_user):
    assert admin_user.is_superuser

@pytest.mark.redis
def test_uses_redis(redis_url):
    assert redis_url
"""


def _run_harness(tmp_path: Path, **env_overrides: str) -> subprocess.CompletedProcess:
    """Run a small suite under our conftest, with PostgreSQL and Redis pointed at a port nobody answers."""
    suite = tmp_path / "suite"
    (suite / "tests").mkdir(parents=True)
    (suite / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (suite / "tests" / "test_sample.py").write_text(_SAMPLE_TESTS)
    (suite / "pytest.ini").write_text(
        textwrap.dedent("""\
            [pytest]
            DJANGO_SETTINGS_MODULE = config.test_settings
            markers =
                postgres: needs PostgreSQL
                redis: needs Redis
                rabbitmq: needs RabbitMQ
                browser: needs Chromium
            """)
    )
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "DATABASE_URL", "PYTEST_ADDOPTS"}}
    dead = f"127.0.0.1:{_free_port()}"  # bound a moment ago and released: nothing listens there
    env.update(
        PYTHONPATH=str(ROOT),
        TEST_DATABASE_URL=f"postgres://postgres@{dead}/postgres",
        TEST_REDIS_URL=f"redis://{dead}/0",
        **env_overrides,
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "tests"],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_service_skips_only_the_tests_that_need_it_and_the_run_says_why(tmp_path):
    result = _run_harness(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 3 skipped" in result.stdout
    summary = [line for line in result.stdout.splitlines() if line.startswith("skipped for missing services:")]
    assert len(summary) == 1, result.stdout
    assert "2 tests need PostgreSQL (127.0.0.1:" in summary[0]
    assert "1 test needs Redis (127.0.0.1:" in summary[0] and "not answering" in summary[0]


def test_with_ci_true_a_missing_service_fails_the_run_and_names_it(tmp_path):
    result = _run_harness(tmp_path, CI="true")

    assert result.returncode not in (0, 5)
    output = result.stdout + result.stderr
    assert "CI=true" in output and "PostgreSQL" in output and "Redis" in output
    assert "passed" not in result.stdout


# --- Factories and role fixtures -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_factories_build_valid_records_with_computed_due_dates():
    from tests import factories as f

    commitment = f.CommitmentFactory(framework__signed_on=date(2025, 8, 31))
    deadline = f.DeadlineFactory(commitment=commitment, offset="P6M")
    assert deadline.due_on == date(2026, 2, 28)  # six calendar months, clamped to February's end
    assert deadline.original_due_on == deadline.due_on and deadline.anchor_date == date(2025, 8, 31)
    fixed = f.DeadlineFactory(anchor_kind="fixed", anchor_date=date(2026, 2, 4), offset="P180D")
    assert fixed.due_on == date(2026, 8, 3)

    owner = commitment.owners.get()
    assert commitment.framework.parties.filter(organisation=owner).exists()
    update = f.StatusUpdateFactory(commitment=commitment, status="in_progress")
    commitment.refresh_from_db()
    assert commitment.status == update.new_status == "in_progress"

    records = [
        commitment,
        deadline,
        owner,
        f.OrganisationFactory(kind="ministry"),
        f.MembershipFactory(),
        f.PartyFactory(),
        f.WorkingGroupMemberFactory(),
        f.ContactFactory(),
        f.EventFactory(),
        f.MilestoneFactory(),
        f.ProjectFactory(),
        f.SourceFactory(),
        f.StaffProfileFactory(),
    ]
    for record in records:
        record.full_clean()
    countries = f.OrganisationFactory.create_batch(30)
    assert len({c.iso_alpha2 for c in countries}) == 30


@pytest.mark.django_db
def test_commitment_factory_finds_an_owner_by_reference():
    from tests import factories as f

    peru = f.OrganisationFactory(ref="ORG-PE", name="Peru")
    commitment = f.CommitmentFactory(owners__ref="ORG-PE")
    assert list(commitment.owners.all()) == [peru]


def test_role_fixtures_hold_their_roles(coordinator, desk_officer, data_clerk, viewer, data_clerk_client):
    from agreements import roles

    assert roles.can_update_status(coordinator) and roles.can_update_status(desk_officer)
    assert not roles.can_update_status(viewer) and not roles.can_update_status(data_clerk)
    assert roles.can_use_admin(data_clerk) and not roles.can_use_admin(viewer)
    assert data_clerk.has_perm("followups.change_commitment") and not viewer.has_perm("followups.change_commitment")
    assert data_clerk_client.get("/admin/").status_code == 200
