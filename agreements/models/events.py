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

    ref = models.CharField(max_length=40, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=300)
    date = models.DateField()
    location = models.CharField(max_length=300, blank=True)
    host = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="hosted_events"
    )
    attendees = models.ManyToManyField(Organisation, blank=True, related_name="events_attended")
    # The people who hosted it, as the sources name them ("Marco Rubio (Secretary of State)"): people are not
    # organisations here, the host organisation is `host`.
    hosts = models.JSONField(default=list, blank=True, help_text=_("The hosts as the sources name them."))
    outcomes = models.JSONField(default=list, blank=True, help_text=_("What the sources say came out of it."))
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return self.name


class Milestone(Sourced):
    """A dated event in the follow-up (a launch, a signing, a meeting) that deadlines can be anchored on."""

    ref = models.CharField(max_length=60, unique=True, validators=[ref_validator])
    date = models.DateField()
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=40)
    date_estimated = models.BooleanField(default=False)
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="milestones")
    # What else it concerns (organisations, commitments, working groups), by reference.
    related_refs = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)

    history = TrackedHistory(excluded_fields=["illustrative_fields"])

    class Meta:
        ordering = ["date", "ref"]

    def __str__(self) -> str:
        return f"{self.date}: {self.title}"
