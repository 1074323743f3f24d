"""What the loader last loaded, per record and field: the "last loaded" side of the three-way compare
(DESIGN.md, "Who owns a value"). Re-exported by followups.models.

A later load compares, field by field, the file's value, this baseline and the tracker's current value: a value
nobody changed in the tracker follows the file; a value changed in the tracker stays; where both changed, the
tracker's stays and the conflict is kept here, for the load's output and the staff page /imports/conflicts/.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["LoadBaseline"]


class LoadBaseline(models.Model):
    """One loaded record (a framework, a commitment, a deadline...): the values the loader last applied or
    accepted from a file, as JSON (dates in ISO form, records by their ref), and the conflicts of the last load
    that looked at it. Written only by followups.loader."""

    kind = models.CharField(max_length=40, help_text=_("The record kind, as in the file: frameworks, commitments..."))
    ref = models.CharField(max_length=80)
    values = models.JSONField(default=dict, help_text=_("Field -> the value last loaded from a file."))
    conflicts = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Field -> {file, loaded, tracker}: changed in both the file and the tracker; the tracker's kept."),
    )
    loaded_at = models.DateTimeField(help_text=_("When a load last changed this baseline or its conflicts."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="load_baseline_unique")]
        indexes = [
            # The conflicts page (followups.loader.views) lists only the records with conflicts.
            models.Index(fields=["kind", "ref"], condition=~Q(conflicts={}), name="load_baseline_conflicts"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"
