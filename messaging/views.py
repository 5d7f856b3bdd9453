"""Messaging pages: messages, batches, one message's send log, the send form, cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from accounts.access import ActorRequest, get_scoped_or_404, role_required
from accounts.columns import loaded_fields, narrowed_to_few
from accounts.exports import export_links, export_response
from accounts.models import Role, Sender
from accounts.paging import ListPaginator
from messaging import selectors, services
from messaging.filters import BatchFilter, MessageFilter
from messaging.forms import CancelBatchForm, SendForm
from messaging.models import Trigger
from messaging.statuses import STATUS_MEANINGS, MessageStatus, failure_meaning
from messaging.tables import BatchTable, MessageTable, by_request_time, failure_text

PAGE_SIZE = 50
# A search or a batch of up to this many messages (a search or filter of batches)
# sorts by any column; such messages are read through their own index (see
# MessageTable.few). Counting further cost 124-287 ms for
# a short prefix at 10M messages (``COUNT`` over ``LIMIT 50001``); 10,000, 26-96 ms.
SORT_LIMIT = 10_000


def _senders(request: ActorRequest):
    return request.actor.scope(Sender.objects.select_related("organization")).order_by(
        "kind", "address"
    )


def _country(request: ActorRequest) -> str:
    return request.actor.organization.country if request.actor.organization else "US"


@require_GET
@role_required(Role.AGENT)
def index(request: ActorRequest) -> HttpResponse:
    """Messages of the organization: search by number, filter by status, sender, batch."""
    filterset = MessageFilter(
        request.GET or None,
        queryset=selectors.messages_for(request.actor),
        senders=_senders(request),
        country=_country(request),
    )
    # Other columns than the request time sort a search's or a batch's messages.
    sortable = narrowed_to_few(filterset, "q", "batch", limit=SORT_LIMIT)
    rows = filterset.qs.select_related("sender", "batch")
    if export := export_response(
        request,
        rows=by_request_time(rows, few=sortable),
        stem="messages",
        header=MESSAGES_HEADER,
        row=lambda m: [
            m.requested_at.isoformat(),
            m.subscriber,
            m.get_direction_display(),
            m.sender.address,
            m.get_status_display(),
            failure_text(m) if m.failure_code or m.failure_category else "",
            m.template,
            m.label,
            m.batch.public_id if m.batch else "",
            m.provider_message_id or "",
        ],
    ):
        return export
    # The page's senders and batches by two small queries after its 50 rows: joined,
    # PostgreSQL looked up a sender for each of a campaign's 20,000 messages before it
    # sorted them (/messaging/?batch=..., 43 ms of the query's 43).
    # Only the columns the table shows: not every message's JSON logs and texts.
    shown = loaded_fields(MessageTable, "failure_code", "failure_category", joined=False)
    listed = rows.select_related(None).prefetch_related("sender", "batch").only(*shown)
    table = _paged(request, listed, "messages", sortable=sortable, few=sortable)
    context = {
        "filter": filterset,
        "table": table,
        "has_rows": len(table.page.object_list) > 0,
        "search_problem": filterset.search_problem,
        "can_send": request.actor.is_supervisor,
        "sort_limit": None if sortable else f"{SORT_LIMIT:,}",
        **export_links(request.GET),
    }
    template = "messaging/messages.html#results" if request.htmx else "messaging/messages.html"
    return render(request, template, context)


MESSAGES_HEADER = [
    "Requested",
    "Customer",
    "Direction",
    "Sender",
    "Status",
    "Reason",
    "Template",
    "Label",
    "Batch",
    "Provider id",
]
BATCHES_HEADER = [
    "Batch",
    "Created",
    "Sender",
    "How",
    "File name",
    "Template",
    "Label",
    "Scheduled",
    "Messages",
    "Status",
    "Created by",
]


def _paged(request: ActorRequest, queryset, kind: str, **options):
    table = (MessageTable if kind == "messages" else BatchTable)(queryset, **options)
    # ListPaginator: no COUNT(*) over millions of messages on every page.
    RequestConfig(
        request, paginate={"paginator_class": ListPaginator, "per_page": PAGE_SIZE}
    ).configure(table)
    return table


@require_GET
@role_required(Role.AGENT)
def batches(request: ActorRequest) -> HttpResponse:
    filterset = BatchFilter(request.GET or None, queryset=selectors.batches_for(request.actor))
    sortable = narrowed_to_few(filterset, "q", "status", "file_name", limit=SORT_LIMIT)
    if export := export_response(
        request,
        rows=filterset.qs.order_by("-created_at", "-id"),
        stem="batches",
        header=BATCHES_HEADER,
        row=lambda b: [
            b.public_id,
            b.created_at.isoformat(),
            b.sender.address,
            b.get_trigger_display(),
            b.file_name,
            b.template,
            b.label,
            b.scheduled_at.isoformat() if b.scheduled_at else "",
            b.message_count,
            b.get_status_display(),
            b.created_by_name,
        ],
    ):
        return export
    table = _paged(request, filterset.qs, "batches", sortable=sortable)
    context = {
        "filter": filterset,
        "table": table,
        "has_rows": len(table.page.object_list) > 0,
        "can_send": request.actor.is_supervisor,
        "sort_limit": None if sortable else f"{SORT_LIMIT:,}",
        **export_links(request.GET),
    }
    template = "messaging/batches.html#results" if request.htmx else "messaging/batches.html"
    return render(request, template, context)


@require_GET
@role_required(Role.AGENT)
def batch_detail(request: ActorRequest, public_id: str) -> HttpResponse:
    batch = get_scoped_or_404(
        request.actor, selectors.batches_for(request.actor), public_id=public_id
    )
    counts = services.batch_counts(batch.pk)
    rows = [
        (status, label, counts[status], STATUS_MEANINGS[status])
        for status, label in MessageStatus.choices
        if counts.get(status)
    ]
    context = {
        "batch": batch,
        "counts": rows,
        "first_messages": batch.messages.order_by("id")[:20],
        "can_cancel": batch.can_cancel and request.actor.is_supervisor,
    }
    return render(request, "messaging/batch.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def batch_cancel(request: ActorRequest, public_id: str) -> HttpResponse:
    """Confirmation dialog, then cancel a programmed batch's messages that have not started."""
    batch = get_scoped_or_404(
        request.actor, selectors.batches_for(request.actor), public_id=public_id
    )
    form = CancelBatchForm(request.POST or None)
    context = {"batch": batch, "form": form, "fragment": "messaging/_cancel.html"}
    if request.method == "POST" and form.is_valid():
        cancelled = services.cancel_batch(batch=batch, actor=request.user)
        if cancelled:
            messages.success(request, f"Batch {batch.public_id} cancelled: {cancelled} messages.")
        else:
            messages.error(request, f"Batch {batch.public_id} already started; nothing cancelled.")
        url = reverse("messaging:batch", args=[batch.public_id])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context["title"] = f"Cancel batch {batch.public_id}"
    template = "messaging/_cancel.html" if request.htmx else "modal_page.html"
    return render(request, template, context)


@require_GET
@role_required(Role.AGENT)
def message_detail(request: ActorRequest, pk: int) -> HttpResponse:
    message = get_scoped_or_404(request.actor, selectors.messages_for(request.actor), pk=pk)
    context = {
        "message": message,
        "meaning": message.status_meaning,
        "failure": failure_meaning(message.failure_code, message.failure_category),
        "log": [
            {**entry, "meaning": STATUS_MEANINGS.get(entry.get("status"), "")}
            for entry in message.status_log
        ],
    }
    return render(request, "messaging/message.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def send(request: ActorRequest) -> HttpResponse:
    """The send form: numbers typed or from a CSV file, now or later."""
    form = SendForm(request.POST or None, request.FILES or None, senders=_senders(request))
    if request.method == "POST" and form.is_valid():
        sender = form.cleaned_data["sender"]
        recipients = services.normalize_recipients(sender, form.rows)
        if recipients.errors:
            shown = "; ".join(f"#{i + 1}: {e}" for i, e in list(recipients.errors.items())[:5])
            form.add_error("file" if form.cleaned_data.get("file") else "numbers", shown)
        else:
            upload = form.cleaned_data.get("file")
            batch = services.create_batch(
                organization=sender.organization,
                sender=sender,
                subscribers=recipients.values,
                text=form.cleaned_data["text"],
                trigger=Trigger.FILE if upload else Trigger.FORM,
                per_message_variables=form.per_message_variables if upload else None,
                label=form.cleaned_data["label"],
                priority=form.cleaned_data["priority"],
                send_at=form.cleaned_data["send_at"],
                created_by=request.user,
                file_name=upload.name[:255] if upload else "",
            )
            messages.success(
                request, f"Batch {batch.public_id}: {batch.message_count} messages accepted."
            )
            return redirect("messaging:batch", public_id=batch.public_id)
    return render(request, "messaging/send.html", {"form": form})
