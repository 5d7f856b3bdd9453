"""Interception expiry at volume, and the number probe the guards use, side by side.

Seeds N interceptions (half expired; 1,000,000 expired by default) by COPY,
then runs the beat task's service ``expire_interceptions`` while a second
thread keeps probing numbers the way the guards do, to show that the checks are
not held up; compares the sweep with one bare DELETE of the same rows (the
floor). PostgreSQL only.

    createdb -h 127.0.0.1 -U postgres handoff_bench_interceptions
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_bench_interceptions \
        .venv/bin/python bench/bench_interceptions.py [--rows 2000000]
"""

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402
import results  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization  # noqa: E402
from blocklists import interceptions  # noqa: E402
from blocklists.models import Interception, InterceptionEvent  # noqa: E402


def seed(rows: int, org: Organization) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE blocklists_interception, blocklists_interceptionevent")
    now = timezone.now()
    rng = random.Random(1)
    buffer = io.StringIO()
    numbers = []
    for n in range(rows):
        number = f"+1{2000000000 + n * 7 % 7999999999}"
        numbers.append(number)
        expired = n % 2 == 0
        at = now - dt.timedelta(days=31 if expired else 0, minutes=rng.randint(1, 1000))
        expires = (
            (now - dt.timedelta(minutes=rng.randint(1, 10000)))
            if expired
            else (now + dt.timedelta(days=rng.randint(1, 30)))
        )
        buffer.write(
            f"{number}\tglobal\t\\N\t{org.pk}\t500\tEmpty\t{at.isoformat()}\t"
            f"{expires.isoformat()}\tautomatic\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY blocklists_interception (number, scope, organization_id, source_organization_id,"
            " code, reason, intercepted_at, expires_at, origin) FROM STDIN"
        ) as copy:
            copy.write(buffer.read())
        cursor.execute("ANALYZE blocklists_interception")
    return numbers


def probe_loop(org, numbers, stop, samples):
    rng = random.Random(2)
    while not stop.is_set():
        chosen = [rng.choice(numbers) for _ in range(1)]
        started = time.perf_counter()
        interceptions.active_interceptions_among(organization=org, numbers=chosen)
        samples.append(time.perf_counter() - started)
        time.sleep(0.002)
    connections.close_all()


def pct(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000, help="half of them expired")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (set DATABASE_URL).")
    call_command("migrate", verbosity=0)
    org, _ = Organization.objects.get_or_create(slug="bench-int", defaults={"name": "Bench"})
    print(f"seeding {args.rows:,} interceptions (half expired) ...", flush=True)
    numbers = seed(args.rows, org)

    idle = []
    for number in random.Random(3).sample(numbers, 500):
        started = time.perf_counter()
        interceptions.active_interceptions_among(organization=org, numbers=[number])
        idle.append(time.perf_counter() - started)
    batch = random.Random(4).sample(numbers, 100_000)
    started = time.perf_counter()
    interceptions.active_interceptions_among(organization=org, numbers=batch)
    batch_seconds = time.perf_counter() - started

    stop, during = threading.Event(), []
    thread = threading.Thread(target=probe_loop, args=(org, numbers, stop, during))
    thread.start()
    started = time.perf_counter()
    expired = interceptions.expire_interceptions()
    sweep = time.perf_counter() - started
    stop.set()
    thread.join()
    events = InterceptionEvent.objects.filter(action="expired").count()

    # The floor: one bare DELETE of the same number of expired rows, no events.
    seed(args.rows, org)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("DELETE FROM blocklists_interception WHERE expires_at <= now()")
        floor = time.perf_counter() - started
    print(
        f"rows {args.rows:,}: expired {expired:,} with {events:,} events in {sweep:.1f} s "
        f"(bare DELETE without events: {floor:.1f} s); left {Interception.objects.count():,}"
    )
    print(
        f"probe of one number, idle:        p50 {statistics.median(idle) * 1000:.2f} ms  "
        f"p95 {pct(idle, 0.95):.2f} ms"
    )
    print(
        f"probe of one number, during sweep: p50 {statistics.median(during) * 1000:.2f} ms  "
        f"p95 {pct(during, 0.95):.2f} ms  max {max(during) * 1000:.1f} ms  ({len(during)} probes)"
    )
    print(f"check of 100,000 numbers: {batch_seconds:.2f} s")
    results.record(
        f"Interception expiry of {expired:,} rows",
        f"`expire_interceptions()` (the beat task's body) on {args.rows:,} rows, half expired",
        f"{sweep:.1f} s with {events:,} `expired` events; probes meanwhile p95 "
        f"{pct(during, 0.95):.2f} ms",
        f"one bare DELETE, no events: {floor:.1f} s",
    )


if __name__ == "__main__":
    main()
