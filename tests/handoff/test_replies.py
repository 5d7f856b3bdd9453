"""SMS Replies: inbound messages with the template of the message they answer."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from messaging.inbound import receive_inbound
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
    receive_inbound(
        sender=sender, subscriber="+14155550101", text="Thanks, got it", provider_message_id="in-1"
    )
    receive_inbound(
        sender=sender, subscriber="+14155550102", text="Who is this?", provider_message_id="in-2"
    )


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
