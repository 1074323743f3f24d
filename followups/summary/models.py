"""Summary tables of the coordinator's dashboard (issue 15): counts per key, so that the dashboard of all
commitments reads a few thousand rows whatever the number of commitments and deadlines.

Written only by `followups.summary.counts` (`n = n + delta` upserts in the transaction of the change, from what each
commitment counted before: `DashboardContribution`), rebuilt from the tables by `dashboard_summary_rebuild`.

Dates that are compared with today ("overdue", "gone quiet") are counted three times, by year, by month and by day
(`Grain`): "before day T" is then the years before T's year, the months of T's year before T's month and the days of
T's month before T, whatever the number of rows behind them (`counts.before_q`).
"""

from __future__ import annotations

from django.db import models


class Grain(models.TextChoices):
    YEAR = "Y", "year"
    MONTH = "M", "month"
    DAY = "D", "day"


class DashboardCommitmentCount(models.Model):
    """Commitments per (framework, status, sourced): the counts at risk, completed and in all, and the bars of the
    status chart. `sourced`: not invented and a sourced status (Commitment.provenance_q, status_basis)."""

    framework_id = models.IntegerField()
    status = models.CharField(max_length=20)
    sourced = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["framework_id", "status", "sourced"], name="dash_commitment_count_key")
        ]

    def __str__(self) -> str:
        return f"framework {self.framework_id} {self.status} sourced={self.sourced}: {self.n}"


class DashboardCommitmentDue(models.Model):
    """Open commitments with an open deadline per (framework, status, grain, day of their earliest open due date):
    the "overdue" part of each framework's bar."""

    framework_id = models.IntegerField()
    status = models.CharField(max_length=20)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["framework_id", "status", "grain", "day"], name="dash_commitment_due_key")
        ]
        indexes = [models.Index(fields=["grain", "day"], name="dash_commitment_due_day")]

    def __str__(self) -> str:
        return f"framework {self.framework_id} {self.status} {self.grain} {self.day}: {self.n}"


class DashboardCommitmentActivity(models.Model):
    """Open commitments per (framework, priority, grain, day of their last status update, else of their entry):
    the count of those gone quiet (the window depends on the priority and the framework's reminder policy)."""

    framework_id = models.IntegerField()
    priority = models.CharField(max_length=10)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["framework_id", "priority", "grain", "day"], name="dash_commitment_activity_key"
            )
        ]
        indexes = [models.Index(fields=["grain", "day"], name="dash_commitment_activity_day")]

    def __str__(self) -> str:
        return f"framework {self.framework_id} {self.priority} {self.grain} {self.day}: {self.n}"


class DashboardDeadlineDay(models.Model):
    """Deadlines per (due day, open, sourced): overdue, due within 7 and 30 days, the backlog's dates and the
    month chart are sums over days (a few thousand rows, whatever the number of deadlines). `sourced`:
    Deadline.provenance_q(sourced)."""

    day = models.DateField()
    is_open = models.BooleanField()
    sourced = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "is_open", "sourced"], name="dash_deadline_day_key")]

    def __str__(self) -> str:
        return f"{self.day} open={self.is_open} sourced={self.sourced}: {self.n}"


class DashboardContribution(models.Model):
    """What one commitment (and its deadlines) counts in the summaries now: a refresh subtracts it and adds what the
    tables say, so a change is counted once whatever door it came through, and a deleted commitment is taken out.
    Its row is locked during a refresh, so two transactions refreshing one commitment take turns.

    Not a foreign key: the row outlives its commitment until the refresh that takes it out. An empty `status` counts
    nothing (a row reserved for a commitment not counted yet)."""

    commitment_id = models.IntegerField(primary_key=True)
    framework_id = models.IntegerField(null=True)
    status = models.CharField(max_length=20, blank=True)
    sourced = models.BooleanField(default=False)
    priority = models.CharField(max_length=10, blank=True)
    # Only while the commitment is open: its earliest open due date, and the day of its last status update.
    next_due = models.DateField(null=True)
    last_activity = models.DateField(null=True)
    # Its deadlines as [ISO day, open, sourced], sorted.
    deadlines = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"commitment {self.commitment_id}: {self.status or 'nothing'}"
