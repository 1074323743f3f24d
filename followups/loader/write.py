"""Writing a checked file: each kind in the order of the spec table, each record created or merged three ways
with the tracker (followups.loader.merge), every change through the services the spec names. Runs inside the
load's transaction (followups.loader.load)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from config.history import ActorKind
from followups import services
from followups.loader.fields import LOADER_ACTOR, Context, Field, normalise
from followups.loader.merge import Baselines
from followups.loader.records import BULK_WRITTEN
from followups.loader.rows import statistics_refresh
from followups.loader.spec import SPECS, RecordSpec
from followups.models import Commitment, StatusUpdate

TIMELINE_ACTOR = "load_ministerial (dataset timeline)"
# A load that creates this many records refreshes the statistics of the tables it filled before what follows at
# its end reads them (followups.loader.rows.statistics_refresh).
ANALYZE_AFTER = 1000


def write_file(data: dict[str, Any], ctx: Context) -> None:
    baselines = Baselines.load()
    for spec in SPECS:
        write_kind(spec, spec.records(data), ctx, baselines)
    replay_timeline(data.get("timeline_updates") or [], ctx)
    baselines.save()
    if sum(ctx.report.created.values()) >= ANALYZE_AFTER:
        statistics_refresh([*(spec.model for spec in SPECS), *BULK_WRITTEN])


def existing(spec: RecordSpec, records: list[dict[str, Any]]) -> dict[str, models.Model]:
    """The kind's records already in the tracker, in a few queries: with the records their fields refer to and
    their many-to-many values, which the compare reads."""
    rows = spec.model.objects.filter(ref__in=[r["id"] for r in records]).select_related(*spec.select)
    if spec.preload:
        related = []
        for f in spec.fields:
            try:
                related.append(spec.model._meta.get_field(f.name))
            except FieldDoesNotExist:
                continue
        rows = rows.select_related(*[r.name for r in related if r.many_to_one])
        rows = rows.prefetch_related(*[r.name for r in related if r.many_to_many], *spec.prefetch)
    return {obj.ref: obj for obj in rows}


def write_kind(spec: RecordSpec, records: list[dict[str, Any]], ctx: Context, baselines: Baselines) -> None:
    """The kind's new records first, set-based (create_new); then the existing ones, merged one by one (a merge
    that moves a date reaches the new records anchored on it through the services)."""
    found = ctx.objects.setdefault(spec.kind, {})
    outcomes: dict[str, str] = {}
    before = existing(spec, records)
    new = []
    for record in records:
        ref = record["id"]
        if ref in before:
            continue
        if spec.deletion_kept and baselines.known(spec.kind, ref):
            ctx.report.notes.append(f"{ref}: deleted in the tracker since the last load; not created again")
            outcomes[ref] = "unchanged"
        else:
            new.append(record)
            outcomes[ref] = "created"
    create_new(spec, new, ctx, baselines)
    stale = False  # a merge of a kind not preloaded changed something: read the next records again
    for record in records:
        ref = record["id"]
        if ref in before:
            found[ref], outcomes[ref] = merge_record(spec, record, before[ref], ctx, baselines, stale=stale)
            stale = stale or (not spec.preload and outcomes[ref] == "updated")
    late = [f for f in spec.fields if f.late]
    if late:
        write_late(spec, records, late, outcomes, ctx, baselines)
    for record in records:
        ctx.report.count(spec.kind.replace("_", " "), outcomes[record["id"]])


def write_late(
    spec: RecordSpec,
    records: list[dict[str, Any]],
    late: list[Field],
    outcomes: dict[str, str],
    ctx: Context,
    baselines: Baselines,
) -> None:
    found = ctx.objects[spec.kind]
    created = [(r, found[r["id"]]) for r in records if outcomes[r["id"]] == "created"]
    create_late(spec, created, late, ctx, baselines)
    for record in records:
        obj, ref = found.get(record["id"]), record["id"]
        if obj is not None and outcomes[ref] != "created" and merge_fields(spec, obj, record, late, ctx, baselines):
            outcomes[ref] = "updated"


def merge_record(
    spec: RecordSpec, record: dict[str, Any], obj: models.Model, ctx: Context, baselines: Baselines, *, stale: bool
) -> tuple[models.Model, str]:
    """Merge the file's values into a record the tracker has; returns it and the outcome."""
    fields = [f for f in spec.fields if not f.late and f.managed(record)]
    if stale:
        obj = spec.model.objects.get(pk=obj.pk)  # as an earlier record's write left it (a dependent deadline)
    return obj, "updated" if merge_fields(spec, obj, record, fields, ctx, baselines) else "unchanged"


def create_new(spec: RecordSpec, records: list[dict[str, Any]], ctx: Context, baselines: Baselines) -> None:
    """Create the kind's new records: built and prepared in file order (a deadline reads the one it anchors on),
    then saved together (spec.save_new) and given their other values field by field, each set-based where the
    field has a bulk writer; what follows (reminders, webhooks, the changes feed) through the same services."""
    found = ctx.objects[spec.kind]
    if spec.save_new is None:
        for record in records:
            found[record["id"]] = create(spec, record, ctx, baselines)
        return
    made: list[tuple[dict[str, Any], models.Model, dict[str, tuple[Field, Any]]]] = []
    for record in records:
        values = {f.name: (f, f.read(record, ctx)) for f in spec.fields if not f.late and f.managed(record)}
        found[record["id"]] = obj = built(spec, record, values, ctx)
        made.append((record, obj, values))
    spec.save_new([obj for _record, obj, _values in made], ctx)
    for f in spec.fields:
        pairs = [(obj, values[f.name][1]) for _record, obj, values in made if f.name in values]
        if pairs and not f.column and not f.late:
            f.write_new(pairs, ctx)
    for record, _obj, values in made:
        baselines.created(spec.kind, record["id"], {name: normalise(value) for name, (_f, value) in values.items()})
        if spec.on_create:
            spec.on_create(record, ctx)


def built(spec: RecordSpec, record: dict[str, Any], values: dict[str, tuple[Field, Any]], ctx: Context) -> Any:
    """A new record with its column values, not saved yet."""
    obj = spec.model(ref=record["id"], **(spec.create_only(record, ctx) if spec.create_only else {}))
    for f, value in values.values():
        if f.column:
            f.put(obj, value)
    if spec.prepare_new:
        spec.prepare_new(obj, record, ctx)
    return obj


def create(spec: RecordSpec, record: dict[str, Any], ctx: Context, baselines: Baselines) -> models.Model:
    """Create one record (a kind saved one by one)."""
    values = {f.name: (f, f.read(record, ctx)) for f in spec.fields if not f.late and f.managed(record)}
    obj = built(spec, record, values, ctx)
    spec.save(obj, ctx)
    for f, value in values.values():
        if not f.column:
            f.write(obj, value, ctx)
    baselines.created(spec.kind, record["id"], {name: normalise(value) for name, (_f, value) in values.items()})
    if spec.on_create:
        spec.on_create(record, ctx)
    return obj


def create_late(
    spec: RecordSpec,
    created: list[tuple[dict[str, Any], models.Model]],
    fields: list[Field],
    ctx: Context,
    baselines: Baselines,
) -> None:
    """Give the records created by this load the values that refer to records of their own kind: a column saved
    again (with its history) where the file gives one, the others field by field."""
    made = [(record, obj, {f.name: (f, f.read(record, ctx)) for f in fields}) for record, obj in created]
    changed = []
    for _record, obj, values in made:
        columns = [(f, value) for f, value in values.values() if f.column]
        for f, value in columns:
            f.put(obj, value)
        if any(value not in (None, "", []) for _f, value in columns):
            changed.append(obj)
    for obj in changed:
        spec.save(obj, ctx)
    for f in fields:
        if not f.column:
            f.write_new([(obj, values[f.name][1]) for _record, obj, values in made], ctx)
    for record, _obj, values in made:
        baselines.created(spec.kind, record["id"], {name: normalise(value) for name, (_f, value) in values.items()})


def merge_fields(
    spec: RecordSpec, obj: models.Model, record: dict[str, Any], fields: list[Field], ctx: Context, baselines: Baselines
) -> bool:
    """Apply the file's values that nobody changed in the tracker; True when anything was written."""
    values = {f.name: f.read(record, ctx) for f in fields}
    compared = [(f.name, normalise(values[f.name]), f.tracker_value(obj)) for f in fields]
    apply = baselines.compare(spec.kind, record["id"], compared, ctx.report)
    if not apply:
        return False
    columns = [f for f in fields if f.name in apply and f.column and f.service is None]
    for f in columns:
        f.put(obj, values[f.name])
    if columns:
        spec.save(obj, ctx)
    for f in fields:
        if f.name in apply and f not in columns:
            f.write(obj, values[f.name], ctx)
    if spec.after_update:
        spec.after_update(obj, ctx)
    return True


def replay_timeline(updates: list[dict[str, Any]], ctx: Context) -> None:
    """Apply the dataset's later real events once each, as status updates on the timeline."""
    for t in sorted(updates, key=lambda t: t["date"]):
        target = ctx.get("commitments", t["target_id"])
        replay = _replay_commitment if isinstance(target, Commitment) else _replay_framework
        ctx.report.count("timeline updates", "created" if replay(t, ctx) else "unchanged")


def _replay_commitment(t: dict[str, Any], ctx: Context) -> bool:
    commitment = ctx.get("commitments", t["target_id"])
    happened_on = date.fromisoformat(t["date"])
    if StatusUpdate.objects.filter(commitment=commitment, happened_on=happened_on, actor=TIMELINE_ACTOR).exists():
        return False
    services.commitment_update_status(
        commitment=commitment,
        status=t["new_status"],
        note=t.get("note") or "",
        happened_on=happened_on,
        actor=TIMELINE_ACTOR,
        actor_kind=ActorKind.LOADER,
        source_refs=t.get("source_ids") or [],
    )
    return True


def _replay_framework(t: dict[str, Any], ctx: Context) -> bool:
    framework = ctx.get("frameworks", t["target_id"])
    reason = f"{TIMELINE_ACTOR}: {t['date']}"
    if framework.status == t["new_status"] or framework.history.filter(history_change_reason__contains=reason).exists():
        return False
    services.framework_set_status(
        framework=framework, status=t["new_status"], actor=TIMELINE_ACTOR, reason=f"{t['date']} {t.get('note') or ''}"
    )
    return True


__all__ = ["LOADER_ACTOR", "TIMELINE_ACTOR", "write_file"]
