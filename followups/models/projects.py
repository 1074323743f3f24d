"""Projects that carry commitments out (the project pipeline), with their stage and kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.models import (
    Framework,
    Organisation,
    Sourced,
    ref_validator,
)
from config.history import TrackedHistory

if TYPE_CHECKING:
    pass


class ProjectStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    FEASIBILITY = "feasibility", _("Feasibility")
    OFFTAKE = "offtake", _("Offtake")
    FINANCING = "financing", _("Financing")
    PRODUCTION = "production", _("Production")


class ProjectKind(models.TextChoices):
    MINE = "mine", _("Mine")
    REFINERY = "refinery", _("Refinery or processing plant")
    RECYCLING = "recycling", _("Recycling plant")
    MAGNET = "magnet", _("Magnet or component plant")
    OTHER = "other", _("Other")


class Project(Sourced):
    """A mine, refinery or recycling plant that commitments are about, counted under several frameworks.

    Identifying and financing projects is what the six-month windows ask for, so projects are records of
    their own with a pipeline stage, not text inside a commitment.
    """

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(verbose_name=_("name"), max_length=300)
    kind = models.CharField(
        verbose_name=_("kind"), max_length=20, choices=ProjectKind.choices, default=ProjectKind.MINE
    )
    country = models.ForeignKey(
        Organisation, verbose_name=_("country"), on_delete=models.PROTECT, related_name="projects_located"
    )
    sponsors = models.ManyToManyField(
        Organisation, verbose_name=_("sponsors"), blank=True, related_name="projects_sponsored"
    )
    minerals = models.JSONField(
        verbose_name=_("minerals"), default=list, blank=True, help_text=_('e.g. ["gallium"], ["NdPr", "Dy"]')
    )
    stage = models.CharField(
        verbose_name=_("stage"), max_length=20, choices=ProjectStage.choices, default=ProjectStage.IDENTIFIED
    )
    capacity = models.DecimalField(verbose_name=_("capacity"), max_digits=14, decimal_places=2, null=True, blank=True)
    capacity_unit = models.CharField(
        verbose_name=_("capacity unit"), max_length=40, blank=True, help_text=_("e.g. t/yr of contained metal")
    )
    offtake = models.TextField(verbose_name=_("offtake"), blank=True, help_text=_("Offtake agreements and buyers."))
    financing = models.TextField(
        verbose_name=_("financing"), blank=True, help_text=_("Financing committed or sought, and by whom.")
    )
    financing_usd = models.DecimalField(
        verbose_name=_("financing usd"), max_digits=16, decimal_places=0, null=True, blank=True
    )
    frameworks = models.ManyToManyField(Framework, verbose_name=_("frameworks"), blank=True, related_name="projects")
    note = models.TextField(verbose_name=_("note"), blank=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=ProjectStage.values), name="project_stage_valid"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=0), name="project_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name
