from django.core.management.base import BaseCommand

from followups.summary.counts import dashboard_summary_rebuild, dashboard_summary_snapshot, dashboard_summary_vacuum


class Command(BaseCommand):
    help = (
        "Count every commitment and deadline again into the dashboard's summaries (they are kept by the services; "
        "this is for a restore or a check). --check only says whether the kept summaries equal a rebuild."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare with a rebuild, change nothing")

    def handle(self, *args, check: bool = False, **options):
        from django.db import transaction

        if not check:
            n = dashboard_summary_rebuild()
            self.stdout.write(f"Counted {n} commitments into the dashboard's summaries.")
            if dashboard_summary_vacuum():
                self.stdout.write("Vacuumed the summary tables (the rebuild rewrote their counters).")
            return
        kept = dashboard_summary_snapshot()
        with transaction.atomic():
            dashboard_summary_rebuild()
            rebuilt = dashboard_summary_snapshot()
            transaction.set_rollback(True)
        differ = sorted(t for t in kept if kept[t] != rebuilt[t])
        if differ:
            self.stdout.write(f"The kept summaries differ from a rebuild in: {', '.join(differ)}.")
            raise SystemExit(1)
        self.stdout.write("The kept summaries equal a rebuild.")
