"""Deadline recomputation, extensions, status roll-up and the database constraints, through the services."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agreements.models import Framework, Milestone, Organisation
from followups import services
from followups.models import AnchorKind, Commitment, Deadline, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(ministerial, db):
    """The real dataset (loaded once per module); each test's changes roll back."""


@pytest.fixture
def clerk():
    return get_user_model().objects.create_user("clerk-test", password="x")


def chained_deadline(anchor: Deadline, ref: str, offset: str) -> Deadline:
    """A follow-up deadline anchored on another deadline's due date."""
    deadline = Deadline(
        ref=ref,
        commitment=anchor.commitment,
        anchor_kind=AnchorKind.DEADLINE_DUE,
        anchor_deadline=anchor,
        offset=offset,
    )
    services.deadline_save_rule(deadline=deadline)
    return deadline


def test_correcting_a_signature_date_recomputes_every_dependent_due_date(dataset, clerk):
    australia = Framework.objects.get(ref="FW-US-AU")
    financing = Deadline.objects.get(ref="DL-AU-01")  # P6M
    meeting = Deadline.objects.get(ref="DL-AU-04")  # P180D
    report_back = chained_deadline(financing, "DL-AU-01-REPORT", "P30D")
    assert report_back.due_on == date(2026, 5, 20)

    changes = services.framework_change_dates(framework=australia, signed_on=date(2025, 8, 31), by_user=clerk)

    moved = {c.deadline.ref: (c.old_due_on, c.new_due_on) for c in changes}
    assert moved["DL-AU-01"] == (date(2026, 4, 20), date(2026, 2, 28))  # clamped to February's end
    assert moved["DL-AU-04"] == (date(2026, 4, 18), date(2026, 2, 27))
    assert moved["DL-AU-01-REPORT"] == (date(2026, 5, 20), date(2026, 3, 30))  # through the chain
    for deadline in (financing, meeting, report_back):
        deadline.refresh_from_db()
    assert financing.due_on == date(2026, 2, 28) and financing.anchor_date == date(2025, 8, 31)
    assert report_back.due_on == date(2026, 3, 30)
    # The history says who changed it and why.
    latest = financing.history.first()
    assert latest.history_user == clerk
    assert "FW-US-AU" in latest.history_change_reason


def test_preview_shows_old_and_new_and_changes_nothing(dataset):
    australia = Framework.objects.get(ref="FW-US-AU")
    changes = services.anchor_change_preview(anchor=australia, new_date=date(2025, 10, 21))
    assert {(c.deadline.ref, c.old_due_on, c.new_due_on) for c in changes} >= {
        ("DL-AU-01", date(2026, 4, 20), date(2026, 4, 21)),
        ("DL-AU-04", date(2026, 4, 18), date(2026, 4, 19)),
    }
    assert Framework.objects.get(ref="FW-US-AU").signed_on == date(2025, 10, 20)
    assert australia.signed_on == date(2025, 10, 20)
    assert Deadline.objects.get(ref="DL-AU-01").due_on == date(2026, 4, 20)


def test_moving_a_milestone_moves_the_deadlines_anchored_on_it(dataset):
    ministerial = Milestone.objects.get(ref="MS-2026-02-04-MINISTERIAL")
    changes = services.milestone_change_date(milestone=ministerial, new_date=date(2026, 2, 5))
    assert {c.deadline.commitment.ref for c in changes} >= {"CMT-DF-01", "CMT-FORGE-04", "CMT-FORGE-06"}
    assert Deadline.objects.get(commitment__ref="CMT-DF-01").due_on == date(2026, 8, 5)


def test_a_failed_recompute_leaves_everything_as_it_was(dataset):
    australia = Framework.objects.get(ref="FW-US-AU")
    with pytest.raises(services.RuleError):
        # A framework with no signature date cannot anchor its deadlines: nothing may change.
        services.framework_change_dates(framework=australia, signed_on=None)
    assert Framework.objects.get(ref="FW-US-AU").signed_on == date(2025, 10, 20)
    assert Deadline.objects.get(ref="DL-AU-01").due_on == date(2026, 4, 20)


def test_an_extension_keeps_the_original_date(dataset, clerk):
    deadline = Deadline.objects.get(ref="DL-AU-01")
    services.deadline_extend(deadline=deadline, new_due_on=date(2026, 6, 30), reason="Budget cycle", by_user=clerk)
    deadline.refresh_from_db()
    assert (deadline.original_due_on, deadline.extended_due_on, deadline.due_on) == (
        date(2026, 4, 20),
        date(2026, 6, 30),
        date(2026, 6, 30),
    )
    commitment = deadline.commitment
    services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, happened_on=date(2026, 5, 15))
    deadline.refresh_from_db()
    assert deadline.met_original is False
    assert deadline.met_extended is True
    commitment.refresh_from_db()
    # Completed after the original date but within the extension: done within the date in force.
    assert commitment.status == Status.COMPLETED


def test_an_extension_needs_a_reason_and_a_later_date(dataset):
    deadline = Deadline.objects.get(ref="DL-AU-01")
    with pytest.raises(ValidationError, match="why"):
        services.deadline_extend(deadline=deadline, new_due_on=date(2026, 6, 30), reason=" ")
    with pytest.raises(ValidationError, match="after the current due date"):
        services.deadline_extend(deadline=deadline, new_due_on=date(2026, 4, 1), reason="earlier")


def test_each_owner_has_its_own_status_and_the_commitment_rolls_up(dataset):
    commitment = Commitment.objects.get(ref="CMT-AU-01")  # owed by the US and Australia
    us, au = Organisation.objects.get(ref="ORG-US"), Organisation.objects.get(ref="ORG-AU")
    services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, owner=au, note="AU done")
    commitment.refresh_from_db()
    statuses = dict(commitment.ownerships.values_list("organisation__ref", "status"))
    assert statuses["ORG-AU"] in (Status.COMPLETED, Status.COMPLETED_LATE)
    assert statuses["ORG-US"] == Status.IN_PROGRESS
    assert commitment.status == Status.IN_PROGRESS  # one party has not delivered yet
    services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, owner=us)
    commitment.refresh_from_db()
    assert commitment.status in (Status.COMPLETED, Status.COMPLETED_LATE)
    assert commitment.deadlines.get().completed_on is not None
    assert list(commitment.status_updates.values_list("owner__ref", flat=True)) == ["ORG-US", "ORG-AU"]


def test_completing_after_the_due_date_is_completed_late_and_reopening_reopens(dataset):
    commitment = Commitment.objects.get(ref="CMT-AU-04")  # due 2026-04-18
    update = services.commitment_update_status(
        commitment=commitment, status=Status.COMPLETED, happened_on=date(2026, 5, 1), note="Meeting held"
    )
    assert update.new_status == Status.COMPLETED_LATE
    deadline = commitment.deadlines.get()
    assert deadline.completed_on == date(2026, 5, 1) and not deadline.is_overdue(today=date(2026, 11, 23))
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, note="Reopened")
    deadline.refresh_from_db()
    assert deadline.completed_on is None
    assert deadline.is_overdue(today=date(2026, 11, 23))


def test_overdue_is_derived_from_the_due_date_and_openness(dataset):
    today = date(2026, 3, 15)
    overdue = set(Commitment.objects.overdue(today=today).values_list("ref", flat=True))
    # The dataset's three 'overdue' commitments (as of 2026-03-15) and no completed one.
    assert {"CMT-TH-03", "CMT-KZ-02"} <= overdue
    assert not Commitment.objects.filter(ref__in=overdue, status=Status.COMPLETED).exists()
    assert "CMT-AU-01" not in overdue


def test_bad_status_and_foreign_owner_are_refused(dataset):
    commitment = Commitment.objects.get(ref="CMT-AU-01")
    with pytest.raises(ValidationError, match="Unknown status"):
        services.commitment_update_status(commitment=commitment, status="done")
    with pytest.raises(ValidationError, match="does not owe"):
        services.commitment_update_status(
            commitment=commitment, status=Status.AT_RISK, owner=Organisation.objects.get(ref="ORG-PE")
        )


def test_recurring_obligation_moves_to_the_next_occurrence(dataset):
    quarterly = Deadline.objects.get(commitment__ref="CMT-MY-01")
    assert quarterly.due_on == date(2026, 4, 26)
    services.deadline_complete_occurrence(deadline=quarterly)
    assert quarterly.due_on == date(2026, 7, 26)
    assert quarterly.original_due_on == date(2026, 1, 26)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": "finished"}, "commitment_status_valid"),
        ({"priority": "urgent"}, "commitment_priority_valid"),
    ],
)
def test_the_database_refuses_invalid_commitments(dataset, changes, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Commitment.objects.filter(ref="CMT-AU-01").update(**changes)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"extended_due_on": date(2026, 1, 1), "due_on": date(2026, 1, 1), "extension_reason": "x"}, "deadline_"),
        ({"extended_due_on": date(2026, 6, 1), "due_on": date(2026, 6, 1)}, "deadline_extension_later_with_reason"),
        ({"due_on": date(2026, 5, 1)}, "deadline_due_on_is_rule"),
        ({"anchor_framework": None}, "deadline_anchor_present"),
        ({"anchor_kind": "whenever"}, "deadline_anchor_kind_valid"),
    ],
)
def test_the_database_refuses_inconsistent_deadlines(dataset, changes, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Deadline.objects.filter(ref="DL-AU-01").update(**changes)


def test_the_database_refuses_a_duplicate_reference(dataset):
    with pytest.raises(IntegrityError), transaction.atomic():
        Framework.objects.create(ref="FW-US-AU", title="dup", kind="mou")
