"""Template helpers for issue 9's pages: who is reminded when nobody at a partner can be, and the occurrence form."""

from __future__ import annotations

from django import template

from followups.models import Commitment, Deadline

register = template.Library()


@register.simple_tag
def no_contact_notice(commitment: Commitment) -> str:
    """Blank, or who is reminded instead of a point of contact (followups.reminders.planner.no_contact_notice)."""
    from followups.reminders.planner import no_contact_notice as notice

    return notice(commitment)


@register.simple_tag
def occurrence_form(deadline: Deadline) -> object:
    from followups.occurrences import OccurrenceForm

    return OccurrenceForm(deadline=deadline)
