"""Partners' webhook endpoints: registering, changing and deleting them (the API and the admin call these).

The URL rules are here (`webhook_url_problem`); what is planned for an endpoint is in `followups.webhooks.planner`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from agreements.models import Organisation
from followups.models import WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from followups.webhooks.planner import webhooks_plan_organisation

SECRET_PREFIX = "whsec_"  # noqa: S105 - the visible start of every secret, not a secret
Status = WebhookDeliveryStatus


# --- Endpoints --------------------------------------------------------------------------------------------------


def webhook_url_problem(url: str) -> str:
    """Why `url` cannot receive webhooks, or "" when it can (checked at registration; the address again at send)."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "Enter a valid http or https URL."
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "Leave credentials out of the URL; check the signature instead."
    if parts.fragment:
        return "A URL with a #fragment cannot be POSTed to."
    if settings.WEBHOOK_ALLOW_INSECURE:
        return ""
    if parts.scheme != "https":
        return "Use an https URL."
    host = (parts.hostname or "").strip("[]")
    with contextlib.suppress(ValueError):
        if not ipaddress.ip_address(host).is_global:
            return "The URL must reach a public address."
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "The URL must reach a public address."
    return ""


def webhook_events_clean(events: Iterable[str]) -> list[str]:
    """The events, checked and without repeats, in the vocabulary's order. Raises ValidationError."""
    events = list(events)
    unknown = sorted({str(e) for e in events} - set(WebhookEvent.values))
    if unknown:
        raise ValidationError({"events": f"Unknown events {unknown}; use {', '.join(WebhookEvent.values)}."})
    if not events:
        raise ValidationError({"events": "Subscribe to at least one event."})
    return [e for e in WebhookEvent.values if e in events]


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def webhook_endpoint_register(
    *, organisation: Organisation, url: str, events: Iterable[str], description: str = "", actor: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register a URL for `organisation`; returns the endpoint and its secret, which is shown only this once.

    Plans the `deadline.approaching` deliveries of the organisation's open deadlines when subscribed.
    Not idempotent: each call registers an endpoint (at most WEBHOOK_MAX_ENDPOINTS per organisation).
    """
    problem = webhook_url_problem(url)
    if problem:
        raise ValidationError({"url": problem})
    events = webhook_events_clean(events)
    # Serialises concurrent registrations of one organisation, so that the limit holds.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if WebhookEndpoint.objects.filter(organisation=organisation).count() >= settings.WEBHOOK_MAX_ENDPOINTS:
        raise ValidationError(
            {"url": f"{organisation.ref} already has {settings.WEBHOOK_MAX_ENDPOINTS} endpoints; delete one first."}
        )
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        secret=secret,
        events=events,
        description=description.strip(),
        created_by=actor,
    )
    if WebhookEvent.DEADLINE_APPROACHING in events:
        webhooks_plan_organisation(organisation_id=organisation.pk)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description or activity (None leaves a field as it is).

    Pending deliveries of events it no longer receives (all of them when deactivated) are cancelled; the
    organisation's deadlines are planned again. Safe to run twice.
    """
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        problem = webhook_url_problem(url)
        if problem:
            raise ValidationError({"url": problem})
        endpoint.url = url
    if events is not None:
        endpoint.events = webhook_events_clean(events)
    if description is not None:
        endpoint.description = description.strip()
    if is_active is not None:
        endpoint.is_active = is_active
    endpoint.save()
    received = endpoint.events if endpoint.is_active else []
    endpoint.deliveries.filter(status=Status.PENDING).exclude(event__in=received).update(
        status=Status.CANCELLED,
        last_error="the endpoint was deactivated or no longer receives this event",
        updated_at=timezone.now(),
    )
    webhooks_plan_organisation(organisation_id=endpoint.organisation_id)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries (nothing more is sent to it). Safe to run twice."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
