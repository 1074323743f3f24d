"""The coordinators' activity page: who changed what, when, across the whole tracker (ops.activity)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from agreements.filters import uswds_widgets
from agreements.lists import StaffMixin
from agreements.roles import Role, user_has_role
from config.history import ACTOR_KINDS
from ops.activity import activity_entries, historied_models


class ActivityFilter(forms.Form):
    actor_kind = forms.ChoiceField(label=_("Kind of actor"), required=False)
    record_type = forms.ChoiceField(label=_("Kind of record"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor_kind"].choices = [("", _("Anyone"))] + [(k, v) for k, v in ACTOR_KINDS.items()]
        self.fields["record_type"].choices = [("", _("Every record"))] + [
            (label, str(model._meta.verbose_name).capitalize()) for label, model in historied_models().items()
        ]
        uswds_widgets(self)


class ActivityView(StaffMixin, TemplateView):
    """Coordinators (and superusers) only: the history of every record, filtered by actor, record and date."""

    template_name = "ops/activity.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or user_has_role(user, Role.COORDINATOR)):
            raise PermissionDenied(_("The activity page is for coordinators."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ActivityFilter(self.request.GET or None)
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        context["form"] = form
        context["entries"] = activity_entries(
            actor_kind=filters.get("actor_kind", ""),
            record_type=filters.get("record_type", ""),
            since=filters.get("since"),
            until=filters.get("until"),
        )
        return context
