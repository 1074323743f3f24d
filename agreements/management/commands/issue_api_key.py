"""Issue a partner API key: `python manage.py issue_api_key ORG-AR --name "ERP sync" [--expires-in 365]`.

The key is printed once, on standard output alone (so that it can be piped into a secret store); only its
hash is kept.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agreements.models import Organisation
from agreements.partner_access import DEFAULT_LIFETIME_DAYS, api_key_issue


class Command(BaseCommand):
    help = "Issue an API key for a partner organisation and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="The organisation's reference, e.g. ORG-AR.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'ERP sync'.")
        parser.add_argument(
            "--expires-in",
            type=int,
            default=DEFAULT_LIFETIME_DAYS,
            metavar="DAYS",
            help=f"Days until the key expires (default {DEFAULT_LIFETIME_DAYS}).",
        )

    def handle(self, *args, organisation: str, name: str, expires_in: int, **options) -> None:
        org = Organisation.objects.filter(ref=organisation).first()
        if org is None:
            raise CommandError(f"No organisation with reference {organisation!r}.")
        if not org.is_active:
            raise CommandError(f"{org.ref} is deactivated; its keys would not work.")
        try:
            key, raw = api_key_issue(organisation=org, name=name, expires_in_days=expires_in)
        except ValidationError as exc:
            raise CommandError("; ".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
        self.stderr.write(
            f"Issued key {key.prefix}… '{key.name}' for {org.ref}, valid until {key.expires_at:%Y-%m-%d %H:%M} UTC. "
            "It is shown once, below; only its hash is kept."
        )
        self.stdout.write(raw)
