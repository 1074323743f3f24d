"""Rebuild every commitment's next due date (Commitment.next_due_on) from its deadlines, or check it.

    manage.py next_due_refresh           # recompute, in one transaction; prints how many changed
    manage.py next_due_refresh --check   # change nothing; exit status 1 and the references if any is stale

The services keep the column in the transaction of each change; this is for a repair after data was written
around them (raw SQL, a restore) and for monitoring.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from followups.next_due import commitments_next_due_refresh, commitments_next_due_stale


class Command(BaseCommand):
    help = "Recompute (or, with --check, verify) every commitment's next due date from its open deadlines."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Change nothing; fail if any date is stale.")

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            stale = list(commitments_next_due_stale().order_by("ref").values_list("ref", flat=True)[:20])
            if stale:
                raise CommandError(f"next due date stale for {', '.join(stale)}")
            self.stdout.write("next due dates: all as their deadlines give them")
            return
        with transaction.atomic():
            changed = commitments_next_due_refresh()
        self.stdout.write(f"next due dates recomputed: {changed} changed")
