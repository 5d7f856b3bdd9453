"""Contacts and tickets for the contacts tests, built through ``route_inbound``."""

import pytest

from contacts import services
from contacts.models import Channel


@pytest.fixture
def blocking_on(org):
    org.block_contacts_enabled = True
    org.save(update_fields=["block_contacts_enabled"])
    return org


@pytest.fixture
def bot_on(org):
    org.bot_enabled = True
    org.save(update_fields=["bot_enabled"])
    return org


@pytest.fixture
def inbound(org, sender):
    """``inbound(address, text)`` routes an SMS from ``address`` to ``sender``: the ticket."""

    def send(address="+14155550123", text="hello", *, to=None, channel=Channel.SMS):
        target = to or sender
        return services.route_inbound(
            organization=target.organization,
            sender=target,
            address=address,
            text=text,
            channel=channel,
        )

    return send


@pytest.fixture
def ticket(inbound):
    return inbound("+14155550123", "I need help")


@pytest.fixture
def contact(ticket):
    return ticket.contact


@pytest.fixture
def other_ticket(other_sender):
    return services.route_inbound(
        organization=other_sender.organization,
        sender=other_sender,
        address="+14155550999",
        text="other org",
        channel=Channel.SMS,
    )
