"""Production-sized data for the scale benchmarks, in an organization of its own.

Lives in the top app because it writes every app's tables. Rows are generated
in Python (deterministic for a given ``--seed`` and day) and streamed to
PostgreSQL with ``COPY``; for large loads the table's secondary indexes and
constraints are dropped first and rebuilt once at the end (building an index
is much cheaper than maintaining it row by row), then everything is analysed.
On SQLite only small volumes are allowed (``bulk_create``), for the tests.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from collections.abc import Iterable, Iterator

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from accounts.models import Membership, Organization, Role, Sender, SenderKind
from blocklists.models import BlocklistEntry, Interception
from contacts.models import Contact, Ticket
from messaging.models import Batch, Message
from messaging.selectors import sent_before

# ``messaging.selectors.sent_before`` for every reply at once: in each (sender, number),
# in time order (a message at its sending, a reply at its arrival; a message sent at
# the very time of a reply counts as before it, then the latest id, as
# ``sent_before`` orders), ``grp`` counts the sent messages so far, so a reply's
# group starts with the message it answers. Replies before any message keep NULL.
ANSWERED_SQL = """
UPDATE messaging_message m
SET replied_template = a.template, replied_label = a.label
FROM (
    SELECT id, direction, grp,
           first_value(template) OVER w AS template,
           first_value(label) OVER w AS label
    FROM (
        SELECT id, direction, template, label, sender_id, subscriber, t, k,
               count(*) FILTER (WHERE direction = 'outbound')
                   OVER (PARTITION BY sender_id, subscriber ORDER BY t, k, id) AS grp
        FROM (
            SELECT id, direction, template, label, sender_id, subscriber,
                   CASE WHEN direction = 'outbound' THEN sent_at ELSE requested_at END AS t,
                   CASE WHEN direction = 'outbound' THEN 0 ELSE 1 END AS k
            FROM messaging_message
            WHERE organization_id = %s AND (direction = 'inbound' OR sent_at IS NOT NULL)
        ) x
    ) y
    WINDOW w AS (PARTITION BY sender_id, subscriber, grp ORDER BY t, k, id)
) a
WHERE m.id = a.id AND a.direction = 'inbound' AND a.grp > 0
"""

# Largest volume per table SQLite accepts: enough for tests, never a benchmark.
SQLITE_MAX_ROWS = 10_000
# Below this many rows a table keeps its indexes during the load.
REBUILD_INDEXES_ABOVE = 200_000

# Area codes with valid exchanges in phonenumbers' US metadata (as bench_import.py).
AREA_CODES = ("415", "212", "646", "312", "617", "206", "303", "512", "305", "702")
NUMBER_SPACE = len(AREA_CODES) * 800 * 10_000


def scale_number(index: int) -> str:
    """A distinct valid US number in E.164 for each index below 80,000,000."""
    area = AREA_CODES[index % len(AREA_CODES)]
    rest = index // len(AREA_CODES)
    return f"+1{area}{200 + rest // 10_000:03d}{rest % 10_000:04d}"


def sender_address(index: int) -> str:
    return f"6{index:04d}"


# Outbound status mix: (cumulative probability, status, failure code, failure category).
OUTBOUND_MIX = (
    (0.780, "delivered", None, ""),
    (0.820, "sent", None, ""),
    (0.900, "send_failed", "code", ""),
    (0.950, "process_failed", None, "category"),
    (0.960, "blocked_time", None, ""),
    (0.980, "cancelled", None, ""),
    (0.990, "error", None, ""),
    (0.995, "programmed", None, ""),
    (1.000, "sending", None, ""),
)
FAILURE_CODES = ("500", "510", "520", "530", "540", "550", "560", "570", "580", "590")
CATEGORIES = (
    "global_block",
    "partial_block",
    "unsubscribe",
    "keyword_block",
    "content_error",
    "frequency_overrun",
)
TEMPLATES = ("order_shipped", "otp", "promo", "reminder", "survey")
# Campaigns (files) carry this share of the outbound messages; API calls the rest.
CAMPAIGN_SHARE = 0.6
CAMPAIGN_SIZES, API_SIZES = (500, 20_000), (1, 20)
CAMPAIGN_TEMPLATES, API_TEMPLATES = (2, 4), (0, 1, 3)  # promo, survey; the others
BATCH_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as messaging.models.new_batch_id
TEXTS = (
    "Your order has shipped and arrives tomorrow.",
    "Your code is 481516. It expires in 10 minutes.",
    "This week only: 20% off everything. Reply STOP to opt out.",
    "Reminder: your appointment is tomorrow at 10:00.",
    "How did we do? Reply 1-5.",
)
INBOUND_TEXTS = ("Thanks", "When does it arrive?", "ok", "Who is this?", "Call me please")
REASONS = ("list_cleanup", "subscriber_complaint", "support_request", "not_defined")
SOURCES = ("csv", "manual", "opt_out", "opt_out", "opt_out")


class Command(BaseCommand):
    help = (
        "Load production-sized data (1M blocklist entries, 1M interceptions, 10M messages, "
        "100k contacts, 1M tickets by default) into an organization of its own. "
        "PostgreSQL (COPY); SQLite only for small volumes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org-slug", default="scale")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--entries", type=int, default=1_000_000, help="blocklist entries")
        parser.add_argument("--blocklist-senders", type=int, default=5)
        parser.add_argument("--interceptions", type=int, default=1_000_000, help="half expired")
        parser.add_argument("--messages", type=int, default=10_000_000)
        parser.add_argument("--numbers", type=int, default=100_000, help="customer numbers")
        parser.add_argument("--senders", type=int, default=50)
        parser.add_argument("--days", type=int, default=30, help="messages spread over")
        parser.add_argument("--contacts", type=int, default=100_000, help="10%% blocked")
        parser.add_argument("--tickets", type=int, default=1_000_000)

    def handle(self, *args, **o):
        volumes = {k: o[k] for k in ("entries", "interceptions", "messages", "contacts", "tickets")}
        postgres = connection.vendor == "postgresql"
        if not postgres and max(volumes.values()) > SQLITE_MAX_ROWS:
            raise CommandError(
                f"seed_scale loads production volumes with PostgreSQL's COPY; on "
                f"{connection.vendor} it accepts at most {SQLITE_MAX_ROWS:,} rows per table "
                f"(asked: {', '.join(f'{k} {v:,}' for k, v in volumes.items())}). "
                "Set DATABASE_URL to a PostgreSQL database, or pass smaller volumes."
            )
        if not 1 <= o["blocklist_senders"] <= o["senders"]:
            raise CommandError("--blocklist-senders must be between 1 and --senders.")
        if o["numbers"] < 1 or o["numbers"] > NUMBER_SPACE // 100:
            raise CommandError(f"--numbers must be between 1 and {NUMBER_SPACE // 100:,}.")
        if o["interceptions"] > NUMBER_SPACE // 2 or o["entries"] > NUMBER_SPACE // 2:
            raise CommandError(f"At most {NUMBER_SPACE // 2:,} entries or interceptions.")
        if o["contacts"] > o["numbers"]:
            raise CommandError("--contacts cannot exceed --numbers (one phone number each).")
        slug = o["org_slug"]
        if Organization.objects.filter(slug=slug).exists():
            self.stdout.write(f"Organization {slug!r} already exists: nothing loaded.")
            return

        seeder = ScaleSeeder(
            seed=o["seed"], postgres=postgres, log=lambda s: self.stdout.write(s), options=o
        )
        started = time.perf_counter()
        logins = seeder.run(slug)
        self.stdout.write(f"Loaded in {time.perf_counter() - started:.1f} s.")
        self.stdout.write("Logins (shown once, not stored):")
        for username, password, role in logins:
            self.stdout.write(f"  {username:<16} {password:<24} {role}")


class ScaleSeeder:
    """Generates and loads the rows; every random choice comes from one seeded RNG."""

    def __init__(self, *, seed: int, postgres: bool, log, options: dict):
        self.seed = seed
        self.postgres = postgres
        self.log = log
        self.o = options
        # Times are relative to today's midnight (UTC): the same seed gives the same
        # rows all day, and the messages stay inside the pages' 30-day window.
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.anchor = today

    def rng(self, table: str) -> random.Random:
        # One stream per table: changing one volume does not reshuffle the others.
        return random.Random(f"{self.seed}:{table}")

    def at(self, seconds_before: int) -> str:
        return (self.anchor - dt.timedelta(seconds=seconds_before)).isoformat(sep=" ")

    def run(self, slug: str) -> list[tuple[str, str, str]]:
        o = self.o
        with transaction.atomic():
            org = Organization.objects.create(
                name=f"Scale ({slug})", slug=slug, country="US", block_contacts_enabled=True
            )
            Sender.objects.bulk_create(
                Sender(
                    organization=org,
                    kind=SenderKind.SMS_SHORT_CODE,
                    address=sender_address(i),
                    name=f"Scale {i}",
                )
                for i in range(o["senders"])
            )
            logins = self.users(org)
        self.org = org
        self.sender_ids = list(
            Sender.objects.filter(organization=org).order_by("address").values_list("pk", flat=True)
        )
        self.agent_id = get_user_model().objects.get(username=f"{slug}-agent").pk
        self.load(BlocklistEntry, self.entries(), o["entries"])
        self.load(Interception, self.interceptions(), o["interceptions"])
        sends = self.sends() if o["messages"] > 0 else []
        batch_count = sum(1 for send in sends if send[2] != "inbound")
        self.load(Batch, self.batches(sends), batch_count)
        # COPY numbers the rows in the order sent: the batches' ids, oldest first.
        batch_ids = list(
            Batch.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
        )
        self.load(Message, self.messages(sends, batch_ids), o["messages"])
        self.answered()
        self.load(Contact, self.contacts(), o["contacts"])
        contact_ids = list(
            Contact.objects.filter(organization=org).order_by("pk").values_list("pk", "blocked")
        )
        self.load(Ticket, self.tickets(contact_ids), o["tickets"])
        if self.postgres:
            started = time.perf_counter()
            # VACUUM as autovacuum would have by now: it marks the pages all-visible, so
            # index-only scans (counts, Handoff's and the admin's) skip the table, as in
            # production. With ANALYZE alone the admin's COUNT read the heap (0.8 s).
            # Inside a transaction (the tests) VACUUM cannot run: ANALYZE only.
            statement = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                cursor.execute(statement)
            self.log(f"{statement}: {time.perf_counter() - started:.1f} s")
        return logins

    def users(self, org) -> list[tuple[str, str, str]]:
        User = get_user_model()
        logins = []
        people = (("agent", Role.AGENT, False), ("staff", "platform staff", True))
        for suffix, role, staff in people:
            username = f"{org.slug}-{suffix}"
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
            if not staff:
                Membership.objects.update_or_create(
                    user=user, defaults={"organization": org, "role": role}
                )
            logins.append((username, password, str(role)))
        return logins

    # -- row generators: tuples in the order of COLUMNS[model] --------------------------

    def entries(self) -> Iterator[tuple]:
        o, rng = self.o, self.rng("entries")
        senders = self.sender_ids[: o["blocklist_senders"]]
        per_sender = -(-o["entries"] // len(senders))
        # Each sender blocks 5% of a number space that includes the messaged numbers.
        space = min(NUMBER_SPACE, max(per_sender * 20, o["numbers"]))
        emitted = 0
        for sender_id in senders:
            for index in rng.sample(range(space), min(per_sender, o["entries"] - emitted)):
                yield (
                    sender_id,
                    scale_number(index),
                    REASONS[index % 4],
                    SOURCES[index % 5],
                    self.at(rng.randrange(365 * 86400)),
                )
                emitted += 1

    def interceptions(self) -> Iterator[tuple]:
        o, rng = self.o, self.rng("interceptions")
        # Distinct numbers: at most one global and one local interception per number.
        space = min(NUMBER_SPACE, max(o["interceptions"] * 10, o["numbers"]))
        for i, index in enumerate(rng.sample(range(space), o["interceptions"])):
            local = rng.random() < 0.1
            # Even rows expired before today's midnight; odd ones expire after tomorrow's.
            if i % 2 == 0:
                expires = rng.randrange(1, 86400)
            else:
                expires = -86400 - rng.randrange(1, 30 * 86400)
            yield (
                scale_number(index),
                "local" if local else "global",
                self.org.pk if local else None,
                self.org.pk,
                520 if local else 500,
                "Blacklist" if local else "Empty",
                self.at(max(expires, 0) + rng.randrange(1, 30 * 86400)),
                self.at(expires),
                "automatic",
            )

    def sends(self) -> list[tuple]:
        """Every batch and inbound message, oldest first, as production appends them.

        A batch's messages share its request time, sender, template and label, as
        ``create_batch`` stamps them: campaigns of 500 to 20,000 carry 60% of the
        outbound messages, API calls of 1 to 20 numbers the rest; 5% of the messages
        are inbound, one at a time. Each item: (minute, second, kind, sender, size,
        template, label); kind is "campaign", "api" or "inbound".
        """
        o, rng = self.o, self.rng("messages")
        randrange, senders = rng.randrange, self.sender_ids
        minutes = o["days"] * 1440
        inbound = o["messages"] // 20
        outbound = o["messages"] - inbound
        sends = []
        placed = 0
        while placed < outbound:
            campaign = placed < outbound * CAMPAIGN_SHARE
            low, high = CAMPAIGN_SIZES if campaign else API_SIZES
            size = min(randrange(low, high + 1), outbound - placed)
            templates = CAMPAIGN_TEMPLATES if campaign else API_TEMPLATES
            sends.append(
                (
                    randrange(minutes),
                    randrange(50),
                    "campaign" if campaign else "api",
                    senders[randrange(len(senders))],
                    size,
                    templates[randrange(len(templates))],
                    randrange(len(TEMPLATES)),
                )
            )
            placed += size
        for _ in range(inbound):
            sends.append(
                (randrange(minutes), randrange(50), "inbound", senders[randrange(len(senders))],
                 1, randrange(len(INBOUND_TEXTS)), 0)
            )  # fmt: skip
        # Oldest first (the most minutes before the anchor), ties in the order drawn.
        sends.sort(key=lambda send: (-send[0], send[1]))
        return sends

    def minute_texts(self) -> list[str]:
        # Timestamps by the minute, seconds appended: formatting datetimes per row is slow.
        return [
            (self.anchor - dt.timedelta(minutes=m + 1)).strftime("%Y-%m-%d %H:%M:")
            for m in range(self.o["days"] * 1440)
        ]

    def batches(self, sends: list[tuple]) -> Iterator[tuple]:
        rng = self.rng("batches")
        minutes, seen = self.minute_texts(), set()
        for minute, second, kind, sender, size, template, label in sends:
            if kind == "inbound":
                continue
            public_id = None
            while public_id is None or public_id in seen:
                public_id = "B" + "".join(rng.choice(BATCH_ID_ALPHABET) for _ in range(10))
            seen.add(public_id)
            at = f"{minutes[minute]}{second:02d}+00"
            yield (
                public_id, self.org.pk, sender, "", "file" if kind == "campaign" else "api",
                f"{TEMPLATES[template]}.csv" if kind == "campaign" else "", TEMPLATES[template],
                TEMPLATES[label], at, at, "sent", size,
            )  # fmt: skip

    def answered(self) -> None:
        """What the worker stores on each inbound message it processes (the seeded ones
        are processed): the template and label of the last message we sent that
        number from that sender before it, for SMS Replies' filters.

        On PostgreSQL in one pass over the organization's messages (74 s at the
        defaults): per sender and number, in time order, each reply takes the template
        of the last sent message before it. The worker's own query (``sent_before``)
        per reply took over 6 minutes on the freshly loaded table; it gives the same
        values (compared over the 500,000 replies) and does the job on SQLite.
        """
        started = time.perf_counter()
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(ANSWERED_SQL, [self.org.pk])
                updated = cursor.rowcount
        else:
            last = sent_before(
                OuterRef("sender_id"), OuterRef("subscriber"), OuterRef("requested_at")
            )
            updated = Message.objects.filter(organization=self.org, direction="inbound").update(
                replied_template=Subquery(last.values("template")[:1]),
                replied_label=Subquery(last.values("label")[:1]),
            )
        self.log(f"what {updated:,} replies answer: {time.perf_counter() - started:.1f} s")

    def messages(self, sends: list[tuple], batch_ids: list[int]) -> Iterator[tuple]:
        o, rng = self.o, self.rng("message-rows")
        random_, randrange = rng.random, rng.randrange
        numbers = [scale_number(i) for i in range(o["numbers"])]
        minutes = self.minute_texts()
        org = self.org.pk
        batches = iter(batch_ids)
        i = 0
        for minute, second, kind, sender, size, template, label in sends:
            requested = f"{minutes[minute]}{second:02d}+00"
            if kind == "inbound":
                subscriber = numbers[randrange(len(numbers))]
                yield (
                    org, sender, None, "inbound", "sms_short_code", subscriber, "normal",
                    INBOUND_TEXTS[template], "", "", EMPTY_OBJECT, "received", None, "",
                    f"in-{self.seed}-{i}", 0, requested, None, None, requested, EMPTY_LIST,
                    requested, "none", "", "",
                )  # fmt: skip
                i += 1
                continue
            batch = next(batches)
            done = f"{minutes[minute]}{second + 9:02d}+00"
            for _ in range(size):
                subscriber = numbers[randrange(len(numbers))]
                draw = random_()
                status, code, category = next(mix[1:] for mix in OUTBOUND_MIX if draw < mix[0])
                code = FAILURE_CODES[i % 10] if code else None
                category = CATEGORIES[i % 6] if category else ""
                handed = status in ("delivered", "sent", "send_failed")
                yield (
                    org, sender, batch, "outbound", "sms_short_code", subscriber, "normal",
                    TEXTS[template], TEMPLATES[template], TEMPLATES[label], EMPTY_OBJECT, status,
                    code, category, f"out-{self.seed}-{i}" if handed else None,
                    1 if handed else 0, requested, requested if handed else None,
                    done if status != "sent" and handed else None, done, EMPTY_LIST, None, "",
                    "", "",
                )  # fmt: skip
                i += 1

    def contacts(self) -> Iterator[tuple]:
        o, rng = self.o, self.rng("contacts")
        for i in range(o["contacts"]):
            blocked = rng.random() < 0.1
            created = self.at(rng.randrange(365 * 86400))
            yield (
                self.org.pk,
                f"Customer {i}",
                scale_number(i),
                None,
                None,
                blocked,
                self.at(rng.randrange(30 * 86400)) if blocked else None,
                "Spamming the agents" if blocked else "",
                created,
                created,
            )

    def tickets(self, contacts: list[tuple[int, bool]]) -> Iterator[tuple]:
        o, rng = self.o, self.rng("tickets")
        senders = self.sender_ids
        for _ in range(o["tickets"] if contacts else 0):
            contact_id, blocked = contacts[rng.randrange(len(contacts))]
            draw = rng.random()
            if blocked:
                queue = "blocked" if draw < 0.5 else "closed"
            else:
                queue = (
                    "closed"
                    if draw < 0.85
                    else "unassigned"
                    if draw < 0.93
                    else "bot"
                    if draw < 0.97
                    else "assigned"
                )
            created = rng.randrange(30 * 86400)
            updated = self.at(max(0, created - rng.randrange(86400)))
            yield (
                self.org.pk,
                contact_id,
                senders[rng.randrange(len(senders))],
                queue,
                self.agent_id if queue == "assigned" else None,
                self.at(created),
                updated,
                updated if queue == "closed" else None,
            )

    # -- loading ------------------------------------------------------------------------

    def load(self, model, rows: Iterable[tuple], count: int) -> None:
        if count <= 0:
            return
        columns = COLUMNS[model]
        started = time.perf_counter()
        if self.postgres:
            copy_rows(model._meta.db_table, columns, rows, rebuild=count > REBUILD_INDEXES_ABOVE)
        else:
            insert_rows(model, columns, rows)
        self.log(f"{model._meta.db_table}: {count:,} rows in {time.perf_counter() - started:.1f} s")


COLUMNS = {
    BlocklistEntry: ("sender_id", "subscriber", "reason", "source", "excluded_at"),
    Interception: (
        "number",
        "scope",
        "organization_id",
        "source_organization_id",
        "code",
        "reason",
        "intercepted_at",
        "expires_at",
        "origin",
    ),
    Batch: (
        "public_id",
        "organization_id",
        "sender_id",
        "created_by_name",
        "trigger",
        "file_name",
        "template",
        "label",
        "created_at",
        "dispatched_at",
        "status",
        "message_count",
    ),
    Message: (
        "organization_id",
        "sender_id",
        "batch_id",
        "direction",
        "channel",
        "subscriber",
        "priority",
        "text",
        "template",
        "label",
        "variables",
        "status",
        "failure_code",
        "failure_category",
        "provider_message_id",
        "segments",
        "requested_at",
        "sent_at",
        "receipt_at",
        "updated_at",
        "status_log",
        "processed_at",
        "keyword_kind",
        "keyword",
        "keyword_outcome",
    ),
    Contact: (
        "organization_id",
        "name",
        "phone",
        "email",
        "whatsapp",
        "blocked",
        "blocked_at",
        "blocked_reason",
        "created_at",
        "updated_at",
    ),
    Ticket: (
        "organization_id",
        "contact_id",
        "sender_id",
        "queue",
        "assignee_id",
        "created_at",
        "updated_at",
        "closed_at",
    ),
}


class Json(str):
    """A JSON column's value, already encoded (COPY takes it as is; SQLite gets it decoded)."""


EMPTY_OBJECT, EMPTY_LIST = Json("{}"), Json("[]")


def _text(value) -> str:
    # Generated strings never contain tabs, newlines or backslashes: no escaping needed.
    return "\\N" if value is None else str(value)


def insert_rows(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """The small-volume path (SQLite): plain INSERTs of the same rows, values as the ORM
    would store them (``bulk_create`` would overwrite the auto_now times)."""
    fields = [model._meta.get_field(column) for column in columns]
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    prepared = (
        [
            field.get_db_prep_save(
                json.loads(value) if isinstance(value, Json) else field.to_python(value),
                connection,
            )
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, list(prepared))


def copy_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple], rebuild: bool) -> None:
    """COPY the rows in; with ``rebuild``, drop secondary indexes first and build them after."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        saved = _drop_secondary_indexes(cursor, table) if rebuild else []
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            lines = []
            for row in rows:
                lines.append("\t".join([v if isinstance(v, str) else _text(v) for v in row]))
                if len(lines) >= 20_000:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
        for statement in saved:
            cursor.execute(statement)


def _drop_secondary_indexes(cursor, table: str) -> list[str]:
    """Drop unique/foreign-key constraints and indexes other than the primary key.

    Returns the statements that recreate them, indexes first (unique constraints
    built from a plain definition need no existing index).
    """
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.conrelid = i.indrelid)",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition, kind in sorted(constraints, key=lambda c: c[2] == "f")
    ]
