"""State changes of contacts and tickets. One transaction each, each writing its ContactEvent.

Concurrency: every function that changes a contact or its tickets first locks
the contact row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises
writers anyway), then changes state with conditional UPDATEs and reads the row
counts. Two supervisors acting at once therefore end in one state, and the
second one is told what happened instead of getting an error page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, Sender
from accounts.normalization import normalize_email, normalize_phone
from contacts.models import (
    ACTIVE_QUEUES,
    Channel,
    Contact,
    ContactEvent,
    Direction,
    Queue,
    Ticket,
    TicketMessage,
)

BLOCKING_DISABLED_MESSAGE = (
    "Blocking contacts is turned off for your organization. An admin can turn it on "
    "in Settings (“agents may block contacts”)."
)


class BlockingDisabled(PermissionDenied):
    """The organization has not enabled blocking contacts."""


@dataclass(frozen=True)
class Outcome:
    """What a service did: ``changed`` is False when someone else got there first."""

    changed: bool
    message: str
    ticket_count: int = 0


def _actor_name(actor) -> str:
    return actor.get_username() if actor is not None else ""


def _record(contact: Contact, action: str, *, actor, ticket_count=0, reason="", detail=""):
    return ContactEvent.objects.create(
        organization_id=contact.organization_id,
        contact=contact,
        contact_name=contact.display_name[:254],
        action=action,
        actor=actor,
        actor_name=_actor_name(actor),
        reason=reason[:500],
        detail=detail[:500],
        ticket_count=ticket_count,
        created_at=timezone.now(),
    )


def _lock(contact: Contact) -> Contact:
    """The contact's row, locked for this transaction, with its current state."""
    # Lock the contact row only, and without the key-share conflict: a plain FOR UPDATE
    # (or one that also locks the joined organization) blocks every insert that merely
    # references these rows, and deadlocked the inbound webhook under load.
    return (
        Contact.objects.select_for_update(of=("self",), no_key=True)
        .select_related("organization")
        .get(pk=contact.pk)
    )


def unblocked_queue(organization: Organization) -> str:
    """Where a ticket goes when it leaves the blocked queue: the bot if enabled."""
    return Queue.BOT if organization.bot_enabled else Queue.UNASSIGNED


# Block -------------------------------------------------------------------------------------


@transaction.atomic
def block_contact(*, contact: Contact, actor, reason: str) -> Outcome:
    """Block ``contact``: close its open tickets; what it sends next goes to the blocked queue.

    Raises BlockingDisabled when the organization has not enabled blocking.
    Writes a ``blocked`` ContactEvent with the number of tickets closed.
    """
    contact = _lock(contact)
    if not contact.organization.block_contacts_enabled:
        raise BlockingDisabled(BLOCKING_DISABLED_MESSAGE)
    now = timezone.now()
    updated = Contact.objects.filter(pk=contact.pk, blocked=False).update(
        blocked=True, blocked_at=now, blocked_by=actor, blocked_reason=reason[:500], updated_at=now
    )
    if not updated:
        return Outcome(False, f"{contact.display_name} is already blocked: nothing changed.")
    closed = Ticket.objects.filter(contact=contact, queue__in=ACTIVE_QUEUES).update(
        queue=Queue.CLOSED, closed_at=now, updated_at=now
    )
    _record(contact, ContactEvent.Action.BLOCKED, actor=actor, reason=reason, ticket_count=closed)
    return Outcome(
        True,
        f"{contact.display_name} is blocked. {_tickets(closed)} closed; "
        "new messages go to the supervisors' Blocked queue.",
        closed,
    )


# Unblock -----------------------------------------------------------------------------------


@transaction.atomic
def unblock_ticket(*, ticket: Ticket, actor) -> Outcome:
    """Move one blocked ticket to the bot (if enabled) or the unassigned queue.

    The contact stays blocked: its next message lands in the blocked queue again.
    Writes a ``ticket_unblocked`` ContactEvent.
    """
    contact = _lock(ticket.contact)
    target = unblocked_queue(contact.organization)
    moved = Ticket.objects.filter(pk=ticket.pk, queue=Queue.BLOCKED).update(
        queue=target, updated_at=timezone.now()
    )
    if not moved:
        return Outcome(False, f"Ticket {ticket.pk} is no longer blocked: nothing changed.")
    _record(
        contact,
        ContactEvent.Action.TICKET_UNBLOCKED,
        actor=actor,
        ticket_count=1,
        detail=f"Ticket {ticket.pk} moved to {Queue(target).label}",
    )
    still = " The contact is still blocked." if contact.blocked else ""
    return Outcome(True, f"Ticket {ticket.pk} moved to {Queue(target).label}.{still}", 1)


def _unblock(contact: Contact) -> bool:
    """Conditional UPDATE: True only for the one caller that unblocked it."""
    return bool(
        Contact.objects.filter(pk=contact.pk, blocked=True).update(
            blocked=False, blocked_at=None, blocked_by=None, updated_at=timezone.now()
        )
    )


@transaction.atomic
def unblock_all(*, contact: Contact, actor) -> Outcome:
    """Unblock ``contact`` and move all its blocked tickets to the bot or the unassigned queue.

    Writes an ``unblocked`` ContactEvent with the number of tickets moved.
    """
    contact = _lock(contact)
    if not _unblock(contact):
        return Outcome(False, _not_blocked(contact))
    target = unblocked_queue(contact.organization)
    moved = Ticket.objects.filter(contact=contact, queue=Queue.BLOCKED).update(
        queue=target, updated_at=timezone.now()
    )
    _record(
        contact,
        ContactEvent.Action.UNBLOCKED,
        actor=actor,
        ticket_count=moved,
        detail=f"Blocked tickets moved to {Queue(target).label}",
    )
    return Outcome(
        True,
        f"{contact.display_name} is unblocked; {_tickets(moved)} moved to {Queue(target).label}.",
        moved,
    )


@transaction.atomic
def delete_all(*, contact: Contact, actor) -> Outcome:
    """Unblock ``contact`` and delete its blocked tickets with their messages.

    Two set-based DELETE statements whatever the number of tickets (messages by
    subquery, then tickets). Django's collector would load every ticket to
    cascade, so the tickets go by one explicit statement. Writes a
    ``tickets_deleted`` ContactEvent with the number of tickets deleted.
    """
    contact = _lock(contact)
    if not _unblock(contact):
        return Outcome(False, _not_blocked(contact))
    deleted = delete_blocked_tickets(contact_id=contact.pk)
    _record(contact, ContactEvent.Action.TICKETS_DELETED, actor=actor, ticket_count=deleted)
    return Outcome(
        True, f"{contact.display_name} is unblocked; {_tickets(deleted)} deleted.", deleted
    )


def delete_blocked_tickets(*, contact_id: int) -> int:
    """Delete the contact's blocked tickets and their messages; returns the tickets deleted.

    Call inside a transaction that holds the contact's lock.
    """
    blocked = Ticket.objects.filter(contact_id=contact_id, queue=Queue.BLOCKED)
    # TicketMessage has no dependants and no signals: the collector fast-deletes it.
    TicketMessage.objects.filter(ticket__in=blocked.values("pk")).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Ticket._meta.db_table} WHERE contact_id = %s AND queue = %s",
            [contact_id, Queue.BLOCKED.value],
        )
        return cursor.rowcount


def _not_blocked(contact: Contact) -> str:
    return (
        f"{contact.display_name} is not blocked (someone may have just unblocked it): "
        "nothing changed."
    )


def _tickets(count: int) -> str:
    return f"{count} ticket" if count == 1 else f"{count} tickets"


# Agents' work ------------------------------------------------------------------------------


@transaction.atomic
def take_ticket(*, ticket: Ticket, actor) -> Outcome:
    """Assign an unassigned (or bot) ticket to ``actor``; the first of two agents wins."""
    taken = Ticket.objects.filter(pk=ticket.pk, queue__in=(Queue.UNASSIGNED, Queue.BOT)).update(
        queue=Queue.ASSIGNED, assignee=actor, updated_at=timezone.now()
    )
    if not taken:
        return Outcome(False, f"Ticket {ticket.pk} was already taken or moved: nothing changed.")
    return Outcome(True, f"Ticket {ticket.pk} is yours.", 1)


# Inbound -----------------------------------------------------------------------------------


PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.RCS)


def _address_lookup(channel: str, address: str, country: str) -> tuple[Q, dict]:
    """The lookup that finds the contact of ``address`` and the fields of a new one."""
    if channel == Channel.EMAIL:
        email = normalize_email(address)
        return Q(email=email), {"email": email}
    if channel not in PHONE_CHANNELS:
        raise ValidationError(f"“{channel}” is not a channel.")
    phone = normalize_phone(address, country)
    if channel == Channel.WHATSAPP:
        return Q(whatsapp=phone) | Q(phone=phone), {"whatsapp": phone, "phone": phone}
    return Q(phone=phone), {"phone": phone}


def _find_or_create_locked_contact(organization: Organization, lookup: Q, fields: dict) -> Contact:
    """The contact with this address, its row locked for this transaction (as ``_lock``).

    One query for a known contact. A contact created here needs no lock: until we
    commit, nobody else can see it, and a concurrent insert of the same address
    waits on the unique index and then finds ours.
    """
    contacts = Contact.objects.filter(organization=organization).select_for_update(
        of=("self",), no_key=True
    )
    for _attempt in range(3):
        found = contacts.filter(lookup).order_by("id").first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return Contact.objects.create(organization=organization, **fields)
        except IntegrityError:
            # Another message from the same address created it meanwhile.
            continue
    return contacts.filter(lookup).order_by("id").get()


@transaction.atomic
def route_inbound(
    *,
    organization: Organization,
    sender: Sender,
    address: str,
    text: str,
    channel: str,
    received_at: dt.datetime | None = None,
    external_id: str | None = None,
) -> Ticket:
    """Put an inbound message into the right ticket and queue; returns the ticket.

    Finds or creates the contact by its address (E.164 for SMS, WhatsApp and
    RCS, lower-cased email for email), then the contact's open ticket on this
    sender, or opens one. A blocked contact's message only ever goes to a ticket
    in the ``blocked`` queue; otherwise a new ticket goes to the bot when the
    organization enabled it, else to the unassigned queue. Raises
    ValidationError for an address that does not parse. Safe under concurrency:
    the contact row is locked while the ticket is chosen.
    """
    lookup, fields = _address_lookup(channel, address, organization.country)
    contact = _find_or_create_locked_contact(organization, lookup, fields)
    received_at = received_at or timezone.now()
    if contact.blocked:
        queues, new_queue = (Queue.BLOCKED,), Queue.BLOCKED
    else:
        queues, new_queue = ACTIVE_QUEUES, unblocked_queue(organization)
    ticket = (
        Ticket.objects.filter(contact=contact, sender=sender, queue__in=queues)
        .order_by("-updated_at", "-id")
        .first()
    )
    if ticket is None:
        ticket = Ticket.objects.create(
            organization=organization, contact=contact, sender=sender, queue=new_queue
        )
    else:
        ticket.save(update_fields=["updated_at"])
    TicketMessage.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        channel=channel,
        text=text,
        external_id=external_id,
        created_at=received_at,
    )
    return ticket
