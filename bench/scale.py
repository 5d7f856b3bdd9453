"""Scale benchmarks side by side (issue #8): the support pages at production volumes.

Needs the data of ``manage.py seed_scale`` (default volumes) in a PostgreSQL
database. Starts gunicorn with the production settings (DEBUG off, a random
SECRET_KEY generated for the run), logs in through the login form as the
organization's agent and as platform staff, warms up, then for each search
times, one request at a time over keep-alive HTTP on loopback and in turns (one
of each, then the next round), so that all three see the same machine:

- the Handoff page, as the agent;
- the Django admin changelist doing the same search (``search_fields`` /
  ``list_filter`` on the same model and data), as platform staff;
- the bare SQL the page needs (the floor), from this process.

Prints p50 / p95 / p99 and the peak memory (VmHWM) of the gunicorn processes,
and records the figures for ``docs/performance.md``.

    createdb -h 127.0.0.1 -U postgres handoff_scale
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale
    DEBUG=true .venv/bin/python manage.py migrate
    DEBUG=true .venv/bin/python manage.py seed_scale
    .venv/bin/python bench/scale.py search
    .venv/bin/python bench/scale.py report     # rewrite the table in docs/performance.md

Subcommands: ``search`` (Block List, Message Lookup by number and by channel,
number timeline, SMS Status), ``report``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_scale")
os.environ.setdefault("DEBUG", "true")  # this process only; gunicorn runs with DEBUG off

import results  # noqa: E402

# The hours of the SMS Status window that have an outbound SMS of a status, from the
# hourly counts: [first, last). The page reads that status's messages only within them.
STATUS_HOURS_SQL = (
    "SELECT min(hour), max(hour) + interval '1 hour' FROM ("
    "SELECT hour FROM messaging_messagecount WHERE organization_id = %s "
    "AND direction = 'outbound' "
    "AND channel IN ('sms_short_code', 'sms_long_code') AND status = %s "
    "AND hour >= date_trunc('hour', now() - interval '30 days') "
    "GROUP BY hour HAVING sum(n) > 0) hours"
)


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered) * 1000,
        "p95": percentile(ordered, 0.95) * 1000,
        "p99": percentile(ordered, 0.99) * 1000,
        "n": len(ordered),
    }


def fmt(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:.1f} / p95 {s['p95']:.1f} / p99 {s['p99']:.1f} ms"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(**extra: str) -> dict[str, str]:
    """Production settings for the processes under test; plain HTTP on loopback."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "HANDOFF_PUBLIC_URL": "https://127.0.0.1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


class Gunicorn:
    """``gunicorn config.wsgi`` with the production settings, stopped by its own pid."""

    def __init__(self, workers: int = 2):
        self.port = free_port()
        env = production_env(STATIC_ROOT=str(REPO / "var" / "bench" / "static"))
        # The production static storage serves from collectstatic's manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=REPO,
            env=env,
            check=True,
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",  # the Procfile's settings (its worker class), then this run's
                "config/gunicorn.py",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "120",
            ],
            cwd=REPO,
            env=env,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def peak_memory(self) -> str:
        workers = [results.peak_rss_mb(pid) for pid in results.children(self.process.pid)]
        master = results.peak_rss_mb(self.process.pid)
        shown = " / ".join(f"{w:.0f}" for w in workers)
        return f"gunicorn master {master:.0f} MB, workers {shown} MB"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Browser:
    """A keep-alive HTTP client with its own cookies (the session cookie is ``Secure``,
    which a cookie jar would not send over plain HTTP on loopback)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, content

    def get(self, path: str, params: dict | None = None, headers=None) -> tuple[int, bytes]:
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return self.request("GET", path, headers=headers)

    def login(self, username: str, password: str) -> None:
        _status, page = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request(
            "POST",
            "/login/",
            urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token, "username": username, "password": password}
            ),
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed ({status})")


def timed_together(calls: list, count: int, warmup: int, max_seconds: float) -> list[list[float]]:
    """Each of ``calls`` ``warmup`` times untimed, then in turns: ``calls[0](i)``,
    ``calls[1](i)``, ... for each ``i``. A call stops after ``count`` requests, or once
    it has spent ``max_seconds`` (after at least 5); the others go on in turns. The
    samples of each call, in the order of ``calls``.

    In turns, so that the legs of a comparison see the same machine: on a shared
    machine the CPU's speed changed by up to 2x from one half-minute to the next
    (docs/performance.md, "Fourteenth session"), and legs timed one after the other
    gave ratios from 5.1x to 7.8x in consecutive runs.
    """
    for i in range(warmup):
        for call in calls:
            call(i)
    samples: list[list[float]] = [[] for _ in calls]
    spent = [0.0 for _ in calls]

    def going(k: int) -> bool:
        taken = len(samples[k])
        return taken < count and (taken < 5 or spent[k] <= max_seconds)

    i = 0
    while any(going(k) for k in range(len(calls))):
        for k, call in enumerate(calls):
            if going(k):
                started = time.perf_counter()
                call(i)
                took = time.perf_counter() - started
                samples[k].append(took)
                spent[k] += took
        i += 1
    return samples


def django_setup():
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL: set DATABASE_URL to the seed_scale database.")
    return connection


def logins(slug: str) -> dict[str, str]:
    """Fresh random passwords for the seeded agent and staff (this run only)."""
    from django.contrib.auth import get_user_model

    passwords = {}
    for suffix in ("agent", "staff"):
        user = get_user_model().objects.get(username=f"{slug}-{suffix}")
        passwords[suffix] = secrets.token_urlsafe(16)
        user.set_password(passwords[suffix])
        user.save(update_fields=["password"])
    return passwords


def run_search(args) -> None:
    connection = django_setup()
    from accounts.models import Organization
    from blocklists.models import BlocklistEntry
    from handoff.management.commands.seed_scale import scale_number

    try:
        org = Organization.objects.get(slug=args.org_slug)
    except Organization.DoesNotExist:
        sys.exit(f"No organization {args.org_slug!r}: run manage.py seed_scale first.")
    senders = list(org.senders.order_by("address").values_list("pk", flat=True))
    rng = random.Random(args.seed)
    blocked = list(
        BlocklistEntry.objects.filter(sender_id__in=senders[:5])
        .order_by("?")
        .values_list("subscriber", flat=True)[:200]
    )
    customers = [scale_number(rng.randrange(100_000)) for _ in range(200)]
    # The seeded templates (seed_scale uses the same five words as labels), in any case,
    # and a value that matches nothing (the list reads its index, not the window).
    tags = ["otp", "Promo", "REMINDER", "survey", "order_shipped", "no-such-template"]
    searched = [v for pair in zip(blocked, customers, strict=False) for v in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM messaging_message WHERE organization_id = %s", [org.pk]
        )
        message_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM blocklists_blocklistentry")
        entry_count = cursor.fetchone()[0]
    print(f"data: {entry_count:,} blocklist entries, {message_count:,} messages of {org.slug}")
    volumes = f"{entry_count / 1e6:g}M entries, {message_count / 1e6:g}M messages"

    passwords = logins(args.org_slug)
    server = Gunicorn(workers=args.workers)
    try:
        agent = Browser(server.port)
        agent.login(f"{args.org_slug}-agent", passwords["agent"])
        staff = Browser(server.port)
        staff.login(f"{args.org_slug}-staff", passwords["staff"])
        since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)).isoformat()

        def page(browser, path, params_of, must=b""):
            def call(i):
                status, content = browser.get(path, params_of(i))
                assert status == 200, (path, params_of(i), status, content[:300])
                assert must in content, (path, params_of(i))

            return call

        def sql(query, params_of):
            def call(i):
                with connection.cursor() as cursor:
                    for q, p in zip(query, params_of(i), strict=True):
                        cursor.execute(q, p)
                        cursor.fetchall()

            return call

        # Where the SMS Status status leg's statuses have messages, as the page asks the
        # counts on every request (the floor's query for it runs in the leg too).
        status_hours = []
        with connection.cursor() as cursor:
            for status in ("send_failed", "delivered"):
                cursor.execute(STATUS_HOURS_SQL, [org.pk, status])
                status_hours.append(cursor.fetchone())

        legs = [
            (
                "Block List search by number",
                page(agent, "/handoff/block-list/", lambda i: {"number": searched[i % 400]}),
                page(
                    staff, "/admin/blocklists/blocklistentry/", lambda i: {"q": searched[i % 400]}
                ),
                sql(
                    [
                        "SELECT e.id, e.subscriber, e.reason, e.source, e.excluded_at, s.address "
                        "FROM blocklists_blocklistentry e JOIN accounts_sender s "
                        "ON s.id = e.sender_id WHERE e.subscriber = %s AND s.organization_id = %s",
                        "SELECT id, scope, code, expires_at FROM blocklists_interception "
                        "WHERE number = %s AND expires_at > now() "
                        "AND (scope = 'global' OR organization_id = %s)",
                    ],
                    lambda i: [(searched[i % 400], org.pk)] * 2,
                ),
                "admin changelist `search_fields=['=subscriber']`",
            ),
            (
                "Message Lookup by customer number",
                page(
                    agent, "/handoff/messages/", lambda i: {"customer_number": customers[i % 200]}
                ),
                page(staff, "/admin/messaging/message/", lambda i: {"q": customers[i % 200]}),
                sql(
                    [
                        "SELECT m.*, s.address FROM messaging_message m JOIN accounts_sender s "
                        "ON s.id = m.sender_id WHERE m.organization_id = %s AND m.subscriber = %s "
                        "ORDER BY m.requested_at DESC, m.id DESC LIMIT 51"
                    ],
                    lambda i: [(org.pk, customers[i % 200])],
                ),
                "admin changelist `search_fields=['=subscriber']`",
            ),
            (
                "Message Lookup by channel (first page)",
                page(agent, "/handoff/messages/", lambda i: {"channel": senders[i % len(senders)]}),
                page(
                    staff,
                    "/admin/messaging/message/",
                    lambda i: {"sender__id__exact": senders[i % len(senders)]},
                ),
                sql(
                    [
                        "SELECT m.*, s.address FROM messaging_message m JOIN accounts_sender s "
                        "ON s.id = m.sender_id WHERE m.organization_id = %s AND m.sender_id = %s "
                        "ORDER BY m.requested_at DESC, m.id DESC LIMIT 51"
                    ],
                    lambda i: [(org.pk, senders[i % len(senders)])],
                ),
                "admin changelist `list_filter` on the sender",
            ),
            (
                "Number timeline",
                _timeline(agent, customers),
                page(staff, "/admin/messaging/message/", lambda i: {"q": customers[i % 200]}),
                sql(
                    [
                        "SELECT m.* FROM messaging_message m WHERE m.organization_id = %s "
                        "AND m.subscriber = %s ORDER BY m.requested_at DESC, m.id DESC LIMIT 200",
                        "SELECT e.* FROM blocklists_blocklistevent e WHERE e.organization_id = %s "
                        "AND e.subscriber = %s",
                        "SELECT i.* FROM blocklists_interception i WHERE i.number = %s "
                        "AND (i.organization_id = %s OR i.organization_id IS NULL)",
                    ],
                    lambda i: [(org.pk, customers[i % 200])] * 2 + [(customers[i % 200], org.pk)],
                ),
                "admin changelist, messages of the number (`search_fields`)",
            ),
            (
                "SMS Status, 30 days, status filter",
                page(
                    agent,
                    "/handoff/status/",
                    lambda i: {"status": ("send_failed", "delivered")[i % 2]},
                ),
                page(
                    staff,
                    "/admin/messaging/message/",
                    lambda i: {
                        "direction__exact": "outbound",
                        "status__exact": ("send_failed", "delivered")[i % 2],
                        "requested_at__gte": since,
                    },
                ),
                sql(
                    [
                        # The summary as the page gets it: whole hours from the hourly
                        # counts, the partial first hour from the messages.
                        "SELECT status, sum(n) FROM messaging_messagecount "
                        "WHERE organization_id = %s AND direction = 'outbound' "
                        "AND channel IN ('sms_short_code', 'sms_long_code') "
                        "AND hour >= date_trunc('hour', now() - interval '30 days') "
                        "+ interval '1 hour' GROUP BY status",
                        "SELECT status, count(*) FROM messaging_message WHERE organization_id = %s "
                        "AND direction = 'outbound' AND channel IN ('sms_short_code', "
                        "'sms_long_code') AND requested_at >= now() - interval '30 days' "
                        "AND requested_at < date_trunc('hour', now() - interval '30 days') "
                        "+ interval '1 hour' GROUP BY status",
                        # The hours that have a message of the status, from the counts;
                        # the list reads only within them.
                        STATUS_HOURS_SQL,
                        "SELECT m.* FROM messaging_message m WHERE organization_id = %s "
                        "AND direction = 'outbound' AND status = %s "
                        "AND requested_at >= now() - interval '30 days' "
                        "AND requested_at >= %s AND requested_at < %s "
                        "ORDER BY requested_at DESC, id DESC LIMIT 51",
                    ],
                    lambda i: [
                        (org.pk,),
                        (org.pk,),
                        (org.pk, ("send_failed", "delivered")[i % 2]),
                        (org.pk, ("send_failed", "delivered")[i % 2], *status_hours[i % 2]),
                    ],
                ),
                "admin changelist `list_filter` status + date",
            ),
            *[
                (
                    f"SMS Status, 30 days, {name} filter",
                    page(agent, "/handoff/status/", lambda i, n=name: {n: tags[i % len(tags)]}),
                    page(
                        staff,
                        "/admin/messaging/message/",
                        lambda i, n=name: {
                            "direction__exact": "outbound",
                            f"{n}__iexact": tags[i % len(tags)],
                            "requested_at__gte": since,
                        },
                    ),
                    sql(
                        [
                            # The summary as the page gets it: whole hours from the counts by
                            # template and label, the partial first hour from the messages;
                            # then the first page through the partial expression index.
                            "SELECT status, sum(n) FROM messaging_templatecount "
                            f"WHERE organization_id = %s AND {name} = upper(%s) "
                            "AND channel IN ('sms_short_code', 'sms_long_code') "
                            "AND hour >= date_trunc('hour', now() - interval '30 days') "
                            "+ interval '1 hour' GROUP BY status",
                            "SELECT status, count(*) FROM messaging_message "
                            "WHERE organization_id = %s AND direction = 'outbound' "
                            f"AND upper({name}) = upper(%s) AND {name} <> '' "
                            "AND channel IN ('sms_short_code', 'sms_long_code') "
                            "AND requested_at >= now() - interval '30 days' "
                            "AND requested_at < date_trunc('hour', now() - interval '30 days') "
                            "+ interval '1 hour' GROUP BY status",
                            "SELECT m.* FROM messaging_message m WHERE organization_id = %s "
                            f"AND direction = 'outbound' AND upper({name}) = upper(%s) "
                            f"AND {name} <> '' "
                            "AND channel IN ('sms_short_code', 'sms_long_code') "
                            "AND requested_at >= now() - interval '30 days' "
                            "ORDER BY requested_at DESC, id DESC LIMIT 51",
                        ],
                        lambda i: [(org.pk, tags[i % len(tags)])] * 3,
                    ),
                    f"admin changelist, `{name}__iexact` + direction + date",
                )
                for name in ("template", "label")
            ],
        ]
        for name, ours, admin, floor, admin_label in legs:
            if args.only and args.only.lower() not in name.lower():
                continue
            mine, theirs, bare = map(
                summary,
                timed_together([ours, admin, floor], args.count, args.warmup, args.max_seconds),
            )
            ratio = theirs["p95"] / mine["p95"]
            print(f"\n{name}  ({volumes})")
            print(f"  Handoff page (HTTP, agent)   {fmt(mine)}  n={mine['n']}")
            print(f"  Django admin                 {fmt(theirs)}  n={theirs['n']}")
            print(f"  bare SQL (floor)             {fmt(bare)}  n={bare['n']}")
            print(f"  admin p95 / Handoff p95 = {ratio:.1f}x")
            results.record(
                name,
                f"HTTP latency, {volumes}",
                fmt(mine),
                f"{admin_label}: {fmt(theirs)}; bare SQL: {fmt(bare)}; "
                f"admin/Handoff p95 {ratio:.1f}x",
            )
        print("\npeak memory:", server.peak_memory())
        results.record("Search pages", "peak memory (VmHWM)", server.peak_memory())
    finally:
        server.stop()


def _timeline(agent, customers):
    def call(i):
        status, content = agent.get(f"/handoff/numbers/{customers[i % 200]}/")
        assert status == 200, (customers[i % 200], status)

    return call


def run_report(args) -> None:
    # A benchmark run again replaces its earlier figures (the latest per operation and
    # measure), in the order the operations were first recorded.
    latest: dict[tuple[str, str], dict] = {}
    for row in results.read():
        latest[(row["operation"], row["measure"])] = row
    rows = list(latest.values())
    if not rows:
        sys.exit(f"No results in {results.RESULTS}: run the benchmarks first.")
    versions = _versions()
    lines = [
        "<!-- scale-results:start (rewritten by `make bench`; edit the text around it) -->",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d} on {results.machine()}; {versions}.",
        "",
        "| operation | measure | Handoff | comparison (same run) | command |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = [row["operation"], row["measure"], row["handoff"], row["comparison"]]
        cells.append(f"`{row['command']}`")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines.append("<!-- scale-results:end -->")
    doc = REPO / "docs" / "performance.md"
    text = doc.read_text()
    block = "\n".join(lines)
    pattern = re.compile(r"<!-- scale-results:start.*?<!-- scale-results:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n## Scale benchmarks side by side\n\n" + block + "\n"
    doc.write_text(text)
    print(f"rewrote the table in {doc} ({len(rows)} rows)")


def _versions() -> str:
    import django
    import psycopg

    parts = [f"Python {sys.version.split()[0]}", f"Django {django.get_version()}"]
    try:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        parts.append(f"PostgreSQL {out.split()[0]}" if out else "PostgreSQL ?")
    except (OSError, subprocess.SubprocessError):
        pass
    parts.append(f"psycopg {psycopg.__version__}")
    try:
        import gunicorn

        parts.append(f"gunicorn {gunicorn.__version__}")
    except ImportError:
        pass
    try:
        import celery

        parts.append(f"Celery {celery.__version__}")
    except ImportError:
        pass
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="the search pages vs the Django admin vs bare SQL")
    search.add_argument("--org-slug", default="scale")
    search.add_argument("--count", type=int, default=200, help="timed requests per leg")
    search.add_argument("--warmup", type=int, default=10)
    search.add_argument("--max-seconds", type=float, default=60, help="per leg (at least 5 rounds)")
    search.add_argument("--workers", type=int, default=2)
    search.add_argument("--seed", type=int, default=5)
    search.add_argument("--only", help="run only the legs whose name contains this")
    sub.add_parser("report", help="rewrite the results table in docs/performance.md")
    args = parser.parse_args()
    if args.command == "search":
        run_search(args)
    else:
        run_report(args)


if __name__ == "__main__":
    main()
