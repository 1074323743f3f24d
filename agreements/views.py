"""Staff pages about who agreed to what: frameworks, organisations, working groups; the account page with the
personal calendar feed. The list machinery they share with every app is in agreements.lists.

Views parse the request, read through selectors and querysets, call services and render; the rules are in
agreements.roles (who may) and followups.services (what happens).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from agreements.filters import FrameworkFilter, OrganisationFilter, WorkingGroupFilter
from agreements.forms import AnchorChangeForm, ReminderPreferencesForm
from agreements.lists import StaffListView, StaffMixin, export_view_for
from agreements.models import (
    Framework,
    FrameworkStatus,
    Milestone,
    Organisation,
    Party,
    Sourced,
    StaffProfile,
    WorkingGroup,
    WorkingGroupMember,
)
from agreements.roles import can_change_anchor, signed_in_user
from agreements.selectors import framework_facts
from followups import selectors
from followups.calendar_feed import calendar_token_issue, calendar_token_revoke
from followups.models import Commitment, CommitmentOwner, Deadline, Status
from followups.services import (
    anchor_change_preview,
    framework_change_dates_with_milestones,
    framework_date_milestones,
    milestone_change_date,
    staff_reminder_preferences_set,
)

# --- Accounts ----------------------------------------------------------------------------------------------


class StaffLoginView(LoginView):
    """Django's login view; django-axes counts failures and locks out (templates/registration/locked_out.html)."""

    redirect_authenticated_user = True


class StaffLogoutView(LogoutView):
    """Django's logout (POST only); the login page it leads to says that the user is logged out."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


class ProfileView(StaffMixin, TemplateView):
    """The user's account: roles, portfolio, password, and the personal calendar feed (issued, shown once)."""

    template_name = "registration/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile, _ = StaffProfile.objects.get_or_create(user=self.request.user)
        context["profile"] = profile
        context.setdefault("reminder_form", ReminderPreferencesForm(instance=profile))
        context["portfolio"] = selectors.portfolio_of(self.request.user)
        # The feed URL is shown once, right after it is issued; only its hash is stored.
        token = self.request.session.pop("calendar_token", None)
        if token:
            context["feed_url"] = self.request.build_absolute_uri(reverse("followups:calendar_feed", args=[token]))
        return context


class ReminderPreferencesView(StaffMixin, View):
    """The profile's reminder section: e-mail language, time zone and the weekly digest."""

    def post(self, request: HttpRequest) -> HttpResponse:
        profile, _created = StaffProfile.objects.get_or_create(user=signed_in_user(request.user))
        form = ReminderPreferencesForm(request.POST, instance=profile)
        if not form.is_valid():
            profile_page = ProfileView()
            profile_page.setup(request)
            context = profile_page.get_context_data(reminder_form=form)
            return render(request, ProfileView.template_name, context, status=400)
        data = form.cleaned_data
        staff_reminder_preferences_set(
            profile=profile, language=data["language"], time_zone=data["time_zone"], digest=data["reminder_digest"]
        )
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("profile")


class CalendarTokenView(StaffMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "revoke":
            calendar_token_revoke(user=signed_in_user(request.user))
            messages.success(request, _("Your calendar feed is revoked: the old address no longer works."))
        else:
            request.session["calendar_token"] = calendar_token_issue(user=signed_in_user(request.user))
            messages.success(request, _("A new calendar feed address was issued; any older one stopped working."))
        return redirect("profile")


# --- Frameworks --------------------------------------------------------------------------------------------


class FrameworkListView(StaffListView):
    template_name = "agreements/framework_list.html"
    filterset_class = FrameworkFilter
    sort_keys = ("ref", "title", "signed", "status", "commitments")
    export_name = "framework_export"

    def get_queryset(self):
        return selectors.framework_list_queryset()


class FrameworkDetailView(StaffMixin, TemplateView):
    template_name = "agreements/framework_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        framework = get_object_or_404(Framework.objects.select_related("parent"), ref=kwargs["ref"])
        facts = framework_facts(framework)
        parties = facts["parties"]
        commitments = list(selectors.commitment_list_queryset().filter(framework=framework).order_by("ref"))
        # Parties x status for commitments several parties owe: one row per commitment, one column per owner.
        shared = [c for c in commitments if len(c.ownerships.all()) > 1]
        columns = sorted({o.organisation for c in shared for o in c.ownerships.all()}, key=lambda o: o.name)
        matrix = [
            (c, [next((o for o in c.ownerships.all() if o.organisation_id == org.pk), None) for org in columns])
            for c in shared
        ]
        context.update(
            framework=framework,
            parties=parties,
            commitments=commitments,
            matrix_columns=columns,
            matrix=matrix,
            working_groups=list(framework.working_groups.all()),
            projects=list(framework.projects.select_related("country")),
            related=list(framework.related.all()),
            sources=list(framework.sources.all()),
            milestones=list(framework.milestones.prefetch_related("frameworks")),
            memberships=facts["memberships"],
            caveats=facts["caveats"],
            status_at_as_of_label=dict(FrameworkStatus.choices).get(framework.status_at_as_of, ""),
            anchored_count=Deadline.objects.filter(anchor_framework=framework).count(),
            # Who corrected a date, when and why: shown beside the date.
            date_corrections=selectors.date_corrections(framework),
        )
        return context


class AnchorChangeView(StaffMixin, TemplateView):
    """Correct a framework's signature or entry-into-force date, or a milestone's date: preview every
    deadline that moves (old -> new), then apply only what was previewed, when confirmed."""

    template_name = "agreements/anchor_change.html"
    model: type[Framework] | type[Milestone] = Framework

    def get_anchor(self) -> Sourced:
        """The framework or milestone (self.model) the URL names; the two share Sourced."""
        anchor = get_object_or_404(self.model, ref=self.kwargs["ref"])
        if not can_change_anchor(self.request.user):
            raise PermissionDenied(_("Only coordinators and data clerks correct anchor dates."))
        return anchor

    def anchor_context(self, anchor) -> dict:
        if isinstance(anchor, Framework):
            return {
                "anchor": anchor,
                "back_url": reverse("framework_detail", args=[anchor.ref]),
                "breadcrumb": [(_("Frameworks"), reverse("framework_list"))],
                "current_dates": [(_("Signed"), anchor.signed_on), (_("In force"), anchor.effective_on)],
            }
        framework = anchor.frameworks.first()
        return {
            "anchor": anchor,
            "back_url": reverse("framework_detail", args=[framework.ref]) if framework else reverse("framework_list"),
            "breadcrumb": [(_("Frameworks"), reverse("framework_list"))]
            + ([(framework.ref, reverse("framework_detail", args=[framework.ref]))] if framework else []),
            "current_dates": [(anchor.title, anchor.date)],
        }

    def get(self, request, *args, **kwargs):
        anchor = self.get_anchor()
        initial = {"new_date": anchor.signed_on if isinstance(anchor, Framework) else anchor.date}
        form = AnchorChangeForm(anchor=anchor, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, **self.anchor_context(anchor)))

    def post(self, request, *args, **kwargs):
        anchor = self.get_anchor()
        form = AnchorChangeForm(request.POST, anchor=anchor)
        context = {"form": form, **self.anchor_context(anchor)}
        if form.is_valid():
            field, new_date, reason = (form.cleaned_data[k] for k in ("field", "new_date", "reason"))
            # Apply only what was previewed: a date edited after the preview is previewed again.
            token = f"{field}:{new_date.isoformat()}"
            if "confirm" in request.POST and request.POST.get("previewed") == token:
                try:
                    changes = self.apply(anchor, field, new_date, reason)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(
                        request,
                        _("%(field)s changed to %(date)s; %(n)d deadline(s) moved.")
                        % {
                            "field": dict(AnchorChangeForm.FIELDS).get(field, _("Date")),
                            "date": new_date,
                            "n": len(changes),
                        },
                    )
                    return redirect(context["back_url"])
            else:
                try:
                    context["changes"] = anchor_change_preview(anchor=anchor, new_date=new_date, field=field)
                    context["previewed"] = token
                except ValidationError as exc:
                    form.add_error(None, exc)
                if isinstance(anchor, Framework):
                    # The milestones that record this date: moved with it, or kept and why.
                    context["milestones_moving"], context["milestones_kept"] = framework_date_milestones(
                        framework=anchor, field=field, on=getattr(anchor, field)
                    )
        return self.render_to_response(self.get_context_data(**context))

    def apply(self, anchor, field: str, new_date, reason: str):
        if isinstance(anchor, Framework):
            by_user = signed_in_user(self.request.user)
            dates = {"signed_on": anchor.signed_on, "effective_on": anchor.effective_on, field: new_date}
            return framework_change_dates_with_milestones(framework=anchor, by_user=by_user, reason=reason, **dates)
        return milestone_change_date(
            milestone=anchor, new_date=new_date, by_user=signed_in_user(self.request.user), reason=reason
        )


class MilestoneDateChangeView(AnchorChangeView):
    model = Milestone


# --- Organisations -----------------------------------------------------------------------------------------


class OrganisationListView(StaffListView):
    template_name = "agreements/organisation_list.html"
    filterset_class = OrganisationFilter
    sort_keys = ("name", "ref", "kind", "owed")
    export_name = "organisation_export"

    def get_queryset(self):
        return selectors.organisation_list_queryset()


class OrganisationDetailView(StaffMixin, TemplateView):
    template_name = "agreements/organisation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = get_object_or_404(Organisation.objects.select_related("parent"), ref=kwargs["ref"])
        owes = list(
            CommitmentOwner.objects.filter(organisation=organisation)
            .select_related("commitment__framework")
            .order_by("commitment__ref")
        )
        # Owed to it: what the other parties of its frameworks undertook.
        frameworks = Framework.objects.filter(parties__organisation=organisation)
        owed = list(
            selectors.commitment_list_queryset()
            .filter(framework__in=frameworks)
            .exclude(pk__in=Commitment.objects.owned_by(organisation).values("pk"))
            .order_by("ref")
        )
        context.update(
            organisation=organisation,
            owes=owes,
            owed=owed,
            parties=list(Party.objects.filter(organisation=organisation).select_related("framework")),
            # The bodies it belongs to, with how sure we are (confirmed, presumed, expressed support, ...).
            memberships=list(organisation.memberships.select_related("body").order_by("body__name")),
            caveats=list(organisation.caveats.order_by("ref")),
            groups=list(WorkingGroupMember.objects.filter(organisation=organisation).select_related("working_group")),
            contacts=list(organisation.contacts.filter(is_active=True)),
            children=list(organisation.children.all()),
            projects=list(organisation.projects_located.all()),
            status_labels=dict(Status.choices),
        )
        return context


# --- Working groups ----------------------------------------------------------------------------------------


class WorkingGroupListView(StaffListView):
    template_name = "agreements/workinggroup_list.html"
    filterset_class = WorkingGroupFilter
    sort_keys = ("ref", "name")
    export_name = "workinggroup_export"

    def get_queryset(self):
        return WorkingGroup.objects.select_related("framework").prefetch_related(
            Prefetch("memberships", queryset=WorkingGroupMember.objects.select_related("organisation"))
        )


class WorkingGroupDetailView(StaffMixin, TemplateView):
    template_name = "agreements/workinggroup_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        group = get_object_or_404(WorkingGroup.objects.select_related("framework"), ref=kwargs["ref"])
        context.update(
            group=group,
            members=list(group.memberships.select_related("organisation")),
            sources=list(group.sources.all()),
            commitments=list(selectors.commitment_list_queryset().filter(working_group=group).order_by("ref")),
        )
        return context


FrameworkExportView = export_view_for(FrameworkListView, "FRAMEWORK_COLUMNS", "frameworks", "Frameworks")
OrganisationExportView = export_view_for(OrganisationListView, "ORGANISATION_COLUMNS", "organisations", "Organisations")
WorkingGroupExportView = export_view_for(
    WorkingGroupListView, "WORKING_GROUP_COLUMNS", "working-groups", "Working groups"
)
