"""Import a CSV file into a sender's blocklist from the shell, through the same services.

    python manage.py import_blocklist --org acme --sender 52811 --file numbers.csv

The job is created, started and run in this process (no worker needed) and is
listed on the import jobs page like an upload. Exits non-zero when the file is
refused or the import fails.
"""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization, Sender
from blocklists import import_services
from blocklists.models import ConsentText, ImportStatus, Reason


class Command(BaseCommand):
    help = "Import a CSV file of subscribers into one sender's blocklist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--sender", required=True, help="sender address (e.g. 52811)")
        parser.add_argument("--file", required=True, help="path of the CSV file")
        parser.add_argument("--column", help="header of the subscriber column")
        parser.add_argument(
            "--reason", default=Reason.NOT_DEFINED, choices=Reason.values, help="blocklist reason"
        )
        parser.add_argument("--country", help="country for national numbers (default: the org's)")

    def handle(self, *args, **options) -> None:
        try:
            organization = Organization.objects.get(slug=options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {options['org']!r}.") from None
        sender = (
            Sender.objects.select_related("organization")
            .filter(organization=organization, address=options["sender"])
            .first()
        )
        if sender is None:
            raise CommandError(f"No sender {options['sender']!r} in {organization.name}.")
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(f"No file at {path}.")
        try:
            with open(path, "rb") as handle:
                upload = File(handle, name=os.path.basename(path))
                # The shell is trusted like the admin who confirmed the dialog:
                # the current add consent text is recorded on the job.
                job = import_services.create_import_job(
                    sender=sender,
                    uploaded_file=upload,
                    user=None,
                    consent=_current_add_consent(),
                )
        except ValidationError as error:
            raise CommandError(f"Refused: {' '.join(error.messages)}") from None
        try:
            job = import_services.start_import(
                job=job,
                column=options["column"] or job.column,
                reason=options["reason"],
                country=options["country"] or "",
                enqueue=False,
            )
        except ValidationError as error:
            # Nobody will match this job's fields by hand: leave no trace of it.
            job.file.delete(save=False)
            job.delete()
            raise CommandError(f"Refused: {' '.join(error.messages)}") from None
        job = import_services.run_import(job_id=job.pk)
        if job is None:
            raise CommandError("Another worker took the job.")
        self.stdout.write(
            f"Import {job.pk} {job.get_status_display().lower()}: {job.rows_read} rows read, "
            f"{job.rows_added} added, {job.rows_present} already present, "
            f"{job.rows_invalid} invalid."
        )
        if job.rows_invalid and job.errors_file:
            self.stdout.write(f"Invalid rows: {job.errors_file.path}")
        if job.status != ImportStatus.DONE:
            raise CommandError(f"Import failed: {job.error}")


def _current_add_consent() -> ConsentText:
    consent = ConsentText.current(ConsentText.Purpose.ADD)
    if consent is None:
        raise CommandError("No consent text for adding exists; run the migrations.")
    return consent
