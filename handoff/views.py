"""The support agent's pages: read-only, searched by number, shareable URLs."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import ActorRequest, role_required
from accounts.exports import export_name, stream_csv, xlsx_response
from accounts.models import Role
from handoff.selectors import block_status, read_number

BLOCK_LIST_HEADER = ["Channel", "Customer Number", "Created At", "Reason", "Source", "Added by"]


def _country(request: ActorRequest) -> str:
    return request.actor.organization.country if request.actor.organization else "US"


@require_GET
@role_required(Role.AGENT)
def index(request: ActorRequest) -> HttpResponse:
    return render(request, "handoff/index.html", {})


@require_GET
@role_required(Role.AGENT)
def block_list(request: ActorRequest) -> HttpResponse:
    """Is this customer blocked from receiving our messages, where, why, and how to undo it?"""
    lookup = read_number(request.GET.get("number", ""), _country(request))
    status = block_status(request.actor, lookup.value) if lookup.value else None
    export = request.GET.get("_export")
    if status is not None and export in ("csv", "xlsx"):
        rows = [
            [
                e.sender.address,
                e.subscriber,
                e.excluded_at.isoformat(),
                e.get_reason_display(),
                e.get_source_display(),
                e.added_by.get_username() if e.added_by else "",
            ]
            for e in status.entries
        ]
        name = export_name(f"block-list-{lookup.value}", export)
        if export == "csv":
            return stream_csv(name, BLOCK_LIST_HEADER, rows)
        return xlsx_response(name, BLOCK_LIST_HEADER, rows)
    context = {"lookup": lookup, "status": status}
    template = "handoff/block_list.html#results" if request.htmx else "handoff/block_list.html"
    return render(request, template, context)
