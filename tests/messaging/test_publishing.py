"""``messaging.publishing.queue_task``: the same task message as ``apply_async``, on the
real broker of the run (kombu's filesystem transport, or Redis when REDIS_URL is set)."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from kombu import Producer

from config.celery import app
from messaging import publishing, tasks

IGNORED = {"id", "root_id", "correlation_id"}


@pytest.fixture
def not_eager():
    """Publish for real, to a queue of this test's own that it empties afterwards."""
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    queue = f"test-publishing-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    publishing.reset()
    yield queue
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)  # on Redis, its priority lists too
    app.conf.task_always_eager, app.conf.task_default_queue = previous
    publishing.reset()


@pytest.fixture
def published(monkeypatch):
    """Every ``Producer.publish`` call, recorded instead of sent."""
    calls = []

    def record(self, body, **kwargs):
        calls.append((body, kwargs))

    monkeypatch.setattr(Producer, "publish", record)
    return calls


def comparable(body, kwargs) -> dict:
    headers = {k: v for k, v in kwargs["headers"].items() if k not in IGNORED}
    kept = {k: v for k, v in kwargs.items() if k not in IGNORED | {"headers", "declare"}}
    kept.pop("timeout", None), kept.pop("confirm_timeout", None)
    return {"body": body, "headers": headers, **kept}


def test_the_message_is_the_one_apply_async_sends(not_eager, published):
    tasks.process_inbound.apply_async((42,), priority=6)
    publishing.queue_task(tasks.process_inbound, (42,), priority=6)
    (celery_body, celery_kwargs), (our_body, our_kwargs) = published
    assert comparable(our_body, our_kwargs) == comparable(celery_body, celery_kwargs)
    assert our_kwargs["routing_key"] == not_eager
    assert our_kwargs["priority"] == 6
    assert our_kwargs["headers"]["task"] == "messaging.tasks.process_inbound"
    assert our_kwargs["headers"]["id"] == our_kwargs["correlation_id"]


def test_the_queue_is_declared_once_per_producer(not_eager, published):
    for message_id in (1, 2, 3):
        publishing.queue_task(tasks.process_inbound, (message_id,), priority=6)
    assert [len(kwargs["declare"]) for _body, kwargs in published] == [1, 0, 0]


def test_a_worker_can_read_what_was_published(not_eager):
    """Round trip through the broker: the message a worker would take, in priority order
    on Redis (0 first), with the task's name, argument and Celery's protocol."""
    ordinary = publishing.queue_task(tasks.process_inbound, (7,), priority=6)
    stop = publishing.queue_task(tasks.process_inbound, (8,), priority=0)
    received = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(not_eager)
        try:
            for _ in range(2):
                message = queue.get(timeout=5)
                received.append((message.headers["id"], message.headers["task"], message.payload))
                message.ack()
        finally:
            queue.close()
    by_id = {task_id: (name, payload[0]) for task_id, name, payload in received}
    assert by_id == {
        ordinary: ("messaging.tasks.process_inbound", [7]),
        stop: ("messaging.tasks.process_inbound", [8]),
    }
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert [task_id for task_id, _name, _payload in received] == [stop, ordinary]


def test_a_broken_connection_is_dropped_and_the_next_call_reconnects(not_eager, monkeypatch):
    publishing.queue_task(tasks.process_inbound, (1,), priority=6)
    first = publishing._publisher(app)

    def down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to the broker")

    with monkeypatch.context() as patch:
        patch.setattr(Producer, "publish", down)
        with pytest.raises(ConnectionError):
            publishing.queue_task(tasks.process_inbound, (2,), priority=6)
    assert publishing.queue_task(tasks.process_inbound, (3,), priority=6)
    assert publishing._publisher(app) is not first


def test_eager_mode_is_apply_async_itself(monkeypatch):
    calls = []
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    monkeypatch.setattr(
        tasks.process_inbound,
        "apply_async",
        lambda args, **options: calls.append((args, options)) or type("R", (), {"id": "x"}),
    )
    try:
        assert publishing.queue_task(tasks.process_inbound, (5,), priority=0) == "x"
    finally:
        app.conf.task_always_eager = previous
    assert calls == [((5,), {"priority": 0})]


@pytest.mark.redis
def test_on_redis_the_publishing_channel_keeps_its_client(not_eager):
    publishing.queue_task(tasks.process_inbound, (1,), priority=6)
    channel = publishing._publisher(app).producer.channel
    assert isinstance(channel, publishing._PublishingChannel)
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
        assert first is second
