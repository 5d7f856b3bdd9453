"""Message Lookup: filters and table over the organization's messages."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms

from accounts.access import Actor
from accounts.choices import ListedModelChoiceFilter
from accounts.columns import FastRowsTable, LocalTimeColumn, cell_html, url_for_each
from accounts.models import Sender, SenderKind
from handoff.days import DayFilter, day_end, day_start
from handoff.selectors import read_number
from messaging.counts import within_counted_hours
from messaging.models import Direction, Message, MessageCount
from messaging.statuses import MessageStatus
from messaging.tables import by_request_time


class MessageLookupFilter(django_filters.FilterSet):
    customer_number = django_filters.CharFilter(method="by_number", label="Customer number")
    channel = ListedModelChoiceFilter(
        queryset=Sender.objects.none(), field_name="sender", label="Channel", empty_label="Any"
    )
    direction = django_filters.ChoiceFilter(choices=Direction.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices, empty_label="Any")
    type = django_filters.ChoiceFilter(
        field_name="channel", choices=SenderKind.choices, empty_label="Any", label="Message type"
    )
    created_from = DayFilter(field_name="requested_at", end="from", label="From")
    created_to = DayFilter(field_name="requested_at", end="to", label="To")

    class Meta:
        model = Message
        fields = ["customer_number", "channel", "direction", "status", "type"]

    def __init__(self, *args, senders, country: str, **kwargs):
        self.country = country
        self.number_problem = None
        super().__init__(*args, **kwargs)
        self.filters["channel"].queryset = senders
        self.form.fields["channel"].queryset = senders
        for field in self.form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css
        self.form.fields["customer_number"].widget.attrs.update(
            {"placeholder": "Number in any format", "type": "search", "autocomplete": "off"}
        )

    def by_number(self, queryset, name, value):
        lookup = read_number(value, self.country)
        if lookup.problem:
            self.number_problem = lookup.problem
            return queryset.none()
        return queryset.filter(subscriber=lookup.value) if lookup.value else queryset

    def value(self, name: str):
        """The cleaned value of a filter, or None."""
        return (self.form.cleaned_data if self.is_valid() else {}).get(name) or None


def within_matching_hours(actor: Actor, filterset: MessageLookupFilter, rows):
    """``rows`` read only within the hours in which the hourly counts know of a message
    with the direction, type and status asked for (none when there is no such hour).

    Without a number, PostgreSQL finds a page of matches by reading the organization's
    messages newest first, dropping the others: for a combination that never happens
    (inbound messages that were delivered, a type the organization does not use) it
    read all 10M (1–2 s), and for a status the newest messages lack it read past all
    of them. The counts are exact (``messaging.MessageCount``); whole hours can only
    add messages; with a channel they count its type's, a superset. A channel alone
    needs no counts: ``message_sender_newest_idx`` lists its messages newest first.
    """
    if filterset.value("customer_number") or not filterset.is_valid():
        return rows  # a number's messages are few, and an index finds them
    narrow = {}
    for name, field in (("direction", "direction"), ("type", "channel"), ("status", "status")):
        if filterset.value(name):
            narrow[field] = filterset.value(name)
    channel = filterset.value("channel")
    if channel is not None:
        if narrow.pop("channel", channel.kind) != channel.kind:
            return rows.none()  # the type asked for is not the channel's
        if not narrow:
            return rows  # the channel's own index lists it newest first
        narrow["channel"] = channel.kind
    elif not narrow:
        return rows
    since = filterset.value("created_from")
    until = filterset.value("created_to")
    return within_counted_hours(
        rows,
        actor.scope(MessageCount.objects.filter(**narrow)),
        since=day_start(since) if since else None,
        until=day_end(until) if until else None,
    )


class MessageLookupTable(FastRowsTable):
    subscriber = tables.Column(verbose_name="Customer number")
    sender = tables.Column(verbose_name="Channel", accessor="sender__address", order_by="sender")
    direction = tables.Column(verbose_name="Direction")
    channel = tables.Column(verbose_name="Message Type")
    priority = tables.Column(verbose_name="Priority")
    status = tables.Column(verbose_name="Status")
    text = tables.Column(verbose_name="Message Text", orderable=False)
    requested_at = LocalTimeColumn(verbose_name="Created At", format="Y-m-d H:i T")
    updated_at = LocalTimeColumn(verbose_name="Updated At", format="Y-m-d H:i T")

    class Meta(FastRowsTable.Meta):
        model = Message
        fields = [
            "subscriber",
            "sender",
            "direction",
            "channel",
            "priority",
            "status",
            "text",
            "requested_at",
            "updated_at",
        ]
        order_by = "-requested_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "lookup-table"}

    def render_subscriber(self, value):
        url = url_for_each("handoff:number", value)
        return cell_html('<a class="font-monospace" href="{}" hx-boost="false">{}</a>', url, value)

    def render_status(self, value, record):
        return cell_html(
            '<a href="{}" hx-boost="false" title="{}">{}</a>',
            url_for_each("messaging:message", record.pk),
            record.status_meaning,
            value,  # the status's label
        )

    def render_text(self, value, record):
        short = value if len(value) <= 60 else value[:57] + "…"
        return cell_html(
            '<a class="text-body" href="{}" hx-boost="false">{}</a>',
            url_for_each("messaging:message", record.pk),
            short,
        )

    def value_text(self, value):
        return value

    def order_requested_at(self, queryset, is_descending):
        return by_request_time(queryset, descending=is_descending), True
