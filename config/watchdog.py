"""A worker that stopped taking tasks while tasks wait ends itself, to be started afresh.

Found by the fault tests (docs/reliability.md): under load, a Redis restart can
leave a Celery worker alive but consuming nothing. kombu fails inside the
consumer's reconnection (``AttributeError: 'NoneType' object has no attribute
'hostname'`` on stopping the Hub), the same family as celery/celery#8091. Stored
STOPs would then wait for a person to restart the worker. So a thread in the
worker's main process looks every few seconds: when tasks wait in the worker's
queues on Redis, the pool has a free process, and the worker has received
nothing for ``WORKER_WATCHDOG_SECONDS`` (default 60), it logs why and exits with
status 70. The process supervisor (the platform running the Procfile, systemd with
Restart=always) starts a fresh worker, which connects anew; what the old one held
comes back through beat's requeue tasks. Only for a Redis broker.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from celery.signals import task_received, worker_ready
from celery.worker import state

logger = logging.getLogger(__name__)

EXIT_STATUS = 70
# kombu's Redis transport keeps a list per priority step: "<queue>\x06\x16<step>".
PRIORITY_STEPS = (0, 3, 6, 9)
PRIORITY_SEPARATOR = "\x06\x16"

_last_received = time.monotonic()


def stuck(*, waiting: int, busy: int, concurrency: int, idle_seconds: float, limit: float) -> bool:
    """Tasks wait, a pool process is free, and nothing was received for ``limit`` seconds."""
    return waiting > 0 and busy < concurrency and idle_seconds >= limit


def waiting_tasks(client, queues: list[str]) -> int:
    keys = [
        queue if step == 0 else f"{queue}{PRIORITY_SEPARATOR}{step}"
        for queue in queues
        for step in PRIORITY_STEPS
    ]
    pipe = client.pipeline()
    for key in keys:
        pipe.llen(key)
    return sum(pipe.execute())


@task_received.connect
def _received(**kwargs) -> None:
    global _last_received
    _last_received = time.monotonic()


@worker_ready.connect
def _start(sender, **kwargs) -> None:
    app = sender.app
    broker = app.conf.broker_url or ""
    limit = float(os.environ.get("WORKER_WATCHDOG_SECONDS", "60"))
    if not broker.startswith(("redis://", "rediss://")) or limit <= 0:
        return
    queues = list(app.amqp.queues.consume_from or app.amqp.queues)
    concurrency = getattr(sender.controller, "concurrency", None) or 1
    thread = threading.Thread(
        target=_watch,
        args=(broker, queues, concurrency, limit),
        name="handoff-watchdog",
        daemon=True,
    )
    thread.start()


def _watch(broker: str, queues: list[str], concurrency: int, limit: float) -> None:
    import redis

    global _last_received
    _last_received = time.monotonic()
    client = redis.Redis.from_url(broker, socket_timeout=5, socket_connect_timeout=5)
    every = max(1.0, min(15.0, limit / 4))
    while True:
        time.sleep(every)
        try:
            waiting = waiting_tasks(client, queues)
        except Exception:  # Redis down: the consumer is reconnecting; judge later
            continue
        busy = len(state.active_requests) + len(state.reserved_requests)
        idle = time.monotonic() - _last_received
        verdict = stuck(
            waiting=waiting, busy=busy, concurrency=concurrency, idle_seconds=idle, limit=limit
        )
        if verdict:
            logger.critical(
                "Worker watchdog: %d tasks waiting, %d of %d pool processes busy, nothing "
                "received for %.0f s: the consumer stopped. Exiting with status %d so that "
                "a fresh worker is started.",
                waiting,
                busy,
                concurrency,
                idle,
                EXIT_STATUS,
            )
            logging.shutdown()
            os._exit(EXIT_STATUS)
