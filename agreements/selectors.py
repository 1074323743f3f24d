"""Reads that the agreements pages share: what a framework page shows beyond the list's columns, what a milestone
concerns."""

from __future__ import annotations

from django.db.models import Q

from agreements.models import DataCaveat, Framework, Membership, Milestone, Organisation, WorkingGroup
from followups.models import Commitment


def milestone_related(milestone: Milestone) -> list[tuple[str, str, str]]:
    """What a milestone concerns besides its frameworks, as (ref, name, URL name) where the tracker has a page."""
    refs = [ref for ref in milestone.related_refs if ref not in {f.ref for f in milestone.frameworks.all()}]
    found: list[tuple[str, str, str]] = []
    for model, url_name, label in (
        (Organisation, "organisation_detail", "name"),
        (Commitment, "followups:commitment_detail", "title"),
        (WorkingGroup, "workinggroup_detail", "name"),
    ):
        for obj in model.objects.filter(ref__in=refs):
            found.append((obj.ref, getattr(obj, label), url_name))
    known = {ref for ref, _name, _url in found}
    found.extend((ref, "", "") for ref in refs if ref not in known)
    return found


def framework_facts(framework: Framework) -> dict:
    """What the framework page shows beyond the list's columns: its parties with their sources, the memberships
    of the bodies that are party to it (with their state), and the caveats of the data that concern it."""
    parties = list(framework.parties.select_related("organisation").prefetch_related("sources"))
    bodies = [p.organisation_id for p in parties]
    memberships = list(
        Membership.objects.filter(body_id__in=bodies)
        .select_related("member", "body")
        .prefetch_related("sources")
        .order_by("body__name", "state", "member__name")
    )
    party_orgs = [p.organisation_id for p in parties if p.organisation.kind == "country"]
    caveats = list(
        DataCaveat.objects.filter(Q(frameworks=framework) | Q(organisations__in=party_orgs)).distinct().order_by("ref")
    )
    return {"parties": parties, "memberships": memberships, "caveats": caveats}
