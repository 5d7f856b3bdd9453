from __future__ import annotations

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms_base import BootstrapFormMixin
from accounts.models import WEEKDAYS, Organization, Sender, Subaccount, parse_sending_hours
from accounts.senders import normalize_sender_address

DAY_LABELS = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


class OrganizationSettingsForm(BootstrapFormMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(choices=())

    class Meta:
        model = Organization
        fields = [
            "name",
            "country",
            "time_zone",
            "block_contacts_enabled",
            "bot_enabled",
            "message_retention_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()


class SenderForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Sender
        fields = ["kind", "address", "name", "subaccount"]

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance.organization = organization
        self.fields["subaccount"].queryset = organization.subaccounts.all()
        self.fields["address"].help_text = (
            "Short code digits, an E.164 number for long codes and WhatsApp, an email "
            "address, or the RCS agent id."
        )

    def clean(self) -> dict:
        data = super().clean()
        kind, address = data.get("kind"), data.get("address")
        if kind and address:
            try:
                data["address"] = normalize_sender_address(kind, address, self.organization.country)
            except ValidationError as exc:
                self.add_error("address", exc)
                return data
            self.instance.address = data["address"]
            clash = Sender.objects.filter(
                organization=self.organization, address=data["address"]
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("address", "Another sender of this organization has this address.")
        return data


class SubaccountForm(BootstrapFormMixin, forms.ModelForm):
    """Edits a subaccount; sending hours are typed per weekday as ``08:00-20:00``."""

    any_hour = forms.BooleanField(label="Allow sending at any hour", required=False, initial=True)

    class Meta:
        model = Subaccount
        fields = ["name", "frequency_limit_messages", "frequency_limit_hours"]
        labels = {
            "frequency_limit_messages": "At most this many messages to one number",
            "frequency_limit_hours": "per this many hours",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance.sending_hours
        self.fields["any_hour"].initial = hours is None
        for day in WEEKDAYS:
            windows = (hours or {}).get(day, [])
            self.fields[f"hours_{day}"] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                initial=", ".join(f"{start}-{end}" for start, end in windows),
                help_text=""
                if day != "mon"
                else "e.g. 08:00-12:00, 14:00-20:00; blank: no sending",
            )
        self.apply_bootstrap()

    def day_fields(self):
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def clean(self) -> dict:
        data = super().clean()
        # The organization is not a field of the form, so Django skips the unique
        # (organization, name) constraint: a taken name was a server error.
        name = data.get("name")
        if name and self.instance.organization_id:
            clash = Subaccount.objects.filter(
                organization_id=self.instance.organization_id, name=name
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", "Another subaccount of this organization has this name.")
        if data.get("any_hour"):
            self.instance.sending_hours = None
        else:
            raw: dict[str, list[list[str]]] = {}
            for day in WEEKDAYS:
                text = (data.get(f"hours_{day}") or "").strip()
                if not text:
                    continue
                windows = []
                for part in text.split(","):
                    bounds = [b.strip() for b in part.split("-")]
                    if len(bounds) != 2:
                        self.add_error(f"hours_{day}", f"“{part.strip()}” is not HH:MM-HH:MM.")
                        break
                    windows.append(bounds)
                raw[day] = windows
            try:
                self.instance.sending_hours = parse_sending_hours(raw)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


class ApiTokenForm(forms.Form):
    """A new API token's name; Django's field refuses what PostgreSQL cannot store (NUL)."""

    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the token a name, e.g. the system that will use it."},
    )
