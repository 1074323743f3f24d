"""A reminder's bytes from its distinct message's MIME template are the `email` package's own for that recipient.

The sender generates the MIME of each distinct message once and fills each recipient's values into its bytes
(followups.reminders.mime). Here every kind of message is built both ways and compared byte for byte: the bytes
Django's SMTP backend would have sent for the same message, given the same boundaries and Date (drawn at random
and at the time of sending by the package). Then a batch goes through a real SMTP server and what arrives is read.
"""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection

from agreements.models import Language
from followups.models import AnchorKind, Reminder, ReminderStatus
from followups.partner_links.links import partner_links_issue
from followups.reminders import emails, mime
from followups.reminders.sending import reminders_claim, reminders_send_batch
from tests import factories as f

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SENT_AT = datetime(2026, 5, 16, 14, 0, tzinfo=UTC)


def package_bytes(built: mime.Mail, data: bytes) -> bytes:
    """What Django's SMTP backend sends for `built`, with the boundaries and Date found in `data`."""
    msg = built.message().message()
    boundaries = re.findall(rb'boundary="([^"]+)"', data)
    multiparts = [part for part in msg.walk() if part.is_multipart()]
    assert len(boundaries) == len(multiparts)
    for part, boundary in zip(multiparts, boundaries, strict=True):
        part.set_boundary(boundary.decode())
    date_header = re.search(rb"\r\nDate: ([^\r]+)\r\n", data)
    assert date_header is not None
    msg.replace_header("Date", date_header.group(1).decode())
    return mime._as_bytes(msg)


def claimed_units(now: datetime) -> list[list[Reminder]]:
    units = [unit for _, batch in reminders_claim(now=now) for unit in batch]
    related = ("deadline__commitment__framework", "commitment__framework", "contact__organisation", "user")
    rows = Reminder.objects.select_related(*related, "user__staff_profile").in_bulk([pk for u in units for pk in u])
    return [[rows[pk] for pk in sorted(unit)] for unit in units]


def outgoing_and_package(units: list[list[Reminder]]) -> list[tuple[bytes, bytes]]:
    """Each unit's bytes through one batch's templates, and the package's for the same message."""
    rendered = emails.Rendered()
    wanted = [emails.links_wanted(rows) for rows in units]
    issued = iter(partner_links_issue(wanted=[w for w in wanted if w is not None]))
    pairs = []
    for rows, w in zip(units, wanted, strict=True):
        links = next(issued) if w is not None else None
        built = emails.reminder_mail(rows=rows, links=links, rendered=rendered)
        data = built.outgoing(rendered.mime).data
        pairs.append((data, package_bytes(built, data)))
    return pairs


def deadline_for(*contacts, due=date(2026, 6, 15), **kwargs):
    commitment = f.CommitmentFactory(contacts=list(contacts), **kwargs)
    with time_machine.travel(PLANNED, tick=False):
        return f.DeadlineFactory(
            commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=due, offset="", title="Conclude MoU"
        )


@pytest.mark.django_db
def test_every_recipient_of_a_deadline_gets_the_packages_bytes_in_their_language(settings):
    settings.REPLY_DOMAIN = "reply.example.org"  # a Reply-To per contact
    contacts = [
        f.ContactFactory(name="Ana Núñez", language=Language.SPANISH, time_zone="America/Lima"),
        f.ContactFactory(name="Bob Smith", language=Language.ENGLISH),
        f.ContactFactory(name="Zoë Brontë", language=Language.ENGLISH),  # a non-ASCII name in an ASCII body
        f.ContactFactory(name="Élise Martin", language=Language.FRENCH),
        f.ContactFactory(name="Carl Jones", language=Language.ENGLISH),
    ]
    deadline_for(*contacts)
    with time_machine.travel(SENT_AT, tick=False):
        pairs = outgoing_and_package(claimed_units(SENT_AT))
    assert len(pairs) == 5
    for data, expected in pairs:
        assert data == expected
    by_to = {message_from_bytes(data)["To"]: message_from_bytes(data) for data, _ in pairs}
    spanish = by_to[contacts[0].email]
    assert spanish["Content-Language"] == "es" and spanish["List-Unsubscribe"].strip().startswith("<http://")
    assert spanish["Reply-To"].endswith("@reply.example.org")
    assert "Ana Núñez" in text_part(spanish)
    assert by_to[contacts[2].email].get_payload()[0].get_payload()[0]["Content-Transfer-Encoding"] == "8bit"
    assert by_to[contacts[1].email].get_payload()[0].get_payload()[0]["Content-Transfer-Encoding"] == "7bit"


@pytest.mark.django_db
def test_digests_escalations_and_quiet_nudges_get_the_packages_bytes(settings):
    from followups.models import ContactReminderPreference

    settings.SITE_URL = "https://follow-up-tracker.ministry-of-mines.example.gov" + "/x" * 20  # long links fold
    contact = f.ContactFactory(name="Dana O'Neil <dev>", language=Language.FRENCH)
    ContactReminderPreference.objects.create(contact=contact, digest=True)
    deadline_for(contact, due=date(2026, 6, 18))
    deadline_for(contact, due=date(2026, 6, 19))
    coordinator = f.UserFactory(first_name="Jürgen", last_name="Groß", email="coord@example.org")
    quiet = f.CommitmentFactory(contacts=[contact])
    Reminder.objects.create(
        commitment=quiet, user=coordinator, kind=f"quiet_{quiet.last_update:%Y%m%d}_1", escalation=False,
        due_at=PLANNED, next_attempt_at=PLANNED,
    )  # fmt: skip
    overdue = deadline_for(f.ContactFactory(), due=date(2026, 5, 1))
    Reminder.objects.create(
        deadline=overdue, commitment=overdue.commitment, user=coordinator, kind="overdue_7", escalation=True,
        due_at=PLANNED, next_attempt_at=PLANNED,
    )  # fmt: skip
    monday = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
    Reminder.objects.exclude(user=coordinator).exclude(contact=contact).update(
        next_attempt_at=datetime(2027, 1, 1, tzinfo=UTC)
    )
    with time_machine.travel(monday, tick=False):
        units = claimed_units(monday)
        pairs = outgoing_and_package(units)
    assert sorted(len(u) for u in units) == [1, 1, 2]
    for data, expected in pairs:
        assert data == expected
    received = [message_from_bytes(data) for data, _ in pairs]
    assert "Dana O&#x27;Neil &lt;dev&gt;" in html_part(next(m for m in received if m["To"] == contact.email))
    assert not any(m.get_content_type() == "multipart/mixed" for m in received if "quiet" in str(m["Message-ID"]))


def test_values_the_template_cannot_hold_go_through_the_package():
    """A line break in a value, a line over 998 octets: the package writes them its own way (CRLF, quoted-printable);
    the sender then asks it for that recipient's message."""

    def built(name: str) -> mime.Mail:
        return mime.Mail(
            subject="Reminder",
            text=f"Hello {mime.mark('name')},\nplain\n",
            html=f"<p>Hello {mime.mark('name')}</p>",
            to="a@example.org",
            headers={"Message-ID": "<m.1@example.org>"},
            values={"name": name},
            calendars=[("DL-1.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")],
        )

    templates = mime.Templates()
    for name in ["Ann", "Ann\nBee", "A" * 1200, "Zoë", "Ann"]:
        data = built(name).outgoing(templates).data
        assert data == package_bytes(built(name), data)
    assert b"quoted-printable" in built("A" * 1200).outgoing(templates).data


def text_part(message: Message) -> str:
    return part_text(message, "text/plain")


def html_part(message: Message) -> str:
    return part_text(message, "text/html")


def part_text(message: Message, content_type: str) -> str:
    payload = next(p for p in message.walk() if p.get_content_type() == content_type).get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


class Recorder:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope.original_content)
        return "250 OK"


@pytest.mark.django_db(transaction=True)
def test_a_batch_over_smtp_one_statement_a_mail(settings, django_assert_max_num_queries):
    """Through a real SMTP server, outside any transaction (as in a worker): each mail's rows are marked and locked
    by one statement that also commits the previous mail's (the last commit closes the batch)."""
    recorder = Recorder()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Controller(recorder, hostname="127.0.0.1", port=port)
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        contacts = [f.ContactFactory(language=Language.SPANISH) for _ in range(20)]
        deadline_for(*contacts)
        with time_machine.travel(SENT_AT, tick=False):
            [(token, units)] = reminders_claim(now=SENT_AT)
            assert not connection.in_atomic_block
            # The batch's rows, its checks (4), the signed links (renewal; BEGIN, INSERT, COMMIT); then one statement
            # a mail (COMMIT of the previous one; BEGIN; UPDATE ... RETURNING) and the last COMMIT.
            with django_assert_max_num_queries(9 + 20 + 1):
                assert reminders_send_batch(units=units, token=token) == {ReminderStatus.SENT: 20}
    finally:
        server.stop()
    assert len(recorder.received) == 20
    rows = {r.contact.email: r for r in Reminder.objects.filter(status=ReminderStatus.SENT).select_related("contact")}
    assert len(rows) == 20
    for data in recorder.received:
        message = message_from_bytes(data)
        row = rows[message["To"]]
        assert message["Message-ID"] == row.message_id and message["Content-Language"] == "es"
        assert "quedan 30 días" in str(make_header(decode_header(message["Subject"])))
        assert "/partner/report/pl_" in text_part(message) and "/partner/report/pl_" in html_part(message)
        assert message["List-Unsubscribe"].strip().endswith("unsubscribe/>")


@pytest.mark.parametrize(
    "address",
    ["a@example.org", "A.B-c+d@Sub.Example.ORG", "o'neil@example.org", "a..b@example.org", '"q"@example.org',
     "Ann <a@example.org>", "josé@example.org", "a@exämple.org", ".a@example.org", "a@" + "x" * 64 + ".org"],
)  # fmt: skip
def test_envelope_addresses_are_djangos(address):
    from django.core.mail.message import sanitize_address

    def outcome(fn):
        try:
            return fn(address)
        except ValueError as exc:  # refused alike
            return type(exc)

    assert outcome(mime.envelope_address) == outcome(lambda a: sanitize_address(a, "utf-8"))


@pytest.mark.parametrize(
    "value",
    ["Sat, 16 May 2026 14:00:00 -0000", "<reminder.1.20260516T1400@example.org>", "x" * 80, "a  b", " a", "a ",
     "a\tb", "a;b, c", "é", "<http://127.0.0.1:8000/partner/preferences/pl_9418b737_EQtX1lpXc7F2nMbY/unsubscribe/>"],
)  # fmt: skip
def test_header_values_are_folded_as_the_package_does(value):
    from email import policy

    from django.core.mail.message import forbid_multi_line_headers

    def package(name: str) -> bytes:
        checked_name, checked = forbid_multi_line_headers(name, value, "utf-8")
        return policy.compat32.clone(linesep="\r\n").fold_binary(checked_name, checked)[len(name) + 2 : -2]

    for name in ("To", "Date", "List-Unsubscribe"):
        try:
            expected: bytes | type = package(name)
        except ValueError as exc:  # not an address: refused alike
            expected = type(exc)
        try:
            got: bytes | type = mime._folded(name, value)
        except ValueError as exc:
            got = type(exc)
        assert got == expected
