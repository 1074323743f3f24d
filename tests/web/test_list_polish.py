"""Lists that do not slow daily use (issue 12): filters by reference, empty parameters dropped from the address,
open and soonest first, an unreadable filter answered with a message (and an export refused), "Any" as the
empty choice."""

from __future__ import annotations

import pytest

from followups.models import Status

pytestmark = pytest.mark.django_db


def _refs(response) -> list[str]:
    return [c.ref for c in response.context["object_list"]]


def test_filter_by_reference(coordinator_client, commitment_factory):
    mine = commitment_factory()
    commitment_factory()
    response = coordinator_client.get(f"/commitments/?framework={mine.framework.ref}")
    assert _refs(response) == [mine.ref]
    deadlines = coordinator_client.get(f"/deadlines/?framework={mine.framework.ref}").context["object_list"]
    assert [d.commitment.ref for d in deadlines] == [mine.ref]


def test_empty_parameters_are_dropped_from_the_address(coordinator_client):
    response = coordinator_client.get("/commitments/?q=&framework=&status=at_risk&status=&priority=")
    assert response.status_code == 302
    assert response["Location"] == "/commitments/?status=at_risk"
    assert coordinator_client.get("/deadlines/?q=&state=")["Location"] == "/deadlines/"


def test_unreadable_filter_shows_a_message_and_no_rows(coordinator_client, commitment_factory):
    commitment_factory()
    response = coordinator_client.get("/commitments/?framework=FW-NOPE")
    assert response.status_code == 200
    assert _refs(response) == []
    html = response.content.decode()
    assert "The filter could not be applied, so no rows are shown" in html
    assert "Framework: Select a valid choice." in html


@pytest.mark.parametrize("url", ["/commitments/export.csv", "/deadlines/export.xlsx", "/frameworks/export.csv"])
def test_export_with_an_unreadable_filter_is_refused(coordinator_client, commitment_factory, url):
    commitment_factory()
    response = coordinator_client.get(f"{url}?framework=FW-NOPE&organisation=ORG-NOPE")
    assert response.status_code == 400
    assert "The export was not made" in response.content.decode()


def test_open_and_soonest_first(coordinator_client, commitment_factory):
    done = commitment_factory(due_in=-100, status=Status.COMPLETED)
    done.deadlines.update(completed_on=done.deadlines.get().due_on)
    later = commitment_factory(due_in=40)
    late = commitment_factory(due_in=-10)
    soon = commitment_factory(due_in=3)
    assert _refs(coordinator_client.get("/commitments/")) == [late.ref, soon.ref, later.ref, done.ref]
    deadlines = coordinator_client.get("/deadlines/").context["object_list"]
    assert [d.commitment.ref for d in deadlines] == [late.ref, soon.ref, later.ref, done.ref]


def test_empty_choice_reads_any(coordinator_client):
    html = coordinator_client.get("/deadlines/").content.decode()
    assert "---------" not in html
    assert '<option value="" selected>Any</option>' in html
