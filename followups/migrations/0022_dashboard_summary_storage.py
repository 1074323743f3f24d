"""The dashboard's summary tables are a few thousand counters that every change rewrites (`n = n + delta`): on
PostgreSQL their pages keep room for the new version of a row (fillfactor), so an update stays on its page and no
index entry is added (n is in no index), and autovacuum visits them after a few hundred changes instead of a fifth
of the table. Measured on 1,000,000 commitments after the rebuild of 0019: 15,033 live rows of
`followups_dashboardcommitmentdue` under 1,154,199 dead ones, and the dashboard's read of it 107 ms (2 ms after a
VACUUM). Other databases: nothing to do."""

from django.db import migrations

COUNTERS = (
    "followups_dashboardcommitmentcount",
    "followups_dashboardcommitmentdue",
    "followups_dashboardcommitmentactivity",
    "followups_dashboarddeadlineday",
)
CONTRIBUTIONS = "followups_dashboardcontribution"


def storage_set(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in COUNTERS:
        schema_editor.execute(
            f"ALTER TABLE {table} SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,"
            " autovacuum_vacuum_threshold = 500, autovacuum_analyze_scale_factor = 0,"
            " autovacuum_analyze_threshold = 500)"
        )
    # One row per commitment, rewritten when it changes: room on its page keeps the update in place.
    schema_editor.execute(f"ALTER TABLE {CONTRIBUTIONS} SET (fillfactor = 80)")


def storage_reset(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in COUNTERS:
        schema_editor.execute(
            f"ALTER TABLE {table} RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,"
            " autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)"
        )
    schema_editor.execute(f"ALTER TABLE {CONTRIBUTIONS} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("followups", "0021_deadline_open_due_on_ref")]

    operations = [migrations.RunPython(storage_set, storage_reset)]
