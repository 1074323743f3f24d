"""A real HTTP receiver on loopback that records what it is sent and answers as a test scripts it.

The reliability harness's fixtures (a Celery worker and beat as subprocesses on a real broker) are shared from
tests/reliability/conftest.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import staff_client_factory  # noqa: F401 - a fixture shared with the API tests
from tests.reliability.conftest import cluster, smtp  # noqa: F401 - fixtures shared with the reliability suite


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records each request; answers the scripted statuses in turn, then 200."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # (status, body, headers) for the next requests
    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *statuses: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.script.extend((s, body, headers or {}) for s in statuses)

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def count(self) -> int:
        with self.lock:
            return len(self.requests)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                status, text, headers = receiver.script.pop(0) if receiver.script else (200, "ok", {})
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tracker"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()
