"""Schema-based fuzzing with schemathesis against the running API (a live server), as partner A and as staff.

Every operation of the schema served at /api/schema/ gets generated requests, valid and invalid, with a fixed
seed: no answer is a 5xx, every answer matches the schema (status code, headers, body, content type), an
invalid request is refused, an undeclared method is a 405, and a request the API rejects changes no row. (The
schema is generated in-process at collection, the same document /api/schema/ serves: schemathesis'
fixture-based loader does not run under pytest 9.)
"""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, seed, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from agreements.roles import Role, role_groups_ensure
from tests.api.snapshot import database_fingerprint

pytestmark = pytest.mark.django_db(transaction=True)

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


def staff_headers() -> dict[str, str]:
    """A coordinator's session cookie and a CSRF token, as a logged-in browser would send them."""
    user = get_user_model().objects.create_user("fuzz-coordinator", password="x")
    user.groups.add(role_groups_ensure()[Role.COORDINATOR])
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    token = _get_new_csrf_string()
    cookies = f"{django_settings.SESSION_COOKIE_NAME}={session}; {django_settings.CSRF_COOKIE_NAME}={token}"
    return {"Cookie": cookies, "X-CSRFToken": token}


@pytest.fixture(params=["partner", "staff"])
def fuzz_target(request, live_server, world, partner_key, settings):
    settings.API_THROTTLE_RATE = "100000/min"  # fuzzing is not abuse; the throttle has its own test
    if request.param == "partner":
        return live_server.url, {"Authorization": f"Bearer {partner_key(world.org_a)[1]}"}
    return live_server.url, staff_headers()


@schema.parametrize()
@seed(20260204)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_survives_fuzzing_and_matches_its_schema(case, fuzz_target):
    base_url, headers = fuzz_target
    before = database_fingerprint()
    # A schema cannot say which references exist nor which cursors the API handed out: a well-formed but
    # unknown cursor is a documented 400, not a rejected valid request.
    excluded = [positive_data_acceptance]
    if "Cookie" in headers:
        # The session cookie is sent as a fixed header, over any invalid one schemathesis generates; the partner
        # run checks that invalid credentials are refused.
        excluded.append(ignored_auth)
    response = case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=excluded)
    if response.status_code >= 400:
        # The security log records refused credentials on purpose.
        after = {table: digest for table, digest in database_fingerprint().items() if "securityevent" not in table}
        before = {table: digest for table, digest in before.items() if "securityevent" not in table}
        assert after == before, f"{case.method} {case.path} was refused but changed rows"
