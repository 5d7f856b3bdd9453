"""SMS Status: outbound SMS of the last 30 days by number, template, label, user and status."""

from __future__ import annotations

import datetime as dt

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Count, QuerySet, Value
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.access import Actor
from accounts.columns import FastRowsTable, LocalTimeColumn, cell_html, url_for_each
from accounts.models import SenderKind
from blocklists.lookups import number_in
from handoff.days import DayFilter, day_end, day_start
from handoff.selectors import read_number
from messaging.counts import counts_by_status, floor_hour, within_counted_hours
from messaging.models import Batch, Message, MessageCount, TemplateCount
from messaging.statuses import MessageStatus
from messaging.tables import by_request_time

WINDOW_DAYS = 30
SMS_KINDS = [SenderKind.SMS_SHORT_CODE, SenderKind.SMS_LONG_CODE]


def window_start(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the hour 30 days ago: on an hour, the summary's counts need no
    partial hour counted from the messages (up to 14,000 rows at 10M messages)."""
    return floor_hour((now or timezone.now()) - dt.timedelta(days=WINDOW_DAYS))


class SmsStatusFilter(django_filters.FilterSet):
    mobile = django_filters.CharFilter(method="by_number", label="Mobile number")
    template = django_filters.CharFilter(method="by_template_or_label", label="Template")
    label = django_filters.CharFilter(method="by_template_or_label", label="Label")
    user = django_filters.CharFilter(method="by_user", label="User")
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices, empty_label="Any status")
    requested_from = DayFilter(field_name="requested_at", end="from", label="From")
    requested_to = DayFilter(field_name="requested_at", end="to", label="To")

    class Meta:
        model = Message
        fields = ["mobile", "template", "label", "user", "status"]

    def __init__(self, *args, country: str, batches: QuerySet[Batch], **kwargs):
        self.country = country
        self.batches = batches  # the viewer's, for the user filter
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

    def by_template_or_label(self, queryset, name, value):
        return with_template_or_label(queryset, name, value)

    def by_user(self, queryset, name, value):
        # The user's batches first, their messages then by the (batch, status) index: as
        # a join, PostgreSQL read 30 days of messages newest first looking for the user's
        # (24 s at 10M messages for a user without batches).
        ids = list(self.batches.filter(created_by_name__iexact=value).values_list("pk", flat=True))
        return number_in(queryset, "batch", ids) if ids else queryset.none()

    def period(self) -> tuple[dt.datetime, dt.datetime | None]:
        """The requested period, [since, until), never further back than the window."""
        data = self.form.cleaned_data if self.is_valid() else {}
        since = window_start()
        if data.get("requested_from"):
            since = max(since, day_start(data["requested_from"]))
        until = None
        if data.get("requested_to"):
            until = day_end(data["requested_to"])
        return since, until

    def value(self, name: str) -> str:
        """The cleaned value of a text filter, or ""."""
        return (self.form.cleaned_data if self.is_valid() else {}).get(name) or ""

    @property
    def narrowed(self) -> bool:
        """Whether a filter no hourly counts know (number or user) is set."""
        return bool(self.value("mobile") or self.value("user"))


def with_template_or_label(queryset, name: str, value: str):
    """Messages whose ``name`` (template, label, replied_template or replied_label)
    is ``value`` in any case.

    The ``<> ''`` adds nothing to the match; it repeats the condition of the partial
    indexes on ``(organization, UPPER(name), requested_at DESC)``, without which the
    planner may not use them.
    """
    return queryset.filter(**{f"{name}__iexact": value}).exclude(**{name: ""})


def outbound_sms(queryset):
    return queryset.filter(direction="outbound", channel__in=SMS_KINDS)


def sms_in_window(queryset):
    """Outbound SMS requested in the last 30 days: the page never reads further back."""
    return outbound_sms(queryset).filter(requested_at__gte=window_start())


def status_counts(actor: Actor, filterset: SmsStatusFilter, unfiltered) -> list[tuple]:
    """(status, label, count) for the filtered period, every status, in their own order.

    ``unfiltered`` is the page's queryset before the filters. The summary ignores the
    status filter: it shows what else happened in the period. With only dates (the
    usual case) the counts come from the hourly message counts, with a template or a
    label from the hourly counts by template and label: not from millions of rows. A
    number or user filter counts the matching messages (an index finds them).
    """
    if filterset.number_problem:
        return []
    if filterset.narrowed:
        params = filterset.data.copy()
        params.pop("status", None)
        counted = type(filterset)(
            params, queryset=unfiltered, country=filterset.country, batches=filterset.batches
        ).qs
        counts = dict(
            counted.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
    else:
        since, until = filterset.period()
        counts = counts_by_status(
            *_counted(actor, filterset.value("template"), filterset.value("label")),
            since=since,
            until=until,
        )
    return [
        (value, label, counts[value]) for value, label in MessageStatus.choices if value in counts
    ]


def within_status_hours(actor: Actor, filterset: SmsStatusFilter, rows):
    """With a status filter, ``rows`` read only within the hours that have a message of
    that status (by template and label too, when given), from the hourly counts.

    PostgreSQL lists a status newest first by reading the window's messages newest
    first and dropping the other statuses: behind a batch of 180,000 that had none of
    them it read all 180,000 first (360 ms). A number or user filter needs no help.
    """
    status = filterset.value("status")
    if not status or filterset.narrowed or filterset.number_problem:
        return rows
    _messages, counts = _counted(actor, filterset.value("template"), filterset.value("label"))
    since, until = filterset.period()
    return within_counted_hours(rows, counts.filter(status=status), since=since, until=until)


def matching(counts: list[tuple]) -> int:
    """How many messages a sort would read: the summary's total, whatever the status.

    The status filter narrows what is listed, not what is read: no index pairs the
    status with a template, a label or the window, so PostgreSQL reads every message
    of the other filters and drops the other statuses (8 s to sort the 150,000 failed
    of a template's 1.86M).
    """
    return sum(n for _value, _label, n in counts)


def _counted(actor: Actor, template: str, label: str) -> tuple[QuerySet, QuerySet]:
    """The outbound SMS and the hourly counts of them, narrowed the same way."""
    messages = outbound_sms(actor.scope(Message.objects.all()))
    if not (template or label):
        return messages, outbound_sms(actor.scope(MessageCount.objects.all()))
    counts = actor.scope(TemplateCount.objects.filter(channel__in=SMS_KINDS))
    for name, value in (("template", template), ("label", label)):
        if value:
            messages = with_template_or_label(messages, name, value)
            counts = counts.filter(**{name: Upper(Value(value))})  # stored upper-cased
    return messages, counts


class SmsStatusTable(FastRowsTable):
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

    class Meta(FastRowsTable.Meta):
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

    def render_status(self, value, record):
        meaning = record.failure_meaning if (record.failure_code or record.failure_category) else ""
        return cell_html(
            '<span title="{}">{}</span>{}',
            record.status_meaning,
            value,  # the status's label
            cell_html('<br><small class="text-body-secondary">{}</small>', meaning)
            if meaning
            else "",
        )

    def render_subscriber(self, value):
        url = url_for_each("handoff:number", value)
        return cell_html('<a class="font-monospace" href="{}" hx-boost="false">{}</a>', url, value)

    def render_log(self, record):
        url = url_for_each("messaging:message", record.pk)
        return cell_html('<a href="{}" hx-boost="false">Send log</a>', url)

    def value_log(self, record):
        return ""

    def order_requested_at(self, queryset, is_descending):
        return by_request_time(queryset, descending=is_descending), True
