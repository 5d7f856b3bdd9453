"""Browser tests of the contacts pages: blocking from the 360 view, Delete All from the dialog."""

import re

import pytest
from playwright.sync_api import expect

from contacts import services
from contacts.models import Channel, Contact, Queue, Ticket


def _inbound(sender, address, text):
    return services.route_inbound(
        organization=sender.organization,
        sender=sender,
        address=address,
        text=text,
        channel=Channel.SMS,
    )


@pytest.fixture
def blocking_on(org):
    org.block_contacts_enabled = True
    org.save(update_fields=["block_contacts_enabled"])
    return org


def test_agent_blocks_a_contact_from_the_360_view(log_in, agent, blocking_on, sender):
    ticket = _inbound(sender, "+14155550123", "I keep spamming you")
    Contact.objects.filter(pk=ticket.contact_id).update(name="Spammy Sam")
    page = log_in("alice-agent")
    page.get_by_role("list", name="Sections").get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Spammy Sam").click()

    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id("contact-360")).to_be_visible()
    expect(dialog).to_contain_text("I keep spamming you")
    dialog.get_by_role("link", name="Block contact…").click()
    dialog.get_by_label("Reason").fill("Sends spam every hour")
    dialog.get_by_role("button", name="Block contact").click()

    expect(page.get_by_role("alert")).to_contain_text("Spammy Sam is blocked. 1 ticket closed")
    expect(page.get_by_test_id("blocked-badge")).to_be_visible()
    expect(page.get_by_test_id("contact-events")).to_contain_text("Sends spam every hour")
    assert Ticket.objects.get(pk=ticket.pk).queue == Queue.CLOSED
    assert Contact.objects.get(pk=ticket.contact_id).blocked


def test_supervisor_deletes_all_blocked_tickets_from_the_blocked_tab(
    log_in, supervisor, blocking_on, org, sender
):
    ticket = _inbound(sender, "+14155550123", "first")
    contact = ticket.contact
    Contact.objects.filter(pk=contact.pk).update(name="Spammy Sam")
    services.block_contact(contact=contact, actor=supervisor, reason="spam")
    blocked = _inbound(sender, "+14155550123", "still spamming")
    assert blocked.queue == Queue.BLOCKED

    page = log_in("bob-supervisor")
    page.get_by_role("list", name="Sections").get_by_role("link", name="Contacts").click()
    page.get_by_role("tab", name="Blocked").click()
    row = page.get_by_role("row").filter(has_text="Spammy Sam")
    row.get_by_role("link", name="Unblock…").click()

    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id("blocked-count")).to_have_text("1")
    dialog.get_by_role("button", name=re.compile(r"^Delete All")).click()

    expect(page.get_by_role("alert")).to_contain_text("Spammy Sam is unblocked; 1 ticket deleted")
    expect(page.get_by_role("status")).to_contain_text("No contact is blocked")
    assert not Ticket.objects.filter(queue=Queue.BLOCKED).exists()
    assert not Contact.objects.get(pk=contact.pk).blocked
    page.goto(page.url.split("/contacts/")[0] + "/contacts/tickets/blocked/")
    expect(page.get_by_text("still spamming")).to_have_count(0)
    expect(page.get_by_text("No tickets.")).to_be_visible()
