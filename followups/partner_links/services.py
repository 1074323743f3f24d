"""What a point of contact does through a signed link: report progress for their own party, and manage their own
reminders. Every function owns its transaction and says whether it is safe to run twice; the views in this folder
only parse the request and call these.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from agreements.models import Contact
from config.history import ActorKind
from followups.models import Commitment, ContactPreferenceChange, PartnerLink, StatusUpdate
from followups.partner_links.links import contact_party
from followups.services import commitment_update_status, commitments_recipients_changed


def partner_report(
    *,
    link: PartnerLink,
    status: str,
    note: str = "",
    evidence_url: str = "",
    evidence_file: UploadedFile | None = None,
    happened_on: date | None = None,
) -> StatusUpdate:
    """Record a contact's update for their own party through a report link, with the contact as the actor.

    A "completed" becomes a claim awaiting verification (followups.services.commitment_update_status decides).
    Not idempotent: each call is one timeline entry.
    """
    commitment = link.linked_commitment
    party = contact_party(contact=link.contact, commitment=commitment)
    if party is None:
        raise PermissionError("the contact's organisation does not owe this commitment")
    update = commitment_update_status(
        commitment=commitment,
        status=status,
        note=note,
        owner=party.organisation,
        evidence_url=evidence_url,
        evidence_file=evidence_file,
        happened_on=happened_on,
        actor=link.actor_label,
        actor_kind=ActorKind.SIGNED_LINK,
    )
    PartnerLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return update


# --- A contact's own reminders (the preferences page) ---------------------------------------------------------

UNDO_WINDOW = timedelta(days=14)


def undo_since() -> datetime:
    """Changes made after this instant can still be undone from the page."""
    return timezone.now() - UNDO_WINDOW


def contact_preferences_state(*, contact: Contact, commitment: Commitment | None = None) -> dict:
    """What the preferences page shows and a change records: language, zone, digest, stopped, paused, and whether
    reminders about `commitment` are stopped."""
    from followups.models import ContactPause, ContactReminderPreference, ReminderAcknowledgement

    pref = ContactReminderPreference.objects.filter(contact=contact).first()
    pause = ContactPause.objects.filter(contact=contact).first()
    state = {
        "language": contact.language,
        "time_zone": contact.time_zone,
        "digest": bool(pref and pref.digest),
        "muted": bool(pref and pref.muted),
        "paused_until": pause.until.isoformat() if pause and pause.until >= timezone.localdate() else None,
    }
    if commitment is not None:
        state["stopped"] = ReminderAcknowledgement.objects.filter(contact=contact, commitment=commitment).exists()
    return state


def _apply(contact: Contact, commitment: Commitment | None, values: dict) -> None:
    from followups.models import ContactPause, ContactReminderPreference, ReminderAcknowledgement

    if {"language", "time_zone"} & values.keys():
        contact.language = values.get("language", contact.language)
        contact.time_zone = values.get("time_zone", contact.time_zone)
        contact.full_clean(validate_unique=False)
        contact.save(update_fields=["language", "time_zone"])
    if {"digest", "muted"} & values.keys():
        pref, _created = ContactReminderPreference.objects.select_for_update().get_or_create(contact=contact)
        pref.digest = values.get("digest", pref.digest)
        pref.muted = values.get("muted", pref.muted)
        pref.save()
    if "paused_until" in values:
        if values["paused_until"]:
            ContactPause.objects.update_or_create(
                contact=contact, defaults={"until": date.fromisoformat(values["paused_until"])}
            )
        else:
            ContactPause.objects.filter(contact=contact).delete()
    if "stopped" in values and commitment is not None:
        if values["stopped"]:
            ReminderAcknowledgement.objects.get_or_create(contact=contact, commitment=commitment)
        else:
            ReminderAcknowledgement.objects.filter(contact=contact, commitment=commitment).delete()
    # Who hears what, and when (digest Mondays, the zone's morning), is planned again from the new choices.
    commitments_recipients_changed(contact.commitments.all())


SUMMARIES = {
    "language": "language and time zone set to {language}, {time_zone}",
    "digest": "weekly digest {onoff}",
    "pause": "reminders paused until {paused_until}",
    "resume": "pause ended",
    "stop_all": "all reminders stopped",
    "resume_all": "reminders started again",
    "stop_commitment": "reminders about {ref} stopped",
    "resume_commitment": "reminders about {ref} started again",
}


@transaction.atomic
def contact_preferences_change(
    *, contact: Contact, change: str, values: dict, commitment: Commitment | None = None
) -> ContactPreferenceChange | None:
    """Apply a contact's own change to their reminders and record it (for the timeline, and to undo it). Returns
    None when nothing changed. Safe to run twice (the second run changes nothing and records nothing).
    """
    from followups.models import ContactPreferenceChange

    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    scoped = commitment if change in ("stop_commitment", "resume_commitment") else None
    before = contact_preferences_state(contact=contact, commitment=scoped)
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    if not changed:
        return None
    _apply(contact, scoped, changed)
    summary = SUMMARIES[change].format(
        onoff="on" if values.get("digest") else "off", ref=commitment.ref if commitment else "", **values
    )
    return ContactPreferenceChange.objects.create(
        contact=contact,
        commitment=scoped,
        summary=summary,
        before={k: before[k] for k in changed},
        after=changed,
    )


@transaction.atomic
def contact_preferences_undo(*, change: ContactPreferenceChange) -> ContactPreferenceChange:
    """Put back what one change changed (within UNDO_WINDOW). Safe to run twice (an undone change stays undone)."""
    from django.core.exceptions import ValidationError

    from followups.models import ContactPreferenceChange

    change = ContactPreferenceChange.objects.select_for_update().select_related("contact").get(pk=change.pk)
    if change.undone_at is not None:
        return change
    if timezone.now() - change.created_at > UNDO_WINDOW:
        raise ValidationError("This change is too old to undo here; make the change again instead.")
    _apply(change.contact, change.commitment, change.before)
    change.undone_at = timezone.now()
    change.save(update_fields=["undone_at"])
    return change


@transaction.atomic
def contact_unsubscribe(*, link: PartnerLink) -> ContactPreferenceChange | None:
    """One-click unsubscribe (RFC 8058) through a preferences link: stop all the contact's reminders. Undoable from
    the preferences page. Safe to run twice."""
    return contact_preferences_change(contact=link.contact, change="stop_all", values={"muted": True})
