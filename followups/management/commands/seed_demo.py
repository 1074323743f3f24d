import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from followups.demo import DEMO_PASSWORD, demo_seed
from followups.loader import DEFAULT_PATH, LoadError


class Command(BaseCommand):
    help = "Add the demo: one account per role, made-up example.org contacts and a few projects (never in production)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help="the dataset the demo builds on")

    def handle(self, *args, path: str, **options):
        try:
            with open(path, encoding="utf-8") as handle:
                dataset = json.load(handle)
            report, accounts = demo_seed(dataset=dataset)
        except (OSError, json.JSONDecodeError, LoadError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write("")
        self.stdout.write(f"The tracker: {settings.SITE_URL}/   (data entry: {settings.SITE_URL}/admin/)")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD} for each):")
        for account in accounts:
            self.stdout.write(f"  {account.username:<12} {account.role.label}")
