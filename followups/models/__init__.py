"""What was undertaken and by when: commitments, their owners, deadlines, projects and the status timeline.

State changes go through `followups.services`; these models hold fields, constraints, indexes and small
derived properties. "Overdue" is never stored: it is derived from a deadline's due date and whether it is
still open (`DeadlineQuerySet.overdue`, `Deadline.is_overdue`).

One module per kind of record (choices, projects, commitments, deadlines, status_updates); the models kept in
their capability's folder (reminders, webhooks, partner_links, loader) are registered with this app from here.
Everything is re-exported by name, so `from followups.models import Deadline` is the one way to import them.
"""

from followups.loader.models import LoadBaseline
from followups.models.choices import (
    CLOSED_STATUSES,
    DEFAULT_LEAD_DAYS,
    DEFAULT_OVERDUE_DAYS,
    DEFAULT_QUIET_DAYS,
    DEFAULT_QUIET_GRACE_DAYS,
    DEFAULT_REPEAT_OVERDUE_DAYS,
    DONE_STATUSES,
    HIGH_PRIORITY_LEAD_DAYS,
    Category,
    Priority,
    Status,
)
from followups.models.commitments import COMMITMENT_LIST_ORDER, Commitment, CommitmentOwner, CommitmentQuerySet
from followups.models.deadlines import (
    UNSOURCED_BASES,
    Anchor,
    AnchorKind,
    Deadline,
    DeadlineOccurrence,
    DeadlineQuerySet,
    OccurrenceOutcome,
    PartyClock,
)
from followups.models.projects import Project, ProjectKind, ProjectStage
from followups.models.status_updates import COORDINATING_OFFICE, Completion, StatusUpdate
from followups.partner_links.models import (
    ContactPause,
    ContactPreferenceChange,
    InboundReply,
    InboundReplyStatus,
    PartnerLink,
    PartnerLinkPurpose,
    PartnerMessage,
    PartnerMessageKind,
    PartnerMessageStatus,
)
from followups.reminders.models import (
    ContactReminderPreference,
    Reminder,
    ReminderAcknowledgement,
    ReminderPolicy,
    ReminderStatus,
)
from followups.summary.models import (
    DashboardCommitmentActivity,
    DashboardCommitmentCount,
    DashboardCommitmentDue,
    DashboardContribution,
    DashboardDeadlineDay,
)
from followups.sync.models import SyncAudience, SyncChange, SyncChangeKind, SyncResource, SyncScopeEntry
from followups.webhooks.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "CommitmentQuerySet",
    "DashboardCommitmentActivity",
    "DashboardCommitmentCount",
    "DashboardCommitmentDue",
    "DashboardContribution",
    "DashboardDeadlineDay",
    "DeadlineQuerySet",
    "Anchor",
    "UNSOURCED_BASES",
    "COORDINATING_OFFICE",
    "CLOSED_STATUSES",
    "COMMITMENT_LIST_ORDER",
    "DEFAULT_LEAD_DAYS",
    "DEFAULT_OVERDUE_DAYS",
    "DEFAULT_QUIET_DAYS",
    "DEFAULT_QUIET_GRACE_DAYS",
    "DEFAULT_REPEAT_OVERDUE_DAYS",
    "DONE_STATUSES",
    "HIGH_PRIORITY_LEAD_DAYS",
    "LoadBaseline",
    "AnchorKind",
    "Category",
    "Commitment",
    "CommitmentOwner",
    "Completion",
    "ContactPause",
    "ContactPreferenceChange",
    "ContactReminderPreference",
    "InboundReply",
    "InboundReplyStatus",
    "Deadline",
    "PartyClock",
    "DeadlineOccurrence",
    "OccurrenceOutcome",
    "Priority",
    "PartnerLink",
    "PartnerLinkPurpose",
    "PartnerMessage",
    "PartnerMessageKind",
    "PartnerMessageStatus",
    "Project",
    "ProjectKind",
    "ProjectStage",
    "Reminder",
    "ReminderAcknowledgement",
    "ReminderPolicy",
    "ReminderStatus",
    "Status",
    "StatusUpdate",
    "SyncAudience",
    "SyncChange",
    "SyncChangeKind",
    "SyncResource",
    "SyncScopeEntry",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEvent",
]
