"""What the stored-opt-out lookup costs at scale: with nothing pending, and behind a backlog.

``messaging.selectors.pending_opt_outs_among`` runs in every dispatch chunk and every
suppression check. On the ``seed_scale`` data (10M messages), for one number and for
10,000 numbers: p50/p95 in-process, then the same inside a transaction that adds
``--backlog`` unprocessed inbound messages (10% STOP) as a worker that is down would
leave them, with EXPLAIN ANALYZE of the 10,000-number query; rolled back at the end,
then VACUUM.

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale \\
        .venv/bin/python bench/pending_lookup.py [--backlog 200000] [--count 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Organization, Sender  # noqa: E402
from messaging import selectors  # noqa: E402


def timed(sender, numbers, count: int) -> str:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        selectors.pending_opt_outs_among(sender, numbers, sender.organization)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms (n={count})"


def explain(sender, numbers) -> str:
    with CaptureQueriesContext(connection) as queries:
        selectors.pending_opt_outs_among(sender, numbers, sender.organization)
    sql = next(q["sql"] for q in queries if "processed_at IS NULL AND subscriber" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        # The array of numbers makes the Index Cond line 150 KB long: cut it.
        return "\n".join("    " + row[0][:160] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=200_000)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    org = Organization.objects.get(slug="scale")
    sender = Sender.objects.filter(organization=org).exclude(kind="email").order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT subscriber FROM messaging_message WHERE organization_id = %s "
            "AND sender_id = %s LIMIT 10000",
            [org.pk, sender.pk],
        )
        numbers = [row[0] for row in cursor.fetchall()]
    print(f"{sender.address}: {len(numbers)} numbers with messages")
    print(f"nothing pending, 1 number:       {timed(sender, numbers[:1], args.count)}")
    print(f"nothing pending, 10,000 numbers: {timed(sender, numbers, max(5, args.count // 5))}")
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The newest inbound messages again, unprocessed: every tenth a STOP.
            cursor.execute(
                """
                INSERT INTO messaging_message (
                    organization_id, subaccount_id, sender_id, direction, channel, subscriber,
                    priority, text, template, label, variables, status, failure_category,
                    provider_message_id, segments, requested_at, updated_at, status_log,
                    keyword, keyword_kind, keyword_outcome)
                SELECT organization_id, subaccount_id, sender_id, direction, channel,
                    subscriber, priority,
                    CASE WHEN row_number() OVER () %% 10 = 0 THEN 'STOP' ELSE text END,
                    template, label, variables, 'received', '', 'backlog-' || id, segments,
                    now(), now(), '[]', '', '', ''
                FROM messaging_message
                WHERE organization_id = %s AND direction = 'inbound'
                ORDER BY id DESC LIMIT %s
                """,
                [org.pk, args.backlog],
            )
            print(f"backlog: {cursor.rowcount:,} unprocessed inbound messages added")
            cursor.execute("ANALYZE messaging_message")
        found = selectors.pending_opt_outs_among(sender, numbers, org)
        print(f"  opted out among the 10,000 by stored STOPs: {len(found)}")
        print(f"backlog, 1 number:       {timed(sender, numbers[:1], args.count)}")
        print(f"backlog, 10,000 numbers: {timed(sender, numbers, max(5, args.count // 5))}")
        print("EXPLAIN (ANALYZE, BUFFERS), 10,000 numbers:")
        print(explain(sender, numbers))
        transaction.set_rollback(True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The rolled-back backlog left dead entries in the partial indexes: the next
        # run's first scan would read them all (0.8 s once).
        cursor.execute("VACUUM messaging_message")
    print(f"VACUUM after the rollback: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
