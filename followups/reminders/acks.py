"""Acknowledgement: the signed link in a reminder that stops further reminders of one commitment to its reader."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from followups.models import Commitment, Deadline, Reminder, ReminderAcknowledgement, ReminderStatus

ACK_SALT = "followups.reminder-ack"
ACK_MAX_AGE = timedelta(days=400)


def reminder_ack_token(*, reminder: Reminder) -> str:
    """The signed token of the acknowledge link in a reminder's e-mail (no login needed)."""
    commitment_id = reminder.deadline.commitment_id if reminder.deadline is not None else reminder.commitment_id
    payload = {"m": commitment_id, "r": reminder.pk}
    payload["c" if reminder.contact_id else "u"] = reminder.contact_id or reminder.user_id
    return signing.dumps(payload, salt=ACK_SALT, compress=True)


def reminder_ack_language(*, token: str) -> str | None:
    """The language of the link's recipient (a contact's, or a staff user's profile), for its pages; None if the
    token does not read."""
    from agreements.models import Contact, StaffProfile

    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    except signing.BadSignature:
        return None
    if "c" in data:
        return Contact.objects.filter(pk=data["c"]).values_list("language", flat=True).first()
    return StaffProfile.objects.filter(user_id=data.get("u")).values_list("language", flat=True).first()


@transaction.atomic
def reminder_ack_commitment(*, token: str) -> Commitment:
    """The commitment an acknowledge link is about, without acknowledging. Raises signing.BadSignature."""
    return Commitment.objects.get(pk=signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)["m"])


def reminder_acknowledge(*, token: str) -> ReminderAcknowledgement:
    """Stop reminders of the token's commitment to the token's recipient. Raises signing.BadSignature.

    Safe to run twice (the second click finds the acknowledgement already there).
    """
    data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    commitment = Commitment.objects.get(pk=data["m"])
    who = {"contact_id": data["c"]} if "c" in data else {"user_id": data["u"]}
    ack, _ = ReminderAcknowledgement.objects.get_or_create(
        commitment=commitment, **who, defaults={"reminder_id": data.get("r")}
    )
    Reminder.objects.filter(reminders_about_q(commitment), status=ReminderStatus.PENDING, **who).update(
        status=ReminderStatus.CANCELLED, last_error="acknowledged by the recipient", updated_at=timezone.now()
    )
    return ack


def reminders_about_q(commitment: Commitment, deadline_ids: Iterable[int] | None = None) -> Q:
    """The reminders about a commitment: those of its deadlines, and its quiet-commitment nudges (no deadline).

    The deadlines' ids are read first (a short list; the caller passes them when it has them) so that PostgreSQL
    combines two index scans (the deadline's leads `reminder_contact_once`, the commitment's foreign key);
    `deadline__commitment = X OR commitment = X`, a join under an OR, read the whole reminder table."""
    if deadline_ids is None:
        deadline_ids = Deadline.objects.filter(commitment=commitment).values_list("pk", flat=True)
    return Q(deadline_id__in=list(deadline_ids)) | Q(commitment=commitment, deadline__isnull=True)
