"""The import's merge statement alone, on scratch copies of the tables, with variants.

What the per-row database cost of a CSV import is made of: each variant copies
the seeded sender's 1,000,000 entries into a fresh ``xe`` table (and an empty
``xv`` event table) shaped like the real ones, then merges 950,000 subscribers
(880,000 new, 70,000 already there, sorted chunks of 20,000) exactly as
``blocklists.imports`` does: COPY into a temporary table, one ``INSERT ... ON
CONFLICT DO NOTHING RETURNING`` feeding the events, one commit per chunk. No
parsing. Prints wall time, the PostgreSQL backend's CPU time and the WAL
written. Needs the data of ``bench_import.py`` (sender 59999) in the database:

    DSN=postgresql://postgres@127.0.0.1:5432/handoff_bench \\
        .venv/bin/python bench/bench_import_merge.py C P I F

Variants: A with the sender foreign key and an index on the subscriber alone
(as before 2026-11-29); B without the foreign key; C without both (as now);
D as B without the events' subscriber index; E as B without events; H and I a
bare COPY of the 880,000 new rows with and without the foreign key;
N as C with, instead of the event rows, a narrow (import job, subscriber) row
indexed on the subscriber (what one record per subscriber would cost if the rest
of an import's event lived once on the job); P as C but without INSERT: probe
which subscribers of the chunk are present (one index probe each), COPY the
others straight into the entries and the events (tried 2026-11-29, fifth session:
no faster than C); F the floor of what an import must write: a bare COPY of the
new rows and their events.
"""

import os
import random
import sys
import time
from pathlib import Path

import psycopg

DSN = os.environ.get("DSN", "postgresql://postgres@127.0.0.1:5432/handoff_bench")
AREAS = ("415", "212", "646", "312", "617", "206", "303", "512", "305", "702")


def number(i: int) -> str:
    rest = i // 10
    return f"+1{AREAS[i % 10]}{200 + rest // 10_000:03d}{rest % 10_000:04d}"


conn = psycopg.connect(DSN, autocommit=True)
cur = conn.cursor()
sender_id = cur.execute("SELECT id FROM accounts_sender WHERE address = '59999'").fetchone()[0]
SEEDED = "FROM blocklists_blocklistentry WHERE sender_id = %s AND import_job_id IS NULL"
existing = [r[0] for r in cur.execute(f"SELECT subscriber {SEEDED}", [sender_id])]
new = [number(i) for i in range(1_000_000, 1_880_000)]
rng = random.Random(1)
rows = new + rng.sample(existing, 70_000)
rng.shuffle(rows)
chunks = [sorted(rows[i : i + 20_000]) for i in range(0, len(rows), 20_000)]


def drop_index(table: str, like: str) -> None:
    found = cur.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE "
        "'%%UNIQUE%%' AND indexdef LIKE %s",
        [table, like],
    ).fetchall()
    for (name,) in found:
        cur.execute(f"DROP INDEX {name}")


def setup(*, fk: bool, subscriber_index: bool, event_index: bool = True) -> None:
    cur.execute("DROP TABLE IF EXISTS xe, xv, xn")
    # N's narrow record: which import added which subscriber, the rest on the job.
    cur.execute("CREATE TABLE xn (import_job_id bigint NOT NULL, subscriber varchar(254) NOT NULL)")
    cur.execute("CREATE INDEX ON xn (subscriber)")
    cur.execute("CREATE TABLE xe (LIKE blocklists_blocklistentry INCLUDING ALL)")
    cur.execute("CREATE TABLE xv (LIKE blocklists_blocklistevent INCLUDING ALL)")
    drop_index("xe", "%(subscriber)%")
    if subscriber_index:
        cur.execute("CREATE INDEX ON xe (subscriber)")
    if not event_index:
        drop_index("xv", "%subscriber%")
    if fk:
        cur.execute(
            "ALTER TABLE xe ADD FOREIGN KEY (sender_id) REFERENCES accounts_sender(id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )
    cur.execute(
        "INSERT INTO xe (sender_id, subscriber, reason, source, excluded_at) "
        f"SELECT sender_id, subscriber, reason, source, excluded_at {SEEDED}",
        [sender_id],
    )
    cur.execute("VACUUM ANALYZE xe")
    cur.execute("VACUUM ANALYZE xv")
    cur.execute("CHECKPOINT")


MERGE = """
WITH ins AS (
  INSERT INTO xe (sender_id, subscriber, reason, source, excluded_at, added_by_id, import_job_id)
  SELECT %(s)s, subscriber, 'list_cleanup', 'csv', now(), NULL, 1 FROM tmp_rows
  ON CONFLICT (sender_id, subscriber) DO NOTHING RETURNING subscriber)
INSERT INTO xv (organization_id, sender_id, sender_address, subscriber, action, reason, source,
                excluded_at, actor_id, actor_name, consent_id, import_job_id, note, created_at)
SELECT 1, %(s)s, '59999', subscriber, 'added', 'list_cleanup', 'csv', now(), NULL, '', 1, 1, '',
       now() FROM ins
"""
NARROW = """
WITH ins AS (
  INSERT INTO xe (sender_id, subscriber, reason, source, excluded_at, added_by_id, import_job_id)
  SELECT %(s)s, subscriber, 'list_cleanup', 'csv', now(), NULL, 1 FROM tmp_rows
  ON CONFLICT (sender_id, subscriber) DO NOTHING RETURNING subscriber)
INSERT INTO xn (import_job_id, subscriber) SELECT 1, subscriber FROM ins
"""
ENTRIES_ONLY = """
INSERT INTO xe (sender_id, subscriber, reason, source, excluded_at, added_by_id, import_job_id)
SELECT %(s)s, subscriber, 'list_cleanup', 'csv', now(), NULL, 1 FROM tmp_rows
ON CONFLICT (sender_id, subscriber) DO NOTHING
"""


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(name: str, work) -> None:
    with psycopg.connect(DSN) as c2:
        k = c2.cursor()
        pid = k.execute("SELECT pg_backend_pid()").fetchone()[0]
        lsn = k.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        c2.commit()
        cpu, started = backend_cpu(pid), time.perf_counter()
        work(c2, k)
        elapsed = time.perf_counter() - started
        wal = k.execute("SELECT pg_current_wal_lsn() - %s::pg_lsn", [lsn]).fetchone()[0]
        print(
            f"{name:48s} {elapsed:6.2f} s  backend CPU {backend_cpu(pid) - cpu:6.2f} s  "
            f"WAL {int(wal) / 1e6:5.0f} MB",
            flush=True,
        )


def merge(statement: str):
    def work(c2, k) -> None:
        k.execute("CREATE TEMP TABLE tmp_rows (subscriber text) ON COMMIT DELETE ROWS")
        c2.commit()
        for chunk in chunks:
            with k.copy("COPY tmp_rows (subscriber) FROM STDIN") as copy:
                copy.write("\n".join(chunk) + "\n")
            k.execute(statement, {"s": sender_id})
            c2.commit()

    return work


ENTRY = "xe (sender_id, subscriber, reason, source, excluded_at, added_by_id, import_job_id)"
EVENT = (
    "xv (organization_id, sender_id, sender_address, subscriber, action, reason, source, "
    "excluded_at, actor_id, actor_name, consent_id, import_job_id, note, created_at)"
)
AT = "2026-11-29 12:00:00+00"
ENTRY_TAIL = f"\tlist_cleanup\tcsv\t{AT}\t\\N\t1\n"
EVENT_HEAD = "1\t{s}\t59999\t"
EVENT_TAIL = f"\tadded\tlist_cleanup\tcsv\t{AT}\t\\N\t\t1\t1\t\t{AT}\n"


def copy_rows(k, table: str, head: str, values: list[str], tail: str) -> None:
    with k.copy(f"COPY {table} FROM STDIN") as cp:
        for start in range(0, len(values), 100_000):
            part = values[start : start + 100_000]
            cp.write(head + f"{tail}{head}".join(part) + tail)


def bare_copy(c2, k) -> None:
    copy_rows(k, ENTRY, f"{sender_id}\t", sorted(new), ENTRY_TAIL)
    c2.commit()


def bare_copy_with_events(c2, k) -> None:
    copy_rows(k, ENTRY, f"{sender_id}\t", sorted(new), ENTRY_TAIL)
    copy_rows(k, EVENT, EVENT_HEAD.format(s=sender_id), sorted(new), EVENT_TAIL)
    c2.commit()


def probe_and_copy(c2, k) -> None:
    for chunk in chunks:
        present = {
            row[0]
            for row in k.execute(
                "SELECT v.s FROM unnest(string_to_array(%s, E'\\n')) AS v(s) CROSS JOIN LATERAL "
                "(SELECT FROM xe WHERE sender_id = %s AND subscriber = v.s LIMIT 1) AS present",
                ["\n".join(chunk), sender_id],
            )
        }
        fresh = [s for s in chunk if s not in present]
        k.execute("SAVEPOINT chunk")
        copy_rows(k, ENTRY, f"{sender_id}\t", fresh, ENTRY_TAIL)
        copy_rows(k, EVENT, EVENT_HEAD.format(s=sender_id), fresh, EVENT_TAIL)
        k.execute("RELEASE SAVEPOINT chunk")
        c2.commit()


VARIANTS = {
    "A": ("A: sender FK, subscriber index, events", dict(fk=True, subscriber_index=True), MERGE),
    "B": ("B: no FK, subscriber index, events", dict(fk=False, subscriber_index=True), MERGE),
    "C": (
        "C: no FK, no subscriber index, events (now)",
        dict(fk=False, subscriber_index=False),
        MERGE,
    ),
    "D": (
        "D: as B without the events' subscriber index",
        dict(fk=False, subscriber_index=True, event_index=False),
        MERGE,
    ),
    "E": ("E: as B without events", dict(fk=False, subscriber_index=True), ENTRIES_ONLY),
    "N": (
        "N: as C, narrow (import, subscriber) rows as events",
        dict(fk=False, subscriber_index=False),
        NARROW,
    ),
    "H": ("H: bare COPY of the new rows, FK", dict(fk=True, subscriber_index=True), bare_copy),
    "I": ("I: bare COPY of the new rows, no FK", dict(fk=False, subscriber_index=True), bare_copy),
    "P": (
        "P: as C, probe + COPY into entries and events",
        dict(fk=False, subscriber_index=False),
        probe_and_copy,
    ),
    "F": (
        "F: bare COPY of the new rows and their events",
        dict(fk=False, subscriber_index=False),
        bare_copy_with_events,
    ),
}

for key in sys.argv[1:] or "CPIF":
    name, shape, statement = VARIANTS[key]
    setup(**shape)
    measured(name, merge(statement) if isinstance(statement, str) else statement)
cur.execute("DROP TABLE IF EXISTS xe, xv, xn")
