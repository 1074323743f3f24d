"""Recurring obligations, one occurrence at a time (issue 9): marked met (note, evidence) or missed from the
commitment page, the admin and the API; the next occurrence gets its own due date and reminders; the history keeps
every occurrence; `review_every` schedules a review deadline. Also: the page and the admin say who is reminded when
a commitment has no point of contact."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from followups import services
from followups.models import AnchorKind, DeadlineOccurrence, Reminder, ReminderStatus
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.reminders.test_nothing_goes_quiet import walk

pytestmark = pytest.mark.django_db

PLANNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def quarterly(commitment):
    with time_machine.travel(PLANNED, tick=False):
        return f.DeadlineFactory(
            commitment=commitment,
            anchor_kind=AnchorKind.FIXED,
            anchor_date=date(2026, 4, 15),
            offset="",
            recurrence="FREQ=MONTHLY;INTERVAL=3",
            title="Quarterly working-group meeting",
        )


def test_an_occurrence_met_on_the_commitment_page_moves_the_next_one_forward_with_its_own_reminders(client_for):
    contact = f.ContactFactory(time_zone="UTC")
    country = f.OrganisationFactory()
    desk = f.StaffProfileFactory(portfolio=[country], time_zone="UTC").user
    commitment = f.CommitmentFactory(owners=[country], contacts=[contact])
    deadline = quarterly(commitment)
    inbox: dict[str, list] = defaultdict(list)
    walk(date(2026, 3, 15), date(2026, 4, 20), inbox)
    assert [d for d, _ in inbox[contact.email]] == [
        date(2026, 3, 16),
        date(2026, 4, 8),
        date(2026, 4, 14),
        date(2026, 4, 16),
    ]

    with time_machine.travel(datetime(2026, 4, 20, 15, 0, tzinfo=UTC), tick=False):
        page = client_for(desk).post(
            f"/deadlines/{deadline.ref}/occurrence/",
            {
                f"occurrence-{deadline.pk}-outcome": "met",
                f"occurrence-{deadline.pk}-happened_on": "2026-04-17",
                f"occurrence-{deadline.pk}-note": "Held in Kuala Lumpur, minutes circulated",
                f"occurrence-{deadline.pk}-evidence_url": "https://example.org/minutes-q2.pdf",
            },
            follow=True,
        )
    assert page.status_code == 200
    text = page.content.decode()
    assert "the next is due 2026-07-15" in text
    assert "No. 1, due 2026-04-15: Met (2026-04-17): Held in Kuala Lumpur, minutes circulated" in text

    [met] = DeadlineOccurrence.objects.filter(deadline=deadline)
    assert (met.index, met.due_on, met.outcome, met.happened_on) == (0, date(2026, 4, 15), "met", date(2026, 4, 17))
    assert met.evidence_url == "https://example.org/minutes-q2.pdf" and met.by_user == desk
    deadline.refresh_from_db()
    assert (deadline.occurrence_index, deadline.due_on) == (1, date(2026, 7, 15))
    # The first occurrence's unsent overdue reminders are cancelled; its sent ones stay as history.
    first = Reminder.objects.filter(deadline=deadline, contact=contact, kind__in=["before_7", "overdue_7"])
    assert {(r.kind, r.status) for r in first} == {("before_7", "sent"), ("overdue_7", "cancelled")}

    inbox.clear()
    walk(date(2026, 4, 21), date(2026, 7, 16), inbox)
    # The next occurrence's own reminders: 30, 7 and 1 days before 15 July, then overdue +1 (nobody acted).
    assert [d for d, _ in inbox[contact.email]] == [
        date(2026, 6, 15),
        date(2026, 7, 8),
        date(2026, 7, 14),
        date(2026, 7, 16),
    ]
    assert all("2026-07-15" in s for _, s in inbox[contact.email])
    assert set(
        Reminder.objects.filter(deadline=deadline, contact=contact, status=ReminderStatus.SENT)
        .exclude(kind__in=["before_30", "before_7", "before_1", "overdue_1"])
        .values_list("kind", flat=True)
    ) == {"o1:before_30", "o1:before_7", "o1:before_1", "o1:overdue_1"}


def test_occurrences_through_the_api_and_the_admin_keep_every_outcome(client_for):
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    clerk = f.UserFactory(role=Role.DATA_CLERK)
    country = f.OrganisationFactory()
    commitment = f.CommitmentFactory(owners=[country])
    deadline = quarterly(commitment)
    api = APIClient()
    api.force_login(coordinator)
    with time_machine.travel(datetime(2026, 4, 20, 15, 0, tzinfo=UTC), tick=False):
        _, raw = api_key_issue(organisation=country, name="sync")
        refused = bearer_client(raw).post(
            f"/api/v1/deadlines/{deadline.ref}/occurrences/", {"outcome": "met"}, format="json"
        )
        assert refused.status_code == 403  # a partner's report is a claim: it posts a status update
        bad = api.post(f"/api/v1/deadlines/{deadline.ref}/occurrences/", {"outcome": "done"}, format="json")
        assert bad.status_code == 400
        missed = api.post(
            f"/api/v1/deadlines/{deadline.ref}/occurrences/",
            {"outcome": "missed", "note": "postponed by the chair"},
            format="json",
        )
        assert missed.status_code == 201, missed.content
        assert missed.json()["number"] == 1 and missed.json()["next_due_on"] == "2026-07-15"

        changelist = client_for(clerk).post(
            "/admin/followups/deadline/", {"action": "occurrence_met", "_selected_action": [deadline.pk]}, follow=True
        )
        assert "occurrence 2 (due 2026-07-15) met; the next is due 2026-10-15" in changelist.content.decode()

        history = api.get(f"/api/v1/deadlines/{deadline.ref}/occurrences/").json()
    assert [(o["number"], o["due_on"], o["outcome"]) for o in history] == [
        (1, "2026-04-15", "missed"),
        (2, "2026-07-15", "met"),
    ]
    assert history[0]["note"] == "postponed by the chair"
    deadline.refresh_from_db()
    assert deadline.due_on == date(2026, 10, 15)


def test_a_deadline_that_does_not_repeat_cannot_be_moved_on(client_for):
    coordinator = f.UserFactory(role=Role.COORDINATOR)
    commitment = f.CommitmentFactory()
    with time_machine.travel(PLANNED, tick=False):
        once = f.DeadlineFactory(commitment=commitment)
    api = APIClient()
    api.force_login(coordinator)
    response = api.post(f"/api/v1/deadlines/{once.ref}/occurrences/", {"outcome": "met"}, format="json")
    assert response.status_code == 400
    assert not DeadlineOccurrence.objects.exists()


def test_review_every_schedules_a_review_deadline_and_clearing_it_cancels_the_review():
    commitment = f.CommitmentFactory(review_every="P6M")  # framework signed 4 February 2026
    with time_machine.travel(PLANNED, tick=False):
        services.reminders_plan_hourly()
        services.reminders_plan_hourly()  # safe to run twice
    review = commitment.deadlines.get(is_review=True)
    assert (review.due_on, review.recurrence) == (date(2026, 8, 4), "P6M")
    with time_machine.travel(datetime(2026, 8, 5, 9, 0, tzinfo=UTC), tick=False):
        services.deadline_record_occurrence(deadline=review, outcome="met", note="reviewed", actor="t")
    review.refresh_from_db()
    assert review.due_on == date(2027, 2, 4)

    commitment.review_every = ""
    commitment.save()
    services.reminders_plan_hourly()
    review.refresh_from_db()
    assert review.cancelled


def test_the_page_and_the_admin_say_who_is_reminded_when_nobody_at_a_partner_can_be(client_for):
    country = f.OrganisationFactory()
    desk = f.StaffProfileFactory(portfolio=[country], user__first_name="Dana", user__last_name="Desk").user
    clerk = f.UserFactory(role=Role.DATA_CLERK)
    orphan = f.CommitmentFactory(owners=[country])
    page = client_for(desk).get(f"/commitments/{orphan.ref}/").content.decode()
    assert "No point of contact: its reminders go to the desk officers of the owning parties (Dana Desk)." in page
    admin = client_for(clerk).get(f"/admin/followups/commitment/{orphan.pk}/change/").content.decode()
    assert "No point of contact: its reminders go to the desk officers of the owning parties (Dana Desk)." in admin

    with_contact = f.CommitmentFactory(owners=[country], contacts=[f.ContactFactory(organisation=country)])
    assert "No point of contact" not in client_for(desk).get(f"/commitments/{with_contact.ref}/").content.decode()
