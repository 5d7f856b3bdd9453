"""The contacts pages: four checks per view, the feature flag, both places to block, the
Unblock All / Delete All dialog, roles, races through the views, and query-count guards."""

import csv
import io

import pytest
from django.urls import reverse

from contacts import services
from contacts.models import Contact, ContactEvent, Queue, Ticket, TicketMessage
from tests.factories import SenderFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def blocked_contact(blocking_on, contact, inbound, supervisor):
    services.block_contact(contact=contact, actor=supervisor, reason="spam")
    inbound(text="blocked 1")
    return Contact.objects.get(pk=contact.pk)


@pytest.fixture
def blocked_ticket(blocked_contact):
    return Ticket.objects.get(contact=blocked_contact, queue=Queue.BLOCKED)


# The four checks per view: (url name, args fixture or None, role that works, lower persona,
# allowed method, wrong method)
VIEWS = [
    ("contacts:index", None, "agent", None, "get", "post"),
    ("contacts:contact", "contact", "agent", None, "get", "post"),
    ("contacts:block", "contact", "agent", None, "get", "put"),
    ("contacts:unblock", "blocked_contact", "supervisor", "agent", "get", "put"),
    ("contacts:agent-dashboard", None, "agent", None, "get", "post"),
    ("contacts:supervisor-dashboard", None, "supervisor", "agent", "get", "post"),
    ("contacts:blocked-tickets", None, "supervisor", "agent", "get", "post"),
    ("contacts:ticket", "ticket", "agent", None, "get", "post"),
    ("contacts:take-ticket", "ticket", "agent", None, "post", "get"),
    ("contacts:unblock-ticket", "blocked_ticket", "supervisor", "agent", "post", "get"),
]


def _url(request, name, obj_fixture):
    if obj_fixture is None:
        return reverse(name)
    return reverse(name, args=[request.getfixturevalue(obj_fixture).pk])


@pytest.mark.parametrize("name,obj,role,lower,method,wrong", VIEWS)
def test_works_for_the_right_role(
    request, login, blocking_on, name, obj, role, lower, method, wrong
):
    user = request.getfixturevalue({"agent": "agent", "supervisor": "supervisor"}[role])
    response = getattr(login(user), method)(_url(request, name, obj))
    assert response.status_code in (200, 302)
    if method == "get":
        assert response.status_code == 200


@pytest.mark.parametrize("name,obj,role,lower,method,wrong", [v for v in VIEWS if v[3]])
def test_is_403_for_a_lower_role(request, login, agent, name, obj, role, lower, method, wrong):
    response = getattr(login(agent), method)(_url(request, name, obj))
    assert response.status_code == 403


@pytest.mark.parametrize("name,obj,role,lower,method,wrong", [v for v in VIEWS if v[1]])
def test_is_404_for_another_organization(
    request, login, other_org, name, obj, role, lower, method, wrong
):
    from tests.conftest import _member

    # The other organization's person has the role the view needs.
    outsider = _member("gina-other-supervisor", other_org, "supervisor")
    other_org.block_contacts_enabled = True
    other_org.save()
    response = getattr(login(outsider), method)(_url(request, name, obj))
    assert response.status_code == 404


@pytest.mark.parametrize("name,obj,role,lower,method,wrong", VIEWS)
def test_wrong_method_is_405(request, login, supervisor, name, obj, role, lower, method, wrong):
    response = getattr(login(supervisor), wrong)(_url(request, name, obj))
    assert response.status_code == 405


def test_other_organization_agent_cannot_see_the_contact(login, other_agent, contact):
    assert login(other_agent).get(reverse("contacts:contact", args=[contact.pk])).status_code == 404
    html = login(other_agent).get(reverse("contacts:index")).content.decode()
    assert contact.phone not in html


# The feature flag --------------------------------------------------------------------------


def test_flag_off_no_block_buttons_and_403(login, agent, contact, ticket):
    client = login(agent)
    for url in (
        reverse("contacts:contact", args=[contact.pk]),
        reverse("contacts:index"),
        reverse("contacts:agent-dashboard"),
        reverse("contacts:ticket", args=[ticket.pk]),
    ):
        assert "Block contact" not in client.get(url).content.decode()
        assert "Block…" not in client.get(url).content.decode()
    block_url = reverse("contacts:block", args=[contact.pk])
    for response in (client.get(block_url), client.post(block_url, {"reason": "spam"})):
        assert response.status_code == 403
        assert "Blocking contacts is turned off" in response.content.decode()
    contact.refresh_from_db()
    assert not contact.blocked


def test_flag_on_shows_block_buttons(login, agent, blocking_on, contact, ticket):
    client = login(agent)
    assert "Block contact" in client.get(reverse("contacts:contact", args=[contact.pk])).text
    assert "Block contact" in client.get(reverse("contacts:agent-dashboard")).text


# Blocking from both places -----------------------------------------------------------------


def test_agent_blocks_from_the_contact_page(login, agent, blocking_on, contact, ticket):
    url = reverse("contacts:block", args=[contact.pk])
    client = login(agent)
    dialog = client.get(url, **HTMX)
    assert dialog.status_code == 200 and "Reason" in dialog.text and "<html" not in dialog.text
    response = client.post(url, {"reason": "spam", "next": f"/contacts/{contact.pk}/"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/contacts/{contact.pk}/"
    page = client.get(response["HX-Redirect"]).text
    assert "is blocked. 1 ticket closed" in page
    contact.refresh_from_db()
    ticket.refresh_from_db()
    assert contact.blocked and contact.blocked_reason == "spam"
    assert ticket.queue == Queue.CLOSED
    assert "Blocked" in page and "alice-agent" in page  # the audit event on the contact page


def test_agent_blocks_from_the_dashboard(login, agent, blocking_on, contact, ticket):
    client = login(agent)
    dashboard = client.get(reverse("contacts:agent-dashboard")).text
    block_url = reverse("contacts:block", args=[contact.pk])
    assert block_url in dashboard
    response = client.post(block_url, {"reason": "abusive", "next": "/contacts/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/contacts/dashboard/"
    after = client.get("/contacts/dashboard/").text
    assert "is blocked" in after and f"#{ticket.pk}<" not in after
    assert Ticket.objects.get(pk=ticket.pk).queue == Queue.CLOSED


def test_block_needs_a_reason(login, agent, blocking_on, contact):
    response = login(agent).post(reverse("contacts:block", args=[contact.pk]), {"reason": ""})
    assert response.status_code == 200 and "This field is required" in response.text
    contact.refresh_from_db()
    assert not contact.blocked


def test_block_ignores_an_outside_next(login, agent, blocking_on, contact):
    response = login(agent).post(
        reverse("contacts:block", args=[contact.pk]),
        {"reason": "spam", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("contacts:contact", args=[contact.pk])


@pytest.mark.parametrize("bad", ["x", "contacts", "//evil.example/", "javascript:alert(1)"])
def test_block_goes_to_the_contact_for_a_next_that_is_not_a_path_of_the_site(
    login, agent, blocking_on, contact, bad
):
    response = login(agent).post(
        reverse("contacts:block", args=[contact.pk]), {"reason": "spam", "next": bad}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact", args=[contact.pk])


def test_blocking_twice_says_already_blocked(login, agent, blocked_contact):
    client = login(agent)
    response = client.post(
        reverse("contacts:block", args=[blocked_contact.pk]), {"reason": "x"}, follow=True
    )
    assert response.status_code == 200 and "already blocked" in response.text


def test_blocked_contact_moves_to_the_blocked_tab(login, supervisor, blocked_contact, inbound):
    inbound("+12125550100", "a friendly contact")
    client = login(supervisor)
    blocked_tab = client.get(reverse("contacts:index") + "?tab=blocked").text
    assert blocked_contact.phone in blocked_tab and "+12125550100" not in blocked_tab
    assert "Unblock…" in blocked_tab


def test_agents_do_not_get_the_blocked_tab(login, agent):
    response = login(agent).get(reverse("contacts:index") + "?tab=blocked")
    assert response.status_code == 403


# Blocked queue -----------------------------------------------------------------------------


def test_blocked_ticket_only_for_supervisors(login, agent, supervisor, blocked_ticket):
    url = reverse("contacts:ticket", args=[blocked_ticket.pk])
    assert login(agent).get(url).status_code == 403
    assert "blocked 1" in login(supervisor).get(url).text
    assert (
        "blocked 1"
        not in login(agent).get(reverse("contacts:contact", args=[blocked_ticket.contact_id])).text
    )


def test_supervisor_dashboard_counts_and_blocked_list(login, supervisor, blocked_ticket, inbound):
    inbound("+12125550100", "new one")
    html = login(supervisor).get(reverse("contacts:supervisor-dashboard")).text
    assert 'data-queue="blocked">1<' in html and 'data-queue="unassigned">1<' in html
    assert f"#{blocked_ticket.pk}<" in html and "Unblock ticket" in html


# Unblock ticket ----------------------------------------------------------------------------


@pytest.mark.parametrize("bot,queue", [(True, Queue.BOT), (False, Queue.UNASSIGNED)])
def test_supervisor_unblocks_a_ticket(login, org, supervisor, blocked_ticket, inbound, bot, queue):
    org.bot_enabled = bot
    org.save()
    client = login(supervisor)
    response = client.post(
        reverse("contacts:unblock-ticket", args=[blocked_ticket.pk]), follow=True
    )
    assert f"moved to {queue.label}" in response.text and "still blocked" in response.text
    blocked_ticket.refresh_from_db()
    assert blocked_ticket.queue == queue
    assert inbound(text="again").queue == Queue.BLOCKED
    again = client.post(reverse("contacts:unblock-ticket", args=[blocked_ticket.pk]), follow=True)
    assert again.status_code == 200 and "no longer blocked" in again.text


def test_agent_cannot_unblock(login, agent, blocked_ticket):
    client = login(agent)
    assert (
        client.post(reverse("contacts:unblock-ticket", args=[blocked_ticket.pk])).status_code == 403
    )
    unblock = reverse("contacts:unblock", args=[blocked_ticket.contact_id])
    assert client.post(unblock, {"choice": "unblock_all"}).status_code == 403
    assert Ticket.objects.get(pk=blocked_ticket.pk).queue == Queue.BLOCKED
    assert Contact.objects.get(pk=blocked_ticket.contact_id).blocked


# Unblock All / Delete All ------------------------------------------------------------------


@pytest.fixture
def three_blocked(blocked_contact, org, inbound):
    for n in range(2):
        inbound(text=f"spam {n}", to=SenderFactory(organization=org, address=f"5290{n}"))
    return blocked_contact


def test_dialog_shows_the_counts(login, supervisor, three_blocked):
    html = login(supervisor).get(reverse("contacts:unblock", args=[three_blocked.pk]), **HTMX).text
    assert 'data-testid="blocked-count">3<' in html
    assert "Unblock All (3)" in html and "Delete All (3)" in html
    assert "move to the Unassigned queue" in html


def test_unblock_all_through_the_dialog(login, supervisor, three_blocked):
    response = login(supervisor).post(
        reverse("contacts:unblock", args=[three_blocked.pk]),
        {"choice": "unblock_all", "next": "/contacts/?tab=blocked"},
        follow=True,
    )
    assert "unblocked; 3 tickets moved to Unassigned" in response.text
    assert Ticket.objects.filter(queue=Queue.UNASSIGNED, contact=three_blocked).count() == 3
    assert not Contact.objects.get(pk=three_blocked.pk).blocked


def test_delete_all_through_the_dialog(login, supervisor, three_blocked):
    response = login(supervisor).post(
        reverse("contacts:unblock", args=[three_blocked.pk]),
        {"choice": "delete_all", "next": "/contacts/?tab=blocked"},
        **HTMX,
    )
    assert response["HX-Redirect"] == "/contacts/?tab=blocked"
    assert not Ticket.objects.filter(queue=Queue.BLOCKED).exists()
    assert not TicketMessage.objects.filter(text__startswith="spam").exists()
    event = ContactEvent.objects.get(action="tickets_deleted")
    assert event.ticket_count == 3
    page = login(supervisor).get(reverse("contacts:contact", args=[three_blocked.pk])).text
    assert "Delete All" in page and "bob-supervisor" in page


def test_unblock_all_and_delete_all_at_once_through_the_views(
    login, supervisor, admin_user, three_blocked
):
    url = reverse("contacts:unblock", args=[three_blocked.pk])
    # Both opened the dialog while the contact was blocked.
    first, second = login(supervisor), login(admin_user)
    assert "Delete All (3)" in first.get(url).text and "Unblock All (3)" in second.get(url).text
    first.post(url, {"choice": "delete_all"})
    late = second.post(url, {"choice": "unblock_all"}, follow=True)
    assert late.status_code == 200 and "is not blocked" in late.text
    assert not Ticket.objects.filter(contact=three_blocked).exclude(queue=Queue.CLOSED).exists()
    assert ContactEvent.objects.filter(action__in=["unblocked", "tickets_deleted"]).count() == 1


def test_unblock_dialog_for_a_contact_not_blocked(login, supervisor, contact):
    html = login(supervisor).get(reverse("contacts:unblock", args=[contact.pk])).text
    assert "is not blocked: nothing to do" in html


def test_unblock_needs_a_choice(login, supervisor, three_blocked):
    response = login(supervisor).post(reverse("contacts:unblock", args=[three_blocked.pk]), {})
    assert response.status_code == 200 and "Choose Unblock All or Delete All" in response.text
    assert Contact.objects.get(pk=three_blocked.pk).blocked


# Agent dashboard ---------------------------------------------------------------------------


def test_agent_takes_a_ticket(login, agent, ticket):
    client = login(agent)
    assert "Take" in client.get(reverse("contacts:agent-dashboard")).text
    response = client.post(reverse("contacts:take-ticket", args=[ticket.pk]), follow=True)
    assert "is yours" in response.text
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.queue == Queue.ASSIGNED


# The contact page and the list -------------------------------------------------------------


def test_contact_page_loads_the_blocklist_panel(login, agent, contact, ticket):
    html = login(agent).get(reverse("contacts:contact", args=[contact.pk])).text
    assert reverse("blocklists:subscriber-panel") + "?address=%2B14155550123" in html
    assert "I need help" in html and f"#{ticket.pk}" in html


def test_contact_page_is_a_dialog_for_htmx(login, agent, contact):
    html = login(agent).get(reverse("contacts:contact", args=[contact.pk]), **HTMX).text
    assert "<html" not in html and 'data-testid="contact-360"' in html


@pytest.mark.parametrize("typed", ["(415) 555-0123", "415555", "Jane", "jane@example.com"])
def test_search_by_number_name_or_email(login, agent, org, inbound, typed):
    contact = inbound().contact
    Contact.objects.filter(pk=contact.pk).update(name="Jane Doe", email="jane@example.com")
    inbound("+12125550100")
    html = login(agent).get(reverse("contacts:index"), {"q": typed}).text
    assert "Jane Doe" in html and "+12125550100" not in html


def test_search_partial_for_htmx(login, agent, contact):
    html = login(agent).get(reverse("contacts:index"), {"q": "415"}, **HTMX).text
    assert html.lstrip().startswith('<div id="results"') and contact.phone in html


def test_export_csv(login, agent, contact):
    response = login(agent).get(reverse("contacts:index"), {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Phone", "Email"] and rows[1][1] == "+14155550123"


def test_export_xlsx(login, agent, contact):
    response = login(agent).get(reverse("contacts:index"), {"_export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# Query counts ------------------------------------------------------------------------------


@pytest.fixture
def many(blocking_on, org, inbound, supervisor):
    for n in range(30):
        ticket = inbound(f"+1415555{1000 + n}", f"message {n}")
        if n % 3 == 0:
            services.block_contact(contact=ticket.contact, actor=supervisor, reason="spam")
            inbound(f"+1415555{1000 + n}", "blocked")


@pytest.mark.parametrize(
    "name,query",
    [
        ("contacts:index", ""),
        ("contacts:index", "?tab=blocked"),
        ("contacts:index", "?q=415"),
        ("contacts:supervisor-dashboard", ""),
        ("contacts:blocked-tickets", ""),
        ("contacts:agent-dashboard", ""),
    ],
)
def test_list_pages_query_count(
    login, supervisor, many, django_assert_max_num_queries, name, query
):
    client = login(supervisor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse(name) + query)
    assert response.status_code == 200
