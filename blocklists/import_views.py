"""Pages of CSV imports: upload, field matching, the jobs list, a job's live progress, errors."""

from __future__ import annotations

import csv
import io

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import ActorRequest, get_scoped_or_404, role_required, sender_for
from accounts.models import Role
from blocklists import import_services, imports
from blocklists.consent import read_consent_token
from blocklists.import_forms import ImportJobFilter, MappingForm, UploadForm
from blocklists.models import ImportJob, ImportStatus

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportJobTable(tables.Table):
    file_name = tables.LinkColumn(
        "blocklists:import-detail", args=[tables.A("pk")], verbose_name="File"
    )
    sender = tables.Column(accessor="sender__address", verbose_name="Sender")
    reason = tables.Column()
    created_by = tables.Column(verbose_name="Who", default="—")
    created_at = tables.DateTimeColumn(verbose_name="When")
    status = tables.Column()
    rows_read = tables.Column(verbose_name="Rows")
    rows_added = tables.Column(verbose_name="Added")
    rows_present = tables.Column(verbose_name="Already present")
    rows_invalid = tables.Column(verbose_name="Invalid")

    class Meta:
        model = ImportJob
        fields = ()
        sequence = (
            "file_name", "sender", "reason", "created_by", "created_at", "status",
            "rows_read", "rows_added", "rows_present", "rows_invalid",
        )  # fmt: skip
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle"}


def _scoped_jobs(request: ActorRequest):
    return request.actor.scope(ImportJob.objects.select_related("sender", "created_by"))


def _job(request: ActorRequest, pk: int) -> ImportJob:
    return get_scoped_or_404(
        request.actor,
        ImportJob.objects.select_related("sender__organization", "created_by", "consent"),
        pk=pk,
    )


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def upload(request: ActorRequest, sender_pk: int) -> HttpResponse:
    """Store the file as a job and go on to the field matching; refusals stay on the form."""
    sender = sender_for(request.actor, sender_pk)
    form = UploadForm(request.POST, request.FILES)
    token = request.POST.get("consent_token", "")
    if form.is_valid():
        consent = read_consent_token(token, user=request.user, purpose="add")
        try:
            job = import_services.create_import_job(
                sender=sender,
                uploaded_file=form.cleaned_data["file"],
                user=request.user,
                consent=consent,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("blocklists:import-map", pk=job.pk)
    context = {"sender": sender, "consent_token": token, "upload_form": form}
    return render(request, "blocklists/imports/upload.html", context, status=400)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def map_fields(request: ActorRequest, pk: int) -> HttpResponse:
    """Choose the subscriber column, the reason and the country, then start the import."""
    job = _job(request, pk)
    if job.status != ImportStatus.AWAITING_MAPPING:
        return redirect("blocklists:import-detail", pk=job.pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        try:
            import_services.start_import(
                job=job,
                column=form.cleaned_data["column"],
                reason=form.cleaned_data["reason"],
                country=form.cleaned_data.get("country") or "",
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Import started")
            return redirect("blocklists:import-detail", pk=job.pk)
    context = {"job": job, "form": form, "preview": imports.preview_rows(job)}
    return render(request, "blocklists/imports/map.html", context)


@require_http_methods(["GET"])
@role_required(Role.AGENT)
def job_list(request: ActorRequest) -> HttpResponse:
    """The organization's import jobs, newest first, filtered by status and sender."""
    jobs = ImportJobFilter(
        request.GET, queryset=_scoped_jobs(request), organization=request.actor.organization
    )
    table = ImportJobTable(jobs.qs)
    tables.RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(request, "blocklists/imports/list.html", {"filter": jobs, "table": table})


@require_http_methods(["GET"])
@role_required(Role.AGENT)
def job_detail(request: ActorRequest, pk: int) -> HttpResponse:
    """A job's status and counters; htmx polls the progress partial while it is active."""
    job = _job(request, pk)
    template = (
        "blocklists/imports/_progress.html" if request.htmx else "blocklists/imports/detail.html"
    )
    return render(request, template, {"job": job})


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def cancel(request: ActorRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if import_services.cancel_import(job=job, user=request.user):
        messages.success(request, "Import cancelled")
    else:
        messages.info(request, "The import had already finished.")
    return redirect("blocklists:import-detail", pk=job.pk)


@require_http_methods(["POST"])
@role_required(Role.ADMIN)
def retry(request: ActorRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if import_services.retry_import(job=job, user=request.user):
        messages.success(request, "Import started again")
    else:
        messages.info(request, "Only a failed or cancelled import can run again.")
    return redirect("blocklists:import-detail", pk=job.pk)


def _neutralised(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


@require_http_methods(["GET"])
@role_required(Role.AGENT)
def errors_csv(request: ActorRequest, pk: int) -> StreamingHttpResponse:
    """The invalid rows (row, value, error) as CSV, streamed, formulas neutralised."""
    job = _job(request, pk)

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(imports.ERRORS_HEADER)
        if job.errors_file:
            with job.errors_file.open("rb") as stored:
                raw = getattr(stored, "file", stored)
                reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
                next(reader, None)
                for row in reader:
                    writer.writerow([_neutralised(cell) for cell in row])
                    if buffer.tell() > 64 * 1024:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"import-{job.pk}-invalid-rows.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
