"""The admin: register an endpoint for a partner (secret shown once), see its deliveries, resend failed ones."""

from __future__ import annotations

import pytest
from django.urls import reverse

from followups import services
from followups.models import Status, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_staff_register_an_endpoint_see_its_deliveries_and_resend_a_failed_one(admin_client):
    org = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[org])
    response = admin_client.post(
        reverse("admin:followups_webhookendpoint_add"),
        {
            "organisation": org.pk,
            "url": "https://partner.example.org/hook",
            "events": ["commitment.status_changed"],
            "description": "ERP sync",
            "is_active": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any(endpoint.secret in m for m in shown)
    assert endpoint.created_by == "user admin"

    services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, actor="t")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDeliveryStatus.FAILED, last_error="HTTP 410")
    page = admin_client.get(reverse("admin:followups_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert str(delivery.event_id) in text and "HTTP 410" in text
    assert endpoint.secret not in text  # never shown again

    admin_client.post(
        reverse("admin:followups_webhookdelivery_changelist"),
        {"action": "resend", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (WebhookDeliveryStatus.PENDING, 0, "")
    assert admin_client.get(reverse("admin:followups_webhookdelivery_change", args=[delivery.pk])).status_code == 200

    # Pausing it in the admin cancels what was still to be sent.
    paused = admin_client.post(
        reverse("admin:followups_webhookendpoint_change", args=[endpoint.pk]),
        {
            "url": "https://partner.example.org/hook",
            "events": ["commitment.status_changed"],
            "description": "ERP sync",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert paused.status_code == 302, paused.context["adminform"].form.errors if paused.context else paused
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert not endpoint.is_active and delivery.status == WebhookDeliveryStatus.CANCELLED
