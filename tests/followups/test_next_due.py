"""A commitment's stored next due date (Commitment.next_due_on, issue 15) is what its deadlines give, after every
kind of change through every door: the staff pages, the admin, the API, signed partner links, the loader and the
hourly task, besides the services themselves.

Each test makes the change as its door does and then rebuilds the date from the deadlines in Python (the earliest
due date of the open ones, None without one) and compares it with what is stored, for every commitment; the staff
list shows the stored date, so the test also reads it there once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from agreements.roles import Role
from followups import services
from followups.models import AnchorKind, Commitment, Deadline, PartyClock, Status
from followups.next_due import commitments_next_due_refresh, commitments_next_due_stale
from tests import factories as f
from tests.agreements.test_admin import form_of
from tests.partner.conftest import clock, partner, reminder_for, report_path  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def assert_rebuilt() -> None:
    """Every commitment's stored date equals the one recomputed from its deadlines."""
    expected: dict[int, date] = {}
    for commitment_id, due_on, completed_on, cancelled in Deadline.objects.values_list(
        "commitment_id", "due_on", "completed_on", "cancelled"
    ):
        if completed_on is None and not cancelled:
            expected[commitment_id] = min(due_on, expected.get(commitment_id, due_on))
    stored = dict(Commitment.objects.values_list("pk", "next_due_on"))
    assert stored == {pk: expected.get(pk) for pk in stored}
    assert not commitments_next_due_stale().exists()


def next_due(commitment: Commitment) -> date | None:
    return Commitment.objects.values_list("next_due_on", flat=True).get(pk=commitment.pk)


def two_deadlines() -> tuple[Commitment, Deadline, Deadline]:
    commitment: Commitment = f.CommitmentFactory()  # type: ignore[assignment]
    late = f.fixed_deadline(date(2026, 9, 1), commitment=commitment)
    soon = f.fixed_deadline(date(2026, 6, 15), commitment=commitment)
    return commitment, soon, late


@pytest.fixture
def coordinator_user():
    return f.UserFactory(role=Role.COORDINATOR)


@pytest.fixture
def clerk(client_for):
    user = f.UserFactory(role=Role.DATA_CLERK, is_staff=True)
    return client_for(user)


# --- The services -------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_created_extended_closed_reopened_cancelled_and_deleted_through_the_services(coordinator_user):
    commitment, soon, late = two_deadlines()
    assert next_due(commitment) == date(2026, 6, 15)
    assert_rebuilt()
    services.deadline_extend(deadline=soon, new_due_on=date(2026, 10, 1), reason="late data", by_user=coordinator_user)
    assert next_due(commitment) == date(2026, 9, 1)
    assert_rebuilt()
    services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, by_user=coordinator_user)
    assert next_due(commitment) is None
    assert_rebuilt()
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, by_user=coordinator_user)
    assert next_due(commitment) == date(2026, 9, 1)
    assert_rebuilt()
    services.commitment_update_status(commitment=commitment, status=Status.CANCELLED, by_user=coordinator_user)
    assert next_due(commitment) is None
    services.commitment_update_status(commitment=commitment, status=Status.AT_RISK, by_user=coordinator_user)
    services.deadline_delete(deadline=late, by_user=coordinator_user)
    assert next_due(commitment) == date(2026, 10, 1)
    services.deadline_delete(deadline=soon, by_user=coordinator_user)
    assert next_due(commitment) is None
    assert_rebuilt()


@time_machine.travel(NOW, tick=False)
def test_an_anchor_moved_a_recurring_occurrence_met_and_a_deadline_moved_to_another_commitment():
    framework = f.FrameworkFactory(signed_on=date(2026, 1, 10))
    commitment = f.CommitmentFactory(framework=framework)
    anchored = f.DeadlineFactory(
        commitment=commitment, anchor_kind=AnchorKind.FRAMEWORK_SIGNED, anchor_framework=framework, offset="P6M"
    )
    assert next_due(commitment) == date(2026, 7, 10)
    services.framework_change_dates(framework=framework, signed_on=date(2026, 2, 1))
    assert next_due(commitment) == date(2026, 8, 1)
    assert_rebuilt()
    recurring = f.DeadlineFactory(
        commitment=commitment,
        anchor_kind=AnchorKind.FIXED,
        anchor_date=date(2026, 4, 15),
        offset="",
        recurrence="FREQ=MONTHLY;INTERVAL=3",
    )
    assert next_due(commitment) == date(2026, 4, 15)
    services.deadline_record_occurrence(deadline=recurring, outcome="missed")
    assert next_due(commitment) == date(2026, 7, 15)
    assert_rebuilt()
    other = f.CommitmentFactory(framework=framework)
    anchored.refresh_from_db()
    anchored.commitment = other
    services.deadline_save_rule(deadline=anchored)
    assert (next_due(commitment), next_due(other)) == (date(2026, 7, 15), date(2026, 8, 1))
    assert_rebuilt()


@time_machine.travel(NOW, tick=False)
def test_per_party_deadlines_given_and_taken_by_the_clock_and_the_parties():
    framework = f.FrameworkFactory(signed_on=date(2026, 1, 10))
    commitment = f.CommitmentFactory(framework=framework)
    first = f.PartyFactory(framework=framework, joined_on=date(2026, 2, 1))
    per_party = PartyClock(ref="PC-T-1", commitment=commitment, framework=framework, offset="P3M")
    services.deadline_rule_per_party_apply(clock=per_party)
    assert next_due(commitment) == date(2026, 5, 1)
    second = f.PartyFactory(framework=framework, joined_on=date(2026, 1, 20))  # saved through party_save
    assert next_due(commitment) == date(2026, 4, 20)
    assert_rebuilt()
    services.party_delete(party=second)
    assert next_due(commitment) == date(2026, 5, 1)
    assert_rebuilt()
    services.party_clock_delete(clock=per_party)
    assert next_due(commitment) is None and first.pk
    assert_rebuilt()


# --- The doors ----------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_staff_pages_status_form_and_extension(client_for, coordinator_user):
    commitment, soon, _late = two_deadlines()
    client = client_for(coordinator_user)
    url = reverse("followups:commitment_detail", args=[commitment.ref])
    assert client.post(url, {"status": Status.COMPLETED, "note": "done"}).status_code == 302
    assert next_due(commitment) is None
    assert client.post(url, {"status": Status.IN_PROGRESS, "note": "reopened"}).status_code == 302
    extend = reverse("followups:deadline_extend", args=[soon.ref])
    form = {f"extend-{soon.pk}-new_due_on": "2026-12-01", f"extend-{soon.pk}-reason": "late data"}
    assert client.post(extend, form).status_code == 302
    assert next_due(commitment) == date(2026, 9, 1)
    assert_rebuilt()
    # The list shows the stored date.
    page = client.get(reverse("followups:commitment_list")).content.decode()
    assert "2026-09-01" in page


@time_machine.travel(NOW, tick=False)
def test_the_admin_deadline_inline_delete_and_party_clock_delete(clerk):
    commitment, soon, _late = two_deadlines()
    assert clerk.post(reverse("admin:followups_deadline_delete", args=[soon.pk]), {"post": "yes"}).status_code == 302
    assert next_due(commitment) == date(2026, 9, 1)
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk, url)
    data["status"] = [Status.COMPLETED.value]
    assert clerk.post(url, data).status_code == 302
    assert next_due(commitment) is None
    assert_rebuilt()
    framework = f.FrameworkFactory(signed_on=date(2026, 1, 10))
    with_clock = f.CommitmentFactory(framework=framework)
    f.PartyFactory(framework=framework, joined_on=date(2026, 2, 1))
    per_party = PartyClock(ref="PC-T-2", commitment=with_clock, framework=framework, offset="P3M")
    services.deadline_rule_per_party_apply(clock=per_party)
    assert next_due(with_clock) == date(2026, 5, 1)
    delete = reverse("admin:followups_partyclock_delete", args=[per_party.pk])
    assert clerk.post(delete, {"post": "yes"}).status_code == 302
    assert next_due(with_clock) is None
    assert_rebuilt()


def test_the_api_occurrence_and_the_hourly_task_review(coordinator_user):
    commitment = f.CommitmentFactory()
    with time_machine.travel(NOW, tick=False):
        recurring = f.DeadlineFactory(
            commitment=commitment,
            anchor_kind=AnchorKind.FIXED,
            anchor_date=date(2026, 4, 15),
            offset="",
            recurrence="FREQ=MONTHLY;INTERVAL=3",
        )
    api = APIClient()
    api.force_login(coordinator_user)
    with time_machine.travel(datetime(2026, 4, 20, 15, 0, tzinfo=UTC), tick=False):
        answer = api.post(f"/api/v1/deadlines/{recurring.ref}/occurrences/", {"outcome": "met"}, format="json")
        assert answer.status_code == 201, answer.content
        assert next_due(commitment) == date(2026, 7, 15)
        reviewed = f.CommitmentFactory(review_every="P6M")
        assert next_due(reviewed) is None
        services.reminders_plan_hourly()  # the beat's hourly task schedules the review deadline
        assert next_due(reviewed) is not None
        assert_rebuilt()


def test_a_signed_link_report_leaves_it_and_the_accepted_completion_clears_it(client, partner, coordinator_user):  # noqa: F811
    assert next_due(partner.commitment) == date(2026, 6, 15)
    response = client.post(report_path(reminder_for(partner)), {"status": Status.COMPLETED, "note": "hecho"})
    assert response.status_code == 302
    assert next_due(partner.commitment) == date(2026, 6, 15)  # a claim: the deadline stays open
    services.commitment_update_status(
        commitment=partner.commitment, status=Status.COMPLETED, owner=partner.other, by_user=coordinator_user
    )
    services.commitment_completion_accept(
        commitment=partner.commitment, owner=partner.country, by_user=coordinator_user
    )
    assert next_due(partner.commitment) is None
    assert_rebuilt()


def test_the_loader_and_the_rebuild_command(ministerial):
    assert Commitment.objects.filter(next_due_on__isnull=False).exists()
    assert_rebuilt()
    # Written around the services (raw SQL, a restore): the command finds it and puts it right.
    Commitment.objects.filter(next_due_on__isnull=False).update(next_due_on=date(2000, 1, 1))
    with pytest.raises(Exception, match="stale"):
        call_command("next_due_refresh", "--check")
    call_command("next_due_refresh")
    call_command("next_due_refresh", "--check")
    assert_rebuilt()
    assert commitments_next_due_refresh() == 0  # safe to run twice


def test_a_commitment_saved_from_a_stale_instance_keeps_the_stored_date(coordinator_user):
    commitment = f.CommitmentFactory()
    stale = Commitment.objects.get(pk=commitment.pk)
    with time_machine.travel(NOW, tick=False):
        f.fixed_deadline(date(2026, 6, 15), commitment=commitment)
    stale.title = "Renamed"
    stale.save()
    assert next_due(commitment) == date(2026, 6, 15)
    assert_rebuilt()
