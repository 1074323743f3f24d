"""The container deployment: the image builds from the lock file alone, compose.yaml validates.

Building needs a container runtime; where none answers, those tests say so and skip. The checks of the files
themselves (every dependency locked with hashes, a non-root image, every service with a health check) run
everywhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

from tests.production.conftest import ROOT


def _runtime_problem() -> str:
    if not shutil.which("docker"):
        return "no docker command on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"the container runtime does not answer ({reason})"
    return ""


needs_runtime = pytest.mark.skipif(bool(_runtime_problem()), reason=_runtime_problem() or "runtime available")


def test_every_dependency_is_locked_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lock = (ROOT / "requirements.lock").read_text()
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", lock, flags=re.M))
    normalise = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    pinned = {normalise(k): v for k, v in pinned.items()}
    wanted = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["sentry"]]
    for requirement in wanted:
        name = normalise(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0))
        assert name in pinned, f"{name} is not in requirements.lock: run `make lock`"
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n\n", 1)[1])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    assert "file:" not in lock and "index-url" not in lock  # no machine's own package sources


def test_the_image_installs_only_the_lock_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-deps --require-hashes -r requirements.lock" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^FROM python:\$\{PYTHON_VERSION\}-slim", dockerfile, flags=re.M)


def test_compose_has_every_service_with_health_checks_and_volumes():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for name in ("db", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert {"postgres-data", "redis-data", "tracker-data"} <= set(compose["volumes"])


@needs_runtime
def test_compose_config_validates(tmp_path):
    env_file = ROOT / ".env"
    created = not env_file.exists()
    if created:
        env_file.write_text("POSTGRES_PASSWORD=validate-only\n")
    try:
        result = subprocess.run(["docker", "compose", "config", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    finally:
        if created:
            env_file.unlink()
    assert result.returncode == 0, result.stderr


@needs_runtime
def test_the_image_builds():
    result = subprocess.run(
        ["docker", "build", "--tag", "followup-tracker:test", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze on this machine")
def test_the_systemd_units_verify(tmp_path):
    """The units as systemd reads them; the virtualenv's programs stand in for those of /srv/tracker/venv."""
    import sys
    from pathlib import Path

    venv_bin = str(Path(sys.executable).parent)
    for unit in (ROOT / "deploy" / "systemd").iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/tracker/venv/bin", venv_bin))
    units = sorted(str(p) for p in tmp_path.iterdir())

    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        env={"SYSTEMD_LOG_LEVEL": "warning"},
    )

    assert result.returncode == 0, result.stderr
    assert "tracker" not in result.stderr, result.stderr
