"""SMS Replies: what customers answered, and to which of our templates."""

from __future__ import annotations

import django_filters
import django_tables2 as tables

from accounts.columns import FastRowsTable, LocalTimeColumn, cell_html, url_for_each
from handoff.days import DayFilter
from handoff.selectors import read_number
from handoff.status import with_template_or_label
from messaging.models import Message
from messaging.tables import by_request_time


class ReplyFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(method="by_number", label="Phone number")
    # The template and label replied to as the worker stored them when it processed
    # the reply (indexed); a subquery per row read every reply for a rare value.
    template = django_filters.CharFilter(method="by_replied", field_name="replied_template")
    label = django_filters.CharFilter(method="by_replied", field_name="replied_label")
    received_from = DayFilter(field_name="requested_at", end="from", label="From")
    received_to = DayFilter(field_name="requested_at", end="to", label="To")

    class Meta:
        model = Message
        fields = ["number"]

    def __init__(self, *args, country: str, **kwargs):
        self.country = country
        self.number_problem = None
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-control"

    def by_replied(self, queryset, name, value):
        return with_template_or_label(queryset, name, value)

    def by_number(self, queryset, name, value):
        lookup = read_number(value, self.country)
        if lookup.problem:
            self.number_problem = lookup.problem
            return queryset.none()
        return queryset.filter(subscriber=lookup.value) if lookup.value else queryset


class ReplyTable(FastRowsTable):
    requested_at = LocalTimeColumn(verbose_name="Time", format="Y-m-d H:i T")
    sender = tables.Column(verbose_name="Operator", accessor="sender__address", order_by="sender")
    subscriber = tables.Column(verbose_name="From")
    last_template = tables.Column(verbose_name="Replied to template", orderable=False)
    text = tables.Column(verbose_name="Content", orderable=False)

    class Meta(FastRowsTable.Meta):
        model = Message
        fields = ["requested_at", "sender", "subscriber", "last_template", "text"]
        order_by = "-requested_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "replies-table"}

    def render_subscriber(self, value):
        url = url_for_each("handoff:number", value)
        return cell_html('<a class="font-monospace" href="{}" hx-boost="false">{}</a>', url, value)

    def render_last_template(self, value):
        return value or "—"

    def order_requested_at(self, queryset, is_descending):
        return by_request_time(queryset, descending=is_descending), True
