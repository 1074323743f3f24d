"""The dashboard's summaries of all commitments (followups.summary, issue 15) equal a rebuild from the tables after
every kind of change through every door: the services, the staff pages, the admin, the API, signed partner links,
an accepted e-mail reply, the loader and the hourly task; and the dashboard shows the numbers the live queries give.

Each test makes the change as its door does, then compares every count kept by the services with the counts a
rebuild writes from the tables (`assert_kept`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agreements.partner_access import api_key_issue
from agreements.roles import Role
from config.history import ActorKind
from followups import charts, selectors, services
from followups.models import (
    AnchorKind,
    Commitment,
    DashboardContribution,
    Deadline,
    InboundReply,
    PartyClock,
    Priority,
    ReminderPolicy,
    Status,
)
from followups.partner_links.inbound import inbound_reply_accept
from followups.summary.counts import dashboard_summary_rebuild, dashboard_summary_snapshot
from tests import factories as f
from tests.agreements.test_admin import form_of
from tests.api.conftest import bearer_client
from tests.partner.conftest import clock, partner, reminder_for, report_path  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def contributions() -> list[tuple]:
    fields = ["commitment_id", "framework_id", "status", "sourced", "priority", "next_due", "last_activity"]
    return list(DashboardContribution.objects.order_by("commitment_id").values_list(*fields, "deadlines"))


def assert_kept() -> None:
    """What the services kept (the counts, and what each commitment counts in them) equals what a rebuild counts
    from the tables, and is not empty."""
    kept, counted = dashboard_summary_snapshot(), contributions()
    dashboard_summary_rebuild()
    assert kept == dashboard_summary_snapshot()
    assert counted == contributions()
    assert kept["count"]


@pytest.fixture
def coordinator_user():
    return f.UserFactory(role=Role.COORDINATOR)


@pytest.fixture
def clerk(client_for):
    return client_for(f.UserFactory(role=Role.DATA_CLERK, is_staff=True))


def some_commitments() -> tuple[Commitment, Deadline, Deadline]:
    """A commitment with an overdue and a coming deadline, one without deadline, an invented one with a rule copied
    from a sister instrument, and a quiet high-priority one."""
    commitment = f.CommitmentFactory()
    overdue = f.fixed_deadline(date(2026, 2, 1), commitment=commitment)
    coming = f.fixed_deadline(date(2026, 3, 20), commitment=commitment)
    f.CommitmentFactory(status=Status.AT_RISK)
    invented = f.CommitmentFactory(illustrative=True, status_basis="sourced")
    f.DeadlineFactory(
        commitment=invented, anchor_kind=AnchorKind.FIXED, anchor_date=date(2026, 3, 5), offset="", basis="template"
    )
    with time_machine.travel(NOW - timedelta(days=45), tick=False):
        f.fixed_deadline(date(2026, 5, 1), priority=Priority.HIGH)
    return commitment, overdue, coming


# --- The services -------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_status_updates_extensions_occurrences_reviews_claims_and_deletions(coordinator_user):
    commitment, overdue, coming = some_commitments()
    assert_kept()
    services.deadline_extend(
        deadline=overdue, new_due_on=date(2026, 4, 1), reason="late data", by_user=coordinator_user
    )
    services.commitment_update_status(commitment=commitment, status=Status.COMPLETED, by_user=coordinator_user)
    assert_kept()
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, note="reopened")
    services.commitment_update_status(commitment=commitment, status=Status.IN_PROGRESS, note="a note only")
    recurring = f.DeadlineFactory(
        commitment=commitment,
        anchor_kind=AnchorKind.FIXED,
        anchor_date=date(2026, 1, 15),
        offset="",
        recurrence="FREQ=MONTHLY;INTERVAL=3",
    )
    services.deadline_record_occurrence(deadline=recurring, outcome="missed")
    assert_kept()
    reviewed = f.CommitmentFactory(review_every="P6M")
    services.commitment_schedule_review(commitment=reviewed)
    owner = commitment.owners.get()
    services.commitment_update_status(
        commitment=commitment, status=Status.COMPLETED, owner=owner, actor="API key", actor_kind=ActorKind.PARTNER_KEY
    )
    assert_kept()
    services.commitment_completion_return(commitment=commitment, owner=owner, by_user=coordinator_user, reason="no")
    services.deadline_delete(deadline=coming, by_user=coordinator_user)
    services.commitment_update_status(commitment=commitment, status=Status.CANCELLED, by_user=coordinator_user)
    assert_kept()


@time_machine.travel(NOW, tick=False)
def test_anchors_moved_per_party_deadlines_and_a_deadline_moved_to_another_commitment():
    framework = f.FrameworkFactory(signed_on=date(2025, 10, 10))
    commitment = f.CommitmentFactory(framework=framework)
    anchored = f.DeadlineFactory(
        commitment=commitment, anchor_kind=AnchorKind.FRAMEWORK_SIGNED, anchor_framework=framework, offset="P6M"
    )
    services.framework_change_dates(framework=framework, signed_on=date(2025, 8, 1))
    f.PartyFactory(framework=framework, joined_on=date(2026, 2, 1))
    clock_ = PartyClock(ref="PC-T-9", commitment=commitment, framework=framework, offset="P3M")
    services.deadline_rule_per_party_apply(clock=clock_)
    second = f.PartyFactory(framework=framework, joined_on=date(2025, 11, 20))
    assert_kept()
    services.party_delete(party=second)
    other = f.CommitmentFactory(framework=framework, priority=Priority.LOW)
    anchored.refresh_from_db()
    anchored.commitment = other
    services.deadline_save_rule(deadline=anchored)
    assert_kept()


# --- The doors ----------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_staff_pages(client_for, coordinator_user):
    commitment, overdue, _coming = some_commitments()
    client = client_for(coordinator_user)
    url = reverse("followups:commitment_detail", args=[commitment.ref])
    assert client.post(url, {"status": Status.AT_RISK, "note": "financing"}).status_code == 302
    extend = reverse("followups:deadline_extend", args=[overdue.ref])
    form = {f"extend-{overdue.pk}-new_due_on": "2026-12-01", f"extend-{overdue.pk}-reason": "late data"}
    assert client.post(extend, form).status_code == 302
    assert_kept()


@time_machine.travel(NOW, tick=False)
def test_the_admin_edits_and_deletes_commitments_and_deadlines(clerk):
    commitment, overdue, _coming = some_commitments()
    url = reverse("admin:followups_commitment_change", args=[commitment.pk])
    data = form_of(clerk, url)
    data.update(priority=[Priority.HIGH.value], illustrative=["on"], framework=[str(f.FrameworkFactory().pk)])
    assert clerk.post(url, data).status_code == 302
    assert_kept()
    data = form_of(clerk, url)
    data["status"] = [Status.COMPLETED.value]
    assert clerk.post(url, data).status_code == 302
    assert clerk.post(reverse("admin:followups_deadline_delete", args=[overdue.pk]), {"post": "yes"}).status_code == 302
    assert_kept()
    # A commitment with no timeline yet (the admin refuses to delete status updates) deleted alone and in a batch.
    first, second = Commitment.objects.filter(status_updates__isnull=True).order_by("pk")[:2]
    delete = reverse("admin:followups_commitment_delete", args=[first.pk])
    assert clerk.post(delete, {"post": "yes"}).status_code == 302
    changelist = reverse("admin:followups_commitment_changelist")
    action = {"action": "delete_selected", "_selected_action": [str(second.pk)], "post": "yes"}
    assert clerk.post(changelist, action).status_code == 302
    assert not Commitment.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert_kept()


def test_the_api_status_update_and_occurrence_and_the_hourly_task(coordinator_user):
    org = f.OrganisationFactory()
    with time_machine.travel(NOW, tick=False):
        deadline = f.fixed_deadline(date(2026, 6, 15), owners=[org])
        recurring = f.DeadlineFactory(
            commitment=deadline.commitment,
            anchor_kind=AnchorKind.FIXED,
            anchor_date=date(2026, 4, 15),
            offset="",
            recurrence="FREQ=MONTHLY;INTERVAL=3",
        )
    _key, raw = api_key_issue(organisation=org, name="sync")
    partner_api = bearer_client(raw)
    staff_api = APIClient()
    staff_api.force_login(coordinator_user)
    with time_machine.travel(datetime(2026, 4, 20, 15, 0, tzinfo=UTC), tick=False):
        body = {"commitment": deadline.commitment.ref, "status": "at_risk"}
        assert partner_api.post("/api/v1/status-updates/", body, format="json").status_code == 201
        answer = staff_api.post(f"/api/v1/deadlines/{recurring.ref}/occurrences/", {"outcome": "met"}, format="json")
        assert answer.status_code == 201, answer.content
        f.CommitmentFactory(review_every="P6M")
        services.reminders_plan_hourly()  # the beat's hourly task schedules the review deadline
        assert_kept()


def test_a_signed_link_report_its_acceptance_and_an_accepted_email_reply(client, partner, coordinator_user):  # noqa: F811
    response = client.post(report_path(reminder_for(partner)), {"status": Status.COMPLETED, "note": "hecho"})
    assert response.status_code == 302
    assert_kept()
    services.commitment_completion_accept(
        commitment=partner.commitment, owner=partner.country, by_user=coordinator_user
    )
    reply = InboundReply.objects.create(
        contact=partner.contact,
        commitment=partner.commitment,
        from_address=partner.contact.email,
        text="Signed last week.",
        message_id="<reply-1@example.org>",
        received_at=timezone.now(),
    )
    inbound_reply_accept(reply=reply, by_user=coordinator_user)
    assert_kept()


def test_the_loader_the_rebuild_command_and_a_second_load(ministerial):
    assert_kept()
    call_command("dashboard_summary_rebuild", "--check")
    from followups.loader import load_file

    load_file()  # a second run changes nothing
    assert_kept()


# --- What the dashboard shows -------------------------------------------------------------------------------------


def live_numbers(today: date) -> dict:
    """The dashboard's numbers for all commitments as the live queries (the code before the summaries) give them."""
    deadlines = Deadline.objects.open()
    dates = deadlines.aggregate(
        oldest=Min("due_on", filter=Q(due_on__lt=today)),
        latest=Max("due_on", filter=Q(due_on__lt=today)),
        next_due=Min("due_on", filter=Q(due_on__gte=today)),
    )
    overdue = deadlines.filter(due_on__lt=today).count()
    backlog = charts.Backlog(today, overdue, dates["oldest"], dates["latest"], dates["next_due"])
    rows = charts.commitment_status_rows(today=today)
    start, end = backlog.window()
    months = charts._deadline_months(today=today, start=start, end=end, organisations=None)  # type: ignore[arg-type]
    return {
        "counts": selectors.dashboard_counts(today=today, status_rows=rows),
        "sourced": selectors.dashboard_counts_sourced(today=today),
        "quiet": Commitment.objects.quiet(today=today).count(),
        "awaiting": Commitment.objects.awaiting_verification().count(),
        "backlog": backlog,
        "status_chart": charts.chart_status_by_framework(status_rows=rows),
        "months": months,
    }


@pytest.mark.parametrize("day", [date(2025, 11, 20), date(2026, 3, 2), date(2026, 7, 31), date(2027, 1, 1)])
def test_the_dashboard_shows_the_numbers_the_live_queries_give_for_the_demo(
    ministerial, client_for, coordinator_user, django_assert_max_num_queries, day
):
    from followups.demo import demo_seed
    from followups.loader import DEFAULT_PATH

    demo_seed(dataset=__import__("json").loads(DEFAULT_PATH.read_text()))
    ReminderPolicy.objects.create(framework=Commitment.objects.first().framework, quiet_days_normal=10)
    with time_machine.travel(datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)):
        assert timezone.localdate() == day
        client = client_for(coordinator_user)
        live = live_numbers(day)
        with django_assert_max_num_queries(14):
            context = client.get("/").context
    everything = context["sections"][-1]
    assert (everything["counts"], everything["sourced"]) == (live["counts"], live["sourced"])
    assert everything["quiet"] == live["quiet"] and context["awaiting_verification"] == live["awaiting"]
    assert context["backlog"] == live["backlog"]
    assert context["status_chart"] == live["status_chart"]
    shown = {c.month: (c.overdue, c.upcoming, c.closed) for c in context["month_chart"].columns if c.total}
    assert shown == live["months"]
    assert live["counts"].total > 100 and live["status_chart"].bars and shown


# --- Two transactions at once ---------------------------------------------------------------------------------------
