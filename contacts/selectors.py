"""Read queries over contacts and tickets that the pages, exports and (later) the API share.

Every function takes the person's ``Actor`` and goes through its organization scope.
"""

from __future__ import annotations

import contextlib
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet

from accounts.access import Actor, get_scoped_or_404
from accounts.normalization import normalize_email, normalize_phone
from contacts.models import OPEN_QUEUES, Contact, ContactEvent, Queue, Ticket, TicketMessage

NON_DIGITS = re.compile(r"\D")

BLOCKED_TICKETS_FOR_SUPERVISORS = "Blocked tickets are for supervisors."


def contacts_for(actor: Actor, *, blocked: bool = False) -> QuerySet[Contact]:
    contacts = actor.scope(Contact.objects.all())
    return contacts.filter(blocked=True) if blocked else contacts


def contact_search_q(text: str, country: str) -> Q | None:
    """A name, a number in any format (or its first digits), or an email address."""
    text = (text or "").strip()
    if not text:
        return None
    q = Q(name__icontains=text)
    if "@" in text:
        with contextlib.suppress(ValidationError):
            email = normalize_email(text)
            return q | Q(email=email)
        return q | Q(email__istartswith=text)
    with contextlib.suppress(ValidationError):
        phone = normalize_phone(text, country)
        q |= Q(phone=phone) | Q(whatsapp=phone)
    digits = NON_DIGITS.sub("", text)
    if len(digits) >= 3:
        q |= Q(phone__startswith=f"+{digits}") | Q(whatsapp__startswith=f"+{digits}")
        if not text.startswith("+") and country == "US":
            q |= Q(phone__startswith=f"+1{digits}")
    return q


def contact_for(actor: Actor, pk) -> Contact:
    """One contact of the actor's organization, else 404."""
    return get_scoped_or_404(
        actor, Contact.objects.select_related("organization", "blocked_by"), pk=pk
    )


def ticket_for(actor: Actor, pk) -> Ticket:
    """A ticket the actor may see: 404 for another organization, 403 for an agent's blocked one."""
    ticket = get_scoped_or_404(
        actor,
        Ticket.objects.select_related("contact", "sender", "assignee", "organization"),
        pk=pk,
    )
    if ticket.is_blocked() and not actor.is_supervisor:
        raise PermissionDenied(BLOCKED_TICKETS_FOR_SUPERVISORS)
    return ticket


def tickets_for(actor: Actor) -> QuerySet[Ticket]:
    """Tickets the actor may see; agents never see the blocked queue."""
    tickets = actor.scope(Ticket.objects.select_related("contact", "sender", "assignee"))
    if not actor.is_supervisor:
        tickets = tickets.exclude(queue=Queue.BLOCKED)
    return tickets


def tickets_in_queue(actor: Actor, queue: str) -> QuerySet[Ticket]:
    """One queue, newest first: served by the (organization, queue, updated_at, id) index."""
    return tickets_for(actor).filter(queue=queue).order_by("-updated_at", "-id")


def blocked_tickets(actor: Actor) -> QuerySet[Ticket]:
    if not actor.is_supervisor:
        raise PermissionDenied(BLOCKED_TICKETS_FOR_SUPERVISORS)
    return tickets_in_queue(actor, Queue.BLOCKED)


def my_tickets(actor: Actor) -> QuerySet[Ticket]:
    return (
        tickets_for(actor)
        .filter(assignee=actor.user, queue=Queue.ASSIGNED)
        .order_by("-updated_at", "-id")
    )


def queue_counts(actor: Actor) -> dict[str, int]:
    """Open tickets per queue, one GROUP BY over the queue index (closed ones not counted)."""
    rows = (
        actor.scope(Ticket.objects.all())
        .filter(queue__in=OPEN_QUEUES)
        .order_by()
        .values_list("queue")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(OPEN_QUEUES, 0)
    counts.update(dict(rows))
    return counts


def contact_tickets(contact: Contact) -> QuerySet[Ticket]:
    return contact.tickets.select_related("sender", "assignee").order_by("-updated_at", "-id")


def recent_messages(contact: Contact, *, include_blocked: bool, limit: int = 20):
    messages = TicketMessage.objects.filter(ticket__contact=contact).select_related(
        "ticket", "ticket__sender"
    )
    if not include_blocked:
        messages = messages.exclude(ticket__queue=Queue.BLOCKED)
    return messages.order_by("-created_at", "-id")[:limit]


def contact_events(contact: Contact) -> QuerySet[ContactEvent]:
    return contact.events.order_by("-created_at", "-id")


def blocked_ticket_count(contact: Contact) -> int:
    """What the Unblock All / Delete All dialog says each choice affects."""
    return contact.tickets.filter(queue=Queue.BLOCKED).count()
