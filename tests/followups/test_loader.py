"""load_ministerial: the real dataset loads, computes the dataset's due dates, is idempotent, and a broken
file is rejected with the record's id while the database stays exactly as it was."""

import copy
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from agreements.models import Framework, Membership, Organisation, Party, WorkingGroup
from followups.loader import DEFAULT_PATH, LoadError, load_data, load_file
from followups.models import Commitment, Deadline, Status, StatusUpdate

pytestmark = pytest.mark.django_db

DATASET = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def snapshot() -> dict[str, list]:
    """Every row of every table of ours, to compare before and after."""
    tables = [t for t in connection.introspection.table_names() if t.startswith(("agreements_", "followups_"))]
    rows = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - our own table names
            rows[table] = cursor.fetchall()
    return rows


def test_the_shipped_copy_is_the_shared_dataset():
    shared = DEFAULT_PATH.parents[2] / "shared" / "data" / "ministerial.json"
    if not shared.exists():
        pytest.skip("../shared is not beside the project")
    assert json.loads(shared.read_text()) == DATASET


def test_loads_every_record_of_the_dataset():
    report = load_file()
    assert Organisation.objects.count() == 79
    assert Framework.objects.count() == 33
    assert Commitment.objects.count() == 105
    assert WorkingGroup.objects.count() == 10
    assert Deadline.objects.count() == 49
    assert report.created["commitments"] == 105
    # Stable references partners will use.
    assert Framework.objects.get(ref="FW-US-AU").signed_on == date(2025, 10, 20)
    assert Organisation.objects.get(ref="ORG-AR").iso_alpha2 == "AR"
    assert set(Commitment.objects.get(ref="CMT-AU-01").owners.values_list("ref", flat=True)) == {"ORG-US", "ORG-AU"}


def test_every_computed_due_date_equals_the_datasets():
    load_file()
    expected = {c["id"]: c["deadline"] for c in DATASET["commitments"] if c.get("deadline")}
    assert len(expected) == 49
    for deadline in Deadline.objects.select_related("commitment"):
        rule = expected[deadline.commitment.ref]
        assert deadline.original_due_on.isoformat() == rule["due_date"], deadline.commitment.ref
        if rule.get("next_due_date"):
            assert deadline.due_on.isoformat() == rule["next_due_date"], deadline.commitment.ref
    # Six months and 180 days from the same signature are different deadlines.
    assert Deadline.objects.get(commitment__ref="CMT-AU-01").due_on == date(2026, 4, 20)
    assert Deadline.objects.get(commitment__ref="CMT-AU-04").due_on == date(2026, 4, 18)


def test_second_run_changes_nothing_and_says_so():
    load_file()
    before = snapshot()
    report = load_file()
    assert not report.changed
    assert "No changes" in "\n".join(report.lines())
    assert snapshot() == before


def test_command_reports_created_then_nothing(capsys):
    call_command("load_ministerial")
    first = capsys.readouterr().out
    assert "commitments: 105 created, 0 updated, 0 unchanged" in first
    call_command("load_ministerial")
    second = capsys.readouterr().out
    assert "commitments: 0 created, 0 updated, 105 unchanged" in second
    assert "No changes" in second


def test_sources_and_illustrative_flags_are_kept():
    load_file()
    australia = Framework.objects.get(ref="FW-US-AU")
    assert set(australia.sources.values_list("ref", flat=True)) >= {"S06", "S07"}
    forge_pricing = WorkingGroup.objects.get(ref="WG-FORGE-PRICING")
    assert forge_pricing.illustrative is True
    assert Commitment.objects.filter(illustrative=True).count() == 22


def test_parties_memberships_and_roles():
    load_file()
    pax = Framework.objects.get(ref="FW-PAX-SILICA")
    india = Party.objects.get(framework=pax, organisation__ref="ORG-IN")
    assert india.joined_on == date(2026, 2, 20)
    greece = Party.objects.get(framework=pax, organisation__ref="ORG-GR")
    # Known to the month: the latest day it allows, with its precision and note (tests/facts/).
    assert greece.joined_on == date(2026, 2, 19) and "before 2026-02-20" in greece.joined_note
    assert greece.joined_precision == "month"
    assert Party.objects.get(framework__ref="FW-FORGE", organisation__ref="ORG-KR").role == "chair"
    assert Membership.objects.filter(body__ref="ORG-MSP", member__ref="ORG-JP").exists()
    # Japan is party to FORGE's frameworks through its membership of bodies, not directly.
    assert Framework.objects.for_organisation(Organisation.objects.get(ref="ORG-JP")).filter(ref="FW-MSP").exists()


def test_derived_status_and_timeline_replay():
    report = load_file()
    eu_mou = Commitment.objects.get(ref="CMT-EUJP-01")
    # The dataset's 'overdue' is derived here; the later real event (completed late on 2026-04-24) is replayed.
    assert eu_mou.status == Status.COMPLETED_LATE
    deadline = eu_mou.deadlines.get()
    assert deadline.completed_on == date(2026, 4, 24)
    assert deadline.met_original is False
    assert StatusUpdate.objects.filter(commitment=eu_mou, happened_on=date(2026, 4, 24)).count() == 1
    assert any("CMT-TH-03" in note for note in report.notes)
    assert Framework.objects.get(ref="FW-US-EU-AP").status == "signed"


def test_a_reload_does_not_overwrite_what_staff_changed():
    load_file()
    Commitment.objects.filter(ref="CMT-AU-01").update(status=Status.AT_RISK)
    load_file()
    assert Commitment.objects.get(ref="CMT-AU-01").status == Status.AT_RISK


def test_a_changed_title_in_the_file_is_updated():
    load_file()
    data = copy.deepcopy(DATASET)
    data["commitments"][0]["title"] = "A corrected title"
    report = load_data(data)
    assert report.updated["commitments"] == 1
    assert Commitment.objects.get(ref=data["commitments"][0]["id"]).title == "A corrected title"


def broken(mutate) -> dict:
    data = copy.deepcopy(DATASET)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["commitments"][5].update(framework_id="FW-NOPE"), "framework_id refers to 'FW-NOPE'"),
        (lambda d: d["frameworks"][3].update(signed_date="2025-13-45"), "signed_date '2025-13-45' is not a date"),
        (lambda d: d["commitments"][7].update(status="finished"), "status 'finished' is unknown"),
        (lambda d: d["frameworks"][4].update(kind="treaty"), "kind 'treaty' is unknown"),
        (lambda d: d["commitments"][0]["deadline"].update(due_date="2026-04-21"), "differs from the rule"),
        (lambda d: d["commitments"][0]["deadline"].update(offset="six months"), "offset 'six months'"),
        (lambda d: d["commitments"][0].update(owner_party_ids=["ORG-XX"]), "owner_party_ids refers to 'ORG-XX'"),
        (
            lambda d: d.setdefault("contacts", []).append(
                {"id": "CON-1", "name": "A", "email": "not-mail", "organisation_id": "ORG-AR"}
            ),
            "email 'not-mail'",
        ),
    ],
)
def test_a_broken_file_is_rejected_with_the_record_and_nothing_changes(mutate, message):
    load_file()
    before = snapshot()
    data = broken(mutate)
    with pytest.raises(LoadError) as caught:
        load_data(data)
    assert message in str(caught.value)
    assert snapshot() == before


def test_a_broken_file_on_an_empty_database_loads_nothing(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken(lambda d: d["milestones"][2].update(date="yesterday"))))
    with pytest.raises(CommandError, match="MS-2024-09-23-MSPFN: date 'yesterday' is not a date"):
        call_command("load_ministerial", str(path))
    assert Organisation.objects.count() == 0


def test_not_json_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_ministerial", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_ministerial", str(tmp_path / "missing.json"))


def test_contacts_in_the_file_are_loaded_and_linked():
    data = copy.deepcopy(DATASET)
    data["contacts"] = [
        {
            "id": "CON-AR-1",
            "name": "Ana Ejemplo",
            "email": "ana@example.org",
            "organisation_id": "ORG-AR",
            "language": "es",
            "time_zone": "America/Argentina/Buenos_Aires",
        }
    ]
    target = next(c for c in data["commitments"] if "ORG-AR" in c["owner_party_ids"])
    target["contact_ids"] = ["CON-AR-1"]
    load_data(data)
    commitment = Commitment.objects.get(ref=target["id"])
    assert list(commitment.contacts.values_list("email", flat=True)) == ["ana@example.org"]
    # A later file without contacts leaves them assigned.
    load_file()
    assert commitment.contacts.count() == 1


def test_the_demo_seed_gives_its_contacts_their_reminders(db):
    from followups.demo import demo_seed
    from followups.models import Reminder, ReminderStatus

    load_file()
    assert not Reminder.objects.exists()  # the shipped file names no contacts
    demo_seed(dataset=json.loads(DEFAULT_PATH.read_text()))
    # CMT-CD-05 is due in December 2028: every reminder of its contacts is still ahead.
    pending = Reminder.objects.filter(deadline__commitment__ref="CMT-CD-05", status=ReminderStatus.PENDING)
    assert pending.filter(contact__email__endswith="@example.org").count() >= 6
