"""A CSV import end to end through a REAL Celery worker: upload, match fields, poll until done."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blocklists.consent import issue_consent_token
from blocklists.models import BlocklistEntry, BlocklistEvent, ConsentText, ImportJob, ImportStatus

# The consent texts come from a data migration: restore them after the flush.
pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_finished(job: ImportJob, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
            return job
        assert time.monotonic() < deadline, f"the import is still {job.status}"
        time.sleep(0.2)


def test_upload_map_and_the_worker_imports(celery_worker_process, login, admin_user, sender):
    consent = ConsentText.current(ConsentText.Purpose.ADD)
    client = login(admin_user)
    numbers = [f"415555{n:04d}" for n in range(300)]
    data = "Name;Mobile\r\n" + "".join(f"P{n};{number}\r\n" for n, number in enumerate(numbers))
    data += "Bad;not a number\r\nDup;(415) 555-0000\r\n"

    response = client.post(
        reverse("blocklists:import-upload", args=[sender.pk]),
        {
            "file": SimpleUploadedFile("list.csv", data.encode()),
            "consent_token": issue_consent_token(user=admin_user, consent=consent),
        },
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("blocklists:import-map", args=[job.pk])
    response = client.post(
        response["Location"], {"column": "Mobile", "reason": "list_cleanup", "country": "US"}
    )
    assert response.status_code == 302

    try:
        job = wait_until_finished(job)
        assert job.status == ImportStatus.DONE, job.error
        assert (job.rows_read, job.rows_added, job.rows_present, job.rows_invalid) == (
            302,
            300,
            1,
            1,
        )
        assert BlocklistEntry.objects.filter(sender=sender).count() == 300
        assert BlocklistEvent.objects.filter(import_job=job, consent=consent).count() == 300
        page = client.get(reverse("blocklists:import-detail", args=[job.pk]))
        assert "Done" in page.content.decode()
    finally:
        job.file.delete(save=False)
        if job.errors_file:
            job.errors_file.delete(save=False)
