"""The number of queries per list request does not grow with the page size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.models import StatusUpdate
from tests.api.conftest import make_commitment

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/commitments/",
    "/api/v1/deadlines/",
    "/api/v1/frameworks/",
    "/api/v1/working-groups/",
    "/api/v1/organisations/",
    "/api/v1/status-updates/",
]


@pytest.fixture
def many(world):
    for i in range(2, 62):
        commitment = make_commitment(f"CMT-XA-{i:02d}", world.fw_a, world.org_a)
        StatusUpdate.objects.create(
            commitment=commitment, new_status="in_progress", happened_on="2026-03-01", actor="x"
        )


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", LISTS)
def test_queries_do_not_grow_with_page_size(many, client_a, url):
    client_a.get(url)  # the key's last_used_at is written on first use only
    small = count(client_a, url + "?page_size=2")
    large = count(client_a, url + "?page_size=60")
    assert small == large


def test_a_page_of_fifty_commitments_takes_a_handful_of_queries(many, client_a, django_assert_num_queries):
    client_a.get("/api/v1/commitments/")
    # Issue 15: the key with its organisation, the page, its owners with their sources (one UNION ALL), its
    # deadlines; a commitment alone the same.
    with django_assert_num_queries(4):
        assert len(client_a.get("/api/v1/commitments/?page_size=50").json()["results"]) == 50
    with django_assert_num_queries(4):
        assert client_a.get("/api/v1/commitments/CMT-XA-02/").json()["owners"]


def test_a_page_of_deadlines_takes_three_queries(many, client_a, django_assert_num_queries):
    client_a.get("/api/v1/deadlines/")
    # The key, the page with each deadline's commitment, the sources of those commitments.
    with django_assert_num_queries(3):
        assert len(client_a.get("/api/v1/deadlines/?page_size=50").json()["results"]) == 50
