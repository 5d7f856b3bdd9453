"""A supervisor opens the review queue of possible opt-outs and opts a number out."""

from playwright.sync_api import expect

from blocklists import keywords, services


def test_supervisor_opts_out_a_possible_opt_out(log_in, live_server, supervisor, org, sender):
    keywords.handle_inbound_text(
        organization=org, sender=sender, subscriber="+14155550123", text="Please stop texting me"
    )
    page = log_in("bob-supervisor")
    page.goto(f"{live_server.url}/blocklists/review/")
    row = page.locator("#review-table tbody tr").first
    expect(row).to_contain_text("Please stop texting me")
    row.get_by_role("link", name="Opt out").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading")).to_contain_text("Opt out +14155550123?")
    dialog.get_by_label("Note (optional)").fill("asked twice")
    dialog.get_by_role("button", name="Opt out").click()
    expect(page.get_by_role("alert")).to_contain_text("+14155550123 opted out of 52811")
    expect(page.locator("#review-table")).to_contain_text("Nothing waiting for a decision")
    assert services.is_blocklisted(sender, "+14155550123")
