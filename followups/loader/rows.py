"""Inserting the rows a load creates: PostgreSQL's COPY, else Django's bulk_create.

On PostgreSQL the new records' ids are taken from their table's sequence in one statement, then the records, their
history rows and many-to-many rows are written with COPY FROM STDIN (issue 15: the loader within a small factor of
COPY of the same rows). Each value goes through its field's `pre_save` and `get_db_prep_save`, as bulk_create
does; a history row holds what simple_history's bulk_history_create would (the tracked fields, the time, no user,
the reason, '+'). Other databases (the embedded SQLite default) take bulk_create and bulk_create_with_history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

# Rows per INSERT where COPY is not used: large enough that the round trips do not count, small enough for
# SQLite's limit of bound parameters.
BATCH_SIZE = 500


# Values a plain field (_plain) passes to the database as they are; any other goes through the field's preparation.
_PLAIN_VALUES = frozenset({str, int, bool, float, date})
_MISSING = object()


def _plain(field: models.Field) -> bool:
    """A field whose value is written as it is (pre_save reads the attribute, get_db_prep_save returns it for the
    types of _PLAIN_VALUES): the preparation of each value was most of the time of a large load."""
    if isinstance(field, models.DateTimeField | models.JSONField | models.FileField):
        return False
    if isinstance(field, models.DateField):
        return not (field.auto_now or field.auto_now_add)
    return isinstance(
        field, models.CharField | models.TextField | models.BooleanField | models.IntegerField | models.ForeignKey
    )


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _take_ids(model: type[models.Model], count: int) -> list[int]:
    pk = model._meta.pk
    assert pk is not None  # noqa: S101 - every model has one
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_new(objs: list[Any], model: type[models.Model], *, reason: str | None = None) -> None:
    """Insert new records (ids set on them), with a history row each when the model keeps history and `reason`
    is given (the history's change reason)."""
    if not objs:
        return
    history = reason is not None and hasattr(model, "history")
    if connection.vendor != "postgresql":
        if history:
            for obj in objs:
                obj._history_user = None
            bulk_create_with_history(objs, model, batch_size=BATCH_SIZE, default_change_reason=reason)
        else:
            model._default_manager.bulk_create(objs, batch_size=BATCH_SIZE)
        return
    for obj, pk in zip(objs, _take_ids(model, len(objs)), strict=True):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    plain = [_plain(f) for f in fields]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        row = []
        for f, is_plain in zip(fields, plain, strict=True):
            value = getattr(obj, f.attname) if is_plain else _MISSING
            if value is _MISSING or (value is not None and type(value) not in _PLAIN_VALUES):
                value = f.get_db_prep_save(f.pre_save(obj, True), connection)
            row.append(value)
        rows.append(row)
        obj._state.adding, obj._state.db = False, connection.alias
    _copy(model._meta.db_table, [str(f.column) for f in fields], rows)
    if history:
        _copy_history(model, fields, rows, reason or "")


def _copy_history(model: Any, fields: list[Any], rows: list[list[Any]], reason: str) -> None:
    """The history rows of new records, from the values just written: the fields the history tracks."""
    historical = model.history.model
    tracked = {f.name for f in historical.tracked_fields}
    kept = [(i, historical._meta.get_field(f.name).column) for i, f in enumerate(fields) if f.name in tracked]
    now = timezone.now()
    columns = [column for _i, column in kept] + ["history_date", "history_change_reason", "history_type"]
    _copy(historical._meta.db_table, columns, ([row[i] for i, _column in kept] + [now, reason, "+"] for row in rows))


def statistics_refresh(models_written: Iterable[type[models.Model]]) -> None:
    """ANALYZE the tables a large load filled (PostgreSQL; the rows of this transaction count): the follow-ups
    that run at the load's end (the planners, the stored next due dates and summaries) join them, and a plan
    made for the empty tables the statistics still describe scans them once per row."""
    if connection.vendor != "postgresql":
        return
    tables: set[str] = set()
    for model in models_written:
        tables.add(model._meta.db_table)
        if hasattr(model, "history"):
            tables.add(model.history.model._meta.db_table)
        for field in model._meta.local_many_to_many:
            tables.add(field.remote_field.through._meta.db_table)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def insert_links(field: models.ManyToManyField, pairs: Iterable[tuple[int, int]]) -> None:
    """Rows of a many-to-many relation, as (id of the record that declares it, id of the other)."""
    through: Any = field.remote_field.through
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    if connection.vendor != "postgresql":
        rows = [through(**{source: a, target: b}) for a, b in pairs]
        through._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)
        return
    columns = [through._meta.get_field(name).column for name in (source, target)]
    _copy(through._meta.db_table, columns, pairs)
