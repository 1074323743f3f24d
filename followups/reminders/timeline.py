"""The reminders' part of a commitment's timeline: which reminders went out, and which failed."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy, ngettext_lazy

from followups.models import Commitment, Reminder, ReminderStatus
from followups.reminders.acks import reminders_about_q
from followups.timeline import TimelineEntry


def reminder_timeline_entries(commitment: Commitment, deadline_ids: Iterable[int] | None = None) -> list[TimelineEntry]:
    """Reminders sent or failed for the commitment, for its timeline (followups.selectors.commitment_timeline,
    which knows the ids of the commitment's deadlines from their history)."""
    about = reminders_about_q(commitment, deadline_ids)
    rows = (
        Reminder.objects.filter(about, status__in=[ReminderStatus.SENT, ReminderStatus.FAILED])
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


def _recipient(row: Reminder) -> str:
    """The recipient as people know them: "Ana Example (ana@example.org)"."""
    if row.contact is not None:
        name, email = row.contact.name, row.contact.email
    elif row.user is not None:
        name, email = row.user.get_full_name() or row.user.get_username(), row.user.email
    else:
        return ""
    return f"{name} ({email})" if name and email and name != email else str(name or email)


def _days(kind: str, prefix: str) -> int:
    try:
        return int(kind.removeprefix(prefix))
    except ValueError:
        return 0


# Each entry as a whole sentence (so that translators can make the words agree), by kind of reminder and whether it
# went out: "Reminder sent to Ana Example (ana@example.org), 7 days before the due date.".
_SENTENCES = {
    ("quiet", True): gettext_lazy("Nudge sent to %(recipient)s: no update for a while."),
    ("quiet", False): gettext_lazy("Nudge to %(recipient)s (no update for a while) could not be sent."),
    ("before", True): ngettext_lazy(
        "Reminder sent to %(recipient)s, %(n)d day before the due date.",
        "Reminder sent to %(recipient)s, %(n)d days before the due date.",
        "n",
    ),
    ("before", False): ngettext_lazy(
        "Reminder to %(recipient)s, %(n)d day before the due date, could not be sent.",
        "Reminder to %(recipient)s, %(n)d days before the due date, could not be sent.",
        "n",
    ),
    ("overdue", True): ngettext_lazy(
        "Overdue notice sent to %(recipient)s, %(n)d day after the due date.",
        "Overdue notice sent to %(recipient)s, %(n)d days after the due date.",
        "n",
    ),
    ("overdue", False): ngettext_lazy(
        "Overdue notice to %(recipient)s, %(n)d day after the due date, could not be sent.",
        "Overdue notice to %(recipient)s, %(n)d days after the due date, could not be sent.",
        "n",
    ),
    ("escalation", True): ngettext_lazy(
        "Escalation sent to %(recipient)s, %(n)d day after the due date.",
        "Escalation sent to %(recipient)s, %(n)d days after the due date.",
        "n",
    ),
    ("escalation", False): ngettext_lazy(
        "Escalation to %(recipient)s, %(n)d day after the due date, could not be sent.",
        "Escalation to %(recipient)s, %(n)d days after the due date, could not be sent.",
        "n",
    ),
    ("repeat", True): gettext_lazy("Overdue notice repeated (number %(n)d) to %(recipient)s."),
    ("repeat", False): gettext_lazy("Overdue notice repeated (number %(n)d) to %(recipient)s could not be sent."),
}


def _title(row: Reminder) -> str:
    """The entry as a sentence in the reader's language, naming the recipient."""
    kind = row.kind.split(":", 1)[-1]  # "o2:before_7" is a later occurrence's; the sentence is the same
    if row.is_quiet_nudge:
        key, n = "quiet", 0
    elif kind.startswith("before_"):
        key, n = "before", _days(kind, "before_")
    elif kind.startswith("overdue_repeat_"):
        key, n = "repeat", _days(kind, "overdue_repeat_")
    else:
        key, n = ("escalation" if row.escalation else "overdue"), _days(kind, "overdue_")
    sentence = _SENTENCES[(key, row.status == ReminderStatus.SENT)]
    return str(sentence % {"recipient": _recipient(row), "n": n})
