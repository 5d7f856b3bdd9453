"""Batches of many messages are written by COPY on PostgreSQL: the same rows as bulk_create."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from messaging import services
from messaging.models import Message, Priority
from tests.messaging.test_counts import counted, truth

pytestmark = pytest.mark.postgresql

NUMBERS = ["+14155550101", "+14155550102", "+14155550103"]
NOW = dt.datetime(2026, 11, 2, 10, 30, 15, 123456, tzinfo=dt.UTC)


def stored(batch) -> list[dict]:
    """Every column of the batch's messages but their ids, in subscriber order."""
    skip = {"id", "batch_id"}
    fields = [f.attname for f in Message._meta.concrete_fields if f.attname not in skip]
    return [
        {name: getattr(message, name) for name in fields}
        for message in Message.objects.filter(batch=batch).order_by("subscriber")
    ]


def both_ways(make_batch, monkeypatch, numbers, **kwargs):
    """The same batch written by bulk_create, then by COPY, at the same instant."""
    with time_machine.travel(NOW, tick=False):
        monkeypatch.setattr(services, "COPY_MIN_MESSAGES", 10**9)
        inserted = make_batch(numbers, **kwargs)
        monkeypatch.setattr(services, "COPY_MIN_MESSAGES", 1)
        copied = make_batch(numbers, **kwargs)
    return stored(inserted), stored(copied)


def test_copy_writes_what_bulk_create_writes(make_batch, monkeypatch, sender):
    reply_to = Message.objects.create(
        organization=sender.organization,
        sender=sender,
        channel=sender.kind,
        subscriber=NUMBERS[0],
        direction="inbound",
        status="received",
        requested_at=timezone.now(),
        updated_at=timezone.now(),
    )
    inserted, copied = both_ways(
        make_batch,
        monkeypatch,
        NUMBERS,
        # What COPY's text format must escape, and what JSON must carry.
        text='Tab\there, a line\nbreak, a back\\slash, "quotes", \\N, ünïcode: {name} {shop}',
        variables={"name": "everyone", "shop": "A\tB\nC\\D"},
        per_message_variables=[{"name": "Ann\\"}, {"name": "Bob\t"}, {}],
        template="welcome",
        label="November",
        priority=Priority.HIGH,
        send_at=NOW + dt.timedelta(days=1),
        in_reply_to=reply_to,
    )
    assert len(copied) == 3
    assert copied == inserted
    assert copied[0]["variables"] == {"name": "Ann\\", "shop": "A\tB\nC\\D"}
    assert copied[2]["variables"] == {"name": "everyone", "shop": "A\tB\nC\\D"}


def test_copy_without_per_message_variables_or_reply(make_batch, monkeypatch):
    inserted, copied = both_ways(make_batch, monkeypatch, NUMBERS, text="Plain")
    assert len(copied) == 3
    assert copied == inserted
    assert {row["status"] for row in copied} == {"processing"}


def test_a_copied_batch_is_counted(make_batch, monkeypatch):
    monkeypatch.setattr(services, "COPY_MIN_MESSAGES", 1)
    make_batch([f"+1415555{i:04d}" for i in range(200, 250)])

    assert sum(counted().values()) == 50
    assert counted() == truth()


def test_a_large_send_through_the_api_is_stored_whole(api, org, sender):
    """1,200 numbers in one POST /api/v1/messages: written by COPY (from 1,000), all there."""
    numbers = [f"(415) 55{i // 10000}-{i % 10000:04d}" for i in range(1_200)]
    response = api.post(
        "/messages",
        {"sender": sender.address, "to": numbers, "text": "Hi {name}", "variables": {"name": "A"}},
    )

    assert response.status_code == 201, response.content
    assert response.json()["messages"] == 1_200
    stored = Message.objects.filter(batch__public_id=response.json()["batch_id"])
    assert stored.count() == 1_200
    assert stored.filter(subscriber="+14155501199").get().variables == {"name": "A"}
    assert set(stored.values_list("status", flat=True)) == {"processing"}
    assert counted() == truth()
