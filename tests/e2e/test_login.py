import re

from playwright.sync_api import expect


def test_agent_sees_handoff_but_not_settings(log_in, agent):
    page = log_in("alice-agent")
    nav = page.get_by_role("list", name="Sections")
    expect(nav.get_by_role("link", name="Handoff")).to_be_visible()
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_test_id("whoami")).to_contain_text("Acme")
    expect(page.get_by_test_id("whoami")).to_contain_text("Agent")


def test_admin_sees_settings_and_opens_it(log_in, admin_user):
    page = log_in("carol-admin")
    page.get_by_role("list", name="Sections").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings · Acme")).to_be_visible()


def test_wrong_password_shows_an_error(log_in, agent):
    page = log_in("alice-agent", password="wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_logout_returns_to_login(log_in, agent):
    page = log_in("alice-agent")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Handoff")).to_be_visible()
