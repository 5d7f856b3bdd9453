"""Forms of the CSV import pages: the upload, the field matching and the jobs filter."""

from __future__ import annotations

import django_filters
import phonenumbers
from django import forms

from accounts.choices import ListedModelChoiceFilter
from accounts.forms_base import BootstrapFormMixin
from accounts.models import Organization, Sender
from blocklists.models import ImportJob, ImportStatus, Reason


def _country_choices() -> list[tuple[str, str]]:
    return [
        (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]


class UploadForm(BootstrapFormMixin, forms.Form):
    """The file and the proof that the consent dialog was confirmed."""

    file = forms.FileField(label="CSV file", allow_empty_file=True)
    consent_token = forms.CharField(widget=forms.HiddenInput, required=False)


class MappingForm(BootstrapFormMixin, forms.Form):
    """Which column holds the subscriber, why they are blocklisted, which country for numbers."""

    column = forms.ChoiceField(label="Subscriber column")
    reason = forms.ChoiceField(choices=Reason.choices)
    country = forms.ChoiceField(
        required=False, help_text="Used for numbers written without a country code."
    )

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["column"].choices = [(name, name) for name in job.header]
        self.fields["column"].initial = job.column
        self.fields["reason"].initial = job.reason
        if job.sender.is_email:
            del self.fields["country"]
        else:
            self.fields["country"].choices = _country_choices()
            self.fields["country"].initial = job.country or job.sender.organization.country


class ImportJobFilter(django_filters.FilterSet):
    """Filters of the import jobs list: status and sender (the organization's only)."""

    status = django_filters.ChoiceFilter(choices=ImportStatus.choices, empty_label="Any status")
    sender = ListedModelChoiceFilter(queryset=Sender.objects.none(), empty_label="Any sender")

    class Meta:
        model = ImportJob
        fields = ["status", "sender"]

    def __init__(self, *args, organization: Organization | None, **kwargs):
        super().__init__(*args, **kwargs)
        senders = Sender.objects.all()
        if organization is not None:
            senders = senders.filter(organization=organization)
        self.filters["sender"].queryset = senders
        for name in ("status", "sender"):
            self.form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
