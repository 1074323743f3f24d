"""Benchmark of the staff pages beside the bare database: the commitments list, the dashboard, a commitment's
page, the CSV export of 10,000 rows, and the list under load.

    PYTHONPATH=. .venv/bin/python bench/bench_staff_pages.py [--rounds 30] [--load-seconds 10] [--no-load]

For each size (10,000 and 100,000 commitments, times BENCH_SCALE), in a process of its own and on a database of
its own (bench_tracker_<N>, filled once by bench/_data.py), a logged-in coordinator asks each page through
Django's test client, interleaved with the bare baseline (bench/_bare.py: the same session check and SQL,
rendered by a plain Python template), and the outputs are checked equal in the run:

- list: the same rows with the same cells (reference, title, framework, owners, status, priority, next due);
- dashboard: the same five counts and the same rows and cells in the overdue and upcoming tables;
- a commitment's page: every owner, deadline reference and timeline note of the bare page is on the tracker's;
- CSV export of the list filtered to 10,000 rows: byte-identical;
- at the largest size, the list under load (wrk if installed, else threads): gunicorn with two sync workers for
  the tracker, then the bare WSGI app (bench/_bare_wsgi.py) with two, the rows and cells checked equal.

Peak memory: Python allocations of one request on each side (tracemalloc, untimed); worker RSS under load.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _common as c


def labels() -> dict:
    from django.utils import translation

    from followups.models import Category, Priority, Status

    with translation.override("en"):
        return {
            "status": {v: str(lbl) for v, lbl in Status.choices},
            "priority": {v: str(lbl) for v, lbl in Priority.choices},
            "category": {v: str(lbl) for v, lbl in Category.choices},
        }


def list_rows(html: str) -> list[list[str]]:
    import _bare

    tables, _ = _bare.page_cells(html)
    table = max(tables, key=len) if tables else []
    return [row[:7] for row in table]


def dashboard_view(html: str) -> tuple:
    import _bare

    tables, counts = _bare.page_cells(html)
    return counts, [t for t in tables if t and len(t[0]) == 3][:2]


def summaries_account_for_every_row(conn) -> None:
    """The tracker's dashboard and the bare one read the same summary tables, so "same output" cannot see summaries
    that miss rows (a database filled around the services): refuse to measure on such a database."""
    counts = conn.execute(
        "SELECT (SELECT count(*) FROM followups_commitment),"
        " (SELECT coalesce(sum(n), 0) FROM followups_dashboardcommitmentcount),"
        " (SELECT count(*) FROM followups_deadline),"
        " (SELECT coalesce(sum(n), 0) FROM followups_dashboarddeadlineday)"
    ).fetchone()
    if counts[0] != counts[1] or counts[2] != counts[3]:
        raise SystemExit(
            f"dashboard summaries count {counts[1]:,} commitments of {counts[0]:,} and {counts[3]:,} deadlines of"
            f" {counts[2]:,}: run `manage.py dashboard_summary_rebuild` on this database (or drop it) first"
        )


def child(size: int, rounds: int, load_seconds: float, only: str = "") -> None:
    import psycopg

    url = c.ensure_database(f"{c.DB_PREFIX}_{size}")
    c.django_setup(url)
    from _data import DETAIL_REF, EXPORT_WORD, fill_tracker

    export_rows = min(size, 10_000)
    fill_tracker(size, export_rows)
    import _bare
    from django.contrib.auth import get_user_model
    from django.test import Client

    from followups.models import CLOSED_STATUSES, DEFAULT_QUIET_DAYS, DONE_STATUSES

    client = Client()
    client.force_login(get_user_model().objects.get(username="coordinator"))
    session = client.cookies["sessionid"].value
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SET TIME ZONE 'UTC'")
    summaries_account_for_every_row(conn)
    names = labels()
    closed, done = [str(s) for s in CLOSED_STATUSES], [str(s) for s in DONE_STATUSES]
    who = {"session_key": session, "username": "coordinator"}
    quiet_days = {str(k): int(v) for k, v in DEFAULT_QUIET_DAYS.items()}

    def get(path: str):
        def fn() -> bytes:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response.content

        return fn

    export_path = f"/commitments/export.csv?q={EXPORT_WORD}"
    paths = {
        "staff list, page 1 of 50": (
            get("/commitments/"),
            lambda: _bare.list_page(conn, labels=names, closed=closed, **who),
            lambda t, b: list_rows(t.decode()) == list_rows(b) and len(list_rows(b)) == 50,
        ),
        "dashboard (coordinator)": (
            get("/"),
            lambda: _bare.dashboard_page(conn, done=done, closed=closed, quiet_days=quiet_days, **who),
            lambda t, b: dashboard_view(t.decode()) == dashboard_view(b) and len(dashboard_view(b)[0]) == 6,
        ),
        "a commitment's page": (
            get(f"/commitments/{DETAIL_REF}/"),
            lambda: _bare.detail_page(conn, ref=DETAIL_REF, labels=names, **who),
            lambda t, b: detail_same(t.decode(), conn, DETAIL_REF),
        ),
        f"CSV export of {export_rows:,} rows": (
            get(export_path),
            lambda: _bare.export_csv(conn, word=EXPORT_WORD, labels=names, closed=closed, **who),
            lambda t, b: t == b and t.count(b"\r\n") == export_rows + 1,
        ),
    }
    rows = []
    for name, (tracker, bare, same) in paths.items():
        if not name.startswith(only):  # --only dashboard: that page alone (its growth to 1,000,000)
            continue
        t_out, b_out = tracker(), bare()
        equal = same(t_out, b_out)
        if not equal:
            print(f"  {name}: outputs differ", flush=True)
            explain(name, t_out, b_out)
        # The export is long: fewer rounds keep the whole suite within its budget.
        n = max(3, rounds // 10) if name.startswith("CSV") else rounds
        timings = c.interleaved({"tracker": tracker, "bare": bare}, n, warmup=1 if name.startswith("CSV") else 3)
        rows.append(
            c.Row(
                path=name,
                size=size,
                tracker=timings["tracker"],
                bare=timings["bare"],
                same_output=equal,
                tracker_mem_mb=c.peak_alloc_mb(tracker),
                bare_mem_mb=c.peak_alloc_mb(bare),
                mem_note="(Python alloc/request)",
                note=f"{len(t_out):,} bytes",
            )
        )
    if load_seconds:
        rows.append(under_load(url, session, names, closed, load_seconds, size))
    c.emit(rows)


def detail_same(html: str, conn, ref: str) -> bool:
    """Every owner, deadline reference and timeline note the bare query finds is on the tracker's page."""
    cid = conn.execute("SELECT id FROM followups_commitment WHERE ref = %s", [ref]).fetchone()[0]
    words = [r[0] for r in conn.execute("SELECT ref FROM followups_deadline WHERE commitment_id = %s", [cid])]
    words += [
        r[0]
        for r in conn.execute(
            "SELECT o.name FROM followups_commitmentowner co JOIN agreements_organisation o "
            "ON o.id = co.organisation_id WHERE co.commitment_id = %s",
            [cid],
        )
    ]
    words += [
        r[0]
        for r in conn.execute("SELECT note FROM followups_statusupdate WHERE commitment_id = %s AND note <> ''", [cid])
    ]
    missing = [w for w in words if w not in html]
    if missing:
        print(f"  not on the tracker's page: {missing}", flush=True)
    return bool(words) and not missing


def explain(name: str, t_out: bytes, b_out) -> None:
    if isinstance(b_out, bytes):
        t_lines, b_lines = t_out.decode().splitlines(), b_out.decode().splitlines()
        for i, (a, b) in enumerate(zip(t_lines, b_lines, strict=False)):
            if a != b:
                print(f"    line {i}: tracker {a!r}\n    line {i}: bare    {b!r}", flush=True)
                return
        print(f"    {len(t_lines)} lines / {len(b_lines)} lines", flush=True)
        return
    if name.startswith("dashboard"):
        t, b = dashboard_view(t_out.decode()), dashboard_view(b_out)
    else:
        t, b = list_rows(t_out.decode()), list_rows(b_out)
    print(f"    tracker: {str(t)[:600]}\n    bare:    {str(b)[:600]}", flush=True)


def under_load(url: str, session: str, names: dict, closed: list[str], seconds: float, size: int) -> c.Row:
    address = f"http://127.0.0.1:{c.free_port()}/commitments/"
    bare_env = {"BENCH_URL": url, "BENCH_LABELS": json.dumps({"labels": names, "closed": closed})}
    run = c.under_load_both(address, {"Cookie": f"sessionid={session}"}, bare_env, seconds)
    tracker_rows, bare_rows = (list_rows(run.bodies[side].decode()) for side in ("tracker", "bare"))
    return c.Row(
        path=f"staff list under load ({run.tool}, 8 connections, 2 workers)",
        size=size,
        tracker=run.results["tracker"],
        bare=run.results["bare"],
        same_output=tracker_rows == bare_rows and len(bare_rows) == 50,
        tracker_mem_mb=run.memory["tracker"],
        bare_mem_mb=run.memory["bare"],
        mem_note="(worker RSS)",
        unit="req/s",
        note="p95 column: latency ms (wrk: 99th)" + "".join(f"; {e}" for e in run.errors),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "30")))
    parser.add_argument("--load-seconds", type=float, default=10)
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--size", type=int)
    parser.add_argument("--only", default="", help="with --child: only the paths whose name starts with this")
    args = parser.parse_args()
    if args.child:
        child(args.size, args.rounds, 0 if args.no_load else args.load_seconds, args.only)
        return
    c.run_two_sizes(__file__, "Staff pages", args.rounds, args.load_seconds, args.no_load)


if __name__ == "__main__":
    main()
