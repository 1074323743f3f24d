"""Partners' webhooks: signed notifications through a durable outbox (issue 5, item 6).

A partner registers a URL for its organisation (`webhook_endpoint_register`, through the API) and receives a POST
when a commitment its organisation owns changes status, or when one of their deadlines is near. Every notification
is a `WebhookDelivery` row written in the transaction of the change that calls for it, so a change that rolls back
notifies nobody and a committed one is never lost; a tick and workers send the rows, as for the reminders
(DESIGN.md, "Reminders: the database is the queue").

What is sent, and when
- `commitment.status_changed`: `followups.services.commitment_update_status` calls `_on_status_change` (through
  `services.status_change_hooks`) when the commitment's overall status or an owner's status changed. Every
  active endpoint subscribed to the event, of every organisation owning the commitment, gets one delivery.
- `deadline.approaching`: planned ahead, not detected by the reminder tick. `webhooks_plan_deadlines` (registered
  in `services.deadline_change_hooks` beside the reminder planner) writes a PENDING delivery for each of the
  reminders' lead days (`followups.reminders.reminder_policy_days`: the deadline's policy, its framework's, or
  the priority default), due at REMINDER_LOCAL_TIME in UTC on that day (an organisation has no time zone).
  Why plan rows rather than fire from the reminder tick: reminder rows exist per contact, and a commitment with
  no responsible contact (or only muted ones) has none while its owners' systems still want to hear; own rows
  keep the two outboxes independent, every change that moves, closes or reopens a deadline re-plans both in the
  same transaction, and a partner can see what is planned through the API. A lead moment already past when
  planned is not sent (the partner reads its deadlines through the API). The event id is derived from the
  deadline, the lead and the due date: moving a deadline cancels the pending deliveries and plans new ones, with
  new ids, and planning the same thing twice changes nothing. Registering an endpoint, activating it or
  subscribing it to the event plans its organisation's open deadlines.

Delivery
- `webhooks_tick` (Celery beat, at the reminders' interval) claims due rows with SELECT ... FOR UPDATE SKIP LOCKED
  and a lease (REMINDER_LEASE_SECONDS: the task time limits are set below it), reclaims rows whose lease expired,
  and queues `webhooks_send_batch` tasks (or sends in this process with `inline`).
- Each row is locked while it is POSTed and marked in the same transaction: a repeat happens only if the worker
  dies between the partner's answer and the commit, and then with the same X-Tracker-Delivery.
- 2xx: SENT. 408, 429, 5xx, timeouts and connection errors: PENDING again after an exponential backoff (or the
  Retry-After asked for), FAILED after WEBHOOK_MAX_ATTEMPTS. Any other answer (4xx, or a redirect, which is not
  followed): FAILED at once, with the reason.

Signature: `X-Tracker-Signature: sha256=<hex HMAC-SHA256 of "{X-Tracker-Timestamp}.{body}" with the secret>`; see
`webhook_signature`, and the partner guide in the API schema's description (config/settings.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import Organisation
from followups import services
from followups.models import (
    CLOSED_STATUSES,
    CommitmentOwner,
    Deadline,
    StatusUpdate,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

# Event ids are uuid5 in this namespace of what happened: the same event always gets the same id.
EVENT_NAMESPACE = uuid.UUID("6f1d4f0e-3b7a-4c57-9a3e-0c1f5b7f2a10")
SECRET_PREFIX = "whsec_"
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


def _event_id(name: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, name)


def _api_url(resource: str, ref: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/api/v1/{resource}/{ref}/"


# --- Endpoints --------------------------------------------------------------------------------------------------


def webhook_url_problem(url: str) -> str:
    """Why `url` cannot receive webhooks, or "" when it can (checked at registration; the address again at send)."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "Enter a valid http or https URL."
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "Leave credentials out of the URL; check the signature instead."
    if parts.fragment:
        return "A URL with a #fragment cannot be POSTed to."
    if settings.WEBHOOK_ALLOW_INSECURE:
        return ""
    if parts.scheme != "https":
        return "Use an https URL."
    host = (parts.hostname or "").strip("[]")
    with contextlib.suppress(ValueError):
        if not ipaddress.ip_address(host).is_global:
            return "The URL must reach a public address."
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "The URL must reach a public address."
    return ""


def webhook_events_clean(events: Iterable[str]) -> list[str]:
    """The events, checked and without repeats, in the vocabulary's order. Raises ValidationError."""
    events = list(events)
    unknown = sorted({str(e) for e in events} - set(WebhookEvent.values))
    if unknown:
        raise ValidationError({"events": f"Unknown events {unknown}; use {', '.join(WebhookEvent.values)}."})
    if not events:
        raise ValidationError({"events": "Subscribe to at least one event."})
    return [e for e in WebhookEvent.values if e in events]


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def webhook_endpoint_register(
    *, organisation: Organisation, url: str, events: Iterable[str], description: str = "", actor: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register a URL for `organisation`; returns the endpoint and its secret, which is shown only this once.

    Plans the `deadline.approaching` deliveries of the organisation's open deadlines when subscribed.
    Not idempotent: each call registers an endpoint (at most WEBHOOK_MAX_ENDPOINTS per organisation).
    """
    problem = webhook_url_problem(url)
    if problem:
        raise ValidationError({"url": problem})
    events = webhook_events_clean(events)
    # Serialises concurrent registrations of one organisation, so that the limit holds.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if WebhookEndpoint.objects.filter(organisation=organisation).count() >= settings.WEBHOOK_MAX_ENDPOINTS:
        raise ValidationError(
            {"url": f"{organisation.ref} already has {settings.WEBHOOK_MAX_ENDPOINTS} endpoints; delete one first."}
        )
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        secret=secret,
        events=events,
        description=description.strip(),
        created_by=actor,
    )
    if WebhookEvent.DEADLINE_APPROACHING in events:
        _plan_organisation(organisation.pk)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description or activity (None leaves a field as it is).

    Pending deliveries of events it no longer receives (all of them when deactivated) are cancelled; the
    organisation's deadlines are planned again. Safe to run twice.
    """
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        problem = webhook_url_problem(url)
        if problem:
            raise ValidationError({"url": problem})
        endpoint.url = url
    if events is not None:
        endpoint.events = webhook_events_clean(events)
    if description is not None:
        endpoint.description = description.strip()
    if is_active is not None:
        endpoint.is_active = is_active
    endpoint.save()
    received = endpoint.events if endpoint.is_active else []
    endpoint.deliveries.filter(status=Status.PENDING).exclude(event__in=received).update(
        status=Status.CANCELLED,
        last_error="the endpoint was deactivated or no longer receives this event",
        updated_at=timezone.now(),
    )
    _plan_organisation(endpoint.organisation_id)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries (nothing more is sent to it). Safe to run twice."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def _plan_organisation(organisation_id: int) -> None:
    deadlines = Deadline.objects.filter(
        commitment__in=CommitmentOwner.objects.filter(organisation_id=organisation_id).values("commitment")
    )
    webhooks_plan_deadlines(deadlines=list(deadlines))


def _endpoints_by_org(organisation_ids: Iterable[int], event: str) -> dict[int, list[WebhookEndpoint]]:
    """The active endpoints subscribed to `event`, by organisation (served by webhook_endpoint_active_org)."""
    found: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    # Subscriptions are filtered here, not in SQL: JSON containment is not available on SQLite (the default).
    for endpoint in WebhookEndpoint.objects.filter(organisation_id__in=set(organisation_ids), is_active=True):
        if endpoint.subscribes(event):
            found[endpoint.organisation_id].append(endpoint)
    return found


# --- Enqueue: a status changed ------------------------------------------------------------------------------------


def _on_status_change(update: StatusUpdate, changed_owners: list[tuple[CommitmentOwner, str]]) -> None:
    """Queue `commitment.status_changed` for the owners' endpoints, in the status update's transaction."""
    commitment = update.commitment
    if not changed_owners and update.old_status == commitment.status:
        return  # a note on the timeline, not a change of status
    ownerships = list(CommitmentOwner.objects.filter(commitment=commitment).select_related("organisation"))
    endpoints = _endpoints_by_org((o.organisation_id for o in ownerships), WebhookEvent.STATUS_CHANGED)
    if not endpoints:
        return
    previous = {o.pk: old for o, old in changed_owners}
    event_id = _event_id(f"{WebhookEvent.STATUS_CHANGED}:{update.pk}")
    payload = {
        "id": str(event_id),
        "event": WebhookEvent.STATUS_CHANGED.value,
        "occurred_at": update.created_at.isoformat(),
        "data": {
            "commitment": {
                "ref": commitment.ref,
                "title": commitment.title,
                "framework": commitment.framework.ref,
                "status": commitment.status,
                "previous_status": update.old_status,
                "url": _api_url("commitments", commitment.ref),
            },
            "owners": [
                {
                    "organisation": o.organisation.ref,
                    "status": o.status,
                    "previous_status": previous.get(o.pk, o.status),
                }
                for o in sorted(ownerships, key=lambda o: o.organisation.ref)
            ],
            "status_update": {
                "id": update.pk,
                "owner": update.owner.ref if update.owner_id else None,
                "status": update.new_status,
                "note": update.note,
                "happened_on": update.happened_on.isoformat(),
                "actor": update.actor,
            },
        },
    }
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event=WebhookEvent.STATUS_CHANGED,
                event_id=event_id,
                payload=payload,
                commitment=commitment,
                next_attempt_at=now,
                created_at=now,
            )
            for group in endpoints.values()
            for endpoint in group
        ],
        ignore_conflicts=True,  # a repeated call for the same status update queues nothing more
    )


# --- Enqueue: deadlines approaching -------------------------------------------------------------------------------


def webhooks_plan_deadlines(*, deadlines: Iterable[Deadline], now: datetime | None = None) -> None:
    """Write the `deadline.approaching` deliveries the deadlines call for, in the caller's transaction (an outbox).

    New ones are created; pending ones no longer wanted (deadline closed or moved, owner or endpoint gone) are
    cancelled; a cancelled one wanted again (a reopened deadline) is pending again. Safe to run twice.
    """
    from followups.reminders import reminder_instant, reminder_policy_days

    now = now or timezone.now()
    ids = [d.pk for d in deadlines]
    if not ids:
        return
    existing = {
        (row.endpoint_id, row.event_id): row
        for row in WebhookDelivery.objects.select_for_update().filter(
            deadline_id__in=ids,
            event=WebhookEvent.DEADLINE_APPROACHING,
            status__in=[Status.PENDING, Status.CANCELLED],
        )
    }
    owners: dict[int, set[int]] = defaultdict(set)
    for commitment_id, organisation_id in CommitmentOwner.objects.filter(commitment__deadlines__in=ids).values_list(
        "commitment_id", "organisation_id"
    ):
        owners[commitment_id].add(organisation_id)
    endpoints = _endpoints_by_org({org for orgs in owners.values() for org in orgs}, WebhookEvent.DEADLINE_APPROACHING)
    if not existing and not endpoints:
        return  # the usual case: nobody listens
    wanted: dict[tuple[int, uuid.UUID], WebhookDelivery] = {}
    if endpoints:
        rows = Deadline.objects.filter(pk__in=ids).select_related(
            "commitment__framework__reminder_policy", "reminder_policy"
        )
        for deadline in rows:
            commitment = deadline.commitment
            if not deadline.is_open or commitment.status in CLOSED_STATUSES:
                continue
            lead, _overdue = reminder_policy_days(deadline)
            for days in lead:
                moment = reminder_instant(day=deadline.due_on - timedelta(days=days), zone="UTC")
                if moment <= now:
                    continue
                event_id = _event_id(f"{WebhookEvent.DEADLINE_APPROACHING}:{deadline.pk}:{days}:{deadline.due_on}")
                payload = {
                    "id": str(event_id),
                    "event": WebhookEvent.DEADLINE_APPROACHING.value,
                    "occurred_at": moment.isoformat(),
                    "data": {
                        "deadline": {
                            "ref": deadline.ref,
                            "title": deadline.title,
                            "due_on": deadline.due_on.isoformat(),
                            "days_before": days,
                            "url": _api_url("deadlines", deadline.ref),
                        },
                        "commitment": {
                            "ref": commitment.ref,
                            "title": commitment.title,
                            "framework": commitment.framework.ref,
                            "url": _api_url("commitments", commitment.ref),
                        },
                    },
                }
                for org in owners[commitment.pk]:
                    for endpoint in endpoints.get(org, []):
                        wanted[(endpoint.pk, event_id)] = WebhookDelivery(
                            endpoint=endpoint,
                            event=WebhookEvent.DEADLINE_APPROACHING,
                            event_id=event_id,
                            payload=payload,
                            commitment=commitment,
                            deadline=deadline,
                            next_attempt_at=moment,
                            created_at=now,
                        )
    to_update = []
    for key, row in existing.items():
        row.updated_at = now
        if key in wanted and row.status == Status.CANCELLED:
            row.status, row.last_error, row.attempts = Status.PENDING, "", 0
            row.next_attempt_at = wanted[key].next_attempt_at
            to_update.append(row)
        elif key not in wanted and row.status == Status.PENDING:
            row.status = Status.CANCELLED
            row.last_error = "no longer due: deadline closed or moved, or the owner or endpoint changed"
            to_update.append(row)
    WebhookDelivery.objects.bulk_update(
        to_update, ["status", "last_error", "attempts", "next_attempt_at", "updated_at"], batch_size=1000
    )
    # Rows already SENT, FAILED or SENDING for the same event stay as they are (the unique constraint).
    WebhookDelivery.objects.bulk_create(
        [row for key, row in wanted.items() if key not in existing], ignore_conflicts=True, batch_size=1000
    )


def _plan_hook(deadlines: list[Deadline]) -> None:
    webhooks_plan_deadlines(deadlines=deadlines)


if _plan_hook not in services.deadline_change_hooks:
    services.deadline_change_hooks.append(_plan_hook)
if _on_status_change not in services.status_change_hooks:
    services.status_change_hooks.append(_on_status_change)


# --- Claiming ---------------------------------------------------------------------------------------------------


def webhooks_claim(*, now: datetime | None = None, limit: int = 10_000) -> list[tuple[str, list[int]]]:
    """Claim the due deliveries (and those whose worker's lease expired) and cut them into batches.

    Returns [(claim token, ids)]. Concurrent ticks never claim the same row (SKIP LOCKED, then a conditional
    UPDATE). Safe to run twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Served by the partial indexes webhook_pending_next_attempt and webhook_sending_lease.
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if len(ids) < limit:
            ids += list(
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(status=Status.SENDING, lease_expires_at__lte=now)
                .order_by("lease_expires_at")
                .values_list("pk", flat=True)[: limit - len(ids)]
            )
        if not ids:
            return []
        token = uuid.uuid4().hex
        # Conditional, like the SELECT: without row locks (SQLite) a row another tick claimed keeps its token.
        WebhookDelivery.objects.filter(
            Q(status=Status.PENDING) | Q(status=Status.SENDING, lease_expires_at__lte=now), pk__in=ids
        ).update(
            status=Status.SENDING,
            claim_token=token,
            lease_expires_at=now + timedelta(seconds=settings.REMINDER_LEASE_SECONDS),
            updated_at=now,
        )
    size = max(1, settings.WEBHOOK_BATCH_SIZE)
    return [(token, ids[start : start + size]) for start in range(0, len(ids), size)]


def webhooks_tick(*, now: datetime | None = None, inline: bool = False) -> int:
    """One tick: claim what is due and hand it to the workers, one Celery task per batch. Returns rows claimed.

    If publishing a batch fails, its rows stay SENDING and a later tick reclaims them when the lease expires.
    With `inline`, send in this process instead (no worker needed). Safe to run twice.
    """
    from followups.tasks import webhooks_send_batch as task

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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as an error: a signed POST is not replayed to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's signature
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _check_address(url: str) -> None:
    """In production, refuse a URL whose host resolves to a private, loopback or link-local address."""
    if settings.WEBHOOK_ALLOW_INSECURE:
        return
    problem = webhook_url_problem(url)
    if problem:
        raise _Permanent(problem)
    parts = urlsplit(url)
    # A failure to resolve is temporary (raised as OSError); the address may still change between this check and
    # the connection (DNS rebinding): an egress proxy is the stronger guard where that matters.
    for *_rest, sockaddr in socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM):
        if not ipaddress.ip_address(sockaddr[0]).is_global:
            raise _Permanent(f"{parts.hostname} resolves to a non-public address ({sockaddr[0]})")


def _post(row: WebhookDelivery) -> int:
    """POST the signed payload; returns the HTTP status, raises HTTPError for an error answer or OSError."""
    endpoint = row.endpoint
    _check_address(endpoint.url)
    body = _body(row.payload)
    timestamp = str(int(timezone.now().timestamp()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked at registration (http or https)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Tracker-Event": row.event,
            "X-Tracker-Delivery": str(row.event_id),
            "X-Tracker-Timestamp": timestamp,
            "X-Tracker-Signature": webhook_signature(secret=endpoint.secret, timestamp=timestamp, body=body),
        },
    )
    with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
        response.read(1024)  # let a keep-alive connection finish; the answer's body is not used
        return response.status


def _retry_delay(attempts: int, retry_after: str | None) -> timedelta:
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    if retry_after and retry_after.strip().isdigit():
        seconds = max(seconds, float(retry_after))
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _http_error_text(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(ERROR_BODY_CHARS).decode(errors="replace").strip()
    except Exception:  # noqa: BLE001 - the answer's body is only a hint for the reason
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
                .select_related("endpoint")
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
    now = timezone.now()
    updated = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=now, last_error="", updated_at=now
    )
    if updated:
        delivery.refresh_from_db()
    return delivery


__all__ = [
    "webhook_signature",
    "webhook_url_problem",
    "webhook_events_clean",
    "webhook_endpoint_register",
    "webhook_endpoint_update",
    "webhook_endpoint_delete",
    "webhooks_plan_deadlines",
    "webhooks_claim",
    "webhooks_tick",
    "webhooks_send_batch",
    "webhook_delivery_resend",
]
