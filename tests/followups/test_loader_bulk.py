"""A load writes set-based (issue 15): the statements of a first load do not grow with the number of commitments,
a second load of the same file is a few reads per kind, and the records created together are what the services
would have written one by one (history, owners, deadlines and their reminders)."""

import copy
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agreements.models import Organisation
from followups.loader import DEFAULT_PATH, load_data
from followups.models import Commitment, CommitmentOwner, Deadline

pytestmark = pytest.mark.django_db

DATASET = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def with_copies(n: int) -> dict:
    """The shipped dataset with `n` more commitments, copies of its own under new ids (as bench/bench_loader.py)."""
    data = copy.deepcopy(DATASET)
    originals = data["commitments"]
    for i in range(n):
        record = copy.deepcopy(originals[i % len(originals)])
        record["id"], record["title"] = f"CMT-LB{i:06d}", f"{record['title']} (copy {i})"
        data["commitments"].append(record)
    return data


def statements(data: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        load_data(data)
    return len(queries)


def test_a_first_load_takes_as_many_statements_for_200_more_commitments():
    with transaction.atomic():  # the same empty tracker for both
        few = statements(with_copies(0))
        transaction.set_rollback(True)
    more = statements(with_copies(200))
    assert Commitment.objects.count() == 105 + 200
    assert more <= few + 5, (few, more)


def test_a_second_load_of_the_same_file_reads_a_few_rows_per_kind(django_assert_max_num_queries):
    data = with_copies(100)
    load_data(data)
    with django_assert_max_num_queries(50):
        report = load_data(data)
    assert not report.changed


def test_records_created_together_carry_their_history_owners_and_deadlines():
    load_data(with_copies(10))
    copied = Commitment.objects.get(ref="CMT-LB000000")
    original = Commitment.objects.get(ref=DATASET["commitments"][0]["id"])
    assert copied.history.get().history_change_reason == "load_ministerial"
    assert set(copied.owners.values_list("ref", flat=True)) == set(original.owners.values_list("ref", flat=True))
    owner = CommitmentOwner.objects.filter(commitment=copied).first()
    assert owner is not None and owner.status == copied.status
    assert owner.history.get().history_change_reason == "load_ministerial: owner added"
    deadline = Deadline.objects.get(commitment=copied)
    assert deadline.due_on == Deadline.objects.get(commitment=original).due_on
    assert deadline.history.get().history_change_reason == "load_ministerial: rule in the file"
    assert set(copied.sources.values_list("ref", flat=True)) == set(original.sources.values_list("ref", flat=True))
    # An organisation is saved a second time only when the file gives it a parent (a reference to its own kind).
    assert Organisation.history.filter(history_type="~").count() == Organisation.objects.exclude(parent=None).count()
