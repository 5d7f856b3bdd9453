"""Browser tests of the settings pages: revoking an API token and removing a keyword ask first."""

from playwright.sync_api import expect

from accounts.models import ApiToken
from accounts.tokens import authenticate, create_token
from blocklists import keywords
from blocklists.models import KeywordRule


def test_admin_revokes_a_token_after_confirming_it_in_the_dialog(
    log_in, live_server, admin_user, org
):
    _token, secret = create_token(organization=org, name="CRM sync", created_by=admin_user)
    page = log_in("carol-admin")
    page.goto(f"{live_server.url}/settings/api-tokens/")
    table = page.locator("#token-table")

    table.get_by_role("link", name="Revoke…").click()
    dialog = page.locator("#modal")
    expect(dialog).to_contain_text("Revoke the token CRM sync?")
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert authenticate(secret) is not None  # nothing happened without the confirmation

    table.get_by_role("link", name="Revoke…").click()
    dialog.get_by_role("button", name="Revoke CRM sync").click()
    expect(page.get_by_role("alert")).to_contain_text("Token CRM sync revoked")
    expect(table).to_contain_text("Revoked")
    assert authenticate(secret) is None
    assert ApiToken.objects.get().revoked_at is not None


def test_admin_removes_a_keyword_after_confirming_it_in_the_dialog(
    log_in, live_server, admin_user, org
):
    keywords.ensure_default_keywords(org)
    KeywordRule.objects.create(organization=org, kind="opt_out", keyword="BASTA", language="it")
    page = log_in("carol-admin")
    page.goto(f"{live_server.url}/blocklists/keywords/")

    page.get_by_role("link", name="Remove BASTA").click()
    dialog = page.locator("#modal")
    expect(dialog).to_contain_text("Remove the keyword BASTA?")
    dialog.get_by_role("button", name="Remove BASTA").click()
    expect(page.get_by_role("alert")).to_contain_text("BASTA is no longer a keyword")
    assert not KeywordRule.objects.filter(organization=org, keyword="BASTA").exists()
