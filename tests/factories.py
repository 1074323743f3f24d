"""factory_boy factories for every model of agreements and followups (shared: append yours at the end).

References come from sequences in the dataset's style (ORG-T001, FW-T001, CMT-T001) so they pass
agreements.models.ref_validator and never collide with the real dataset's ids. Records whose fields are
computed by a service are created through it: a Deadline through followups.services.deadline_save_rule (its
dates follow its rule), a StatusUpdate through commitment_update_status (the status rolls up and the
timeline is written as in the application).
"""

from __future__ import annotations

import itertools
import string
from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agreements import models as agreements
from agreements.roles import Role, role_groups_ensure
from followups import models as followups
from followups import services

TEST_PASSWORD = "test-pass-2026"

# ISO 3166 leaves X*, Q[M-Z] and Z* to users: start there so factory countries avoid the dataset's codes.
_ISO_CODES = [
    a + b
    for first in ("X", "Q", "Z", *string.ascii_uppercase)
    for a, b in itertools.product(first, string.ascii_uppercase)
]
_ISO_CODES = list(dict.fromkeys(_ISO_CODES))


def free_iso_code(n: int) -> str:
    """A two-letter code no organisation holds yet, starting at the n-th candidate."""
    taken = set(agreements.Organisation.objects.exclude(iso_alpha2=None).values_list("iso_alpha2", flat=True))
    for offset in range(len(_ISO_CODES)):
        code = _ISO_CODES[(n + offset) % len(_ISO_CODES)]
        if code not in taken:
            return code
    raise RuntimeError("every two-letter code is taken")


# --- agreements -------------------------------------------------------------------------------------------------


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.Source
        django_get_or_create = ("ref",)

    ref = factory.Sequence(lambda n: f"ST{n:03d}")
    title = factory.Sequence(lambda n: f"Test source {n}")
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")
    published = "2026-02-04"
    kind = "official"


class OrganisationFactory(factory.django.DjangoModelFactory):
    """A country by default (with a free ISO code); pass kind= for a body, which has no ISO code."""

    class Meta:
        model = agreements.Organisation
        django_get_or_create = ("ref",)

    class Params:
        is_country = factory.LazyAttribute(lambda o: o.kind == agreements.OrganisationKind.COUNTRY)

    ref = factory.Sequence(lambda n: f"ORG-T{n:03d}")
    name = factory.Sequence(lambda n: f"Testland {n}")
    kind = agreements.OrganisationKind.COUNTRY
    iso_alpha2 = factory.Maybe("is_country", yes_declaration=factory.Sequence(free_iso_code), no_declaration=None)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.Membership

    member = factory.SubFactory(OrganisationFactory)
    body = factory.SubFactory(
        OrganisationFactory, kind=agreements.OrganisationKind.PLURILATERAL_FORUM, name="Test forum"
    )
    role = "member"


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.Framework
        django_get_or_create = ("ref",)

    ref = factory.Sequence(lambda n: f"FW-T{n:03d}")
    title = factory.Sequence(lambda n: f"Test framework {n} on critical minerals")
    short_title = factory.Sequence(lambda n: f"Test framework {n}")
    kind = agreements.FrameworkKind.MOU
    status = agreements.FrameworkStatus.SIGNED
    signed_on = date(2026, 2, 4)


class PartyFactory(factory.django.DjangoModelFactory):
    """A party saved through services.party_save, as the admin and the loader save one (its own deadlines of a
    per-party clock are planned)."""

    class Meta:
        model = agreements.Party

    framework = factory.SubFactory(FrameworkFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = agreements.PartyRole.SIGNATORY

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        party = model_class(*args, **kwargs)
        services.party_save(party=party, actor="test factory")
        return party


class WorkingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.WorkingGroup
        django_get_or_create = ("ref",)

    ref = factory.Sequence(lambda n: f"WG-T{n:03d}")
    name = factory.Sequence(lambda n: f"Test working group {n}")
    framework = factory.SubFactory(FrameworkFactory)
    meeting_cadence = "quarterly"


class WorkingGroupMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.WorkingGroupMember

    working_group = factory.SubFactory(WorkingGroupFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = agreements.MemberRole.MEMBER


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.Contact
        django_get_or_create = ("ref",)

    ref = factory.Sequence(lambda n: f"CON-T{n:03d}")
    name = factory.Sequence(lambda n: f"Test Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)
    language = agreements.Language.ENGLISH
    time_zone = "UTC"
    illustrative = True


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.Event
        django_get_or_create = ("ref",)

    ref = factory.Sequence(lambda n: f"EVT-T{n:03d}")
    name = factory.Sequence(lambda n: f"Test ministerial {n}")
    date = date(2026, 2, 4)
    location = "Washington"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agreements.Milestone
        django_get_or_create = ("ref",)
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"MS-T{n:03d}")
    date = date(2026, 3, 1)
    title = factory.Sequence(lambda n: f"Test milestone {n}")
    kind = "meeting"

    @factory.post_generation
    def frameworks(self, create, extracted, **kwargs):
        if create and extracted:
            self.frameworks.set(extracted)


# --- users ------------------------------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user with a role (a group): UserFactory(role=Role.DESK_OFFICER). Data clerks get is_staff."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = "Test"
    last_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    role = None
    is_staff = factory.LazyAttribute(lambda o: o.role == Role.DATA_CLERK)
    password = TEST_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, role=None, password=TEST_PASSWORD, **kwargs):
        user = model_class._default_manager.create_user(*args, password=password, **kwargs)
        if role:
            role = Role(role)
            group = Group.objects.filter(name=role.value).first() or role_groups_ensure()[role]
            user.groups.add(group)
        return user

    @classmethod
    def _build(cls, model_class, *args, role=None, password=TEST_PASSWORD, **kwargs):
        user = model_class(*args, **kwargs)
        user.set_password(password)
        return user


class StaffProfileFactory(factory.django.DjangoModelFactory):
    """A desk officer's profile; a portfolio= is given through services.staff_profile_changed, as the admin gives
    it, so the escalations of deadlines already owed by those organisations are planned."""

    class Meta:
        model = agreements.StaffProfile
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.DESK_OFFICER)
    time_zone = "UTC"

    @factory.post_generation
    def portfolio(self, create, extracted, **kwargs):
        if create and extracted:
            before = list(self.portfolio.values_list("pk", flat=True))
            self.portfolio.set(extracted)
            services.staff_profile_changed(profile=self, portfolio_before=before)


# --- followups --------------------------------------------------------------------------------------------------


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = followups.Project
        django_get_or_create = ("ref",)
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"PRJ-T{n:03d}")
    name = factory.Sequence(lambda n: f"Test gallium refinery {n}")
    kind = followups.ProjectKind.REFINERY
    country = factory.SubFactory(OrganisationFactory)
    minerals = factory.LazyFunction(lambda: ["gallium"])
    stage = followups.ProjectStage.IDENTIFIED

    @factory.post_generation
    def frameworks(self, create, extracted, **kwargs):
        if create and extracted:
            self.frameworks.set(extracted)


class CommitmentFactory(factory.django.DjangoModelFactory):
    """A commitment with its owners, who are parties to its framework.

    owners=[org, ...] names them; otherwise one owner is made, or found by ref: owners__ref="ORG-PE".
    owners=[] leaves it without owners. contacts=[...] and projects=[...] link those.
    """

    class Meta:
        model = followups.Commitment
        django_get_or_create = ("ref",)
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"CMT-T{n:03d}")
    framework = factory.SubFactory(FrameworkFactory)
    title = factory.Sequence(lambda n: f"Identify projects that deliver material to partner buyers ({n})")
    category = followups.Category.PROJECT_PIPELINE
    priority = followups.Priority.NORMAL
    status = followups.Status.NOT_STARTED

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            existing = agreements.Organisation.objects.filter(ref=kwargs["ref"]).first() if "ref" in kwargs else None
            extracted = [existing or OrganisationFactory(**kwargs)]
        for organisation in extracted:
            agreements.Party.objects.get_or_create(framework=self.framework, organisation=organisation)
        services.commitment_owner_set(commitment=self, organisations=extracted)

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):
        if create and extracted:
            services.commitment_contacts_set(commitment=self, contacts=extracted)

    @factory.post_generation
    def projects(self, create, extracted, **kwargs):
        if create and extracted:
            self.projects.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # Entered as the admin enters one: the dashboard's counts take it in (the admin's save_related).
        if create:
            services.dashboard_summary_refresh([instance.pk])


class CommitmentOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = followups.CommitmentOwner

    commitment = factory.SubFactory(CommitmentFactory, owners=[])
    organisation = factory.SubFactory(OrganisationFactory)
    status = followups.Status.NOT_STARTED


_FRAMEWORK_ANCHORS = (followups.AnchorKind.FRAMEWORK_SIGNED, followups.AnchorKind.FRAMEWORK_EFFECTIVE)


class DeadlineFactory(factory.django.DjangoModelFactory):
    """A deadline rule saved through services.deadline_save_rule, so its dates are computed from the rule.

    By default six calendar months after its commitment's framework was signed. Other anchors:
    anchor_kind=AnchorKind.MILESTONE, anchor_milestone=...; AnchorKind.FIXED with anchor_date=...
    """

    class Meta:
        model = followups.Deadline

    ref = factory.Sequence(lambda n: f"DL-T{n:03d}")
    commitment = factory.SubFactory(CommitmentFactory)
    title = ""
    anchor_kind = followups.AnchorKind.FRAMEWORK_SIGNED
    anchor_framework = factory.LazyAttribute(
        lambda o: o.commitment.framework if o.anchor_kind in _FRAMEWORK_ANCHORS else None
    )
    offset = "P6M"
    basis = "text"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        deadline = model_class(*args, **kwargs)
        services.deadline_save_rule(deadline=deadline, actor="test factory")
        return deadline


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    """A timeline entry recorded through services.commitment_update_status (the status rolls up)."""

    class Meta:
        model = followups.StatusUpdate

    commitment = factory.SubFactory(CommitmentFactory)
    status = followups.Status.IN_PROGRESS
    note = "Progress reported on the call."
    owner = None
    happened_on = None  # today
    by_user = None
    actor = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.commitment_update_status(**kwargs)


# --- Builders of whole situations, through the services --------------------------------------------------------


def fixed_deadline(
    due: date, *, commitment: followups.Commitment | None = None, **commitment_kwargs
) -> followups.Deadline:
    """A deadline due on `due` (a fixed date), of `commitment` or of a new one (CommitmentFactory with
    `commitment_kwargs`, e.g. contacts=[...], owners=[...]); saved through services.deadline_save_rule, so its
    reminders and partners' `deadline.approaching` deliveries are planned as in production."""
    commitment = commitment or CommitmentFactory(**commitment_kwargs)
    return DeadlineFactory(commitment=commitment, anchor_kind=followups.AnchorKind.FIXED, anchor_date=due, offset="")
