"""The reminders' part of a commitment's timeline: which reminders went out, and which failed."""

from __future__ import annotations

from followups.models import Commitment, Reminder, ReminderStatus
from followups.timeline import TimelineEntry


def reminder_timeline_entries(commitment: Commitment) -> list[TimelineEntry]:
    """Reminders sent or failed for the commitment, for its timeline (followups.selectors.commitment_timeline)."""
    rows = (
        Reminder.objects.filter(
            deadline__commitment=commitment, status__in=[ReminderStatus.SENT, ReminderStatus.FAILED]
        )
        .select_related("deadline", "contact", "user")
        .order_by("-updated_at")[:200]
    )
    return [
        TimelineEntry(
            kind="reminder",
            when=row.sent_at or row.updated_at,
            who="system",
            title=f"Reminder {row.kind.replace('_', ' ')} {row.get_status_display().lower()} to {row.recipient_label}",
            detail=row.last_error,
            status=row.status,
        )
        for row in rows
    ]
