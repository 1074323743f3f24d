"""Start-up with DJANGO_ENV=production refuses unsafe settings: one message naming each problem, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from config.settings import DEV_SECRET_KEY
from tests.production.conftest import ROOT, manage

UNSAFE = [
    ("DJANGO_DEBUG", "true", "DJANGO_DEBUG is on"),
    ("SECRET_KEY", "", "SECRET_KEY is missing"),
    ("SECRET_KEY", "k" * 10 + "x7Qp2" * 7 + "abcd", "SECRET_KEY is malformed"),  # 49 characters
    ("SECRET_KEY", DEV_SECRET_KEY, "SECRET_KEY is malformed"),
    ("SECRET_KEY", "django-insecure-" + "x7Qp2a" * 9, "SECRET_KEY is malformed"),
    ("SECRET_KEY", "a" * 60, "SECRET_KEY is malformed"),  # long but not random
    ("ALLOWED_HOSTS", "*", "ALLOWED_HOSTS is malformed ('*')"),
    ("ALLOWED_HOSTS", "tracker.test,*", "ALLOWED_HOSTS is malformed ('*')"),
    ("SITE_URL", "http://tracker.test", "SITE_URL is malformed ('http://tracker.test'): the public https://"),
    ("DATABASE_URL", "sqlite:///var/db.sqlite3", "not SQLite"),
    ("CELERY_BROKER_URL", "filesystem://", "CELERY_BROKER_URL is malformed ('filesystem://')"),
    ("EMAIL_URL", "consolemail://", "EMAIL_URL is malformed ('consolemail://')"),
    ("EMAIL_URL", "filemail:///var/mail", "EMAIL_URL is malformed ('filemail:///var/mail')"),
]


@pytest.mark.parametrize(("name", "value", "named"), UNSAFE, ids=[f"{n}={v[:20]}" for n, v, _ in UNSAFE])
def test_production_refuses_each_unsafe_setting_by_name_without_a_traceback(production_env, name, value, named):
    env = production_env(**{name: value})
    if not value:
        del env[name]

    result = manage("check", env=env)

    assert result.returncode == 3, result.stdout + result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("Production settings are incomplete or unsafe; the tracker does not start:")
    assert result.stderr.count("\n  - ") == 1, result.stderr  # only that problem
    if name == "SECRET_KEY" and value:
        assert value not in result.stderr  # start-up errors end up in logs: no secrets in them


def test_every_problem_is_named_in_one_message(production_env):
    env = production_env(
        DJANGO_DEBUG="1",
        SECRET_KEY="short",
        ALLOWED_HOSTS="*",
        SITE_URL="http://tracker.test",
        DATABASE_URL="sqlite:///db.sqlite3",
        CELERY_BROKER_URL="filesystem://",
        EMAIL_URL="consolemail://",
    )

    result = manage("check", env=env)

    assert result.returncode == 3 and "Traceback" not in result.stderr
    for name in ("DJANGO_DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "CELERY_BROKER_URL"):
        assert f"  - {name} is" in result.stderr, name
    assert "  - EMAIL_URL is" in result.stderr
    assert result.stderr.count("\n  - ") == 7


def test_gunicorn_stops_with_the_message_instead_of_restarting_workers(production_env, tmp_path):
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", "127.0.0.1:18104", "--workers", "2"],
            cwd=ROOT,
            env=production_env(ALLOWED_HOSTS="*"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()

    assert status != 0
    assert "ALLOWED_HOSTS is malformed ('*')" in output
    assert "Traceback" not in output


def test_celery_beat_refuses_too(production_env):
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=production_env(SITE_URL="http://tracker.test"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SITE_URL is malformed" in result.stderr
    assert "Traceback" not in result.stderr


def test_celery_beat_starts_on_a_fresh_machine_and_makes_its_folder(production_env, tmp_path):
    """Beat's schedule file lives under VAR_DIR, which a fresh machine (or container volume) does not have yet."""
    var_dir = tmp_path / "fresh" / "var"
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
            cwd=ROOT,
            env=production_env(VAR_DIR=str(var_dir)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(300):  # up to a minute for beat to write its schedule
            if list(var_dir.glob("celerybeat-schedule*")) or beat.poll() is not None:
                break
            time.sleep(0.2)
        assert beat.poll() is None, log.read_text()
        assert list(var_dir.glob("celerybeat-schedule*")), log.read_text()
    finally:
        beat.terminate()
        beat.wait(timeout=30)
