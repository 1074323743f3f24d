"""Benchmark of the reminder tick and of delivery through a worker.

    PYTHONPATH=. .venv/bin/python bench/bench_reminders.py [--no-mail] [--mails 2000] [--broker redis://...]

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_reminders),
created and migrated on first run. Prints:

- one tick's claim (SELECT ... FOR UPDATE SKIP LOCKED over the partial index, then the UPDATE to SENDING) with
  10,000 due reminders among those of 100,000 and then 1,000,000 deadlines (three reminders per deadline: one
  sent, two pending in the future), median of 5 runs, each rolled back; beside it the bare SQL SELECT of the
  same rows, and the ratio; and how the tick's time grows from 100,000 to 1,000,000 deadlines;
- mails per second from a real Celery worker (concurrency 2) to an aiosmtpd server on loopback.

It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_reminders")
DUE = 10_000

os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")  # aiosmtpd logs every SMTP line at INFO
sys.path.insert(0, str(ROOT))


def ensure_database() -> None:
    import psycopg

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    server = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class _Rollback(Exception):
    pass


def fill(deadlines: int) -> None:
    """Grow the tables to `deadlines` deadlines (3 reminders each, none due), then make exactly DUE rows due."""
    from django.db import connection

    from followups.models import Deadline, Reminder
    from tests import factories as f

    have = Deadline.objects.filter(ref__startswith="DL-B").count()
    if have > deadlines:
        # Shrink to the size measured (the benchmark's own rows only).
        start = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                "DELETE FROM followups_reminder WHERE deadline_id IN (SELECT id FROM followups_deadline "
                "WHERE ref LIKE 'DL-B%%' AND substring(ref from 5)::int > %s)",
                [deadlines],
            )
            cur.execute(
                "DELETE FROM followups_deadline WHERE ref LIKE 'DL-B%%' AND substring(ref from 5)::int > %s",
                [deadlines],
            )
            cur.execute("VACUUM ANALYZE followups_reminder")
            cur.execute("VACUUM ANALYZE followups_deadline")
        print(f"  shrunk to {deadlines:,} deadlines in {time.perf_counter() - start:.1f} s")
        have = deadlines
    if have < deadlines:
        commitment = f.CommitmentFactory(ref=f"CMT-BENCH{uuid.uuid4().hex[:6].upper()}")
        tag = uuid.uuid4().hex[:6].upper()
        contact = f.ContactFactory(ref=f"CON-BENCH{tag}", email=f"bench{tag}@example.org")
        start = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO followups_deadline (ref, commitment_id, title, anchor_kind, anchor_date, anchor_estimated,
                    "offset", recurrence, occurrence_index, basis, original_due_on, extension_reason, due_on,
                    cancelled, updated_at)
                SELECT 'DL-B' || g, %s, '', 'fixed', d, false, '', '', 0, 'bench', d, '', d, false, now()
                FROM generate_series(%s, %s) AS g, LATERAL (SELECT DATE '2026-01-01' + (g %% 1500) AS d) AS x
                """,
                [commitment.pk, have + 1, deadlines],
            )
            # One reminder sent last year, two pending in the future, per new deadline.
            cur.execute(
                """
                INSERT INTO followups_reminder (deadline_id, contact_id, kind, escalation, due_at, status, catch_up,
                    attempts, last_error, next_attempt_at, claim_token, message_id, created_at, updated_at, sent_at)
                SELECT d.id, %s, k.kind, false,
                    CASE WHEN k.kind = 'before_30' THEN now() - interval '300 days'
                         ELSE now() + (k.n * interval '30 days') + (d.id %% 1000) * interval '1 minute' END,
                    CASE WHEN k.kind = 'before_30' THEN 'sent' ELSE 'pending' END,
                    false, 0, '',
                    CASE WHEN k.kind = 'before_30' THEN now() - interval '300 days'
                         ELSE now() + (k.n * interval '30 days') + (d.id %% 1000) * interval '1 minute' END,
                    '', '', now(), now(), NULL
                FROM followups_deadline d
                CROSS JOIN (VALUES ('before_30', 0), ('before_7', 1), ('overdue_1', 2)) AS k(kind, n)
                WHERE d.ref LIKE 'DL-B%%' AND NOT EXISTS (SELECT 1 FROM followups_reminder r WHERE r.deadline_id = d.id)
                """,
                [contact.pk],
            )
            cur.execute("ANALYZE followups_deadline")
            cur.execute("ANALYZE followups_reminder")
        print(f"  filled to {deadlines:,} deadlines in {time.perf_counter() - start:.1f} s")
    # Exactly DUE rows due now: pending ones moved into the past (others back to the future).
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE followups_reminder SET next_attempt_at = now() + interval '30 days', status = 'pending' "
            "WHERE status IN ('pending', 'sending') AND next_attempt_at <= now() + interval '1 day'"
        )
        cur.execute(
            "UPDATE followups_reminder SET next_attempt_at = now() - interval '1 minute' WHERE id IN "
            "(SELECT id FROM followups_reminder WHERE status = 'pending' AND kind = 'before_7' ORDER BY id LIMIT %s)",
            [DUE],
        )
        cur.execute("ANALYZE followups_reminder")
    print(f"  {Reminder.objects.count():,} reminder rows, {DUE:,} due")


def time_claim(runs: int = 5) -> tuple[float, float, float, int]:
    """(median tick claim, median bare SELECT, median bare claim UPDATE ... SKIP LOCKED, in seconds; rows claimed)."""
    from django.db import connection, transaction

    from followups.reminders.sending import reminders_claim

    ticks, bares, bare_claims, claimed = [], [], [], 0
    for _ in range(runs):
        start = time.perf_counter()
        try:
            with transaction.atomic():
                batches = reminders_claim(limit=DUE)
                claimed = sum(len(u) for _, units in batches for u in units)
                ticks.append(time.perf_counter() - start)
                raise _Rollback
        except _Rollback:
            pass
        with connection.cursor() as cur:
            start = time.perf_counter()
            cur.execute(
                "SELECT id FROM followups_reminder WHERE status = 'pending' AND next_attempt_at <= now() "
                "ORDER BY next_attempt_at LIMIT %s",
                [DUE],
            )
            cur.fetchall()
            bares.append(time.perf_counter() - start)
        try:
            with transaction.atomic(), connection.cursor() as cur:
                start = time.perf_counter()
                cur.execute(
                    "UPDATE followups_reminder SET status = 'sending', claim_token = 'x', "
                    "lease_expires_at = now() + interval '5 minutes' WHERE id IN (SELECT id FROM followups_reminder "
                    "WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT %s "
                    "FOR UPDATE SKIP LOCKED) RETURNING id, contact_id, user_id",
                    [DUE],
                )
                cur.fetchall()
                bare_claims.append(time.perf_counter() - start)
                raise _Rollback
        except _Rollback:
            pass
    return statistics.median(ticks), statistics.median(bares), statistics.median(bare_claims), claimed


def bench_mail(mails: int, broker: str) -> None:
    import django.db
    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from agreements.models import Contact
    from followups.models import AnchorKind, Reminder
    from tests import factories as f
    from tests.reliability.conftest import SmtpHandler, free_port

    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    org = f.OrganisationFactory()
    tag = uuid.uuid4().hex[:6].upper()
    contacts = Contact.objects.bulk_create(
        Contact(ref=f"CON-M{tag}{i}", name=f"C {i}", email=f"m{tag}{i}@example.org", organisation=org)
        for i in range(mails)
    )
    deadline = f.DeadlineFactory(
        ref=f"DL-M{tag}",
        commitment=f.CommitmentFactory(ref=f"CMT-M{tag}"),
        anchor_kind=AnchorKind.FIXED,
        anchor_date=timezone.now().date() + timezone.timedelta(days=30),
        offset="",
    )
    far = timezone.now() + timezone.timedelta(days=3650)
    # Park everything else so that only these mails are due.
    Reminder.objects.filter(status="pending").update(next_attempt_at=far)
    due = timezone.now() - timezone.timedelta(minutes=1)
    Reminder.objects.bulk_create(
        Reminder(deadline=deadline, contact=c, kind="before_30", due_at=due, next_attempt_at=far) for c in contacts
    )
    queue = f"bench-{tag}"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": tempfile.mkdtemp(),
    }
    log = Path(env["VAR_DIR"]) / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--concurrency", "2",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        while " ready." not in log.read_text(errors="replace"):
            time.sleep(0.1)
        Reminder.objects.filter(deadline=deadline).update(next_attempt_at=due)
        django.db.connections.close_all()
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "send_due_reminders"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        while handler.count() < mails:
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        print(f"  {mails:,} mails through the worker (concurrency 2, {broker.split(':')[0]}) in {elapsed:.1f} s: "
              f"{mails / elapsed:,.0f} mails/s (including one tick's command start-up)")  # fmt: skip
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        controller.stop()
        Reminder.objects.filter(deadline=deadline).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-mail", action="store_true")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    ensure_database()
    setup_django()
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"{size:,} deadlines")
        fill(size)
        tick, bare, bare_claim, claimed = time_claim()
        results[size] = tick
        print(
            f"  one tick claiming {claimed:,} due rows: {tick * 1000:.1f} ms; bare SELECT of the same rows: "
            f"{bare * 1000:.1f} ms (ratio {tick / bare:.1f}x); one bare SQL claim statement (UPDATE ... FOR UPDATE "
            f"SKIP LOCKED ... RETURNING): {bare_claim * 1000:.1f} ms (ratio {tick / bare_claim:.1f}x)"
        )
    sizes = sorted(results)
    if len(sizes) > 1:
        print(
            f"growth of the tick from {sizes[0]:,} to {sizes[-1]:,} deadlines: "
            f"{results[sizes[-1]] / results[sizes[0]]:.2f}x for {sizes[-1] / sizes[0]:.0f}x the rows"
        )
    if not args.no_mail:
        bench_mail(args.mails, args.broker)


if __name__ == "__main__":
    main()
