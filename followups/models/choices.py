"""The vocabularies of followups: statuses (and which count as closed or done), priorities, categories, and the
reminder defaults that depend on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    AT_RISK = "at_risk", _("At risk")
    COMPLETED = "completed", _("Completed")
    COMPLETED_LATE = "completed_late", _("Completed late")
    CANCELLED = "cancelled", _("Cancelled or waived")


# A commitment in one of these needs no more work and gets no more reminders.
CLOSED_STATUSES = (Status.COMPLETED, Status.COMPLETED_LATE, Status.CANCELLED)
DONE_STATUSES = (Status.COMPLETED, Status.COMPLETED_LATE)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


# Days before the due date at which the responsible contacts are reminded, by priority (DESIGN.md).
DEFAULT_LEAD_DAYS = [30, 7, 1]
HIGH_PRIORITY_LEAD_DAYS = [60, 30, 14, 7, 1]
# Days after the due date: +1 to the contacts; +7 also to the desk officers; +30 also to the coordinators.
DEFAULT_OVERDUE_DAYS = [1, 7, 30]
# After the last overdue step, the reminder repeats at this interval until the deadline is completed, extended,
# waived or acknowledged (DESIGN.md, "nothing goes quiet").
DEFAULT_REPEAT_OVERDUE_DAYS = 7
# An open commitment with no status update for this many days (by priority) has gone quiet: its contacts are
# nudged, then after DEFAULT_QUIET_GRACE_DAYS its desk officers. A reminder policy on the framework overrides.
DEFAULT_QUIET_DAYS = {"high": 30, "normal": 60, "low": 90}
DEFAULT_QUIET_GRACE_DAYS = 14


class Category(models.TextChoices):
    AGREEMENT = "agreement", _("Agreement")
    ASSET_SALE_REVIEW = "asset_sale_review", _("Asset-sale review")
    CONSULTATION = "consultation", _("Consultation")
    COORDINATION = "coordination", _("Coordination")
    DATA_QUALITY = "data_quality", _("Data quality")
    FINANCING = "financing", _("Financing")
    GEOLOGICAL_MAPPING = "geological_mapping", _("Geological mapping")
    GOVERNANCE = "governance", _("Governance")
    INVESTMENT = "investment", _("Investment")
    INVESTMENT_VEHICLE = "investment_vehicle", _("Investment vehicle")
    MARKET_ACCESS = "market_access", _("Market access")
    MARKET_INTEGRITY = "market_integrity", _("Market integrity")
    MEETING = "meeting", _("Meeting")
    MEMBERSHIP = "membership", _("Membership")
    OFFTAKE_ACCESS = "offtake_access", _("Offtake access")
    PERMITTING = "permitting", _("Permitting")
    PRICING = "pricing", _("Pricing")
    PROCESSING = "processing", _("Processing")
    PROJECT_PIPELINE = "project_pipeline", _("Project pipeline")
    RECYCLING = "recycling", _("Recycling")
    REPORTING = "reporting", _("Reporting")
    REVIEW = "review", _("Review")
    SCOPING = "scoping", _("Scoping")
    STOCKPILING = "stockpiling", _("Stockpiling")
    SUPPLY_SECURITY = "supply_security", _("Supply security")
    TECHNICAL_COOPERATION = "technical_cooperation", _("Technical cooperation")
    TRANSPARENCY = "transparency", _("Transparency")
    OTHER = "other", _("Other")
