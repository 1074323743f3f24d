"""Run one reminder tick by hand: claim what is due and hand it to the workers (or send it here)."""

from django.core.management.base import BaseCommand

from followups import services
from followups.reminders import planner, sending


class Command(BaseCommand):
    help = "Run one reminder tick: claim the due reminders and queue them for the workers (--inline: send here)."

    def add_arguments(self, parser):
        parser.add_argument("--inline", action="store_true", help="Send in this process instead of queuing.")
        parser.add_argument(
            "--plan",
            action="store_true",
            help="First plan the reminders of every deadline, then what the hourly planning adds (review deadlines, "
            "overdue repeats, weekly digests, quiet-commitment nudges).",
        )

    def handle(self, *args, inline: bool, plan: bool, **options):
        if plan:
            count = planner.reminders_plan_all()
            self.stdout.write(f"Planned the reminders of {count} deadlines.")
            overdue = services.reminders_plan_hourly()
            self.stdout.write(f"Planned the repeats of {overdue} overdue deadlines and the quiet commitments' nudges.")
        claimed = sending.reminders_tick(inline=inline)
        self.stdout.write(f"{claimed} reminders {'sent or recorded' if inline else 'handed to the workers'}.")
