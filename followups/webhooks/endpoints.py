"""Partners' webhook endpoints: registering, changing and deleting them (the API and the admin call these).

The URL rules are here (`webhook_url_problem`); what is planned for an endpoint is in `followups.webhooks.planner`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from agreements.models import Organisation
from followups.models import WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from followups.sync.scope import api_scope_changed
from followups.webhooks.planner import webhooks_plan_organisation

SECRET_PREFIX = "whsec_"  # noqa: S105 - the visible start of every secret, not a secret
Status = WebhookDeliveryStatus


# --- Endpoints --------------------------------------------------------------------------------------------------


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64: IPv4 addresses written in IPv6 (RFC 6052's well-known prefix); 64:ff9b:1::/48 is local use.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# "This network": Linux connects 0.0.0.0/8 to the machine itself.
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):  # NAT64 or ::a.b.c.d
        found.append(low)
    return [a for a in found if a is not None]


def webhook_address_problem(address: IPAddress) -> str:
    """Why our workers must not connect to `address`, or "" (checked at registration and at send time).

    Refused everywhere: multicast, link-local (cloud metadata at 169.254.169.254), reserved and unspecified
    addresses, and an IPv6 address hiding a non-public IPv4 one (IPv4-mapped or -compatible, NAT64, 6to4, Teredo).
    In production (WEBHOOK_ALLOW_INSECURE off) also every other non-public address: loopback, private, shared.
    Development allows loopback and private addresses themselves, for local receivers.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address_v4 = address.ipv4_mapped
        if not address_v4.is_global:
            return f"{address} hides the non-public address {address_v4}."
    for hidden in _embedded_ipv4(address):
        if not hidden.is_global or hidden.is_multicast:
            return f"{address} hides the non-public address {hidden}."
    if address.is_multicast or address.is_link_local or address.is_reserved or address.is_unspecified:
        return f"{address} is not a unicast public address."
    if isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK:
        return f"{address} is not a unicast public address."
    if isinstance(address, ipaddress.IPv6Address) and (address in _NAT64 or address.sixtofour or address.teredo):
        return ""  # what it carries is public (checked above)
    if not settings.WEBHOOK_ALLOW_INSECURE and not address.is_global:
        return f"{address} is not a public address."
    return ""


# The code of the refusal when an organisation's endpoints are all taken (the API answers it with a 409).
TOO_MANY_ENDPOINTS = "too_many_endpoints"


def webhook_url_problem(url: str, *, resolve: bool | None = None) -> str:
    """Why `url` cannot receive webhooks, or "" when it can (at registration; the address again at send time).

    A literal address is checked (webhook_address_problem); in production a host name is resolved and each of
    its addresses checked too (one that does not resolve yet is accepted: the send time check will refuse it).
    """
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "Enter a valid http or https URL."
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "Leave credentials out of the URL; check the signature instead."
    if parts.fragment:
        return "A URL with a #fragment cannot be POSTed to."
    if not settings.WEBHOOK_ALLOW_INSECURE and parts.scheme != "https":
        return "Use an https URL."
    host = (parts.hostname or "").strip("[]")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        problem = webhook_address_problem(literal)
        return f"The URL must reach a public address: {problem}" if problem else ""
    if settings.WEBHOOK_ALLOW_INSECURE:
        return ""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "The URL must reach a public address."
    if resolve is None or resolve:
        with contextlib.suppress(OSError, UnicodeError):
            for address in webhook_resolve(host, parts.port or 443):
                problem = webhook_address_problem(address)
                if problem:
                    return f"The URL must reach a public address: {host} resolves to {address}."
    return ""


def webhook_resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (raises OSError when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for *_rest, sockaddr in infos]


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
        message = f"{organisation.ref} already has {settings.WEBHOOK_MAX_ENDPOINTS} endpoints; delete one first."
        raise ValidationError({"url": ValidationError(message, code=TOO_MANY_ENDPOINTS)})
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
    """Delete an endpoint with its deliveries (nothing more is sent to it); the changes feed tells the partner's
    other clients. Safe to run twice."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    api_scope_changed()
