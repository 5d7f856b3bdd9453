"""Contacts pages: the list (All / Blocked), the 360 contact view, the block and unblock
dialogs, the agent and supervisor dashboards, the Blocked tickets list and a ticket page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from accounts.access import ActorRequest, role_required
from accounts.dialogs import modal_or_page
from accounts.exports import export_links, export_response
from accounts.models import Role
from accounts.paging import ListPaginator
from contacts import selectors, services
from contacts.filters import ContactFilter
from contacts.forms import BlockContactForm, UnblockContactForm
from contacts.models import Queue
from contacts.tables import ContactTable, TicketTable

PAGE_SIZE = 50
DASHBOARD_ROWS = 25
EXPORT_HEADER = ["Name", "Phone", "Email", "WhatsApp", "Blocked", "Blocked at", "Block reason"]
BLOCKED_TAB_FOR_SUPERVISORS = "The Blocked tab is for supervisors."


def _next_url(request: ActorRequest, default: str) -> str:
    """Where to go back to after a dialog: a local URL the form carried, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: a bare word would be taken for a view's name by
    # ``redirect`` (a server error), a relative path resolved against the dialog's.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _go(request: ActorRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)


def _can_block(request: ActorRequest) -> bool:
    organization = request.actor.organization
    return bool(organization and organization.block_contacts_enabled)


def _paginate(request: ActorRequest, table) -> None:
    # ListPaginator: no COUNT(*) over a million tickets on every page.
    RequestConfig(
        request, paginate={"paginator_class": ListPaginator, "per_page": PAGE_SIZE}
    ).configure(table)


# The Contacts list -------------------------------------------------------------------------


@require_GET
@role_required(Role.AGENT)
def index(request: ActorRequest) -> HttpResponse:
    """Tabs All / Blocked (supervisors), search, sorting, paging, CSV/XLSX export."""
    actor = request.actor
    tab = "blocked" if request.GET.get("tab") == "blocked" else "all"
    if tab == "blocked" and not actor.is_supervisor:
        raise PermissionDenied(BLOCKED_TAB_FOR_SUPERVISORS)
    country = actor.organization.country if actor.organization else "US"
    filterset = ContactFilter(
        request.GET or None,
        queryset=selectors.contacts_for(actor, blocked=tab == "blocked"),
        country=country,
    )
    contacts = filterset.qs
    if export := export_response(
        request,
        stem=f"contacts-{tab}",
        header=EXPORT_HEADER,
        rows=contacts.order_by("name", "id"),
        row=lambda c: [
            c.name,
            c.phone,
            c.email,
            c.whatsapp,
            "yes" if c.blocked else "no",
            c.blocked_at.isoformat() if c.blocked_at else "",
            c.blocked_reason,
        ],
    ):
        return export

    here = request.get_full_path()
    table = ContactTable(
        contacts,
        can_block=_can_block(request),
        can_unblock=actor.is_supervisor,
        next_url=here,
        order_by="-blocked_at" if tab == "blocked" else "name",
        exclude=() if tab == "blocked" else ("blocked_at",),
    )
    _paginate(request, table)
    context = {
        "tab": tab,
        "filter": filterset,
        "table": table,
        "searched": (request.GET.get("q") or "").strip(),
        **export_links(request.GET),
    }
    template = "contacts/list.html#results" if request.htmx else "contacts/list.html"
    return render(request, template, context)


# The contact page (360 view) ---------------------------------------------------------------


@require_GET
@role_required(Role.AGENT)
def contact_page(request: ActorRequest, pk: int) -> HttpResponse:
    """Details, addresses, tickets, recent messages, blocklist status and the audit log.

    A dialog when opened from a list (htmx), a page of its own otherwise.
    """
    actor = request.actor
    contact = selectors.contact_for(actor, pk)
    tickets = selectors.contact_tickets(contact)
    if not actor.is_supervisor:
        tickets = tickets.exclude(queue=Queue.BLOCKED)
    context = {
        "contact": contact,
        "tickets": tickets[:50],
        "recent_messages": selectors.recent_messages(contact, include_blocked=actor.is_supervisor),
        "events": selectors.contact_events(contact)[:50],
        "panel_query": urlencode([("address", a) for a in contact.addresses]),
        "can_block": _can_block(request) and not contact.blocked,
        "can_unblock": actor.is_supervisor and contact.blocked,
        "next_url": _next_url(request, reverse("contacts:contact", args=[contact.pk])),
    }
    if request.htmx:
        return render(request, "contacts/_contact.html", context)
    return render(request, "contacts/contact.html", context)


# Block and unblock dialogs -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.AGENT)
def block(request: ActorRequest, pk: int) -> HttpResponse:
    """Ask for a reason, then block: the contact's open tickets close (403 if turned off)."""
    contact = selectors.contact_for(request.actor, pk)
    if not contact.organization.block_contacts_enabled:
        raise PermissionDenied(services.BLOCKING_DISABLED_MESSAGE)
    back = _next_url(request, reverse("contacts:contact", args=[contact.pk]))
    form = BlockContactForm(
        request.POST if request.method == "POST" else None, initial={"next": back}
    )
    if request.method == "POST" and form.is_valid():
        outcome = services.block_contact(
            contact=contact, actor=request.user, reason=form.cleaned_data["reason"]
        )
        (messages.success if outcome.changed else messages.info)(request, outcome.message)
        return _go(request, back)
    context = {"contact": contact, "form": form, "back": back}
    return modal_or_page(request, "contacts/_block.html", context, f"Block {contact}")


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def unblock(request: ActorRequest, pk: int) -> HttpResponse:
    """The Unblock All / Delete All dialog, with how many tickets each choice affects."""
    contact = selectors.contact_for(request.actor, pk)
    back = _next_url(request, reverse("contacts:index") + "?tab=blocked")
    form = UnblockContactForm(
        request.POST if request.method == "POST" else None, initial={"next": back}
    )
    if request.method == "POST" and form.is_valid():
        service = (
            services.delete_all
            if form.cleaned_data["choice"] == "delete_all"
            else services.unblock_all
        )
        outcome = service(contact=contact, actor=request.user)
        (messages.success if outcome.changed else messages.info)(request, outcome.message)
        return _go(request, back)
    context = {
        "contact": contact,
        "form": form,
        "back": back,
        "blocked_count": selectors.blocked_ticket_count(contact),
        "target": Queue(services.unblocked_queue(contact.organization)).label,
    }
    return modal_or_page(request, "contacts/_unblock.html", context, f"Unblock {contact}")


# Tickets -----------------------------------------------------------------------------------


@require_GET
@role_required(Role.AGENT)
def ticket_page(request: ActorRequest, pk: int) -> HttpResponse:
    """One ticket's conversation; blocked tickets are for supervisors (403)."""
    ticket = selectors.ticket_for(request.actor, pk)
    here = reverse("contacts:ticket", args=[ticket.pk])
    context = {
        "ticket": ticket,
        "conversation": ticket.messages.all(),
        "can_take": ticket.queue in (Queue.UNASSIGNED, Queue.BOT),
        "can_unblock_ticket": ticket.is_blocked() and request.actor.is_supervisor,
        "can_block": _can_block(request) and not ticket.contact.blocked,
        "here": here,
    }
    return render(request, "contacts/ticket.html", context)


@require_POST
@role_required(Role.AGENT)
def take_ticket(request: ActorRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_for(request.actor, pk)
    outcome = services.take_ticket(ticket=ticket, actor=request.user)
    (messages.success if outcome.changed else messages.info)(request, outcome.message)
    return _go(request, _next_url(request, reverse("contacts:agent-dashboard")))


@require_POST
@role_required(Role.SUPERVISOR)
def unblock_ticket(request: ActorRequest, pk: int) -> HttpResponse:
    """Move one blocked ticket to the bot or the unassigned queue; the contact stays blocked."""
    ticket = selectors.ticket_for(request.actor, pk)
    outcome = services.unblock_ticket(ticket=ticket, actor=request.user)
    (messages.success if outcome.changed else messages.info)(request, outcome.message)
    return _go(request, _next_url(request, reverse("contacts:blocked-tickets")))


# Dashboards --------------------------------------------------------------------------------


@require_GET
@role_required(Role.AGENT)
def agent_dashboard(request: ActorRequest) -> HttpResponse:
    """My assigned tickets and the unassigned queue, with Take and Block next to each."""
    actor = request.actor
    here = reverse("contacts:agent-dashboard")
    options = {"can_block": _can_block(request), "next_url": here, "orderable": False}
    mine = TicketTable(
        selectors.my_tickets(actor)[:DASHBOARD_ROWS], exclude=("assignee",), **options
    )
    unassigned = TicketTable(
        selectors.tickets_in_queue(actor, Queue.UNASSIGNED)[:DASHBOARD_ROWS],
        can_take=True,
        exclude=("assignee", "queue"),
        **options,
    )
    for table in (mine, unassigned):
        RequestConfig(request, paginate=False).configure(table)
    return render(
        request, "contacts/agent_dashboard.html", {"mine": mine, "unassigned": unassigned}
    )


@require_GET
@role_required(Role.SUPERVISOR)
def supervisor_dashboard(request: ActorRequest) -> HttpResponse:
    """Queue counts (bot / unassigned / assigned / blocked) and the newest blocked tickets."""
    actor = request.actor
    here = reverse("contacts:supervisor-dashboard")
    table = TicketTable(
        selectors.blocked_tickets(actor)[:DASHBOARD_ROWS],
        can_unblock=True,
        next_url=here,
        orderable=False,
        exclude=("assignee", "queue"),
    )
    RequestConfig(request, paginate=False).configure(table)
    counts = selectors.queue_counts(actor)
    context = {
        "counts": [(Queue(queue), counts[queue]) for queue in counts],
        "table": table,
    }
    return render(request, "contacts/supervisor_dashboard.html", context)


@require_GET
@role_required(Role.SUPERVISOR)
def blocked_tickets(request: ActorRequest) -> HttpResponse:
    """Every ticket in the blocked queue, newest first, paged without a COUNT."""
    table = TicketTable(
        selectors.blocked_tickets(request.actor),
        can_unblock=True,
        next_url=request.get_full_path(),
        exclude=("assignee", "queue"),
        order_by="-updated_at",
    )
    _paginate(request, table)
    template = (
        "contacts/blocked_tickets.html#results" if request.htmx else "contacts/blocked_tickets.html"
    )
    return render(request, template, {"table": table})
