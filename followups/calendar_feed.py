"""The personal iCal feed: a secret URL per staff user (stored as a sha256 hash, shown once, revocable).

Outlook and Google Calendar subscribe to the URL without logging in, so the token is the only credential:
48 random bytes, compared by hash, replaced when reissued and blanked when revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from agreements.models import StaffProfile
from followups.models import Deadline


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token_issue(*, user: User) -> str:
    """Issue a new feed token for `user` and return it (only its hash is kept). Replaces any earlier token."""
    token = secrets.token_urlsafe(48)
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    profile.calendar_token_hash = _hash(token)
    profile.save(update_fields=["calendar_token_hash"])
    return token


def calendar_token_revoke(*, user: User) -> None:
    """Stop the user's feed URL from working. Safe to run twice."""
    StaffProfile.objects.filter(user=user).update(calendar_token_hash="")


def calendar_token_user(*, token: str) -> User | None:
    """The active user a feed token belongs to, or None."""
    if not token or len(token) > 128:
        return None
    profile = (
        StaffProfile.objects.select_related("user")
        .filter(calendar_token_hash=_hash(token), user__is_active=True)
        .first()
    )
    return profile.user if profile else None


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545, 3.1), never inside a UTF-8 sequence."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def deadlines_ics(deadlines: Iterable[Deadline], *, name: str, stamp: datetime | None = None) -> str:
    """An iCalendar document with one all-day event per deadline (due dates are calendar dates)."""
    stamp = (stamp or timezone.now()).astimezone(UTC)
    dtstamp = stamp.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Follow-up tracker//Critical Minerals Ministerial//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
    ]
    for d in deadlines:
        c = d.commitment
        url = settings.SITE_URL + reverse("followups:commitment_detail", args=[c.ref])
        state = "" if d.is_open else (" (completed)" if d.completed_on else " (cancelled)")
        summary = f"{c.ref} due{state}: {d.title or c.title}"[:250]
        description = "\n".join([c.title, f"Framework: {c.framework}", f"Rule: {d.rule_text}", url])
        lines += [
            "BEGIN:VEVENT",
            f"UID:{d.ref}@followup-tracker",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{d.due_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{d.due_on + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
