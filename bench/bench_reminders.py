"""Benchmark of the reminder tick and of mail delivery, each beside the bare database or bare SMTP.

    PYTHONPATH=. .venv/bin/python bench/bench_reminders.py [--rounds 5] [--no-mail] [--mails 2000]

The tick, for each size (100,000 and 1,000,000 deadlines, times BENCH_SCALE; three reminder rows per deadline,
one sent long ago and two pending in the future, then exactly 10,000 of them made due), in a process and a
database of its own (bench_tracker_tick_<N>, filled once):

- the tracker's tick (`followups.reminders.sending.reminders_tick`: claim, batches, one Celery task per batch
  published to Redis, the partner-message check), rolled back after each round;
- (a) the bare SELECT of the same due rows (the partial index's floor: reading them);
- (b) the bare claim, `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, on a lean copy of
  the table with only its primary key and the due-row partial index (the physical floor of claiming);
- (c) the same bare claim statement on the real table with all its indexes (what the indexes cost);
  the rows claimed are checked to be the same ids in all four; VACUUM between rounds (untimed) so that the
  rolled-back updates' dead rows do not pile up; median and p95 of interleaved rounds; the growth 100k -> 1M.

Mail: `--mails` reminders due to as many contacts; one tick publishes them to a real Celery worker (concurrency
2, Redis) sending to an aiosmtpd server on loopback; then a separate process sends the very messages the server
received, with smtplib over one connection, to the same server: the same recipients and bytes are checked
equal. Mails per second for each, and each process's peak memory (the worker's pool processes; the smtplib one).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _common as c

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")


class _Rollback(Exception):
    pass


def _insert_select(cur, table: str, values: dict[str, str], from_sql: str, params: list) -> None:
    """INSERT INTO table (...) SELECT ... with every NOT NULL column that has no database default filled with
    a neutral value by type, so that a column added to the model later does not break the benchmark."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    neutral = {"boolean": "false", "integer": "0", "bigint": "0", "smallint": "0", "jsonb": "'[]'::jsonb"}
    for name, kind in cur.fetchall():
        if name not in values and name != "id":
            values[name] = neutral.get(kind, "now()" if "time" in kind else "current_date" if kind == "date" else "''")
    columns = ", ".join(f'"{k}"' for k in values)
    cur.execute(f"INSERT INTO {table} ({columns}) SELECT {', '.join(values.values())} {from_sql}", params)


def fill(deadlines: int, due: int) -> None:
    from django.db import connection

    from tests import factories as f

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM followups_deadline WHERE ref LIKE 'DL-T%%'")
        have = cur.fetchone()[0]
    if have < deadlines:
        print(f"  filling {deadlines:,} deadlines and {3 * deadlines:,} reminder rows (once)...", flush=True)
        started = time.perf_counter()
        commitment = f.CommitmentFactory(ref=f"CMT-T{uuid.uuid4().hex[:6].upper()}")
        contact = f.ContactFactory(ref=f"CON-T{uuid.uuid4().hex[:6].upper()}", email="tick@example.org")
        with connection.cursor() as cur:
            _insert_select(
                cur,
                "followups_deadline",
                {
                    "ref": "'DL-T' || g",
                    "commitment_id": "%s",
                    "anchor_kind": "'fixed'",
                    "anchor_date": "d",
                    "original_due_on": "d",
                    "due_on": "d",
                    "cancelled": "false",
                    "updated_at": "now()",
                },
                "FROM generate_series(%s, %s) AS g, LATERAL (SELECT DATE '2026-01-01' + (g %% 1500) AS d) AS x",
                [commitment.pk, have + 1, deadlines],
            )
            when = "CASE WHEN k.n = 0 THEN now() - interval '300 days' ELSE now() + k.n * interval '30 days' END"
            _insert_select(
                cur,
                "followups_reminder",
                {
                    "deadline_id": "d.id",
                    "commitment_id": "d.commitment_id",
                    "contact_id": "%s",
                    "kind": "k.kind",
                    "escalation": "false",
                    "due_at": when,
                    "status": "CASE WHEN k.n = 0 THEN 'sent' ELSE 'pending' END",
                    "next_attempt_at": when,
                    "sent_at": "CASE WHEN k.n = 0 THEN now() - interval '300 days' END",
                    "created_at": "now()",
                    "updated_at": "now()",
                },
                "FROM followups_deadline d CROSS JOIN (VALUES ('before_30', 0), ('before_7', 1), ('overdue_1', 2)) "
                "AS k(kind, n) WHERE d.ref LIKE 'DL-T%%' AND NOT EXISTS "
                "(SELECT 1 FROM followups_reminder r WHERE r.deadline_id = d.id)",
                [contact.pk],
            )
        print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cur:
        # Exactly `due` rows due now, the rest of the pending ones in the future.
        cur.execute(
            "UPDATE followups_reminder SET next_attempt_at = now() + interval '30 days', status = 'pending' "
            "WHERE status IN ('pending', 'sending') AND next_attempt_at <= now() + interval '1 day'"
        )
        cur.execute(
            "UPDATE followups_reminder SET next_attempt_at = now() - interval '1 minute' WHERE id IN "
            "(SELECT id FROM followups_reminder WHERE status = 'pending' AND kind = 'before_7' ORDER BY id LIMIT %s)",
            [due],
        )
        # The lean copy: the same rows, only the primary key and the due-row partial index.
        cur.execute("DROP TABLE IF EXISTS bench_reminder_lean")
        cur.execute("CREATE TABLE bench_reminder_lean AS SELECT * FROM followups_reminder")
        cur.execute("ALTER TABLE bench_reminder_lean ADD PRIMARY KEY (id)")
        cur.execute(
            "CREATE INDEX bench_reminder_lean_due ON bench_reminder_lean (next_attempt_at) WHERE status = 'pending'"
        )
    vacuum()


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE followups_reminder")
        cur.execute("VACUUM ANALYZE bench_reminder_lean")


BARE_SELECT = (
    "SELECT id, contact_id, user_id, kind FROM followups_reminder WHERE status = 'pending' AND next_attempt_at <= %s "
    "ORDER BY next_attempt_at LIMIT %s"
)
BARE_CLAIM = (
    "UPDATE {table} SET status = 'sending', claim_token = %s, lease_expires_at = %s, updated_at = %s "
    "WHERE id IN (SELECT id FROM {table} WHERE status = 'pending' AND next_attempt_at <= %s "
    "ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, contact_id, user_id, kind"
)


def tick_paths(now, due: int, claimed: dict[str, set[int]]) -> tuple[dict, object]:
    """The tick and its three baselines, each rolled back when it writes; the ids each claims go to `claimed`."""
    from datetime import timedelta

    from django.db import connection, transaction

    from followups.reminders.sending import reminders_claim, reminders_tick

    def rolled_back(fn):
        def run() -> None:
            try:
                with transaction.atomic():
                    fn()
                    raise _Rollback
            except _Rollback:
                pass

        return run

    def tracker() -> None:
        n = reminders_tick(now=now)
        assert n == due, (n, due)

    def claim_ids() -> None:
        claimed["tracker"] = {pk for _, units in reminders_claim(now=now) for u in units for pk in u}

    def bare_select() -> None:
        with connection.cursor() as cur:
            cur.execute(BARE_SELECT, [now, due])
            claimed["select"] = {r[0] for r in cur.fetchall()}

    def bare_claim(table: str):
        def run() -> None:
            with connection.cursor() as cur:
                cur.execute(
                    BARE_CLAIM.format(table=table), [uuid.uuid4().hex, now + timedelta(minutes=5), now, now, due]
                )
                claimed[table] = {r[0] for r in cur.fetchall()}

        return run

    fns = {
        "tick": rolled_back(tracker),
        "select": bare_select,
        "lean": rolled_back(bare_claim("bench_reminder_lean")),
        "real": rolled_back(bare_claim("followups_reminder")),
    }
    return fns, rolled_back(claim_ids)


def tick_child(size: int, rounds: int) -> None:
    url = c.ensure_database(f"{c.DB_PREFIX}_tick_{size}")
    os.environ["CELERY_BROKER_URL"] = BROKER
    queue = f"bench-tick-{os.getpid()}"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    c.django_setup(url)
    from django.utils import timezone

    from config.celery import app

    due = c.scaled(10_000)
    fill(size, due)
    claimed: dict[str, set[int]] = {}
    fns, claim_ids = tick_paths(timezone.now(), due, claimed)
    claim_ids()
    for fn in fns.values():
        fn()
    same = claimed["tracker"] == claimed["select"] == claimed["bench_reminder_lean"] == claimed["followups_reminder"]
    same = same and len(claimed["tracker"]) == due
    times: dict[str, list[float]] = {k: [] for k in fns}
    for i in range(rounds):
        order = list(fns.items()) if i % 2 == 0 else list(reversed(fns.items()))
        for name, fn in order:
            vacuum()
            started = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - started) * 1000)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)
    s = {k: c.summarise(v) for k, v in times.items()}
    rows = [
        c.Row(f"tick ({due:,} due) / bare SELECT of the due rows", size, s["tick"], s["select"], same),
        c.Row(f"tick ({due:,} due) / bare claim on a lean copy", size, s["tick"], s["lean"], same),
        c.Row(
            f"bare claim: real table / lean copy ({due:,} due)",
            size,
            s["real"],
            s["lean"],
            same,
            note="the cost of the real table's indexes",
        ),
    ]
    for r in rows:
        r.tracker_mem_mb = c.self_peak_rss_mb()
        r.mem_note = "(tick process RSS)"
    c.emit(rows)


# --- Mail ----------------------------------------------------------------------------------------------------


class Recorder:
    """An SMTP handler that keeps every message's envelope and bytes exactly as received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, tuple[str, ...], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


SMTPLIB_SENDER = """
import json, smtplib, sys, base64, time
messages = json.load(open(sys.argv[1]))
started = time.perf_counter()
with smtplib.SMTP("127.0.0.1", int(sys.argv[2])) as smtp:
    for sender, rcpts, body in messages:
        smtp.sendmail(sender, rcpts, base64.b64decode(body))
elapsed = time.perf_counter() - started
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(elapsed, int(hwm) / 1024)
"""


def mail_child(mails: int) -> None:
    url = c.ensure_database(f"{c.DB_PREFIX}_mail")
    queue = f"bench-mail-{os.getpid()}"
    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    c.django_setup(url)
    import django.db
    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from agreements.models import Contact
    from followups.models import AnchorKind, Reminder
    from followups.reminders.sending import reminders_tick
    from tests import factories as f

    recorder = Recorder()
    port = c.free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    tag = uuid.uuid4().hex[:6].upper()
    org = f.OrganisationFactory()
    contacts = Contact.objects.bulk_create(
        Contact(ref=f"CON-M{tag}{i}", name=f"Contact {i}", email=f"m{tag}{i}@example.org", organisation=org)
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
    Reminder.objects.filter(status="pending").update(next_attempt_at=far)  # only this run's mails are due
    due = timezone.now() - timezone.timedelta(minutes=1)
    Reminder.objects.bulk_create(
        Reminder(deadline=deadline, contact=x, kind="before_30", due_at=due, next_attempt_at=far) for x in contacts
    )
    var = tempfile.mkdtemp()
    env = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "VAR_DIR": var,
        "PYTHONPATH": str(c.ROOT),
    }
    log = Path(var) / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--concurrency", "2",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", f"{queue}@%h"],
        cwd=c.ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    rows: list[c.Row] = []
    try:
        deadline_ready = time.perf_counter() + 120
        while " ready." not in log.read_text(errors="replace"):
            if time.perf_counter() > deadline_ready:
                raise RuntimeError(f"the worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        Reminder.objects.filter(deadline=deadline).update(next_attempt_at=due)
        django.db.connections.close_all()
        started = time.perf_counter()
        reminders_tick()
        while recorder.count() < mails:
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"only {recorder.count()} of {mails} mails arrived in 600 s")
            time.sleep(0.01)
        worker_s = time.perf_counter() - started
        worker_mem = max([c.proc_peak_rss_mb(p) for p in c.children_of(worker.pid)] or [0.0])
        through_worker = list(recorder.messages)
        # The bare side: the very messages received, over one connection, from a process of its own.
        dump = Path(var) / "messages.json"
        dump.write_text(json.dumps([[s, r, base64.b64encode(b).decode()] for s, r, b in through_worker]))
        recorder.messages.clear()
        out, _ = c.run_child([sys.executable, "-c", SMTPLIB_SENDER, str(dump), str(port)])
        bare_s, bare_mem = (float(x) for x in out.strip().splitlines()[-1].split())
        bare_mem = round(bare_mem, 1)
        same = sorted(through_worker) == sorted(recorder.messages) and len(through_worker) == mails
        size = sum(len(b) for *_, b in through_worker) // max(1, len(through_worker))
        rows.append(
            c.Row(
                path="mail: worker (concurrency 2) / smtplib over one connection",
                size=mails,
                tracker=c.Timing(round(mails / worker_s, 1), round(worker_s * 1000, 1), mails),
                bare=c.Timing(round(mails / bare_s, 1), round(bare_s * 1000, 1), mails),
                same_output=same,
                tracker_mem_mb=worker_mem,
                bare_mem_mb=bare_mem,
                mem_note="(worker pool process / smtplib process RSS)",
                unit="mails/s",
                note=f"p95 column: total ms; {size:,} bytes a mail; the worker's time starts at the tick",
            )
        )
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=60)
        controller.stop()
        Reminder.objects.filter(deadline=deadline).delete()
    c.emit(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_TICK_ROUNDS", "5")))
    parser.add_argument("--mails", type=int, default=c.scaled(2000))
    parser.add_argument("--no-mail", action="store_true")
    parser.add_argument("--child", choices=["tick", "mail"])
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    if args.child == "tick":
        tick_child(args.size, args.rounds)
        return
    if args.child == "mail":
        mail_child(args.size)
        return
    rows = []
    for size in (c.scaled(100_000), c.scaled(1_000_000)):
        rows += c.run_sizes(__file__, [size], ["--rounds", str(args.rounds)], ("--child", "tick"))
    c.print_table("Reminder tick", rows, size_label="deadlines")
    if not args.no_mail:
        c.print_table("Mail", c.run_sizes(__file__, [args.mails], child_args=("--child", "mail")), size_label="mails")


if __name__ == "__main__":
    main()
