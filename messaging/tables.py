"""django-tables2 tables of the messaging pages."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models.functions import Coalesce

from accounts.columns import FastRowsTable, LocalTimeColumn, cell_html, url_for_each
from messaging.models import Batch, Message


def by_request_time(queryset, *, descending: bool = True, few: bool = False):
    """Messages by request time, ties (a batch's messages) by id.

    ``few``: the rows are a search's or a batch's, known to be few. Newest first,
    PostgreSQL would still walk the organization's newest-first index and skip what
    the search does not match: 57,000 messages read for a prefix matching 10,000 of
    10M (290 ms). Ordered by an expression no index gives (COALESCE of the column
    with itself: the same order), it reads the few through the search's own index
    and sorts them (41 ms).
    """
    prefix = "-" if descending else ""
    if few:
        when = Coalesce("requested_at", "requested_at")
        return queryset.order_by(when.desc() if descending else when.asc(), f"{prefix}id")
    return queryset.order_by(f"{prefix}requested_at", f"{prefix}id")


def failure_text(message: Message) -> str:
    if message.failure_code:
        return f"{message.failure_code} {message.get_failure_code_display()}"
    return message.get_failure_category_display() if message.failure_category else "—"


class MessageTable(FastRowsTable):
    requested_at = LocalTimeColumn(verbose_name="Requested", format="Y-m-d H:i T")
    subscriber = tables.Column(verbose_name="Customer", attrs={"td": {"class": "font-monospace"}})
    sender = tables.Column(verbose_name="Sender", accessor="sender__address", order_by="sender")
    status = tables.Column(verbose_name="Status")
    failure = tables.Column(verbose_name="Reason", empty_values=(), orderable=False)
    batch = tables.Column(verbose_name="Batch", accessor="batch__public_id", order_by="batch")

    class Meta(FastRowsTable.Meta):
        model = Message
        fields = ["requested_at", "subscriber", "sender", "status", "failure", "batch"]
        order_by = "-requested_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "message-table"}

    # The others read and sort every matching message: 5-7 s by status, sender or batch
    # over an organization's 10M. They sort a search's or a batch's (messaging.views).

    def __init__(self, *args, few: bool = False, **kwargs):
        self.few = few  # see by_request_time
        super().__init__(*args, **kwargs)

    def render_subscriber(self, record: Message, value):
        url = url_for_each("messaging:message", record.pk)
        return cell_html('<a href="{}" hx-boost="false">{}</a>', url, value)

    def render_status(self, value, record: Message):
        return cell_html(
            '<span title="{}">{}</span>',
            record.status_meaning,
            value,  # the status's label
        )

    def render_batch(self, record: Message, value):
        url = url_for_each("messaging:batch", value)
        return cell_html('<a href="{}" hx-boost="false">{}</a>', url, value)

    def order_requested_at(self, queryset, is_descending):
        return by_request_time(queryset, descending=is_descending, few=self.few), True

    def render_failure(self, record: Message):
        return failure_text(record)


class BatchTable(FastRowsTable):
    public_id = tables.Column(verbose_name="Batch")
    created_at = LocalTimeColumn(verbose_name="Created", format="Y-m-d H:i T")
    sender = tables.Column(accessor="sender__address", verbose_name="Sender", order_by="sender")
    trigger = tables.Column(verbose_name="How")
    label = tables.Column(verbose_name="Label")
    scheduled_at = LocalTimeColumn(verbose_name="Scheduled", format="Y-m-d H:i T")
    message_count = tables.Column(verbose_name="Messages")
    status = tables.Column(verbose_name="Status")

    # The others read and sort every batch: 126-471 ms by status, size or sender over
    # an organization's 361,781 batches. They sort a search's (messaging.views).
    always_sortable = ("created_at",)

    class Meta(FastRowsTable.Meta):
        model = Batch
        fields = [
            "public_id",
            "created_at",
            "sender",
            "trigger",
            "label",
            "scheduled_at",
            "message_count",
            "status",
        ]
        order_by = "-created_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "batch-table"}

    def order_created_at(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}created_at", f"{prefix}id"), True

    def render_public_id(self, value):
        url = url_for_each("messaging:batch", value)
        return cell_html('<a href="{}" hx-boost="false">{}</a>', url, value)
