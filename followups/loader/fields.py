"""The pieces a record spec is made of: how a value is read from the file, how it compares, how it is written.

A value is compared in its normal form (`normalise`): dates in ISO form, records by their ref, lists of records
sorted, numbers as floats; the same form is kept as the baseline (followups.loader.models.LoadBaseline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models

from followups.loader.report import LoadReport
from followups.loader.rows import insert_links

LOADER_ACTOR = "load_ministerial"


@dataclass
class Context:
    """What the writing of one file shares: the records loaded so far by kind and ref, and the report."""

    report: LoadReport
    as_of: date | None = None
    # The whole file, for a value that one kind's records give about another's (organisations' accessions).
    data: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, dict[str, models.Model]] = field(default_factory=dict)

    # Typed Any: which model a kind holds is the spec table's business, not the type checker's.
    def get(self, kind: str, ref: Any) -> Any:
        return self.objects.get(kind, {}).get(ref) if ref else None

    def many(self, kind: str, refs: Iterable[str]) -> list[Any]:
        found = self.objects.get(kind, {})
        return [found[ref] for ref in refs if ref in found]


Reader = Callable[[dict[str, Any], Context], Any]
Writer = Callable[[Any, Any, Context], None]
# Writes one value to many records this load created, in a few statements (the set-based form of a Writer).
BulkWriter = Callable[[list[tuple[Any, Any]], Context], None]


@dataclass(frozen=True)
class Read:
    """A value of the file's record, ready for the model: `key` converted, or `default` when absent; with
    `kind`, the record(s) of that kind the id (or list of ids) names."""

    key: str
    convert: Callable[[Any], Any] | None = None
    default: Any = None
    kind: str = ""
    multiple: bool = False  # with `kind`: a list of ids

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def __call__(self, record: dict[str, Any], ctx: Context) -> Any:
        value = record.get(self.key)
        if self.kind:
            return ctx.many(self.kind, value or []) if self.multiple else ctx.get(self.kind, value)
        if value in (None, "", []):
            return list(self.default) if isinstance(self.default, list) else self.default
        return self.convert(value) if self.convert else value


@dataclass(frozen=True)
class Derived:
    """A value computed from several keys of the record (or from nested ones)."""

    keys: tuple[str, ...]
    compute: Reader

    def __call__(self, record: dict[str, Any], ctx: Context) -> Any:
        return self.compute(record, ctx)


def text(key: str) -> Read:
    return Read(key, default="")


def flag(key: str) -> Read:
    return Read(key, bool, default=False)


def items(key: str) -> Read:
    return Read(key, list, default=[])


def day(key: str) -> Read:
    return Read(key, lambda v: date.fromisoformat(str(v)))


def one(kind: str, key: str) -> Read:
    return Read(key, kind=kind)


def many(kind: str, key: str) -> Read:
    return Read(key, kind=kind, multiple=True)


def normalise(value: Any) -> Any:
    """The comparable, JSON-storable form of a model value or a file value."""
    if isinstance(value, models.Model):
        return getattr(value, "ref", None) or value.pk
    if isinstance(value, models.Manager):
        value = list(value.all())
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, models.Model) for v in value):
            return sorted(str(normalise(v)) for v in value)
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | float) or (isinstance(value, int) and not isinstance(value, bool)):
        return float(value)
    return value


def set_many(obj: models.Model, value: Any, ctx: Context, *, name: str) -> None:
    getattr(obj, name).set(value)


def add_many_new(pairs: list[tuple[Any, Any]], ctx: Context, *, name: str) -> None:
    """Many-to-many values of records this load created (nothing to remove): written together into the relation's
    table (followups.loader.rows), instead of a `set()` per record. A relation declared on the other model is set
    per record."""
    if not pairs:
        return
    field = type(pairs[0][0])._meta.get_field(name)
    if not isinstance(field, models.ManyToManyField):
        for obj, value in pairs:
            set_many(obj, value, ctx, name=name)
        return
    links = [
        (obj.pk, pk)
        for obj, value in pairs
        for pk in dict.fromkeys(v.pk for v in value)  # set() ignores a record named twice
    ]
    insert_links(field, links)


@dataclass(frozen=True)
class Field:
    """One value the file gives a record.

    - `name`: the model's attribute, and the value's name in the baseline and in conflicts;
    - `read`: its value in the file, ready for the model;
    - `column`: set on the record before it is saved (False: many-to-many or composite, written after);
    - `service`: how a changed value is written to an existing record (a service called by name, so what must
      follow does); for a non-column, also how a new record gets it; None: set as a column and saved;
    - `current`: the tracker's value in normal form (default: the attribute, normalised);
    - `when`: the loader manages the value only when the file's record says so (e.g. names its contacts);
    - `late`: written once every record of the kind exists (a reference to the same kind);
    - `set`: how a column value is put on the record (default: setattr);
    - `bulk`: how a non-column value is written to many records this load created at once (default: `write`
      record by record).
    """

    name: str
    read: Reader
    column: bool = True
    service: Writer | None = None
    current: Callable[[Any], Any] | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    late: bool = False
    set: Callable[[Any, Any], None] | None = None
    bulk: BulkWriter | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return getattr(self.read, "keys", ())

    def tracker_value(self, obj: models.Model) -> Any:
        return self.current(obj) if self.current else normalise(getattr(obj, self.name))

    def put(self, obj: models.Model, value: Any) -> None:
        if self.set:
            self.set(obj, value)
        else:
            setattr(obj, self.name, value)

    def write(self, obj: models.Model, value: Any, ctx: Context) -> None:
        """Write a value that is not a plain column (or a column changed through its service)."""
        if self.service is None:
            raise TypeError(f"{self.name}: a value that is not a column needs its service")
        self.service(obj, value, ctx)

    def write_new(self, pairs: list[tuple[Any, Any]], ctx: Context) -> None:
        """Write the values of records this load created: set-based when the field has a bulk writer."""
        if self.bulk is not None:
            self.bulk(pairs, ctx)
            return
        for obj, value in pairs:
            self.write(obj, value, ctx)

    def managed(self, record: dict[str, Any]) -> bool:
        return self.when is None or self.when(record)


def m2m(name: str, kind: str, key: str, *, late: bool = False, service: Writer | None = None) -> Field:
    """A many-to-many value: the records of `kind` that the file's `key` lists."""

    def write(obj: models.Model, value: Any, ctx: Context) -> None:
        set_many(obj, value, ctx, name=name)

    def write_new(pairs: list[tuple[Any, Any]], ctx: Context) -> None:
        add_many_new(pairs, ctx, name=name)

    return Field(
        name, many(kind, key), column=False, service=service or write, late=late, bulk=None if service else write_new
    )
