"""Forms of the staff pages about frameworks (the anchor-date correction) and the user's own preferences."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.filters import uswds_widgets
from agreements.models import Framework, StaffProfile


class AnchorChangeForm(forms.Form):
    FIELDS = [("signed_on", _("Signature date")), ("effective_on", _("Entry into force"))]

    field = forms.ChoiceField(label=_("Which date"), choices=FIELDS, initial="signed_on")
    new_date = forms.DateField(label=_("Corrected date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Why is it corrected?"),
        max_length=300,
        help_text=_("Kept in the history, e.g. 'date in the signed text is 21 Oct'."),
    )

    def __init__(self, *args, anchor, **kwargs):
        super().__init__(*args, **kwargs)
        self.anchor = anchor
        if not isinstance(anchor, Framework):
            del self.fields["field"]  # a milestone has one date
        uswds_widgets(self)

    def clean(self):
        data = super().clean()
        field, new_date = data.get("field", "date"), data.get("new_date")
        if field and new_date:
            if isinstance(self.anchor, Framework):
                signed = new_date if field == "signed_on" else self.anchor.signed_on
                effective = new_date if field == "effective_on" else self.anchor.effective_on
                if signed and effective and effective < signed:
                    raise forms.ValidationError(_("Entry into force cannot be before the signature."))
            if getattr(self.anchor, field) == new_date:
                raise forms.ValidationError(_("That is already the date on record."))
            data["field"] = field
        return data


class ReminderPreferencesForm(forms.ModelForm):
    """How a staff user hears about deadlines: language and time zone of the e-mails, single or weekly digest."""

    class Meta:
        model = StaffProfile
        fields = ["language", "time_zone", "reminder_digest"]
        labels = {
            "language": _("Language of your e-mails"),
            "time_zone": _("Your time zone"),
            "reminder_digest": _("One weekly digest (Monday morning) instead of single reminders"),
        }
        help_texts = {"time_zone": _("Reminders arrive at 09:00 in this zone.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A list to pick from rather than a name to type; the model's validator still checks what is sent.
        self.fields["time_zone"].widget = forms.Select(choices=[(z, z) for z in sorted(available_timezones())])
        uswds_widgets(self)
