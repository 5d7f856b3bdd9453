"""Contacts, their tickets and the conversation in each ticket, and the contact audit log.

A ticket is in exactly one queue (one column), so it can never be in two.
Every state change of a contact or of its tickets goes through
``contacts.services``, which locks the contact row first: that lock is what
serialises an inbound message against a block, an unblock or a Delete All.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.audit import AppendOnlyModel
from accounts.models import Organization, Sender


class Contact(models.Model):
    """A person who messages the organization, known by one or more addresses."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    name = models.CharField(max_length=200, blank=True)
    # E.164 numbers and a lower-cased email; NULL (not "") when unknown, so that
    # the per-organization unique constraints ignore missing addresses.
    phone = models.CharField(max_length=32, null=True, blank=True)
    email = models.CharField(max_length=254, null=True, blank=True)
    whatsapp = models.CharField("WhatsApp", max_length=32, null=True, blank=True)
    blocked = models.BooleanField(default=False)
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    blocked_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "phone"],
                condition=Q(phone__isnull=False),
                name="contact_unique_phone",
            ),
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(email__isnull=False),
                name="contact_unique_email",
            ),
            models.UniqueConstraint(
                fields=["organization", "whatsapp"],
                condition=Q(whatsapp__isnull=False),
                name="contact_unique_whatsapp",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "name", "id"], name="contact_name_idx"),
            models.Index(
                fields=["organization", "-blocked_at", "-id"],
                condition=Q(blocked=True),
                name="contact_blocked_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.phone or self.email or self.whatsapp or f"Contact {self.pk}"

    @property
    def addresses(self) -> list[str]:
        """Distinct known addresses, phone first: what the blocklist panel looks up."""
        return list(dict.fromkeys(a for a in (self.phone, self.whatsapp, self.email) if a))


class Queue(models.TextChoices):
    BOT = "bot", "Bot"
    UNASSIGNED = "unassigned", "Unassigned"
    ASSIGNED = "assigned", "Assigned"
    BLOCKED = "blocked", "Blocked"
    CLOSED = "closed", "Closed"


# Queues an agent or the bot works on; a block closes tickets in these.
ACTIVE_QUEUES = (Queue.BOT, Queue.UNASSIGNED, Queue.ASSIGNED)
OPEN_QUEUES = (*ACTIVE_QUEUES, Queue.BLOCKED)


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    RCS = "rcs", "RCS"
    EMAIL = "email", "Email"


class Ticket(models.Model):
    """One conversation with a contact on one of the organization's senders."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tickets", db_index=False
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="tickets", db_index=False
    )
    sender = models.ForeignKey(
        Sender,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name="channel",
    )
    queue = models.CharField(max_length=12, choices=Queue.choices, default=Queue.UNASSIGNED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # Queue counts and the queue lists (newest first) of one organization.
            models.Index(
                fields=["organization", "queue", "-updated_at", "-id"], name="ticket_queue_idx"
            ),
            # Platform staff's queue counts and queue lists, over every organization:
            # without it each of their dashboards read and sorted every ticket. Open
            # queues only: closed tickets, most of them, are never listed this way.
            models.Index(
                fields=["queue", "-updated_at", "-id"],
                condition=Q(queue__in=OPEN_QUEUES),
                name="ticket_open_queue_idx",
            ),
            # A contact's tickets per queue: block, unblock, Delete All, routing.
            models.Index(fields=["contact", "queue", "-updated_at"], name="ticket_contact_idx"),
            # An agent's own assigned tickets.
            models.Index(
                fields=["assignee", "queue", "-updated_at"],
                condition=Q(assignee__isnull=False),
                name="ticket_assignee_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk}"

    def is_open(self) -> bool:
        return self.queue != Queue.CLOSED

    def is_blocked(self) -> bool:
        return self.queue == Queue.BLOCKED


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class TicketMessage(models.Model):
    """One message of a ticket's conversation.

    Messaging owns delivery records; ``external_id`` is its message id, kept as
    text (no foreign key) because contacts may not import from messaging.
    Nothing refers to this model, so deleting messages by query is one statement.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    text = models.TextField(blank=True)
    external_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmessage_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} message {self.pk}"


class ContactEvent(AppendOnlyModel):
    """Append-only: one row per block, unblock, ticket unblock or Delete All.

    The contact's name is copied so the log reads the same if the contact goes.
    """

    class Action(models.TextChoices):
        BLOCKED = "blocked", "Blocked"
        UNBLOCKED = "unblocked", "Unblocked (Unblock All)"
        TICKET_UNBLOCKED = "ticket_unblocked", "Ticket unblocked"
        TICKETS_DELETED = "tickets_deleted", "Unblocked, tickets deleted (Delete All)"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    contact_name = models.CharField(max_length=254)
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    ticket_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="contactevent_org_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.contact_name}"
