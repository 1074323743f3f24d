"""Staff pages for the context of the follow-up: the Ministerial (and any other event), the milestones, the
glossary of the dataset's vocabulary and the known caveats of the data.

Read-only pages: they parse the request, read and render.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from agreements.lists import StaffMixin
from agreements.models import (
    DataCaveat,
    Event,
    Framework,
    GlossaryTerm,
    Milestone,
    Organisation,
    Source,
)
from agreements.selectors import milestone_related
from followups.models import Deadline


class EventDetailView(StaffMixin, TemplateView):
    """An event such as the Ministerial: hosts, outcomes, who attended, what was launched or signed there, the
    milestones of that day and the deadlines that count from it."""

    template_name = "agreements/event_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = get_object_or_404(Event.objects.select_related("host"), ref=kwargs["ref"])
        milestones = list(Milestone.objects.filter(date=event.date).prefetch_related("frameworks", "sources"))
        # Launched there: signed on the day, or named by a milestone of the day (FORGE's launch).
        launched = list(
            Framework.objects.filter(Q(signed_on=event.date) | Q(milestones__in=milestones)).distinct().order_by("ref")
        )
        context.update(
            event=event,
            attendees=list(event.attendees.order_by("name")),
            launched=launched,
            milestones=milestones,
            deadlines=list(
                Deadline.objects.filter(anchor_event=event).select_related("commitment").order_by("due_on", "ref")
            ),
            sources=list(event.sources.all()),
        )
        return context


class MilestoneListView(StaffMixin, TemplateView):
    """Every milestone, with or without a framework, by date."""

    template_name = "agreements/milestone_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["milestones"] = list(
            Milestone.objects.prefetch_related("frameworks").order_by("date", "ref"),
        )
        context["events"] = list(Event.objects.order_by("date"))
        return context


class MilestoneDetailView(StaffMixin, TemplateView):
    template_name = "agreements/milestone_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        milestone = get_object_or_404(Milestone, ref=kwargs["ref"])
        context.update(
            milestone=milestone,
            frameworks=list(milestone.frameworks.all()),
            related=milestone_related(milestone),
            sources=list(milestone.sources.all()),
            events=list(Event.objects.filter(date=milestone.date)),
            deadlines=list(
                Deadline.objects.filter(anchor_milestone=milestone)
                .select_related("commitment")
                .order_by("due_on", "ref")
            ),
        )
        return context


class GlossaryView(StaffMixin, TemplateView):
    template_name = "agreements/glossary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["terms"] = list(GlossaryTerm.objects.order_by("term"))
        return context


class CaveatListView(StaffMixin, TemplateView):
    """The known caveats of the data, each with the frameworks and organisations it concerns."""

    template_name = "agreements/caveat_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["caveats"] = list(
            DataCaveat.objects.prefetch_related(
                Prefetch("frameworks", queryset=Framework.objects.order_by("ref")),
                Prefetch("organisations", queryset=Organisation.objects.order_by("name")),
            )
        )
        return context


class SourceListView(StaffMixin, TemplateView):
    """Every source of the dataset, cited or not, each with its own anchor (`/sources/#S06`)."""

    template_name = "agreements/source_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sources"] = list(Source.objects.order_by("ref"))
        return context


__all__ = [
    "CaveatListView",
    "SourceListView",
    "EventDetailView",
    "GlossaryView",
    "MilestoneDetailView",
    "MilestoneListView",
]
