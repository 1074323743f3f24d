"""Forms of the staff pages about frameworks (the anchor-date correction)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.filters import uswds_widgets
from agreements.models import Framework


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
