"""SMS Status: outbound SMS of the last 30 days by number, template, label, user and status."""

from __future__ import annotations

import datetime as dt

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.columns import LocalTimeColumn
from accounts.models import SenderKind
from handoff.selectors import read_number
from messaging.models import Message
from messaging.statuses import MessageStatus

WINDOW_DAYS = 30
SMS_KINDS = [SenderKind.SMS_SHORT_CODE, SenderKind.SMS_LONG_CODE]


def window_start(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=WINDOW_DAYS)


class SmsStatusFilter(django_filters.FilterSet):
    mobile = django_filters.CharFilter(method="by_number", label="Mobile number")
    template = django_filters.CharFilter(lookup_expr="iexact", label="Template")
    label = django_filters.CharFilter(lookup_expr="iexact", label="Label")
    user = django_filters.CharFilter(
        field_name="batch__created_by_name", lookup_expr="iexact", label="User"
    )
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices, empty_label="Any status")
    requested_from = django_filters.DateFilter(
        field_name="requested_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    requested_to = django_filters.DateFilter(
        field_name="requested_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Message
        fields = ["mobile", "template", "label", "user", "status"]

    def __init__(self, *args, country: str, **kwargs):
        self.country = country
        self.number_problem = None
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def by_number(self, queryset, name, value):
        lookup = read_number(value, self.country)
        if lookup.problem:
            self.number_problem = lookup.problem
            return queryset.none()
        return queryset.filter(subscriber=lookup.value) if lookup.value else queryset


def sms_in_window(queryset):
    """Outbound SMS requested in the last 30 days: the page never reads further back."""
    return queryset.filter(
        direction="outbound", channel__in=SMS_KINDS, requested_at__gte=window_start()
    )


def status_counts(queryset) -> list[tuple[str, str, int]]:
    """(status, label, count) for the filtered period, in the statuses' own order."""
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return [
        (value, label, counts[value]) for value, label in MessageStatus.choices if value in counts
    ]


class SmsStatusTable(tables.Table):
    status = tables.Column(verbose_name="Status")
    user = tables.Column(verbose_name="User", accessor="batch__created_by_name", orderable=False)
    segments = tables.Column(verbose_name="Segments")
    subscriber = tables.Column(verbose_name="Recipient")
    template = tables.Column(verbose_name="Template")
    requested_at = LocalTimeColumn(verbose_name="Request time", format="Y-m-d H:i:s")
    sent_at = LocalTimeColumn(verbose_name="Channel send time", format="Y-m-d H:i:s")
    receipt_at = LocalTimeColumn(verbose_name="Receipt time", format="Y-m-d H:i:s")
    updated_at = LocalTimeColumn(verbose_name="Update time", format="Y-m-d H:i:s")
    log = tables.Column(verbose_name="Send log", empty_values=(), orderable=False)

    class Meta:
        model = Message
        fields = [
            "status",
            "user",
            "segments",
            "subscriber",
            "template",
            "requested_at",
            "sent_at",
            "receipt_at",
            "updated_at",
        ]
        order_by = "-requested_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "sms-status-table"}

    def render_status(self, record):
        meaning = record.failure_meaning if (record.failure_code or record.failure_category) else ""
        return format_html(
            '<span title="{}">{}</span>{}',
            record.status_meaning,
            record.get_status_display(),
            format_html('<br><small class="text-body-secondary">{}</small>', meaning)
            if meaning
            else "",
        )

    def render_subscriber(self, value):
        url = reverse("handoff:number", args=[value])
        return format_html(
            '<a class="font-monospace" href="{}" hx-boost="false">{}</a>', url, value
        )

    def render_log(self, record):
        url = reverse("messaging:message", args=[record.pk])
        return format_html('<a href="{}" hx-boost="false">Send log</a>', url)

    def value_log(self, record):
        return ""

    def order_requested_at(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}requested_at", f"{prefix}id"), True
