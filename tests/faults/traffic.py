"""Paced HTTP traffic from a pool of threads, each on a keep-alive connection; every
response recorded (what was asked, when, the status, the body)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Response:
    kind: str
    key: str
    started: float
    elapsed: float
    status: int  # 0: no HTTP answer (connection refused or reset)
    body: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: str | None, headers: dict):
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, {}, {}
        try:
            parsed = json.loads(data) if data.startswith((b"{", b"[")) else {}
        except ValueError:
            parsed = {}
        return response.status, parsed, dict(response.getheaders())


# One request: (kind, key, method, path, body, headers), from its sequence number.
Request = tuple[str, str, str, str, str | None, dict]


def run_paced(
    port: int,
    make: Callable[[int], Request],
    rate: float,
    seconds: float,
    threads: int = 16,
    during: Callable[[float], None] | None = None,
) -> tuple[list[Response], float]:
    """``rate`` requests/s for ``seconds``; ``during(t0)`` runs alongside (a fault)."""
    total = int(rate * seconds)
    lock = threading.Lock()
    cursor = iter(range(total))
    responses: list[Response] = []
    t0 = time.monotonic() + 0.3

    def worker() -> None:
        conn = Connection(port)
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            if (delay := t0 + i / rate - time.monotonic()) > 0:
                time.sleep(delay)
            kind, key, method, path, body, headers = make(i)
            started = time.monotonic()
            status, parsed, answer_headers = conn.request(method, path, body, headers)
            done = time.monotonic()
            with lock:
                responses.append(
                    Response(
                        kind, key, started - t0, done - started, status, parsed, answer_headers
                    )
                )

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    fault = threading.Thread(target=during, args=(t0,)) if during else None
    for thread in pool:
        thread.start()
    if fault:
        fault.start()
    for thread in pool:
        thread.join()
    if fault:
        fault.join()
    return responses, time.monotonic() - t0


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def inbound_request(secret: str, prefix: str) -> Callable[[int], Request]:
    """The webhook, 10% STOP each from its own number, the rest texts from 500 numbers."""
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def make(i: int) -> Request:
        is_stop = i % 10 == 0
        key = f"{prefix}-{i}"
        body = {
            "sender": "52811",
            "from": f"+1415{2100000 + i:07d}" if is_stop else f"+1415{2000000 + i % 500:07d}",
            "text": "STOP" if is_stop else f"Question {i}",
            "channel": "sms",
            "provider_message_id": key,
        }
        return ("inbound", key, "POST", "/api/v1/inbound", json.dumps(body), headers)

    return make
