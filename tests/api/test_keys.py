"""API keys: shown once, stored hashed, and revocation, expiry or a deactivated organisation act at once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from agreements.models import ApiKey
from agreements.partner_access import api_key_revoke
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.django_db


def tables_containing(text: str) -> list[str]:
    """Every table of the database with a row whose text form contains `text`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f'SELECT 1 FROM "{table}" t WHERE t::text LIKE %s LIMIT 1', [f"%{text}%"])  # noqa: S608
            if cursor.fetchone():
                found.append(table)
    return found


def test_issue_api_key_prints_a_working_key_once_and_stores_only_its_hash(world, caplog):
    out, err = StringIO(), StringIO()
    call_command("issue_api_key", world.org_a.ref, "--name", "ERP sync", "--expires-in", "30", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    key = ApiKey.objects.get(organisation=world.org_a, name="ERP sync")

    assert raw.startswith(key.prefix + "_") and len(raw) > 40
    assert raw not in err.getvalue()
    assert timezone.now() + timedelta(days=29) < key.expires_at <= timezone.now() + timedelta(days=30)
    assert bearer_client(raw).get("/api/v1/frameworks/").status_code == 200
    secret = raw.removeprefix(key.prefix + "_")
    assert tables_containing(secret) == []
    assert raw not in caplog.text


def test_issue_api_key_refuses_an_unknown_organisation_and_a_duplicate_name(world):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("issue_api_key", "ORG-NOPE", "--name", "x", stdout=StringIO(), stderr=StringIO())
    call_command("issue_api_key", world.org_a.ref, "--name", "x", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="already has a key"):
        call_command("issue_api_key", world.org_a.ref, "--name", "x", stdout=StringIO(), stderr=StringIO())


def test_admin_shows_the_key_once_and_keeps_only_its_hash(world):
    user = get_user_model().objects.create_superuser("keyadmin", "keyadmin@example.org", "pw-keyadmin-2026")
    client = Client()
    client.force_login(user)
    expires = (timezone.now() + timedelta(days=90)).replace(microsecond=0)
    response = client.post(
        "/admin/agreements/apikey/add/",
        {
            "organisation": world.org_b.pk,
            "name": "portal",
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200, response.content[:2000]
    key = ApiKey.objects.get(organisation=world.org_b, name="portal")
    assert key.created_by == user
    page = response.content.decode()
    start = page.index(f'value="{key.prefix}_') + len('value="')
    raw = page[start : page.index('"', start)]
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]

    assert bearer_client(raw).get(f"/api/v1/frameworks/{world.fw_b.ref}/").status_code == 200
    assert tables_containing(raw.removeprefix(key.prefix + "_")) == []
    # The change page shows the prefix, never the key.
    assert raw not in client.get(f"/admin/agreements/apikey/{key.pk}/change/").content.decode()


@pytest.mark.parametrize(
    ("language", "heading", "warning"),
    [
        ("fr", "Clé d’API émise pour", "Elle n’est affichée <strong>qu’une fois</strong>"),
        ("es", "Clave de API emitida para", "Se muestra <strong>una sola vez</strong>"),
    ],
)
def test_admin_shows_the_issued_key_in_the_clerks_language(world, language, heading, warning):
    user = get_user_model().objects.create_superuser(f"keys-{language}", f"{language}@example.org", "pw-keys-2026")
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    expires = (timezone.now() + timedelta(days=90)).replace(microsecond=0)
    response = client.post(
        "/admin/agreements/apikey/add/",
        {
            "organisation": world.org_b.pk,
            "name": "portal",
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )
    page = response.content.decode()
    key = ApiKey.objects.get(organisation=world.org_b, name="portal")
    assert f"{heading} {world.org_b.name} ({world.org_b.ref})" in page
    assert warning in page and "Copy the key now" not in page
    assert f'value="{key.prefix}_' in page


def test_a_revoked_key_fails_on_the_very_next_request(world, partner_key):
    key, raw = partner_key(world.org_a)
    client = bearer_client(raw)
    assert client.get("/api/v1/commitments/").status_code == 200
    api_key_revoke(api_key=key)
    response = client.get("/api/v1/commitments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_key_fails_on_the_very_next_request(world, partner_key):
    key, raw = partner_key(world.org_a, expires_in_days=2)
    client = bearer_client(raw)
    assert client.get("/api/v1/commitments/").status_code == 200
    with time_machine.travel(key.expires_at + timedelta(seconds=1)):
        assert client.get("/api/v1/commitments/").status_code == 401


def test_deactivating_the_organisation_stops_its_keys_at_once(world, partner_key):
    _key, raw = partner_key(world.org_a)
    client = bearer_client(raw)
    assert client.get("/api/v1/commitments/").status_code == 200
    world.org_a.is_active = False
    world.org_a.save()
    assert client.get("/api/v1/commitments/").status_code == 401
    world.org_a.is_active = True
    world.org_a.save()
    assert client.get("/api/v1/commitments/").status_code == 200


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nope", "Bearer fut_00000000_notakey", "Token abc", "Bearer a b"]
)
def test_missing_or_wrong_keys_are_401_or_403_never_data(world, header):
    client = bearer_client("x")
    client.credentials(**({"HTTP_AUTHORIZATION": header} if header else {}))
    response = client.get("/api/v1/commitments/")
    assert response.status_code == 401
    assert "results" not in response.json()


def test_the_admin_revoke_action_revokes(world, partner_key):
    key, raw = partner_key(world.org_a)
    user = get_user_model().objects.create_superuser("revoker", "revoker@example.org", "pw-revoker-2026")
    client = Client()
    client.force_login(user)
    listing = client.get("/admin/agreements/apikey/").content.decode()
    assert key.prefix in listing and raw not in listing
    response = client.post("/admin/agreements/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == user
    assert bearer_client(raw).get("/api/v1/commitments/").status_code == 401
