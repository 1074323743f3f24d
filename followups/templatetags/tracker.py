"""Template helpers of the staff pages: a deadline's rule in words (with the ISO form as a tooltip)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from followups.deadlines import describe_rule, rule_iso

register = template.Library()


def _short(title: str) -> str:
    """A title without its long description: "2026 Critical Minerals Ministerial (State Dept, ...): ..." ->
    "2026 Critical Minerals Ministerial"."""
    return title.split(" (")[0].split(": ")[0].strip() or title


def _rule_parts(deadline) -> dict:
    anchor = deadline.anchor_object
    # Frameworks and deadlines read best by reference (FW-US-AU), milestones and events by a short title.
    if anchor is None:
        name = ""
    elif deadline.anchor_kind == "milestone":
        name = _short(anchor.title)
    elif deadline.anchor_kind == "event":
        name = _short(anchor.name)
    elif deadline.anchor_kind == "party_joined":
        name = anchor.organisation.name
    else:
        name = anchor.ref
    return {
        "anchor_kind": deadline.anchor_kind,
        "anchor_name": name,
        "anchor_ref": getattr(anchor, "ref", ""),
        "anchor_date": deadline.anchor_date,
        "offset": deadline.offset,
        "recurrence": deadline.recurrence,
        "first_due": deadline.original_due_on if deadline.recurrence else None,
    }


@register.filter
def rule_words(deadline) -> str:
    """The deadline's rule as a sentence, with the stored ISO-8601 form in a tooltip:
    <span title="framework_signed FW-US-AU + P6M">6 months after the signature of FW-US-AU (20 October 2025)</span>.
    """
    parts = _rule_parts(deadline)
    ref = parts.pop("anchor_ref")
    iso = rule_iso(
        anchor_kind=parts["anchor_kind"], anchor_name=ref, offset=parts["offset"], recurrence=parts["recurrence"]
    )
    return format_html('<span class="tracker-rule" title="{}">{}</span>', iso, describe_rule(**parts))


@register.filter
def status_label(value: str) -> str:
    """A status value in the reader's language: "at_risk" -> "At risk"."""
    from followups.models import Status

    return str(dict(Status.choices).get(value, value))


_BASIS = {
    "sourced": _("sourced"),
    "estimated": _("estimated"),
    "illustrative": _("illustrative"),
    "reported": _("reported"),
    "text": _("from the text"),
    "template": _("from a template"),
}


@register.filter
def basis_label(value: str) -> str:
    """The basis of a value (sourced, estimated, illustrative...) in the reader's language."""
    return str(_BASIS.get(value, value))


@register.filter
def is_past(day) -> bool:
    """Whether a date is before today (an open deadline's next due date that has passed is overdue)."""
    from django.utils import timezone

    return day is not None and day < timezone.localdate()


@register.filter
def duration_words(value) -> str:
    """A timedelta in words, e.g. "15 minutes", "1 hour and 30 minutes" (not "0:15:00")."""
    from datetime import timedelta

    from django.utils.translation import gettext, ngettext

    if not isinstance(value, timedelta):
        return str(value)
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    if len(parts) == 2:
        return gettext("%(first)s and %(last)s") % {"first": parts[0], "last": parts[1]}
    return parts[0]
