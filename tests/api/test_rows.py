"""Issue 15: the API's commitments and deadlines are written from plain rows (followups.api_rows), in a few queries a
page; the serializers still describe the schema and give, for a model instance, what DRF's fields give. The two
must be the same JSON, key for key and in the same order, over a varied world: the real dataset (sourced, template
and illustrative records, sources, working groups), with claims of completion (awaiting and overtaken), an
extension, completed, cancelled and overdue deadlines, in UTC and in another time zone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from agreements.models import WorkingGroup
from agreements.roles import Role
from followups.api import CommitmentSerializer, DeadlineSerializer
from followups.models import Commitment, CommitmentOwner, Deadline, Status
from tests.api.conftest import all_items
from tests.followups.conftest import ministerial  # noqa: F401 - the dataset, loaded once per module

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(ministerial):  # noqa: F811
    """Rows in every state the representation distinguishes (set directly: this is about how they are written)."""
    now = timezone.now()
    today = timezone.localdate()
    owners = list(CommitmentOwner.objects.order_by("pk")[:6])
    for owner, status in zip(owners[:3], [Status.IN_PROGRESS, Status.COMPLETED, Status.AT_RISK], strict=True):
        # Awaiting verification, overtaken by staff completing it (awaits nobody), and a claim with a past status.
        CommitmentOwner.objects.filter(pk=owner.pk).update(
            status=status, completion_reported_at=now - timedelta(days=1, microseconds=17), status_changed_at=now
        )
    deadlines = list(Deadline.objects.filter(recurrence="").order_by("pk")[:8])
    Deadline.objects.filter(pk=deadlines[0].pk).update(completed_on=today)
    Deadline.objects.filter(pk=deadlines[1].pk).update(cancelled=True)
    Deadline.objects.filter(pk=deadlines[2].pk).update(
        due_on=today - timedelta(days=3), original_due_on=today - timedelta(days=3)
    )
    extended = deadlines[3]
    Deadline.objects.filter(pk=extended.pk).update(
        extended_due_on=extended.original_due_on + timedelta(days=30),
        due_on=extended.original_due_on + timedelta(days=30),
        extension_reason="Agreed at the working group",
    )
    Commitment.objects.filter(pk=deadlines[4].commitment_id).update(note="Ünïcode\u2028note")
    Commitment.objects.filter(pk=deadlines[5].commitment_id).update(working_group=WorkingGroup.objects.first())


@pytest.fixture
def staff(staff_client_factory):
    return staff_client_factory(Role.VIEWER)


def as_drf_fields_write(serializer_class, instances) -> list:
    """What DRF's fields write for model instances (the representation before issue 15), as parsed JSON."""
    data = [serializer_class(instance, context={}).data for instance in instances]
    return json.loads(JSONRenderer().render(data))


def same_json(a: list, b: list) -> bool:
    """Equal keys, order and values (json.dumps keeps key order); the first item that differs is printed."""
    for x, y in zip(a, b, strict=True):
        if json.dumps(x, ensure_ascii=False) != json.dumps(y, ensure_ascii=False):
            print("rows:", json.dumps(x, ensure_ascii=False), "\nDRF: ", json.dumps(y, ensure_ascii=False))
            return False
    return True


@pytest.mark.parametrize("zone", ["UTC", "America/Lima"])
def test_commitments_and_deadlines_from_rows_are_what_drf_fields_write(varied, staff, settings, zone):
    settings.TIME_ZONE = zone
    commitments = all_items(staff, "/api/v1/commitments/")
    expected = as_drf_fields_write(CommitmentSerializer, Commitment.objects.order_by("ref"))
    assert len(commitments) == len(expected) > 50
    assert same_json(commitments, expected)
    deadlines = all_items(staff, "/api/v1/deadlines/")
    assert same_json(deadlines, as_drf_fields_write(DeadlineSerializer, Deadline.objects.order_by("ref")))
    # What the variations must show, so that the comparison covered them.
    owners = [o for c in commitments for o in c["owners"]]
    assert {o["awaiting_verification"] for o in owners} == {True, False}
    assert {d["is_overdue"] for d in deadlines} == {True, False}
    assert any(d["extended_due_on"] for d in deadlines) and any(d["completed_on"] for d in deadlines)
    assert {c["basis"] for c in commitments} == {"sourced", "illustrative"}
    assert {d["basis"] for d in deadlines} == {"sourced", "template", "illustrative"}
    assert any(c["working_group"] for c in commitments) and any(c["working_group"] is None for c in commitments)
    offset = "Z" if zone == "UTC" else "-05:00"
    assert all(c["updated_at"].endswith(offset) for c in commitments)


def test_one_commitment_and_one_deadline_are_written_as_in_the_list(varied, staff):
    commitment = Commitment.objects.filter(deadlines__isnull=False, sources__isnull=False).order_by("ref").first()
    body = staff.get(f"/api/v1/commitments/{commitment.ref}/").json()
    assert same_json([body], as_drf_fields_write(CommitmentSerializer, [commitment]))
    deadline = commitment.deadlines.first()
    body = staff.get(f"/api/v1/deadlines/{deadline.ref}/").json()
    assert same_json([body], as_drf_fields_write(DeadlineSerializer, [deadline]))
