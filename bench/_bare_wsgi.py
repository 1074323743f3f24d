"""The bare baselines as a WSGI app (for the load benchmarks): no framework, one psycopg connection per worker.

    BENCH_URL=postgres://... gunicorn _bare_wsgi:app  (with bench/ on PYTHONPATH)

/api/v1/commitments/  the API page (bench/_bare.py api_page), key from the Authorization header;
/commitments/         the staff list (list_page), session from the cookie; labels are read once at start-up.
"""

from __future__ import annotations

import os
from http.cookies import SimpleCookie

import _bare
import psycopg

_conn = None
_labels: dict = {}
_closed: list[str] = []


def _connection():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["BENCH_URL"], autocommit=True)
        _conn.execute("SET TIME ZONE 'UTC'")
    return _conn


def _start_up_labels() -> None:
    # The labels a page shows are constants of the code; read from the env the bench passes (no Django here).
    import json

    global _labels, _closed
    if not _labels and os.environ.get("BENCH_LABELS"):
        data = json.loads(os.environ["BENCH_LABELS"])
        _labels, _closed = data["labels"], data["closed"]


def app(environ, start_response):
    conn = _connection()
    path = environ.get("PATH_INFO", "")
    if path.startswith("/api/v1/commitments/"):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        raw = auth.split(" ", 1)[1] if auth.startswith("Bearer ") else ""
        query = environ.get("QUERY_STRING", "")
        base = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{path}" + (f"?{query}" if query else "")
        body = _bare.api_page(conn, raw, base, 50)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/commitments/":
        _start_up_labels()
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        key = cookie["sessionid"].value if "sessionid" in cookie else ""
        body = _bare.list_page(
            conn, session_key=key, username=environ.get("HTTP_X_BENCH_USER", "coordinator"), labels=_labels,
            closed=_closed,
        ).encode()  # fmt: skip
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]
