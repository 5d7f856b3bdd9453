"""Blocklist list page: search one number among 1,000,000 entries of one sender.

Server time of the real view (Django test Client, logged-in agent, in-process),
p50/p95/p99 over many searches in the formats people type, next to the bare
SQL lookup (the floor). PostgreSQL only.

    createdb -h 127.0.0.1 -U postgres handoff_bench_search
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_bench_search \
        .venv/bin/python bench/bench_blocklist_search.py [--entries 1000000] [--searches 300]
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Membership, Organization, Role, Sender  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1, int(len(ordered) * p))]  # noqa: E731
    return (
        f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {pick(0.95) * 1000:7.2f} ms   "
        f"p99 {pick(0.99) * 1000:7.2f} ms"
    )


def seed(entries: int) -> tuple[Sender, list[str]]:
    org, _ = Organization.objects.get_or_create(
        slug="bench-search", defaults={"name": "Bench Search", "country": "US"}
    )
    sender, _ = Sender.objects.get_or_create(
        organization=org, address="70001", defaults={"kind": "sms_short_code", "name": "Bench"}
    )
    rng = random.Random(42)
    present = sender.blocklist.count()
    if present < entries:
        print(f"seeding {entries - present:,} entries by COPY ...", flush=True)
        started = time.perf_counter()
        buffer = io.StringIO()
        seen = set(sender.blocklist.values_list("subscriber", flat=True)) if present else set()
        while len(seen) < entries:
            number = f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            if number not in seen:
                seen.add(number)
                buffer.write(f"{sender.pk}\t{number}\tlist_cleanup\tcsv\t2026-01-01 00:00:00+00\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY blocklists_blocklistentry (sender_id, subscriber, reason, source, "
                "excluded_at) FROM STDIN"
            ) as copy:
                copy.write(buffer.read())
            cursor.execute("ANALYZE blocklists_blocklistentry")
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    sample = list(sender.blocklist.order_by("?").values_list("subscriber", flat=True)[:200])
    return sender, sample


def typed_forms(e164: str) -> list[str]:
    national = e164[2:]
    return [
        f"({national[:3]}) {national[3:6]}-{national[6:]}",
        f"{national[:3]}.{national[3:6]}.{national[6:]}",
        f"+1 {national[:3]} {national[3:6]} {national[6:]}",
        national,
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (set DATABASE_URL).")
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    sender, sample = seed(args.entries)
    user, _ = get_user_model().objects.get_or_create(username="bench-search-agent")
    Membership.objects.update_or_create(
        user=user, defaults={"organization": sender.organization, "role": Role.AGENT}
    )
    client = Client()
    client.force_login(user)
    rng = random.Random(7)
    queries = [rng.choice(typed_forms(rng.choice(sample))) for _ in range(args.searches)]
    misses = [f"+1{rng.randint(201, 989)}5550{rng.randint(100, 199)}" for _ in range(50)]

    for q in queries[:20]:  # warm up
        client.get("/blocklists/", {"sender": sender.pk, "q": q})
    page, htmx = [], []
    for q in queries:
        started = time.perf_counter()
        response = client.get("/blocklists/", {"sender": sender.pk, "q": q})
        page.append(time.perf_counter() - started)
        assert response.status_code == 200 and b"font-monospace" in response.content, q
        started = time.perf_counter()
        client.get("/blocklists/", {"sender": sender.pk, "q": q}, headers={"HX-Request": "true"})
        htmx.append(time.perf_counter() - started)
    miss = []
    for q in misses:
        started = time.perf_counter()
        client.get("/blocklists/", {"sender": sender.pk, "q": q}, headers={"HX-Request": "true"})
        miss.append(time.perf_counter() - started)
    browse, prefix = [], []
    for n in range(50):
        started = time.perf_counter()
        client.get(
            "/blocklists/", {"sender": sender.pk, "page": n % 5 + 1}, headers={"HX-Request": "true"}
        )
        browse.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(
            "/blocklists/",
            {"sender": sender.pk, "q": rng.choice(sample)[2:8]},
            headers={"HX-Request": "true"},
        )
        prefix.append(time.perf_counter() - started)
    floor = []
    with connection.cursor() as cursor:
        for q in sample:
            started = time.perf_counter()
            cursor.execute(
                "SELECT id, subscriber, reason, source, excluded_at FROM blocklists_blocklistentry "
                "WHERE sender_id = %s AND subscriber = %s",
                [sender.pk, q],
            )
            cursor.fetchall()
            floor.append(time.perf_counter() - started)
    total = sender.blocklist.count()
    print(f"entries on the sender: {total:,}; searches: {len(queries)}")
    print(f"full page, hit        {percentiles(page)}")
    print(f"htmx results, hit     {percentiles(htmx)}")
    print(f"htmx results, miss    {percentiles(miss)}")
    print(f"browse pages 1-5      {percentiles(browse)}")
    print(f"6-digit prefix        {percentiles(prefix)}")
    print(f"bare SQL (floor)      {percentiles(floor)}")


if __name__ == "__main__":
    main()
