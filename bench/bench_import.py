"""CSV import: 1,000,000 rows of mixed-format US numbers into a sender with 1,000,000 entries.

End to end through ``import_services.run_import`` (sniff, parse, normalise,
merge, events, counters), run in this process exactly as the Celery task runs
it in a worker (the task only calls ``run_import``). Prints rows/s and the
process's peak RSS. PostgreSQL only.

    createdb -h 127.0.0.1 -U postgres handoff_bench
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_bench \
        .venv/bin/python manage.py migrate
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_bench \
        .venv/bin/python bench/bench_import.py [--rows 1000000] [--existing 1000000]
    # through a real Celery worker on Redis:
    DEBUG=true DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/bench_import.py --worker
    # plus the comparisons in the same run (needs bench/requirements.txt):
    DEBUG=true DATABASE_URL=... REDIS_URL=... \
        .venv/bin/python bench/bench_import.py --worker --compare

``--compare`` then runs, each from the same starting table (the sender reset to
its ``--existing`` entries): django-import-export (``use_bulk``, ``skip_diff``,
``import_id_fields`` on (sender, subscriber), phone numbers normalised by a
widget calling the same ``PhoneNormalizer``) on the first ``--iex-rows`` rows of
the same file; and the floor: PostgreSQL ``COPY`` of the already-normalised new
rows (what the import added, exported first) into the same indexed table.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

import results  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Organization, Sender  # noqa: E402
from blocklists import import_services  # noqa: E402
from blocklists.models import ConsentText, ImportJob  # noqa: E402

# What the import writes per new row, for the bare COPY floors.
ENTRY_COLUMNS = "sender_id, subscriber, reason, source, excluded_at, added_by_id, import_job_id"
EVENT_COLUMNS = (
    "organization_id, sender_id, sender_address, subscriber, action, reason, source, "
    "excluded_at, actor_id, actor_name, consent_id, import_job_id, note, created_at"
)

# Area codes with valid exchanges in phonenumbers' US metadata.
AREA_CODES = ("415", "212", "646", "312", "617", "206", "303", "512", "305", "702")


def number(index: int) -> str:
    """A distinct valid US national number for each index below 10 * 8,000,000."""
    area = AREA_CODES[index % len(AREA_CODES)]
    rest = index // len(AREA_CODES)
    return f"{area}{200 + rest // 10_000:03d}{rest % 10_000:04d}"


FORMATS = (
    lambda n: n,
    lambda n: f"({n[:3]}) {n[3:6]}-{n[6:]}",
    lambda n: f"+1 {n[:3]} {n[3:6]} {n[6:]}",
    lambda n: f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
    lambda n: f"{n[:3]}.{n[3:6]}.{n[6:]}",
    lambda n: f"{int('1' + n) / 10**10:.10f}E+10".replace("0E", "E"),
    lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
)


def seed(existing: int) -> tuple[Sender, ConsentText]:
    organization, _ = Organization.objects.get_or_create(
        slug="bench-import", defaults={"name": "Bench import", "country": "US"}
    )
    sender, _ = Sender.objects.get_or_create(
        organization=organization, address="59999", defaults={"kind": "sms_short_code"}
    )
    consent = ConsentText.current(ConsentText.Purpose.ADD)
    # A clean start every run: no rows left over from an earlier run, no dead tuples.
    print(f"seeding {existing:,} existing entries (COPY) ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM blocklists_blocklistevent WHERE sender_id = %s", [sender.pk])
        cursor.execute("DELETE FROM blocklists_blocklistentry WHERE sender_id = %s", [sender.pk])
        ImportJob.objects.filter(sender=sender).delete()
        with cursor.cursor.copy(
            "COPY blocklists_blocklistentry (sender_id, subscriber, reason, source, "
            "excluded_at) FROM STDIN"
        ) as copy:
            for start in range(0, existing, 100_000):
                copy.write(
                    "".join(
                        f"{sender.pk}\t+1{number(i)}\tnot_defined\tmanual\t2024-01-01Z\n"
                        for i in range(start, min(existing, start + 100_000))
                    )
                )
        cursor.execute("VACUUM ANALYZE blocklists_blocklistentry")
        cursor.execute("VACUUM ANALYZE blocklists_blocklistevent")
        cursor.execute("CHECKPOINT")
    return sender, consent


def write_csv(path: Path, rows: int, existing: int) -> dict[str, int]:
    """Mixed formats: ~88% new numbers, 5% already on the list, 2% repeated, 5% invalid."""
    rng = random.Random(42)
    kinds = {"new": 0, "existing": 0, "repeat": 0, "invalid": 0}
    fresh = existing  # indexes above the seeded ones are not on the list
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("name,mobile,city\r\n")
        lines = []
        for row in range(rows):
            draw = rng.random()
            if draw < 0.05:
                value, kind = number(rng.randrange(existing)), "existing"
            elif draw < 0.07 and fresh > existing:
                value, kind = number(rng.randrange(existing, fresh)), "repeat"
            elif draw < 0.12:
                value = rng.choice(("555-0123", "call me", "1234567", "+1 999 555 0123", ""))
                kind = "invalid"
            else:
                value, kind = number(fresh), "new"
                fresh += 1
            kinds[kind] += 1
            text = rng.choice(FORMATS)(value) if kind != "invalid" else value
            lines.append(f"Person {row},{text},Springfield\r\n")
            if len(lines) >= 50_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))
    return kinds


def start_worker():
    """A real worker on Redis against this database, on a queue of its own."""
    import subprocess
    import uuid

    from config.celery import app

    if not os.environ.get("REDIS_URL"):
        sys.exit("--worker needs REDIS_URL (the worker's broker).")
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    app.conf.task_default_queue = queue
    env = {**os.environ, "CELERY_QUEUE": queue, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    time.sleep(5)  # let it connect before the task is queued
    return process, queue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--compare", action="store_true", help="django-import-export, bare COPY")
    parser.add_argument("--iex-rows", type=int, default=100_000, help="rows for import-export")
    parser.add_argument(
        "--worker",
        action="store_true",
        help="run the import in a real Celery worker (needs REDIS_URL) instead of in-process",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark runs on PostgreSQL only: set DATABASE_URL.")
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bench-import-"))

    sender, consent = seed(args.existing)
    path = settings.MEDIA_ROOT / "bench.csv"
    kinds = write_csv(path, args.rows, args.existing)
    print(f"CSV: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, {kinds}", flush=True)

    worker = start_worker() if args.worker else None
    started = time.perf_counter()
    with open(path, "rb") as handle:
        job = import_services.create_import_job(
            sender=sender, uploaded_file=File(handle, name="bench.csv"), user=None, consent=consent
        )
    job = import_services.start_import(
        job=job, column="mobile", reason="list_cleanup", enqueue=worker is not None
    )
    parser_mb = 0.0
    if worker is None:
        job = import_services.run_import(job_id=job.pk)
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        where = "this process"
    else:
        process, queue = worker
        parser_mb = 0.0
        while job.status not in ("done", "failed", "cancelled"):
            time.sleep(0.05)
            # The parser process (a child of the worker) is gone once the import ends.
            for child in results.children(process.pid):
                parser_mb = max(parser_mb, results.peak_rss_mb(child))
            job.refresh_from_db()
        # Done when the job says so, not when the worker has shut down after it.
        elapsed = time.perf_counter() - started
        peak_mb = results.peak_rss_mb(process.pid)
        where = f"the Celery worker (pid {process.pid}, pool solo, queue {queue})"
        process.terminate()
        process.wait(timeout=30)

    print(f"status: {job.status} {job.error}")
    print(
        f"rows read {job.rows_read:,}  added {job.rows_added:,}  "
        f"already present {job.rows_present:,}  invalid {job.rows_invalid:,}"
    )
    print(f"elapsed {elapsed:.1f} s  ->  {job.rows_read / elapsed:,.0f} rows/s end to end")
    print(f"peak RSS of {where}: {peak_mb:.0f} MB")
    if parser_mb:
        print(f"peak RSS of its parser process: {parser_mb:.0f} MB")
    rate = job.rows_read / elapsed
    where_short = "Celery worker" if worker else "in-process"
    results.record(
        "CSV import of 1,000,000 rows",
        f"{job.rows_read:,} rows into a sender with {args.existing:,}, {where_short}",
        f"{rate:,.0f} rows/s ({elapsed:.1f} s), peak RSS {peak_mb:.0f} MB"
        + (f" + parser process {parser_mb:.0f} MB" if worker and parser_mb else ""),
        "",
    )
    if args.compare:
        compare(sender, job, path, args, rate)
    job.file.delete(save=False)
    if job.errors_file:
        job.errors_file.delete(save=False)


def compare(sender, job, path: Path, args, handoff_rate: float) -> None:
    """django-import-export and the bare COPY floor, from the same starting table."""
    from django.db import transaction
    from import_export import fields, resources, widgets

    from accounts.normalization import PhoneNormalizer
    from blocklists.models import BlocklistEntry

    def export(table: str, columns: str, name: str) -> Path:
        """What the import wrote to ``table``, as COPY text, for the bare COPY floors."""
        path = Path(settings.MEDIA_ROOT) / name
        with (
            connection.cursor() as cursor,
            open(path, "wb") as out,
            cursor.cursor.copy(
                f"COPY (SELECT {columns} FROM {table} WHERE import_job_id = %s) TO STDOUT",
                [job.pk],
            ) as copy,
        ):
            for data in copy:
                out.write(data)
        return path

    normalised = export("blocklists_blocklistentry", ENTRY_COLUMNS, "normalised.tsv")
    # The audit log the import writes too: one "added" event per new entry.
    events = export("blocklists_blocklistevent", EVENT_COLUMNS, "events.tsv")
    new_rows = job.rows_added

    seed(args.existing)
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY blocklists_blocklistentry ({ENTRY_COLUMNS}) FROM STDIN") as copy,
        open(normalised, "rb") as handle,
    ):
        while data := handle.read(1 << 20):
            copy.write(data)
    copy_elapsed = time.perf_counter() - started
    copy_rate = job.rows_read / copy_elapsed
    print(
        f"bare COPY of the {new_rows:,} normalised new rows: {copy_elapsed:.1f} s "
        f"= {copy_rate:,.0f} input rows/s equivalent"
    )

    # The same rows plus their "added" events: all the import writes, as bare COPY.
    seed(args.existing)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table, columns, source in (
            ("blocklists_blocklistentry", ENTRY_COLUMNS, normalised),
            ("blocklists_blocklistevent", EVENT_COLUMNS, events),
        ):
            with (
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                open(source, "rb") as handle,
            ):
                while data := handle.read(1 << 20):
                    copy.write(data)
    both_elapsed = time.perf_counter() - started
    print(
        f"bare COPY of the same rows and their {new_rows:,} events: {both_elapsed:.1f} s "
        f"(Handoff takes {job.rows_read / handoff_rate / both_elapsed:.2f}x as long)"
    )

    normalizer = PhoneNormalizer("US")

    class PhoneWidget(widgets.CharWidget):
        def clean(self, value, row=None, **kwargs):
            e164, problem = normalizer.try_normalize(value or "")
            if problem:
                raise ValueError(problem)
            return e164

    class EntryResource(resources.ModelResource):
        subscriber = fields.Field(
            attribute="subscriber", column_name="mobile", widget=PhoneWidget()
        )
        sender = fields.Field(attribute="sender_id", column_name="sender")
        reason = fields.Field(attribute="reason", column_name="reason")
        source = fields.Field(attribute="source", column_name="source")
        excluded_at = fields.Field(
            attribute="excluded_at",
            column_name="excluded_at",
            widget=widgets.DateTimeWidget(format="%Y-%m-%d %H:%M:%S%z"),
        )

        class Meta:
            model = BlocklistEntry
            fields = ("sender", "subscriber", "reason", "source", "excluded_at")
            import_id_fields = ("sender", "subscriber")
            use_bulk = True
            skip_diff = True
            batch_size = 5000

    import tablib

    seed(args.existing)
    dataset = tablib.Dataset(headers=["sender", "mobile", "reason", "source", "excluded_at"])
    now = "2026-01-01 00:00:00+0000"
    with open(path, encoding="utf-8") as handle:
        next(handle)
        for line, _ in zip(handle, range(args.iex_rows), strict=False):
            dataset.append([sender.pk, line.split(",")[1], "list_cleanup", "csv", now])
    started = time.perf_counter()
    with transaction.atomic():
        result = EntryResource().import_data(dataset, raise_errors=False, collect_failed_rows=True)
    iex_elapsed = time.perf_counter() - started
    iex_rate = len(dataset) / iex_elapsed
    print(
        f"django-import-export {len(dataset):,} rows: {iex_elapsed:.1f} s = "
        f"{iex_rate:,.0f} rows/s; "
        f"totals {dict(result.totals)}; invalid rows {len(result.invalid_rows)}"
    )
    print(
        f"Handoff {handoff_rate:,.0f} rows/s = {handoff_rate / iex_rate:.1f}x import-export; "
        f"bare COPY {copy_rate:,.0f} = {copy_rate / handoff_rate:.2f}x Handoff"
    )
    results.record(
        "CSV import of 1,000,000 rows",
        "comparisons, same table and file",
        f"{handoff_rate:,.0f} rows/s",
        f"django-import-export (use_bulk, skip_diff, on the first {len(dataset):,} rows): "
        f"{iex_rate:,.0f} rows/s = Handoff {handoff_rate / iex_rate:.1f}x; bare COPY of the "
        f"{new_rows:,} normalised new rows: {copy_elapsed:.1f} s = {copy_rate:,.0f} input rows/s "
        f"(Handoff takes {copy_rate / handoff_rate:.2f}x as long); bare COPY of those rows and "
        f"their events: {both_elapsed:.1f} s (Handoff takes "
        f"{job.rows_read / handoff_rate / both_elapsed:.2f}x as long)",
    )
    seed(args.existing)


if __name__ == "__main__":
    main()
