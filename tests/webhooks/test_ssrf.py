"""Webhook URLs cannot make our workers call into our own network: refused at registration and at send time,
in development and in production; the address checked is the address connected to; no redirects."""

from __future__ import annotations

import socket
import uuid

import pytest
from django.utils import timezone

from agreements.partner_access import api_key_issue
from followups import services
from followups.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from followups.webhooks.sending import webhooks_tick
from tests import factories as f
from tests.api.conftest import bearer_client, error_of

pytestmark = pytest.mark.django_db

STATUS = [WebhookEvent.STATUS_CHANGED]

# Addresses that hide another one, or are never a web server: refused in development too.
ALWAYS_REFUSED = [
    "http://[::ffff:127.0.0.1]/h",  # IPv4-mapped loopback
    "http://[::ffff:10.0.0.1]/h",  # IPv4-mapped private
    "http://[::127.0.0.1]/h",  # IPv4-compatible loopback
    "http://[::10.1.2.3]/h",  # IPv4-compatible private
    "http://[64:ff9b::7f00:1]/h",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/h",  # NAT64 of 169.254.169.254 (cloud metadata)
    "http://[2002:7f00:1::]/h",  # 6to4 of 127.0.0.1
    "http://[2002:c0a8:101::1]/h",  # 6to4 of 192.168.1.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/h",  # Teredo, client 127.0.0.1 (obfuscated)
    "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "http://[fe80::1]/h",  # link-local
    "http://224.0.0.1/h",  # multicast
    "http://[ff02::1]/h",  # multicast
    "http://240.0.0.1/h",  # reserved
    "http://255.255.255.255/h",  # broadcast
    "http://0.0.0.0/h",  # unspecified: the machine itself
    "http://0.1.2.3/h",  # "this network"
    "http://[::]/h",  # unspecified
]
# Our own machine and network: refused in production, allowed in development for local receivers.
PRODUCTION_REFUSED = [
    "https://127.0.0.1/h",
    "https://127.1.2.3/h",
    "https://[::1]/h",
    "https://10.1.2.3/h",
    "https://172.16.0.1/h",
    "https://192.168.1.1/h",
    "https://100.64.0.1/h",  # shared address space (carrier-grade NAT)
    "https://[fc00::1]/h",  # unique local
    "https://localhost/h",
    "https://printer.local/h",
    "http://hooks.example.org/h",  # plain http
]


@pytest.fixture
def client_a(db):
    return bearer_client(api_key_issue(organisation=f.OrganisationFactory(), name="ssrf")[1])


def register(client, url):
    return client.post("/api/v1/webhooks/", {"url": url, "events": STATUS}, format="json")


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_hidden_and_non_unicast_addresses_are_refused_at_registration(client_a, settings, production):
    settings.WEBHOOK_ALLOW_INSECURE = not production
    for url in ALWAYS_REFUSED:
        if production:
            url = url.replace("http://", "https://")
        response = register(client_a, url)
        assert response.status_code == 400, url
        assert "url" in error_of(response)["fields"], url
    assert not WebhookEndpoint.objects.exists()


def test_production_refuses_our_own_machine_and_network_development_accepts_it(client_a, settings):
    settings.WEBHOOK_ALLOW_INSECURE = False
    for url in PRODUCTION_REFUSED:
        response = register(client_a, url)
        assert response.status_code == 400, url
    assert register(client_a, "https://93.184.215.14/hook").status_code == 201  # a public address
    settings.WEBHOOK_ALLOW_INSECURE = True
    assert register(client_a, "http://127.0.0.1:8123/hook").status_code == 201


def test_a_name_resolving_to_a_private_address_is_refused_at_registration_in_production(
    client_a, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_INSECURE = False
    real = socket.getaddrinfo

    # The DNS answer (outside our code) for a name that points into our network.
    def resolver(host, *args, **kwargs):
        return real("10.0.0.5" if host == "intranet.example.org" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    response = register(client_a, "https://intranet.example.org/hook")
    assert response.status_code == 400
    assert "resolves to 10.0.0.5" in error_of(response)["fields"]["url"][0]


def queue_delivery(url: str) -> WebhookDelivery:
    """An endpoint as it may exist in the database (registered before a rule, or changed in the admin)."""
    org = f.OrganisationFactory()
    endpoint = WebhookEndpoint.objects.create(organisation=org, url=url, secret="whsec_x", events=STATUS)
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=WebhookEvent.STATUS_CHANGED,
        event_id=uuid.uuid4(),
        payload={"id": "x"},
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_refused_addresses_are_refused_at_send_time_and_fail_at_once(receiver, settings, production):
    settings.WEBHOOK_ALLOW_INSECURE = not production
    port = receiver.url.split(":")[2].split("/")[0]
    hidden = [
        f"http://[::ffff:127.0.0.1]:{port}/h",
        f"http://[::127.0.0.1]:{port}/h",
        f"http://[64:ff9b::7f00:1]:{port}/h",
        f"http://0.0.0.0:{port}/h",
    ]
    own = [receiver.url, f"http://localhost:{port}/h"] if production else []
    rows = [queue_delivery(url) for url in hidden + own]
    webhooks_tick(inline=True)
    for row in rows:
        row.refresh_from_db()
        assert row.status == WebhookDeliveryStatus.FAILED, (row.endpoint.url, row.last_error)
        assert row.attempts == 1 and row.last_error
    assert receiver.count() == 0


def test_the_address_checked_is_the_address_connected_to(receiver, settings, monkeypatch):
    """DNS rebinding: the name is resolved once; a second answer pointing elsewhere is never asked for."""
    settings.WEBHOOK_ALLOW_INSECURE = True
    port = int(receiver.url.split(":")[2].split("/")[0])
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "169.254.169.254"])
    asked = []

    def rebinding_resolver(host, *args, **kwargs):
        if host == "rebind.test":
            asked.append(host)
            return real(next(answers), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    org = f.OrganisationFactory()
    WebhookEndpoint.objects.create(
        organisation=org, url=f"http://rebind.test:{port}/hooks", secret="whsec_x", events=STATUS
    )
    services.commitment_update_status(commitment=f.CommitmentFactory(owners=[org]), status="at_risk", actor="t")
    webhooks_tick(inline=True)
    assert asked == ["rebind.test"]
    [request] = receiver.snapshot()
    assert request.headers["Host"] == f"rebind.test:{port}"
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.SENT
