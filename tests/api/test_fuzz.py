"""Schema-based fuzzing with schemathesis against the running API (a live server), as partner A.

Every operation of the schema served at /api/schema/ gets generated requests, valid and invalid: no answer
is a 5xx, every answer matches the schema (status code, headers, body), and a request the API rejects
changes no row. (The schema is generated in-process at collection, the same document /api/schema/ serves:
schemathesis' fixture-based loader does not run under pytest 9.)
"""

from __future__ import annotations

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.api.snapshot import database_fingerprint

pytestmark = pytest.mark.django_db(transaction=True)

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture
def fuzz_target(live_server, world, partner_key, settings):  # noqa: F811 - pytest-django's settings fixture
    settings.API_THROTTLE_RATE = "100000/min"  # fuzzing is not abuse; the throttle has its own test
    _key, raw = partner_key(world.org_a)
    return live_server.url, {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_survives_fuzzing_and_matches_its_schema(case, fuzz_target):
    base_url, headers = fuzz_target
    before = database_fingerprint()
    response = case.call_and_validate(
        base_url=base_url,
        headers=headers,
        # Query filters follow django-filter's convention that an empty or unusable value filters nothing
        # (and an out-of-range page size falls back to the default), and a schema cannot say which
        # references exist: these two checks would report those choices, not faults.
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
    if response.status_code >= 400:
        assert database_fingerprint() == before, f"{case.method} {case.path} was refused but changed rows"
