"""The CSV import engine: sniff a file, stream its rows, normalise them, merge them in chunks.

Spreadsheets export many shapes of "CSV"; ``sniff`` decides the encoding (UTF-8
with or without BOM, UTF-16 with BOM as Excel's "Unicode text", else cp1252 or
Latin-1) and the delimiter (, ; tab |) from the first 64 KB, and refuses what is
not a usable file. ``iter_chunks`` streams the stored file with bounded memory
(``TextIOWrapper`` + ``csv.reader``, never the whole file); ``blocklists.import_feeds``
runs it in a process of its own (a thread for small files), so Python parses on
one core while the database merges the previous chunk on the other. ``merge_chunk``
writes one chunk set-based: COPY into a temporary table and one ``INSERT ... ON
CONFLICT DO NOTHING RETURNING`` feeding the ``added`` events on PostgreSQL; two
statements over ``json_each`` on SQLite.

The job's state (claims, counters, status) belongs to ``blocklists.import_services``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection

from accounts.bulk import COPY_ESCAPE
from blocklists.import_rows import (
    CHUNK_ROWS,
    Chunk,
    chunks_of_rows,
    subscriber_parser,
)
from blocklists.models import BlocklistEntry, BlocklistEvent, EventAction, ImportJob, Source

SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
PRESELECTED_COLUMNS = ("mobile", "phone", "msisdn", "number", "email")

NOT_TEXT = "This is not a text file: save the spreadsheet as CSV and upload that."
EMPTY_FILE = "The file is empty."
NO_HEADER = "The file has no header row: the first row must name the columns."
NO_ROWS = "The file has no rows: it holds a header row only."

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than tab, LF, FF and CR: text files have none, binary files many.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class Sniffed:
    encoding: str
    delimiter: str
    header: list[str]


def _decode_head(head: bytes, complete: bool) -> tuple[str, str]:
    """(encoding, text of the head) or ValidationError for a file that is not text."""
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if encoding is None and b"\x00" in head:
        raise ValidationError(NOT_TEXT, code="not_text")
    candidates = [encoding] if encoding else ["utf-8", "cp1252", "latin-1"]
    for candidate in candidates:
        decoder = codecs.getincrementaldecoder(candidate)()
        try:
            text = decoder.decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text)) * 100 > len(text):
            raise ValidationError(NOT_TEXT, code="not_text")
        return candidate, text.removeprefix("\ufeff")
    raise ValidationError(NOT_TEXT, code="not_text")


def _complete_lines(text: str, complete: bool) -> str:
    # The last line of a truncated head may be cut in the middle.
    if complete:
        return text
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[: cut + 1] if cut >= 0 else ""


def _choose_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header into the most columns, consistently with the rows."""
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        if not rows:
            continue
        width = len(_trim(rows[0]))
        if width < 2:
            continue
        # Rows as wide as the header (or wider: trailing empty columns) confirm the choice.
        consistent = sum(1 for row in rows[1:] if len(row) >= width or not any(row))
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _trim(row: list[str]) -> list[str]:
    """The row without its trailing empty cells."""
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def _looks_like_data(cell: str) -> bool:
    """A phone number or an email address where a column name should be."""
    digits = len(_DIGIT.findall(cell))
    if digits >= 6 and digits * 2 > len(cell.replace(" ", "")):
        return True
    return "@" in cell and "." in cell.rpartition("@")[2]


def _header_names(row: list[str]) -> list[str]:
    names = []
    for index, cell in enumerate(_trim(row), start=1):
        name = cell.strip()
        names.append(name or f"Column {index}")
    return names


def sniff(head: bytes, *, complete: bool) -> Sniffed:
    """Encoding, delimiter and header of a file from its first bytes, or ValidationError.

    ``complete`` says whether ``head`` is the whole file. Refuses binary files, a
    missing header row and a file without data rows, with the reason.
    """
    if not head:
        raise ValidationError(EMPTY_FILE, code="empty")
    encoding, text = _decode_head(head, complete)
    lines = [line for line in _complete_lines(text, complete).splitlines() if line.strip()]
    if not lines:
        raise ValidationError(EMPTY_FILE if complete else NO_HEADER, code="no_header")
    delimiter = _choose_delimiter(lines[:50])
    rows = [
        row for row in csv.reader(lines[:50], delimiter=delimiter) if any(c.strip() for c in row)
    ]
    header = _trim(rows[0]) if rows else []
    if not header or any(_looks_like_data(cell) for cell in header):
        raise ValidationError(NO_HEADER, code="no_header")
    if len(rows) < 2 and complete:
        raise ValidationError(NO_ROWS, code="no_rows")
    return Sniffed(encoding=encoding, delimiter=delimiter, header=_header_names(header))


def sniff_upload(uploaded_file) -> Sniffed:
    """``sniff`` on the start of an uploaded file (left at position 0)."""
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES + 1)
    uploaded_file.seek(0)
    return sniff(head[:SNIFF_BYTES], complete=len(head) <= SNIFF_BYTES)


def default_column(header: list[str], sender_kind: str) -> str:
    """The column preselected for the subscriber: a well-known name, else the first column."""
    by_name = {name.strip().lower(): name for name in reversed(header)}
    preferred = ("email",) if sender_kind == "email" else PRESELECTED_COLUMNS[:4]
    for name in (*preferred, *PRESELECTED_COLUMNS):
        if name in by_name:
            return by_name[name]
    return header[0] if header else ""


@contextlib.contextmanager
def open_rows(job: ImportJob) -> Iterator[tuple[csv.reader, io.BufferedReader]]:
    """A csv.reader over the stored file and the binary file under it (for its position)."""
    try:
        raw = open(job.file.path, "rb")  # noqa: SIM115 - closed below
    except NotImplementedError:  # storage without local paths
        raw = job.file.storage.open(job.file.name, "rb")
    try:
        text = io.TextIOWrapper(raw, encoding=job.encoding or "utf-8", newline="")
        yield csv.reader(text, delimiter=job.delimiter or ","), raw
    finally:
        raw.close()


def preview_rows(job: ImportJob, limit: int = 5) -> list[list[str]]:
    """The first ``limit`` non-blank data rows, padded or cut to the header's width."""
    width = len(job.header)
    rows: list[list[str]] = []
    with open_rows(job) as (reader, _raw):
        header_seen = False
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if not header_seen:
                header_seen = True
                continue
            rows.append((row + [""] * width)[:width])
            if len(rows) >= limit:
                break
    return rows


def reading_country(job: ImportJob) -> str:
    """The country national numbers in the file are read for: the job's, else its organization's."""
    return job.country or job.sender.organization.country


def iter_chunks(job: ImportJob, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Parse the job's stored file into chunks (``chunks_of_rows`` over ``open_rows``)."""
    parse = subscriber_parser(job.sender.is_email, reading_country(job))
    with open_rows(job) as (reader, raw):
        yield from chunks_of_rows(reader, raw, job.header.index(job.column), parse, chunk_rows)


# ---------------------------------------------------------------------------
# Merging a chunk
# ---------------------------------------------------------------------------

_ENTRY_TABLE = BlocklistEntry._meta.db_table
_EVENT_TABLE = BlocklistEvent._meta.db_table
_TEMP_TABLE = "blocklist_import_rows"

_ENTRY_COLUMNS = "sender_id, subscriber, reason, source, excluded_at, added_by_id, import_job_id"
_EVENT_COLUMNS = (
    "organization_id, sender_id, sender_address, subscriber, action, reason, source, "
    "excluded_at, actor_id, actor_name, consent_id, import_job_id, note, created_at"
)


def _event_values(job: ImportJob, at) -> list:
    user = job.created_by
    return [
        job.organization_id,
        job.sender_id,
        job.sender.address,
        EventAction.ADDED,
        job.reason,
        Source.CSV,
        user.pk if user else None,
        user.get_username() if user else "",
        job.consent_id,
        job.pk,
        at,
    ]


def merge_chunk(job: ImportJob, subscribers: list[str], *, at) -> int:
    """Add the subscribers not yet on the sender's list, with their ``added`` events.

    Set-based, run inside the caller's transaction: on PostgreSQL a COPY and one
    statement, elsewhere two statements. Returns the number of entries added.
    """
    if not subscribers:
        return 0
    if connection.vendor == "postgresql":
        return _merge_postgresql(job, subscribers, at)
    return _merge_json_each(job, subscribers, at)


def _merge_postgresql(job: ImportJob, subscribers: list[str], at) -> int:
    organization, sender, address, action, reason, source, actor, name, consent, job_id, now = (
        _event_values(job, at)
    )
    with connection.cursor() as cursor:
        # ON COMMIT DELETE ROWS empties it after each chunk's transaction; the DELETE
        # covers callers that run several chunks in one transaction (tests).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP_TABLE} (subscriber text) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {_TEMP_TABLE}")
        data = (
            "\n".join(subscribers)
            if not job.sender.is_email
            else "\n".join(value.translate(COPY_ESCAPE) for value in subscribers)
        )
        with cursor.cursor.copy(f"COPY {_TEMP_TABLE} (subscriber) FROM STDIN") as copy:
            copy.write(data + "\n")
        cursor.execute(
            f"""
            WITH ins AS (
                INSERT INTO {_ENTRY_TABLE} ({_ENTRY_COLUMNS})
                SELECT %s, subscriber, %s, %s, %s, %s, %s FROM {_TEMP_TABLE}
                ON CONFLICT (sender_id, subscriber) DO NOTHING
                RETURNING subscriber
            )
            INSERT INTO {_EVENT_TABLE} ({_EVENT_COLUMNS})
            SELECT %s, %s, %s, subscriber, %s, %s, %s, %s, %s, %s, %s, %s, '', %s FROM ins
            """,
            [
                sender, reason, source, now, actor, job_id,
                organization, sender, address, action, reason, source, now, actor, name,
                consent, job_id, now,
            ],
        )  # fmt: skip
        return cursor.rowcount


def _merge_json_each(job: ImportJob, subscribers: list[str], at) -> int:
    organization, sender, address, action, reason, source, actor, name, consent, job_id, now = (
        _event_values(job, at)
    )
    now = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        # "WHERE true" lets SQLite tell the upsert clause from a join constraint.
        cursor.execute(
            f"""
            INSERT INTO {_ENTRY_TABLE} ({_ENTRY_COLUMNS})
            SELECT %s, value, %s, %s, %s, %s, %s FROM json_each(%s) WHERE true
            ON CONFLICT (sender_id, subscriber) DO NOTHING
            RETURNING subscriber
            """,
            [sender, reason, source, now, actor, job_id, json.dumps(subscribers)],
        )
        added = [row[0] for row in cursor.fetchall()]
        if added:
            cursor.execute(
                f"""
                INSERT INTO {_EVENT_TABLE} ({_EVENT_COLUMNS})
                SELECT %s, %s, %s, value, %s, %s, %s, %s, %s, %s, %s, %s, '', %s
                FROM json_each(%s)
                """,
                [
                    organization, sender, address, action, reason, source, now, actor, name,
                    consent, job_id, now, json.dumps(added),
                ],
            )  # fmt: skip
        return len(added)


# ---------------------------------------------------------------------------
# The errors report
# ---------------------------------------------------------------------------

ERRORS_HEADER = ("row", "value", "error")


class ErrorsReport:
    """The invalid rows (row number, value, error), spooled to a temporary file."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed by close()
        self._text = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow(ERRORS_HEADER)
        self.rows = 0

    def add(self, invalid: list[tuple[int, str, str]]) -> None:
        self._writer.writerows(invalid)
        self.rows += len(invalid)

    def finished_file(self) -> io.BufferedRandom:
        """The report's bytes, rewound, for storage."""
        self._text.flush()
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self._text.close()
