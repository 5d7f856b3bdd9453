from __future__ import annotations

import phonenumbers
from django import forms

from accounts.forms_base import BootstrapFormMixin
from accounts.models import Sender
from blocklists.models import Reason


def country_choices() -> list[tuple[str, str]]:
    choices = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        choices.append((region, f"{region} (+{phonenumbers.country_code_for_region(region)})"))
    return choices


class SingleAddForm(BootstrapFormMixin, forms.Form):
    """Add one subscriber; shown only after the consent dialog was confirmed."""

    consent_token = forms.CharField(widget=forms.HiddenInput)
    country = forms.ChoiceField(choices=(), required=False)
    subscriber = forms.CharField(max_length=254)
    reason = forms.ChoiceField(choices=Reason.choices, initial=Reason.SUPPORT_REQUEST)

    def __init__(self, *args, sender: Sender, **kwargs):
        super().__init__(*args, **kwargs)
        self.sender = sender
        if sender.is_email:
            del self.fields["country"]
            self.fields["subscriber"].label = "Email address"
            self.fields["subscriber"].widget.attrs["placeholder"] = "name@example.com"
        else:
            self.fields["country"].choices = country_choices()
            self.fields["country"].initial = sender.organization.country
            self.fields["country"].help_text = "Used when the number has no country code."
            self.fields["subscriber"].label = "Phone number"
            self.fields["subscriber"].widget.attrs["placeholder"] = "(415) 555-0123"


class RevertForm(BootstrapFormMixin, forms.Form):
    """The revert consent dialog: nothing is reverted unless the box is ticked."""

    consent_version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        required=True,
        label="I confirm that the subscriber has given consent to receive messages again.",
        error_messages={"required": "Tick the box to confirm the subscriber's consent."},
    )
    note = forms.CharField(
        max_length=500, required=False, label="Note (optional)", help_text="How consent was given."
    )
