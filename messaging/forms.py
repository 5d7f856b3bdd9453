"""The send form: a sender, numbers (typed or a CSV file), a text, an optional time."""

from __future__ import annotations

import csv
import io

from django import forms
from django.utils import timezone

from messaging.models import Priority

MAX_FILE_BYTES = 20 * 1024 * 1024
NUMBER_COLUMNS = ("number", "phone", "to", "email", "subscriber")


class SendForm(forms.Form):
    sender = forms.ModelChoiceField(
        queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    numbers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text="One or more numbers or email addresses, separated by commas or new lines.",
    )
    file = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv"}),
        help_text="Or a CSV with a number column; other columns fill {{variables}}.",
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}))
    label = forms.CharField(
        required=False, max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    priority = forms.ChoiceField(
        choices=Priority.choices,
        initial=Priority.NORMAL,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    send_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"class": "form-control", "type": "datetime-local"}),
        help_text="Leave empty to send now.",
    )

    def __init__(self, *args, senders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = senders
        self.rows: list[str] = []
        self.per_message_variables: list[dict] | None = None

    def clean_send_at(self):
        value = self.cleaned_data.get("send_at")
        if value is not None and value < timezone.now():
            raise forms.ValidationError("Pick a time in the future, or leave it empty.")
        return value

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        typed = [v.strip() for v in (data.get("numbers") or "").replace(",", "\n").splitlines()]
        typed = [v for v in typed if v]
        if upload and typed:
            raise forms.ValidationError("Type numbers or upload a file, not both.")
        if upload:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError({"file": "The file is larger than 20 MB."})
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError({"file": "Save the file as UTF-8 CSV."}) from exc
            try:
                self._read_rows(csv.DictReader(io.StringIO(text)))
            except csv.Error as exc:  # a field over the csv module's limit (128 KB), say
                raise forms.ValidationError(
                    {"file": f"The file cannot be read as CSV: {exc}."}
                ) from exc
        else:
            self.rows = typed
        if not self.rows:
            raise forms.ValidationError({"numbers": "Give at least one number."})
        return data

    def _read_rows(self, reader: csv.DictReader) -> None:
        columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        column = next((columns[c] for c in NUMBER_COLUMNS if c in columns), None)
        if column is None:
            raise forms.ValidationError({"file": "The file needs a “number” column."})
        self.rows, self.per_message_variables = [], []
        for row in reader:
            self.rows.append((row.get(column) or "").strip())
            self.per_message_variables.append(
                {k.strip(): (v or "").strip() for k, v in row.items() if k and k != column}
            )


class CancelBatchForm(forms.Form):
    confirm = forms.BooleanField(required=True, label="Cancel the messages that have not started")
