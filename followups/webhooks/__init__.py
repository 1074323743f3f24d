"""Partners' webhooks: signed notifications through a durable outbox.

The folder: `models` (endpoints, the delivery outbox), `endpoints` (register, change, delete), `planner` (which
deliveries a change calls for), `sending` (tick, claim, POST, resend), `api` and `admin` (thin doors).

A partner registers a URL for its organisation (`webhook_endpoint_register`, through the API) and receives a POST
when a commitment its organisation owns changes status, or when one of their deadlines is near. Every notification
is a `WebhookDelivery` row written in the transaction of the change that calls for it, so a change that rolls back
notifies nobody and a committed one is never lost; a tick and workers send the rows, as for the reminders
(DESIGN.md, "Reminders: the database is the queue").

What is sent, and when
- `commitment.status_changed`: `followups.services.commitment_update_status` calls `planner.webhooks_status_changed`
  when the commitment's overall status or an owner's status changed. Every active endpoint subscribed to the
  event, of every organisation owning the commitment, gets one delivery.
- `deadline.approaching`: planned ahead, not detected by the reminder tick. `planner.webhooks_plan_deadlines` (called by
  `followups.services.deadlines_changed` beside the reminder planner) writes a PENDING delivery for each of the
  deadline's lead days (`Deadline.notice_days`: the deadline's policy, its framework's, or the priority default),
  due at REMINDER_LOCAL_TIME in UTC on that day (an organisation has no time zone).
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
`webhook_signature`, and the partner guide (README.md, "Partner API").
"""
