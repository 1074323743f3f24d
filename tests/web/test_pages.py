"""Dashboard, detail pages, anchor-date change with preview, calendar and the personal iCal feed."""

import hashlib
import re
from datetime import date

import pytest

from agreements.models import StaffProfile, WorkingGroup, WorkingGroupMember
from agreements.roles import Role
from followups.models import Project, Status

pytestmark = pytest.mark.django_db


def test_dashboard_counts_overdue_due_soon_at_risk_completed_and_total_commitments(
    coordinator_client, commitment_factory
):
    commitment_factory(due_in=-2)
    commitment_factory(due_in=-40)
    commitment_factory(due_in=3)
    commitment_factory(due_in=20, status=Status.AT_RISK)
    commitment_factory(due_in=None, status=Status.COMPLETED)
    counts = coordinator_client.get("/").context["sections"][0]["counts"]
    assert (counts.overdue, counts.due_7, counts.due_30, counts.at_risk, counts.completed, counts.total) == (
        2,
        1,
        2,
        1,
        1,
        5,
    )


def test_desk_officer_sees_the_portfolio_first(make_user, client, commitment_factory, org_factory):
    peru = org_factory(name="Peru")
    mine = commitment_factory(owners=[peru], due_in=4)
    commitment_factory(due_in=2)
    client.force_login(make_user("dana", Role.DESK_OFFICER, portfolio=[peru]))
    response = client.get("/")
    sections = response.context["sections"]
    assert [s["key"] for s in sections] == ["portfolio", "all"]
    assert [d.commitment.ref for d in sections[0]["upcoming"]] == [mine.ref]
    page = response.content.decode()
    assert page.index("Your portfolio") < page.index("All commitments")


def test_dashboard_charts_have_text_alternatives(coordinator_client, commitment_factory):
    commitment = commitment_factory(status=Status.IN_PROGRESS)
    page = coordinator_client.get("/").content.decode()
    assert 'role="img"' in page
    assert "Commitments by framework and status" in page  # the chart's data table
    assert f">{commitment.framework.ref}</a></th>" in page


def test_framework_page_shows_parties_by_status(coordinator_client, commitment_factory, org_factory):
    a, b = org_factory(name="Atlantis"), org_factory(name="Borduria")
    commitment = commitment_factory(owners=[a, b])
    commitment.ownerships.filter(organisation=a).update(status=Status.COMPLETED)
    page = coordinator_client.get(f"/frameworks/{commitment.framework.ref}/")
    matrix = page.context["matrix"]
    assert [o.name for o in page.context["matrix_columns"]] == ["Atlantis", "Borduria"]
    assert [cell.status for cell in matrix[0][1]] == [Status.COMPLETED, Status.NOT_STARTED]


def test_organisation_page_shows_what_it_owes_and_is_owed(coordinator_client, commitment_factory, org_factory):
    a, b = org_factory(name="Atlantis"), org_factory(name="Borduria")
    owes = commitment_factory(owners=[a])
    owed = commitment_factory(owners=[b], framework=owes.framework)
    owes.framework.parties.create(organisation=b)
    page = coordinator_client.get(f"/organisations/{a.ref}/")
    assert [o.commitment.ref for o in page.context["owes"]] == [owes.ref]
    assert [c.ref for c in page.context["owed"]] == [owed.ref]


def test_working_group_and_project_pages(coordinator_client, commitment_factory, org_factory):
    country = org_factory(name="Atlantis")
    commitment = commitment_factory(owners=[country])
    group = WorkingGroup.objects.create(ref="WG-T-9", name="Atlantis group", framework=commitment.framework)
    WorkingGroupMember.objects.create(working_group=group, organisation=country, role="chair")
    commitment.working_group = group
    commitment.save()
    page = coordinator_client.get(f"/working-groups/{group.ref}/").content.decode()
    assert commitment.ref in page and "Chair" in page
    project = Project.objects.create(ref="PRJ-T-1", name="Gallium plant", country=country, stage="offtake")
    project.frameworks.add(commitment.framework)
    page = coordinator_client.get(f"/projects/{project.ref}/").content.decode()
    assert 'aria-current="step"' in page and commitment.framework.ref in page


def test_anchor_change_previews_then_applies(coordinator_client, commitment_factory):
    commitment = commitment_factory(anchored=True)
    framework, deadline = commitment.framework, commitment.deadlines.get()
    assert deadline.due_on == date(2026, 4, 20)
    url = f"/frameworks/{framework.ref}/dates/"
    form = {"field": "signed_on", "new_date": "2025-10-31", "reason": "date in the signed text"}
    preview = coordinator_client.post(url, {**form, "preview": "1"})
    assert preview.status_code == 200
    changes = preview.context["changes"]
    assert [(c.deadline.ref, c.old_due_on, c.new_due_on) for c in changes] == [
        (deadline.ref, date(2026, 4, 20), date(2026, 4, 30))
    ]
    deadline.refresh_from_db()
    framework.refresh_from_db()
    assert (framework.signed_on, deadline.due_on) == (date(2025, 10, 20), date(2026, 4, 20))  # nothing saved yet

    token = re.search(r'name="previewed" value="([^"]+)"', preview.content.decode()).group(1)
    applied = coordinator_client.post(url, {**form, "confirm": "1", "previewed": token})
    assert applied.status_code == 302
    deadline.refresh_from_db()
    framework.refresh_from_db()
    assert (framework.signed_on, deadline.due_on) == (date(2025, 10, 31), date(2026, 4, 30))


def test_anchor_change_applies_only_what_was_previewed(coordinator_client, commitment_factory):
    commitment = commitment_factory(anchored=True)
    url = f"/frameworks/{commitment.framework.ref}/dates/"
    form = {"field": "signed_on", "new_date": "2025-12-01", "reason": "x", "confirm": "1"}
    response = coordinator_client.post(url, {**form, "previewed": "signed_on:2025-10-31"})
    assert response.status_code == 200  # shown again as a preview of the new date
    assert response.context["changes"][0].new_due_on == date(2026, 6, 1)
    commitment.framework.refresh_from_db()
    assert commitment.framework.signed_on == date(2025, 10, 20)


def test_calendar_lists_the_month(coordinator_client, commitment_factory):
    commitment = commitment_factory(due_in=0)
    from django.utils import timezone

    month = timezone.localdate().strftime("%Y-%m")
    page = coordinator_client.get(f"/calendar/?month={month}")
    assert [d.commitment.ref for d in page.context["deadlines"]] == [commitment.ref]
    assert commitment.ref in coordinator_client.get("/calendar/timeline/").content.decode()


def test_calendar_feed_is_shown_once_works_and_can_be_revoked(make_user, client, commitment_factory):
    user = make_user("dana", Role.DESK_OFFICER)
    client.force_login(user)
    commitment = commitment_factory(due_in=10)
    client.post("/accounts/calendar-feed/", {"action": "issue"})
    page = client.get("/accounts/profile/").content.decode()
    url = re.search(r'value="http://testserver(/calendar/feed/[^"]+\.ics)"', page).group(1)
    assert "/calendar/feed/" not in client.get("/accounts/profile/").content.decode()  # only once

    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    stored = StaffProfile.objects.get(user=user).calendar_token_hash
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored

    anonymous = client.__class__()
    feed = anonymous.get(url)
    assert feed.status_code == 200
    body = feed.content.decode()
    assert body.startswith("BEGIN:VCALENDAR") and f"SUMMARY:{commitment.ref} due" in body
    due = commitment.deadlines.get().due_on
    assert f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))

    client.post("/accounts/calendar-feed/", {"action": "revoke"})
    assert anonymous.get(url).status_code == 404


def test_an_unknown_feed_token_is_not_found(client):
    assert client.get("/calendar/feed/not-a-token.ics").status_code == 404


@pytest.mark.parametrize(
    ("language", "heading", "status"), [("es", "Qué vence", "En riesgo"), ("fr", "Ce qui est dû", "À risque")]
)
def test_pages_speak_spanish_and_french(coordinator_client, commitment_factory, language, heading, status):
    commitment = commitment_factory(status=Status.AT_RISK)
    coordinator_client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = coordinator_client.get("/").content.decode()
    assert f'<html lang="{language}">' in page and heading in page
    assert status in coordinator_client.get(f"/commitments/{commitment.ref}/").content.decode()


def test_milestone_date_change_previews_then_applies(coordinator_client, commitment_factory):
    from agreements.models import Milestone
    from followups.models import AnchorKind, Deadline
    from followups.services import deadline_save_rule

    commitment = commitment_factory(due_in=None)
    milestone = Milestone.objects.create(ref="MS-T-1", date=date(2026, 3, 1), title="Launch", kind="launch")
    milestone.frameworks.add(commitment.framework)
    deadline = Deadline(
        ref="DL-MS-1",
        commitment=commitment,
        anchor_kind=AnchorKind.MILESTONE,
        anchor_milestone=milestone,
        offset="P30D",
    )
    deadline_save_rule(deadline=deadline)
    assert deadline.due_on == date(2026, 3, 31)
    assert (
        f"/milestones/{milestone.ref}/date/"
        in coordinator_client.get(f"/frameworks/{commitment.framework.ref}/").content.decode()
    )
    url = f"/milestones/{milestone.ref}/date/"
    form = {"new_date": "2026-03-10", "reason": "launch postponed"}
    preview = coordinator_client.post(url, {**form, "preview": "1"})
    assert [(c.old_due_on, c.new_due_on) for c in preview.context["changes"]] == [(date(2026, 3, 31), date(2026, 4, 9))]
    deadline.refresh_from_db()
    assert deadline.due_on == date(2026, 3, 31)
    applied = coordinator_client.post(url, {**form, "confirm": "1", "previewed": "date:2026-03-10"})
    assert applied.status_code == 302
    deadline.refresh_from_db()
    assert deadline.due_on == date(2026, 4, 9)


def test_the_timeline_shows_a_reminder_that_was_sent(coordinator_client, commitment_factory):
    from django.utils import timezone

    from agreements.models import Contact
    from followups.models import Reminder, ReminderStatus

    commitment = commitment_factory()
    deadline = commitment.deadlines.first()
    contact = Contact.objects.create(
        ref="CON-TL-1", name="Ana Example", email="ana@example.org", organisation=commitment.owners.first()
    )
    Reminder.objects.create(
        deadline=deadline,
        contact=contact,
        kind="before_30",
        due_at=timezone.now(),
        next_attempt_at=timezone.now(),
        status=ReminderStatus.SENT,
        sent_at=timezone.now(),
    )
    page = coordinator_client.get(f"/commitments/{commitment.ref}/").content.decode()
    assert "tracker-timeline__item--reminder" in page and "ana@example.org" in page


def test_a_nul_byte_in_an_address_a_filter_or_a_form_is_a_400(coordinator_client, commitment_factory):
    commitment = commitment_factory()
    assert coordinator_client.get("/commitments/CMT-\x00/").status_code == 400
    assert coordinator_client.get("/commitments/", {"q": "lith\x00ium"}).status_code == 400
    response = coordinator_client.post(f"/commitments/{commitment.ref}/", {"status": "at_risk", "note": "a\x00b"})
    assert response.status_code == 400
    commitment.refresh_from_db()
    assert commitment.status != Status.AT_RISK
