"""Staff pages about follow-up: the dashboard, commitments with their timeline and status form, deadlines,
projects, the calendar, exports and the personal iCal feed.

Thin: parse the request, read through followups.selectors, change through followups.services, render.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View
from django.views.generic import TemplateView

from agreements.lists import StaffExportView, StaffListView, StaffMixin
from agreements.models import Event, Milestone
from agreements.roles import can_extend_deadline, can_update_status, signed_in_user
from followups import charts, exports, selectors
from followups.calendar_feed import calendar_token_user, deadlines_ics
from followups.filters import CommitmentFilter, DeadlineFilter, ProjectFilter
from followups.forms import DeadlineExtendForm, StatusUpdateForm
from followups.models import COMMITMENT_LIST_ORDER, Commitment, Deadline, Project, Status
from followups.services import commitment_update_status, deadline_extend


class DashboardView(StaffMixin, TemplateView):
    """What is due, what is late, who owes what; a desk officer's portfolio first."""

    template_name = "followups/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = selectors.today()
        portfolio = selectors.portfolio_of(self.request.user)
        # All commitments: from the summaries the services keep (a few thousand rows, whatever the number of
        # commitments). A portfolio: live queries through the owners' index, one scan serving its counts and chart.
        everything = selectors.dashboard_all(today=today)
        portfolio_rows = charts.commitment_status_rows(today=today, organisations=portfolio) if portfolio else None
        sections = []
        # ?basis=sourced: the counts of sourced facts only, the illustrative hidden.
        sourced_only = self.request.GET.get("basis") == "sourced"
        if portfolio:
            counts = selectors.dashboard_counts(today=today, organisations=portfolio, status_rows=portfolio_rows)
            sourced = selectors.dashboard_counts_sourced(today=today, organisations=portfolio)
            quiet = _quiet_count(today, portfolio)
            sections.append(self._section(_("Your portfolio"), "portfolio", today, portfolio, counts, sourced, quiet))
        a = everything
        sections.append(self._section(_("All commitments"), "all", today, None, a.counts, a.sourced, a.quiet))
        # The month chart opens on a window that holds the overdue deadlines and the next one.
        if portfolio:
            backlog = charts.deadline_backlog(today=today, organisations=portfolio)
        else:
            backlog = charts.backlog_of(today=today, totals=everything.deadlines)
        start, end = backlog.window()
        context.update(
            today=today,
            week_ahead=today + timedelta(days=7),
            month_ahead=today + timedelta(days=30),
            portfolio=portfolio,
            sections=sections,
            status_chart=charts.chart_status_by_framework(
                status_rows=portfolio_rows if portfolio_rows is not None else everything.status_rows
            ),
            month_chart=charts.chart_deadlines_per_month(
                today=today, start=start, end=end, organisations=portfolio or None
            ),
            backlog=backlog,
            chart_start=start,
            chart_last=selectors._month_add(end, -1),
            next_outside=backlog.next_outside(end),
            overdue_before=backlog.overdue_before(start),
            chart_scope=_("your portfolio") if portfolio else _("all commitments"),
            scope_param="&scope=portfolio" if portfolio else "",
            # Partners' reported completions waiting for a coordinator or desk officer (issue 11).
            awaiting_verification=selectors.awaiting_verification_count(),
            sourced_only=sourced_only,
        )
        for section in sections:
            counts, sourced = section["counts"], section["sourced"]
            section["split"] = {
                name: (getattr(sourced, name), getattr(counts, name) - getattr(sourced, name))
                for name in ("overdue", "due_7", "due_30", "at_risk", "completed", "total")
            }
            if sourced_only:
                section["counts"] = sourced
        return context

    def _section(self, title, key, today, organisations, counts, sourced, quiet):
        return {
            "title": title,
            "key": key,
            "counts": counts,
            # Each count split: sourced facts / illustrative or unverified (issue 10).
            "sourced": sourced,
            "overdue": selectors.deadlines_upcoming(today=today, organisations=organisations, overdue=True, limit=8),
            "upcoming": selectors.deadlines_upcoming(today=today, organisations=organisations, limit=8),
            # Open commitments with no status update for longer than their window (issue 9).
            "quiet": quiet,
            # The counts link to the lists they count; a portfolio's to the lists of the portfolio.
            "scope_param": "&scope=portfolio" if organisations else "",
        }


def _quiet_count(today: date, organisations) -> int:
    return Commitment.objects.quiet(today=today).owned_by(organisations).count()


class CommitmentListView(StaffListView):
    template_name = "followups/commitment_list.html"
    filterset_class = CommitmentFilter
    sort_keys = ("ref", "title", "framework", "status", "priority", "due")
    export_name = "followups:commitment_export"

    def get_queryset(self):
        # Until the reader sorts: open commitments first, the soonest due first, those with no deadline last; the
        # very expressions of the index commitment_list_order, so that a page is an index scan and a limit.
        return selectors.commitment_list_queryset().order_by(*COMMITMENT_LIST_ORDER)

    def page_rows(self, rows):
        # A page reads its cells as values, the owners' names in the same query (the export reads models).
        return selectors.commitment_rows_queryset(rows)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(object_list=list(context["object_list"]), today=selectors.today(), status_choices=Status.choices)
        return context


class CommitmentExportView(StaffExportView):
    list_view = CommitmentListView
    columns = exports.COMMITMENT_COLUMNS
    stem = "commitments"
    title = "Commitments"

    def export_rows(self, rows):
        return exports.commitment_rows(rows)


class CommitmentDetailView(StaffMixin, TemplateView):
    """A commitment with its deadlines, owners, contacts, sources and timeline; the status-update form."""

    template_name = "followups/commitment_detail.html"

    def get_commitment(self) -> Commitment:
        return get_object_or_404(
            Commitment.objects.select_related("framework", "working_group"), ref=self.kwargs["ref"]
        )

    def get(self, request, *args, **kwargs):
        commitment = self.get_commitment()
        return self.render_to_response(self.get_context_data(commitment=commitment, form=self._form(commitment)))

    def post(self, request, *args, **kwargs):
        if not can_update_status(request.user):
            raise PermissionDenied(_("Only coordinators and desk officers record status updates."))
        commitment = self.get_commitment()
        form = self._form(commitment, data=request.POST, files=request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                update = commitment_update_status(
                    commitment=commitment,
                    status=data["status"],
                    note=data["note"],
                    owner=data["owner"],
                    evidence_url=data["evidence_url"],
                    evidence_file=data["evidence_file"],
                    happened_on=data["happened_on"],
                    by_user=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Status of %(ref)s recorded: %(status)s.")
                    % {"ref": commitment.ref, "status": update.get_new_status_display()},
                )
                # From the list's quick form, back to the same filtered list; never to another site.
                back = request.POST.get("next", "")
                if back and url_has_allowed_host_and_scheme(
                    back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    return redirect(back)
                return redirect(f"{request.path}#timeline")
        response = self.render_to_response(self.get_context_data(commitment=commitment, form=form))
        response.status_code = 400
        return response

    def _form(self, commitment, **kwargs):
        return StatusUpdateForm(commitment=commitment, owners=self._owners(commitment), **kwargs)

    def _owners(self, commitment) -> list:
        """The owners with their organisations, read once for the form and the page."""
        if not hasattr(commitment, "_owners"):
            commitment._owners = list(commitment.ownerships.select_related("organisation"))
            selectors.last_updates_annotate(commitment, commitment._owners)
        return commitment._owners

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        commitment = kwargs["commitment"]
        deadlines = list(
            commitment.deadlines.select_related(
                "anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline"
            )
        )
        if can_extend_deadline(self.request.user):
            for d in deadlines:
                d.extend_form = DeadlineExtendForm(deadline=d) if d.is_open else None
        context.update(
            today=selectors.today(),
            owners=self._owners(commitment),
            deadlines=deadlines,
            contacts=list(commitment.contacts.select_related("organisation")),
            sources=list(commitment.sources.all()),
            projects=list(commitment.projects.select_related("country")),
            timeline=selectors.commitment_timeline(commitment, deadline_ids=[d.pk for d in deadlines]),
            status_choices=Status.choices,
        )
        return context


class DeadlineExtendView(StaffMixin, View):
    """Extend one deadline to a later date with a reason (the rule's date is kept); back to its commitment."""

    def post(self, request: HttpRequest, ref: str) -> HttpResponse:
        if not can_extend_deadline(request.user):
            raise PermissionDenied(_("Only coordinators and data clerks extend deadlines."))
        deadline = get_object_or_404(Deadline.objects.select_related("commitment"), ref=ref)
        form = DeadlineExtendForm(request.POST, deadline=deadline)
        if form.is_valid():
            try:
                deadline_extend(
                    deadline=deadline,
                    new_due_on=form.cleaned_data["new_due_on"],
                    reason=form.cleaned_data["reason"],
                    by_user=signed_in_user(request.user),
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("%(ref)s extended to %(date)s.") % {"ref": deadline.ref, "date": form.cleaned_data["new_due_on"]},
                )
        else:
            # An ErrorList yields its messages as strings (the stubs say ValidationError too).
            errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
            messages.error(
                request, _("%(ref)s was not extended: %(errors)s") % {"ref": deadline.ref, "errors": " ".join(errors)}
            )
        return redirect(reverse("followups:commitment_detail", args=[deadline.commitment.ref]) + "#deadlines")


class DeadlineListView(StaffListView):
    template_name = "followups/deadline_list.html"
    filterset_class = DeadlineFilter
    sort_keys = ("due", "ref", "commitment")
    export_name = "followups:deadline_export"

    def get_queryset(self):
        # Until the reader sorts: open deadlines first, the soonest (so the longest overdue) first.
        anchors = ("anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline")  # the rule in words
        return (
            selectors.deadline_list_queryset()
            .select_related(*anchors)
            .order_by(Case(When(completed_on__isnull=True, cancelled=False, then=0), default=1), "due_on", "ref")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = selectors.today()
        return context


class DeadlineExportView(StaffExportView):
    list_view = DeadlineListView
    columns = exports.DEADLINE_COLUMNS
    stem = "deadlines"
    title = "Deadlines"


class ProjectListView(StaffListView):
    template_name = "followups/project_list.html"
    filterset_class = ProjectFilter
    sort_keys = ("name", "stage", "ref")
    export_name = "followups:project_export"

    def get_queryset(self):
        return Project.objects.select_related("country").prefetch_related("frameworks")


class ProjectExportView(StaffExportView):
    list_view = ProjectListView
    columns = exports.PROJECT_COLUMNS
    stem = "projects"
    title = "Projects"


class ProjectDetailView(StaffMixin, TemplateView):
    template_name = "followups/project_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = get_object_or_404(Project.objects.select_related("country"), ref=kwargs["ref"])
        stages = list(type(project).stage.field.choices)
        reached = [value for value, _label in stages].index(project.stage)
        context.update(
            project=project,
            stages=[(value, label, i <= reached, i == reached) for i, (value, label) in enumerate(stages)],
            frameworks=list(project.frameworks.all()),
            sponsors=list(project.sponsors.all()),
            commitments=list(project.commitments.select_related("framework")),
            sources=list(project.sources.all()),
        )
        return context


def _month_param(value: str | None, default: date) -> date:
    """The first day of the month given as YYYY-MM, else of `default`'s month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return default.replace(day=1)


class CalendarView(StaffMixin, TemplateView):
    """Deadlines by month, as a month grid and, for screen readers and phones, as a list."""

    template_name = "followups/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = selectors.today()
        month = _month_param(self.request.GET.get("month"), today)
        portfolio = selectors.portfolio_of(self.request.user)
        mine = self.request.GET.get("scope") == "portfolio" and portfolio
        last_day = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
        deadlines_qs = selectors.deadlines_for(portfolio if mine else None).due_between(month, last_day)
        # ?basis=sourced hides what is invented or copied from a sister instrument (issue 10).
        sourced_only = self.request.GET.get("basis") == "sourced"
        if sourced_only:
            deadlines_qs = deadlines_qs.sourced()
        deadlines = list(deadlines_qs.select_related("commitment__framework").order_by("due_on", "ref"))
        by_day = defaultdict(list)
        for d in deadlines:
            by_day[d.due_on].append(d)
        # Milestones (with or without a framework) and events of the month, beside the deadlines.
        milestones = list(Milestone.objects.filter(date__gte=month, date__lte=last_day).order_by("date", "ref"))
        events = list(Event.objects.filter(date__gte=month, date__lte=last_day).order_by("date"))
        marks_by_day = defaultdict(list)
        for e in events:
            marks_by_day[e.date].append((e.name, reverse("event_detail", args=[e.ref])))
        for m in milestones:
            marks_by_day[m.date].append((m.title, reverse("milestone_detail", args=[m.ref])))
        weeks = [
            [(day, by_day.get(day, []), day.month == month.month, marks_by_day.get(day, [])) for day in week]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
        ]
        # Where the backlog is, so that an empty month never hides it: the overdue deadlines of earlier months
        # are listed under the current month, and the way to the next deadline is named.
        backlog = charts.deadline_backlog(today=today, organisations=portfolio if mine else None)
        earlier_overdue = []
        if month == today.replace(day=1) and backlog.overdue:
            earlier_overdue = list(
                selectors.deadlines_for(portfolio if mine else None)
                .overdue(today=today)
                .filter(due_on__lt=month)
                .select_related("commitment__framework")
                .order_by("-due_on", "ref")
            )
        context.update(
            today=today,
            backlog=backlog,
            earlier_overdue=earlier_overdue,
            next_month_of_deadline=backlog.next_due.replace(day=1) if backlog.next_due else None,
            latest_overdue_month=backlog.latest_overdue.replace(day=1) if backlog.latest_overdue else None,
            month=month,
            previous_month=selectors._month_add(month, -1),
            next_month=selectors._month_add(month, 1),
            weeks=weeks,
            weekdays=[date(2024, 1, i) for i in range(1, 8)],  # 1 Jan 2024 is a Monday
            deadlines=deadlines,
            milestones=milestones,
            events=events,
            sourced_only=sourced_only,
            portfolio=portfolio,
            scope="portfolio" if mine else "all",
        )
        return context


class TimelineView(StaffMixin, TemplateView):
    """Deadlines across frameworks on one time axis: one row per framework, one mark per deadline."""

    template_name = "followups/timeline.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = selectors.today()
        # By default the window holds the overdue deadlines and the next ones (at least 15 months).
        backlog = charts.deadline_backlog(today=today)
        first, last = backlog.window(before=3, after=3, max_before=12, max_after=12)
        start = _month_param(self.request.GET.get("start"), first)
        end = selectors._month_add(start, 15)
        if "start" not in self.request.GET:
            end = max(end, last)
        deadlines = list(
            Deadline.objects.filter(due_on__gte=start, due_on__lt=end)
            .select_related("commitment__framework")
            .order_by("commitment__framework__ref", "due_on")
        )
        span = (end - start).days
        label_width, plot = 170, 800
        rows = defaultdict(list)
        state_labels = {
            "open": pgettext("deadline state", "Open"),
            "overdue": _("Overdue"),
            "completed": pgettext("deadline state", "Completed"),
            "cancelled": pgettext("deadline state", "Cancelled"),
        }
        for d in deadlines:
            x = label_width + plot * (d.due_on - start).days / span
            state = "open" if d.is_open else ("completed" if d.completed_on else "cancelled")
            if d.is_open and d.due_on < today:
                state = "overdue"
            rows[d.commitment.framework].append(
                {"deadline": d, "x": round(x, 1), "state": state, "label": state_labels[state]}
            )
        months = []
        m = start
        while m < end:
            months.append((m, round(label_width + plot * (m - start).days / span, 1)))
            m = selectors._month_add(m, 1)
        context.update(
            today=today,
            backlog=backlog,
            next_outside=backlog.next_outside(end),
            overdue_before=backlog.overdue_before(start),
            today_x=round(label_width + plot * (today - start).days / span, 1) if start <= today < end else None,
            rows=[{"framework": fw, "marks": marks, "y": 30 + i * 28} for i, (fw, marks) in enumerate(rows.items())],
            months=months,
            start=start,
            end=end,
            last=selectors._month_add(end, -1),
            earlier=selectors._month_add(start, -6),
            later=selectors._month_add(start, 6),
            width=label_width + plot + 20,
            label_width=label_width,
            height=40 + len(rows) * 28,
        )
        return context


class CalendarFeedView(View):
    """The personal iCal feed: no login (calendar apps cannot log in), the secret URL is the credential."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        user = calendar_token_user(token=token)
        if user is None:
            raise Http404
        portfolio = selectors.portfolio_of(user)
        deadlines = (
            selectors.deadlines_for(portfolio or None)
            .filter(due_on__gte=selectors._month_add(selectors.today().replace(day=1), -6))
            .select_related(
                "commitment__framework", "anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline"
            )
            .order_by("due_on")
        )
        name = _("Follow-up deadlines") + (f" ({user.get_username()})" if portfolio else "")
        response = HttpResponse(deadlines_ics(deadlines, name=name), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="followup-deadlines.ics"'
        response["Cache-Control"] = "private, max-age=900"
        return response
