"""contacts.services: routing, block, unblock, Unblock All, Delete All, and their races."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts import services
from contacts.models import Channel, Contact, ContactEvent, Queue, Ticket, TicketMessage
from tests.factories import SenderFactory

# Routing -----------------------------------------------------------------------------------


def test_inbound_creates_contact_and_unassigned_ticket(org, sender, inbound):
    ticket = inbound("(415) 555-0123", "hi")
    assert ticket.queue == Queue.UNASSIGNED
    assert ticket.contact.phone == "+14155550123"
    assert ticket.sender == sender and ticket.organization == org
    assert list(ticket.messages.values_list("text", "direction")) == [("hi", "inbound")]


def test_inbound_goes_to_bot_when_enabled(bot_on, inbound):
    assert inbound().queue == Queue.BOT


def test_next_message_reuses_open_ticket(inbound):
    first = inbound(text="one")
    second = inbound("+1 415 555 0123", "two")
    assert first.pk == second.pk
    assert Contact.objects.count() == 1
    assert list(second.messages.values_list("text", flat=True)) == ["one", "two"]


def test_other_sender_opens_another_ticket(org, inbound):
    other = SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")
    assert inbound().pk != inbound(to=other).pk
    assert Contact.objects.count() == 1


def test_closed_ticket_is_not_reused(inbound):
    first = inbound()
    Ticket.objects.filter(pk=first.pk).update(queue=Queue.CLOSED)
    assert inbound().pk != first.pk


def test_email_and_whatsapp_addresses(inbound):
    email_ticket = inbound("Jane@Example.COM", "mail", channel=Channel.EMAIL)
    assert email_ticket.contact.email == "jane@example.com"
    sms = inbound("+14155550123")
    whatsapp = inbound("+14155550123", channel=Channel.WHATSAPP)
    assert whatsapp.contact == sms.contact  # the same person on another channel


def test_bad_address_is_a_validation_error(inbound):
    with pytest.raises(ValidationError):
        inbound("not a number")
    assert not Contact.objects.exists()


def test_contacts_are_per_organization(inbound, other_ticket):
    assert inbound("+14155550999").contact != other_ticket.contact


# Block -------------------------------------------------------------------------------------


def test_block_needs_the_feature_flag(contact, agent):
    with pytest.raises(services.BlockingDisabled):
        services.block_contact(contact=contact, actor=agent, reason="spam")
    contact.refresh_from_db()
    assert not contact.blocked
    assert not ContactEvent.objects.exists()


def test_block_closes_open_tickets_and_records_event(blocking_on, org, inbound, agent):
    sms = inbound()
    other = SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")
    second = inbound(to=other)
    Ticket.objects.filter(pk=second.pk).update(queue=Queue.ASSIGNED, assignee=agent)
    outcome = services.block_contact(contact=sms.contact, actor=agent, reason="spam")
    assert outcome.changed and outcome.ticket_count == 2
    assert set(Ticket.objects.values_list("queue", flat=True)) == {Queue.CLOSED}
    contact = Contact.objects.get()
    assert contact.blocked and contact.blocked_by == agent and contact.blocked_reason == "spam"
    event = ContactEvent.objects.get()
    assert (event.action, event.ticket_count, event.actor_name, event.reason) == (
        "blocked",
        2,
        "alice-agent",
        "spam",
    )


def test_block_an_already_blocked_contact_changes_nothing(blocking_on, contact, agent):
    services.block_contact(contact=contact, actor=agent, reason="spam")
    again = services.block_contact(contact=contact, actor=agent, reason="again")
    assert not again.changed and "already blocked" in again.message
    assert ContactEvent.objects.count() == 1


def test_inbound_from_blocked_contact_lands_in_blocked(blocking_on, bot_on, contact, inbound):
    services.block_contact(contact=contact, actor=None, reason="spam")
    ticket = inbound(text="more spam")
    assert ticket.queue == Queue.BLOCKED
    assert inbound(text="even more").pk == ticket.pk  # one blocked ticket per sender
    assert ticket.messages.count() == 2


# Unblock ticket ----------------------------------------------------------------------------


@pytest.fixture
def blocked_ticket(blocking_on, contact, inbound, supervisor):
    services.block_contact(contact=contact, actor=supervisor, reason="spam")
    return inbound(text="blocked message")


@pytest.mark.parametrize("bot", [True, False])
def test_unblock_ticket_goes_to_bot_or_unassigned(org, blocked_ticket, supervisor, inbound, bot):
    org.bot_enabled = bot
    org.save()
    outcome = services.unblock_ticket(ticket=blocked_ticket, actor=supervisor)
    blocked_ticket.refresh_from_db()
    assert outcome.changed
    assert blocked_ticket.queue == (Queue.BOT if bot else Queue.UNASSIGNED)
    assert blocked_ticket.contact.blocked  # the contact stays blocked
    event = ContactEvent.objects.filter(action="ticket_unblocked").get()
    assert event.ticket_count == 1
    # The next message from the still-blocked contact is blocked again.
    following = inbound(text="spam again")
    assert following.queue == Queue.BLOCKED and following.pk != blocked_ticket.pk


def test_ticket_unblocked_twice(blocked_ticket, supervisor):
    assert services.unblock_ticket(ticket=blocked_ticket, actor=supervisor).changed
    stale = Ticket.objects.get(pk=blocked_ticket.pk)
    again = services.unblock_ticket(ticket=blocked_ticket, actor=supervisor)
    assert not again.changed and "no longer blocked" in again.message
    assert Ticket.objects.get(pk=stale.pk).queue == Queue.UNASSIGNED
    assert ContactEvent.objects.filter(action="ticket_unblocked").count() == 1


# Unblock All / Delete All ------------------------------------------------------------------


@pytest.fixture
def many_blocked(blocking_on, org, contact, supervisor, inbound):
    services.block_contact(contact=contact, actor=supervisor, reason="spam")
    for n in range(3):
        other = SenderFactory(organization=org, address=f"5290{n}")
        inbound(text=f"spam {n}", to=other)
        inbound(text=f"spam {n} again", to=other)
    return Contact.objects.get(pk=contact.pk)


def test_unblock_all_moves_blocked_tickets(many_blocked, supervisor, inbound):
    outcome = services.unblock_all(contact=many_blocked, actor=supervisor)
    assert outcome.changed and outcome.ticket_count == 3
    many_blocked.refresh_from_db()
    assert not many_blocked.blocked
    queues = Ticket.objects.filter(contact=many_blocked).values_list("queue", flat=True)
    assert sorted(queues) == ["closed", "unassigned", "unassigned", "unassigned"]
    assert ContactEvent.objects.filter(action="unblocked", ticket_count=3).exists()
    assert inbound(text="hello again").queue == Queue.UNASSIGNED


def test_delete_all_deletes_blocked_tickets_and_messages(many_blocked, supervisor):
    closed = Ticket.objects.get(contact=many_blocked, queue=Queue.CLOSED)
    with CaptureQueriesContext(connection) as queries:
        outcome = services.delete_all(contact=many_blocked, actor=supervisor)
    assert outcome.changed and outcome.ticket_count == 3
    assert list(Ticket.objects.filter(contact=many_blocked)) == [closed]
    assert TicketMessage.objects.filter(ticket__contact=many_blocked).count() == 1
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 2  # set-based: messages by subquery, then the tickets
    event = ContactEvent.objects.get(action="tickets_deleted")
    assert event.ticket_count == 3 and event.actor == supervisor


def test_unblock_a_contact_that_is_not_blocked(contact, supervisor):
    for service in (services.unblock_all, services.delete_all):
        outcome = service(contact=contact, actor=supervisor)
        assert not outcome.changed and "not blocked" in outcome.message
    assert not ContactEvent.objects.exists()


@pytest.mark.parametrize(
    "first,second", [("unblock_all", "delete_all"), ("delete_all", "unblock_all")]
)
def test_unblock_all_and_delete_all_at_once(many_blocked, supervisor, admin_user, first, second):
    # Both supervisors opened the dialog on the same blocked contact (stale objects).
    stale = Contact.objects.get(pk=many_blocked.pk)
    won = getattr(services, first)(contact=many_blocked, actor=supervisor)
    lost = getattr(services, second)(contact=stale, actor=admin_user)
    assert won.changed and not lost.changed
    assert "not blocked" in lost.message
    remaining = Ticket.objects.filter(contact=many_blocked).values_list("queue", flat=True)
    if first == "delete_all":
        assert list(remaining) == ["closed"]
    else:
        assert sorted(remaining) == ["closed", "unassigned", "unassigned", "unassigned"]
    assert ContactEvent.objects.exclude(action="blocked").count() == 1


def test_block_after_unblock_ticket_closes_it_again(blocked_ticket, supervisor):
    services.unblock_all(contact=blocked_ticket.contact, actor=supervisor)
    services.block_contact(contact=blocked_ticket.contact, actor=supervisor, reason="again")
    assert Ticket.objects.filter(queue__in=["bot", "unassigned", "assigned"]).count() == 0


def test_take_ticket_first_agent_wins(ticket, agent, supervisor):
    assert services.take_ticket(ticket=ticket, actor=agent).changed
    late = services.take_ticket(ticket=ticket, actor=supervisor)
    assert not late.changed
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.queue == Queue.ASSIGNED


def test_event_log_is_append_only(blocking_on, contact, agent):
    services.block_contact(contact=contact, actor=agent, reason="spam")
    event = ContactEvent.objects.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        ContactEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_unblock_all_and_delete_all_in_two_threads(org, sender, supervisor, admin_user):
    """Two real transactions at once (PostgreSQL row lock; SQLite's write lock): one wins."""
    import threading

    from django.db import connections

    org.block_contacts_enabled = True
    org.save()
    ticket = services.route_inbound(
        organization=org, sender=sender, address="+14155550123", text="hi", channel=Channel.SMS
    )
    services.block_contact(contact=ticket.contact, actor=supervisor, reason="spam")
    for n in range(3):
        services.route_inbound(
            organization=org,
            sender=SenderFactory(organization=org, address=f"5290{n}"),
            address="+14155550123",
            text=f"spam {n}",
            channel=Channel.SMS,
        )
    contact = Contact.objects.get(pk=ticket.contact_id)
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(name, service, actor):
        try:
            barrier.wait()
            outcomes[name] = service(contact=contact, actor=actor)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("unblock", services.unblock_all, supervisor)),
        threading.Thread(target=act, args=("delete", services.delete_all, admin_user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.changed for o in outcomes.values()) == [False, True]
    queues = sorted(Ticket.objects.filter(contact=contact).values_list("queue", flat=True))
    assert queues in (["closed"], ["closed", "unassigned", "unassigned", "unassigned"])
    assert ContactEvent.objects.filter(action__in=["unblocked", "tickets_deleted"]).count() == 1
    assert not Contact.objects.get(pk=contact.pk).blocked
