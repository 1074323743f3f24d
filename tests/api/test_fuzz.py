"""Schema-based fuzzing with schemathesis against the running API (a live server), as partner A and as staff.

Every operation of the schema served at /api/schema/ gets generated requests, valid and invalid, with a fixed
seed and every check (`--checks all`): no answer is a 5xx, every answer matches the schema (status code, headers,
body, content type), an invalid request is refused, a valid one is accepted, credentials are enforced, an
undeclared method is a 405, and a request the API rejects changes no row. Partners and staff each get their own
contract (agreements.api.schema.AudienceSchemaGenerator), each fuzzed with its own credentials. (The schemas are
generated in-process at collection, the documents /api/schema/ serves to each: schemathesis' fixture-based loader
does not run under pytest 9.)
"""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, seed, settings
from schemathesis.core.parameters import ParameterLocation

from agreements.api.schema import AudienceSchemaGenerator
from agreements.roles import Role, role_groups_ensure
from tests.api.snapshot import database_fingerprint

pytestmark = pytest.mark.django_db(transaction=True)


def audience_schema(audience: str):
    generator = AudienceSchemaGenerator()
    generator.audience = audience
    return schemathesis.openapi.from_dict(generator.get_schema(request=None, public=True))


partner_schema = audience_schema("partner")
staff_schema = audience_schema("staff")


def staff_credentials() -> tuple[dict[str, str], dict[str, str]]:
    """A coordinator's session and CSRF cookies and the CSRF header, as a logged-in browser would send them."""
    user = get_user_model().objects.create_user("fuzz-coordinator", password="x")
    user.groups.add(role_groups_ensure()[Role.COORDINATOR])
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    token = _get_new_csrf_string()
    return {django_settings.SESSION_COOKIE_NAME: session, django_settings.CSRF_COOKIE_NAME: token}, {
        "X-CSRFToken": token
    }


@pytest.fixture
def partner_target(live_server, world, partner_key, settings):
    settings.API_THROTTLE_RATE = "100000/min"  # fuzzing is not abuse; the throttle has its own test
    return live_server.url, {}, {"Authorization": f"Bearer {partner_key(world.org_a)[1]}"}


@pytest.fixture
def staff_target(live_server, world, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    cookies, headers = staff_credentials()
    return live_server.url, cookies, headers


def probes_credentials(case) -> bool:
    """Whether schemathesis built this case to send without, or with a spoiled, credential (a coverage probe of
    the Authorization header or the session cookie): then ours must not be added over it."""
    meta = getattr(case, "meta", None)
    data = getattr(getattr(meta, "phase", None), "data", None)
    if getattr(data, "parameter", None) in ("Authorization", django_settings.SESSION_COOKIE_NAME):
        return True
    # A negative case of the fuzzing phase whose cookies were generated invalid (the session cookie dropped or
    # spoiled), or whose headers lack the Authorization it requires: it is sent as generated.
    if meta is not None and meta.is_negative_at(ParameterLocation.COOKIE):
        return True
    return (
        meta is not None
        and meta.is_negative_at(ParameterLocation.HEADER)
        and "Authorization" not in (case.headers or {})
    )


def call_and_check(case, base_url: str, credentials: dict[str, str], headers: dict[str, str]) -> None:
    before = database_fingerprint()
    # Our credentials are given as explicit overrides (headers, cookies): schemathesis knows them as real and
    # removes or spoils them itself to check that they are enforced (ignored_auth).
    if probes_credentials(case):
        response = case.call_and_validate(base_url=base_url)
    else:
        response = case.call_and_validate(base_url=base_url, headers=headers, cookies=credentials)
    if response.status_code >= 400:
        # The security log records refused credentials on purpose.
        after = {table: digest for table, digest in database_fingerprint().items() if "securityevent" not in table}
        before = {table: digest for table, digest in before.items() if "securityevent" not in table}
        assert after == before, f"{case.method} {case.path} was refused but changed rows"


@partner_schema.parametrize()
@seed(20260204)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_partners_contract_holds_under_fuzzing(case, partner_target):
    base_url, credentials, headers = partner_target
    call_and_check(case, base_url, credentials, headers)


@staff_schema.parametrize()
@seed(20260204)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_staff_contract_holds_under_fuzzing(case, staff_target):
    base_url, credentials, headers = staff_target
    call_and_check(case, base_url, credentials, headers)
