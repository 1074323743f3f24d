"""Forms of the staff pages. They parse and validate input; the services decide and record."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.filters import uswds_widgets
from followups.evidence import evidence_check
from followups.models import Commitment, Status


class StatusUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    owner = forms.ChoiceField(
        label=_("For which owner"),
        required=False,
        help_text=_("Leave at 'All owners' when the status holds for every party that owes it."),
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("What happened: the call, the meeting, the document."),
    )
    happened_on = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("When it happened; today if left blank."),
    )
    evidence_url = forms.URLField(label=_("Evidence link"), required=False, max_length=500, assume_scheme="https")
    evidence_file = forms.FileField(
        label=_("Evidence file"), required=False, help_text=_("PDF, Office document, text or image, up to 10 MB.")
    )

    def __init__(self, *args, commitment: Commitment, owners: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.commitment = commitment
        self.owners = {str(o.organisation_id): o.organisation for o in owners}
        # `fields` is typed as plain Fields; this one is the ChoiceField declared above.
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", _("All owners"))] + [
            (key, f"{org.name} ({o.get_status_display()})")
            for (key, org), o in zip(self.owners.items(), owners, strict=True)
        ]
        if len(owners) <= 1:
            self.fields["owner"].widget = forms.HiddenInput()
        self.fields["status"].initial = commitment.status
        self.fields["happened_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        uswds_widgets(self)

    def clean_owner(self):
        value = self.cleaned_data.get("owner")
        return self.owners.get(value) if value else None

    def clean_happened_on(self):
        value = self.cleaned_data.get("happened_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("A status update cannot be dated in the future."))
        return value

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            # Size, and the kind read from the content (its name's extension must agree).
            evidence_check(upload)
        return upload

    def clean(self):
        data = super().clean()
        if data.get("status") == self.commitment.status and not data.get("note") and not data.get("owner"):
            raise forms.ValidationError(
                _("The status is unchanged: choose a new status or write a note about the progress.")
            )
        return data


class DeadlineExtendForm(forms.Form):
    new_due_on = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Why is it extended?"), max_length=500, help_text=_("Kept beside the original date.")
    )

    def __init__(self, *args, deadline, **kwargs):
        super().__init__(*args, prefix=f"extend-{deadline.pk}", **kwargs)
        self.deadline = deadline
        uswds_widgets(self)

    def clean_new_due_on(self):
        value = self.cleaned_data["new_due_on"]
        if value <= self.deadline.due_on:
            raise forms.ValidationError(
                _("The new date must be after the current due date, %(date)s."), params={"date": self.deadline.due_on}
            )
        return value
