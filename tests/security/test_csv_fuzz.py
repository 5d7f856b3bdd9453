"""CSV fuzzing: whatever bytes an upload holds, the import adds what it can or refuses
with a message; it never crashes and never leaves a job stuck."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blocklists import import_services
from blocklists.models import BlocklistEntry, ConsentText, ImportJob

FINISHED = {"done", "failed"}

cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "4155550123",
            "(415) 555-0123",
            "4.155550123E+09",
            "=cmd|' /C calc'!A0",
            "+1 415 555 0124",
            '"',
            '""',
            "\x00",
            "a\nb",
            "é",
            "\ufeff",
        ]
    ),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=6), min_size=0, max_size=12)
delimiters = st.sampled_from([",", ";", "\t", "|"])
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


def _upload(sender, content: bytes):
    return import_services.create_import_job(
        sender=sender,
        uploaded_file=SimpleUploadedFile("fuzz.csv", content, content_type="text/csv"),
        user=None,
        consent=ConsentText.current(ConsentText.Purpose.ADD),
    )


def _import_or_refuse(sender, content: bytes) -> str:
    """Returns "refused" or the finished job's status; fails on anything else."""
    try:
        job = _upload(sender, content)
    except ValidationError as exc:
        assert exc.messages and exc.messages[0].strip()
        return "refused"
    column = job.header[0] if job.header else ""
    try:
        job = import_services.start_import(
            job=job, column=column, reason="list_cleanup", country="US", enqueue=False
        )
    except ValidationError as exc:
        assert exc.messages[0].strip()
        return "refused"
    job = import_services.run_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status in FINISHED, job.status
    if job.status == "failed":
        assert job.error.strip()
    assert job.rows_added + job.rows_present + job.rows_invalid <= job.rows_read
    return job.status


FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(content=st.binary(max_size=3000))
def test_random_bytes(sender, content):
    _import_or_refuse(sender, content)


@FUZZ
@given(
    header=st.lists(cells, min_size=1, max_size=5),
    body=rows,
    delimiter=delimiters,
    encoding=encodings,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_generated_spreadsheets(sender, header, body, delimiter, encoding, newline):
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in body]
    text = newline.join(lines)
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8", errors="replace")
    _import_or_refuse(sender, content)


@pytest.mark.parametrize(
    "content",
    [
        b"mobile\n" + b"4155550123\n" * 3 + b"\x00\x00\x00\n4155550124\n",
        b'mobile\n"4155550123\n4155550124\n',  # a quote never closed
        b"mobile\n" + b"9" * 2_000_000 + b"\n4155550125\n",  # one huge field
        b"mobile," + b"," * 1_000_000 + b"\n4155550126\n",  # a million columns
        b'mobile\n=HYPERLINK("http://x")\n+1 415 555 0127\n',
        "mobile\n4155550128\n".encode("utf-16-le"),  # UTF-16 without its BOM
    ],
    ids=["nul-bytes", "open-quote", "huge-field", "million-columns", "formulas", "utf16-no-bom"],
)
def test_nasty_files(sender, content):
    outcome = _import_or_refuse(sender, content)
    assert outcome in ("refused", "done", "failed")
    assert not ImportJob.objects.filter(status__in=["queued", "running"]).exists()
    assert BlocklistEntry.objects.count() <= 4


def test_a_huge_cell_fails_with_words_a_person_understands(sender):
    content = b"mobile\n4155550123\n" + b"9" * 200_000 + b"\n"
    assert _import_or_refuse(sender, content) == "failed"
    job = ImportJob.objects.get()
    assert "holds more than 128 KB" in job.error and "run the import again" in job.error
