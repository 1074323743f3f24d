"""A partner's "completed" is a claim until a coordinator or desk officer accepts or returns it (issue 11, item 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from followups import services
from followups.models import (
    Commitment,
    CommitmentOwner,
    Completion,
    Deadline,
    PartnerMessage,
    Reminder,
    ReminderStatus,
    Status,
    StatusUpdate,
    WebhookDelivery,
    WebhookEndpoint,
)
from followups.reminders.sending import reminders_tick
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.partner.conftest import FIRST_REMINDER, reminder_for, report_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(partner):
    user = f.UserFactory(role=Role.DESK_OFFICER, username="desk-ar", first_name="Dana", last_name="Desk")
    f.StaffProfileFactory(user=user, portfolio=[partner.country])
    services.commitments_recipients_changed([partner.commitment])
    return user


def report_complete(client, partner) -> StatusUpdate:
    path = report_path(reminder_for(partner))
    response = client.post(
        path, {"status": Status.COMPLETED, "note": "MoU firmado", "evidence_url": "https://ex.org/mou"}
    )
    assert response.status_code == 302
    return StatusUpdate.objects.get(commitment=partner.commitment, completion=Completion.REPORTED)


def peru_done_by_staff(partner, user):
    services.commitment_update_status(
        commitment=partner.commitment, status=Status.COMPLETED, owner=partner.other, by_user=user
    )


def test_a_partners_completed_leaves_the_deadline_open_and_staff_reminders_pending(client, partner, desk):
    update = report_complete(client, partner)
    ownership = CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.country)
    assert ownership.status == Status.NOT_STARTED and ownership.awaiting_verification
    assert ownership.completion_reported_by == "contact CON-T-AR (signed link)"
    assert update.actor == "contact CON-T-AR (signed link)" and update.note == "MoU firmado"
    deadline = Deadline.objects.get(pk=partner.deadline.pk)
    assert deadline.is_open and Commitment.objects.get(pk=partner.commitment.pk).status == Status.NOT_STARTED
    assert Commitment.objects.awaiting_verification().get() == partner.commitment
    # The contact is no longer reminded; the desk officer's escalations are still to come.
    assert not Reminder.objects.filter(contact=partner.contact, status=ReminderStatus.PENDING).exists()
    assert Reminder.objects.filter(user=desk, status=ReminderStatus.PENDING).exists()
    # A row planned again later (another change) is still held back at send time.
    services.commitments_recipients_changed([partner.commitment])
    with time_machine.travel(FIRST_REMINDER.replace(month=6, day=14), tick=False):
        reminders_tick(inline=True)
    assert Reminder.objects.get(contact=partner.contact, kind="before_1").status == ReminderStatus.CANCELLED
    page = client.get(report_path(reminder_for(partner, at=FIRST_REMINDER + timedelta(hours=1))))
    assert "pendiente de verificación" in page.content.decode()


def test_acceptance_closes_the_deadline_with_both_names_in_the_history(client, partner, desk, coordinator):
    report_complete(client, partner)
    peru_done_by_staff(partner, coordinator)
    assert Deadline.objects.get(pk=partner.deadline.pk).is_open  # Argentina's part is still only claimed
    accepted = services.commitment_completion_accept(commitment=partner.commitment, owner=partner.country, by_user=desk)
    assert accepted.completion == Completion.VERIFIED and accepted.by_user == desk
    assert "contact CON-T-AR (signed link)" in accepted.note and "Dana Desk" in accepted.note
    assert Deadline.objects.get(pk=partner.deadline.pk).completed_on is not None
    assert Commitment.objects.get(pk=partner.commitment.pk).status == Status.COMPLETED
    ownership = CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.country)
    assert not ownership.awaiting_verification
    reasons = [h.history_change_reason for h in ownership.history.all()]
    assert any("user desk-ar" in r and "contact CON-T-AR (signed link)" in r for r in reasons if r)
    with pytest.raises(ValidationError):  # nothing awaits any more
        services.commitment_completion_accept(commitment=partner.commitment, owner=partner.country, by_user=desk)


def test_a_return_emails_the_reason_and_a_fresh_link_within_one_tick(client, partner, desk, request):
    report_complete(client, partner)
    smtp_mailbox = request.getfixturevalue("smtp_mailbox")  # from here on, mail goes over SMTP on loopback
    services.commitment_completion_return(
        commitment=partner.commitment, owner=partner.country, by_user=desk, reason="Falta el acta firmada."
    )
    ownership = CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.country)
    assert not ownership.awaiting_verification and ownership.status == Status.NOT_STARTED
    assert StatusUpdate.objects.filter(completion=Completion.RETURNED, note="Falta el acta firmada.").exists()
    # Reminders to the contact are planned again.
    assert Reminder.objects.filter(contact=partner.contact, status=ReminderStatus.PENDING).exists()
    reminders_tick(inline=True)
    [message] = [m for m in smtp_mailbox.handler.whole if m["Message-ID"].startswith("<partner.")]
    assert message["To"] == partner.contact.email
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Falta el acta firmada." in body and "devuelto" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    fresh = report_path(type("M", (), {"body": body}))
    assert client.get(fresh).status_code == 200
    assert PartnerMessage.objects.get().status == "sent"


def test_the_reporter_can_never_be_the_verifier(client, partner, desk):
    partner.contact.user = desk
    partner.contact.save()
    report_complete(client, partner)
    with pytest.raises(ValidationError, match="cannot verify"):
        services.commitment_completion_accept(commitment=partner.commitment, owner=partner.country, by_user=desk)
    with pytest.raises(ValidationError, match="cannot verify"):
        services.commitment_completion_return(
            commitment=partner.commitment, owner=partner.country, by_user=desk, reason="x"
        )
    assert CommitmentOwner.objects.get(
        commitment=partner.commitment, organisation=partner.country
    ).awaiting_verification


def test_viewers_cannot_verify_and_staff_buttons_work(client, partner, desk, viewer, client_for):
    report_complete(client, partner)
    url = f"/commitments/{partner.commitment.ref}/completion/{partner.country.ref}/"
    assert client_for(viewer).post(url, {"decision": "accept"}).status_code == 403
    desk_client = client_for(desk)
    page = desk_client.get(f"/commitments/{partner.commitment.ref}/").content.decode()
    assert "Accept the completion" in page and "awaiting verification" in page
    dashboard = desk_client.get("/").content.decode()
    assert "awaiting verification" in dashboard
    listed = desk_client.get("/commitments/?awaiting=yes").content.decode()
    assert partner.commitment.ref in listed
    assert desk_client.post(url, {"decision": "return", "reason": ""}).status_code == 302
    assert CommitmentOwner.objects.get(
        commitment=partner.commitment, organisation=partner.country
    ).awaiting_verification
    assert desk_client.post(url, {"decision": "accept"}).status_code == 302
    ownership = CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.country)
    assert ownership.status == Status.COMPLETED and not ownership.awaiting_verification


def test_through_the_api_a_partners_completed_is_a_claim_and_webhooks_say_so(partner, desk):
    endpoint = WebhookEndpoint.objects.create(
        organisation=partner.country,
        url="https://hooks.example.org/t",
        secret="s",
        events=[
            "commitment.completion_reported",
            "commitment.completion_verified",
            "commitment.completion_returned",
        ],
    )
    _key, raw = api_key_issue(organisation=partner.country, name="sync")
    response = bearer_client(raw).post(
        "/api/v1/status-updates/",
        {"commitment": partner.commitment.ref, "status": "completed", "note": "done"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["completion"] == "reported"
    owners = bearer_client(raw).get(f"/api/v1/commitments/{partner.commitment.ref}/").json()["owners"]
    mine = next(o for o in owners if o["organisation"] == partner.country.ref)
    assert mine["awaiting_verification"] is True and mine["status"] == "not_started"
    ownership = CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.country)
    assert ownership.awaiting_verification and ownership.status == Status.NOT_STARTED
    assert ownership.completion_reported_by == "API key 'sync' of ORG-T-AR"
    assert Deadline.objects.get(pk=partner.deadline.pk).is_open
    services.commitment_completion_return(
        commitment=partner.commitment, owner=partner.country, by_user=desk, reason="no evidence"
    )
    events = list(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("event", flat=True).order_by("pk"))
    assert events == ["commitment.completion_reported", "commitment.completion_returned"]
    assert not PartnerMessage.objects.exists()  # an API key has no mailbox: the webhook tells it
    assert timezone.now()  # the clock fixture holds the test at the first reminder's day


def test_staff_completing_the_party_themselves_settles_a_pending_claim(client, partner, desk, coordinator):
    report_complete(client, partner)
    assert Commitment.objects.awaiting_verification().exists()
    services.commitment_update_status(commitment=partner.commitment, status=Status.COMPLETED, by_user=coordinator)
    ownership = CommitmentOwner.objects.get(commitment=partner.commitment, organisation=partner.country)
    assert ownership.status == Status.COMPLETED and not ownership.awaiting_verification
    assert not Commitment.objects.awaiting_verification().exists()
