"""Demo contacts and tickets for ``seed_demo``. Idempotent: a second run adds nothing."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Organization
from contacts import services
from contacts.models import Channel, Contact

DEMO_CONTACTS = [
    # name, sender address, channel, contact address, messages
    ("Maria Lopez", "52811", Channel.SMS, "+14155550111", ["Hi, my order has not arrived"]),
    ("Sam Carter", "+14155554559", Channel.SMS, "+14155550112", ["Can I change my plan?"]),
    ("Priya Nair", "news@demo.example", Channel.EMAIL, "priya@example.com", ["Unsubscribe me"]),
    ("Jonas Berg", "+14155550000", Channel.WHATSAPP, "+447911123456", ["Hello from London"]),
    (
        "Spam Bot",
        "52811",
        Channel.SMS,
        "+14155550199",
        ["WIN A PRIZE", "CLICK THIS LINK", "FREE MONEY"],
    ),
]
BLOCKED_ADDRESS = "+14155550199"


@transaction.atomic
def seed_contacts() -> int:
    """Add the demo contacts of Demo Co that are missing; returns how many were added.

    The spam contact is blocked (with blocking enabled for this run only when
    the organization has it on) and keeps one ticket in the blocked queue.
    """
    demo = Organization.objects.get(slug="demo-co")
    added = 0
    for name, sender_address, channel, address, texts in DEMO_CONTACTS:
        if Contact.objects.filter(organization=demo, name=name).exists():
            continue
        sender = demo.senders.get(address=sender_address)
        ticket = None
        for text in texts[:1]:
            ticket = services.route_inbound(
                organization=demo, sender=sender, address=address, text=text, channel=channel
            )
        contact = ticket.contact
        Contact.objects.filter(pk=contact.pk).update(name=name)
        added += 1
        if address == BLOCKED_ADDRESS:
            _block_spammer(demo, contact)
            for text in texts[1:]:
                services.route_inbound(
                    organization=demo, sender=sender, address=address, text=text, channel=channel
                )
    return added


def _block_spammer(demo: Organization, contact: Contact) -> None:
    # The demo shows the blocked queue even where an admin has not enabled blocking;
    # the flag is restored so the Settings page still shows the organization's choice.
    enabled = demo.block_contacts_enabled
    if not enabled:
        Organization.objects.filter(pk=demo.pk).update(block_contacts_enabled=True)
    try:
        services.block_contact(contact=contact, actor=None, reason="Demo: sends spam")
    finally:
        if not enabled:
            Organization.objects.filter(pk=demo.pk).update(block_contacts_enabled=False)
