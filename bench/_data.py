"""The data the page and API benchmarks measure on: N commitments like the tracker holds after years of use.

One database per size (bench_tracker_<N>), filled once through the ORM's bulk_create (so columns added later
get their defaults) and reused. Per commitment: two owning countries with their own status, one deadline and
for every other commitment a second one 90 days later, spread over two years around today; every seventh in a
working group. 100 frameworks, 60 countries and one partner ministry party to every framework (so the partner
sees everything: the API pages are full). Users: a coordinator, and a desk officer with a four-country
portfolio. One commitment (CMT-B000042) has a timeline of status updates written through the service.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

FRAMEWORKS = 100
COUNTRIES = 60
PARTNER_REF = "ORG-BENCHP"
DETAIL_REF = "CMT-B000042"
# The CSV export is measured on the list filtered by this word, which EXPORT_ROWS commitments carry in their title.
EXPORT_WORD = "export-sample"
PASSWORD = "bench-pass-2026"


def commitment_ref(i: int) -> str:
    return f"CMT-B{i:06d}"


def fill_tracker(n: int, export_rows: int) -> None:
    """Create the rows once; a later run finds them and goes straight to measuring."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from agreements.models import (
        Framework,
        FrameworkKind,
        Organisation,
        OrganisationKind,
        Party,
        StaffProfile,
        WorkingGroup,
    )
    from agreements.roles import Role, role_groups_ensure
    from followups.models import AnchorKind, Category, Commitment, CommitmentOwner, Deadline, Priority, Status
    from followups.next_due import commitments_next_due_refresh

    groups = role_groups_ensure()
    users = get_user_model().objects
    for username, role in (("coordinator", Role.COORDINATOR), ("desk", Role.DESK_OFFICER)):
        if not users.filter(username=username).exists():
            user = users.create_user(username, password=PASSWORD)
            user.groups.add(groups[role])
            StaffProfile.objects.get_or_create(user=user)
    if Commitment.objects.filter(ref=commitment_ref(n - 1)).exists():
        return
    print(f"  filling {n:,} commitments (once)...", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        partner = Organisation.objects.create(ref=PARTNER_REF, name="Bench partner ministry", kind="ministry")
        countries = Organisation.objects.bulk_create(
            Organisation(
                ref=f"ORG-B{i:02d}",
                name=f"Country {i:02d}",
                kind=OrganisationKind.COUNTRY,
                iso_alpha2=f"{chr(65 + i // 26)}{chr(65 + i % 26)}",
            )
            for i in range(COUNTRIES)
        )
        frameworks = Framework.objects.bulk_create(
            Framework(
                ref=f"FW-B{i:03d}",
                title=f"Bench framework {i}",
                kind=FrameworkKind.BILATERAL_FRAMEWORK,
                signed_on=date(2025, 10, 1),
            )
            for i in range(FRAMEWORKS)
        )
        Party.objects.bulk_create(
            [Party(framework=f, organisation=partner) for f in frameworks]
            + [
                Party(framework=f, organisation=countries[(i + k) % COUNTRIES])
                for i, f in enumerate(frameworks)
                for k in range(2)
            ]
        )
        groups_ = WorkingGroup.objects.bulk_create(
            WorkingGroup(ref=f"WG-B{i}", name=f"Bench working group {i}", framework=frameworks[i]) for i in range(10)
        )
        StaffProfile.objects.get(user__username="desk").portfolio.set(countries[:4])
        statuses, priorities, categories = list(Status), list(Priority), list(Category)
        today = timezone.localdate()
        batch = 5_000
        every = max(1, n // export_rows)
        for start in range(0, n, batch):
            commitments = Commitment.objects.bulk_create(
                Commitment(
                    ref=commitment_ref(i),
                    framework=frameworks[i % FRAMEWORKS],
                    title=f"Identify projects that can deliver material to partner buyers, number {i}"
                    + (f" ({EXPORT_WORD})" if i % every == 0 and i // every < export_rows else ""),
                    status=statuses[i % len(statuses)],
                    priority=priorities[i % len(priorities)],
                    category=categories[i % len(categories)],
                    working_group=groups_[i % 10] if i % 7 == 0 else None,
                    note="" if i % 3 else f"Note on commitment {i}.",
                )
                for i in range(start, min(n, start + batch))
            )
            CommitmentOwner.objects.bulk_create(
                CommitmentOwner(commitment=c, organisation=countries[(c.pk + k) % COUNTRIES], status=c.status)
                for c in commitments
                for k in range(2)
            )
            deadlines = []
            for c in commitments:
                closed = c.status in ("completed", "completed_late")
                for k in range(1 if c.pk % 2 else 2):
                    due = today + timedelta(days=c.pk % 730 - 365 + 90 * k)
                    deadlines.append(
                        Deadline(
                            ref=f"DL-{c.ref[4:]}-{k + 1}",
                            commitment=c,
                            anchor_kind=AnchorKind.FIXED,
                            anchor_date=due,
                            original_due_on=due,
                            due_on=due,
                            completed_on=due if closed else None,
                            cancelled=c.status == "cancelled",
                        )
                    )
            Deadline.objects.bulk_create(deadlines)
        # Written around the services (bulk), so the derived next due dates are computed here, as a bulk door must.
        commitments_next_due_refresh()
    _timeline()
    # Written around the services (bulk_create): the dashboard's summaries are counted once from the tables.
    from followups.summary.counts import dashboard_summary_rebuild

    dashboard_summary_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)


def _timeline() -> None:
    """A few status updates on the commitment whose page is measured, through the service like a person."""
    from django.contrib.auth import get_user_model

    from followups.models import Commitment
    from followups.services import commitment_update_status

    commitment = Commitment.objects.get(ref=DETAIL_REF)
    user = get_user_model().objects.get(username="coordinator")
    for status, note in (
        ("in_progress", "Kick-off call held."),
        ("at_risk", "Financing delayed."),
        ("in_progress", ""),
    ):
        commitment_update_status(commitment=commitment, status=status, note=note, by_user=user)
