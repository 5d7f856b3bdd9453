"""A real worker consumes a task from the configured broker (Redis when REDIS_URL is set)."""

from django.conf import settings

from accounts.models import Heartbeat
from accounts.tasks import ping, record_heartbeat


def test_round_trip_through_a_real_worker(celery_worker_process):
    result = ping.delay("hello")
    assert result.get(timeout=60) == "pong:hello"


def test_broker_is_redis_when_configured():
    import os

    if os.environ.get("REDIS_URL"):
        assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"


def test_worker_writes_to_the_test_database(transactional_db, celery_worker_process):
    import time

    record_heartbeat.delay()
    deadline = time.monotonic() + 60
    while not Heartbeat.objects.filter(name="beat").exists():
        assert time.monotonic() < deadline, "the worker never recorded the heartbeat"
        time.sleep(0.2)
