from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.files import RestoreError, evidence_import


class Command(BaseCommand):
    help = "Put the evidence files of a backup FOLDER back into the storage, checked by sha256; `make restore`."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        try:
            written = evidence_import(folder=folder)
        except (RestoreError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{written} evidence files restored from {folder}")
