"""A deadline as an iCalendar (RFC 5545) all-day event, attached to reminder e-mails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from followups.models import Deadline


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold at 75 octets (RFC 5545, 3.1), never inside a UTF-8 sequence."""
    if len(line.encode()) <= 75:  # most lines: nothing to fold
        return line
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def deadline_ics(*, deadline: Deadline, summary: str, url: str) -> str:
    """One VEVENT on the due date; its UID is stable so calendars update rather than duplicate it."""
    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "tracker"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Follow-up tracker//Reminders//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:deadline-{deadline.ref}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{deadline.due_on:%Y%m%d}",
        f"DTEND;VALUE=DATE:{deadline.due_on + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
        f"URL:{url}",
        f"DESCRIPTION:{_escape(url)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
