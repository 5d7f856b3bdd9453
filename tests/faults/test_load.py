"""Issue #9: mixed traffic against gunicorn with a real worker: an agent's search pages,
suppression checks with an API token, inbound messages. Zero 5xx; figures printed
(``pytest -s``) and recorded in docs/reliability.md. ``FAULTS_FULL=1``: 60 s at 105
requests/s, else 15 s at 42/s.
"""

from __future__ import annotations

import collections
import json
import time

import pytest

from tests.faults.conftest import volume
from tests.faults.stack import wait_for
from tests.faults.traffic import inbound_request, percentile, run_paced

pytestmark = pytest.mark.slow

# Per second (FAULTS_FULL): 5 search pages, 50 suppression checks, 50 inbound messages;
# CI asks 2, 20 and 20.
MIX = [("page", 1), ("check", 10), ("inbound", 10)]
RATE = volume(42, 105)


def test_mixed_traffic_has_no_5xx(stack):
    seconds = volume(15, 60)
    seed = stack.action("seed")
    api = {"Authorization": f"Bearer {seed['secret']}", "Content-Type": "application/json"}
    browser = {"Cookie": f"sessionid={seed['session']}"}
    inbound = inbound_request(seed["secret"], "load")
    pattern = [kind for kind, weight in MIX for _ in range(weight)]
    pages = ["/handoff/block-list/?number=%2B1415{n}", "/handoff/messages/?customer_number={n}"]

    def make(i: int):
        kind = pattern[i % len(pattern)]
        number = f"+1415{2000000 + i % 500:07d}"
        if kind == "page":
            path = pages[i % 2].format(n=number[5:] if "block" in pages[i % 2] else number)
            return ("page", str(i), "GET", path, None, browser)
        if kind == "check":
            query = f"/api/v1/suppressions/check?sender=52811&to=%2B{number[1:]}"
            return ("check", str(i), "GET", query, None, api)
        return inbound(i)

    stack.start_worker(concurrency=2)
    port = stack.start_gunicorn()
    responses, elapsed = run_paced(port, make, RATE, seconds, threads=16)
    figures = {"seconds": round(elapsed, 1), "requests": len(responses)}
    print(f"\nmixed traffic for {elapsed:.1f} s, asked {RATE}/s:")
    for kind, _weight in MIX:
        mine = [r for r in responses if r.kind == kind]
        latencies = [r.elapsed for r in mine]
        codes = collections.Counter(r.status for r in mine)
        figures[kind] = {
            "requests": len(mine),
            "per_second": round(len(mine) / elapsed, 1),
            "codes": dict(codes),
            **{f"p{p}_ms": round(percentile(latencies, p / 100) * 1000, 1) for p in (50, 95, 99)},
        }
        print(f"  {kind}: {json.dumps(figures[kind])}")
    server_errors = [r for r in responses if r.status >= 500 or r.status == 0]
    assert not server_errors, collections.Counter((r.kind, r.status) for r in server_errors)
    unexpected = [r for r in responses if r.status not in (200, 202)]
    assert not unexpected, collections.Counter((r.kind, r.status) for r in unexpected)
    inbound_count = figures["inbound"]["requests"]
    processed = (
        "SELECT count(*) FROM messaging_message WHERE direction = 'inbound' "
        "AND processed_at IS NOT NULL"
    )
    started = time.monotonic()
    wait_for(lambda: stack.scalar(processed) == inbound_count, 300, "inbound processed", 1)
    print(f"  all {inbound_count:,} inbound processed {time.monotonic() - started:.0f} s after")
