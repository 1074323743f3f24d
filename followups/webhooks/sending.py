"""Sending partners' webhook deliveries: claimed by a tick, POSTed signed by a worker (the outbox's other half).

- `webhooks_tick` (Celery beat, at the reminders' interval) claims due rows with SELECT ... FOR UPDATE SKIP LOCKED
  and a lease, reclaims rows whose lease expired, and queues `webhooks_send_batch` tasks (or sends inline).
- Each row is locked while it is POSTed and marked in the same transaction: a repeat happens only if the worker
  dies between the partner's answer and the commit, and then with the same X-Tracker-Delivery.
- 2xx: SENT. 408, 429, 5xx, timeouts and connection errors: PENDING again after an exponential backoff (or the
  Retry-After asked for), FAILED after WEBHOOK_MAX_ATTEMPTS. Any other answer (4xx, or a redirect, which is not
  followed): FAILED at once, with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import logging
import socket
import ssl
import urllib.error
from collections import defaultdict
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from followups.models import WebhookDelivery, WebhookDeliveryStatus
from followups.outbox import outbox_claim, outbox_resend, outbox_retry_delay
from followups.webhooks.endpoints import webhook_address_problem, webhook_resolve, webhook_url_problem

log = logging.getLogger(__name__)

USER_AGENT = "follow-up-tracker-webhooks/1"
# How much of a refusing server's answer is kept in last_error.
ERROR_BODY_CHARS = 300
Status = WebhookDeliveryStatus


# --- Signing ----------------------------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The X-Tracker-Signature value: "sha256=" and the hex HMAC-SHA256 of "{timestamp}.{body}" with the secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _body(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


# --- Claiming ---------------------------------------------------------------------------------------------------


def webhooks_claim(*, now: datetime | None = None, limit: int = 10_000) -> list[tuple[str, list[int]]]:
    """Claim the due deliveries (and those whose worker's lease expired) and cut them into batches.

    Returns [(claim token, ids)]. Concurrent ticks never claim the same row (SKIP LOCKED, then a conditional
    UPDATE). Safe to run twice.
    """
    now = now or timezone.now()
    # Served by the partial indexes webhook_pending_next_attempt and webhook_sending_lease.
    token, rows = outbox_claim(
        WebhookDelivery, fields=(), now=now, limit=limit, lease_seconds=settings.REMINDER_LEASE_SECONDS
    )
    ids = [pk for (pk,) in rows]
    size = max(1, settings.WEBHOOK_BATCH_SIZE)
    return [(token, ids[start : start + size]) for start in range(0, len(ids), size)]


def webhooks_tick(*, now: datetime | None = None, inline: bool = False) -> int:
    """One tick: claim what is due and hand it to the workers, one Celery task per batch. Returns rows claimed.

    If publishing a batch fails, its rows stay SENDING and a later tick reclaims them when the lease expires.
    With `inline`, send in this process instead (no worker needed). Safe to run twice.
    """
    from followups.tasks import webhooks_send_batch as task  # tasks import this module

    batches = webhooks_claim(now=now)
    for token, ids in batches:
        if inline:
            webhooks_send_batch(ids=ids, token=token)
        else:
            task.delay(ids, token)
    return sum(len(ids) for _, ids in batches)


# --- Sending ----------------------------------------------------------------------------------------------------


class _Permanent(Exception):
    """A delivery that must not be tried again (its reason is the message)."""


def _checked_address(url: str) -> str:
    """The one address the delivery may connect to: `url`'s host resolved once, every address it resolves to
    checked (webhook_address_problem), so that a second lookup cannot lead elsewhere (DNS rebinding).

    Raises _Permanent for a refused URL or address, OSError when the host does not resolve (temporary)."""
    problem = webhook_url_problem(url, resolve=False)
    if problem:
        raise _Permanent(problem)
    parts = urlsplit(url)
    addresses = webhook_resolve(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    for address in addresses:
        problem = webhook_address_problem(address)
        if problem:
            raise _Permanent(f"{parts.hostname} resolves to a refused address: {problem}")
    if not addresses:
        raise OSError(f"{parts.hostname} resolves to no address")
    return str(addresses[0])


def _post(row: WebhookDelivery) -> int:
    """POST the signed payload to the checked address; returns the 2xx status, raises HTTPError for any other
    answer (a redirect is not followed: a signed POST is not replayed to another address) or OSError."""
    endpoint = row.endpoint
    address = _checked_address(endpoint.url)
    parts = urlsplit(endpoint.url)
    body = _body(row.payload)
    timestamp = str(int(timezone.now().timestamp()))
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    hostname = parts.hostname or ""  # never empty: _checked_address refused such a URL
    host = f"[{hostname}]" if ":" in hostname else hostname
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        # TLS still checks the certificate against the host name (SNI and verification), not the address.
        connection = http.client.HTTPSConnection(
            host, parts.port or 443, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    # CPython's hook for opening the socket (not in typeshed): connect to the checked address only.
    connection._create_connection = lambda where, *args, **kwargs: socket.create_connection(  # type: ignore[attr-defined]
        (address, where[1]), *args, **kwargs
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tracker-Event": row.event,
        "X-Tracker-Delivery": str(row.event_id),
        "X-Tracker-Timestamp": timestamp,
        "X-Tracker-Signature": webhook_signature(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ERROR_BODY_CHARS)
        if 200 <= response.status < 300:
            return response.status
        raise urllib.error.HTTPError(
            endpoint.url, response.status, response.reason, response.headers, io.BytesIO(answer)
        )
    finally:
        connection.close()


def _retry_delay(attempts: int, retry_after: str | None) -> timedelta:
    return outbox_retry_delay(
        attempts,
        base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS,
        max_seconds=settings.WEBHOOK_RETRY_MAX_SECONDS,
        retry_after=retry_after,
    )


def _http_error_text(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(ERROR_BODY_CHARS).decode(errors="replace").strip()
    except Exception:
        text = ""
    reason = f"HTTP {exc.code} {exc.reason}"
    if 300 <= exc.code < 400:
        reason += " (redirects are not followed: register the address it points to)"
    return f"{reason}: {text}" if text else reason


def webhooks_send_batch(*, ids: list[int], token: str) -> dict[str, int]:
    """POST one claimed batch, one delivery at a time. Returns counts by outcome.

    Each row is locked, sent and marked in one transaction. Rows no longer claimed with `token` (reclaimed after a
    lease expired, or already sent) are left alone, so a redelivered task is harmless. Safe to run twice.
    """
    counts: dict[str, int] = defaultdict(int)
    for pk in ids:
        with transaction.atomic():
            row = (
                WebhookDelivery.objects.select_for_update(of=("self",))
                .select_related("endpoint__organisation")
                .filter(pk=pk, status=Status.SENDING, claim_token=token)
                .first()
            )
            if row is None:
                continue
            out_of_time = _send_one(row)
            counts[row.status] += 1
        if out_of_time:
            break  # the rest stay SENDING under their lease; a later tick claims them again
    return dict(counts)


def _send_one(row: WebhookDelivery) -> bool:
    """Send one locked row and record the outcome on it. Returns True when Celery's soft time limit struck."""
    row.lease_expires_at = None
    fields = ["status", "attempts", "last_error", "response_status", "next_attempt_at", "sent_at", "lease_expires_at"]
    if not row.endpoint.subscribes(row.event):
        row.status, row.last_error = Status.CANCELLED, "the endpoint was deactivated or no longer receives this event"
        row.save(update_fields=[*fields, "updated_at"])
        return False
    if not row.endpoint.organisation.is_active:
        # Checked at send time too: a row claimed before the deactivation committed is still not sent.
        row.status, row.last_error = Status.CANCELLED, f"organisation {row.endpoint.organisation.ref} is deactivated"
        row.save(update_fields=[*fields, "updated_at"])
        return False
    row.attempts += 1
    temporary, reason, retry_after, out_of_time = False, "", None, False
    try:
        code = _post(row)
    except urllib.error.HTTPError as exc:
        # 3xx (not followed) and 4xx are the partner's answer to fix; 408, 429 and 5xx pass.
        row.response_status = exc.code
        reason = _http_error_text(exc)
        temporary = exc.code in (408, 429) or exc.code >= 500
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
    except _Permanent as exc:
        reason = str(exc)
    except SoftTimeLimitExceeded:
        temporary, reason, out_of_time = True, "stopped at the task's time limit", True
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Timeouts, refused connections, unknown hosts, broken answers (URLError is an OSError).
        temporary, reason = True, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    else:
        row.response_status = code
        row.status, row.sent_at, row.last_error = Status.SENT, timezone.now(), ""
        row.save(update_fields=[*fields, "updated_at"])
        return False
    row.last_error = reason
    if temporary and row.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        row.status = Status.PENDING
        row.next_attempt_at = timezone.now() + _retry_delay(row.attempts, retry_after)
    else:
        row.status = Status.FAILED
    log.warning("webhook delivery %s to %s not sent (%s): %s", row.pk, row.endpoint.url, row.status, reason)
    row.save(update_fields=[*fields, "updated_at"])
    return out_of_time


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Put a FAILED delivery back in the queue, due now, same event id (the admin's "resend"). Safe to run twice."""
    outbox_resend(delivery)
    return delivery
