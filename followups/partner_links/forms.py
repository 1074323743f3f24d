"""Forms of the signed-link pages: the same limits and checks as the staff form (followups.forms)."""

from __future__ import annotations

from typing import cast
from zoneinfo import available_timezones

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.filters import uswds_widgets
from agreements.models import Language
from followups.forms import StatusUpdateForm
from followups.models import CommitmentOwner, Status

# What a partner may say of its own party; "completed" is a claim that staff verify, "cancelled" is staff's call.
PARTNER_STATUSES = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.AT_RISK, Status.COMPLETED]


class PartnerReportForm(forms.Form):
    status = forms.ChoiceField(label=_("Status of your party"))
    # The staff form's fields (limits, help) and checks, so both doors accept the same notes, dates and evidence.
    note = StatusUpdateForm.base_fields["note"]
    happened_on = StatusUpdateForm.base_fields["happened_on"]
    evidence_url = StatusUpdateForm.base_fields["evidence_url"]
    evidence_file = StatusUpdateForm.base_fields["evidence_file"]
    clean_happened_on = StatusUpdateForm.clean_happened_on
    clean_evidence_file = StatusUpdateForm.clean_evidence_file

    def __init__(self, *args, ownership: CommitmentOwner, **kwargs):
        super().__init__(*args, **kwargs)
        self.ownership = ownership
        # `fields` is typed as plain Fields; this one is the ChoiceField declared above.
        cast(forms.ChoiceField, self.fields["status"]).choices = [(s.value, s.label) for s in PARTNER_STATUSES]
        self.fields["status"].initial = ownership.status if ownership.status in PARTNER_STATUSES else ""
        self.fields["happened_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        uswds_widgets(self)

    def clean(self):
        data = super().clean()
        news = data.get("note") or data.get("evidence_url") or data.get("evidence_file")
        if data.get("status") == self.ownership.status and not news:
            raise forms.ValidationError(
                _("The status is unchanged: choose a new status or write a note about the progress.")
            )
        return data


def _zones() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(available_timezones()) if "/" in z or z == "UTC"]


class PartnerLanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the e-mails and pages"), choices=Language.choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), help_text=_("Reminders arrive in the morning of this time zone.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _zones()
        uswds_widgets(self)


class PartnerPauseForm(forms.Form):
    until = forms.DateField(
        label=_("Pause my reminders until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("No reminders up to and including this day; they start again the day after."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].widget.attrs["min"] = timezone.localdate().isoformat()
        uswds_widgets(self)

    def clean_until(self):
        value = self.cleaned_data["until"]
        today = timezone.localdate()
        if value < today:
            raise forms.ValidationError(_("Choose today or a later day."))
        if (value - today).days > 366:
            raise forms.ValidationError(_("A pause lasts at most a year; to stop for good, stop all reminders."))
        return value
