"""Every section's pages in a real browser, with the Content-Security-Policy on: no
script error and nothing the policy blocks (an inline handler, a style attribute,
an asset from elsewhere) on any of them."""

from playwright.sync_api import expect

from accounts.tokens import create_token

PAGES = [
    "/",
    "/handoff/",
    "/handoff/block-list/?number=%2B14155550123",
    "/handoff/messages/",
    "/handoff/status/",
    "/handoff/replies/",
    "/handoff/numbers/+14155550123/",
    "/blocklists/",
    "/blocklists/history/",
    "/blocklists/imports/",
    "/blocklists/interceptions/",
    "/blocklists/keywords/",
    "/blocklists/review/",
    "/messaging/",
    "/messaging/batches/",
    "/messaging/send/",
    "/contacts/",
    "/contacts/dashboard/",
    "/contacts/supervisor/",
    "/contacts/tickets/blocked/",
    "/settings/",
    "/settings/api-tokens/",
    "/settings/senders/new/",
    "/settings/subaccounts/new/",
    "/api/v1/docs",
]


def test_no_page_has_a_script_error_or_a_blocked_resource(
    log_in, live_server, admin_user, org, sender
):
    create_token(organization=org, name="CRM sync", created_by=admin_user)  # a row to show
    page = log_in("carol-admin")
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        expect(page.locator("body")).to_be_visible()
        page.wait_for_load_state("networkidle")
    assert problems == []
