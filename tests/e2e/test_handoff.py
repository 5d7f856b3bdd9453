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
