from django.core.management.base import BaseCommand, CommandError

from followups.loader import DEFAULT_PATH, LoadError, load_file


class Command(BaseCommand):
    help = (
        "Load a dataset in the format of data/ministerial.json (default: the copy the project ships). "
        "All or nothing: a bad file is rejected with each record's id and the reason. Run again, it changes only "
        "what nobody changed in the tracker since the last load; conflicts are listed (and at /imports/conflicts/)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help="the JSON file to load")

    def handle(self, *args, path: str, **options):
        try:
            report = load_file(path)
        except LoadError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"Loaded {path}")
        for line in report.lines():
            self.stdout.write(f"  {line}")
