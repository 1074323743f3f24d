"""Recurring obligations, one occurrence at a time, from the commitment page: mark the current occurrence met
(with a note and evidence) or missed; the deadline moves on to the next one (services.deadline_record_occurrence).
The admin (an action on deadlines) and the API (POST /api/v1/deadlines/<ref>/occurrences/) call the same service.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from agreements.filters import uswds_widgets
from agreements.lists import StaffMixin
from agreements.roles import can_update_status, signed_in_user
from followups.models import Deadline, OccurrenceOutcome
from followups.services import deadline_record_occurrence


class OccurrenceForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=OccurrenceOutcome.choices)
    happened_on = forms.DateField(
        label=gettext_lazy("When was it met?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Today if blank; ignored when missed."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_url = forms.URLField(label=gettext_lazy("Evidence (link)"), required=False, max_length=500)
    evidence_file = forms.FileField(label=gettext_lazy("Evidence (file)"), required=False)

    def __init__(self, data=None, files=None, *, deadline: Deadline, **kwargs) -> None:
        super().__init__(data, files, prefix=f"occurrence-{deadline.pk}", **kwargs)
        self.deadline = deadline
        uswds_widgets(self)


class DeadlineOccurrenceView(StaffMixin, View):
    """Record the current occurrence of a recurring deadline; back to its commitment."""

    def post(self, request: HttpRequest, ref: str) -> HttpResponse:
        if not can_update_status(request.user):
            raise PermissionDenied(_("Only coordinators and desk officers record occurrences."))
        deadline = get_object_or_404(Deadline.objects.select_related("commitment"), ref=ref)
        form = OccurrenceForm(request.POST, request.FILES, deadline=deadline)
        if form.is_valid():
            data = form.cleaned_data
            try:
                occurrence = deadline_record_occurrence(deadline=deadline, by_user=signed_in_user(request.user), **data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                deadline.refresh_from_db()
                messages.success(
                    request,
                    _("%(ref)s: the occurrence due %(due)s is recorded as %(outcome)s; the next is due %(next)s.")
                    % {
                        "ref": deadline.ref,
                        "due": occurrence.due_on,
                        "outcome": occurrence.get_outcome_display().lower(),
                        "next": deadline.due_on,
                    },
                )
        else:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            messages.error(
                request, _("%(ref)s: nothing recorded: %(errors)s") % {"ref": ref, "errors": " ".join(map(str, errors))}
            )
        return redirect(reverse("followups:commitment_detail", args=[deadline.commitment.ref]) + "#deadlines")
