"""The support agent's pages: read-only, searched by number, shareable URLs."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from accounts.access import ActorRequest, role_required
from accounts.columns import loaded_fields
from accounts.exports import export_links, export_response
from accounts.models import Role, Sender
from accounts.paging import ListPaginator
from handoff.dashboard import dashboard
from handoff.lookups import (
    MessageLookupFilter,
    MessageLookupTable,
    within_matching_hours,
)
from handoff.replies import ReplyFilter, ReplyTable
from handoff.selectors import block_status, read_number
from handoff.sorting import SORT_LIMIT, few_for_a_number
from handoff.status import (
    SmsStatusFilter,
    SmsStatusTable,
    matching,
    sms_in_window,
    status_counts,
    within_status_hours,
)
from handoff.timeline import number_timeline
from messaging.models import Batch
from messaging.selectors import fill_answered, messages_for, replies_for, with_answered

LOOKUP_HEADER = [
    "Customer number",
    "Channel",
    "Direction",
    "Message Type",
    "Priority",
    "Status",
    "Message Text",
    "Created At",
    "Updated At",
]

BLOCK_LIST_HEADER = ["Channel", "Customer Number", "Created At", "Reason", "Source", "Added by"]


def _country(request: ActorRequest) -> str:
    return request.actor.organization.country if request.actor.organization else "US"


def _list_page(
    request: ActorRequest,
    *,
    filterset,
    table,
    template: str,
    export_stem: str,
    header: list[str],
    row,
    ordering: tuple[str, ...] = ("-requested_at", "-id"),
    extra: dict | None = None,
    rows=None,
    fill=None,
) -> HttpResponse:
    """One flow for every searchable list: export, or a lazily paged table (htmx partial).

    ``row`` turns one object into the exported cells, in ``header`` order. ``rows``:
    what the table lists, when narrowed beyond ``filterset.qs``; the export is the same.
    ``fill``: completes a page's records after paging (``accounts.paging.ListPaginator``).
    """
    listed = filterset.qs if rows is None else rows
    if export := export_response(
        request, stem=export_stem, header=header, rows=listed.order_by(*ordering), row=row
    ):
        return export
    paginate = {"paginator_class": ListPaginator, "per_page": 50, "fill": fill}
    RequestConfig(request, paginate=paginate).configure(table)
    context = {
        "filter": filterset,
        "table": table,
        "has_rows": len(table.page.object_list) > 0,
        "number_problem": getattr(filterset, "number_problem", None),
        **export_links(request.GET),
        **(extra or {}),
    }
    return render(request, f"{template}#results" if request.htmx else template, context)


@require_GET
@role_required(Role.AGENT)
def index(request: ActorRequest) -> HttpResponse:
    """The section's home: a number search, the pages, and the last 30 days at a glance."""
    return render(request, "handoff/index.html", dashboard(request.actor))


@require_GET
@role_required(Role.AGENT)
def block_list(request: ActorRequest) -> HttpResponse:
    """Is this customer blocked from receiving our messages, where, why, and how to undo it?"""
    lookup = read_number(request.GET.get("number", ""), _country(request))
    status = block_status(request.actor, lookup.value) if lookup.value else None
    if status is not None and (
        export := export_response(
            request,
            stem=f"block-list-{lookup.value}",
            header=BLOCK_LIST_HEADER,
            rows=status.entries,
            row=lambda e: [
                e.sender.address,
                e.subscriber,
                e.excluded_at.isoformat(),
                e.get_reason_display(),
                e.get_source_display(),
                e.added_by.get_username() if e.added_by else "",
            ],
        )
    ):
        return export
    context = {"lookup": lookup, "status": status}
    template = "handoff/block_list.html#results" if request.htmx else "handoff/block_list.html"
    return render(request, template, context)


@require_GET
@role_required(Role.AGENT)
def message_lookup(request: ActorRequest) -> HttpResponse:
    """Messages to and from a customer number or a channel, with filters and export."""
    senders = request.actor.scope(Sender.objects.all()).order_by("kind", "address")
    filterset = MessageLookupFilter(
        request.GET or None,
        queryset=messages_for(request.actor, related=("sender",)).only(
            *loaded_fields(MessageLookupTable)
        ),
        senders=senders,
        country=_country(request),
    )
    rows = within_matching_hours(request.actor, filterset, filterset.qs)
    # Other columns than Created At sort a number's messages: no hourly totals know
    # a channel's (sorting one channel's 200,000 took 0.8 s, the organization's 5-8 s).
    can_sort = few_for_a_number(filterset, "customer_number")
    return _list_page(
        request,
        filterset=filterset,
        rows=rows,
        table=MessageLookupTable(rows, sortable=can_sort),
        template="handoff/messages.html",
        export_stem="messages",
        header=LOOKUP_HEADER,
        row=lambda m: [
            m.subscriber,
            m.sender.address,
            m.get_direction_display(),
            m.get_channel_display(),
            m.get_priority_display(),
            m.get_status_display(),
            m.text,
            m.requested_at.isoformat(),
            m.updated_at.isoformat(),
        ],
        extra={
            "searched": (request.GET.get("customer_number") or "").strip(),
            "sort_limit": None if can_sort else f"{SORT_LIMIT:,}",
        },
    )


@require_GET
@role_required(Role.AGENT)
def number_page(request: ActorRequest, number: str) -> HttpResponse:
    """Everything about one number, newest first."""
    lookup = read_number(number, _country(request))
    if lookup.value is None:
        raise Http404(lookup.problem or "Not a number.")
    timeline = number_timeline(request.actor, lookup.value)
    return render(request, "handoff/number.html", {"timeline": timeline, "lookup": lookup})


SMS_STATUS_HEADER = [
    "Status",
    "User",
    "Segments",
    "Recipient",
    "Template",
    "Request time",
    "Channel send time",
    "Receipt time",
    "Update time",
]


def _iso(value) -> str:
    return value.isoformat() if value else ""


@require_GET
@role_required(Role.AGENT)
def sms_status(request: ActorRequest) -> HttpResponse:
    """Outbound SMS of the last 30 days with a summary of counts per status."""
    base = sms_in_window(messages_for(request.actor, related=("batch",))).only(
        *loaded_fields(SmsStatusTable, "failure_code", "failure_category")
    )
    filterset = SmsStatusFilter(
        request.GET or None,
        queryset=base,
        country=_country(request),
        batches=request.actor.scope(Batch.objects.all()),
    )
    counts = status_counts(request.actor, filterset, base)
    many = matching(counts) > SORT_LIMIT
    rows = within_status_hours(request.actor, filterset, filterset.qs)
    return _list_page(
        request,
        filterset=filterset,
        rows=rows,
        table=SmsStatusTable(rows, sortable=not many),
        template="handoff/sms_status.html",
        export_stem="sms-status",
        header=SMS_STATUS_HEADER,
        row=lambda m: [
            m.get_status_display(),
            m.batch.created_by_name if m.batch else "",
            m.segments,
            m.subscriber,
            m.template,
            _iso(m.requested_at),
            _iso(m.sent_at),
            _iso(m.receipt_at),
            _iso(m.updated_at),
        ],
        extra={"counts": counts, "sort_limit": f"{SORT_LIMIT:,}" if many else None},
    )


REPLIES_HEADER = ["Time", "Operator", "From", "Replied to template", "Content"]


@require_GET
@role_required(Role.AGENT)
def replies(request: ActorRequest) -> HttpResponse:
    """Inbound messages with the template of the message they answer."""
    filterset = ReplyFilter(
        request.GET or None,
        queryset=replies_for(request.actor, answered=False),
        country=_country(request),
    )
    can_sort = few_for_a_number(filterset, "number")
    return _list_page(
        request,
        filterset=filterset,
        table=ReplyTable(filterset.qs, sortable=can_sort),
        # What each reply answers: for the page's rows only, and in the export's query.
        fill=fill_answered,
        rows=with_answered(filterset.qs),
        template="handoff/replies.html",
        export_stem="sms-replies",
        header=REPLIES_HEADER,
        row=lambda m: [
            m.requested_at.isoformat(),
            m.sender.address,
            m.subscriber,
            m.last_template or "",
            m.text,
        ],
        extra={"sort_limit": None if can_sort else f"{SORT_LIMIT:,}"},
    )
