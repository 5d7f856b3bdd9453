"""What the message-count triggers cost the busiest writer: dispatch, triggers on and off.

Creates batches of ``--messages`` (with a template and a label) in the first SMS
sender of the database and dispatches each in this process (the send chunks run
inline, as in ``bench_messaging.py``), alternating runs with the count triggers
disabled and enabled: all of them (migrations messaging/0004 and 0006, ``ALTER TABLE
... DISABLE TRIGGER USER``), or with ``--which template`` only those of the counts by
template and label (0006). ``--which indexes`` does the same with the partial
indexes by template and label of migration 0007 (dropped, then built again), ``--which
recent`` with the index of every organization's messages newest first (0009), ``--which
number`` with the number index as it was before 0012 (no ``INCLUDE (organization_id)``)
in the "off" runs. Run it
on a scratch database (``bench_messaging.py``'s):
the runs with the triggers off leave the counts behind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale_messaging \\
        .venv/bin/python bench/trigger_cost.py --messages 30000 --rounds 2 [--which template]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")


# The indexes ``--which`` drops and builds again, by its value.
INDEXES = {
    "indexes": ("message_org_tpl_newest_idx", "message_org_label_newest_idx"),
    "recent": ("message_recent_idx",),
    "number": ("message_subscriber_org_idx",),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--which", choices=["all", "template", "indexes", "recent", "number"], default="all"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from celery import current_app
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Sender
    from messaging import services
    from messaging.gateways import LoopbackGateway

    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    current_app.conf.task_always_eager = True
    LoopbackGateway.after_send = lambda self, messages: None
    sender = Sender.objects.filter(kind="sms_short_code").order_by("id").first()
    if sender is None:
        sys.exit("No SMS sender: run bench_messaging.py on this database first.")
    base = int(time.time()) % 100_000 * 100

    def dispatch(run: int) -> float:
        first = base + run * args.messages
        numbers = [f"+1415{(first + i) % 10**7:07d}" for i in range(args.messages)]
        later = timezone.now() + dt.timedelta(hours=1)
        batch = services.create_batch(
            organization=sender.organization,
            sender=sender,
            subscribers=numbers,
            text="Your order has shipped.",
            template="order_shipped",
            label="autumn",
            send_at=later,
        )
        started = time.perf_counter()
        services.dispatch_batch(batch_id=batch.pk, now=later + dt.timedelta(seconds=1))
        return args.messages / (time.perf_counter() - started)

    if args.which == "all":
        names = ["USER"]
    else:
        names = [f"messaging_template_count_{event}" for event in ("insert", "update", "delete")]

    def switch(verb: str) -> None:
        if args.which in INDEXES:
            return switch_indexes(verb)
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"ALTER TABLE messaging_message {verb} TRIGGER {name}")

    from messaging.models import Message

    names_of_indexes = INDEXES.get(args.which, ())
    indexes = [index for index in Message._meta.indexes if index.name in names_of_indexes]

    # ``--which number``: the "off" runs write to the number index without the organization.
    from django.db import models

    narrow = models.Index(fields=["subscriber", "sent_at"], name="message_subscriber_sent_idx")
    built = {"state": "ENABLE"}

    def switch_indexes(verb: str) -> None:
        if built["state"] == verb:
            return
        with connection.cursor() as cursor:
            for index in [*indexes, narrow]:
                cursor.execute(f"DROP INDEX IF EXISTS {index.name}")
        with connection.schema_editor() as editor:
            if verb == "ENABLE":
                for index in indexes:
                    editor.add_index(Message, index)
            elif args.which == "number":
                editor.add_index(Message, narrow)
        built["state"] = verb

    what = {
        "all": "count triggers",
        "template": "template-count triggers",
        "indexes": "template and label indexes",
        "recent": "newest-first index",
        "number": "organization in the number index",
    }[args.which]
    rates: dict[str, list[float]] = {"off": [], "on": []}
    for run in range(args.rounds * 2):
        mode = "off" if run % 2 == 0 else "on"
        switch("DISABLE" if mode == "off" else "ENABLE")
        try:
            rates[mode].append(dispatch(run))
        except BaseException:
            switch("ENABLE")
            raise
        rate = rates[mode][-1]
        print(f"run {run + 1}: {what} {mode}: {rate:,.0f} messages/s", flush=True)
    switch("ENABLE")
    for mode, values in rates.items():
        shown = " / ".join(f"{v:,.0f}" for v in values)
        print(f"{what} {mode}: {shown} messages/s")


if __name__ == "__main__":
    main()
