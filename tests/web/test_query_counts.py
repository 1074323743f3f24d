"""Each page's number of queries does not grow with the rows it shows (10 rows and 500 rows, same ceiling)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agreements.models import (
    Framework,
    FrameworkKind,
    Organisation,
    OrganisationKind,
    Party,
    WorkingGroup,
    WorkingGroupMember,
)
from followups.models import AnchorKind, Commitment, CommitmentOwner, Deadline, Project, Status

pytestmark = pytest.mark.django_db


def make_rows(n: int) -> None:
    """n of everything a list shows: organisations, frameworks with parties, groups with members, projects,
    commitments with two owners and a deadline each (some overdue, some due soon)."""
    orgs = Organisation.objects.bulk_create(
        Organisation(ref=f"ORG-Q{i}", name=f"Country {i}", kind=OrganisationKind.MINISTRY) for i in range(n)
    )
    frameworks = Framework.objects.bulk_create(
        Framework(ref=f"FW-Q{i}", title=f"Framework {i}", kind=FrameworkKind.MOU) for i in range(n)
    )
    Party.objects.bulk_create(Party(framework=f, organisation=o) for f, o in zip(frameworks, orgs, strict=True))
    groups = WorkingGroup.objects.bulk_create(
        WorkingGroup(ref=f"WG-Q{i}", name=f"Group {i}", framework=f) for i, f in enumerate(frameworks)
    )
    WorkingGroupMember.objects.bulk_create(
        WorkingGroupMember(working_group=g, organisation=o) for g, o in zip(groups, orgs, strict=True)
    )
    projects = Project.objects.bulk_create(
        Project(ref=f"PRJ-Q{i}", name=f"Project {i}", country=o) for i, o in enumerate(orgs)
    )
    Project.frameworks.through.objects.bulk_create(
        Project.frameworks.through(project=p, framework=f) for p, f in zip(projects, frameworks, strict=True)
    )
    commitments = Commitment.objects.bulk_create(
        Commitment(
            ref=f"CMT-Q{i}",
            framework=frameworks[i % 3],
            title=f"Commitment {i}",
            status=list(Status)[i % len(Status)],
            working_group=groups[0],
        )
        for i in range(n)
    )
    CommitmentOwner.objects.bulk_create(
        CommitmentOwner(commitment=c, organisation=o)
        for i, c in enumerate(commitments)
        for o in (orgs[i], orgs[(i + 1) % n])
    )
    today = timezone.localdate()
    Deadline.objects.bulk_create(
        Deadline(
            ref=f"DL-Q{i}",
            commitment=c,
            anchor_kind=AnchorKind.FIXED,
            anchor_date=today + timedelta(days=i % 60 - 30),
            original_due_on=today + timedelta(days=i % 60 - 30),
            due_on=today + timedelta(days=i % 60 - 30),
        )
        for i, c in enumerate(commitments)
    )


# Page -> the most queries it may make: session, user, groups, then a fixed number of reads per page. The idle
# clock of the session is written at most once a minute (config.sessions), so no UPDATE per request (issue 15).
PAGES = {
    "/": 14,  # + the summaries of all commitments (five reads, issue 15), the next deadlines, frameworks, claims
    # + the filter's options (one query), count, the page with its owners' names (issue 15: 7 before)
    "/commitments/?page_size=500": 6,
    "/commitments/?page_size=500&status=at_risk&overdue=no&sort=-due": 6,
    "/deadlines/?page_size=500": 7,
    "/frameworks/?page_size=500": 6,
    "/organisations/?page_size=500": 5,
    "/working-groups/?page_size=500": 8,
    "/projects/?page_size=500": 7,
    "/calendar/": 12,  # + where the backlog is, the overdue deadlines of earlier months, milestones, events
    "/calendar/timeline/": 9,  # + where the backlog is (the default window)
    "/frameworks/FW-Q0/": 20,
    "/organisations/ORG-Q0/": 20,
    "/working-groups/WG-Q0/": 12,
    "/commitments/CMT-Q0/": 20,  # + acknowledgements, contacts' reminder settings, completion claims
    "/commitments/export.csv": 6,  # + one query of owners per 2,000 rows
    "/deadlines/export.xlsx": 6,
    "/frameworks/export.csv": 4,
    "/organisations/export.xlsx": 4,
    "/working-groups/export.csv": 5,
    "/projects/export.csv": 6,
}


@pytest.mark.parametrize("rows", [10, 500])
@pytest.mark.parametrize("url", PAGES)
def test_queries_do_not_grow_with_rows(coordinator_client, django_assert_max_num_queries, url, rows):
    make_rows(rows)
    with django_assert_max_num_queries(PAGES[url]):
        response = coordinator_client.get(url)
    assert response.status_code == 200


def test_the_commitments_list_makes_six_queries_for_ten_rows_and_for_a_thousand(
    coordinator_client, django_assert_num_queries
):
    """Session, user, groups, the filter's options, the count and the page (its owners in the same query): six,
    whether the list holds 10 or 1,000 commitments and the page shows 10 or 500 of them."""
    make_rows(10)
    with django_assert_num_queries(6):
        assert coordinator_client.get("/commitments/?page_size=500").status_code == 200
    make_rows_more(990)
    with django_assert_num_queries(6):
        response = coordinator_client.get("/commitments/?page_size=500")
    assert len(response.context["object_list"]) == 500


def make_rows_more(n: int) -> None:
    """n more commitments, each with two owners and a deadline, under the frameworks make_rows made."""
    frameworks, orgs = list(Framework.objects.order_by("pk")[:3]), list(Organisation.objects.order_by("pk")[:2])
    commitments = Commitment.objects.bulk_create(
        Commitment(ref=f"CMT-R{i}", framework=frameworks[i % 3], title=f"More {i}") for i in range(n)
    )
    CommitmentOwner.objects.bulk_create(
        CommitmentOwner(commitment=c, organisation=o) for c in commitments for o in orgs
    )
