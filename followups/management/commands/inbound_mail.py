"""Read one e-mail on standard input and keep it if it is a contact's reply to a reminder (docs/reply-by-email.md).

The mail server pipes what arrives at reply+*@REPLY_DOMAIN here, e.g. Postfix's master.cf:
  tracker-reply unix - n n - - pipe user=tracker argv=/srv/tracker/.venv/bin/python manage.py inbound_mail ${recipient}
Exit status 0 whether the message was kept or dropped (a bounce would tell a stranger which addresses exist).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from followups.partner_links.inbound import inbound_reply_receive


class Command(BaseCommand):
    help = "Keep a contact's e-mail reply to a reminder (read from standard input), awaiting staff review."
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests, as createsuperuser does

    def add_arguments(self, parser) -> None:
        parser.add_argument("recipients", nargs="*", help="The envelope recipients, as the mail server gives them.")

    def handle(self, *args, recipients: list[str], **options) -> None:
        stdin = options.get("stdin") or sys.stdin
        raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        reply = inbound_reply_receive(raw=raw if isinstance(raw, bytes) else raw.encode(), recipients=recipients)
        self.stdout.write(f"kept reply {reply.pk} on {reply.commitment.ref}" if reply else "dropped")
