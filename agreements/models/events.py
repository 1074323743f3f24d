"""The Ministerial and other events, and the milestones that anchor deadlines."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.models.frameworks import Framework
from agreements.models.organisations import Organisation
from agreements.models.sources import Sourced, ref_validator
from config.history import TrackedHistory


class Event(Sourced):
    """A gathering that deadlines can be anchored on, such as the ministerial of 4 February 2026."""

    ref = models.CharField(verbose_name=_("ref"), max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(verbose_name=_("name"), max_length=300)
    date = models.DateField(verbose_name=_("date"))
    location = models.CharField(verbose_name=_("location"), max_length=300, blank=True)
    host = models.ForeignKey(
        Organisation,
        verbose_name=_("host"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_events",
    )
    attendees = models.ManyToManyField(
        Organisation, verbose_name=_("attendees"), blank=True, related_name="events_attended"
    )
    # The people who hosted it, as the sources name them ("Marco Rubio (Secretary of State)"): people are not
    # organisations here, the host organisation is `host`.
    hosts = models.JSONField(
        verbose_name=_("hosts"), default=list, blank=True, help_text=_("The hosts as the sources name them.")
    )
    outcomes = models.JSONField(
        verbose_name=_("outcomes"), default=list, blank=True, help_text=_("What the sources say came out of it.")
    )
    note = models.TextField(verbose_name=_("note"), blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["date"]

    def __str__(self) -> str:
        return self.name


class Milestone(Sourced):
    """A dated event in the follow-up (a launch, a signing, a meeting) that deadlines can be anchored on."""

    ref = models.CharField(verbose_name=_("ref"), max_length=60, unique=True, validators=[ref_validator])
    date = models.DateField(verbose_name=_("date"))
    title = models.CharField(verbose_name=_("title"), max_length=300)
    kind = models.CharField(verbose_name=_("kind"), max_length=40)
    date_estimated = models.BooleanField(verbose_name=_("date estimated"), default=False)
    frameworks = models.ManyToManyField(Framework, verbose_name=_("frameworks"), blank=True, related_name="milestones")
    # What else it concerns (organisations, commitments, working groups), by reference.
    related_refs = models.JSONField(verbose_name=_("related refs"), default=list, blank=True)
    note = models.TextField(verbose_name=_("note"), blank=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["date", "ref"]

    def __str__(self) -> str:
        return f"{self.date}: {self.title}"
