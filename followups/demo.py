"""The demo: staff accounts (one per role), made-up points of contact and a few projects.

Only for development and demonstrations: `demo_seed` refuses to run with DJANGO_ENV=production, so demo
accounts never exist in production. Safe to run twice (records are matched by username and reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from agreements.models import Contact, Organisation, StaffProfile
from agreements.roles import Role, role_groups_ensure
from followups.loader import LoadReport, load_data
from followups.services import staff_profile_changed

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose; never in production


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    name: str
    portfolio: tuple[str, ...] = ()
    is_staff: bool = False  # may open the admin


DEMO_ACCOUNTS = (
    DemoAccount("coordinator", Role.COORDINATOR, "Casey Coordinator"),
    DemoAccount("desk", Role.DESK_OFFICER, "Dana Desk-Officer", portfolio=("ORG-AU", "ORG-JP", "ORG-AR", "ORG-PE")),
    DemoAccount("clerk", Role.DATA_CLERK, "Chris Clerk", is_staff=True),
    DemoAccount("viewer", Role.VIEWER, "Val Viewer"),
)

# Spoken at the ministries of these countries, for the contacts' e-mail language; English elsewhere.
_SPANISH = {"AR", "BO", "CL", "CR", "DO", "EC", "ES", "MX", "PA", "PE", "PY", "SV", "UY"}
_FRENCH = {"BE", "CD", "FR", "GN", "MA", "SN", "CI", "ML", "NE"}

# Named in the dataset (CMT-AU-01's note and sources S06, S09): the first projects of the US-Australia framework.
DEMO_PROJECTS = [
    {
        "id": "PRJ-AU-WAGERUP-GA",
        "name": "Alcoa-Sojitz gallium recovery, Wagerup",
        "kind": "refinery",
        "country_id": "ORG-AU",
        "minerals": ["gallium"],
        "stage": "feasibility",
        "capacity": 100,
        "capacity_unit": "t/yr gallium",
        "financing": "Named at signing of the US-Australia framework among the first projects to support.",
        "framework_ids": ["FW-US-AU"],
        "commitment_ids": ["CMT-AU-01"],
        "source_ids": ["S06", "S09"],
        "illustrative_fields": ["capacity", "stage"],
    },
    {
        "id": "PRJ-AU-NOLANS",
        "name": "Arafura Nolans rare-earths project",
        "kind": "mine",
        "country_id": "ORG-AU",
        "minerals": ["NdPr"],
        "stage": "financing",
        "capacity": 4440,
        "capacity_unit": "t/yr NdPr oxide",
        "financing": "Named at signing of the US-Australia framework among the first projects to support.",
        "framework_ids": ["FW-US-AU"],
        "commitment_ids": ["CMT-AU-01"],
        "source_ids": ["S06", "S09"],
        "illustrative_fields": ["capacity", "stage"],
    },
    {
        "id": "PRJ-PE-CU-DEMO",
        "name": "Demo copper concentrate project (Peru)",
        "kind": "mine",
        "country_id": "ORG-PE",
        "minerals": ["copper"],
        "stage": "identified",
        "framework_ids": ["FW-US-PE", "FW-DRAFT-FACMSP"],
        "illustrative": True,
    },
    {
        "id": "PRJ-PH-NI-DEMO",
        "name": "Demo nickel HPAL refinery (Philippines)",
        "kind": "refinery",
        "country_id": "ORG-PH",
        "minerals": ["nickel", "cobalt"],
        "stage": "offtake",
        "offtake": "Illustrative: offtake under negotiation with a US battery maker.",
        "framework_ids": ["FW-US-PH"],
        "illustrative": True,
    },
]


def country_time_zone(iso_alpha2: str | None) -> str:
    """The first time zone listed for a country in the IANA zone.tab (e.g. AR -> America/Argentina/Buenos_Aires)."""
    if not iso_alpha2:
        return "UTC"
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coords, zone, *_ = line.split("\t")
            if code == iso_alpha2:
                return zone
    return "UTC"


def _contact_records(dataset: dict) -> tuple[list[dict], dict[str, list[str]]]:
    """A made-up point of contact per owning organisation, and the commitments each is responsible for."""
    orgs = {o["id"]: o for o in dataset["organisations"]}
    contacts: dict[str, dict] = {}
    responsible: dict[str, list[str]] = {}
    for commitment in dataset["commitments"]:
        for org_ref in commitment["owner_party_ids"]:
            org = orgs[org_ref]
            slug = org_ref.removeprefix("ORG-").lower()
            contact_ref = f"CON-DEMO-{slug.upper()}"
            iso = org.get("iso_alpha2")
            contacts.setdefault(
                org_ref,
                {
                    "id": contact_ref,
                    "name": f"Demo Point of Contact ({org['name']})",
                    "email": f"poc-{slug}@example.org",
                    "organisation_id": org_ref,
                    "title": "Point of contact (made up for the demo)",
                    "language": "es" if iso in _SPANISH else "fr" if iso in _FRENCH else "en",
                    "time_zone": country_time_zone(iso) if iso else "America/New_York",
                    "illustrative": True,
                },
            )
            responsible.setdefault(commitment["id"], []).append(contact_ref)
    return list(contacts.values()), responsible


@transaction.atomic
def demo_seed(*, dataset: dict) -> tuple[LoadReport, list[DemoAccount]]:
    """Add demo contacts (when the dataset has none), demo projects and demo accounts. Safe to run twice."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo is not for production: demo accounts are never created there.")
    extended = dict(dataset)
    if not dataset.get("contacts"):
        contacts, responsible = _contact_records(dataset)
        extended["contacts"] = contacts
        extended["commitments"] = [
            {**c, "contact_ids": c.get("contact_ids") or responsible.get(c["id"], [])} for c in dataset["commitments"]
        ]
    extended["projects"] = [*(dataset.get("projects") or []), *DEMO_PROJECTS]
    report = load_data(extended)

    groups = role_groups_ensure()
    users = get_user_model().objects
    for account in DEMO_ACCOUNTS:
        user = users.filter(username=account.username).first()
        if user is None:
            first, last = account.name.split(" ", 1)
            user = users.create_user(
                account.username,
                email=f"{account.username}@example.org",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
            )
            report.count("demo accounts", "created")
        else:
            report.count("demo accounts", "unchanged")
        if user.is_staff != account.is_staff:
            user.is_staff = account.is_staff
            user.save(update_fields=["is_staff"])
        user.groups.add(groups[account.role])
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        before = list(profile.portfolio.values_list("pk", flat=True))
        if account.portfolio:
            profile.portfolio.set(Organisation.objects.filter(ref__in=account.portfolio))
        if account.role == Role.DESK_OFFICER:
            # The desk officer is also the staff contact that overdue escalations reach first.
            Contact.objects.get_or_create(
                ref="CON-DEMO-DESK",
                defaults={
                    "name": account.name,
                    "email": user.email,
                    "organisation": Organisation.objects.get(ref="ORG-US-DOS"),
                    "user": user,
                    "illustrative": True,
                },
            )
        if account.portfolio:
            # As the admin's door does: the desk officer's escalations are planned now, not at the next hourly run.
            staff_profile_changed(profile=profile, portfolio_before=before)
    return report, list(DEMO_ACCOUNTS)
