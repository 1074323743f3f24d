"""Settings from the environment: a fresh clone runs on the embedded defaults, production refuses them.

Each case runs `manage.py` in a subprocess with an environment of its own, as an operator would: the
settings module is read once per process, so this is the only honest way to try several environments.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Everything production needs, well formed; each test breaks one or more of these.
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3y-" + "x7Qp2" * 10,  # 54 characters: production asks for at least 50
    "ALLOWED_HOSTS": "tracker.example.org",
    "SITE_URL": "https://tracker.example.org",
    "DATABASE_URL": "postgres://tracker:secret@db.example.org:5432/tracker",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
    "DEFAULT_FROM_EMAIL": "Follow-up tracker <tracker@example.org>",
}
# Settings a developer's shell (or this test run) may carry that would change what is being tested.
_CLEARED = {
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
    "TIME_ZONE",
    "DJANGO_DEBUG",
}


def manage(*args: str, env: dict[str, str], var_dir: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment.update(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- A fresh clone: SQLite under VAR_DIR, no service at all ------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_var(tmp_path_factory) -> Path:
    """A VAR_DIR whose SQLite database has been migrated once (shared by this module's SQLite tests)."""
    var_dir = tmp_path_factory.mktemp("var")
    result = manage("migrate", "--noinput", env={}, var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    return var_dir


def test_a_fresh_clone_migrates_and_checks_on_sqlite_under_var_dir(sqlite_var):
    database = sqlite_var / "db.sqlite3"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
    assert {"agreements_framework", "followups_commitment", "followups_deadline"} <= tables

    result = manage("check", env={}, var_dir=sqlite_var)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_dataset_and_the_demo_load_on_sqlite_and_a_second_run_adds_nothing(sqlite_var):
    """What `make run` does before it starts the processes, twice, as a developer restarting it would."""
    commands = manage("help", env={}, var_dir=sqlite_var).stdout
    if "load_ministerial" not in commands:
        pytest.skip("manage.py load_ministerial is not written yet")
    first = manage("load_ministerial", env={}, var_dir=sqlite_var)
    assert first.returncode == 0, first.stderr

    def counts() -> dict[str, int]:
        with sqlite3.connect(sqlite_var / "db.sqlite3") as connection:
            return {
                table: connection.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608 - fixed names
                for table in (
                    "agreements_organisation",
                    "agreements_framework",
                    "followups_commitment",
                    "followups_deadline",
                    "auth_user",
                    "agreements_contact",
                )
            }

    loaded = counts()
    assert loaded["agreements_framework"] == 33 and loaded["followups_commitment"] == 105

    if "seed_demo" in commands:
        demo = manage("seed_demo", env={}, var_dir=sqlite_var)
        assert demo.returncode == 0, demo.stderr
        assert "coordinator" in demo.stdout and "demo-pass-2026" in demo.stdout
    seeded = counts()

    again = manage("load_ministerial", env={}, var_dir=sqlite_var)
    assert again.returncode == 0, again.stderr
    if "seed_demo" in commands:
        assert manage("seed_demo", env={}, var_dir=sqlite_var).returncode == 0
    assert counts() == seeded


def test_the_local_defaults_may_also_be_given_explicitly(tmp_path):
    result = manage(
        "check",
        env={"CELERY_BROKER_URL": "filesystem://", "EMAIL_URL": "filemail://", "DATABASE_URL": "sqlite:///:memory:"},
        var_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr


# --- Production: every required setting given and well formed, or no start ------------------------------------


def test_production_starts_with_every_setting_given(tmp_path):
    result = manage("check", env=PRODUCTION, var_dir=tmp_path)
    assert result.returncode == 0, result.stderr

    shell = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.EMAIL_HOST, s.SITE_URL)",
        env=PRODUCTION,
        var_dir=tmp_path,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == ["False", "True", "smtp.example.org", "https://tracker.example.org"]


def test_production_with_nothing_given_names_every_missing_setting(tmp_path):
    result = manage("check", env={"DJANGO_ENV": "production"}, var_dir=tmp_path)

    assert result.returncode != 0
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "EMAIL_URL", "CELERY_BROKER_URL"):
        assert f"{name} is missing" in result.stderr
    assert "TIME_ZONE" not in result.stderr  # optional: UTC is a fine default (README, "Configuration")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "short"),
        ("SITE_URL", "tracker.example.org"),  # no scheme: e-mail links would be broken
        ("DATABASE_URL", "sqlite:///var/db.sqlite3"),  # production requires PostgreSQL
        ("DATABASE_URL", "mysql://db.example.org/tracker"),
        ("DATABASE_URL", "postgres//tracker:hunter2@db.example.org/tracker"),
        ("EMAIL_URL", "filemail://"),  # reminders would be written to files nobody reads
        ("EMAIL_URL", "http://smtp.example.org"),
        ("CELERY_BROKER_URL", "filesystem://"),  # workers on several machines need a shared broker
        ("CELERY_BROKER_URL", "redis//no-scheme"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
    ],
)
def test_production_refuses_a_malformed_setting_and_names_it(tmp_path, name, value):
    result = manage("check", env={**PRODUCTION, name: value}, var_dir=tmp_path)

    assert result.returncode != 0
    assert f"{name} is malformed" in result.stderr
    if name == "SECRET_KEY" or "hunter2" in value:
        assert value not in result.stderr  # start-up errors end up in logs: no secrets in them
    else:
        assert value in result.stderr
    assert result.stderr.count(" is malformed") + result.stderr.count(" is missing") == 1  # only that one


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "SITE_URL", "EMAIL_URL", "CELERY_BROKER_URL"])
def test_production_refuses_each_missing_setting_alone(tmp_path, name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}

    result = manage("check", env=env, var_dir=tmp_path)

    assert result.returncode != 0
    assert f"{name} is missing" in result.stderr
    assert "(see README.md, 'Configuration')" in result.stderr


def test_development_refuses_a_malformed_setting_too(tmp_path):
    result = manage("check", env={"CELERY_BROKER_URL": "rabbit://nowhere"}, var_dir=tmp_path)

    assert result.returncode != 0
    assert "CELERY_BROKER_URL is malformed" in result.stderr
