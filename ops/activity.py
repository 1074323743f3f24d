"""The activity of the whole tracker: every historical record of every model with history, newest first,
filtered by kind of actor, kind of record and dates (the coordinators' /activity/ page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.models import HistoricalChanges

from config.history import ACTOR_KINDS, actor_of

# Which reasons each kind of actor writes (config.history, followups.services.save_with_history).
_KIND_FILTERS = {
    "user": Q(history_user__isnull=False) | Q(history_change_reason__startswith="user "),
    "partner_key": Q(history_user__isnull=True, history_change_reason__startswith="API key"),
    "signed_link": Q(history_user__isnull=True)
    & (Q(history_change_reason__startswith="contact ") | Q(history_change_reason__contains="signed link")),
    "loader": Q(history_user__isnull=True)
    & (Q(history_change_reason__startswith="load_") | Q(history_change_reason__startswith="loader")),
}
_KIND_FILTERS["system"] = Q(history_user__isnull=True) & ~(
    _KIND_FILTERS["partner_key"]
    | _KIND_FILTERS["signed_link"]
    | _KIND_FILTERS["loader"]
    | Q(history_change_reason__startswith="user ")
)


@dataclass(frozen=True)
class ActivityEntry:
    when: datetime
    action: str  # created, changed, deleted
    record_type: str
    record: str
    actor_kind: str
    actor: str
    reason: str
    history_url: str


def historied_models() -> dict[str, Any]:
    """{"app_label.model": model} of every model with a simple_history history, by its verbose name's order."""
    found = {}
    for model in apps.get_models():
        if issubclass(model, HistoricalChanges) or not hasattr(model, "history"):
            continue
        found[model._meta.label_lower] = model
    return dict(sorted(found.items(), key=lambda item: str(item[1]._meta.verbose_name)))


def _history_url(model: Any, pk: Any) -> str:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[pk])
    except NoReverseMatch:
        return ""


def activity_entries(
    *,
    actor_kind: str = "",
    record_type: str = "",
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
) -> list[ActivityEntry]:
    """The newest `limit` entries matching the filters, across every historied model. Reads only."""
    models = historied_models()
    if record_type:
        models = {record_type: models[record_type]} if record_type in models else {}
    condition = _KIND_FILTERS.get(actor_kind, Q())
    if since:
        condition &= Q(history_date__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        condition &= Q(history_date__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    actions = {"+": "created", "~": "changed", "-": "deleted"}
    entries = []
    for model in models.values():
        records = model.history.filter(condition).select_related("history_user").order_by("-history_date")[:limit]
        for record in records:
            kind, actor = actor_of(record)
            entries.append(
                ActivityEntry(
                    when=record.history_date,
                    action=actions.get(record.history_type, record.history_type),
                    record_type=str(model._meta.verbose_name),
                    record=str(record.history_object),
                    actor_kind=str(ACTOR_KINDS[kind]),
                    actor=actor,
                    reason=(record.history_change_reason or "").split(": ", 1)[1]
                    if ": " in (record.history_change_reason or "")
                    else "",
                    history_url=_history_url(model, getattr(record, model._meta.pk.attname)),
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
