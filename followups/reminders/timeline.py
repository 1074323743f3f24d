"""The reminders' part of a commitment's timeline: which reminders went out, and which failed."""

from __future__ import annotations

from django.db.models import Q

from followups.models import Commitment, Reminder, ReminderStatus
from followups.timeline import TimelineEntry


def reminder_timeline_entries(commitment: Commitment) -> list[TimelineEntry]:
    """Reminders sent or failed for the commitment, for its timeline (followups.selectors.commitment_timeline)."""
    rows = (
        Reminder.objects.filter(
            # A quiet-commitment nudge has no deadline, only its commitment.
            Q(deadline__commitment=commitment) | Q(commitment=commitment, deadline__isnull=True),
            status__in=[ReminderStatus.SENT, ReminderStatus.FAILED],
        )
        .select_related("deadline", "contact", "user")
        .order_by("-updated_at")[:200]
    )
    return [
        TimelineEntry(
            kind="reminder",
            when=row.sent_at or row.updated_at,
            who="system",
            title=_title(row),
            detail=row.last_error,
            status=row.status,
        )
        for row in rows
    ]


def _title(row: Reminder) -> str:
    what = "Nudge (no update for a while)" if row.is_quiet_nudge else f"Reminder {row.kind.replace('_', ' ')}"
    return f"{what} {row.get_status_display().lower()} to {row.recipient_label}"
