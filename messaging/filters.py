"""Search and filters of the Messages and Batches lists."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from accounts.models import Sender, SenderKind
from blocklists.selectors import interpret_search
from messaging.models import Batch, Message
from messaging.statuses import BatchStatus, MessageStatus


class MessageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Customer number or email")
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices, empty_label="Any status")
    sender = django_filters.ModelChoiceFilter(
        queryset=Sender.objects.none(), empty_label="Any sender"
    )
    batch = django_filters.CharFilter(field_name="batch__public_id", label="Batch id")

    class Meta:
        model = Message
        fields = ["q", "status", "sender", "batch"]

    def __init__(self, *args, senders, country: str, **kwargs):
        self.country = country
        self.search_problem = None
        super().__init__(*args, **kwargs)
        self.filters["sender"].queryset = senders
        self.form.fields["sender"].queryset = senders
        self.form.fields["q"].widget.attrs.update(
            {
                "class": "form-control",
                "type": "search",
                "autocomplete": "off",
                "placeholder": "Number in any format or email",
            }
        )
        self.form.fields["batch"].widget.attrs.update({"class": "form-control"})
        for name in ("status", "sender"):
            self.form.fields[name].widget.attrs["class"] = "form-select"

    def search(self, queryset, name, value):
        search = interpret_search(value, sender_kind=None, country=self.country)
        if search.problem:
            self.search_problem = search.problem
            return queryset.none()
        return queryset.filter(search.as_range_q("subscriber"))


class BatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, empty_label="Any status")
    q = django_filters.CharFilter(method="search", label="Batch id or label")
    type = django_filters.ChoiceFilter(
        field_name="sender__kind", choices=SenderKind.choices, empty_label="Any type", label="Type"
    )
    file_name = django_filters.CharFilter(lookup_expr="icontains", label="File name")

    class Meta:
        model = Batch
        fields = ["q", "status", "type", "file_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs.update({"class": "form-control", "type": "search"})
        self.form.fields["file_name"].widget.attrs.update(
            {"class": "form-control", "type": "search"}
        )
        self.form.fields["status"].widget.attrs["class"] = "form-select"
        self.form.fields["type"].widget.attrs["class"] = "form-select"

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(public_id__iexact=value) | Q(label__icontains=value))
