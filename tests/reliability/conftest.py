"""The reliability harness: a real SMTP server on loopback (aiosmtpd), real Celery workers and beats on Redis or
RabbitMQ, sharing this test's database.

The worker and beat are subprocesses started with DJANGO_SETTINGS_MODULE=config.settings and DATABASE_URL naming
the test database, so the tests use transactional_db (the rows must be committed for them to see them). Each
test gets its own queue name, so other developers' workers on the same broker never take its tasks. Timeouts
are shortened through the environment (lease, retry backoff, Redis visibility timeout), never by mocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    message_id: str
    to: str


@dataclass
class SmtpHandler:
    """Records every accepted message; can refuse one address (550) or everything (421)."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply
    delay: float = 0.0  # seconds before answering each message (a slow server)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content)
        with self.lock:
            for to in envelope.rcpt_tos:
                self.messages.append(Received(message["Message-ID"], to))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


class SmtpServer:
    """An aiosmtpd server on a fixed loopback port that a test can stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = SmtpHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


BROKERS = [
    pytest.param("redis", marks=pytest.mark.redis, id="redis"),
    pytest.param("rabbitmq", marks=pytest.mark.rabbitmq, id="rabbitmq"),
]


@pytest.fixture(params=BROKERS)
def broker_url(request, redis_url: str, rabbitmq_url: str) -> str:
    return redis_url if request.param == "redis" else rabbitmq_url


class Cluster:
    """Workers and beats as subprocesses on one broker, one queue and this test's database."""

    def __init__(self, *, broker_url: str, smtp: SmtpServer, tmp: Path, env: dict[str, str]) -> None:
        db = settings.DATABASES["default"]
        self.queue = f"reliability-{uuid.uuid4().hex[:10]}"
        self.tmp = tmp
        self.broker_url = broker_url
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "5",
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "VAR_DIR": str(tmp / "var"),
            "CONN_MAX_AGE": "0",
            # Recovery in seconds rather than minutes: a short lease (time limits follow it), quick retries,
            # and Redis re-delivering an unacknowledged message soon after its worker died.
            "REMINDER_LEASE_SECONDS": "15",
            "REMINDER_RETRY_BASE_SECONDS": "0.5",
            "REMINDER_RETRY_MAX_SECONDS": "3",
            "REMINDER_BATCH_SIZE": "20",
            "REMINDER_TICK_SECONDS": "1",
            "CELERY_VISIBILITY_TIMEOUT": "20",
            "CELERY_BROKER_HEARTBEAT": "10",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.processes: list[subprocess.Popen] = []
        self._purge()

    def _purge(self) -> None:
        from celery import Celery

        app = Celery(broker=self.broker_url)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_declare(queue=self.queue, durable=True, auto_delete=False)
            conn.default_channel.queue_purge(self.queue)

    def _start(self, args: list[str], name: str, ready: str | None) -> subprocess.Popen:
        log = self.tmp / f"{name}-{len(self.processes)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the test kills the worker and its pool together
        )
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        if ready:
            deadline = time.monotonic() + 60
            while ready not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.1)
        return process

    def worker(self) -> subprocess.Popen:
        return self._start(
            [
                "worker",
                "-Q",
                self.queue,
                "--concurrency",
                str(CONCURRENCY),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"w{len(self.processes)}-{self.queue}@%h",
            ],
            "worker",
            ready=" ready.",
        )

    def beat(self) -> subprocess.Popen:
        n = len(self.processes)
        return self._start(
            ["beat", "--loglevel", "INFO", "-s", str(self.tmp / f"beat-{n}.schedule"), "--pidfile", ""],
            "beat",
            ready="beat: Starting",
        )

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """kill -9 the process and its pool children (its own process group), by its id."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.log.name}\n{p.log.read_text(errors='replace')[-4000:]}"
            for p in self.processes  # type: ignore
        )


@pytest.fixture
def cluster(transactional_db, broker_url: str, smtp: SmtpServer, tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(**env: str) -> Cluster:
        c = Cluster(broker_url=broker_url, smtp=smtp, tmp=tmp_path, env=env)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop_all()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05, logs=None) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f"\n{logs()}" if logs else ""))
        time.sleep(interval)
