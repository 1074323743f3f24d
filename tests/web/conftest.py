"""Fixtures of the staff web tests: users with a role and a profile, and small commitments made to order, built
with tests/factories.py through the services (reminders and partners' notices planned as in production).

The logged-in clients per role are the suite's own (tests/conftest.py)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.utils import timezone

from agreements.models import Framework, FrameworkKind, Organisation, OrganisationKind, WorkingGroup
from agreements.roles import Role, role_groups_ensure
from followups import services
from followups.models import AnchorKind, Category, Commitment, CommitmentOwner, Deadline, Status
from tests import factories as f

_seq = itertools.count(1)


@pytest.fixture
def groups(db):
    return role_groups_ensure()


@pytest.fixture
def make_user(groups):
    """A staff user with these roles and a profile; a portfolio is given as the admin gives it (services)."""

    def make(username: str, *roles: Role, is_staff: bool = False, portfolio=()):
        user = f.UserFactory(username=username, password="pw-2026-x!", is_staff=is_staff, first_name="", last_name="")
        for role in roles:
            user.groups.add(groups[role])
        f.StaffProfileFactory(user=user, portfolio=list(portfolio))
        return user

    return make


@pytest.fixture
def org_factory(db):
    def make(iso: str | None = None, name: str | None = None, **kwargs) -> Organisation:
        n = next(_seq)
        iso = iso or f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}"
        return f.OrganisationFactory(
            ref=f"ORG-T{n}", name=name or f"Country {n}", kind=OrganisationKind.COUNTRY, iso_alpha2=iso, **kwargs
        )

    return make


@pytest.fixture
def framework_factory(db):
    def make(*parties: Organisation, signed_on: date = date(2025, 10, 20), **kwargs) -> Framework:
        n = next(_seq)
        kwargs.setdefault("title", f"Test framework {n}")
        kwargs.setdefault("short_title", "")
        framework = f.FrameworkFactory(
            ref=f"FW-T{n}", kind=FrameworkKind.BILATERAL_FRAMEWORK, signed_on=signed_on, **kwargs
        )
        for org in parties:
            f.PartyFactory(framework=framework, organisation=org)
        return framework

    return make


@pytest.fixture
def commitment_factory(db, framework_factory, org_factory):
    """A commitment with its owners and one deadline (due `due_in` days from today, or anchored on the framework),
    made through the services: its owners' history is written and the deadline's reminders are planned."""

    def make(
        *,
        framework: Framework | None = None,
        owners: list[Organisation] | None = None,
        status: str = Status.NOT_STARTED,
        title: str = "",
        due_in: int | None = 30,
        anchored: bool = False,
        working_group: WorkingGroup | None = None,
        **kwargs,
    ) -> Commitment:
        n = next(_seq)
        owners = owners if owners is not None else [org_factory()]
        framework = framework or framework_factory(*owners)
        kwargs.setdefault("category", Category.OTHER)
        commitment = f.CommitmentFactory(
            ref=f"CMT-T{n}",
            framework=framework,
            title=title or f"Commitment number {n}",
            status=status,
            working_group=working_group,
            owners=[],
            **kwargs,
        )
        # New owners start at the commitment's status.
        services.commitment_owner_set(commitment=commitment, organisations=owners, actor="test factory")
        if anchored:
            f.DeadlineFactory(
                ref=f"DL-T{n}",
                commitment=commitment,
                anchor_kind=AnchorKind.FRAMEWORK_SIGNED,
                anchor_framework=framework,
                offset="P6M",
                basis="",
            )
        elif due_in is not None:
            due = timezone.localdate() + timedelta(days=due_in)
            f.DeadlineFactory(
                ref=f"DL-T{n}",
                commitment=commitment,
                anchor_kind=AnchorKind.FIXED,
                anchor_date=due,
                offset="",
                basis="",
            )
        return commitment

    return make


@pytest.fixture
def bulk_commitments(db, org_factory, framework_factory):
    """`n` commitments, each with two owners and a deadline, made in a handful of queries: rows written in bulk,
    then their deadlines' reminders and partners' notices planned at once (services.deadlines_changed), as the
    loader plans a whole file's."""

    def make(n: int) -> Framework:
        owners = [org_factory(), org_factory()]
        framework = framework_factory(*owners)
        group = f.WorkingGroupFactory(
            ref=f"WG-T{next(_seq)}", name="Test group", framework=framework, meeting_cadence=""
        )
        start = next(_seq) * 1000
        commitments = Commitment.objects.bulk_create(
            Commitment(
                ref=f"CMT-B{start + i}",
                framework=framework,
                title=f"Bulk commitment {i}",
                status=list(Status)[i % len(Status)],
                working_group=group,
            )
            for i in range(n)
        )
        CommitmentOwner.objects.bulk_create(
            CommitmentOwner(commitment=c, organisation=o, status=c.status) for c in commitments for o in owners
        )
        today = timezone.localdate()
        deadlines = Deadline.objects.bulk_create(
            Deadline(
                ref=f"DL-B{start + i}",
                commitment=c,
                anchor_kind=AnchorKind.FIXED,
                anchor_date=today + timedelta(days=i % 90 - 45),
                original_due_on=today + timedelta(days=i % 90 - 45),
                due_on=today + timedelta(days=i % 90 - 45),
            )
            for i, c in enumerate(commitments)
        )
        services.deadlines_changed(deadlines)
        return framework

    return make
