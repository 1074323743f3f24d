"""Benchmark of the partner API: a page of 50 commitments out of 100,000, and requests per second.

    PYTHONPATH=. .venv/bin/python bench/bench_api.py [--requests 300] [--load-seconds 10] [--no-load]

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_api),
created, migrated and filled on first run (100,000 commitments with owners and deadlines, under 100 frameworks
that the benchmark partner is party to), then reused. Prints:

- median and 95th percentile of one page of 50 commitments (with owners and deadlines) through the API,
  in-process (Django's test client, no network), as a partner with a key;
- the same for one bare psycopg query that builds the same JSON in PostgreSQL, and the ratio of the two;
- requests per second with gunicorn on loopback under a small threaded load client (stdlib only).

It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_api")
COMMITMENTS = 100_000
FRAMEWORKS = 100
COUNTRIES = 60
PAGE = 50

os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "false"  # no query log kept in memory
os.environ["API_THROTTLE_RATE"] = "1000000/min"  # measuring speed, not the throttle
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

    call_command("migrate", verbosity=0, interactive=False)


def fill() -> None:
    """100,000 commitments, each with one owner and one or two deadlines, in a few INSERT ... SELECTs."""
    from django.db import connection, transaction

    from agreements.models import Framework, Organisation, Party
    from followups.models import Commitment

    if Commitment.objects.filter(ref__startswith="CMT-BENCH-").count() >= COMMITMENTS:
        return
    started = time.perf_counter()
    with transaction.atomic():
        partner, _ = Organisation.objects.get_or_create(
            ref="ORG-BENCHP", defaults={"name": "Bench partner", "kind": "ministry"}
        )
        countries = []
        for i in range(COUNTRIES):
            code = chr(ord("A") + i // 26) + chr(ord("A") + i % 26)
            org, _ = Organisation.objects.get_or_create(
                ref=f"ORG-BENCH{code}", defaults={"name": f"Bench country {code}", "kind": "ministry"}
            )
            countries.append(org)
        for i in range(FRAMEWORKS):
            framework, _ = Framework.objects.get_or_create(
                ref=f"FW-BENCH-{i:03d}",
                defaults={"title": f"Bench framework {i}", "kind": "mou", "signed_on": "2026-02-04"},
            )
            Party.objects.get_or_create(framework=framework, organisation=partner)
            Party.objects.get_or_create(framework=framework, organisation=countries[i % COUNTRIES])
        fw_ids = list(
            Framework.objects.filter(ref__startswith="FW-BENCH-").order_by("ref").values_list("pk", flat=True)
        )
        org_ids = [o.pk for o in countries]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO followups_commitment (ref, framework_id, title, category, priority, status, status_basis,
                    review_every, note, created_at, updated_at, illustrative, illustrative_fields)
                SELECT 'CMT-BENCH-' || lpad(n::text, 6, '0'), (%(fw)s::bigint[])[1 + n %% %(nfw)s],
                       'Identify projects that can deliver material to partner buyers, item ' || n,
                       (ARRAY['financing','offtake_access','meeting','reporting'])[1 + n %% 4],
                       (ARRAY['low','normal','high'])[1 + n %% 3],
                       (ARRAY['not_started','in_progress','at_risk','completed'])[1 + n %% 4],
                       'illustrative', '', '', now(), now() - (n || ' seconds')::interval, true, '[]'::jsonb
                FROM generate_series(1, %(n)s) AS n
                ON CONFLICT (ref) DO NOTHING
                """,
                {"fw": fw_ids, "nfw": len(fw_ids), "n": COMMITMENTS},
            )
            cursor.execute(
                """
                INSERT INTO followups_commitmentowner (commitment_id, organisation_id, status)
                SELECT c.id, (%(orgs)s::bigint[])[1 + c.id %% %(norg)s], c.status
                FROM followups_commitment c WHERE c.ref LIKE 'CMT-BENCH-%%'
                ON CONFLICT DO NOTHING
                """,
                {"orgs": org_ids, "norg": len(org_ids)},
            )
            for k in (1, 2):
                cursor.execute(
                    """
                    INSERT INTO followups_deadline (ref, commitment_id, title, anchor_kind, anchor_date,
                        anchor_estimated, "offset", recurrence, occurrence_index, basis, original_due_on,
                        extension_reason, due_on, cancelled, updated_at)
                    SELECT 'DL-' || substr(c.ref, 5) || '-' || %(k)s, c.id, '', 'fixed', d, false, '', '', 0,
                           'illustrative', d, '', d, false, now()
                    FROM (SELECT id, ref, date '2026-02-04' + (id %% 400)::int + 90 * %(k)s AS d
                          FROM followups_commitment WHERE ref LIKE 'CMT-BENCH-%%') c
                    WHERE %(k)s = 1 OR c.id %% 2 = 0
                    ON CONFLICT (ref) DO NOTHING
                    """,
                    {"k": k},
                )
        cursor = connection.cursor()
        cursor.execute("ANALYZE")
    print(f"filled {COMMITMENTS:,} commitments in {time.perf_counter() - started:.1f} s")


def partner_key() -> str:
    from agreements.models import ApiKey, Organisation
    from agreements.partner_access import api_key_issue

    partner = Organisation.objects.get(ref="ORG-BENCHP")
    ApiKey.objects.filter(organisation=partner, name="bench").delete()
    return api_key_issue(organisation=partner, name="bench", expires_in_days=1)[1]


def timed(fn, n: int) -> list[float]:
    for _ in range(5):
        fn()  # warm caches and connections
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


# The same page the API gives (first 50 by ref of what the partner sees, with owners and deadlines), as JSON
# built by PostgreSQL alone. Deadlines' is_overdue and the commitment's next_due_on/is_overdue are computed too.
BARE_SQL = """
WITH visible AS (
    SELECT f.id FROM agreements_framework f
    JOIN agreements_party p ON p.framework_id = f.id
    WHERE p.organisation_id = %(org)s
       OR p.organisation_id IN (SELECT body_id FROM agreements_membership WHERE member_id = %(org)s)
), page AS (
    SELECT c.* FROM followups_commitment c
    WHERE c.framework_id IN (SELECT id FROM visible)
       OR c.id IN (SELECT commitment_id FROM followups_commitmentowner WHERE organisation_id = %(org)s)
    ORDER BY c.ref LIMIT %(page)s
)
SELECT json_build_object('next', NULL, 'previous', NULL, 'results', coalesce(json_agg(json_build_object(
    'ref', c.ref, 'framework', f.ref, 'title', c.title, 'category', c.category, 'priority', c.priority,
    'status', c.status,
    'owners', (SELECT coalesce(json_agg(json_build_object('organisation', o.ref, 'organisation_name', o.name,
                 'status', co.status, 'status_changed_at', co.status_changed_at) ORDER BY o.name), '[]')
               FROM followups_commitmentowner co JOIN agreements_organisation o ON o.id = co.organisation_id
               WHERE co.commitment_id = c.id),
    'working_group', wg.ref,
    'deadlines', (SELECT coalesce(json_agg(json_build_object('ref', d.ref, 'title', d.title,
                 'anchor_kind', d.anchor_kind, 'anchor_date', d.anchor_date, 'anchor_estimated', d.anchor_estimated,
                 'offset', d."offset", 'recurrence', d.recurrence, 'original_due_on', d.original_due_on,
                 'extended_due_on', d.extended_due_on, 'extension_reason', d.extension_reason, 'due_on', d.due_on,
                 'completed_on', d.completed_on, 'cancelled', d.cancelled,
                 'is_overdue', d.completed_on IS NULL AND NOT d.cancelled AND d.due_on < current_date,
                 'updated_at', d.updated_at) ORDER BY d.due_on, d.ref), '[]')
               FROM followups_deadline d WHERE d.commitment_id = c.id),
    'next_due_on', (SELECT min(d.due_on) FROM followups_deadline d
                    WHERE d.commitment_id = c.id AND d.completed_on IS NULL AND NOT d.cancelled),
    'is_overdue', EXISTS (SELECT 1 FROM followups_deadline d WHERE d.commitment_id = c.id
                          AND d.completed_on IS NULL AND NOT d.cancelled AND d.due_on < current_date),
    'review_every', c.review_every, 'note', c.note, 'created_at', c.created_at, 'updated_at', c.updated_at
) ORDER BY c.ref), '[]'))::text
FROM page c JOIN agreements_framework f ON f.id = c.framework_id
LEFT JOIN agreements_workinggroup wg ON wg.id = c.working_group_id
"""


def bench_page(n: int) -> None:
    import psycopg
    from django.test import Client

    from agreements.models import Organisation

    raw = partner_key()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/commitments/?page_size={PAGE}"

    def api() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]

    body = client.get(url).json()
    api_times = timed(api, n)

    org = Organisation.objects.get(ref="ORG-BENCHP").pk
    with psycopg.connect(BENCH_DATABASE_URL) as conn:

        def bare() -> None:
            conn.execute(BARE_SQL, {"org": org, "page": PAGE}).fetchone()

        same = json.loads(conn.execute(BARE_SQL, {"org": org, "page": PAGE}).fetchone()[0])
        bare_times = timed(bare, n)

    api_refs = [c["ref"] for c in body["results"]]
    bare_refs = [c["ref"] for c in same["results"]]
    api_med, api_p95 = summary(api_times)
    sql_med, sql_p95 = summary(bare_times)
    print(f"page of {PAGE} commitments out of {COMMITMENTS:,} ({n} requests each)")
    print(f"  same page from both: {api_refs == bare_refs} (first {api_refs[0]}, last {api_refs[-1]})")
    print(f"  API (in-process, partner key): median {api_med:7.2f} ms   p95 {api_p95:7.2f} ms")
    print(f"  bare psycopg query -> JSON:    median {sql_med:7.2f} ms   p95 {sql_p95:7.2f} ms")
    print(f"  ratio API / bare query:        median {api_med / sql_med:5.1f}x  p95 {api_p95 / sql_p95:5.1f}x")

    deep = body
    for _ in range(20):  # 20 pages further down the cursor
        deep = client.get(deep["next"]).json()
    deep_url = deep["next"]
    deep_times = timed(lambda: client.get(deep_url), max(20, n // 5))
    med, p95 = summary(deep_times)
    print(f"  API page 21 via cursor:        median {med:7.2f} ms   p95 {p95:7.2f} ms")
    filtered = f"/api/v1/commitments/?page_size={PAGE}&status=at_risk&priority=high&due_before=2026-06-30"
    med, p95 = summary(timed(lambda: client.get(filtered), max(20, n // 5)))
    print(f"  API filtered page:             median {med:7.2f} ms   p95 {p95:7.2f} ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_load(seconds: float, workers: int, clients: int) -> None:
    raw = partner_key()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/api/v1/commitments/?page_size={PAGE}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(
                    urllib.request.Request(url, headers={"Authorization": f"Bearer {raw}"}), timeout=5
                ).read()
                break
            except OSError:
                time.sleep(0.2)
        counts = [0] * clients
        errors = [0] * clients
        latencies: list[list[float]] = [[] for _ in range(clients)]
        stop = time.perf_counter() + seconds

        def run(i: int) -> None:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {raw}"})
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        response.read()
                    counts[i] += 1
                    latencies[i].append((time.perf_counter() - started) * 1000)
                except OSError:
                    errors[i] += 1

        threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        med, p95 = summary([x for per in latencies for x in per] or [0.0])
        print(
            f"gunicorn ({workers} sync workers) on loopback, {clients} concurrent clients for {seconds:.0f} s "
            f"(page of {PAGE}): {sum(counts) / elapsed:.0f} requests/s, median {med:.1f} ms, p95 {p95:.1f} ms, "
            f"{sum(errors)} errors"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--load-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 2))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--no-load", action="store_true")
    args = parser.parse_args()
    ensure_database()
    setup_django()
    fill()
    bench_page(args.requests)
    if not args.no_load:
        bench_load(args.load_seconds, args.workers, args.clients)


if __name__ == "__main__":
    main()
