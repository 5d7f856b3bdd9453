"""Home, navigation, settings pages and error pages as a person sees them."""

import pytest
from django.urls import reverse

from accounts.models import Sender, Subaccount
from tests.factories import SubaccountFactory


def nav_of(response) -> str:
    html = response.content.decode()
    return html[
        html.index('aria-label="Sections"') : html.index(
            "</ul>", html.index('aria-label="Sections"')
        )
    ]


def test_agent_home_shows_agent_sections_but_not_settings(login, agent):
    response = login(agent).get(reverse("home"))
    nav = nav_of(response)
    for title in ("Handoff", "Blocklists", "Messaging", "Contacts"):
        assert title in nav
    assert "Settings" not in nav
    html = response.content.decode()
    assert "alice-agent" in html.lower() or "Alice" in html
    assert "Acme" in html and "Agent" in html


def test_admin_home_shows_settings(login, admin_user):
    assert "Settings" in nav_of(login(admin_user).get(reverse("home")))


def test_staff_home_links_to_django_admin(login, staff):
    response = login(staff).get(reverse("home"))
    assert reverse("admin:index") in response.content.decode()
    assert "scheduler has not reported yet" in response.content.decode()


def test_staff_without_an_organization_see_no_settings_link(login, staff):
    # There is no organization of theirs to set up: the link answered 404.
    response = login(staff).get(reverse("home"))
    assert "Settings" not in nav_of(response)
    assert reverse("accounts:settings") not in response.content.decode()


def test_login_page_renders_and_rejects_wrong_password(client, agent):
    response = client.post(reverse("login"), {"username": "alice-agent", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content


def test_login_then_logout(client, agent):
    response = client.post(
        reverse("login"), {"username": "alice-agent", "password": "test-password"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_messages_show_as_dismissible_alerts(login, admin_user, org):
    response = login(admin_user).post(
        reverse("accounts:settings"),
        {
            "name": "Acme Ltd",
            "country": "gb",
            "time_zone": "Europe/London",
            "block_contacts_enabled": "on",
            "message_retention_days": "90",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Settings saved." in html and "alert-dismissible" in html
    org.refresh_from_db()
    assert (org.name, org.country, org.time_zone) == ("Acme Ltd", "GB", "Europe/London")
    assert org.block_contacts_enabled and not org.bot_enabled


def test_settings_rejects_unknown_country(login, admin_user, org):
    response = login(admin_user).post(
        reverse("accounts:settings"),
        {"name": "Acme", "country": "XX", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    assert "not a known country code" in response.content.decode()
    org.refresh_from_db()
    assert org.country == "US"


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("sms_long_code", "(415) 555-4559", "+14155554559"),
        ("whatsapp", "+1 415 555 0000", "+14155550000"),
        ("sms_short_code", "52 811", "52811"),
        ("email", " News@Demo.Example ", "news@demo.example"),
        ("rcs", "CompanyAgent", "CompanyAgent"),
    ],
)
def test_admin_adds_sender_normalised_for_its_kind(login, admin_user, org, kind, typed, stored):
    response = login(admin_user).post(
        reverse("accounts:sender-create"), {"kind": kind, "address": typed, "name": "New"}
    )
    assert response.status_code == 302
    assert Sender.objects.get(organization=org).address == stored


def test_sender_with_invalid_address_shows_error_next_to_field(login, admin_user, org):
    response = login(admin_user).post(
        reverse("accounts:sender-create"),
        {"kind": "sms_long_code", "address": "555-0123", "name": "Bad"},
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not Sender.objects.exists()


def test_duplicate_sender_address_is_refused(login, admin_user, sender):
    response = login(admin_user).post(
        reverse("accounts:sender-create"),
        {"kind": "sms_short_code", "address": "52811", "name": "Again"},
    )
    assert response.status_code == 200
    assert "Another sender of this organization has this address" in response.content.decode()


@pytest.mark.parametrize("url_name", ["accounts:subaccount-create", "accounts:subaccount-edit"])
def test_a_subaccount_name_already_taken_is_refused(login, admin_user, org, url_name):
    SubaccountFactory(organization=org, name="Marketing")
    other = SubaccountFactory(organization=org, name="Support")
    args = [other.pk] if url_name.endswith("edit") else []
    response = login(admin_user).post(
        reverse(url_name, args=args), {"name": "Marketing", "any_hour": "on"}
    )
    assert response.status_code == 200
    assert "Another subaccount of this organization has this name" in response.content.decode()
    assert org.subaccounts.filter(name="Marketing").count() == 1


def test_admin_sets_sending_hours_and_frequency_limit(login, admin_user, org):
    sub = SubaccountFactory(organization=org, name="Marketing")
    data = {
        "name": "Marketing",
        "frequency_limit_messages": "3",
        "frequency_limit_hours": "24",
        "hours_mon": "08:00-12:00, 14:00-20:00",
        "hours_tue": "09:00-17:00",
    }
    response = login(admin_user).post(reverse("accounts:subaccount-edit", args=[sub.pk]), data)
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.sending_hours == {
        "mon": [["08:00", "12:00"], ["14:00", "20:00"]],
        "tue": [["09:00", "17:00"]],
    }
    assert (sub.frequency_limit_messages, sub.frequency_limit_hours) == (3, 24)


def test_sending_hours_typos_are_shown(login, admin_user, org):
    sub = SubaccountFactory(organization=org, name="Marketing")
    response = login(admin_user).post(
        reverse("accounts:subaccount-edit", args=[sub.pk]),
        {"name": "Marketing", "hours_mon": "20:00-08:00"},
    )
    assert response.status_code == 200
    assert "is not before" in response.content.decode()
    sub.refresh_from_db()
    assert sub.sending_hours is None


def test_subaccount_of_other_org_is_404(login, other_admin, org):
    sub = SubaccountFactory(organization=org)
    response = login(other_admin).get(reverse("accounts:subaccount-edit", args=[sub.pk]))
    assert response.status_code == 404
    assert Subaccount.objects.get(pk=sub.pk).name == sub.name


def test_404_page_is_styled(login, admin_user):
    response = login(admin_user).get("/no-such-page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
