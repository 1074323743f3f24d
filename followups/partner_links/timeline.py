"""Contacts' changes to their own reminders on a commitment's timeline (followups.selectors.commitment_timeline):
those about this commitment, and those about all of a responsible contact's reminders. One query."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from followups.models import Commitment, ContactPreferenceChange
from followups.timeline import TimelineEntry


def preference_timeline_entries(commitment: Commitment) -> list[TimelineEntry]:
    rows = (
        ContactPreferenceChange.objects.filter(
            Q(commitment=commitment) | Q(commitment__isnull=True, contact__commitments=commitment)
        )
        .select_related("contact")
        .distinct()
        .order_by("-created_at")[:100]
    )
    entries = []
    for change in rows:
        who = f"{change.contact.name} ({change.contact.ref}, {_('reminder settings')})"
        entries.append(TimelineEntry(kind="preference", when=change.created_at, who=who, title=change.summary))
        if change.undone_at:
            title = _("Undone: %(change)s") % {"change": change.summary}
            entries.append(TimelineEntry(kind="preference", when=change.undone_at, who=who, title=title))
    return entries
