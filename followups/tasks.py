"""Celery tasks: thin interfaces to the reminder and webhook outboxes; they take ids and are safe to run twice.

The task names are part of the deployed beat schedule and of messages already queued: they stay as they are.
"""

from __future__ import annotations

from celery import shared_task

from followups.reminders import sending as reminders_sending
from followups.webhooks import sending as webhooks_sending


@shared_task(name="followups.tasks.reminders_tick", ignore_result=True)
def reminders_tick() -> int:
    """Beat runs this every minute: claim due reminders and queue one send task per batch."""
    return reminders_sending.reminders_tick()


@shared_task(name="followups.tasks.reminders_send_batch", ignore_result=True, acks_late=True)
def reminders_send_batch(units: list[list[int]], token: str) -> dict[str, int]:
    """Send one claimed batch over one SMTP connection (rows no longer claimed with `token` are left alone)."""
    return reminders_sending.reminders_send_batch(units=units, token=token)


@shared_task(name="followups.tasks.reminders_plan_daily", ignore_result=True)
def reminders_plan_daily() -> int:
    """Beat runs this hourly: review deadlines, then overdue repeats, weekly digests and quiet nudges planned ahead."""
    from followups import services  # the task is only an interface

    return services.reminders_plan_hourly()


@shared_task(name="followups.tasks.webhooks_tick", ignore_result=True)
def webhooks_tick() -> int:
    """Beat runs this at the reminders' interval: claim due webhook deliveries and queue one task per batch."""
    return webhooks_sending.webhooks_tick()


@shared_task(name="followups.tasks.webhooks_send_batch", ignore_result=True, acks_late=True)
def webhooks_send_batch(ids: list[int], token: str) -> dict[str, int]:
    """POST one claimed batch of webhook deliveries (rows no longer claimed with `token` are left alone)."""
    return webhooks_sending.webhooks_send_batch(ids=ids, token=token)
