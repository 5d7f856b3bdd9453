"""The 100,000-number suppression check step by step, in-process (PostgreSQL).

Needs the data ``bench_messaging.py`` seeds (1,000,000 blocklist entries of one
sender, 1,000,000 interceptions). Times, for the same 100,000 numbers as that
benchmark's (10% blocked), in rounds:

- the JSON body parsed and read by the API's schema;
- the numbers normalised (``messaging.services.normalize_recipients``);
- the two queries (``messaging.selectors._suppressions_postgresql``), then the
  same two with the numbers as an array parameter, as before ``text_array``;
- what psycopg spends writing the numbers as an array literal (``mogrify``);
- the whole ``suppressions_among`` and the JSON of the answer.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale_messaging \\
        .venv/bin/python bench/check_steps.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "check-steps-only")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone
    from psycopg import ClientCursor

    from accounts.models import Sender
    from blocklists.models import BlocklistEntry
    from messaging import selectors, services
    from messaging.api import CheckIn

    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL: set DATABASE_URL to bench_messaging.py's database.")
    sender_id = BlocklistEntry.objects.values_list("sender_id", flat=True).first()
    if sender_id is None:
        sys.exit("No blocklist entries: run bench/bench_messaging.py --only check first.")
    sender = Sender.objects.select_related("organization").get(pk=sender_id)
    # bench_messaging.number: +1 415 2xx xxxx; every tenth is on the blocklist.
    numbers = [
        f"+1415{2000000 + (i if i % 10 == 0 else 4_000_000 + i):07d}" for i in range(100_000)
    ]
    body = json.dumps({"sender": sender.address, "to": numbers})

    def as_array():  # the two queries as they were: the numbers as one array parameter
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT subscriber, reason, source, excluded_at FROM blocklists_blocklistentry "
                "WHERE sender_id = %s AND subscriber = ANY(%s::varchar[])",
                [sender.pk, unique],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT DISTINCT ON (number) number, code, scope, expires_at "
                "FROM blocklists_interception WHERE number = ANY(%s::varchar[]) "
                "AND expires_at > %s AND (scope = 'global' OR (scope = 'local' "
                "AND organization_id = %s)) ORDER BY number, scope",
                [unique, timezone.now(), sender.organization_id],
            )
            cursor.fetchall()

    connection.ensure_connection()
    mogrify = ClientCursor(connection.connection)
    for round_ in range(args.rounds):
        times = {}
        started = time.perf_counter()
        payload = CheckIn(**json.loads(body))
        times["json + schema"] = time.perf_counter() - started
        started = time.perf_counter()
        recipients = services.normalize_recipients(sender, payload.to).values
        times["normalise"] = time.perf_counter() - started
        unique = list(dict.fromkeys(recipients))
        started = time.perf_counter()
        selectors._suppressions_postgresql(sender, unique, True)
        times["queries (text_array)"] = time.perf_counter() - started
        started = time.perf_counter()
        as_array()
        times["queries (array)"] = time.perf_counter() - started
        started = time.perf_counter()
        mogrify.mogrify("SELECT %s::varchar[]", [unique])
        times["array literal, once"] = time.perf_counter() - started
        started = time.perf_counter()
        found = selectors.suppressions_among(sender, recipients)
        times["suppressions_among"] = time.perf_counter() - started
        started = time.perf_counter()
        json.dumps({"checked": len(recipients), "blocked": found}, default=str)
        times["answer JSON"] = time.perf_counter() - started
        shown = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in times.items())
        print(f"round {round_ + 1}: {shown}")


if __name__ == "__main__":
    main()
