"""Benchmark of the staff pages: the dashboard and the commitments list with 100,000 commitments.

    PYTHONPATH=. .venv/bin/python bench/bench_staff_pages.py [--requests 40] [--load-seconds 10] [--no-load]

Uses its own PostgreSQL database (BENCH_STAFF_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_staff), created, migrated and filled on first run (100,000 commitments,
two owners and one deadline each, under 100 frameworks and 60 countries), then reused. Prints, for each page,
the median and 95th percentile through Django's test client (in-process, a logged-in coordinator and a desk
officer with a four-country portfolio), then requests per second and latency under a small threaded load
client against gunicorn on loopback. It asserts nothing.
"""

from __future__ import annotations

import argparse
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
BENCH_DATABASE_URL = os.environ.get("BENCH_STAFF_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_staff")
COMMITMENTS = 100_000
FRAMEWORKS = 100
COUNTRIES = 60

os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "false"  # no query log kept in memory
sys.path.insert(0, str(ROOT))

PAGES = {
    "dashboard (coordinator)": ("coordinator", "/"),
    "dashboard (desk officer, portfolio first)": ("desk", "/"),
    "commitments list, page 1 of 50": ("coordinator", "/commitments/"),
    "commitments list, at risk + overdue, sorted by due date": (
        "coordinator",
        "/commitments/?status=at_risk&overdue=yes&sort=due",
    ),
    "commitments list, text search": ("coordinator", "/commitments/?q=number+4242"),
    "commitments list, page 1000": ("coordinator", "/commitments/?page=1000"),
}


def ensure_database() -> None:
    import psycopg

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    server = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def fill() -> None:
    """Create the rows once; a second run finds them and goes straight to measuring."""
    from datetime import date, timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from agreements.models import (
        Framework,
        FrameworkKind,
        Organisation,
        OrganisationKind,
        Party,
        StaffProfile,
    )
    from agreements.roles import Role, role_groups_ensure
    from followups.models import AnchorKind, Category, Commitment, CommitmentOwner, Deadline, Priority, Status

    call_command("migrate", verbosity=0)
    groups = role_groups_ensure()
    users = get_user_model().objects
    for username, role in (("coordinator", Role.COORDINATOR), ("desk", Role.DESK_OFFICER)):
        if not users.filter(username=username).exists():
            user = users.create_user(username, password="bench-pass-2026")
            user.groups.add(groups[role])
            StaffProfile.objects.get_or_create(user=user)
    if Commitment.objects.count() >= COMMITMENTS:
        return
    print(f"filling {BENCH_DATABASE_URL} with {COMMITMENTS:,} commitments (once)...", flush=True)
    started = time.perf_counter()
    countries = Organisation.objects.bulk_create(
        Organisation(
            ref=f"ORG-B{i}",
            name=f"Country {i}",
            kind=OrganisationKind.COUNTRY,
            iso_alpha2=f"{chr(65 + i // 26)}{chr(65 + i % 26)}",
        )
        for i in range(COUNTRIES)
    )
    frameworks = Framework.objects.bulk_create(
        Framework(
            ref=f"FW-B{i}",
            title=f"Bench framework {i}",
            kind=FrameworkKind.BILATERAL_FRAMEWORK,
            signed_on=date(2025, 10, 1),
        )
        for i in range(FRAMEWORKS)
    )
    Party.objects.bulk_create(
        Party(framework=f, organisation=countries[(i + k) % COUNTRIES])
        for i, f in enumerate(frameworks)
        for k in range(2)
    )
    StaffProfile.objects.get(user__username="desk").portfolio.set(countries[:4])
    statuses, priorities, categories = list(Status), list(Priority), list(Category)
    today = timezone.localdate()
    batch = 10_000
    for start in range(0, COMMITMENTS, batch):
        commitments = Commitment.objects.bulk_create(
            Commitment(
                ref=f"CMT-B{i}",
                framework=frameworks[i % FRAMEWORKS],
                title=f"Bench commitment number {i}",
                status=statuses[i % len(statuses)],
                priority=priorities[i % len(priorities)],
                category=categories[i % len(categories)],
            )
            for i in range(start, start + batch)
        )
        CommitmentOwner.objects.bulk_create(
            CommitmentOwner(commitment=c, organisation=countries[(c.pk + k) % COUNTRIES], status=c.status)
            for c in commitments
            for k in range(2)
        )
        Deadline.objects.bulk_create(
            Deadline(
                ref=f"DL-B{c.ref[5:]}",
                commitment=c,
                anchor_kind=AnchorKind.FIXED,
                anchor_date=(due := today + timedelta(days=c.pk % 730 - 365)),
                original_due_on=due,
                due_on=due,
                completed_on=due if c.status in ("completed", "completed_late") else None,
                cancelled=c.status == "cancelled",
            )
            for c in commitments
        )
        print(f"  {start + batch:,}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def in_process(requests: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    clients = {}
    for username in ("coordinator", "desk"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        clients[username] = client
    print(f"\nthrough the test client, {requests} requests each (ms):")
    print(f"  {'page':58} {'median':>8} {'p95':>8} {'max':>8}")
    for name, (username, url) in PAGES.items():
        client = clients[username]
        assert client.get(url).status_code == 200  # warm up (and fail loudly on a broken page)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"  {name:58} {statistics.median(times):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}",
            flush=True,
        )


def session_cookie(username: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def under_load(seconds: float, threads: int, workers: int) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        cookie = f"sessionid={session_cookie('coordinator')}"
        print(f"\ngunicorn on loopback ({workers} workers), {threads} client threads, {seconds:.0f} s per page:")
        print(f"  {'page':58} {'req/s':>8} {'median':>8} {'p95':>8}")
        for name in ("dashboard (coordinator)", "commitments list, page 1 of 50"):
            url = f"http://127.0.0.1:{port}{PAGES[name][1]}"
            times: list[float] = []
            errors = [0]
            deadline = time.perf_counter() + seconds

            def worker(times=times, errors=errors, url=url, deadline=deadline) -> None:
                while time.perf_counter() < deadline:
                    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
                    started = time.perf_counter()
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                            response.read()
                            if response.status != 200 or "/accounts/login/" in response.url:
                                errors[0] += 1
                    except OSError:
                        errors[0] += 1
                    times.append((time.perf_counter() - started) * 1000)

            pool = [threading.Thread(target=worker) for _ in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            print(
                f"  {name:58} {len(times) / seconds:8.1f} {statistics.median(times):8.1f} "
                f"{percentile(times, 95):8.1f}" + (f"  ({errors[0]} errors)" if errors[0] else ""),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--load-seconds", type=float, default=10)
    # Defaults follow the machine: one gunicorn worker per core plus one, two client threads per worker.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=2 * ((os.cpu_count() or 1) + 1))
    parser.add_argument("--no-load", action="store_true")
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    fill()
    in_process(args.requests)
    if not args.no_load:
        under_load(args.load_seconds, args.threads, args.workers)


if __name__ == "__main__":
    main()
