"""Celery tasks: thin interfaces to followups.reminders and followups.webhooks; they take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="followups.tasks.reminders_tick", ignore_result=True)
def reminders_tick() -> int:
    """Beat runs this every minute: claim due reminders and queue one send task per batch."""
    from followups import reminders

    return reminders.reminders_tick()


@shared_task(name="followups.tasks.reminders_send_batch", ignore_result=True, acks_late=True)
def reminders_send_batch(units: list[list[int]], token: str) -> dict[str, int]:
    """Send one claimed batch over one SMTP connection (rows no longer claimed with `token` are left alone)."""
    from followups import reminders

    return reminders.reminders_send_batch(units=units, token=token)


@shared_task(name="followups.tasks.webhooks_tick", ignore_result=True)
def webhooks_tick() -> int:
    """Beat runs this at the reminders' interval: claim due webhook deliveries and queue one task per batch."""
    from followups import webhooks

    return webhooks.webhooks_tick()


@shared_task(name="followups.tasks.webhooks_send_batch", ignore_result=True, acks_late=True)
def webhooks_send_batch(ids: list[int], token: str) -> dict[str, int]:
    """POST one claimed batch of webhook deliveries (rows no longer claimed with `token` are left alone)."""
    from followups import webhooks

    return webhooks.webhooks_send_batch(ids=ids, token=token)
