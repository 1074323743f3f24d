"""A reminder on a commitment's timeline reads as a sentence in the reader's language and names its recipient
(issue 12, item 3): never "Reminder Reminder before 7 sent to ..." nor "Rappel Reminder before 7 envoyé to ..."."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from followups.models import Reminder, ReminderStatus
from followups.reminders.timeline import reminder_timeline_entries
from tests import factories as f

pytestmark = pytest.mark.django_db


def sent(kind: str, status: str = ReminderStatus.SENT, **extra) -> Reminder:
    commitment = f.CommitmentFactory()
    contact = f.ContactFactory(name="Ana Example", email="ana@example.org")
    deadline = f.DeadlineFactory(commitment=commitment)
    now = timezone.now()
    return Reminder.objects.create(
        deadline=deadline, contact=contact, kind=kind, due_at=now, next_attempt_at=now, status=status, **extra
    )


def title(reminder: Reminder, language: str) -> str:
    commitment = reminder.deadline.commitment
    with translation.override(language):
        (entry,) = reminder_timeline_entries(commitment)
    return entry.title


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Reminder sent to Ana Example (ana@example.org), 7 days before the due date."),
        ("es", "Recordatorio enviado a Ana Example (ana@example.org), 7 días antes de la fecha límite."),
        ("fr", "Rappel envoyé à Ana Example (ana@example.org), 7 jours avant l’échéance."),
    ],
)
def test_a_reminder_sent_is_a_sentence_in_the_readers_language(language, expected):
    assert title(sent("before_7"), language) == expected


def test_one_day_an_overdue_notice_an_escalation_and_a_failure_each_read_right():
    assert title(sent("before_1"), "en") == "Reminder sent to Ana Example (ana@example.org), 1 day before the due date."
    assert title(sent("o2:overdue_3"), "fr") == (
        "Avis de retard envoyé à Ana Example (ana@example.org), 3 jours après l’échéance."
    )
    assert title(sent("overdue_7", escalation=True), "es") == (
        "Escalamiento enviado a Ana Example (ana@example.org), 7 días después de la fecha límite."
    )
    assert title(sent("before_30", status=ReminderStatus.FAILED), "fr") == (
        "Le rappel à Ana Example (ana@example.org), 30 jours avant l’échéance, n’a pas pu être envoyé."
    )
