"""What each audience of the API could see, and the changes a sync client is told about (issue 13, point 6).

An audience is a partner organisation (its keys share one scope) or staff (who see everything). For each, the
records it could see when its scope was last reconciled are kept (`SyncScopeEntry`); a reconcile compares them
with what the scope rules (`visible_to`) give now and writes a `SyncChange` for every record that was deleted,
left the audience's scope or entered it. Written only by followups.sync.scope; re-exported by followups.models.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["SyncAudience", "SyncChange", "SyncChangeKind", "SyncResource", "SyncScopeEntry"]


class SyncResource(models.TextChoices):
    """The API resources whose scope is followed, by their list's name."""

    ORGANISATION = "organisations", _("Organisation")
    FRAMEWORK = "frameworks", _("Framework")
    WORKING_GROUP = "working-groups", _("Working group")
    COMMITMENT = "commitments", _("Commitment")
    DEADLINE = "deadlines", _("Deadline")
    WEBHOOK = "webhooks", _("Webhook endpoint")


class SyncChangeKind(models.TextChoices):
    DELETED = "deleted", _("Deleted")
    LEFT_SCOPE = "left_scope", _("Left your scope")
    ENTERED_SCOPE = "entered_scope", _("Entered your scope")


class SyncAudience(models.Model):
    """One partner organisation (or staff, with no organisation) whose scope is followed since `tracked_since`.

    Its row is locked while its scope is reconciled, so that two reconciles never report one change twice."""

    key = models.CharField(max_length=40, unique=True, help_text=_("'staff', or 'org:' and the organisation's id."))
    organisation = models.OneToOneField(
        "agreements.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="sync_audience"
    )
    tracked_since = models.DateTimeField(default=timezone.now)
    reconciled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class SyncScopeEntry(models.Model):
    """A record the audience could see at its last reconcile, by the identifier the API gives it."""

    audience = models.ForeignKey(SyncAudience, on_delete=models.CASCADE, related_name="entries")
    resource = models.CharField(max_length=20, choices=SyncResource.choices)
    ref = models.CharField(max_length=80)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["audience", "resource", "ref"], name="sync_scope_entry_unique")]

    def __str__(self) -> str:
        return f"{self.audience} {self.resource} {self.ref}"


class SyncChange(models.Model):
    """A record that was deleted, left or entered an audience's scope: an entry of GET /api/v1/changes/."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    audience = models.ForeignKey(SyncAudience, on_delete=models.CASCADE, related_name="changes")
    resource = models.CharField(max_length=20, choices=SyncResource.choices)
    ref = models.CharField(max_length=80)
    change = models.CharField(max_length=20, choices=SyncChangeKind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["audience", "at", "id"], name="sync_change_feed")]

    def __str__(self) -> str:
        return f"{self.resource} {self.ref} {self.change}"
