"""A partner's sync client for the follow-up tracker's API: Python's standard library and httpx.

    export TRACKER_URL=https://tracker.example.org TRACKER_API_KEY=tk_live_...
    python partner_sync.py sync                        # lists (cursor, updated_since) + changes feed
    python partner_sync.py refresh CMT-AU-01           # a detail with If-None-Match
    python partner_sync.py report CMT-AU-01 at_risk "Budget delayed" [--idempotency-key KEY]
    python partner_sync.py register https://erp.example.org/tracker-hooks
    python partner_sync.py listen 8080                 # receive webhooks, checking their signatures

Everything it learns is kept in one JSON file (--state, default tracker-state.json): the records by list and
identifier, their ETags, the instant the last sync started, and the webhook secret.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

LISTS = ["organisations", "frameworks", "working-groups", "commitments", "deadlines", "status-updates", "webhooks"]
SINCE_LISTS = {"frameworks", "commitments", "deadlines", "status-updates"}  # those that take updated_since
OVERLAP = timedelta(minutes=5)  # a record committed while the previous sync ran is fetched again, not missed


def key_of(resource: str, item: dict) -> str:
    return item["ref"] if "ref" in item and resource != "status-updates" else item["id"]


def load(path: Path) -> dict:
    empty = {"since": None, "records": {name: {} for name in LISTS}, "etags": {}, "secret": None, "seen": []}
    return json.loads(path.read_text()) if path.exists() else empty


def client(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def pages(http: httpx.Client, url: str, params: dict):
    """Every item of a list, following the cursor links as given (never built by hand)."""
    response = http.get(url, params={**params, "page_size": 200})
    while True:
        response.raise_for_status()
        body = response.json()
        yield from body["results"]
        if not body["next"]:
            return
        response = http.get(body["next"])


def sync(http: httpx.Client, state: dict) -> None:
    started = datetime.now(UTC)
    since = state["since"]
    for resource in LISTS:
        params = {"updated_since": since} if since and resource in SINCE_LISTS else {}
        items = list(pages(http, f"/api/v1/{resource}/", params))
        if resource not in SINCE_LISTS:  # a full list: what is not in it is gone
            state["records"][resource] = {}
        state["records"][resource].update({key_of(resource, item): item for item in items})
        print(f"{resource}: {len(items)} fetched, {len(state['records'][resource])} kept")
    # What the lists cannot say: records deleted, or no longer ours to see (and those that came back).
    for change in pages(http, "/api/v1/changes/", {"since": since} if since else {}):
        apply_change(http, state, change)
    state["since"] = (started - OVERLAP).isoformat().replace("+00:00", "Z")


def apply_change(http: httpx.Client, state: dict, change: dict) -> None:
    resource, ref, what = change["resource"], change["ref"], change["change"]
    records = state["records"].setdefault(resource, {})
    if what == "entered_scope":
        response = http.get(f"/api/v1/{resource}/{ref}/")
        if response.status_code == 200:  # it may have left again since
            records[ref] = response.json()
        print(f"change: {resource} {ref} {what} -> fetched")
        return
    records.pop(ref, None)
    if resource == "commitments":  # its deadlines and timeline go with it
        for child in ("deadlines", "status-updates"):
            kept = state["records"][child]
            state["records"][child] = {k: v for k, v in kept.items() if v.get("commitment") != ref}
    print(f"change: {resource} {ref} {what} -> dropped")


def refresh(http: httpx.Client, state: dict, ref: str) -> None:
    etag = state["etags"].get(ref)
    response = http.get(f"/api/v1/commitments/{ref}/", headers={"If-None-Match": etag} if etag else {})
    if response.status_code == 304:
        print(f"{ref}: not modified")
        return
    response.raise_for_status()
    state["records"]["commitments"][ref] = response.json()
    state["etags"][ref] = response.headers["ETag"]
    print(f"{ref}: fetched")


def post(http: httpx.Client, url: str, body: dict, key: str, attempts: int = 3) -> httpx.Response:
    """A POST retried on network errors and 5xx with the same Idempotency-Key: applied once whatever happens."""
    for attempt in range(attempts):
        try:
            response = http.post(url, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
        else:
            if response.status_code < 500 or attempt == attempts - 1:
                return response
            time.sleep(int(response.headers.get("Retry-After", "1")))
    raise AssertionError("unreachable")


def report(http: httpx.Client, ref: str, status: str, note: str, key: str | None) -> None:
    response = post(
        http, "/api/v1/status-updates/", {"commitment": ref, "status": status, "note": note}, key or str(uuid.uuid4())
    )
    if response.status_code != 201:
        print(f"refused: {response.json()['error']['code']} {response.json()['error']['fields']}")
        return
    replayed = " (replayed)" if response.headers.get("Idempotent-Replayed") == "true" else ""
    print(f"reported {ref} {status}: {response.json()['id']}{replayed}")


def register(http: httpx.Client, state: dict, url: str) -> None:
    events = ["commitment.status_changed", "deadline.approaching"]
    response = post(http, "/api/v1/webhooks/", {"url": url, "events": events}, str(uuid.uuid4()))
    response.raise_for_status()
    state["secret"] = response.json()["secret"]  # shown this once
    print(f"registered {response.json()['id']}")


def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """The signature on the raw body, before parsing it; an old timestamp is refused (replays)."""
    timestamp = headers.get("X-Tracker-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + expected, headers.get("X-Tracker-Signature", ""))


def webhook_server(state_path: Path, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state = load(state_path)
            if not state["secret"] or not verify(state["secret"], self.headers, body):
                print("webhook refused: bad signature", flush=True)
                self.send_response(400)
            else:
                delivery = self.headers["X-Tracker-Delivery"]
                if delivery not in state["seen"]:  # a retry carries the same delivery id
                    state["seen"].append(delivery)
                    subject = json.loads(body)["data"].get("commitment", {}).get("ref", "")
                    print(f"webhook {self.headers['X-Tracker-Event']} {subject}", flush=True)
                    state_path.write_text(json.dumps(state, indent=1))
                self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", type=Path, default=Path("tracker-state.json"))
    parser.add_argument("command", choices=["sync", "refresh", "report", "register", "listen"])
    parser.add_argument("args", nargs="*")
    parser.add_argument("--idempotency-key")
    options = parser.parse_args(argv)
    state = load(options.state)
    if options.command == "listen":
        webhook_server(options.state, int(options.args[0])).serve_forever()
        return 0
    with client(os.environ["TRACKER_URL"], os.environ["TRACKER_API_KEY"]) as http:
        if options.command == "sync":
            sync(http, state)
        elif options.command == "refresh":
            refresh(http, state, options.args[0])
        elif options.command == "report":
            report(http, *options.args[:3], key=options.idempotency_key)
        else:
            register(http, state, options.args[0])
    options.state.write_text(json.dumps(state, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
