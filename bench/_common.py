"""What the benchmarks share: their own databases, the data they measure on, interleaved timing, memory, load.

Not a benchmark itself (the Makefile skips files starting with "_"). Every benchmark here measures one path of
the tracker beside a bare baseline: the same database doing the same work and giving the same output, checked
equal in the same run, so that a ratio is never taken between two different things.

Conventions:
- each size runs in a child process of its own (`run_sizes`), so Django talks to one database per process and
  the peak memory of each process is read from the kernel (ru_maxrss through wait4), not guessed;
- the tracker and its baseline are timed in interleaved rounds (tracker, bare, tracker, bare...) so that the
  other work on a shared machine weighs on both alike;
- BENCH_SCALE (default 1) multiplies every size: BENCH_SCALE=0.1 runs the whole suite in a few minutes;
- databases are named bench_tracker_* (BENCH_DB_PREFIX changes the prefix), on BENCH_DATABASE_SERVER (default postgres://postgres@127.0.0.1:5432),
  created and filled on first use and then reused; nothing else is touched.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432").rstrip("/")
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
# Several people measuring on one server give their databases a prefix of their own (BENCH_DB_PREFIX=bench_ann).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench_tracker")
RESULTS_DIR = ROOT / "var" / "bench"


def scaled(n: int, minimum: int = 100) -> int:
    return max(minimum, int(n * SCALE))


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def ensure_database(name: str, template: str | None = None, fresh: bool = False) -> str:
    """Create the database `name` if missing (from `template` when given); `fresh` drops it first."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return database_url(name)


def django_setup(url: str, *, migrate: bool = True) -> None:
    """Point Django at the bench database (production-like settings, no query log) and migrate it."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["API_THROTTLE_RATE"] = "100000000/min"  # measuring speed, not the throttle
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


# --- Timing ----------------------------------------------------------------------------------------------


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    n: int


def summarise(times_ms: list[float]) -> Timing:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Timing(round(statistics.median(ordered), 3), round(p95, 3), len(ordered))


def interleaved(fns: dict[str, Callable[[], object]], rounds: int, warmup: int = 3) -> dict[str, Timing]:
    """Time each function `rounds` times, alternating between them every round, after a warm-up."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(rounds):
        # Alternate who goes first, so neither always runs on a cache the other just warmed.
        order = list(fns.items()) if i % 2 == 0 else list(reversed(fns.items()))
        for name, fn in order:
            started = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: summarise(t) for name, t in times.items()}


def peak_alloc_mb(fn: Callable[[], object]) -> float:
    """Peak Python memory allocated while `fn` runs once (tracemalloc), in MB; run untimed."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    finally:
        tracemalloc.stop()


def self_peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: after fork and exec that keeps the parent's."""
    return proc_peak_rss_mb(os.getpid())


def proc_peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MB; 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run_child(args: list[str], env: dict | None = None, timeout: float | None = None) -> tuple[str, float]:
    """Run a command; return (stdout, seconds). A child reports its own peak memory (ru_maxrss is not it)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env or os.environ.copy(), stdout=subprocess.PIPE, text=True)
    out_chunks: list[str] = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()))
    reader.start()
    deadline = None if timeout is None else started + timeout
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            proc.kill()
            pid, status, _ = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args[:4])}... exited {proc.returncode}")
    return "".join(out_chunks), elapsed


# --- Results ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One path at one size: the tracker beside its bare baseline."""

    path: str
    size: int
    tracker: Timing | None = None
    bare: Timing | None = None
    same_output: bool | None = None
    tracker_mem_mb: float | None = None
    bare_mem_mb: float | None = None
    mem_note: str = ""
    unit: str = "ms"  # "ms" (lower is better) or "req/s", "mails/s" (higher is better)
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not (self.tracker and self.bare and self.tracker.median_ms and self.bare.median_ms):
            return None
        if self.unit == "ms":
            return self.tracker.median_ms / self.bare.median_ms
        return self.tracker.median_ms / self.bare.median_ms  # throughput: tracker / bare (below 1 is slower)


def row_from_dict(d: dict) -> Row:
    d = dict(d)
    for key in ("tracker", "bare"):
        if d.get(key):
            d[key] = Timing(**d[key])
    return Row(**d)


def emit(rows: list[Row]) -> None:
    """A child hands its rows to the parent as one JSON line on stdout."""
    for r in rows:
        r.extra.setdefault("process_peak_rss_mb", self_peak_rss_mb())
    print("BENCH-ROWS " + json.dumps([asdict(r) for r in rows]), flush=True)


def run_sizes(
    script: str, sizes: list[int], extra_args: list[str] | None = None, child_args: tuple[str, ...] = ("--child",)
) -> list[Row]:
    """Run `script --child --size N` per size; collect the rows each prints, with the child's peak RSS."""
    rows: list[Row] = []
    for size in sizes:
        args = [sys.executable, script, *child_args, "--size", str(size), *(extra_args or [])]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        got: list[Row] = []
        for line in proc.stdout:
            if line.startswith("BENCH-ROWS "):
                got = [row_from_dict(d) for d in json.loads(line[len("BENCH-ROWS ") :])]
            else:
                print(line, end="", flush=True)
        if proc.wait():
            print(f"!! {script} at {size:,} failed (exit {proc.returncode})", flush=True)
        rows.extend(got)
    return rows


def fmt_ratio(r: Row) -> str:
    ratio = r.ratio
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if r.unit == "ms" else f"{ratio:.2f}"


def print_table(title: str, rows: list[Row], size_label: str = "commitments") -> None:
    """The figures as a Markdown table (pasted into bench/RESULTS.md), then the growth between sizes."""
    print(f"\n### {title}\n")
    print(
        f"| path | {size_label} | tracker median | p95 | bare median | p95 | ratio | same output | "
        "peak memory tracker / bare | note |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|:---:|---|---|")
    for r in rows:
        unit = r.unit
        t = f"{r.tracker.median_ms:,.1f} {unit}" if r.tracker else "-"
        tp = f"{r.tracker.p95_ms:,.1f}" if r.tracker else "-"
        b = f"{r.bare.median_ms:,.1f} {unit}" if r.bare else "-"
        bp = f"{r.bare.p95_ms:,.1f}" if r.bare else "-"
        same = {True: "yes", False: "**NO**", None: "-"}[r.same_output]
        mem = (
            f"{r.tracker_mem_mb if r.tracker_mem_mb is not None else '-'} / "
            f"{r.bare_mem_mb if r.bare_mem_mb is not None else '-'} MB {r.mem_note}".strip()
        )
        print(f"| {r.path} | {r.size:,} | {t} | {tp} | {b} | {bp} | {fmt_ratio(r)} | {same} | {mem} | {r.note} |")
    by_path: dict[str, list[Row]] = {}
    for r in rows:
        if r.tracker:
            by_path.setdefault(r.path, []).append(r)
    growth = [(p, rs) for p, rs in by_path.items() if len(rs) > 1]
    if growth:
        print(f"\ngrowth of the tracker's median from the smallest to the largest size ({size_label}):")
        for path, rs in growth:
            rs = sorted(rs, key=lambda x: x.size)
            first, last = rs[0], rs[-1]
            g = last.tracker.median_ms / first.tracker.median_ms if first.tracker.median_ms else float("nan")
            gb = (
                f"; bare {last.bare.median_ms / first.bare.median_ms:.2f}x"
                if first.bare and last.bare and first.bare.median_ms
                else ""
            )
            print(f"  {path}: {first.size:,} -> {last.size:,}: {g:.2f}x{gb}")
    save(title, rows)


def save(title: str, rows: list[Row]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    slug = "".join(ch if ch.isalnum() else "_" for ch in title.lower()).strip("_")
    payload = {"title": title, "machine": machine(), "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    payload["rows"] = [asdict(r) | {"ratio": r.ratio} for r in rows]
    (RESULTS_DIR / f"{slug}.json").write_text(json.dumps(payload, indent=1, default=str))


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GB, Python {platform.python_version()}"


# --- Servers and load ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, headers: dict | None = None, timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5).read()  # noqa: S310
            return
        except OSError:
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.2)


def gunicorn(app: str, port: int, workers: int, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
            "--access-logfile=/dev/null",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def workers_peak_rss_mb(master: subprocess.Popen) -> float:
    """The largest peak RSS among a pre-fork server's workers (read while they are alive)."""
    return max([proc_peak_rss_mb(pid) for pid in children_of(master.pid)] or [0.0])


def load(url: str, headers: dict, seconds: float, connections: int) -> tuple[Timing, str]:
    """Requests per second under a closed-loop load: wrk when installed, else a threaded Python client.

    Returns a Timing whose median_ms is the throughput (req/s) and p95_ms the 95th percentile latency in ms,
    and the errors seen (empty when none).
    """
    wrk = shutil.which("wrk")
    if wrk:
        args = [wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "--timeout=60s"]
        for k, v in headers.items():
            args += ["-H", f"{k}: {v}"]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
        rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))
        errors = [line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
        p = _wrk_latency(out, "99%")  # wrk prints 50/75/90/99; 99% is the closest to a p95 it gives
        return Timing(round(rps, 1), p, -1), "; ".join(errors)
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0]
    stop_at = time.perf_counter() + seconds

    def run(i: int) -> None:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    response.read()
                latencies[i].append((time.perf_counter() - started) * 1000)
            except OSError:
                failures[0] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per in latencies for x in per) or [0.0]
    errors = f"{failures[0]} failed requests" if failures[0] else ""
    return Timing(round(len(flat) / elapsed, 1), summarise(flat).p95_ms, len(flat)), errors


def _wrk_latency(out: str, label: str) -> float:
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == label:
            value = parts[1]
            for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
                if value.endswith(suffix):
                    return round(float(value[: -len(suffix)]) * factor, 2)
    return 0.0


@dataclass
class LoadRun:
    """The tracker and its bare WSGI app served in turn on one port, each loaded the same way."""

    results: dict[str, Timing]
    bodies: dict[str, bytes]
    memory: dict[str, float]
    errors: list[str]
    tool: str


def under_load_both(address: str, headers: dict, bare_env: dict, seconds: float, connections: int = 8) -> LoadRun:
    """Serve the tracker (config.wsgi) then the bare app (bench/_bare_wsgi.py with `bare_env`) with two gunicorn
    workers each on the same port (links in the bodies hold the host), keep the first body of each, load each for
    `seconds`, and read the workers' peak resident memory."""
    port = address.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    results, bodies, memory, errors = {}, {}, {}, []
    bare = {"PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}", **bare_env}
    for side, app, env in (("tracker", "config.wsgi:application", {}), ("bare", "_bare_wsgi:app", bare)):
        server = gunicorn(app, int(port), workers=2, env=env)
        try:
            wait_http(address, headers)
            request = urllib.request.Request(address, headers=headers)  # noqa: S310 - our own loopback server
            with urllib.request.urlopen(request) as response:  # noqa: S310
                bodies[side] = response.read()
            results[side], error = load(address, headers, seconds, connections=connections)
            if error:
                errors.append(f"{side}: {error}")
            memory[side] = workers_peak_rss_mb(server)
        finally:
            stop(server)
        time.sleep(0.5)
    tool = "wrk" if shutil.which("wrk") else "Python threads"
    return LoadRun(results, bodies, memory, errors, tool)


def run_two_sizes(script: str, title: str, rounds: int, load_seconds: float, no_load: bool) -> None:
    """The page benchmarks' parent: 10,000 then 100,000 commitments (times BENCH_SCALE), each in a child process;
    the load test at the largest size only."""
    sizes = [scaled(10_000), scaled(100_000)]
    rows = []
    for size in sizes:
        extra = ["--rounds", str(rounds), "--load-seconds", str(load_seconds)]
        if no_load or size != sizes[-1]:
            extra.append("--no-load")
        rows += run_sizes(script, [size], extra)
    print_table(title, rows)
