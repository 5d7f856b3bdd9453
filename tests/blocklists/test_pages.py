"""The blocklist pages: list, search, filters, export, consent dialogs, add, revert, history."""

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from blocklists import services
from blocklists.consent import issue_consent_token
from blocklists.models import BlocklistEntry, BlocklistEvent, ConsentText, Reason
from tests.factories import SenderFactory


def list_url(sender, **params):
    from django.utils.http import urlencode

    return reverse("blocklists:index") + "?" + urlencode({"sender": sender.pk, **params})


@pytest.fixture
def entries(sender):
    numbers = ["+14155550123", "+14155550124", "+12125550199", "+447911123456"]
    for n, number in enumerate(numbers):
        services.add_entry(
            sender=sender,
            subscriber=number,
            reason=Reason.SUBSCRIBER_COMPLAINT if n % 2 else Reason.LIST_CLEANUP,
            source="csv" if n == 3 else "manual",
        )
    return numbers


def add_token(user):
    return issue_consent_token(user=user, consent=ConsentText.current("add"))


# The list ---------------------------------------------------------------------------------


def test_agent_sees_the_list_of_a_sender(login, agent, sender, entries):
    response = login(agent).get(list_url(sender))
    html = response.content.decode()
    assert response.status_code == 200
    for header in ("Subscriber", "Reason", "Source", "Exclusion Date", "Actions"):
        assert header in html
    for number in entries:
        assert number in html
    assert "Revert" not in html and "Add to blocklist" not in html


def test_list_is_404_for_another_organizations_sender(login, other_agent, sender, entries):
    assert login(other_agent).get(list_url(sender)).status_code == 404


def test_list_wrong_method_is_405(login, agent, sender):
    assert login(agent).post(list_url(sender)).status_code == 405


def test_sender_dropdown_lists_only_own_senders_grouped(login, agent, sender, other_sender, org):
    SenderFactory(organization=org, kind="email", address="news@acme.example", name="News")
    html = login(agent).get(reverse("blocklists:index")).content.decode()
    assert 'optgroup label="SMS short code"' in html and 'optgroup label="Email"' in html
    assert "news@acme.example — News" in html
    assert other_sender.address not in html


@pytest.mark.parametrize(
    "typed", ["(415) 555-0123", "415.555.0123", "+1 415 555 0123", "14155550123"]
)
def test_search_finds_a_number_typed_any_way(login, agent, sender, entries, typed):
    html = login(agent).get(list_url(sender, q=typed)).content.decode()
    assert "+14155550123" in html
    assert "+14155550124" not in html and "+12125550199" not in html


def test_search_by_digit_prefix(login, agent, sender, entries):
    html = login(agent).get(list_url(sender, q="415555")).content.decode()
    assert "+14155550123" in html and "+14155550124" in html
    assert "+12125550199" not in html


def test_search_for_nonsense_says_so(login, agent, sender, entries):
    html = login(agent).get(list_url(sender, q="hello")).content.decode()
    assert "is not a phone number" in html


def test_search_without_match_says_what_was_searched(login, agent, sender, entries):
    html = login(agent).get(list_url(sender, q="3125550100")).content.decode()
    assert "No entry for “3125550100”" in html


def test_reason_and_source_filters(login, agent, sender, entries):
    html = login(agent).get(list_url(sender, reason="list_cleanup")).content.decode()
    assert "+14155550123" in html and "+12125550199" in html and "+14155550124" not in html
    html = login(agent).get(list_url(sender, source="csv")).content.decode()
    assert "+447911123456" in html and "+14155550123" not in html


def test_htmx_request_gets_only_the_results(login, agent, sender, entries):
    response = login(agent).get(list_url(sender, q="415"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<nav" not in html


def test_sorting_by_subscriber(login, agent, sender, entries):
    html = login(agent).get(list_url(sender, sort="subscriber")).content.decode()
    assert html.index("+12125550199") < html.index("+14155550123") < html.index("+447911123456")


def test_paging_does_not_count_the_table(login, agent, sender, django_assert_max_num_queries):
    for n in range(60):
        services.opt_out(sender=sender, subscriber=f"+1415555{n:04d}")
    client = login(agent)
    with django_assert_max_num_queries(8) as captured:
        response = client.get(list_url(sender, page=2))
    assert response.status_code == 200
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert response.content.decode().count("<tr") == 11  # header + 10 rows on page 2


def test_export_csv_of_filtered_rows(login, agent, sender, entries):
    response = login(agent).get(list_url(sender, q="415555", _export="csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Subscriber", "Reason", "Source", "Exclusion Date", "Added by"]
    assert sorted(r[0] for r in rows[1:]) == ["+14155550123", "+14155550124"]


def test_export_xlsx(login, agent, sender, entries):
    response = login(agent).get(list_url(sender, _export="xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == sorted(entries)


# Add ---------------------------------------------------------------------------------------


def test_add_opens_the_consent_dialog_first(login, supervisor, sender):
    html = login(supervisor).get(reverse("blocklists:add", args=[sender.pk])).content.decode()
    assert ConsentText.current("add").text in html
    assert "I confirm" in html and 'name="subscriber"' not in html


def test_confirming_consent_shows_the_tabs(login, supervisor, sender):
    response = login(supervisor).post(
        reverse("blocklists:add", args=[sender.pk]),
        {"step": "consent", "confirm": "yes", "version": "1"},
    )
    html = response.content.decode()
    assert 'name="subscriber"' in html and 'name="consent_token"' in html
    assert "Upload CSV file" not in html  # supervisors do not upload


def test_admin_sees_the_upload_tab(login, admin_user, sender):
    response = login(admin_user).post(
        reverse("blocklists:add", args=[sender.pk]),
        {"step": "consent", "confirm": "yes", "version": "1"},
    )
    assert "Upload CSV file" in response.content.decode()


def test_posting_without_the_consent_adds_nothing(login, supervisor, sender):
    response = login(supervisor).post(
        reverse("blocklists:add", args=[sender.pk]),
        {"step": "single", "subscriber": "4155550123", "reason": "support_request"},
    )
    assert response.status_code == 200
    assert "confirm it again" in response.content.decode()
    assert not BlocklistEntry.objects.exists()


def test_forged_or_foreign_consent_token_adds_nothing(login, supervisor, admin_user, sender):
    for token in ("forged", add_token(admin_user)):
        login(supervisor).post(
            reverse("blocklists:add", args=[sender.pk]),
            {
                "step": "single",
                "subscriber": "4155550123",
                "reason": "support_request",
                "consent_token": token,
            },
        )
    assert not BlocklistEntry.objects.exists()


def test_supervisor_adds_a_subscriber(login, supervisor, sender):
    client = login(supervisor)
    response = client.post(
        reverse("blocklists:add", args=[sender.pk]),
        {
            "step": "single",
            "subscriber": "(415) 555-0123",
            "reason": "support_request",
            "country": "US",
            "consent_token": add_token(supervisor),
        },
        follow=True,
    )
    assert "+14155550123 added to the blocklist of 52811" in response.content.decode()
    event = BlocklistEvent.objects.get()
    assert event.consent.version == 1 and event.actor_name == "bob-supervisor"


def test_country_dropdown_reads_national_numbers(login, supervisor, sender):
    login(supervisor).post(
        reverse("blocklists:add", args=[sender.pk]),
        {
            "step": "single",
            "subscriber": "07911 123456",
            "reason": "support_request",
            "country": "GB",
            "consent_token": add_token(supervisor),
        },
    )
    assert BlocklistEntry.objects.get().subscriber == "+447911123456"


def test_invalid_number_is_shown_next_to_the_field(login, supervisor, sender):
    response = login(supervisor).post(
        reverse("blocklists:add", args=[sender.pk]),
        {
            "step": "single",
            "subscriber": "555-0123",
            "reason": "support_request",
            "country": "US",
            "consent_token": add_token(supervisor),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "invalid-feedback" in html
    assert not BlocklistEntry.objects.exists()


def test_duplicate_add_says_nothing_changed(login, supervisor, sender, entries):
    response = login(supervisor).post(
        reverse("blocklists:add", args=[sender.pk]),
        {
            "step": "single",
            "subscriber": "4155550123",
            "reason": "support_request",
            "country": "US",
            "consent_token": add_token(supervisor),
        },
        follow=True,
    )
    assert "already on the blocklist" in response.content.decode()
    assert BlocklistEntry.objects.filter(subscriber="+14155550123").count() == 1


def test_htmx_add_redirects_the_page(login, supervisor, sender):
    response = login(supervisor).post(
        reverse("blocklists:add", args=[sender.pk]),
        {
            "step": "single",
            "subscriber": "4155550123",
            "reason": "support_request",
            "country": "US",
            "consent_token": add_token(supervisor),
        },
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"] == list_url(sender)


def test_agent_cannot_add(login, agent, sender):
    client = login(agent)
    assert client.get(reverse("blocklists:add", args=[sender.pk])).status_code == 403
    response = client.post(
        reverse("blocklists:add", args=[sender.pk]),
        {
            "step": "single",
            "subscriber": "4155550123",
            "reason": "support_request",
            "consent_token": add_token(agent),
        },
    )
    assert response.status_code == 403 and not BlocklistEntry.objects.exists()


def test_add_to_other_organizations_sender_is_404(login, other_admin, sender):
    response = login(other_admin).get(reverse("blocklists:add", args=[sender.pk]))
    assert response.status_code == 404


def test_add_wrong_method_is_405(login, supervisor, sender):
    assert login(supervisor).delete(reverse("blocklists:add", args=[sender.pk])).status_code == 405


# Revert ------------------------------------------------------------------------------------


@pytest.fixture
def entry(sender):
    return services.opt_out(sender=sender, subscriber="+14155550123").entry


def revert_url(entry):
    return reverse("blocklists:revert", args=[entry.sender_id, entry.pk])


def test_admin_sees_revert_in_actions(login, admin_user, sender, entry):
    assert "Revert" in login(admin_user).get(list_url(sender)).content.decode()


def test_revert_dialog_shows_the_consent_text(login, admin_user, entry):
    html = login(admin_user).get(revert_url(entry)).content.decode()
    assert ConsentText.current("revert").text in html


def test_revert_without_confirmation_changes_nothing(login, admin_user, entry):
    response = login(admin_user).post(revert_url(entry), {"consent_version": "1"})
    assert "Tick the box" in response.content.decode()
    assert BlocklistEntry.objects.filter(pk=entry.pk).exists()


def test_admin_reverts_with_consent(login, admin_user, entry):
    response = login(admin_user).post(
        revert_url(entry),
        {"consent_version": "1", "confirm": "on", "note": "phoned in"},
        follow=True,
    )
    assert "can receive messages from 52811 again" in response.content.decode()
    assert not BlocklistEntry.objects.exists()
    event = BlocklistEvent.objects.filter(action="reverted").get()
    assert (event.actor_name, event.note, event.consent.purpose) == (
        "carol-admin",
        "phoned in",
        "revert",
    )


def test_second_revert_is_harmless(login, admin_user, entry):
    client = login(admin_user)
    data = {"consent_version": "1", "confirm": "on"}
    client.post(revert_url(entry), data)
    response = client.post(revert_url(entry), data, follow=True)
    assert "nothing changed" in response.content.decode()
    assert BlocklistEvent.objects.filter(action="reverted").count() == 1


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_revert_is_403_below_admin(login, request, persona, entry):
    user = request.getfixturevalue(persona)
    response = login(user).post(revert_url(entry), {"consent_version": "1", "confirm": "on"})
    assert response.status_code == 403
    assert BlocklistEntry.objects.filter(pk=entry.pk).exists()


def test_revert_of_other_organization_is_404(login, other_admin, entry):
    response = login(other_admin).post(revert_url(entry), {"consent_version": "1", "confirm": "on"})
    assert response.status_code == 404
    assert BlocklistEntry.objects.filter(pk=entry.pk).exists()


def test_revert_wrong_method_is_405(login, admin_user, entry):
    assert login(admin_user).put(revert_url(entry)).status_code == 405


# History -----------------------------------------------------------------------------------


def test_history_across_senders_after_revert(login, agent, admin_user, org, sender, entry):
    long_code = SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")
    services.opt_out(sender=long_code, subscriber="+14155550123")
    services.revert_entry(
        entry_id=entry.pk,
        sender=sender,
        actor=admin_user,
        consent=ConsentText.current("revert"),
    )
    response = login(agent).get(reverse("blocklists:history"), {"subscriber": "(415) 555-0123"})
    html = response.content.decode()
    assert html.count("<td>Added</td>") == 2 and html.count("<td>Reverted</td>") == 1
    assert "+14155554559" in html and "52811" in html


def test_history_never_shows_other_organizations(login, other_agent, entry):
    html = (
        login(other_agent)
        .get(reverse("blocklists:history"), {"subscriber": "+14155550123"})
        .content.decode()
    )
    assert "No blocklist events" in html and "52811" not in html


def test_history_wrong_method_is_405(login, agent):
    assert login(agent).post(reverse("blocklists:history")).status_code == 405


# Subscriber panel (used by the contact page) -----------------------------------------------


def test_subscriber_panel_lists_entries_of_the_addresses(login, agent, sender, entries):
    response = login(agent).get(
        reverse("blocklists:subscriber-panel"),
        {"address": ["+14155550123", "nobody@example.com"]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "+14155550123" in html and "+14155550124" not in html


def test_subscriber_panel_is_scoped(login, other_agent, sender, entries):
    html = (
        login(other_agent)
        .get(reverse("blocklists:subscriber-panel"), {"address": "+14155550123"})
        .content.decode()
    )
    assert "Not on any blocklist" in html


def test_subscriber_panel_wrong_method_is_405(login, agent):
    assert login(agent).post(reverse("blocklists:subscriber-panel")).status_code == 405


def test_reason_and_source_sort_the_entries_of_a_search_only(
    login, agent, sender, entries, monkeypatch
):
    """No index keeps reason or source in order: sorting a sender's 200,000 entries by
    one took 120 ms. Without a search the sort is ignored and the page says why."""
    client = login(agent)
    html = client.get(list_url(sender, sort="-reason")).content.decode()
    head = html.split("<thead")[1].split("</thead>")[0]
    assert 'data-testid="sort-limit"' in html and "sort=reason" not in head
    assert "sort=subscriber" in head and "sort=excluded_at" in head
    newest_first = ["+447911123456", "+12125550199", "+14155550124", "+14155550123"]
    assert [n for n in re.findall(r">(\+\d+)<", html) if n in newest_first] == newest_first
    html = client.get(list_url(sender, q="+1415", sort="-reason")).content.decode()
    head = html.split("<thead")[1].split("</thead>")[0]
    assert 'data-testid="sort-limit"' not in html and "sort=reason" in head
    assert html.index("+14155550124") < html.index("+14155550123")  # complaint, cleanup
    monkeypatch.setattr("blocklists.views.SORT_LIMIT", 1)
    html = client.get(list_url(sender, q="+1415", sort="-reason")).content.decode()
    assert 'data-testid="sort-limit"' in html
