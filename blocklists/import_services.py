"""State changes of CSV import jobs: upload, start, run, cancel, run again, fail stale ones.

A job moves awaiting_mapping -> queued -> running -> done | failed | cancelled, and
failed or cancelled -> queued again. A worker claims a job with a conditional
UPDATE (the row count says whether it won), and every chunk's counter update is
conditional on the same claim, so two workers never run one job and a cancelled
job stops at the next chunk with its counters matching what was added.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import uuid

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import Sender
from blocklists import import_feeds, imports
from blocklists.models import ConsentText, ImportJob, ImportStatus, Reason

logger = logging.getLogger(__name__)

# A running job whose worker has not written a heartbeat for this long is dead:
# chunks take about a second, so minutes mean the process is gone.
STALE_AFTER = dt.timedelta(minutes=5)

CONSENT_REQUIRED = "Confirm the consent dialog before uploading a file."


class _Stopped(Exception):
    """The job was cancelled or taken over while this worker ran it."""


def _max_upload_message(limit: int) -> str:
    megabytes = 1024 * 1024
    size = f"{limit // megabytes} MB" if limit % megabytes == 0 else filesizeformat(limit)
    return f"The file is larger than {size}."


def create_import_job(*, sender: Sender, uploaded_file, user, consent: ConsentText | None):
    """Store an uploaded file as a job awaiting the field matching, or raise ValidationError.

    Refuses (storing nothing) a missing consent confirmation, a file above
    ``BLOCKLIST_UPLOAD_MAX_BYTES``, and a file ``imports.sniff`` refuses. Stores
    the file under MEDIA_ROOT and preselects the subscriber column.
    """
    if consent is None or consent.purpose != ConsentText.Purpose.ADD:
        raise ValidationError(CONSENT_REQUIRED, code="consent_required")
    limit = settings.BLOCKLIST_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(_max_upload_message(limit), code="too_large")
    sniffed = imports.sniff_upload(uploaded_file)
    job = ImportJob(
        organization_id=sender.organization_id,
        sender=sender,
        file_name=os.path.basename(uploaded_file.name or "upload.csv")[:255],
        file_size=uploaded_file.size,
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        header=sniffed.header,
        column=imports.default_column(sniffed.header, sender.kind),
        country=sender.organization.country,
        consent=consent,
        created_by=user,
    )
    # A name of our own: the person's file name is only shown, never used as a path.
    job.file.save(f"{uuid.uuid4().hex}.csv", uploaded_file, save=False)
    try:
        with transaction.atomic():
            job.save()
    except BaseException:
        job.file.delete(save=False)
        raise
    return job


def start_import(
    *,
    job: ImportJob,
    column: str,
    reason: str,
    country: str = "",
    user=None,
    enqueue: bool = True,
) -> ImportJob:
    """Record the field matching and queue the job (``import_blocklist_csv`` after commit).

    Raises ValidationError when the column is not in the file's header, the
    reason or country is unknown, or the job was already started. ``enqueue=False``
    leaves running it to the caller (the management command runs it in-process).
    """
    if column not in job.header:
        raise ValidationError(f"The column “{column}” is not in the file.", code="missing_column")
    if reason not in Reason.values:
        raise ValidationError(f"“{reason}” is not a blocklist reason.", code="invalid_reason")
    country = (country or job.sender.organization.country).upper()
    if not job.sender.is_email and country not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"“{country}” is not a known country code.", code="invalid_country")
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.AWAITING_MAPPING).update(
            status=ImportStatus.QUEUED, column=column, reason=reason, country=country
        )
        if not updated:
            raise ValidationError("This import has already been started.", code="started")
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from blocklists.tasks import import_blocklist_csv

    import_blocklist_csv.delay(job_id)


def _explain(exc: Exception, job: ImportJob) -> str:
    """What a person can do about a failure: plain words for broken files."""
    if isinstance(exc, csv.Error):
        job.refresh_from_db(fields=["rows_read"])
        if "field larger than field limit" in str(exc):
            return (
                f"The file is not usable after row {job.rows_read + 1}: a cell there holds more "
                "than 128 KB (a quote that is never closed often causes this). Rows before it "
                "were imported; fix the file and run the import again."
            )
        return (
            f"The file is not valid CSV after row {job.rows_read + 1} ({exc}). Rows before it "
            "were imported; fix the file and run the import again."
        )
    return f"{type(exc).__name__}: {exc}"


def run_import(*, job_id: int, chunk_rows: int = imports.CHUNK_ROWS) -> ImportJob | None:
    """Claim and run one job; returns it finished, or None when another worker has it.

    Claims with a conditional UPDATE: queued -> running, or running with a stale
    heartbeat (its worker died) -> running again; each claim counts an attempt
    and restarts the counters, since a rerun reads the whole file again (rows
    added before count as already present). One transaction per chunk: the
    merge, the counters, the heartbeat and bytes_read together, conditional on
    this claim. Ends done, failed (with the error) or cancelled, with finished_at.
    """
    now = timezone.now()
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        error="",
        bytes_read=0,
        rows_read=0,
        rows_added=0,
        rows_present=0,
        rows_invalid=0,
    )
    if claimed != 1:
        return None
    job = ImportJob.objects.select_related("sender__organization", "created_by", "consent").get(
        pk=job_id
    )
    mine = ImportJob.objects.filter(pk=job.pk, attempts=job.attempts, status=ImportStatus.RUNNING)
    report = imports.ErrorsReport()
    try:
        _run_chunks(job, mine, report, chunk_rows)
    except _Stopped:
        _store_errors(job, report, ImportJob.objects.filter(pk=job.pk, attempts=job.attempts))
    except Exception as exc:
        logger.exception("Import %s failed", job.pk)
        _store_errors(job, report, mine)
        mine.update(
            status=ImportStatus.FAILED, error=_explain(exc, job)[:2000], finished_at=timezone.now()
        )
    else:
        _store_errors(job, report, mine)
        mine.update(status=ImportStatus.DONE, finished_at=timezone.now())
    finally:
        report.close()
    job.refresh_from_db()
    return job


def _run_chunks(job: ImportJob, mine, report: imports.ErrorsReport, chunk_rows: int) -> None:
    # One writer: a second connection merging in parallel measured no faster on
    # PostgreSQL (both contend on the foreign key locks of the same sender and job).
    with import_feeds.parse_in_background(job, chunk_rows=chunk_rows) as feed:
        for chunk in feed:
            now = timezone.now()
            with transaction.atomic():
                added = imports.merge_chunk(job, chunk.subscribers, at=now)
                updated = mine.update(
                    rows_read=F("rows_read") + chunk.rows,
                    rows_added=F("rows_added") + added,
                    rows_present=F("rows_present")
                    + (len(chunk.subscribers) - added + chunk.duplicates),
                    rows_invalid=F("rows_invalid") + len(chunk.invalid),
                    bytes_read=chunk.bytes_read,
                    heartbeat_at=now,
                )
                if not updated:
                    # Cancelled (or claimed again elsewhere): undo this chunk and stop.
                    raise _Stopped
            report.add(chunk.invalid)


def _store_errors(job: ImportJob, report: imports.ErrorsReport, target) -> None:
    if not report.rows:
        return
    old_name = job.errors_file.name
    job.errors_file.save(f"{uuid.uuid4().hex}-errors.csv", File(report.finished_file()), save=False)
    if target.update(errors_file=job.errors_file.name):
        if old_name:
            job.errors_file.storage.delete(old_name)
    else:
        job.errors_file.delete(save=False)


def cancel_import(*, job: ImportJob, user=None) -> bool:
    """Stop a queued or running job; a running worker stops at its next chunk.

    Entries added by chunks already merged stay (the job can run again to
    finish). Returns False when the job was not queued or running.
    """
    with transaction.atomic():
        cancelled = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
        ).update(status=ImportStatus.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    return bool(cancelled)


def retry_import(*, job: ImportJob, user=None, enqueue: bool = True) -> bool:
    """Queue a failed or cancelled job again; the rerun adds nothing twice.

    Returns False when the job was neither failed nor cancelled.
    """
    with transaction.atomic():
        queued = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportStatus.FAILED, ImportStatus.CANCELLED]
        ).update(status=ImportStatus.QUEUED, error="", finished_at=None)
        if queued and enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return bool(queued)


def fail_stale_imports() -> int:
    """Mark failed the running jobs whose worker stopped sending heartbeats; returns how many."""
    now = timezone.now()
    with transaction.atomic():
        return ImportJob.objects.filter(
            status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
        ).update(
            status=ImportStatus.FAILED,
            error="The worker running this import stopped (no progress for "
            f"{int(STALE_AFTER.total_seconds() // 60)} minutes). Run it again to finish.",
            finished_at=now,
        )
