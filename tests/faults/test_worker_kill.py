"""Issue #9 and #6: a Celery worker SIGKILLed in the middle of an import, a dispatch and
inbound processing, then a fresh worker: finished or failed-and-resumed, nothing twice.

Smaller volumes by default (CI); ``FAULTS_FULL=1`` runs 1,000,000 rows and 100,000
messages. Each test prints what it saw (``pytest -s``).
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import volume
from tests.faults.recording import read_sends
from tests.faults.stack import wait_for

pytestmark = pytest.mark.slow


def settled(read, quiet: float = 3.0, timeout: float = 300.0):
    """Wait until ``read()`` stops changing for ``quiet`` seconds (the queue is drained)."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        value = read()
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise AssertionError(f"still changing after {timeout} s: {last}")


def test_import_killed_mid_run_is_failed_then_resumed_without_duplicates(stack):
    rows = volume(200_000, 1_000_000)
    stack.action("seed")
    worker = stack.start_worker(concurrency=1)
    job = stack.action("import-start", rows, stack.folder / "import.csv")["job"]
    started = time.monotonic()
    job_row = "SELECT status, rows_read FROM blocklists_importjob WHERE id = %s"
    status, read = wait_for(
        lambda: (r := stack.query(job_row, [job])[0])[1] >= rows // 5 and r,
        300,
        "a fifth of the import",
        interval=0.05,
    )
    stack.kill(worker)
    status, read_at_kill = stack.query(job_row, [job])[0]
    entries_at_kill = stack.scalar("SELECT count(*) FROM blocklists_blocklistentry")
    assert status == "running" and 0 < read_at_kill < rows, (status, read_at_kill)
    print(f"\nimport of {rows:,} rows: SIGKILL after {time.monotonic() - started:.1f} s at row")
    print(f"  {read_at_kill:,} ({entries_at_kill:,} entries committed)")

    stack.start_worker(concurrency=1, log_name="worker2.log")
    # Five minutes without a heartbeat, as beat's fail_stale_imports sees them.
    stack.query(
        "UPDATE blocklists_importjob SET heartbeat_at = heartbeat_at - interval '6 minutes' "
        "WHERE id = %s RETURNING id",
        [job],
    )
    resumed = stack.action("import-resume", job)
    assert resumed["failed"] == 1 and resumed["queued"], resumed
    assert "Run it again" in resumed["error"]
    final = wait_for(
        lambda: (r := stack.query(
            "SELECT status, rows_read, rows_added, rows_present, rows_invalid, attempts "
            "FROM blocklists_importjob WHERE id = %s", [job])[0])[0] in ("done", "failed") and r,
        600,
        "the resumed import",
    )  # fmt: skip
    status, read, added, present, invalid, attempts = final
    repeats, bad = (rows + 98) // 100, (rows + 97) // 100
    assert (status, attempts) == ("done", 2), final
    assert read == rows + repeats + bad
    assert invalid == bad
    assert added + present == rows + repeats  # every valid row: added now or already there
    assert added == rows - entries_at_kill
    entries = stack.query(
        "SELECT count(*), count(DISTINCT subscriber) FROM blocklists_blocklistentry"
    )[0]
    events = stack.query(
        "SELECT count(*), count(DISTINCT subscriber) FROM blocklists_blocklistevent "
        "WHERE import_job_id = %s AND action = 'added'",
        [job],
    )[0]
    assert entries == (rows, rows)  # each subscriber exactly once
    assert events == (rows, rows)  # one "added" event each, none for a row added twice
    print(f"  resumed: done, {added:,} added + {present:,} already present, {invalid:,} invalid;")
    print(f"  {entries[0]:,} entries = {rows:,} distinct subscribers, {events[0]:,} added events")


def test_dispatch_killed_mid_send_sends_no_message_twice(stack):
    messages = volume(10_000, 100_000)
    stack.action("seed")
    worker = stack.start_worker(concurrency=2)
    started = time.monotonic()
    batch = stack.action("dispatch", messages)["batch"]
    by_status = (
        "SELECT status, count(*) FROM messaging_message WHERE batch_id = %s GROUP BY status "
        "ORDER BY status"
    )
    wait_for(
        lambda: messages // 10 <= len(read_sends(stack.send_log)) < messages // 2,
        300,
        "a tenth of the messages handed over",
        interval=0.02,
    )
    stack.kill(worker)
    at_kill = dict(stack.query(by_status, [batch]))
    handed_at_kill = len(read_sends(stack.send_log))
    print(f"\ndispatch of {messages:,} messages: SIGKILL after {time.monotonic() - started:.1f} s;")
    print(f"  {handed_at_kill:,} handed over, statuses {at_kill}")
    assert 0 < handed_at_kill < messages

    stack.start_worker(concurrency=2, log_name="worker2.log")
    for _round in range(3):
        # The send tasks still queued run first; then, STALLED_AFTER later, beat's
        # requeue_stalled_sends deals with what the killed worker held.
        state = settled(lambda: (stack.query(by_status, [batch]), len(read_sends(stack.send_log))))
        if "sending" not in dict(state[0]):
            break
        stack.query(  # five minutes pass
            "UPDATE messaging_message SET updated_at = updated_at - interval '6 minutes', "
            "handed_over_at = handed_over_at - interval '6 minutes' "
            "WHERE batch_id = %s AND status = 'sending' RETURNING id",
            [batch],
        )
        print(f"  queue drained, 5 minutes on, requeue: {stack.action('requeue-sends')}")
    statuses = dict(stack.query(by_status, [batch]))
    sends = read_sends(stack.send_log)
    twice = {message_id: n for message_id, n in sends.items() if n > 1}
    uncertain = stack.query(
        "SELECT id FROM messaging_message WHERE batch_id = %s AND status = 'error' "
        "AND status_log -> -1 ->> 'detail' LIKE 'The worker stopped while handing%%'",
        [batch],
    )
    reached = sum(1 for (message_id,) in uncertain if message_id in sends)
    print(f"  end: {statuses}; {sum(sends.values()):,} hand-overs for {len(sends):,} messages,")
    print(f"  {len(twice)} twice; {len(uncertain)} ended error as uncertain ({reached} of them")
    print("  had reached the gateway)")
    assert not twice, f"{len(twice)} messages handed over twice, e.g. {list(twice.items())[:5]}"
    assert set(statuses) <= {"sent", "error"}, statuses  # nothing stuck
    assert statuses.get("error", 0) == len(uncertain)  # every error is an uncertain hand-over
    # At most the chunk each of the two killed processes held: the rest went out once.
    assert len(uncertain) <= 2 * 1_000
    assert statuses["sent"] == messages - len(uncertain)


def test_inbound_worker_killed_loses_nothing_and_processes_nothing_twice(stack):
    count = volume(1_000, 10_000)
    stack.action("seed")
    stack.action("store-inbound", count)  # stored and queued, as the webhook does
    processed = (
        "SELECT count(*) FROM messaging_message WHERE direction = 'inbound' "
        "AND processed_at IS NOT NULL"
    )
    worker = stack.start_worker(concurrency=2)
    started = time.monotonic()
    wait_for(
        lambda: count // 5 <= stack.scalar(processed) < count // 2, 300, "a fifth processed", 0.02
    )
    stack.kill(worker)
    at_kill = stack.scalar(processed)
    print(f"\n{count:,} inbound messages: SIGKILL after {time.monotonic() - started:.1f} s,")
    print(f"  {at_kill:,} processed")
    stack.start_worker(concurrency=2, log_name="worker2.log")
    settled(lambda: stack.scalar(processed))
    requeued = stack.action("requeue-inbound")
    print(f"  after the queue drained {stack.scalar(processed):,} processed; requeue: {requeued}")
    wait_for(lambda: stack.scalar(processed) == count, 300, "every message processed")

    stops = count // 10
    replies = stack.query(
        "SELECT count(*), count(DISTINCT in_reply_to_id) FROM messaging_message "
        "WHERE in_reply_to_id IS NOT NULL"
    )[0]
    ticket_messages = stack.query(
        "SELECT count(*), count(DISTINCT external_id) FROM contacts_ticketmessage "
        "WHERE external_id LIKE 'kill-%%'"
    )[0]
    entries = stack.scalar("SELECT count(*) FROM blocklists_blocklistentry")
    keyword_events = stack.scalar("SELECT count(*) FROM blocklists_keywordevent")
    print(f"  end: {count:,} processed; {replies[0]:,} replies for {stops:,} STOPs;")
    print(f"  {ticket_messages[0]:,} ticket messages for {count - stops:,} texts")
    assert replies == (stops, stops)  # one confirmation per STOP, none twice
    assert entries == stops and keyword_events == stops
    assert ticket_messages == (count - stops, count - stops)  # each text filed once
