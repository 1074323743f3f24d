"""Partners' signed links: a point of contact with a commitment and a deadline, the reminder they receive, and a
real SMTP server on loopback that keeps whole messages (headers and body), as the partner's mailbox would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message

import pytest
import time_machine
from django.core import mail

from agreements.models import Language
from followups.models import AnchorKind
from followups.reminders.sending import reminders_tick
from tests import factories as f
from tests.reliability.conftest import SmtpHandler, SmtpServer

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# The 30-day reminder of a deadline due on 15 June 2026 goes out on 16 May, 09:00 in the contact's zone (UTC).
FIRST_REMINDER = datetime(2026, 5, 16, 9, 0, tzinfo=UTC)
LINK = re.compile(r"http://127\.0\.0\.1:8000(/partner/report/[^\s/]+/)")
PREFERENCES = re.compile(r"http://127\.0\.0\.1:8000(/partner/preferences/[^\s/]+/)")


@dataclass
class Partner:
    """An Argentine ministry official responsible for one commitment their country owes, with a deadline."""

    contact: object
    commitment: object
    deadline: object
    country: object
    other: object  # another party owing the same commitment


@pytest.fixture
def clock() -> Iterator[None]:
    """The test runs an hour after the first reminder (links are valid for 30 days from then); a test travels
    further inside this when it needs to."""
    with time_machine.travel(FIRST_REMINDER + timedelta(hours=1), tick=False):
        yield


@pytest.fixture
def partner(db, clock) -> Partner:
    argentina = f.OrganisationFactory(ref="ORG-T-AR", name="Argentina")
    ministry = f.OrganisationFactory(
        ref="ORG-T-AR-MIN", name="Ministerio de Economía", kind="ministry", parent=argentina
    )
    peru = f.OrganisationFactory(ref="ORG-T-PE", name="Peru")
    contact = f.ContactFactory(
        ref="CON-T-AR", name="Lucía Pérez", organisation=ministry, language=Language.SPANISH, email="lucia@example.org"
    )
    commitment = f.CommitmentFactory(owners=[argentina, peru], contacts=[contact])
    with time_machine.travel(PLANNED, tick=False):
        deadline = f.DeadlineFactory(
            commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=date(2026, 6, 15), offset="", title="MoU"
        )
    return Partner(contact, commitment, deadline, argentina, peru)


def reminder_for(partner: Partner, at: datetime = FIRST_REMINDER):
    """Run the tick at `at` and return the e-mail the partner's contact received (locmem backend)."""
    with time_machine.travel(at, tick=False):
        reminders_tick(inline=True)
    return next(m for m in mail.outbox if m.to == [partner.contact.email])


def report_path(message) -> str:
    return LINK.search(message.body).group(1)


def preferences_path(message) -> str:
    return PREFERENCES.search(message.body).group(1)


@dataclass
class KeepingHandler(SmtpHandler):
    """Keeps each accepted message whole."""

    whole: list[Message] = field(default_factory=list)
    raw: list[tuple[list[str], bytes]] = field(default_factory=list)  # (envelope recipients, the bytes)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.whole.append(message_from_bytes(envelope.content, policy=policy.default))
            self.raw.append((list(envelope.rcpt_tos), envelope.content))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_mailbox(settings) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that the application sends to (Django's SMTP backend)."""
    server = SmtpServer()
    server.handler = KeepingHandler()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
