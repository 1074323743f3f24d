"""Benchmark of the partner API beside the bare database: a page of 50 commitments, and requests per second.

    PYTHONPATH=. .venv/bin/python bench/bench_api.py [--rounds 60] [--load-seconds 10] [--no-load]

For each size (10,000 and 100,000 commitments, times BENCH_SCALE), in a process of its own and on a database of
its own (bench_tracker_<N>, filled once by bench/_data.py):

- one page of 50 commitments (owners, deadlines, computed dates) through the API in-process (Django's test
  client, a partner key), interleaved with the bare baseline: psycopg + orjson doing the same key check, scope,
  three queries and computed fields (bench/_bare.py). The two bodies are checked byte-identical in the run;
- peak Python memory of one request on each side (tracemalloc, untimed);
- at the largest size, requests per second under load (wrk if installed, else threads): gunicorn with two sync
  workers serving the tracker, then the bare WSGI app (bench/_bare_wsgi.py) on the same port with two workers,
  the same body checked byte-identical; the workers' peak resident memory.

It asserts nothing; a body that differs is printed as **NO** in "same output" with where they part.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _common as c

PAGE = 50


def first_difference(a: bytes, b: bytes) -> str:
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return f"at byte {i}: tracker {a[max(0, i - 60) : i + 60]!r} / bare {b[max(0, i - 60) : i + 60]!r}"


def child(size: int, rounds: int, load_seconds: float) -> None:
    import psycopg

    url = c.ensure_database(f"{c.DB_PREFIX}_{size}")
    c.django_setup(url)
    from _data import PARTNER_REF, fill_tracker

    fill_tracker(size, min(size, 10_000))
    from django.test import Client

    from agreements.models import ApiKey, Organisation
    from agreements.partner_access import api_key_issue

    partner = Organisation.objects.get(ref=PARTNER_REF)
    ApiKey.objects.filter(organisation=partner, name="bench").delete()
    raw = api_key_issue(organisation=partner, name="bench", expires_in_days=1)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"/api/v1/commitments/?page_size={PAGE}"
    import _bare

    from followups.models import DONE_STATUSES

    done = tuple(str(s) for s in DONE_STATUSES)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SET TIME ZONE 'UTC'")

    def tracker() -> bytes:
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        return response.content

    def bare() -> bytes:
        return _bare.api_page(conn, raw, f"http://testserver{path}", PAGE, done)

    t_body, b_body = tracker(), bare()
    same = t_body == b_body
    if not same:
        print(f"  API page bodies differ {first_difference(t_body, b_body)}", flush=True)
    timings = c.interleaved({"tracker": tracker, "bare": bare}, rounds)
    rows = [
        c.Row(
            path=f"API page of {PAGE} (in-process)",
            size=size,
            tracker=timings["tracker"],
            bare=timings["bare"],
            same_output=same,
            tracker_mem_mb=c.peak_alloc_mb(tracker),
            bare_mem_mb=c.peak_alloc_mb(bare),
            mem_note="(Python alloc/request)",
            note=f"{len(t_body):,} bytes",
        )
    ]
    if load_seconds:
        rows.append(under_load(url, raw, load_seconds, size))
    c.emit(rows)


def under_load(url: str, raw: str, seconds: float, size: int) -> c.Row:
    """Tracker then bare on the same port (the cursor link holds the host), two workers each."""
    address = f"http://127.0.0.1:{c.free_port()}/api/v1/commitments/?page_size={PAGE}"
    run = c.under_load_both(address, {"Authorization": f"Bearer {raw}"}, {"BENCH_URL": url}, seconds)
    same = run.bodies["tracker"] == run.bodies["bare"]
    if not same:
        print(f"  API bodies under load differ {first_difference(run.bodies['tracker'], run.bodies['bare'])}")
    return c.Row(
        path=f"API page under load ({run.tool}, 8 connections, 2 workers)",
        size=size,
        tracker=run.results["tracker"],
        bare=run.results["bare"],
        same_output=same,
        tracker_mem_mb=run.memory["tracker"],
        bare_mem_mb=run.memory["bare"],
        mem_note="(worker RSS)",
        unit="req/s",
        note="p95 column: latency ms (wrk: 99th)" + "".join(f"; {e}" for e in run.errors),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "60")))
    parser.add_argument("--load-seconds", type=float, default=10)
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.size, args.rounds, 0 if args.no_load else args.load_seconds)
        return
    c.run_two_sizes(__file__, "API", args.rounds, args.load_seconds, args.no_load)


if __name__ == "__main__":
    main()
