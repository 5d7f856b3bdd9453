"""Parsing an import ahead of its database writer: in a process of its own, or a thread.

The parser touches no database; the writer takes chunks with ``next()`` (None at
the end; an error in the parser is raised there) and ``stop()`` ends the parser
early. Memory stays bounded whatever the file size: at most QUEUE_CHUNKS chunks
wait in a thread's queue, and a process waits on its pipe's buffer.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator

from django.conf import settings

from blocklists.import_rows import CHUNK_ROWS, Chunk, ParseSpec
from blocklists.imports import iter_chunks, reading_country
from blocklists.models import ImportJob

# Parsed chunks waiting for the database in a thread's queue.
QUEUE_CHUNKS = 2


def parse_spec(job: ImportJob) -> ParseSpec:
    """What the parser of ``job`` needs: the stored file, its shape and the sender's kind."""
    return ParseSpec(
        path=job.file.path,
        encoding=job.encoding or "utf-8",
        delimiter=job.delimiter or ",",
        column=job.header.index(job.column),
        email=job.sender.is_email,
        country=reading_country(job),
    )


_END = object()


class ChunkFeed:
    """Chunks parsed by a background thread, handed out to the database writer.

    The parser touches no database. ``next()`` is thread-safe and returns None at
    the end; an exception in the parser is raised in every caller; ``stop()``
    ends the parser early. At most QUEUE_CHUNKS chunks wait in memory.
    """

    def __init__(self, job: ImportJob, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._produce,
            args=(job, chunk_rows),
            name=f"import-{job.pk}-parser",
            daemon=True,
        )
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, job: ImportJob, chunk_rows: int) -> None:
        try:
            for chunk in iter_chunks(job, chunk_rows=chunk_rows):
                if not self._put(chunk):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the writers, which decide
            self._put(exc)

    def next(self) -> Chunk | None:
        item = self._queue.get()
        if item is _END or isinstance(item, BaseException):
            # Leave the end (or the error) for the other writers too.
            self._queue.put(item)
        if item is _END:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def __iter__(self) -> Iterator[Chunk]:
        while (chunk := self.next()) is not None:
            yield chunk

    def stop(self) -> None:
        self._stop.set()
        # Unblock a parser waiting on a full queue, then let it see the flag.
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        self._thread.join(timeout=10)


class ProcessChunkFeed:
    """Chunks parsed by a process of their own (``python -m blocklists.import_parser``).

    Why a process: a parser thread holds the GIL most of the time, and the writer
    thread waits for it after every round trip to the database (1M rows: 21.6 s
    with a thread, 19.0 s with a 0.5 ms switch interval; see docs/performance.md).
    A process parses on the other core without that. The parser streams pickled
    chunks through a pipe; the pipe's buffer is the queue, so memory stays bounded.
    Same interface as ChunkFeed, for one writer.
    """

    def __init__(self, spec: ParseSpec, *, chunk_rows: int = CHUNK_ROWS) -> None:
        base = str(settings.BASE_DIR)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "blocklists.import_parser", str(chunk_rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=base,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, (base, os.environ.get("PYTHONPATH")))),
            },
        )
        self._process.stdin.write(pickle.dumps(spec))
        self._process.stdin.close()
        self._ended: BaseException | None = None
        self._done = False

    def next(self) -> Chunk | None:
        if self._ended is not None:
            raise self._ended
        if self._done:
            return None
        try:
            kind, payload = pickle.load(self._process.stdout)
        except EOFError:
            self._process.wait()
            self._ended = RuntimeError(
                f"The parser process ended without finishing (exit status "
                f"{self._process.returncode})."
            )
            raise self._ended from None
        if kind == "chunk":
            return payload
        if kind == "error":
            self._ended = payload
            raise payload
        self._done = True
        return None

    def __iter__(self) -> Iterator[Chunk]:
        while (chunk := self.next()) is not None:
            yield chunk

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.stdout.close()
        self._process.wait(timeout=10)


@contextlib.contextmanager
def parse_in_background(
    job: ImportJob, *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[ChunkFeed | ProcessChunkFeed]:
    """A feed of parsed chunks for the block; leaving the block stops the parser.

    Files of at least ``BLOCKLIST_IMPORT_PROCESS_MIN_BYTES`` on local storage are
    parsed by a process of their own; smaller ones (where starting a Python process
    costs more than it saves) by a thread.
    """
    feed: ChunkFeed | ProcessChunkFeed
    if _parse_in_process(job):
        feed = ProcessChunkFeed(parse_spec(job), chunk_rows=chunk_rows)
    else:
        feed = ChunkFeed(job, chunk_rows=chunk_rows)
    try:
        yield feed
    finally:
        feed.stop()


def _parse_in_process(job: ImportJob) -> bool:
    threshold = settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES
    if threshold < 0:
        return False
    try:
        return os.path.getsize(job.file.path) >= threshold
    except (NotImplementedError, OSError):  # storage without local paths
        return False
