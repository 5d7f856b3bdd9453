"""Messaging at volume: dispatch of 100,000 messages, the suppression check (PostgreSQL).

- dispatch: one batch of N messages through all six guards (with 1M blocklist
  entries and 1M interceptions in the tables, a frequency limit and a word
  list) to the loopback gateway, in one process (what one worker does):
  ``dispatch_batch`` plus every ``send_messages`` chunk, receipts excluded.
- ``GET /api/v1/suppressions/check`` for one subscriber through the full HTTP
  stack (Django test Client, bearer token): p50/p95/p99.
- ``POST /api/v1/suppressions/check`` with 100,000 subscribers.
- the comparison for dispatch: the same guards written the naive way, one query
  per message per guard and one UPDATE per message (``--naive-messages``, 10,000
  by default: at one query each it would take minutes for 100,000), then the same
  sends to the loopback gateway.

    createdb -h 127.0.0.1 -U postgres handoff_bench_messaging
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_bench_messaging \
        .venv/bin/python bench/bench_messaging.py [--rows 1000000] [--messages 100000]
"""

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

import results  # noqa: E402
from celery import current_app  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization, Sender, Subaccount  # noqa: E402
from accounts.tokens import create_token  # noqa: E402
from blocklists.models import BlocklistEntry, Interception  # noqa: E402
from messaging import services  # noqa: E402
from messaging.gateways import LoopbackGateway  # noqa: E402
from messaging.models import Message, ProhibitedTerm, TermKind  # noqa: E402
from messaging.statuses import MessageStatus  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1, int(len(ordered) * p))]  # noqa: E731
    return (
        f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {pick(0.95) * 1000:7.2f} ms   "
        f"p99 {pick(0.99) * 1000:7.2f} ms"
    )


def number(i: int) -> str:
    # +1 415 2xx xxxx .. valid US numbers, distinct per i (i < 8,000,000).
    return f"+1415{2000000 + i:07d}"


def copy_rows(table: str, columns: str, rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
        while chunk := buffer.read(1 << 20):
            cp.write(chunk)


def seed(rows: int) -> tuple[Organization, Sender, Subaccount]:
    org, _ = Organization.objects.get_or_create(
        slug="bench-messaging", defaults={"name": "Bench Messaging", "country": "US"}
    )
    team, _ = Subaccount.objects.get_or_create(
        organization=org,
        name="Bench team",
        defaults={"frequency_limit_messages": 5, "frequency_limit_hours": 24},
    )
    sender, _ = Sender.objects.get_or_create(
        organization=org,
        address="70011",
        defaults={"kind": "sms_short_code", "name": "Bench", "subaccount": team},
    )
    ProhibitedTerm.objects.get_or_create(term="free cash")
    ProhibitedTerm.objects.get_or_create(term="bit.ly", defaults={"kind": TermKind.DOMAIN})
    now = timezone.now()
    if BlocklistEntry.objects.filter(sender=sender).count() < rows:
        started = time.perf_counter()
        # Odd numbers of the upper range: some of the batch's numbers are on the list.
        copy_rows(
            "blocklists_blocklistentry",
            "sender_id, subscriber, reason, source, excluded_at",
            (
                (str(sender.pk), number(i), "not_defined", "csv", now.isoformat())
                for i in range(0, rows * 2, 2)
            ),
        )
        print(f"seeded {rows:,} blocklist entries in {time.perf_counter() - started:.1f} s")
    if Interception.objects.count() < rows:
        started = time.perf_counter()
        later = (now + dt.timedelta(days=30)).isoformat()
        copy_rows(
            "blocklists_interception",
            "number, scope, code, reason, intercepted_at, expires_at, origin",
            (
                (number(i), "global", "500", "Empty", now.isoformat(), later, "automatic")
                for i in range(1, rows * 2, 2)
            ),
        )
        print(f"seeded {rows:,} interceptions in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return org, sender, team


def bench_dispatch(org, sender, team, messages: int, offset: int = 4_000_000) -> float:
    # Numbers above the seeded range are free; 1 in 50 falls on a blocklisted or
    # intercepted number so those guards stop some messages.
    rng = random.Random(7)
    numbers = [
        number(rng.randrange(0, 200_000)) if i % 50 == 0 else number(offset + i)
        for i in range(messages)
    ]
    started = time.perf_counter()
    batch = services.create_batch(
        organization=org,
        sender=sender,
        subscribers=numbers,
        text="Hi {{name}}, your order has shipped.",
        variables={"name": "Ann"},
        template="order_shipped",  # counted by template and label too, as real sends are
        label="autumn",
        subaccount=team,
        send_at=timezone.now() + dt.timedelta(hours=1),  # programmed: dispatched below
    )
    print(f"create_batch of {messages:,}: {time.perf_counter() - started:.2f} s")
    # One process plays the worker: the send chunks queued on commit run inline,
    # and the loopback's receipts are left out (they are not part of dispatch).
    current_app.conf.task_always_eager = True
    LoopbackGateway.after_send = lambda self, messages: None
    started = time.perf_counter()
    result = services.dispatch_batch(
        batch_id=batch.pk, now=timezone.now() + dt.timedelta(hours=1, seconds=1)
    )
    elapsed = time.perf_counter() - started
    sent = Message.objects.filter(batch=batch, status=MessageStatus.SENT).count()
    print(f"dispatch outcome: {result}; sent to gateway: {sent:,}")
    print(
        f"dispatch of {messages:,} through all guards to the loopback gateway: "
        f"{elapsed:.2f} s = {messages / elapsed:,.0f} messages/s (target >= 5,000/s)"
    )
    return messages / elapsed


def naive_dispatch(org, sender, team, messages: int, offset: int = 5_000_000) -> float:
    """The same six guards with one query per message per guard, one UPDATE per message."""
    from django.db import transaction
    from django.db.models import Q

    from accounts.models import Subaccount
    from messaging import guards
    from messaging.models import Batch, ClearedTerm
    from messaging.statuses import FailureCategory

    rng = random.Random(8)
    numbers = [
        number(rng.randrange(0, 200_000)) if i % 50 == 0 else number(offset + i)
        for i in range(messages)
    ]
    batch = services.create_batch(
        organization=org,
        sender=sender,
        subscribers=numbers,
        text="Hi {{name}}, your order has shipped.",
        variables={"name": "Ann"},
        template="order_shipped",
        label="autumn",
        subaccount=team,
        send_at=timezone.now() + dt.timedelta(hours=1),
    )
    now = timezone.now() + dt.timedelta(hours=1, seconds=1)
    current_app.conf.task_always_eager = True
    LoopbackGateway.after_send = lambda self, messages: None
    started = time.perf_counter()
    to_send = []
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(dispatched_at=now)
        for message in Message.objects.filter(batch=batch).order_by("id").iterator(2000):
            status, category = MessageStatus.SENDING, ""
            subaccount = Subaccount.objects.get(pk=team.pk)  # 1. sending hours
            if not subaccount.allows_sending_at(now):
                status = MessageStatus.BLOCKED_TIME
            elif (
                Interception.objects.filter(number=message.subscriber, expires_at__gt=now)
                .filter(Q(scope="global") | Q(organization=org))
                .exists()
            ):  # 2. interceptions
                status, category = MessageStatus.PROCESS_FAILED, FailureCategory.GLOBAL_BLOCK
            elif BlocklistEntry.objects.filter(
                sender=sender, subscriber=message.subscriber
            ).exists():  # 3. blocklist
                status, category = MessageStatus.PROCESS_FAILED, FailureCategory.UNSUBSCRIBE
            else:
                text, _missing = guards.render(message.text, message.variables)
                cleared = ClearedTerm.objects.filter(organization=org).values("term")
                terms = ProhibitedTerm.objects.exclude(term__in=cleared).values_list(
                    "term", flat=True
                )  # 4. words not allowed
                if any(term in text.lower() for term in terms):
                    status, category = MessageStatus.PROCESS_FAILED, FailureCategory.KEYWORD_BLOCK
                elif guards.content_problem(text, sender.kind)[0]:  # 5. content
                    status, category = MessageStatus.PROCESS_FAILED, FailureCategory.CONTENT_ERROR
                elif (
                    Message.objects.filter(
                        subscriber=message.subscriber,
                        sent_at__gte=now - dt.timedelta(hours=team.frequency_limit_hours),
                    ).count()
                    >= team.frequency_limit_messages
                ):  # 6. frequency
                    status, category = (
                        MessageStatus.PROCESS_FAILED,
                        FailureCategory.FREQUENCY_OVERRUN,
                    )
            message.status, message.failure_category, message.updated_at = status, category, now
            message.save(update_fields=["status", "failure_category", "updated_at"])
            if status == MessageStatus.SENDING:
                to_send.append(message.pk)
    for start in range(0, len(to_send), 1000):
        services.send_messages(message_ids=to_send[start : start + 1000])
    elapsed = time.perf_counter() - started
    rate = messages / elapsed
    print(
        f"naive dispatch (one query per message per guard) of {messages:,}: {elapsed:.2f} s "
        f"= {rate:,.0f} messages/s"
    )
    return rate


def bench_check(org, sender, samples: int) -> None:
    _token, secret = create_token(organization=org, name="bench")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    rng = random.Random(11)
    timings = []
    for i in range(samples + 20):
        subscriber = number(rng.randrange(0, 2_000_000))
        started = time.perf_counter()
        response = client.get(
            "/api/v1/suppressions/check", {"sender": sender.address, "to": subscriber}
        )
        if i >= 20:  # warm-up
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
    print(f"GET suppressions/check, one subscriber ({samples} samples): {percentiles(timings)}")
    # 10% of the subscribers are blocklisted or intercepted, the rest free.
    subscribers = [number(i) if i % 10 == 0 else number(4_000_000 + i) for i in range(100_000)]
    body = {"sender": sender.address, "to": subscribers}
    import json

    payload = json.dumps(body)
    for run in range(3):
        started = time.perf_counter()
        response = client.post(
            "/api/v1/suppressions/check", payload, content_type="application/json"
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        blocked = len(response.json()["blocked"])
        print(
            f"POST suppressions/check, 100,000 subscribers (run {run + 1}): {elapsed:.2f} s, "
            f"{blocked:,} blocked (target < 2 s)"
        )


def bench_check_http(org, sender, samples: int) -> None:
    """The same single check through gunicorn (production settings) over real HTTP."""
    import http.client
    import secrets
    import socket
    import subprocess

    _token, secret = create_token(organization=org, name="bench-http")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",  # the Procfile's settings and hooks (its worker class); this run's below
            "config/gunicorn.py",
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {secret}", "Host": "127.0.0.1"}
        rng = random.Random(12)
        timings = []
        for i in range(samples + 50):
            subscriber = number(rng.randrange(0, 2_000_000))
            started = time.perf_counter()
            connection_.request(
                "GET",
                f"/api/v1/suppressions/check?sender={sender.address}&to=%2B{subscriber[1:]}",
                headers=headers,
            )
            response = connection_.getresponse()
            response.read()
            if i >= 50:  # warm-up
                timings.append(time.perf_counter() - started)
            assert response.status == 200, response.status
        print(
            f"GET suppressions/check through gunicorn (2 workers, DEBUG off, keep-alive), "
            f"{samples} samples: {percentiles(timings)}"
        )
        # The floor: the two lookups the check needs, bare SQL from this process.
        floor = []
        with connection.cursor() as cursor:
            for _ in range(samples):
                subscriber = number(rng.randrange(0, 2_000_000))
                started = time.perf_counter()
                cursor.execute(
                    "SELECT 1 FROM blocklists_blocklistentry WHERE sender_id = %s "
                    "AND subscriber = %s",
                    [sender.pk, subscriber],
                )
                cursor.fetchall()
                cursor.execute(
                    "SELECT id, scope, code FROM blocklists_interception WHERE number = %s "
                    "AND expires_at > now() AND (scope = 'global' OR organization_id = %s)",
                    [subscriber, org.pk],
                )
                cursor.fetchall()
                floor.append(time.perf_counter() - started)
        print(f"bare SQL of one check ({samples} samples): {percentiles(floor)}")
        # 100,000 subscribers (10% blocked) in one POST through gunicorn.
        import json

        subscribers = [number(i) if i % 10 == 0 else number(4_000_000 + i) for i in range(100_000)]
        payload = json.dumps({"sender": sender.address, "to": subscribers})
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            connection_.request(
                "POST",
                "/api/v1/suppressions/check",
                payload,
                {**headers, "Content-Type": "application/json"},
            )
            response = connection_.getresponse()
            body = response.read()
            runs.append(time.perf_counter() - started)
            assert response.status == 200, body[:300]
        blocked = len(json.loads(body)["blocked"])
        print(
            f"POST suppressions/check, 100,000 through gunicorn: "
            f"{' / '.join(f'{r:.2f}' for r in runs)} s, {blocked:,} blocked"
        )
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "SELECT subscriber FROM blocklists_blocklistentry WHERE sender_id = %s "
                "AND subscriber = ANY(%s)",
                [sender.pk, subscribers],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT number FROM blocklists_interception WHERE number = ANY(%s) "
                "AND expires_at > now() AND (scope = 'global' OR organization_id = %s)",
                [subscribers, org.pk],
            )
            cursor.fetchall()
            batch_floor = time.perf_counter() - started
        print(f"bare SQL of the 100,000 check: {batch_floor:.2f} s")
        memory = " / ".join(f"{results.peak_rss_mb(p):.0f}" for p in results.children(server.pid))
        results.record(
            "Suppression check, single",
            f"`GET /api/v1/suppressions/check` through gunicorn, {samples} requests",
            " ".join(percentiles(timings).split()),
            f"bare SQL (the two lookups): {' '.join(percentiles(floor).split())}",
        )
        results.record(
            "Suppression check, 100,000 batch",
            "`POST /api/v1/suppressions/check` through gunicorn, 3 runs",
            " / ".join(f"{r:.2f} s" for r in runs) + f"; gunicorn workers peak {memory} MB",
            f"bare SQL (two `= ANY` queries): {batch_floor:.2f} s",
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--naive-messages", type=int, default=10_000)
    parser.add_argument("--only", choices=["check", "dispatch"], help="run only these legs")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL).")
    call_command("migrate", verbosity=0)
    org, sender, team = seed(args.rows)
    if args.only != "dispatch":
        bench_check(org, sender, args.samples)
        bench_check_http(org, sender, args.samples)
    if args.only != "check":
        rate = bench_dispatch(org, sender, team, args.messages)
        naive = naive_dispatch(org, sender, team, args.naive_messages)
        results.record(
            f"Dispatch of {args.messages:,} messages through the guards",
            "messages/s, one process as the worker, loopback gateway",
            f"{rate:,.0f} messages/s ({args.messages / rate:.1f} s)",
            f"naive loop, one query per message per guard, on {args.naive_messages:,} messages: "
            f"{naive:,.0f} messages/s (Handoff {rate / naive:.0f}x)",
        )


if __name__ == "__main__":
    main()
