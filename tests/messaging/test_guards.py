"""Each guard stops what it should and lets through what it should, in the issue's order."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from blocklists.interceptions import intercept_from_failure
from blocklists.services import opt_out
from messaging import services
from messaging.models import ClearedTerm, Message, ProhibitedTerm, TermKind
from messaging.statuses import BatchStatus, FailureCategory, MessageStatus
from tests.factories import SenderFactory

FREE = "+14155550101"
OTHER_FREE = "+14155550102"


def dispatch(batch, now=None):
    return services.dispatch_batch(batch_id=batch.pk, now=now)


def outcome(batch):
    return {
        m.subscriber: (m.status, m.failure_category)
        for m in Message.objects.filter(batch=batch).order_by("id")
    }


def test_a_clean_message_passes_every_guard(make_batch):
    batch = make_batch([FREE])
    assert dispatch(batch) == {MessageStatus.SENDING: 1}
    message = Message.objects.get(batch=batch)
    assert message.status == MessageStatus.SENDING
    assert message.segments == 1
    assert [e["status"] for e in message.status_log] == ["processing", "sending"]


def test_sending_hours_block_outside_the_window_only(make_batch, team, org):
    org.time_zone = "UTC"
    org.save()
    team.sending_hours = {"mon": [["09:00", "17:00"]]}
    team.save()
    monday_noon = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    monday_night = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    inside = make_batch([FREE], subaccount=team)
    outside = make_batch([FREE], subaccount=team)
    dispatch(inside, now=monday_noon)
    dispatch(outside, now=monday_night)
    assert outcome(inside)[FREE] == (MessageStatus.SENDING, "")
    assert outcome(outside)[FREE] == (MessageStatus.BLOCKED_TIME, "")
    outside.refresh_from_db()
    assert outside.status == BatchStatus.BLOCKED_TIME


def test_global_interception_is_a_global_block_local_one_a_partial_block(
    make_batch, org, other_org
):
    intercept_from_failure(number="+14155550500", code=500, organization=other_org)
    intercept_from_failure(number="+14155550520", code=520, organization=org)
    intercept_from_failure(number="+14155550521", code=520, organization=other_org)
    batch = make_batch(["+14155550500", "+14155550520", "+14155550521", FREE])
    dispatch(batch)
    assert outcome(batch) == {
        "+14155550500": (MessageStatus.PROCESS_FAILED, FailureCategory.GLOBAL_BLOCK),
        "+14155550520": (MessageStatus.PROCESS_FAILED, FailureCategory.PARTIAL_BLOCK),
        # Another organization's local interception does not concern us.
        "+14155550521": (MessageStatus.SENDING, ""),
        FREE: (MessageStatus.SENDING, ""),
    }


def test_an_interception_stops_blocking_at_its_expiry_exactly(make_batch, org):
    at = timezone.now()
    intercept_from_failure(number=FREE, code=510, organization=org, at=at)
    expiry = at + dt.timedelta(hours=1)
    before, on_time = make_batch([FREE]), make_batch([FREE])
    dispatch(before, now=expiry - dt.timedelta(microseconds=1))
    dispatch(on_time, now=expiry)
    assert outcome(before)[FREE][1] == FailureCategory.GLOBAL_BLOCK
    assert outcome(on_time)[FREE] == (MessageStatus.SENDING, "")


def test_blocklist_of_this_sender_only(make_batch, sender, org):
    opt_out(sender=sender, subscriber=FREE)
    other_sender = SenderFactory(organization=org, address="52812")
    opt_out(sender=other_sender, subscriber=OTHER_FREE)
    batch = make_batch([FREE, OTHER_FREE])
    dispatch(batch)
    assert outcome(batch) == {
        FREE: (MessageStatus.PROCESS_FAILED, FailureCategory.UNSUBSCRIBE),
        OTHER_FREE: (MessageStatus.SENDING, ""),
    }


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("Win FREE CASH today", True),
        ("cashflow report attached", False),
        ("See https://promo.bad-links.example/x", True),
        ("See bad-links.example.org", False),
        ("Your code is 1234", False),
    ],
)
def test_words_not_allowed(make_batch, text, blocked):
    ProhibitedTerm.objects.create(term="free cash")
    ProhibitedTerm.objects.create(term="bad-links.example", kind=TermKind.DOMAIN)
    batch = make_batch([FREE], text=text)
    dispatch(batch)
    expected = (
        (MessageStatus.PROCESS_FAILED, FailureCategory.KEYWORD_BLOCK)
        if blocked
        else (MessageStatus.SENDING, "")
    )
    assert outcome(batch)[FREE] == expected


def test_a_term_cleared_for_an_organization_passes_there_only(
    make_batch, org, other_org, other_sender
):
    ProhibitedTerm.objects.create(term="free cash")
    ClearedTerm.objects.create(organization=org, term="Free Cash")
    ours = make_batch([FREE], text="Free cash back on your card")
    theirs = services.create_batch(
        organization=other_org,
        sender=other_sender,
        subscribers=[FREE],
        text="Free cash back on your card",
    )
    dispatch(ours)
    dispatch(theirs)
    assert outcome(ours)[FREE] == (MessageStatus.SENDING, "")
    assert outcome(theirs)[FREE] == (MessageStatus.PROCESS_FAILED, FailureCategory.KEYWORD_BLOCK)


def test_variables_without_a_value_are_a_variable_error(make_batch):
    batch = make_batch(
        [FREE, OTHER_FREE],
        text="Hi {{name}}, your order {{ order }} shipped",
        per_message_variables=[{"name": "Ann", "order": "42"}, {"name": "Bob", "order": ""}],
    )
    dispatch(batch)
    assert outcome(batch) == {
        FREE: (MessageStatus.SENDING, ""),
        OTHER_FREE: (MessageStatus.PROCESS_FAILED, FailureCategory.VARIABLE_ERROR),
    }
    log = Message.objects.get(batch=batch, subscriber=OTHER_FREE).status_log[-1]
    assert "{{order}}" in log["detail"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("   ", FailureCategory.CONTENT_ERROR),
        ("x" * 1601, FailureCategory.CONTENT_ERROR),
        ("bell \x07 character", FailureCategory.CONTENT_ERROR),
        ("é" * 100, ""),
        ("Olá 👋 tudo bem?", ""),
    ],
)
def test_content_the_channel_cannot_carry(make_batch, text, category):
    batch = make_batch([FREE], text=text)
    dispatch(batch)
    status = MessageStatus.PROCESS_FAILED if category else MessageStatus.SENDING
    assert outcome(batch)[FREE] == (status, category)


def test_frequency_limit_counts_earlier_sends_and_this_batch(make_batch, team):
    team.frequency_limit_messages = 2
    team.frequency_limit_hours = 24
    team.save()
    first = make_batch([FREE], subaccount=team)
    dispatch(first)
    second = make_batch([FREE, FREE, OTHER_FREE], subaccount=team)
    dispatch(second)
    statuses = [
        (m.subscriber, m.failure_category)
        for m in Message.objects.filter(batch=second).order_by("id")
    ]
    assert statuses == [
        (FREE, ""),
        (FREE, FailureCategory.FREQUENCY_OVERRUN),
        (OTHER_FREE, ""),
    ]


def test_frequency_window_forgets_old_sends(make_batch, team):
    team.frequency_limit_messages = 1
    team.frequency_limit_hours = 1
    team.save()
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2), tick=False):
        dispatch(make_batch([FREE], subaccount=team))
    batch = make_batch([FREE], subaccount=team)
    dispatch(batch)
    assert outcome(batch)[FREE] == (MessageStatus.SENDING, "")


def test_the_first_guard_that_stops_a_message_decides(make_batch, sender, team, org):
    """Intercepted, blocklisted, with a bad word and a missing variable: interception wins."""
    ProhibitedTerm.objects.create(term="forbidden")
    team.frequency_limit_messages = 1
    team.frequency_limit_hours = 1
    team.save()
    number = "+14155550560"
    intercept_from_failure(number=number, code=560, organization=org)
    opt_out(sender=sender, subscriber=number)
    opt_out(sender=sender, subscriber=FREE)
    text = "forbidden {{missing}}"
    batch = make_batch([number, FREE, OTHER_FREE], text=text, subaccount=team)
    dispatch(batch)
    assert outcome(batch) == {
        number: (MessageStatus.PROCESS_FAILED, FailureCategory.GLOBAL_BLOCK),
        FREE: (MessageStatus.PROCESS_FAILED, FailureCategory.UNSUBSCRIBE),
        OTHER_FREE: (MessageStatus.PROCESS_FAILED, FailureCategory.KEYWORD_BLOCK),
    }
    # Without the word, the missing variable is next; the content and frequency come after.
    batch = make_batch([OTHER_FREE], text="{{missing}}", subaccount=team)
    dispatch(batch)
    assert outcome(batch)[OTHER_FREE][1] == FailureCategory.VARIABLE_ERROR
    # Hours come before everything.
    team.sending_hours = {}
    team.save()
    batch = make_batch([number], text=text, subaccount=team)
    dispatch(batch)
    assert outcome(batch)[number] == (MessageStatus.BLOCKED_TIME, "")
