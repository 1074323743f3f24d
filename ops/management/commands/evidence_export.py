from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.files import RestoreError, evidence_export


class Command(BaseCommand):
    help = "Copy every evidence file from the storage into FOLDER (with a sha256 manifest); used by `make backup`."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            hashes = evidence_export(folder=folder)
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(hashes)} evidence files copied into {folder}")
