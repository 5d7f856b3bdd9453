"""An agent types a number in the Block List search and the result appears in place."""

import re

from playwright.sync_api import expect

from blocklists import services


def test_block_list_updates_as_the_agent_types(log_in, live_server, agent, sender):
    services.opt_out(sender=sender, subscriber="+14155550123")
    page = log_in("alice-agent")
    page.goto(f"{live_server.url}/handoff/block-list/")
    page.evaluate("window.loadedOnce = true")
    page.get_by_label("Customer number").fill("(415) 555-0123")
    results = page.get_by_test_id("block-list-results")
    expect(results).to_contain_text("+14155550123 is blocked")
    expect(results).to_contain_text("Replying START to 52811 removes the block.")
    assert page.evaluate("window.loadedOnce") is True  # no page load happened
    expect(page).to_have_url(re.compile(r"/handoff/block-list/\?number=\(415\)(%20|\+)555-0123$"))


def test_agent_opens_a_message_from_lookup_and_sees_its_send_log(
    log_in, live_server, agent, org, sender
):
    from messaging.services import create_batch

    create_batch(organization=org, sender=sender, subscribers=["+14155550123"], text="Hello Ann")
    page = log_in("alice-agent")
    page.goto(f"{live_server.url}/handoff/messages/")
    page.get_by_label("Customer number").fill("415 555 0123")
    table = page.locator("#lookup-table")
    expect(table).to_contain_text("Hello Ann")
    table.get_by_role("link", name="Hello Ann").click()
    expect(page.get_by_role("heading", name="Send log")).to_be_visible()
    expect(page.locator("#send-log")).to_contain_text("Accepted from the form.")
