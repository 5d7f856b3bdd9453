"""Issue #9: Redis and PostgreSQL restarted under inbound traffic (gunicorn, a real worker).

Redis: every message answered 202 is stored and processed (the requeue of stored but
unprocessed messages covers the queue Redis lost). PostgreSQL: 503 with Retry-After
while it is down, never 202 for a message it did not store, never 500, and recovery
by itself. ``FAULTS_FULL=1``: 60 s at 200/s (Redis) and 100/s (PostgreSQL) instead of 15 s at 50/s.
"""

from __future__ import annotations

import collections
import time

import pytest

from tests.faults.conftest import volume
from tests.faults.traffic import inbound_request, percentile, run_paced

pytestmark = pytest.mark.slow

PROCESSED = (
    "SELECT count(*) FROM messaging_message WHERE direction = 'inbound' "
    "AND processed_at IS NOT NULL"
)


def stored_keys(stack) -> set[str]:
    rows = stack.query(
        "SELECT provider_message_id FROM messaging_message WHERE direction = 'inbound'"
    )
    return {key for (key,) in rows}


class Supervisor:
    """What runs the worker in production (the Procfile's platform, systemd): a worker
    that exits is started again. Counts the restarts."""

    def __init__(self, stack, concurrency: int = 2):
        self.stack, self.concurrency, self.restarts = stack, concurrency, 0
        self.worker = stack.start_worker(concurrency=concurrency)

    def check(self) -> None:
        if self.worker.poll() is not None:
            self.restarts += 1
            name = f"worker-{self.restarts}.log"
            self.worker = self.stack.start_worker(concurrency=self.concurrency, log_name=name)


def all_processed(stack, expected: int, supervisor: Supervisor | None = None) -> None:
    """Every stored message processed, with beat's requeue (its minute made to pass)."""
    deadline = time.monotonic() + 240
    while stack.scalar(PROCESSED) < expected:
        assert time.monotonic() < deadline, f"{stack.scalar(PROCESSED)} of {expected} processed"
        time.sleep(5)
        if supervisor is not None:
            supervisor.check()
        if stack.scalar(PROCESSED) < expected:
            stack.action("requeue-inbound")


def summary(responses, elapsed) -> str:
    codes = collections.Counter(r.status for r in responses)
    latencies = [r.elapsed for r in responses]
    return (
        f"{len(responses):,} requests in {elapsed:.1f} s ({len(responses) / elapsed:.0f}/s), "
        f"codes {dict(sorted(codes.items()))}, p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def restart_a_third_in(server, pause: float, seconds: float, window: dict):
    """What ``run_paced`` calls: stop ``server`` a third of the way in, start it after
    ``pause`` seconds, and note when (``window["down"]``, ``window["up"]``)."""

    def restart(t0: float) -> None:
        time.sleep(max(0.0, t0 + seconds / 3 - time.monotonic()))
        window["down"] = time.monotonic() - t0
        server.stop()
        time.sleep(pause)
        server.start()
        window["up"] = time.monotonic() - t0

    return restart


def test_redis_restarted_under_inbound_traffic_loses_no_message(stack):
    seconds = volume(15, 60)
    secret = stack.action("seed")["secret"]
    # Under load a Redis restart can leave the worker's consumer dead (a kombu failure
    # while reconnecting): its watchdog (config/watchdog.py) then exits, and the
    # supervisor starts a fresh worker, as in production.
    stack.env["WORKER_WATCHDOG_SECONDS"] = "20"
    supervisor = Supervisor(stack)
    port = stack.start_gunicorn()
    window = {}

    restart_redis = restart_a_third_in(stack.redis, 3, seconds, window)

    responses, elapsed = run_paced(
        port, inbound_request(secret, "redis"), volume(50, 200), seconds, during=restart_redis
    )
    print(f"\nRedis down {window['down']:.1f}-{window['up']:.1f} s: {summary(responses, elapsed)}")
    accepted = {r.key for r in responses if r.status == 202}
    codes = collections.Counter(r.status for r in responses)
    stored = stored_keys(stack)
    assert accepted <= stored  # every 202 is stored
    assert stored <= accepted  # and nothing stored was answered otherwise
    assert set(codes) == {202}, codes  # the broker is not needed to accept a message
    all_processed(stack, len(stored), supervisor)
    print(f"  worker restarted by its watchdog and the supervisor: {supervisor.restarts} times")
    stops = sum(1 for key in accepted if int(key.rsplit("-", 1)[1]) % 10 == 0)
    replies = stack.query(
        "SELECT count(*), count(DISTINCT in_reply_to_id) FROM messaging_message "
        "WHERE in_reply_to_id IS NOT NULL"
    )[0]
    print(f"  stored {len(stored):,} = 202 answers; all processed; {replies[0]:,} replies for")
    print(f"  {stops:,} STOPs")
    assert replies == (stops, stops)


def test_postgresql_restarted_under_inbound_traffic_answers_503_then_recovers(stack):
    seconds = volume(15, 60)
    secret = stack.action("seed")["secret"]
    stack.start_worker(concurrency=2)
    port = stack.start_gunicorn()
    window = {}

    restart_postgresql = restart_a_third_in(stack.pg, 5, seconds, window)

    responses, elapsed = run_paced(
        port, inbound_request(secret, "pg"), volume(50, 100), seconds, during=restart_postgresql
    )
    down, up = window["down"], window["up"]
    print(f"\nPostgreSQL down {down:.1f}-{up:.1f} s: {summary(responses, elapsed)}")
    codes = collections.Counter(r.status for r in responses)
    accepted = {r.key for r in responses if r.status == 202}
    refused = {r.key for r in responses if r.status == 503}
    stored = stored_keys(stack)
    assert set(codes) <= {202, 503}, codes  # never a 500, never a dropped connection
    assert refused, "PostgreSQL was down: some requests must have been refused"
    assert accepted <= stored  # never 202 for something not stored
    assert all(r.headers.get("Retry-After") == "5" for r in responses if r.status == 503)
    # Recovers by itself: everything sent from 2 s after PostgreSQL is back is accepted.
    late = [r for r in responses if r.started > up + 2]
    assert late and all(r.status == 202 for r in late), collections.Counter(r.status for r in late)
    recovered = min(r.started for r in responses if r.started > down and r.status == 202)
    first_503 = min(r.started for r in responses if r.status == 503)
    last_503 = max(r.started for r in responses if r.status == 503)
    print(f"  503 from {first_503:.1f} s to {last_503:.1f} s, 202 again from {recovered:.1f} s;")
    print(f"  {len(stored & refused)} answered 503 but stored (a retry gets 200 duplicate)")
    all_processed(stack, len(stored))


def test_a_worker_that_stops_consuming_exits_to_be_started_again(stack):
    """The watchdog: a worker alive but consuming nothing (its consumer cancelled by
    remote control stands for the kombu failure) while a task waits exits with 70."""
    import subprocess
    import sys

    from tests.faults.stack import REPO

    stack.env["WORKER_WATCHDOG_SECONDS"] = "4"
    worker = stack.start_worker(concurrency=1)
    queue = stack.env["CELERY_QUEUE"]
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    subprocess.run(
        [*celery, "control", "cancel_consumer", queue], cwd=REPO, env=stack.env, check=True
    )
    started = time.monotonic()
    time.sleep(6)  # idle with nothing waiting: no reason to exit
    assert worker.poll() is None
    subprocess.run(
        [*celery, "call", "accounts.tasks.ping", "--queue", queue],
        cwd=REPO,
        env=stack.env,
        check=True,
    )
    while worker.poll() is None:
        assert time.monotonic() - started < 60, "the stuck worker did not exit"
        time.sleep(0.5)
    assert worker.returncode == 70
    assert "Worker watchdog" in (stack.folder / "worker.log").read_text()
