"""Deactivation honoured everywhere (issue 9): a deactivated organisation gets no webhook and its contacts no
reminder, the pending rows are cancelled with the reason shown; reactivating resumes without sending what fell due
meanwhile. Webhooks go to a real HTTP receiver on loopback; mail to the locmem outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from followups import services
from followups.models import (
    AnchorKind,
    Reminder,
    ReminderPolicy,
    ReminderStatus,
    Status,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from followups.reminders.sending import reminders_tick
from followups.webhooks.endpoints import webhook_endpoint_register
from followups.webhooks.sending import webhooks_claim, webhooks_send_batch, webhooks_tick
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.webhooks.conftest import receiver  # noqa: F401 - a fixture shared with the webhook tests

pytestmark = pytest.mark.django_db

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def partner_with_everything(url: str):
    org = f.OrganisationFactory()
    contact = f.ContactFactory(organisation=org, time_zone="UTC")
    desk = f.StaffProfileFactory(portfolio=[org], time_zone="UTC").user
    commitment = f.CommitmentFactory(owners=[org], contacts=[contact])
    # Not quiet within these tests (the quiet nudges are tested on their own).
    ReminderPolicy.objects.create(framework=commitment.framework, quiet_days_normal=365)
    webhook_endpoint_register(organisation=org, url=url, events=["commitment.status_changed"], actor="test")
    deadline = f.DeadlineFactory(
        commitment=commitment, anchor_kind=AnchorKind.FIXED, anchor_date=date(2026, 6, 15), offset=""
    )
    return org, contact, desk, commitment, deadline


def test_deactivated_in_the_admin_no_webhook_no_reminder_reasons_shown_and_reactivation_sends_nothing_old(
    receiver,  # noqa: F811 - the shared fixture
    client_for,
):
    clerk = f.UserFactory(role=Role.DATA_CLERK, is_superuser=True)
    admin = client_for(clerk)
    with time_machine.travel(PLANNED, tick=False):
        org, contact, desk, commitment, deadline = partner_with_everything(receiver.url)
        _key, raw = api_key_issue(organisation=org, name="sync")
        services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, actor="desk")
        queued = WebhookDelivery.objects.get()
        assert queued.status == WebhookDeliveryStatus.PENDING

        response = admin.post(
            "/admin/agreements/organisation/", {"action": "deactivate", "_selected_action": [org.pk]}, follow=True
        )
        assert response.status_code == 200
        org.refresh_from_db()
        assert not org.is_active

        queued.refresh_from_db()
        assert queued.status == WebhookDeliveryStatus.CANCELLED
        assert f"organisation {org.ref} deactivated by user {clerk.username}" in queued.last_error
        contact_rows = Reminder.objects.filter(contact=contact)
        assert set(contact_rows.values_list("status", flat=True)) == {ReminderStatus.CANCELLED}
        assert all("deactivated" in r.last_error for r in contact_rows)
        # The reason is on the delivery's and the reminder's admin pages.
        page = admin.get(f"/admin/followups/webhookdelivery/{queued.pk}/change/").content.decode()
        assert f"organisation {org.ref} deactivated" in page
        page = admin.get(f"/admin/followups/reminder/{contact_rows.first().pk}/change/").content.decode()
        assert f"organisation {org.ref} deactivated" in page

        # Its key stops at once; nothing is POSTed; a change meanwhile queues nothing for it.
        assert bearer_client(raw).get("/api/v1/commitments/").status_code in (401, 403)
        assert webhooks_tick(inline=True) == 0
        services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, actor="desk")
        assert WebhookDelivery.objects.count() == 1

    # The 30-day reminder's moment passes while deactivated: nothing to the contact; the commitment has no active
    # point of contact now, so its desk officer is reminded instead.
    with time_machine.travel(datetime(2026, 5, 16, 12, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)
    assert [m.to for m in mail.outbox] == [[desk.email]]
    mail.outbox.clear()

    with time_machine.travel(datetime(2026, 5, 20, 12, 0, tzinfo=UTC), tick=False):
        admin = client_for(clerk)  # a new session: the March one has expired
        admin.post("/admin/agreements/organisation/", {"action": "reactivate", "_selected_action": [org.pk]})
        org.refresh_from_db()
        assert org.is_active
        assert bearer_client(raw).get("/api/v1/commitments/").status_code == 200
        assert reminders_tick(inline=True) == 0  # the 30-day reminder of 16 May is not sent late
        assert webhooks_tick(inline=True) == 0  # nor the status change of March
    assert Reminder.objects.get(contact=contact, kind="before_30").status == ReminderStatus.CANCELLED
    with time_machine.travel(datetime(2026, 6, 8, 12, 0, tzinfo=UTC), tick=False):
        reminders_tick(inline=True)  # the 7-day reminder goes to the contact again, not to the desk officer
    assert [m.to for m in mail.outbox] == [[contact.email]]
    with time_machine.travel(datetime(2026, 6, 8, 13, 0, tzinfo=UTC), tick=False):
        services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, actor="desk")
        assert webhooks_tick(inline=True) == 1
    assert receiver.count() == 1


def test_a_delivery_claimed_before_the_deactivation_is_not_sent(receiver):  # noqa: F811 - the shared fixture
    org, _contact, _desk, commitment, _deadline = partner_with_everything(receiver.url)
    services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, actor="desk")
    [(token, ids)] = webhooks_claim()
    services.organisation_set_active(organisation=org, active=False, reason="ministry reorganised")
    webhooks_send_batch(ids=ids, token=token)
    row = WebhookDelivery.objects.get()
    assert row.status == WebhookDeliveryStatus.CANCELLED
    assert row.last_error == f"organisation {org.ref} is deactivated"
    assert receiver.count() == 0


def test_a_reminder_claimed_before_the_deactivation_is_not_sent():
    with time_machine.travel(PLANNED, tick=False):
        org, contact, _desk, _commitment, _deadline = partner_with_everything("https://hooks.example.org/in")
    from followups.reminders.sending import reminders_claim, reminders_send_batch

    with time_machine.travel(datetime(2026, 5, 16, 12, 0, tzinfo=UTC), tick=False):
        [(token, units)] = reminders_claim()
        services.organisation_set_active(organisation=org, active=False)
        reminders_send_batch(units=units, token=token)
    assert mail.outbox == []
    row = Reminder.objects.get(contact=contact, kind="before_30")
    assert (row.status, row.last_error) == (ReminderStatus.CANCELLED, "the contact's organisation is deactivated")


def _change_form_data(page) -> dict:
    """What the admin's change form would post as it stands (fields and inline management forms)."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, management[name].value())
        for i, sub in enumerate(formset.forms):
            for name, field in sub.fields.items():
                value = sub.initial.get(name, field.initial)
                if value not in (None, False, ""):
                    data[f"{formset.prefix}-{i}-{name}"] = getattr(value, "pk", value)
    return data


def test_unticking_active_on_the_organisation_page_goes_through_the_service(receiver, client_for):  # noqa: F811
    clerk = f.UserFactory(role=Role.DATA_CLERK, is_superuser=True)
    admin = client_for(clerk)
    with time_machine.travel(PLANNED, tick=False):
        org, contact, _desk, commitment, _deadline = partner_with_everything(receiver.url)
        services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, actor="desk")
        url = f"/admin/agreements/organisation/{org.pk}/change/"
        data = _change_form_data(admin.get(url))
        assert data.pop("is_active") is True
        saved = admin.post(url, data)
        assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    org.refresh_from_db()
    assert not org.is_active
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error.startswith(f"organisation {org.ref} deactivated by user")) == (
        WebhookDeliveryStatus.CANCELLED,
        True,
    )
    assert not Reminder.objects.filter(contact=contact, status=ReminderStatus.PENDING).exists()
