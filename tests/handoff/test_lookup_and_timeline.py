"""Message Lookup and the number timeline."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blocklists import interceptions, keywords, services
from contacts.services import route_inbound
from messaging.models import Message
from messaging.services import create_batch
from messaging.statuses import MessageStatus
from tests.factories import SenderFactory

NUMBER = "+14155550123"
OTHER = "+14155550124"


@pytest.fixture
def long_code(org):
    return SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")


@pytest.fixture
def history(org, sender, long_code):
    """Two batches, one failed message, one inbound reply, a STOP, an interception."""
    create_batch(organization=org, sender=sender, subscribers=[NUMBER, OTHER], text="Sale today")
    batch = create_batch(
        organization=org, sender=long_code, subscribers=[NUMBER], text="Your code is 1234"
    )
    Message.objects.filter(batch=batch).update(status="send_failed", failure_code=510)
    now = timezone.now()
    Message.objects.create(
        organization=org,
        sender=sender,
        direction="inbound",
        channel="sms_short_code",
        subscriber=NUMBER,
        text="STOP",
        status="received",
        requested_at=now,
        updated_at=now,
    )
    keywords.handle_inbound_text(organization=org, sender=sender, subscriber=NUMBER, text="STOP")
    interceptions.intercept_from_failure(number=NUMBER, code=510, organization=org)
    route_inbound(organization=org, sender=sender, address=NUMBER, text="hello?", channel="sms")


URL = "/handoff/messages/"


def test_url_is_the_one_the_issue_names():
    assert reverse("handoff:messages") == URL


@pytest.mark.parametrize("typed", ["(415) 555-0123", "+1 415 555 0123", "415.555.0123"])
def test_lookup_by_number_typed_any_way(login, agent, history, typed):
    html = login(agent).get(URL, {"customer_number": typed}).content.decode()
    assert html.count(f">{NUMBER}</a>") == 3 and OTHER not in html
    for header in (
        "Customer number",
        "Channel",
        "Direction",
        "Message Type",
        "Priority",
        "Status",
        "Message Text",
        "Created At",
        "Updated At",
    ):
        assert header in html


def test_lookup_by_channel(login, agent, history, long_code):
    html = login(agent).get(URL, {"channel": long_code.pk}).content.decode()
    assert "Your code is 1234" in html and "Sale today" not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"direction": "inbound"}, 1),
        ({"status": "send_failed"}, 1),
        ({"type": "sms_long_code"}, 1),
        ({"created_from": "2000-01-01"}, 4),
        ({"created_to": "2000-01-01"}, 0),
    ],
)
def test_lookup_filters(login, agent, history, params, expected):
    response = login(agent).get(URL, params)
    assert response.content.decode().count("/handoff/numbers/+1415555012") == expected


def test_lookup_invalid_number_says_so(login, agent, history):
    html = login(agent).get(URL, {"customer_number": "555-0123"}).content.decode()
    assert "is not a valid phone number" in html


def test_lookup_export_equals_the_table(login, agent, history):
    response = login(agent).get(URL, {"customer_number": NUMBER, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {NUMBER}
    assert sorted(r[6] for r in rows[1:]) == ["STOP", "Sale today", "Your code is 1234"]


def test_lookup_isolation(login, other_agent, history):
    html = login(other_agent).get(URL, {"customer_number": NUMBER}).content.decode()
    assert "Sale today" not in html and "No message to or from" in html
    message = Message.objects.filter(subscriber=NUMBER).first()
    assert (
        login(other_agent).get(reverse("messaging:message", args=[message.pk])).status_code == 404
    )


def test_lookup_wrong_method(login, agent):
    assert login(agent).post(URL).status_code == 405


def test_timeline_tells_the_whole_story(login, agent, history):
    html = login(agent).get(reverse("handoff:number", args=[NUMBER])).content.decode()
    assert 'data-kind="message_out"' in html and 'data-kind="message_in"' in html
    assert "STOP to 52811" in html  # the keyword and the sender it went to
    assert "Added to the blocklist of 52811" in html and "OPT-OUT" in html
    assert "Interception created (Global, code 510" in html
    assert "Sale today" in html and "Your code is 1234" in html
    assert "Ticket" in html  # the contact's ticket from route_inbound
    assert "Intercepted</span> Global" in html


def test_timeline_says_what_each_item_is_and_when_in_the_organizations_zone(
    login, agent, org, history
):
    org.time_zone = "America/New_York"
    org.save(update_fields=["time_zone"])
    inbound = Message.objects.get(subscriber=NUMBER, direction="inbound")
    html = login(agent).get(reverse("handoff:number", args=[NUMBER])).content.decode()
    badges = re.findall(r'<span class="badge text-bg-\w+">([^<]+)</span>', html)
    assert {"Received", "Sent", "Keyword", "Blocklist", "Interception"} <= set(badges)
    local = inbound.requested_at.astimezone(org.zone)
    assert f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}" in html  # EST or EDT, not UTC
    assert local.tzname() in ("EST", "EDT")


def test_timeline_order_is_newest_first(agent, history):
    from accounts.access import Actor
    from handoff.timeline import number_timeline

    items = number_timeline(Actor.for_user(agent), NUMBER).items
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)


def test_timeline_accepts_any_format_and_isolates(login, agent, other_agent, history):
    assert login(agent).get("/handoff/numbers/4155550123/").status_code == 200
    html = login(other_agent).get(reverse("handoff:number", args=[NUMBER])).content.decode()
    assert "Sale today" not in html and "blocklist of 52811" not in html
    assert "Interception created (Global" in html  # global interceptions are everyone's


def test_timeline_of_nonsense_is_404(login, agent):
    assert login(agent).get("/handoff/numbers/hello/").status_code == 404


def test_timeline_after_revert_shows_who_and_consent(login, agent, admin_user, sender):
    from blocklists.models import ConsentText

    entry = services.opt_out(sender=sender, subscriber=NUMBER).entry
    services.revert_entry(
        entry_id=entry.pk,
        sender=sender,
        actor=admin_user,
        consent=ConsentText.current("revert"),
    )
    html = login(agent).get(reverse("handoff:number", args=[NUMBER])).content.decode()
    assert "Reverted from the blocklist of 52811" in html and "by carol-admin" in html
    assert "consent v1" in html


def test_timeline_empty_number(login, agent):
    html = login(agent).get(reverse("handoff:number", args=["+14155550199"])).content.decode()
    assert "Nothing has happened with this number yet" in html


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"type": "sms_long_code"}, "Your code", "Sale today"),
        ({"file_name": "june"}, "Sale today", "Your code"),
        ({"q": "your code"}, "Your code", "Sale today"),
    ],
)
def test_messages_sent_filters(login, agent, org, sender, long_code, params, shown, hidden):
    create_batch(
        organization=org,
        sender=sender,
        subscribers=[NUMBER],
        text="Sale today",
        label="Sale today",
        file_name="june-list.csv",
        trigger="file",
    )
    create_batch(
        organization=org, sender=long_code, subscribers=[NUMBER], text="x", label="Your code"
    )
    html = login(agent).get(reverse("handoff:batches"), params).content.decode()
    assert shown in html and hidden not in html


def statuses_listed(html):
    return re.findall(r'title="[^"]*">([^<]+)</a></td>', html)


def test_without_a_number_only_created_at_sorts(login, agent, history):
    """Sorting by another column reads and sorts every matching message (seconds at
    10M): the headers stop offering it, a sort in the URL is ignored, the page says why."""
    html = login(agent).get(URL, {"sort": "status"}).content.decode()
    head = html.split("<thead")[1].split("</thead>")[0]
    assert 'data-testid="sort-limit"' in html and "Enter a number to sort" in html
    assert "sort=status" not in head and "sort=requested_at" in head
    newest_first = list(
        Message.objects.order_by("-requested_at", "-id").values_list("status", flat=True)
    )
    assert statuses_listed(html) == [MessageStatus(s).label for s in newest_first]
    assert len(newest_first) == 4 and sorted(newest_first) != newest_first


def test_a_numbers_messages_sort_by_any_column(login, agent, history):
    html = login(agent).get(URL, {"customer_number": NUMBER, "sort": "status"}).content.decode()
    head = html.split("<thead")[1].split("</thead>")[0]
    assert 'data-testid="sort-limit"' not in html and "sort=-status" in head
    shown = statuses_listed(html)
    assert shown == sorted(shown) and len(shown) == 3


def test_a_number_with_too_many_messages_sorts_by_created_at_only(
    login, agent, history, monkeypatch
):
    monkeypatch.setattr("handoff.sorting.SORT_LIMIT", 2)
    html = login(agent).get(URL, {"customer_number": NUMBER, "sort": "status"}).content.decode()
    head = html.split("<thead")[1].split("</thead>")[0]
    assert 'data-testid="sort-limit"' in html and "sort=status" not in head


@pytest.mark.parametrize(
    "params",
    [
        {"direction": "inbound", "status": "delivered"},  # no reply is ever delivered
        {"type": "whatsapp"},  # a type the organization never sent or received
        {"status": "send_failed", "created_from": "2000-01-01", "created_to": "2000-01-02"},
    ],
)
def test_a_combination_the_counts_never_saw_reads_no_message(login, agent, history, params):
    """The hourly counts answer "nothing matches" without reading the messages, which
    at 10M messages meant reading them all (1–2 s)."""
    client = login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, params).content.decode()
    assert "No messages with these filters" in html
    assert not [q for q in queries if 'FROM "messaging_message"' in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {**params, "_export": "csv"})
        exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert exported.strip().count("\n") == 0  # the header only
    assert not [q for q in queries if 'FROM "messaging_message"' in q["sql"]]


def test_a_channel_of_another_type_matches_nothing(login, agent, history, long_code):
    html = login(agent).get(URL, {"channel": long_code.pk, "type": "sms_short_code"}).content
    assert "No messages with these filters" in html.decode()
    html = login(agent).get(URL, {"channel": long_code.pk, "type": "sms_long_code"}).content
    assert "Your code is 1234" in html.decode()


def test_a_channel_alone_reads_no_hourly_counts(login, agent, history, long_code):
    """The channel's own index lists its messages newest first: the counts of its
    type would only cost a query (3 ms at the seeded 10M messages)."""
    client = login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"channel": long_code.pk}).content.decode()
    assert "Your code is 1234" in html and "Sale today" not in html
    assert not [q for q in queries if "messaging_messagecount" in q["sql"]]
    # With a status as well, the counts still rule out the hours without one.
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"channel": long_code.pk, "status": "delivered"}).content
    assert "No messages with these filters" in html.decode()
    assert [q for q in queries if "messaging_messagecount" in q["sql"]]
