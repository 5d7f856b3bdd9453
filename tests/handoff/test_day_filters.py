"""From/To days on Message Lookup and SMS Replies: the viewer's days, read as index ranges."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from handoff.lookups import MessageLookupFilter
from handoff.replies import ReplyFilter
from messaging.models import Message

PAGES = {
    "lookup": ("/handoff/messages/", "created_from", "created_to"),
    "replies": ("/handoff/replies/", "received_from", "received_to"),
}


def rows(html):
    return html.count('href="/handoff/numbers/')


@pytest.fixture
def around_a_day(org, sender):
    """Four replies around one day three days ago in Los Angeles (8 hours behind UTC):
    30 minutes before it starts, 30 minutes in, 30 minutes before it ends, 30 after."""
    org.time_zone = "America/Los_Angeles"
    org.save()
    day = timezone.now().astimezone(org.zone).date() - dt.timedelta(days=3)
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=org.zone)
    for n, minutes in enumerate((-30, 30, 23 * 60 + 30, 24 * 60 + 30)):
        at = midnight + dt.timedelta(minutes=minutes)
        Message.objects.create(
            organization=org,
            sender=sender,
            direction="inbound",
            channel=sender.kind,
            subscriber=f"+1415555010{n}",
            text=f"reply {n}",
            status="received",
            requested_at=at,
            updated_at=at,
        )
    return day


@pytest.mark.parametrize("page", PAGES)
def test_a_day_is_the_viewers_day(login, agent, around_a_day, page):
    url, since, until = PAGES[page]
    day = around_a_day.isoformat()
    client = login(agent)
    html = client.get(url, {since: day, until: day}).content.decode()
    assert rows(html) == 2
    assert "reply 1" in html and "reply 2" in html
    assert rows(client.get(url, {since: day}).content.decode()) == 3
    assert rows(client.get(url, {until: day}).content.decode()) == 3


@pytest.mark.parametrize("page", PAGES)
def test_the_last_and_first_days_a_date_can_hold(login, agent, around_a_day, page):
    url, since, until = PAGES[page]
    client = login(agent)
    response = client.get(url, {since: "0001-01-01", until: "9999-12-31"})
    assert response.status_code == 200
    assert rows(response.content.decode()) == 4
    assert rows(client.get(url, {since: "9999-12-31"}).content.decode()) == 0


@pytest.mark.postgresql
@pytest.mark.parametrize("page", PAGES)
def test_the_days_are_an_index_range_on_the_request_time(org, page, around_a_day):
    """A date cast of requested_at could not use an index: at 10M messages a "To" day
    weeks back read every message of the organization."""
    day = around_a_day.isoformat()
    queryset = Message.objects.filter(organization=org)
    if page == "lookup":
        filterset = MessageLookupFilter(
            {"created_to": day}, queryset=queryset, senders=org.senders.all(), country="US"
        )
    else:
        filterset = ReplyFilter(
            {"received_to": day}, queryset=queryset.filter(direction="inbound"), country="US"
        )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test table is tiny
        plan = filterset.qs.order_by("-requested_at", "-id")[:51].explain()
    condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "requested_at <" in condition, plan


def test_the_counts_behind_message_lookup_see_the_same_day(login, agent, around_a_day):
    """With a direction, type or status, Message Lookup first asks the hourly counts
    whether anything matches in the period: they must agree with the table."""
    url, since, until = PAGES["lookup"]
    day = around_a_day.isoformat()
    params = {since: day, until: day, "direction": "inbound", "status": "received"}
    assert rows(login(agent).get(url, params).content.decode()) == 2
