"""Planning partners' webhook deliveries, in the transaction of the change that calls for them (an outbox).

- `commitment.status_changed`: `webhooks_status_changed`, called by `followups.services.commitment_update_status`
  when the commitment's overall status or an owner's status changed.
- `deadline.approaching`: `webhooks_plan_deadlines`, called by `followups.services.deadlines_changed` beside the
  reminder planner, writes a delivery for each of the deadline's lead days (`Deadline.notice_days`), due at
  REMINDER_LOCAL_TIME in UTC on that day. See the package's docstring for why rows are planned ahead.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from followups.deadlines import local_instant
from followups.models import (
    CLOSED_STATUSES,
    CommitmentOwner,
    Deadline,
    ReminderPolicy,
    StatusUpdate,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

# Event ids are uuid5 in this namespace of what happened: the same event always gets the same id.
EVENT_NAMESPACE = uuid.UUID("6f1d4f0e-3b7a-4c57-9a3e-0c1f5b7f2a10")
Status = WebhookDeliveryStatus


def _event_id(name: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, name)


def _api_url(resource: str, ref: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/api/v1/{resource}/{ref}/"


def webhooks_plan_organisation(*, organisation_id: int) -> None:
    """Plan the `deadline.approaching` deliveries of every deadline the organisation owes. Safe to run twice."""
    deadlines = Deadline.objects.filter(
        commitment__in=CommitmentOwner.objects.filter(organisation_id=organisation_id).values("commitment")
    )
    webhooks_plan_deadlines(deadlines=list(deadlines))


def endpoints_by_org(organisation_ids: Iterable[int], event: str) -> dict[int, list[WebhookEndpoint]]:
    """The active endpoints subscribed to `event`, by organisation (served by webhook_endpoint_active_org).

    A deactivated organisation's endpoints receive nothing (services.organisation_set_active)."""
    found: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    # Subscriptions are filtered here, not in SQL: JSON containment is not available on SQLite (the default).
    for endpoint in WebhookEndpoint.objects.filter(
        organisation_id__in=set(organisation_ids), is_active=True, organisation__is_active=True
    ):
        if endpoint.subscribes(event):
            found[endpoint.organisation_id].append(endpoint)
    return found


# --- Enqueue: a status changed ------------------------------------------------------------------------------------


def _with_actor(payload: dict, actor: str) -> dict:
    """The payload for one receiving organisation: the status update's author as that organisation may see it."""
    data = {**payload["data"], "status_update": {**payload["data"]["status_update"], "actor": actor}}
    return {**payload, "data": data}


def _status_update_payload(
    update: StatusUpdate,
    *,
    event: str,
    event_id: uuid.UUID,
    commitment: dict[str, Any],
    status_update: dict[str, Any],
    **sections: Any,
) -> dict[str, Any]:
    """The payload of an event a status update makes (`commitment.status_changed`, `commitment.completion_*`):
    the commitment, the event's own `sections`, then the update; `commitment` and `status_update` add the event's
    own fields to those every such event carries. The actor is left blank: `_queue_per_organisation` sets it."""
    subject = update.commitment
    return {
        "id": str(event_id),
        "event": event,
        "occurred_at": update.created_at.isoformat(),
        "data": {
            "commitment": {
                "ref": subject.ref,
                "title": subject.title,
                "framework": subject.framework.ref,
                "status": subject.status,
                **commitment,
                "url": _api_url("commitments", subject.ref),
            },
            **sections,
            "status_update": {
                "id": str(update.uuid),
                **status_update,
                "note": update.note,
                "happened_on": update.happened_on.isoformat(),
                "actor": "",  # set per receiving organisation: never a staff user's name
            },
        },
    }


def _queue_per_organisation(
    update: StatusUpdate,
    *,
    event: str,
    event_id: uuid.UUID,
    payload: dict[str, Any],
    endpoints: dict[int, list[WebhookEndpoint]],
) -> None:
    """One delivery per endpoint, due now, each with the update's author as the receiving organisation may see it.
    A repeated call for the same update queues nothing more (the event id is the update's)."""
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                event_id=event_id,
                payload=_with_actor(payload, update.actor_shown_to(org_id)),
                commitment=update.commitment,
                next_attempt_at=now,
                created_at=now,
            )
            for org_id, group in endpoints.items()
            for endpoint in group
        ],
        ignore_conflicts=True,
    )


def webhooks_status_changed(*, update: StatusUpdate, changed_owners: list[tuple[CommitmentOwner, str]]) -> None:
    """Queue `commitment.status_changed` for the owners' endpoints, in the status update's transaction.

    `followups.services.commitment_update_status` calls this. Safe to run twice (the event id is the update's).
    """
    commitment = update.commitment
    if not changed_owners and update.old_status == commitment.status:
        return  # a note on the timeline, not a change of status
    ownerships = list(CommitmentOwner.objects.filter(commitment=commitment).select_related("organisation"))
    endpoints = endpoints_by_org((o.organisation_id for o in ownerships), WebhookEvent.STATUS_CHANGED)
    if not endpoints:
        return
    previous = {o.pk: old for o, old in changed_owners}
    event_id = _event_id(f"{WebhookEvent.STATUS_CHANGED}:{update.pk}")
    payload = _status_update_payload(
        update,
        event=WebhookEvent.STATUS_CHANGED.value,
        event_id=event_id,
        commitment={"previous_status": update.old_status},
        owners=[
            {"organisation": o.organisation.ref, "status": o.status, "previous_status": previous.get(o.pk, o.status)}
            for o in sorted(ownerships, key=lambda o: o.organisation.ref)
        ],
        status_update={"owner": update.owner.ref if update.owner is not None else None, "status": update.new_status},
    )
    _queue_per_organisation(
        update, event=WebhookEvent.STATUS_CHANGED, event_id=event_id, payload=payload, endpoints=endpoints
    )


# --- Enqueue: deadlines approaching -------------------------------------------------------------------------------


def _approaching_payload(deadline: Deadline, *, days: int, moment: datetime, event_id: uuid.UUID) -> dict:
    commitment = deadline.commitment
    return {
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


def _approaching_wanted(
    deadline: Deadline, *, endpoints: list[WebhookEndpoint], now: datetime, general: list[ReminderPolicy]
) -> dict[tuple[int, uuid.UUID], WebhookDelivery]:
    """The deliveries one open deadline calls for: one per lead day still ahead, per endpoint of its owners."""
    wanted: dict[tuple[int, uuid.UUID], WebhookDelivery] = {}
    if not endpoints or not deadline.is_open or deadline.commitment.status in CLOSED_STATUSES:
        return wanted
    at = time.fromisoformat(settings.REMINDER_LOCAL_TIME)
    lead, _overdue = deadline.notice_days(general)
    for days in lead:
        moment = local_instant(day=deadline.due_on - timedelta(days=days), zone="UTC", at=at)
        if moment <= now:
            continue  # a lead moment already past is not sent: the partner reads its deadlines through the API
        event_id = _event_id(f"{WebhookEvent.DEADLINE_APPROACHING}:{deadline.pk}:{days}:{deadline.due_on}")
        payload = _approaching_payload(deadline, days=days, moment=moment, event_id=event_id)
        for endpoint in endpoints:
            wanted[(endpoint.pk, event_id)] = WebhookDelivery(
                endpoint=endpoint,
                event=WebhookEvent.DEADLINE_APPROACHING,
                event_id=event_id,
                payload=payload,
                commitment=deadline.commitment,
                deadline=deadline,
                next_attempt_at=moment,
                created_at=now,
            )
    return wanted


def webhooks_plan_deadlines(*, deadlines: Iterable[Deadline], now: datetime | None = None) -> None:
    """Write the `deadline.approaching` deliveries the deadlines call for, in the caller's transaction (an outbox).

    New ones are created; pending ones no longer wanted (deadline closed or moved, owner or endpoint gone) are
    cancelled; a cancelled one wanted again (a reopened deadline) is pending again. Safe to run twice.
    """
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
    endpoints = endpoints_by_org({org for orgs in owners.values() for org in orgs}, WebhookEvent.DEADLINE_APPROACHING)
    if not existing and not endpoints:
        return  # the usual case: nobody listens
    wanted: dict[tuple[int, uuid.UUID], WebhookDelivery] = {}
    if endpoints:
        rows = Deadline.objects.filter(pk__in=ids).select_related(
            "commitment__framework__reminder_policy", "reminder_policy"
        )
        general = ReminderPolicy.objects.general()  # read once for every deadline
        for deadline in rows:
            listening = [e for org in owners[deadline.commitment_id] for e in endpoints.get(org, [])]
            wanted.update(_approaching_wanted(deadline, endpoints=listening, now=now, general=general))
    _reconcile(existing, wanted, now=now)


def _reconcile(
    existing: dict[tuple[int, uuid.UUID], WebhookDelivery],
    wanted: dict[tuple[int, uuid.UUID], WebhookDelivery],
    *,
    now: datetime,
) -> None:
    """Cancel the pending rows no longer wanted, revive the cancelled ones wanted again, create the new ones."""
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


# --- Enqueue: a partner's reported completion, verified or returned ------------------------------------------------


def webhooks_completion_event(*, update: StatusUpdate, ownership: CommitmentOwner, event: str) -> None:
    """Queue `commitment.completion_reported`, `..._verified` or `..._returned` for the owners' endpoints, in the
    caller's transaction (followups.services.commitment_completion_*). Safe to run twice (the event id is the
    update's).
    """
    endpoints = endpoints_by_org(
        CommitmentOwner.objects.filter(commitment=update.commitment).values_list("organisation_id", flat=True), event
    )
    if not endpoints:
        return
    event_id = _event_id(f"{event}:{update.pk}")
    payload = _status_update_payload(
        update,
        event=event,
        event_id=event_id,
        commitment={},
        owner={
            "organisation": ownership.organisation.ref,
            "status": ownership.status,
            "awaiting_verification": ownership.completion_reported_at is not None,
        },
        status_update={"completion": update.completion},
    )
    _queue_per_organisation(update, event=event, event_id=event_id, payload=payload, endpoints=endpoints)
