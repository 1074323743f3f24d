"""Lists: filters kept in the URL, sorting, pagination, and the CSV / Excel export of the same filter."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from agreements.models import WorkingGroup
from agreements.roles import Role
from followups.models import Category, Priority, Status

pytestmark = pytest.mark.django_db


def refs_in(response) -> list[str]:
    return [c.ref for c in response.context["object_list"]]


@pytest.fixture
def three(commitment_factory, org_factory):
    peru = org_factory(name="Peru")
    late = commitment_factory(title="Identify copper projects", owners=[peru], due_in=-3, status=Status.IN_PROGRESS)
    risky = commitment_factory(
        title="Convene the ministerial",
        status=Status.AT_RISK,
        due_in=20,
        priority=Priority.HIGH,
        category=Category.MEETING,
    )
    done = commitment_factory(title="Designate points of contact", status=Status.COMPLETED, due_in=None)
    return late, risky, done


def test_filter_by_status(coordinator_client, three):
    late, risky, done = three
    response = coordinator_client.get("/commitments/?status=at_risk&status=completed")
    assert sorted(refs_in(response)) == sorted([risky.ref, done.ref])


def test_filter_overdue_and_owner_and_text(coordinator_client, three):
    late, risky, done = three
    assert refs_in(coordinator_client.get("/commitments/?overdue=yes")) == [late.ref]
    owner = late.ownerships.get().organisation
    assert refs_in(coordinator_client.get(f"/commitments/?organisation={owner.ref}")) == [late.ref]
    assert refs_in(coordinator_client.get("/commitments/?q=ministerial")) == [risky.ref]
    assert refs_in(coordinator_client.get("/commitments/?priority=high&category=meeting")) == [risky.ref]


def test_filter_due_between(coordinator_client, three):
    late, risky, done = three
    today = timezone.localdate()
    url = f"/commitments/?due_after={today}&due_before={today + timedelta(days=30)}"
    assert refs_in(coordinator_client.get(url)) == [risky.ref]


def test_filter_by_framework_and_working_group(coordinator_client, commitment_factory, framework_factory):
    framework = framework_factory()
    group = WorkingGroup.objects.create(ref="WG-T-1", name="Response group", framework=framework)
    mine = commitment_factory(framework=framework, working_group=group)
    commitment_factory()
    assert refs_in(coordinator_client.get(f"/commitments/?framework={framework.ref}")) == [mine.ref]
    assert refs_in(coordinator_client.get(f"/commitments/?working_group={group.ref}")) == [mine.ref]


def test_sort_by_next_due_date_both_ways(coordinator_client, commitment_factory):
    soon, later = commitment_factory(due_in=2), commitment_factory(due_in=40)
    assert refs_in(coordinator_client.get("/commitments/?sort=due")) == [soon.ref, later.ref]
    page = coordinator_client.get("/commitments/?sort=-due")
    assert refs_in(page) == [later.ref, soon.ref]
    assert 'aria-sort="descending"' in page.content.decode()


def test_pages_keep_the_filter(coordinator_client, bulk_commitments):
    bulk_commitments(60)
    response = coordinator_client.get("/commitments/?q=Bulk&page_size=25")
    assert len(response.context["object_list"]) == 25
    assert "?q=Bulk&amp;page_size=25&amp;page=2" in response.content.decode()


def test_csv_export_has_the_filtered_rows(coordinator_client, three):
    late, risky, done = three
    response = coordinator_client.get("/commitments/export.csv?status=at_risk")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Reference", "Title", "Framework"]
    assert [r[0] for r in rows[1:]] == [risky.ref]
    assert rows[1][4] == "At risk"


def test_csv_export_neutralises_formulas(coordinator_client, commitment_factory):
    commitment_factory(title='=HYPERLINK("http://evil")')
    rows = list(csv.reader(io.StringIO(coordinator_client.get("/commitments/export.csv").content.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=")


def test_excel_export_opens_with_every_row(coordinator_client, three):
    response = coordinator_client.get("/commitments/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4  # header + three commitments
    assert sheet["A1"].value == "Reference"
    assert {sheet.cell(row=r, column=1).value for r in range(2, 5)} == {c.ref for c in three}


def test_deadline_list_filters_the_overdue_and_its_csv_export_the_open_ones(coordinator_client, three):
    late, risky, done = three
    response = coordinator_client.get("/deadlines/?state=overdue")
    assert [d.commitment.ref for d in response.context["object_list"]] == [late.ref]
    rows = list(
        csv.reader(io.StringIO(coordinator_client.get("/deadlines/export.csv?state=open").content.decode("utf-8-sig")))
    )
    assert sorted(r[1] for r in rows[1:]) == sorted([late.ref, risky.ref])


def test_organisation_and_framework_lists_filter_by_name_and_organisation(
    coordinator_client, commitment_factory, org_factory
):
    atlantis = org_factory(name="Atlantis")
    commitment = commitment_factory(owners=[atlantis])
    page = coordinator_client.get("/organisations/?q=Atlant")
    assert [o.name for o in page.context["object_list"]] == ["Atlantis"]
    page = coordinator_client.get(f"/frameworks/?organisation={atlantis.ref}")
    assert [f.ref for f in page.context["object_list"]] == [commitment.framework.ref]


def test_desk_officer_lists_and_exports_the_portfolio(make_user, client, commitment_factory, org_factory):
    peru = org_factory(name="Peru")
    mine, theirs = commitment_factory(owners=[peru]), commitment_factory()
    client.force_login(make_user("dana", Role.DESK_OFFICER, portfolio=[peru]))
    assert refs_in(client.get("/commitments/?scope=portfolio")) == [mine.ref]
    assert sorted(refs_in(client.get("/commitments/"))) == sorted([mine.ref, theirs.ref])
    rows = list(
        csv.reader(io.StringIO(client.get("/deadlines/export.csv?scope=portfolio").content.decode("utf-8-sig")))
    )
    assert [r[1] for r in rows[1:]] == [mine.ref]
    assert "?state=overdue&amp;scope=portfolio" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("url", "header"),
    [
        ("/frameworks/export.csv?q={q}", "Reference,Title,Kind"),
        ("/organisations/export.csv?q=Atlantis", "Reference,Name,Kind"),
        ("/working-groups/export.csv?q=Atlantis", "Reference,Name,Framework"),
        ("/projects/export.csv?q=Atlantis", "Reference,Name,Kind"),
    ],
)
def test_every_list_exports_its_filter(coordinator_client, commitment_factory, org_factory, url, header):
    from followups.models import Project

    atlantis = org_factory(name="Atlantis")
    commitment = commitment_factory(owners=[atlantis], title="x")
    commitment.framework.title = "Atlantis framework"
    commitment.framework.save()
    WorkingGroup.objects.create(ref="WG-T-ATL", name="Atlantis group", framework=commitment.framework)
    Project.objects.create(ref="PRJ-T-ATL", name="Atlantis mine", country=atlantis)
    commitment_factory()  # another framework, organisation: filtered out
    text = coordinator_client.get(url.format(q="Atlantis")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ",".join(rows[0]).startswith(header)
    assert len(rows) == 2 and "Atlantis" in ",".join(rows[1])
    xlsx = coordinator_client.get(url.format(q="Atlantis").replace(".csv", ".xlsx"))
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 2
