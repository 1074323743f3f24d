"""Benchmark of the loader beside COPY: N commitments in the dataset format, into an empty tracker.

    PYTHONPATH=. .venv/bin/python bench/bench_loader.py [--budget 300]

For each size (1,000, 10,000 and 100,000 commitments, times BENCH_SCALE) a dataset file is made from
data/ministerial.json (its organisations, frameworks, milestones and commitments, plus copies of its
commitments under new ids up to N, in the documented format), and then:

- the tracker: `manage.py load_ministerial <file>` in a process of its own, on a fresh database made from a
  migrated template (bench_tracker_loader_tpl -> bench_tracker_loader), timed from start to exit (Python's
  start-up included, about a second), with the process's peak memory;
- the bare baseline: every row the loader wrote, in every table, dumped and written again with COPY FROM STDIN in
  one transaction into another fresh copy of the template (all indexes and constraints in place), in a process
  of its own; the same rows are checked equal (per table: count and an md5 of the sorted rows).

The loader is slow at large sizes: a size whose time, extrapolated linearly from the last one measured, would
pass --budget seconds is skipped and reported so (set BENCH_LOADER_BUDGET to change it). It asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _common as c

TEMPLATE = f"{c.DB_PREFIX}_loader_tpl"
TARGET = f"{c.DB_PREFIX}_loader"
COPY_TARGET = f"{c.DB_PREFIX}_loader_copy"

LOADER = """
import os, sys, django
django.setup()
from django.core.management import call_command
call_command("load_ministerial", sys.argv[1], verbosity=0)
print("VMHWM", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")][0])
"""

COPIER = """
import sys, time, psycopg
tables = sys.argv[3:]
started = time.perf_counter()
with psycopg.connect(sys.argv[1]) as conn:
    with conn.cursor() as cur:
        for table in tables:
            data = open(f"{sys.argv[2]}/{table}.copy", "rb").read()
            with cur.copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
                copy.write(data)
    conn.commit()
print(time.perf_counter() - started)
print("VMHWM", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")][0])
"""


def make_dataset(n: int) -> Path:
    path = c.RESULTS_DIR / f"dataset_{n}.json"
    if path.exists():
        return path
    data = json.loads((c.ROOT / "data" / "ministerial.json").read_text(encoding="utf-8"))
    originals = data["commitments"]
    extra = []
    for i in range(max(0, n - len(originals))):
        record = copy.deepcopy(originals[i % len(originals)])
        record["id"] = f"CMT-LB{i:06d}"
        record["title"] = f"{record['title']} (copy {i})"
        extra.append(record)
    data["commitments"] = originals + extra
    counts = data.get("meta", {}).get("counts")
    if isinstance(counts, dict):
        counts["commitments"] = len(data["commitments"])
        counts["commitments_with_deadline"] = sum(1 for r in data["commitments"] if r.get("deadline"))
        counts["illustrative_commitments"] = sum(1 for r in data["commitments"] if r.get("illustrative"))
    c.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def template() -> None:
    """A migrated empty tracker, made once; each run starts from a copy of it."""
    import psycopg

    with psycopg.connect(c.database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]).fetchone()
    url = c.ensure_database(TEMPLATE)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "false", "PYTHONPATH": str(c.ROOT)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Migrate every run (a no-op when nothing changed) so the template follows the models.
    c.run_child([sys.executable, "manage.py", "migrate", "--verbosity=0"], env=env)
    if not exists:
        print(f"  made {TEMPLATE}", flush=True)


def table_rows(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'django_migrations'"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def checksum(url: str, tables: list[str]) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return {
            t: conn.execute(
                f"SELECT count(*) || ':' || md5(string_agg(x::text, '|' ORDER BY x::text)) FROM \"{t}\" x"
            ).fetchone()[0]
            for t in tables
        }


def measure(n: int, timeout: float) -> c.Row:
    import psycopg

    path = make_dataset(n)
    url = c.ensure_database(TARGET, template=TEMPLATE, fresh=True)
    before = table_rows(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "false", "PYTHONPATH": str(c.ROOT)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["LOG_LEVEL"] = "WARNING"
    out, seconds = c.run_child([sys.executable, "-c", LOADER, str(path)], env=env, timeout=timeout)
    loader_mem = round(int(out.split("VMHWM")[-1].split()[0]) / 1024, 1)
    after = table_rows(url)
    changed = [t for t in after if after[t] != before.get(t, 0)]
    written = sum(after[t] - before.get(t, 0) for t in changed)
    dump = c.RESULTS_DIR / "loader_copy"
    dump.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url, autocommit=True) as conn:
        for t in changed:
            with conn.cursor().copy(f'COPY "{t}" TO STDOUT (FORMAT binary)') as copy_out:
                (dump / f"{t}.copy").write_bytes(b"".join(bytes(chunk) for chunk in copy_out))
    sums = checksum(url, changed)
    copy_url = c.ensure_database(COPY_TARGET, template=TEMPLATE, fresh=True)
    out, _ = c.run_child([sys.executable, "-c", COPIER, copy_url, str(dump), *changed])
    lines = out.strip().splitlines()
    copy_seconds = float(lines[-2])
    copy_mem = round(int(lines[-1].split()[1]) / 1024, 1)
    same = checksum(copy_url, changed) == sums
    return c.Row(
        path="loader, dataset file / COPY of the same rows",
        size=n,
        tracker=c.Timing(round(seconds * 1000, 1), round(seconds * 1000, 1), 1),
        bare=c.Timing(round(copy_seconds * 1000, 1), round(copy_seconds * 1000, 1), 1),
        same_output=same,
        tracker_mem_mb=loader_mem,
        bare_mem_mb=copy_mem,
        mem_note="(process RSS)",
        note=f"{written:,} rows in {len(changed)} tables; one run each (p95 = median)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_LOADER_BUDGET", "300")))
    args = parser.parse_args()
    template()
    rows: list[c.Row] = []
    last: tuple[int, float] | None = None
    for n in (c.scaled(1_000), c.scaled(10_000), c.scaled(100_000)):
        if last and last[1] * n / last[0] > args.budget:
            estimate = last[1] * n / last[0]
            print(
                f"  loader at {n:,} commitments skipped: about {estimate:,.0f} s expected (budget {args.budget:.0f} s)"
            )
            rows.append(
                c.Row(
                    path="loader, dataset file / COPY of the same rows",
                    size=n,
                    note=f"skipped: about {estimate:,.0f} s expected from {last[0]:,} (budget {args.budget:.0f} s)",
                )
            )
            continue
        print(f"  loading {n:,} commitments...", flush=True)
        row = measure(n, timeout=max(60.0, 3 * args.budget))
        rows.append(row)
        last = (n, row.tracker.median_ms / 1000)
    c.print_table("Loader", rows)


if __name__ == "__main__":
    main()
