"""SMS Replies: inbound messages with the template of the message they answer."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.inbound import process_inbound, receive_inbound
from messaging.models import Message
from messaging.services import create_batch

URL = "/handoff/replies/"


@pytest.fixture
def replies(org, sender):
    before = timezone.now() - dt.timedelta(minutes=5)
    batch = create_batch(
        organization=org,
        sender=sender,
        subscribers=["+14155550101"],
        text="Your order shipped",
        template="shipping",
        label="orders",
    )
    Message.objects.filter(batch=batch).update(status="delivered", sent_at=before)
    for number, text, provider_id in (
        ("+14155550101", "Thanks, got it", "in-1"),
        ("+14155550102", "Who is this?", "in-2"),
    ):
        received = receive_inbound(
            sender=sender, subscriber=number, text=text, provider_message_id=provider_id
        )
        process_inbound(message_id=received.message.pk)  # what the worker does next


def test_replies_show_the_template_replied_to(login, agent, replies):
    html = login(agent).get(URL).content.decode()
    assert "Thanks, got it" in html and "shipping" in html and "Who is this?" in html
    for header in ("Time", "Operator", "Replied to template", "Content"):
        assert header in html


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"number": "(415) 555-0102"}, "Who is this?", "Thanks, got it"),
        ({"template": "Shipping"}, "Thanks, got it", "Who is this?"),
        ({"label": "orders"}, "Thanks, got it", "Who is this?"),
    ],
)
def test_reply_filters(login, agent, replies, params, shown, hidden):
    html = login(agent).get(URL, params).content.decode()
    assert shown in html and hidden not in html


def test_reply_period_filter(login, agent, replies):
    assert "No replies" in login(agent).get(URL, {"received_to": "2000-01-01"}).content.decode()


def test_replies_export_and_isolation(login, agent, other_agent, replies):
    response = login(agent).get(URL, {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert sorted(r[4] for r in rows[1:]) == ["Thanks, got it", "Who is this?"]
    assert "Thanks, got it" not in login(other_agent).get(URL).content.decode()
    assert login(agent).post(URL).status_code == 405


def test_the_template_replied_to_is_stored_when_the_worker_processes_the_reply(org, sender):
    """SMS Replies filters by what the worker stored (indexed), not by a subquery per
    row: the last message sent that number from that sender before the reply."""
    now = timezone.now()
    for template, label, minutes_ago in (("old", "a", 30), ("shipping", "orders", 10)):
        batch = create_batch(
            organization=org,
            sender=sender,
            subscribers=["+14155550101"],
            text="x",
            template=template,
            label=label,
        )
        Message.objects.filter(batch=batch).update(sent_at=now - dt.timedelta(minutes=minutes_ago))
    later = create_batch(organization=org, sender=sender, subscribers=["+14155550101"], text="y")
    Message.objects.filter(batch=later).update(sent_at=now + dt.timedelta(minutes=5))
    replies = [
        receive_inbound(sender=sender, subscriber=number, text="ok", provider_message_id=ref)
        for number, ref in (("+14155550101", "r-1"), ("+14155550109", "r-2"))
    ]
    assert replies[0].message.replied_template is None  # not processed yet
    for reply in replies:
        process_inbound(message_id=reply.message.pk)
    answered, stranger = (Message.objects.get(pk=r.message.pk) for r in replies)
    assert (answered.replied_template, answered.replied_label) == ("shipping", "orders")
    assert (stranger.replied_template, stranger.replied_label) == (None, None)


def test_the_migration_stores_it_for_the_replies_already_there(org, sender, replies):
    import importlib

    from django.db import connection

    migration = importlib.import_module("messaging.migrations.0008_replied_template_and_label")
    Message.objects.filter(direction="inbound").update(replied_template=None, replied_label=None)
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    stored = dict(
        Message.objects.filter(direction="inbound").values_list("text", "replied_template")
    )
    assert stored == {"Thanks, got it": "shipping", "Who is this?": None}


@pytest.mark.postgresql
@pytest.mark.parametrize("name", ["template", "label"])
def test_the_replied_filters_can_use_their_partial_indexes(org, replies, name):
    from django.db import connection

    from handoff.replies import ReplyFilter

    filterset = ReplyFilter(
        {name: "nothing-like-it"},
        queryset=Message.objects.filter(organization=org, direction="inbound"),
        country="US",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test table is tiny
        plan = filterset.qs.order_by("-requested_at", "-id")[:51].explain()
    short = {"template": "tpl", "label": "lbl"}[name]
    assert f"message_replied_{short}_newest_idx" in plan


def head(html):
    return html.split("<thead")[1].split("</thead>")[0]


def test_operator_and_number_sort_the_replies_of_one_number_only(login, agent, replies):
    """Sorting 500,000 replies by operator took 1.7 s: without a number only the time
    sorts, a sort in the URL is ignored, and the page says how to get it."""
    client = login(agent)
    html = client.get(URL, {"sort": "-subscriber"}).content.decode()
    assert 'data-testid="sort-limit"' in html and "sort=subscriber" not in head(html)
    assert html.index("Who is this?") < html.index("Thanks, got it")  # newest first
    html = client.get(URL, {"sort": "-requested_at"}).content.decode()
    assert "sort=requested_at" in head(html)
    html = client.get(URL, {"number": "4155550101", "sort": "subscriber"}).content.decode()
    assert 'data-testid="sort-limit"' not in html and "sort=-subscriber" in head(html)


def test_a_later_page_shows_what_its_replies_answer_without_computing_it_for_skipped_rows(
    login, agent, org, sender, replies
):
    later = timezone.now() + dt.timedelta(minutes=1)
    Message.objects.bulk_create(
        Message(
            organization=org,
            sender=sender,
            direction="inbound",
            channel=sender.kind,
            subscriber=f"+1415555{n:04d}",
            text=f"Reply {n}",
            status="received",
            requested_at=later + dt.timedelta(seconds=n),
            updated_at=later,
        )
        for n in range(200, 250)
    )
    with CaptureQueriesContext(connection) as queries:
        html = login(agent).get(URL, {"page": "2"}).content.decode()
    rows = html.split("<tr ")[1:]
    answered = next(row for row in rows if "Thanks, got it" in row)
    stranger = next(row for row in rows if "Who is this?" in row)
    assert ">shipping<" in answered and ">—<" in stranger
    paged = [q["sql"] for q in queries if "OFFSET" in q["sql"]]
    assert len(paged) == 1 and paged[0].count("SELECT") == 1  # no subquery per skipped row
