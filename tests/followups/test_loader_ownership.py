"""Who owns a value (DESIGN.md; issue 9 item 1): after a load, what staff change in the tracker stays through every
later load of the same file or of a changed one; what nobody changed follows the file; where both changed, the
tracker's value stays and the conflict is listed by record and field, in the command's output and on a staff page.
"""

import copy
import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from agreements.models import Contact, Framework, Organisation
from followups import services
from followups.loader import DEFAULT_PATH, load_data
from followups.models import Commitment, Deadline, LoadBaseline, Reminder, ReminderStatus, Status, StatusUpdate

pytestmark = pytest.mark.django_db

DATASET = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
CONTACTS = {
    "CON-AU-1": ("ORG-AU", ["CMT-AU-01"]),
    "CON-JP-1": ("ORG-JP", ["CMT-JP-01"]),
    "CON-JP-2": ("ORG-JP", []),
    "CON-CD-1": ("ORG-CD", ["CMT-CD-05"]),
}


def dataset(mutate=None) -> dict:
    """The shipped dataset with a few points of contact (the shipped file names none), optionally changed."""
    data = copy.deepcopy(DATASET)
    data["contacts"] = [
        {"id": ref, "name": f"Contact {ref}", "email": f"{ref.lower()}@example.org", "organisation_id": org}
        for ref, (org, _commitments) in CONTACTS.items()
    ]
    for commitment in data["commitments"]:
        commitment["contact_ids"] = [ref for ref, (_org, refs) in CONTACTS.items() if commitment["id"] in refs]
    if mutate:
        mutate(data)
    return data


def record(data: dict, key: str, ref: str) -> dict:
    return next(r for r in data[key] if r["id"] == ref)


def move_framework_date(data: dict, ref: str, signed: str) -> None:
    """Change a framework's signature date in the file; its deadlines' stated dates go (they are a cross-check)."""
    record(data, "frameworks", ref)["signed_date"] = signed
    for commitment in data["commitments"]:
        rule = commitment.get("deadline") or {}
        if rule.get("anchor_ref") == ref:
            for stated in ("anchor_date", "due_date", "next_due_date"):
                rule.pop(stated, None)


def staff_change(coordinator) -> None:
    """What staff do after the first load, through the services the staff pages and the admin call."""
    japan = Framework.objects.get(ref="FW-US-JP")
    services.framework_change_dates(
        framework=japan, signed_on=date(2025, 10, 27), effective_on=japan.effective_on, by_user=coordinator
    )
    japan.refresh_from_db()
    japan.place = "Akasaka Palace (corrected)"
    services.save_with_history(japan, by_user=coordinator, actor="")
    titled = Commitment.objects.get(ref="CMT-AU-02")
    titled.title = "A title corrected by staff"
    services.save_with_history(titled, by_user=coordinator, actor="")
    services.commitment_update_status(
        commitment=Commitment.objects.get(ref="CMT-AU-01"), status=Status.AT_RISK, by_user=coordinator
    )
    services.commitment_owner_set(
        commitment=Commitment.objects.get(ref="CMT-AU-04"),
        organisations=[Organisation.objects.get(ref="ORG-US")],
        by_user=coordinator,
    )
    services.commitment_contacts_set(
        commitment=Commitment.objects.get(ref="CMT-JP-01"), contacts=[Contact.objects.get(ref="CON-JP-2")]
    )
    contact = Contact.objects.get(ref="CON-AU-1")
    contact.email = "corrected-by-staff@example.org"
    contact.save()
    services.commitments_recipients_changed(contact.commitments.all())


def assert_staff_changes_kept() -> None:
    japan = Framework.objects.get(ref="FW-US-JP")
    assert japan.signed_on == date(2025, 10, 27)
    assert japan.place == "Akasaka Palace (corrected)"
    # The deadlines follow the corrected anchor, not the file's date (2025-10-28 + P6M = 2026-04-28).
    assert Deadline.objects.get(ref="DL-JP-01").due_on == date(2026, 4, 27)
    assert Commitment.objects.get(ref="CMT-AU-02").title == "A title corrected by staff"
    assert Commitment.objects.get(ref="CMT-AU-01").status == Status.AT_RISK
    assert list(Commitment.objects.get(ref="CMT-AU-04").owners.values_list("ref", flat=True)) == ["ORG-US"]
    assert list(Commitment.objects.get(ref="CMT-JP-01").contacts.values_list("ref", flat=True)) == ["CON-JP-2"]
    assert Contact.objects.get(ref="CON-AU-1").email == "corrected-by-staff@example.org"


def test_the_same_file_again_keeps_every_staff_change_and_reports_no_conflict(coordinator):
    load_data(dataset())
    staff_change(coordinator)
    report = load_data(dataset())
    assert_staff_changes_kept()
    assert report.conflicts == []
    assert report.kept >= 7
    assert not report.changed
    assert not LoadBaseline.objects.exclude(conflicts={}).exists()


def changed_file(data: dict) -> None:
    move_framework_date(data, "FW-US-JP", "2025-10-29")  # staff corrected it too: a conflict
    record(data, "commitments", "CMT-AU-02")["title"] = "A title from the file"  # a conflict
    record(data, "commitments", "CMT-AU-03")["title"] = "A corrected title from the file"  # nobody touched it
    record(data, "commitments", "CMT-JP-02")["status"] = "at_risk"  # nobody touched it
    record(data, "commitments", "CMT-JP-01")["contact_ids"] = ["CON-JP-1", "CON-AU-1"]  # a conflict
    record(data, "contacts", "CON-JP-1")["name"] = "Renamed in the file"  # nobody touched it
    move_framework_date(data, "FW-US-CD", "2025-12-05")  # nobody touched it: its deadline and reminders move


def test_a_changed_file_applies_what_nobody_changed_and_lists_the_conflicts(coordinator):
    load_data(dataset())
    staff_change(coordinator)
    report = load_data(dataset(changed_file))

    assert_staff_changes_kept()
    # Untouched values follow the file, through the services (timeline, dependent deadlines).
    assert Commitment.objects.get(ref="CMT-AU-03").title == "A corrected title from the file"
    moved = Commitment.objects.get(ref="CMT-JP-02")
    assert moved.status == Status.AT_RISK
    assert StatusUpdate.objects.filter(commitment=moved, new_status=Status.AT_RISK, actor="load_ministerial").exists()
    assert Contact.objects.get(ref="CON-JP-1").name == "Renamed in the file"
    assert Framework.objects.get(ref="FW-US-CD").signed_on == date(2025, 12, 5)
    deadline = Deadline.objects.get(ref="DL-CD-05")
    assert deadline.due_on == date(2028, 12, 5)
    # A repeating review: the dataset's RP-RECURRING reminds 7 and 1 days before.
    before_7 = Reminder.objects.get(deadline=deadline, contact__ref="CON-CD-1", kind="before_7")
    assert before_7.status == ReminderStatus.PENDING
    zone = ZoneInfo(before_7.contact.time_zone)
    assert timezone.localtime(before_7.due_at, zone).date() == date(2028, 11, 28)

    conflicts = {(c.ref, c.field): c for c in report.conflicts}
    assert set(conflicts) == {("FW-US-JP", "signed_on"), ("CMT-AU-02", "title"), ("CMT-JP-01", "contacts")}
    assert conflicts[("FW-US-JP", "signed_on")].file == "2025-10-29"
    assert conflicts[("FW-US-JP", "signed_on")].loaded == "2025-10-28"
    assert conflicts[("FW-US-JP", "signed_on")].tracker == "2025-10-27"
    assert "FW-US-JP signed_on" in "\n".join(report.lines())
    stored = LoadBaseline.objects.get(kind="commitments", ref="CMT-AU-02").conflicts
    assert stored["title"]["tracker"] == "A title corrected by staff"

    # Loaded again, the conflicts are still listed (until someone settles them) and nothing else changes.
    again = load_data(dataset(changed_file))
    assert {(c.ref, c.field) for c in again.conflicts} == set(conflicts)
    assert not again.changed
    assert_staff_changes_kept()


def test_a_conflict_is_settled_when_the_tracker_agrees_with_the_file(coordinator):
    load_data(dataset())
    staff_change(coordinator)
    load_data(dataset(changed_file))
    titled = Commitment.objects.get(ref="CMT-AU-02")
    titled.title = "A title from the file"
    services.save_with_history(titled, by_user=coordinator, actor="")
    report = load_data(dataset(changed_file))
    assert ("CMT-AU-02", "title") not in {(c.ref, c.field) for c in report.conflicts}
    assert "title" not in LoadBaseline.objects.get(kind="commitments", ref="CMT-AU-02").conflicts


def test_a_deadline_deleted_by_staff_is_not_created_again(coordinator):
    load_data(dataset())
    services.deadline_delete(deadline=Deadline.objects.get(ref="DL-AU-07"), by_user=coordinator)
    report = load_data(dataset())
    assert not Deadline.objects.filter(ref="DL-AU-07").exists()
    assert any("DL-AU-07" in note for note in report.notes)


def test_the_command_prints_the_conflicts(coordinator, tmp_path, capsys):
    load_data(dataset())
    staff_change(coordinator)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(dataset(changed_file)))
    call_command("load_ministerial", str(path))
    out = capsys.readouterr().out
    assert "3 conflict(s)" in out
    assert "FW-US-JP signed_on: the file says '2025-10-29', the tracker has '2025-10-27'" in out
    assert "CMT-AU-02 title" in out
    assert "/imports/conflicts/" in out


def test_coordinators_and_clerks_read_the_conflicts_page(
    coordinator, coordinator_client, data_clerk_client, viewer_client, desk_officer_client, client
):
    load_data(dataset())
    staff_change(coordinator)
    load_data(dataset(changed_file))
    for staff in (coordinator_client, data_clerk_client):
        page = staff.get("/imports/conflicts/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "FW-US-JP" in text and "signed_on" in text and "2025-10-29" in text and "2025-10-27" in text
        assert "A title corrected by staff" in text
    assert viewer_client.get("/imports/conflicts/").status_code == 403
    assert desk_officer_client.get("/imports/conflicts/").status_code == 403
    assert client.get("/imports/conflicts/").status_code == 302  # to the login page


def test_the_conflicts_page_says_when_there_is_none(coordinator_client):
    load_data(dataset())
    page = coordinator_client.get("/imports/conflicts/")
    assert page.status_code == 200
    assert "No conflicts" in page.content.decode()


def test_an_unknown_key_is_rejected_with_its_name_and_nothing_is_loaded():
    from followups.loader import LoadError

    data = dataset(lambda d: record(d, "commitments", "CMT-AU-01").update(owner_ids=["ORG-AU"]))
    with pytest.raises(LoadError, match="CMT-AU-01: unknown key.s. owner_ids in commitments"):
        load_data(data)
    assert not Commitment.objects.exists()


STAFF_CORRECTION = """
from datetime import date
from django.contrib.auth import get_user_model
from agreements.models import Framework, Organisation
from followups import services
from followups.models import Commitment, Status

coordinator = get_user_model().objects.get(username="coordinator")
japan = Framework.objects.get(ref="FW-US-JP")
services.framework_change_dates(
    framework=japan, signed_on=date(2025, 10, 27), effective_on=japan.effective_on, by_user=coordinator
)
titled = Commitment.objects.get(ref="CMT-AU-02")
titled.title = "A title corrected by staff"
services.save_with_history(titled, by_user=coordinator, actor="")
services.commitment_update_status(
    commitment=Commitment.objects.get(ref="CMT-AU-01"), status=Status.AT_RISK, by_user=coordinator
)
services.commitment_owner_set(
    commitment=Commitment.objects.get(ref="CMT-AU-04"), organisations=[Organisation.objects.get(ref="ORG-US")]
)
services.commitment_contacts_set(commitment=Commitment.objects.get(ref="CMT-JP-01"), contacts=[])
"""

READ_BACK = """
import json
from agreements.models import Framework
from followups.models import Commitment, Deadline

print(json.dumps({
    "signed_on": str(Framework.objects.get(ref="FW-US-JP").signed_on),
    "due_on": str(Deadline.objects.get(ref="DL-JP-01").due_on),
    "title": Commitment.objects.get(ref="CMT-AU-02").title,
    "status": Commitment.objects.get(ref="CMT-AU-01").status,
    "owners": sorted(Commitment.objects.get(ref="CMT-AU-04").owners.values_list("ref", flat=True)),
    "contacts": list(Commitment.objects.get(ref="CMT-JP-01").contacts.values_list("ref", flat=True)),
}))
"""


def test_make_run_twice_changes_nothing_staff_changed(tmp_path):
    """`make run`'s set-up (migrate, load_ministerial, seed_demo) on a fresh SQLite file, a coordinator's
    corrections, then the same set-up again: every correction survives."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "TEST_DB"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def set_up() -> tuple[str, str]:
        manage("migrate", "--noinput")
        return manage("load_ministerial"), manage("seed_demo")

    set_up()
    manage("shell", "-c", STAFF_CORRECTION)
    corrected = json.loads(manage("shell", "-c", READ_BACK).splitlines()[-1])
    loaded, seeded = set_up()

    assert json.loads(manage("shell", "-c", READ_BACK).splitlines()[-1]) == corrected
    assert corrected == {
        "signed_on": "2025-10-27",
        "due_on": "2026-04-27",
        "title": "A title corrected by staff",
        "status": "at_risk",
        "owners": ["ORG-US"],
        "contacts": [],
    }
    assert "No changes" in loaded and "conflict" not in loaded
    assert "No changes" in seeded and "conflict" not in seeded


def test_an_unknown_key_in_a_deadline_rule_is_rejected_and_documented_prose_is_not():
    from followups.loader import LoadError

    def typo(data: dict) -> None:
        record(data, "commitments", "CMT-AU-01")["deadline"]["ofset"] = "P7M"

    with pytest.raises(LoadError, match=r"CMT-AU-01: unknown key.s. deadline\.ofset"):
        load_data(dataset(typo))
    assert not Commitment.objects.exists()
    # The shipped file's prose keys (offset_semantics, recurrence_note) are documented as ignored.
    readme = (DEFAULT_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "`offset_semantics`" in readme and "`recurrence_note`" in readme


def test_the_conflicts_page_is_linked_for_those_who_may_read_it(coordinator_client, viewer_client):
    assert "/imports/conflicts/" in coordinator_client.get("/").content.decode()
    assert "/imports/conflicts/" not in viewer_client.get("/").content.decode()
