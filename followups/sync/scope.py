"""Following each API audience's scope, so that a sync client is told what it can no longer see (issue 13, 6).

A partner's scope is computed per organisation by the querysets' `visible_to` rules (frameworks it is party to,
directly or through a body, what hangs under them, the commitments it owns...): a record leaves it when it is
deleted, or when a fact it hangs on changes (an owner removed, a party or membership dropped). Rather than
foresee every such path, `audience_reconcile` compares the records the audience could see at its last reconcile
with what the same rules give now, and writes one `SyncChange` per difference: `deleted` (the record is gone),
`left_scope` or `entered_scope`.

The services that delete records or change who sees what call `api_scope_changed()` by name: once their
transaction commits, every followed audience is reconciled, so a change is dated when it happened. The changes
feed reconciles its caller before answering too, so an answer never misses a change, whatever path made it.

An audience is followed from the first request of its organisation's first key (`audience_track`, from the API's
authentication) or, for staff, from their first read of the feed: nothing a client saw came before.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from agreements.models import Framework, Organisation, WorkingGroup
from followups.models import (
    Commitment,
    Deadline,
    SyncAudience,
    SyncChange,
    SyncChangeKind,
    SyncResource,
    SyncScopeEntry,
    WebhookEndpoint,
)

STAFF = "staff"

Record = tuple[str, str]  # (resource, the identifier the API gives it)


def audience_key(organisation: Organisation | None) -> str:
    """The audience a caller belongs to: its organisation (all its keys share one scope), or staff."""
    return STAFF if organisation is None else f"org:{organisation.pk}"


def scope_now(organisation: Organisation | None) -> set[Record]:
    """Every record of the followed resources the audience may read now, by the API's own scope rules."""
    commitments = Commitment.objects.visible_to(organisation)
    endpoints = WebhookEndpoint.objects.all()
    if organisation is not None:
        endpoints = endpoints.filter(organisation=organisation)
    sources: list[tuple[str, Iterable[object]]] = [
        (SyncResource.ORGANISATION, Organisation.objects.visible_to(organisation).values_list("ref", flat=True)),
        (SyncResource.FRAMEWORK, Framework.objects.visible_to(organisation).values_list("ref", flat=True)),
        (SyncResource.WORKING_GROUP, WorkingGroup.objects.visible_to(organisation).values_list("ref", flat=True)),
        (SyncResource.COMMITMENT, commitments.values_list("ref", flat=True)),
        (
            SyncResource.DEADLINE,
            Deadline.objects.filter(commitment__in=commitments.values("pk")).values_list("ref", flat=True),
        ),
        (SyncResource.WEBHOOK, endpoints.values_list("uuid", flat=True)),
    ]
    return {(str(resource), str(ident)) for resource, idents in sources for ident in idents}


def _still_existing(removed: set[Record]) -> set[Record]:
    """Of records gone from a scope, those that still exist (they left it; the others were deleted)."""
    models = {
        SyncResource.ORGANISATION: (Organisation, "ref"),
        SyncResource.FRAMEWORK: (Framework, "ref"),
        SyncResource.WORKING_GROUP: (WorkingGroup, "ref"),
        SyncResource.COMMITMENT: (Commitment, "ref"),
        SyncResource.DEADLINE: (Deadline, "ref"),
        SyncResource.WEBHOOK: (WebhookEndpoint, "uuid"),
    }
    existing: set[Record] = set()
    for resource, (model, field) in models.items():
        idents = [ident for kind, ident in removed if kind == resource]
        if idents:
            found = model._default_manager.filter(**{f"{field}__in": idents}).values_list(field, flat=True)
            existing.update((str(resource), str(ident)) for ident in found)
    return existing


@transaction.atomic
def audience_track(organisation: Organisation | None) -> SyncAudience:
    """Follow an audience's scope from now on (its current scope is the baseline); safe to run twice."""
    audience, created = SyncAudience.objects.get_or_create(
        key=audience_key(organisation), defaults={"organisation": organisation}
    )
    if created:
        SyncScopeEntry.objects.bulk_create(
            [SyncScopeEntry(audience=audience, resource=r, ref=ident) for r, ident in scope_now(organisation)],
            ignore_conflicts=True,
        )
    return audience


@transaction.atomic
def audience_reconcile(audience: SyncAudience) -> int:
    """Write a change for every record that left or entered the audience's scope since its last reconcile;
    returns how many. The audience's row is locked meanwhile: concurrent reconciles report a change once."""
    audience = SyncAudience.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=audience.pk)
    stored = {
        (resource, ident): pk
        for pk, resource, ident in audience.entries.values_list("pk", "resource", "ref").iterator(chunk_size=5000)
    }
    current = scope_now(audience.organisation)
    removed, added = set(stored) - current, current - set(stored)
    now = timezone.now()
    if removed or added:
        still = _still_existing(removed)
        changes = [
            SyncChange(
                audience=audience,
                resource=resource,
                ref=ident,
                change=SyncChangeKind.LEFT_SCOPE if (resource, ident) in still else SyncChangeKind.DELETED,
                at=now,
            )
            for resource, ident in sorted(removed)
        ]
        changes += [
            SyncChange(audience=audience, resource=r, ref=ident, change=SyncChangeKind.ENTERED_SCOPE, at=now)
            for r, ident in sorted(added)
        ]
        SyncChange.objects.bulk_create(changes)
        SyncScopeEntry.objects.filter(pk__in=[stored[record] for record in removed]).delete()
        SyncScopeEntry.objects.bulk_create(
            [SyncScopeEntry(audience=audience, resource=r, ref=ident) for r, ident in added]
        )
    SyncAudience.objects.filter(pk=audience.pk).update(reconciled_at=now)
    return len(removed) + len(added)


def audiences_reconcile() -> int:
    """Reconcile every followed audience, each in its own transaction; returns the number of changes written."""
    return sum(audience_reconcile(audience) for audience in SyncAudience.objects.order_by("pk"))


def api_scope_changed() -> None:
    """Called by name by the services that delete records or change who may see them: once the transaction
    commits (once per transaction, however many changes it made), every followed audience is reconciled."""
    if not connection.in_atomic_block:
        audiences_reconcile()
        return
    if any(entry[1] is audiences_reconcile for entry in connection.run_on_commit):
        return  # already due at this transaction's commit
    transaction.on_commit(audiences_reconcile)
