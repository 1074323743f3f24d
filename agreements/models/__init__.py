"""Who agreed to what: organisations, frameworks and their parties, working groups, contacts, milestones.

Every record loaded from a dataset keeps the dataset's id as `ref` (`ORG-AR`, `FW-US-AU`, `WG-US-CK`): the
stable reference that partners and files use. Database ids are internal.

One module per kind of record; everything is re-exported by name here, so `from agreements.models import
Framework` is the one way to import them. API keys and idempotency records (partner_access) and security events
(security) keep their modules beside their services and are registered from here too.
"""

from agreements.models.events import (
    Event,
    Milestone,
)
from agreements.models.frameworks import (
    DatePrecision,
    Framework,
    FrameworkKind,
    FrameworkQuerySet,
    FrameworkStatus,
    MemberRole,
    Party,
    PartyRole,
    WorkingGroup,
    WorkingGroupMember,
    WorkingGroupQuerySet,
    framework_ids_visible_to,
)
from agreements.models.memberships import (
    Membership,
    MembershipState,
)
from agreements.models.organisations import (
    Organisation,
    OrganisationKind,
    OrganisationQuerySet,
)
from agreements.models.people import (
    Contact,
    Language,
    StaffProfile,
)
from agreements.models.reference import (
    DataCaveat,
    GlossaryTerm,
)
from agreements.models.sources import (
    Basis,
    Source,
    Sourced,
    ref_validator,
    validate_time_zone,
)
from agreements.partner_access import *  # noqa: F403 - ApiKey, IdempotencyKey and their services
from agreements.security import SecurityEvent, SecurityEventKind

__all__ = [
    "Basis",
    "Contact",
    "DataCaveat",
    "DatePrecision",
    "Event",
    "Framework",
    "FrameworkKind",
    "FrameworkQuerySet",
    "FrameworkStatus",
    "GlossaryTerm",
    "Language",
    "MemberRole",
    "Membership",
    "MembershipState",
    "Milestone",
    "Organisation",
    "OrganisationKind",
    "OrganisationQuerySet",
    "Party",
    "PartyRole",
    "SecurityEvent",
    "SecurityEventKind",
    "Source",
    "Sourced",
    "StaffProfile",
    "WorkingGroup",
    "WorkingGroupMember",
    "WorkingGroupQuerySet",
    "ref_validator",
    "validate_time_zone",
    "framework_ids_visible_to",
]
