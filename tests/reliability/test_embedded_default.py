"""The embedded default delivers: SQLite, the filesystem Celery transport and mail files, with a real worker and
beat (what `make run` starts), and nothing else. A due reminder arrives in the mail folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from datetime import timedelta
from django.utils import timezone
from followups.models import AnchorKind, Reminder
from tests import factories as f

contact = f.ContactFactory(email="embedded@example.org")
deadline = f.DeadlineFactory(
    commitment=f.CommitmentFactory(contacts=[contact]),
    anchor_kind=AnchorKind.FIXED,
    anchor_date=timezone.now().date() + timedelta(days=40),
    offset="",
)
Reminder.objects.filter(deadline=deadline, kind="before_30").update(next_attempt_at=timezone.now())
print("due", Reminder.objects.filter(next_attempt_at__lte=timezone.now()).count())
"""


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path / "var"),
        REMINDER_TICK_SECONDS="1",
        LOG_LEVEL="WARNING",
    )
    return env


def test_worker_and_beat_on_the_local_transport_deliver_into_the_mail_folder(embedded_env, tmp_path):
    def manage(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=embedded_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    manage("migrate", "--noinput")
    assert "due 1" in manage("shell", stdin=SETUP)
    mail_dir = tmp_path / "var" / "mail"
    processes = []
    try:
        for args in (["worker", "--concurrency", "1", "--without-gossip", "--without-mingle"], ["beat"]):
            extra = ["-s", str(tmp_path / "beat.schedule")] if args == ["beat"] else []
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "config", *args, *extra, "--loglevel", "INFO"],
                    cwd=ROOT,
                    env=embedded_env,
                    stdout=(tmp_path / f"{args[0]}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        end = time.monotonic() + 60
        while not (mail_dir.exists() and any(mail_dir.iterdir())):
            if time.monotonic() > end:
                logs = "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("*.log"))
                raise AssertionError(f"no mail in {mail_dir} after 60 s\n{logs}")
            time.sleep(0.2)
        time.sleep(0.5)  # the file is written while the batch runs
        text = "".join(p.read_text() for p in mail_dir.iterdir())
        assert "To: embedded@example.org" in text
        assert "Message-ID: <reminder." in text
        assert "text/calendar" in text
    finally:
        for process in processes:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)
