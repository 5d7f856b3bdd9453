"""The CSV import engine and its services, in-process (no worker); every file is generated here."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import SenderKind
from blocklists import import_services, imports
from blocklists.models import (
    BlocklistEntry,
    BlocklistEvent,
    ConsentText,
    ImportJob,
    ImportStatus,
    Reason,
    Source,
)
from blocklists.services import add_entry
from tests.factories import SenderFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def consent(db):
    return ConsentText.objects.get_or_create(
        purpose=ConsentText.Purpose.ADD, version=1, defaults={"text": "They asked."}
    )[0]


@pytest.fixture
def upload(sender, admin_user, consent):
    def make(data: bytes, *, name: str = "list.csv", to=None) -> ImportJob:
        return import_services.create_import_job(
            sender=to or sender,
            uploaded_file=SimpleUploadedFile(name, data),
            user=admin_user,
            consent=consent,
        )

    return make


@pytest.fixture
def run(upload):
    """Upload, map and run a file in-process; returns the finished job."""

    def make(data: bytes, *, column=None, country="", chunk_rows=imports.CHUNK_ROWS, to=None):
        job = upload(data, to=to)
        import_services.start_import(
            job=job,
            column=column or job.column,
            reason=Reason.LIST_CLEANUP,
            country=country,
            enqueue=False,
        )
        return import_services.run_import(job_id=job.pk, chunk_rows=chunk_rows)

    return make


def subscribers(sender) -> set[str]:
    return set(BlocklistEntry.objects.filter(sender=sender).values_list("subscriber", flat=True))


def counts(job: ImportJob) -> tuple[int, int, int, int]:
    return job.rows_read, job.rows_added, job.rows_present, job.rows_invalid


def error_rows(job: ImportJob) -> list[list[str]]:
    with job.errors_file.open("rb") as stored:
        return list(csv.reader(io.TextIOWrapper(stored.file, encoding="utf-8", newline="")))


# ---------------------------------------------------------------------------
# Formats spreadsheets produce
# ---------------------------------------------------------------------------


def test_utf8_comma_file_adds_entries_with_events(run, sender, admin_user, consent):
    job = run(b"mobile,name\n4155550123,Ann\n(415) 555-0124,Bob\n")

    assert job.status == ImportStatus.DONE
    assert (job.encoding, job.delimiter) == ("utf-8", ",")
    assert counts(job) == (2, 2, 0, 0)
    assert subscribers(sender) == {"+14155550123", "+14155550124"}
    entry = BlocklistEntry.objects.get(subscriber="+14155550123")
    assert (entry.source, entry.reason, entry.import_job_id) == (
        Source.CSV,
        Reason.LIST_CLEANUP,
        job.pk,
    )
    assert entry.added_by == admin_user
    events = BlocklistEvent.objects.filter(import_job=job)
    assert events.count() == 2
    event = events.get(subscriber="+14155550123")
    assert (event.action, event.source, event.consent, event.actor) == (
        "added",
        "csv",
        consent,
        admin_user,
    )
    assert (event.sender_address, event.actor_name) == ("52811", admin_user.username)
    assert job.finished_at is not None and job.attempts == 1
    assert job.bytes_read == job.file_size and job.progress_percent == 100


def test_utf8_with_bom(run, sender):
    job = run(codecs.BOM_UTF8 + "mobile,nom\n4155550123,Zoé\n".encode())

    assert job.encoding == "utf-8-sig"
    assert job.header == ["mobile", "nom"] and job.column == "mobile"
    assert counts(job) == (1, 1, 0, 0)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_tab_separated_with_bom_as_excel_unicode_text(run, sender, encoding):
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    text = "name\tmobile\r\nJosé\t415 555 0123\r\nLi\t4155550124\r\n"
    job = run(bom + text.encode(encoding))

    assert (job.encoding, job.delimiter, job.column) == ("utf-16", "\t", "mobile")
    assert counts(job) == (2, 2, 0, 0)
    assert subscribers(sender) == {"+14155550123", "+14155550124"}


def test_latin1_file(upload, run, sender):
    data = "name;mobile\nJosé;4155550123\nRenée;4155550124\n".encode("latin-1")
    job = upload(data)

    assert job.encoding in ("cp1252", "latin-1") and job.delimiter == ";"
    assert imports.preview_rows(job) == [["José", "4155550123"], ["Renée", "4155550124"]]
    assert counts(run(data)) == (2, 2, 0, 0)
    assert subscribers(sender) == {"+14155550123", "+14155550124"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(run, delimiter):
    rows = ["name", "mobile", "city"], ["Ann", "4155550123", "SF"], ["Bob", "4155550124", "LA"]
    text = "".join(delimiter.join(row) + "\n" for row in rows)
    job = run(text.encode())

    assert (job.delimiter, job.column) == (delimiter, "mobile")
    assert counts(job) == (2, 2, 0, 0)


def test_crlf_quoted_fields_blank_lines_trailing_empty_columns(run, sender):
    data = (
        b'mobile,name,,\r\n"415-555-0123","Doe, John",,\r\n\r\n,,,\r\n'
        b'4155550124,"two\r\nlines",,\r\n\r\n'
    )
    job = run(data)

    assert job.header == ["mobile", "name"]
    assert counts(job) == (2, 2, 0, 0)
    assert subscribers(sender) == {"+14155550123", "+14155550124"}


def test_float_notation_and_spaces_in_numbers(run, sender):
    data = b'mobile\n4.155550123E+09\n"415 555 0124"\n+1 415 555 0125\n14155550126.0\n'
    job = run(data)

    assert counts(job) == (4, 4, 0, 0)
    assert subscribers(sender) == {f"+1415555012{i}" for i in (3, 4, 5, 6)}


@pytest.mark.parametrize("chunk_rows", [imports.CHUNK_ROWS, 2])
def test_duplicate_rows_count_as_already_present(run, sender, chunk_rows):
    data = b"mobile\n4155550123\n(415) 555-0123\n4155550124\n+14155550123\n4155550124\n"
    job = run(data, chunk_rows=chunk_rows)

    assert counts(job) == (5, 2, 3, 0)
    assert BlocklistEvent.objects.filter(import_job=job).count() == 2


def test_counts_and_errors_report_with_file_line_numbers(run, sender):
    add_entry(sender=sender, subscriber="4155550199", source=Source.MANUAL)
    data = (
        b"mobile,name\n"  # row 1
        b"4155550123,Ann\n"  # row 2: added
        b"\n"  # row 3: blank, skipped
        b"call me,Bob\n"  # row 4: invalid
        b"4155550199,Carl\n"  # row 5: already on the list
        b"12,Dan\n"  # row 6: invalid
        b",Eve\n"  # row 7: no number
        b"=HYPERLINK(1),Mallory\n"  # row 8: invalid, kept verbatim in storage
    )
    job = run(data)

    assert counts(job) == (6, 1, 1, 4)
    report = error_rows(job)
    assert report[0] == ["row", "value", "error"]
    assert [row[:2] for row in report[1:]] == [
        ["4", "call me"],
        ["6", "12"],
        ["7", ""],
        ["8", "=HYPERLINK(1)"],
    ]
    assert "not a phone number" in report[1][2]
    assert "not a valid phone number" in report[2][2]
    assert report[3][2] == "Enter a phone number."


def test_chosen_column_and_country(run, sender):
    data = b"id,phone,mobile\n1,07911 123456,4155550123\n"
    job = run(data, column="phone", country="GB")

    assert counts(job) == (1, 1, 0, 0)
    assert subscribers(sender) == {"+447911123456"}


def test_email_sender_import(run, org):
    newsletter = SenderFactory(organization=org, kind=SenderKind.EMAIL, address="news@acme.test")
    data = b"phone,email\n4155550123,Ann@Example.COM\n4155550124,not-an-email\n5,ann@example.com\n"
    job = run(data, to=newsletter)

    assert job.column == "email"
    assert counts(job) == (3, 1, 1, 1)
    assert subscribers(newsletter) == {"ann@example.com"}
    assert error_rows(job)[1][:2] == ["3", "not-an-email"]


def test_a_list_belongs_to_its_sender(run, sender, org):
    other = SenderFactory(organization=org, address="52812")
    run(b"mobile\n4155550123\n")

    assert subscribers(other) == set()
    assert counts(run(b"mobile\n4155550123\n", to=other)) == (1, 1, 0, 0)


# ---------------------------------------------------------------------------
# Refusals: nothing stored, nothing added
# ---------------------------------------------------------------------------


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "This is not a text file"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "This is not a text file"),
        (bytes(range(1, 32)) * 40, "This is not a text file"),
        (b"4155550123,Ann\n4155550124,Bob\n", "The file has no header row"),
        (b"ann@example.com\nbob@example.com\n", "The file has no header row"),
        (b"mobile,name\r\n\r\n", "The file has no rows"),
        (b"", "The file is empty"),
        (b"\n\n  \n", "The file is empty"),
    ],
    ids=[
        "png",
        "xlsx",
        "controls",
        "no-header",
        "no-header-emails",
        "header-only",
        "empty",
        "blank",
    ],
)
def test_refused_files_store_nothing(upload, media, data, message):
    with pytest.raises(ValidationError) as refused:
        upload(data)

    assert refused.value.messages[0].startswith(message)
    assert ImportJob.objects.count() == 0
    assert stored_files(media) == []


def test_too_large_file_is_refused(upload, settings, media):
    settings.BLOCKLIST_UPLOAD_MAX_BYTES = 1024 * 1024
    data = b"mobile\n" + b"4155550123\n" * (1024 * 1024 // 11 + 1)

    with pytest.raises(ValidationError) as refused:
        upload(data)

    assert refused.value.messages == ["The file is larger than 1 MB."]
    assert ImportJob.objects.count() == 0 and stored_files(media) == []


def test_default_limit_message_names_200_mb(sender, settings, consent, media):
    settings.BLOCKLIST_UPLOAD_MAX_BYTES = 200 * 1024 * 1024
    big = SimpleUploadedFile("big.csv", b"mobile\n4155550123\n")
    big.size = 200 * 1024 * 1024 + 1

    with pytest.raises(ValidationError, match="The file is larger than 200 MB"):
        import_services.create_import_job(
            sender=sender, uploaded_file=big, user=None, consent=consent
        )
    assert ImportJob.objects.count() == 0 and stored_files(media) == []


def test_upload_without_consent_is_refused(sender, admin_user, media):
    with pytest.raises(ValidationError, match="Confirm the consent dialog"):
        import_services.create_import_job(
            sender=sender,
            uploaded_file=SimpleUploadedFile("a.csv", b"mobile\n4155550123\n"),
            user=admin_user,
            consent=None,
        )
    assert ImportJob.objects.count() == 0 and stored_files(media) == []


def test_missing_column_is_refused_and_adds_nothing(upload, sender):
    job = upload(b"mobile\n4155550123\n")

    with pytest.raises(ValidationError, match="The column “phone” is not in the file"):
        import_services.start_import(job=job, column="phone", reason=Reason.LIST_CLEANUP)

    job.refresh_from_db()
    assert job.status == ImportStatus.AWAITING_MAPPING
    assert import_services.run_import(job_id=job.pk) is None
    assert subscribers(sender) == set()


def test_preselected_column_falls_back_to_the_first():
    assert imports.default_column(["Name", "MSISDN"], "sms_short_code") == "MSISDN"
    assert imports.default_column(["Name", "Phone", "email"], "email") == "email"
    assert imports.default_column(["who", "what"], "sms_short_code") == "who"


# ---------------------------------------------------------------------------
# Failures, reruns, cancels, claims
# ---------------------------------------------------------------------------

FIVE_NUMBERS = b"mobile\n" + b"".join(f"415555012{i}\n".encode() for i in range(5))


def test_rerun_after_failure_adds_nothing_twice(upload, sender, monkeypatch):
    job = upload(FIVE_NUMBERS)
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)
    real_merge = imports.merge_chunk
    calls = []

    def merge_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise ConnectionError("database went away")
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(imports, "merge_chunk", merge_then_fail)
    job = import_services.run_import(job_id=job.pk, chunk_rows=2)

    assert job.status == ImportStatus.FAILED
    assert "database went away" in job.error and job.finished_at is not None
    assert counts(job) == (2, 2, 0, 0)
    assert len(subscribers(sender)) == 2

    monkeypatch.setattr(imports, "merge_chunk", real_merge)
    assert import_services.retry_import(job=job, enqueue=False)
    assert job.status == ImportStatus.QUEUED
    job = import_services.run_import(job_id=job.pk, chunk_rows=2)

    assert job.status == ImportStatus.DONE and job.attempts == 2 and job.error == ""
    assert counts(job) == (5, 3, 2, 0)
    assert len(subscribers(sender)) == 5
    assert BlocklistEvent.objects.filter(import_job=job).count() == 5


def test_retry_only_failed_or_cancelled(run):
    job = run(FIVE_NUMBERS)
    assert not import_services.retry_import(job=job, enqueue=False)
    assert job.status == ImportStatus.DONE


def test_cancel_a_queued_job(upload, sender):
    job = upload(FIVE_NUMBERS)
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)

    assert import_services.cancel_import(job=job)
    assert job.status == ImportStatus.CANCELLED and job.finished_at is not None
    assert import_services.run_import(job_id=job.pk) is None
    assert subscribers(sender) == set()
    assert not import_services.cancel_import(job=job)


def test_cancel_while_running_stops_at_the_next_chunk(upload, sender, monkeypatch):
    job = upload(FIVE_NUMBERS)
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)
    real_add = imports.ErrorsReport.add
    chunks_done = []

    def cancel_after_first_chunk(report, invalid):
        # Called once a chunk is committed: a person cancels from the page.
        chunks_done.append(1)
        if len(chunks_done) == 1:
            import_services.cancel_import(job=ImportJob.objects.get(pk=job.pk))
        real_add(report, invalid)

    monkeypatch.setattr(imports.ErrorsReport, "add", cancel_after_first_chunk)
    job = import_services.run_import(job_id=job.pk, chunk_rows=2)

    assert job.status == ImportStatus.CANCELLED and job.finished_at is not None
    # The next chunk was rolled back with its counters: they match what was added.
    assert counts(job) == (2, 2, 0, 0)
    assert len(subscribers(sender)) == 2
    assert len(chunks_done) == 1

    monkeypatch.setattr(imports.ErrorsReport, "add", real_add)
    assert import_services.retry_import(job=job, enqueue=False)
    job = import_services.run_import(job_id=job.pk)
    assert counts(job) == (5, 3, 2, 0)


def test_two_claims_only_one_wins(upload, monkeypatch):
    job = upload(FIVE_NUMBERS)
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)
    real_merge = imports.merge_chunk
    second_claims = []

    def merge_and_claim_again(*args, **kwargs):
        second_claims.append(import_services.run_import(job_id=job.pk))
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(imports, "merge_chunk", merge_and_claim_again)
    job = import_services.run_import(job_id=job.pk)

    assert job.status == ImportStatus.DONE and job.attempts == 1
    assert second_claims == [None]
    assert counts(job) == (5, 5, 0, 0)


def test_a_stale_running_job_is_taken_over(upload, sender):
    job = upload(FIVE_NUMBERS)
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, attempts=1, heartbeat_at=long_ago, rows_read=3
    )

    job = import_services.run_import(job_id=job.pk)

    assert job.status == ImportStatus.DONE and job.attempts == 2
    assert counts(job) == (5, 5, 0, 0)


def test_a_running_job_with_a_fresh_heartbeat_is_not_claimed(upload):
    job = upload(FIVE_NUMBERS)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    assert import_services.run_import(job_id=job.pk) is None


def test_fail_stale_imports(upload):
    stale, fresh = upload(FIVE_NUMBERS), upload(FIVE_NUMBERS)
    ImportJob.objects.filter(pk=stale.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(minutes=6)
    )
    ImportJob.objects.filter(pk=fresh.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )

    assert import_services.fail_stale_imports() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == ImportStatus.FAILED and "Run it again" in stale.error
    assert fresh.status == ImportStatus.RUNNING


def test_the_task_runs_the_import(upload, sender):
    from blocklists.tasks import import_blocklist_csv

    job = upload(FIVE_NUMBERS)
    import_services.start_import(job=job, column="mobile", reason="list_cleanup", enqueue=False)
    import_blocklist_csv.apply(args=[job.pk])

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and counts(job) == (5, 5, 0, 0)


def test_start_queues_the_task_after_commit(
    upload, monkeypatch, django_capture_on_commit_callbacks
):
    from blocklists.tasks import import_blocklist_csv

    sent = []
    monkeypatch.setattr(import_blocklist_csv, "delay", sent.append)
    job = upload(FIVE_NUMBERS)
    with django_capture_on_commit_callbacks(execute=True):
        import_services.start_import(job=job, column="mobile", reason="list_cleanup")

    assert sent == [job.pk]
    assert job.status == ImportStatus.QUEUED


# ---------------------------------------------------------------------------
# Management command
# ---------------------------------------------------------------------------


def test_command_imports_and_prints_counts(sender, consent, tmp_path, capsys):
    path = tmp_path / "numbers.csv"
    path.write_bytes(b"Name;Phone\nAnn;4155550123\nBob;nope\nAnn;415-555-0123\n")

    call_command("import_blocklist", "--org", "acme", "--sender", "52811", "--file", str(path))

    out = capsys.readouterr().out
    assert "3 rows read, 1 added, 1 already present, 1 invalid" in out
    job = ImportJob.objects.get()
    assert (job.status, job.column, job.file_name) == (ImportStatus.DONE, "Phone", "numbers.csv")
    assert subscribers(sender) == {"+14155550123"}


def test_command_refuses_a_bad_file_with_a_non_zero_exit(sender, consent, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_bytes(b"4155550123\n4155550124\n")

    with pytest.raises(CommandError, match="no header row") as refused:
        call_command("import_blocklist", "--org", "acme", "--sender", "52811", "--file", str(path))

    assert refused.value.returncode == 1
    assert ImportJob.objects.count() == 0 and subscribers(sender) == set()


def test_command_refuses_a_missing_column(sender, consent, tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_bytes(b"mobile\n4155550123\n")

    with pytest.raises(CommandError, match="“phone” is not in the file"):
        call_command(
            "import_blocklist", "--org=acme", "--sender=52811", f"--file={path}", "--column=phone"
        )
    assert ImportJob.objects.count() == 0 and subscribers(sender) == set()
