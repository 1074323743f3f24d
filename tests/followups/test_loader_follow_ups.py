"""What the services keep beside the records (issue 15): after a load, written set-based, the commitments' stored
next due dates and the dashboard's summaries equal a rebuild from the tables, and still do after a second load
that moves a framework's date (and so its deadlines)."""

import copy
import json

import pytest

from followups.loader import DEFAULT_PATH, load_data
from followups.next_due import commitments_next_due_stale
from followups.summary.counts import dashboard_summary_rebuild, dashboard_summary_snapshot

pytestmark = pytest.mark.django_db

DATASET = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def with_copies(n: int) -> dict:
    data = copy.deepcopy(DATASET)
    for i in range(n):
        record = copy.deepcopy(DATASET["commitments"][i % len(DATASET["commitments"])])
        record["id"], record["title"] = f"CMT-LB{i:06d}", f"{record['title']} (copy {i})"
        data["commitments"].append(record)
    return data


def assert_kept_equal_a_rebuild() -> None:
    assert not commitments_next_due_stale().exists()
    kept = dashboard_summary_snapshot()
    dashboard_summary_rebuild()
    assert dashboard_summary_snapshot() == kept


def test_after_a_first_and_a_changed_load_next_due_and_summaries_equal_a_rebuild():
    load_data(with_copies(50))
    assert_kept_equal_a_rebuild()
    changed = with_copies(50)
    framework = next(f for f in changed["frameworks"] if f["id"] == "FW-US-CD")
    framework["signed_date"] = "2025-12-05"
    for commitment in changed["commitments"]:
        rule = commitment.get("deadline") or {}
        if rule.get("anchor_ref") == "FW-US-CD":
            for stated in ("anchor_date", "due_date", "next_due_date"):
                rule.pop(stated, None)
    assert load_data(changed).changed
    assert_kept_equal_a_rebuild()


def test_parties_left_out_of_the_file_take_their_own_deadlines_and_the_next_due_date_follows():
    """A clock per party (set in the tracker) gives each acceding party its deadline; a later file without those
    accessions removes the parties as the admin does: their deadlines go, and the commitment's next due date and
    the dashboard follow."""
    from followups import services
    from followups.models import Commitment, Deadline, PartyClock

    load_data(DATASET)
    commitment = Commitment.objects.get(ref="CMT-PAX-02")
    clock = PartyClock(ref="PC-LOAD-1", commitment=commitment, framework=commitment.framework, offset="P12M")
    services.deadline_rule_per_party_apply(clock=clock, actor="test")
    given = set(Deadline.objects.filter(party_clock=clock).values_list("pk", flat=True))
    assert len(given) >= 2
    # The acceding parties have dates of their own: the earliest of their deadlines is the commitment's next.
    earliest = Deadline.objects.filter(party_clock=clock).order_by("due_on").first()
    assert Commitment.objects.get(pk=commitment.pk).next_due_on == earliest.due_on

    changed = copy.deepcopy(DATASET)
    next(f for f in changed["frameworks"] if f["id"] == "FW-PAX-SILICA")["accessions"] = []
    for organisation in changed["organisations"]:  # the organisations' own records say they joined, too
        organisation.pop("pax_silica_joined", None)
    load_data(changed)

    assert not Deadline.objects.filter(pk__in=given).exists()
    assert Commitment.objects.get(pk=commitment.pk).next_due_on != earliest.due_on
    assert_kept_equal_a_rebuild()
