"""Large imports parse in a process of their own: the same answers as the thread,
errors raised where the thread would raise them, and no process left behind."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blocklists import import_feeds, import_services
from blocklists.models import BlocklistEntry, BlocklistEvent, ConsentText, ImportStatus, Reason
from tests.factories import SenderFactory

# Every shape the thread handles: formats, floats, invalid values, blank lines,
# duplicates inside and across chunks, a quoted field and a trailing empty column.
MIXED = (
    b"name,mobile,city,\r\n"
    b"Ann,4155550123,Springfield,\r\n"
    b"Bob,(415) 555-0124,,\r\n"
    b"\r\n"
    b"Carl,call me,x,\r\n"
    b'"Dan, Jr.",+1 415 555 0125,x,\r\n'
    b"Eve,4.155550126E+09,x,\r\n"
    b"Fay,4155550123,x,\r\n"
    b"Gus,12,x,\r\n"
    b"Hal,415.555.0127,x,\r\n"
    b"Ida,,x,\r\n"
    b"Jon,1-415-555-0124,x,\r\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def consent(db):
    return ConsentText.current(ConsentText.Purpose.ADD)


def import_file(sender, user, consent, data: bytes, *, chunk_rows: int = 3):
    job = import_services.create_import_job(
        sender=sender,
        uploaded_file=SimpleUploadedFile("list.csv", data),
        user=user,
        consent=consent,
    )
    import_services.start_import(
        job=job, column="mobile", reason=Reason.LIST_CLEANUP, enqueue=False
    )
    return import_services.run_import(job_id=job.pk, chunk_rows=chunk_rows)


def outcome(job) -> tuple:
    entries = set(
        BlocklistEntry.objects.filter(sender=job.sender).values_list("subscriber", flat=True)
    )
    events = BlocklistEvent.objects.filter(import_job=job).count()
    with job.errors_file.open("rb") as stored:
        report = list(csv.reader(io.TextIOWrapper(stored, encoding="utf-8", newline="")))
    counts = (job.rows_read, job.rows_added, job.rows_present, job.rows_invalid, job.bytes_read)
    return job.status, counts, entries, events, report


def test_a_parser_process_gives_the_threads_answers(settings, org, admin_user, consent):
    settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = -1
    by_thread = import_file(SenderFactory(organization=org), admin_user, consent, MIXED)
    settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = 0
    by_process = import_file(SenderFactory(organization=org), admin_user, consent, MIXED)

    assert outcome(by_process) == outcome(by_thread)
    status, counts, entries, events, report = outcome(by_process)
    assert status == ImportStatus.DONE
    assert counts[:4] == (10, 5, 2, 3)
    assert entries == {f"+141555501{n}" for n in (23, 24, 25, 26, 27)}
    assert events == 5
    assert [row[0] for row in report[1:]] == ["5", "9", "11"]


def test_the_size_setting_chooses_the_process(settings, org, admin_user, consent):
    sender = SenderFactory(organization=org)
    job = import_services.create_import_job(
        sender=sender,
        uploaded_file=SimpleUploadedFile("list.csv", MIXED),
        user=admin_user,
        consent=consent,
    )
    settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = len(MIXED) + 1
    assert not import_feeds._parse_in_process(job)
    settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = len(MIXED)
    assert import_feeds._parse_in_process(job)
    settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = -1
    assert not import_feeds._parse_in_process(job)


def test_a_file_broken_half_way_fails_the_same_in_a_process(settings, org, admin_user, consent):
    # A cell over the csv module's limit after two good rows: the parser process
    # raises csv.Error, and the job says what a person can do about it.
    data = b"mobile\n4155550123\n4155550124\n" + b"9" * 200_000 + b"\n4155550125\n"
    errors = []
    for threshold in (-1, 0):
        settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = threshold
        job = import_file(SenderFactory(organization=org), admin_user, consent, data, chunk_rows=2)
        assert job.status == ImportStatus.FAILED
        assert job.rows_added == 2
        errors.append(job.error)
    assert errors[0] == errors[1]
    assert "holds more than 128 KB" in errors[1] and "after row 3" in errors[1]


def test_stopping_the_feed_ends_the_parser_process(settings, org, admin_user, consent):
    settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = 0
    job = import_services.create_import_job(
        sender=SenderFactory(organization=org),
        uploaded_file=SimpleUploadedFile("list.csv", MIXED * 50),
        user=admin_user,
        consent=consent,
    )
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)
    with import_feeds.parse_in_background(job, chunk_rows=2) as feed:
        assert isinstance(feed, import_feeds.ProcessChunkFeed)
        first = feed.next()
        assert first is not None and first.rows == 2
        process = feed._process
    # Cancelled after one chunk: the process is gone, not parsing on for nobody.
    assert process.poll() is not None


def test_deleting_a_sender_still_deletes_its_entries(org, admin_user, consent):
    # The entry's sender has no database constraint (it cost every imported row a
    # check); the ORM cascades instead, and the event log keeps the history.
    sender = SenderFactory(organization=org)
    other = SenderFactory(organization=org)
    import_file(sender, admin_user, consent, MIXED)
    import_file(other, admin_user, consent, MIXED)

    sender.delete()

    assert not BlocklistEntry.objects.filter(sender_id=sender.pk).exists()
    assert BlocklistEntry.objects.filter(sender=other).count() == 5
    assert BlocklistEvent.objects.filter(sender_address=sender.address).count() == 5


def test_an_email_list_parsed_in_a_process(settings, org, admin_user, consent):
    # The parser process loads no Django app: email validation still works there.
    from accounts.models import SenderKind

    data = b"email\nAnn@Example.com\nnot an address\nbob@example.org\nann@example.com\n"
    results = []
    for threshold in (-1, 0):
        settings.BLOCKLIST_IMPORT_PROCESS_MIN_BYTES = threshold
        sender = SenderFactory(
            organization=org, kind=SenderKind.EMAIL, address=f"n{threshold}@x.io"
        )
        job = import_services.create_import_job(
            sender=sender,
            uploaded_file=SimpleUploadedFile("list.csv", data),
            user=admin_user,
            consent=consent,
        )
        import_services.start_import(job=job, column="email", reason="list_cleanup", enqueue=False)
        job = import_services.run_import(job_id=job.pk)
        results.append(outcome(job)[1:])
    assert results[0] == results[1]
    counts, entries, events, report = results[1]
    assert counts[:4] == (4, 2, 1, 1)
    assert entries == {"ann@example.com", "bob@example.org"}
    assert report[1][:2] == ["3", "not an address"]
