"""A snapshot of every row of our apps' tables, to show that a request changed nothing."""

from __future__ import annotations

from django.apps import apps
from django.forms.models import model_to_dict

# last_used_at of a key moves on use; it is bookkeeping, not data a partner could change.
IGNORED = {("agreements", "apikey"): {"last_used_at"}}
# What each organisation could see, followed for the changes feed from its first request: bookkeeping too.
IGNORED_MODELS = {("followups", "syncaudience"), ("followups", "syncscopeentry"), ("followups", "syncchange")}


def _models(app_label: str) -> list:
    return [
        m for m in apps.get_app_config(app_label).get_models() if (app_label, m._meta.model_name) not in IGNORED_MODELS
    ]


def database_snapshot() -> dict[str, list[dict]]:
    snapshot: dict[str, list[dict]] = {}
    for app_label in ("agreements", "followups"):
        for model in _models(app_label):
            ignored = IGNORED.get((app_label, model._meta.model_name), set())
            fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ignored]
            rows = list(model._default_manager.order_by("pk").values(*fields))
            m2m = [f.name for f in model._meta.many_to_many]
            if m2m:
                for row, obj in zip(rows, model._default_manager.order_by("pk"), strict=True):
                    row.update({k: sorted(str(v) for v in vals) for k, vals in model_to_dict(obj, fields=m2m).items()})
            snapshot[model._meta.label] = rows
    return snapshot


def database_fingerprint() -> dict[str, str]:
    """A digest of every table of our apps and of the history tables, one query per table (for fuzzing)."""
    from django.db import connection

    digests = {}
    with connection.cursor() as cursor:
        for app_label in ("agreements", "followups"):
            for model in _models(app_label):
                table = model._meta.db_table
                ignored = IGNORED.get((app_label, model._meta.model_name), set())
                columns = ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields if f.attname not in ignored)
                cursor.execute(
                    f"SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "  # noqa: S608
                    f'FROM (SELECT {columns} FROM "{table}") r'
                )
                digests[table] = cursor.fetchone()[0]
    return digests
