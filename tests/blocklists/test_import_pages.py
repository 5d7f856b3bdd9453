"""The CSV import pages: upload, field matching, jobs list, progress, cancel, run again, errors."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blocklists import import_services
from blocklists.consent import issue_consent_token
from blocklists.models import BlocklistEntry, ConsentText, ImportJob, ImportStatus, Reason
from tests.factories import UserFactory

CSV = b"name,Mobile\nAnn,4155550123\nBob,=cmd|' /C calc'!A0\nCarl,(415) 555-0124\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def consent(db):
    return ConsentText.objects.get_or_create(
        purpose=ConsentText.Purpose.ADD, version=1, defaults={"text": "They asked."}
    )[0]


@pytest.fixture
def nobody(db):
    """A user of no organization: below every role."""
    return UserFactory(username="grace-nobody")


def make_job(sender, user, consent, *, run: bool = False, data: bytes = CSV) -> ImportJob:
    job = import_services.create_import_job(
        sender=sender,
        uploaded_file=SimpleUploadedFile("list.csv", data),
        user=user,
        consent=consent,
    )
    if run:
        import_services.start_import(
            job=job, column=job.column, reason=Reason.LIST_CLEANUP, enqueue=False
        )
        job = import_services.run_import(job_id=job.pk)
    return job


@pytest.fixture
def job(sender, admin_user, consent):
    return make_job(sender, admin_user, consent)


@pytest.fixture
def done_job(sender, admin_user, consent):
    return make_job(sender, admin_user, consent, run=True)


@pytest.fixture
def other_job(other_sender, other_admin, consent):
    return make_job(other_sender, other_admin, consent, run=True)


# ---------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------


def post_upload(client, sender, user, consent, data=CSV, token=True):
    body = {"file": SimpleUploadedFile("list.csv", data)}
    if token:
        body["consent_token"] = issue_consent_token(user=user, consent=consent)
    return client.post(reverse("blocklists:import-upload", args=[sender.pk]), body)


def test_upload_stores_the_file_and_goes_to_the_field_matching(login, admin_user, sender, consent):
    response = post_upload(login(admin_user), sender, admin_user, consent)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("blocklists:import-map", args=[job.pk])
    assert (job.status, job.sender, job.created_by) == (
        ImportStatus.AWAITING_MAPPING,
        sender,
        admin_user,
    )
    assert job.consent == consent and job.file_name == "list.csv"


def test_upload_without_consent_token_stores_nothing(login, admin_user, sender, consent):
    response = post_upload(login(admin_user), sender, admin_user, consent, token=False)

    assert response.status_code == 400
    assert "Confirm the consent dialog" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_with_someone_elses_token_stores_nothing(
    login, admin_user, other_admin, sender, consent
):
    body = {
        "file": SimpleUploadedFile("list.csv", CSV),
        "consent_token": issue_consent_token(user=other_admin, consent=consent),
    }
    response = login(admin_user).post(reverse("blocklists:import-upload", args=[sender.pk]), body)

    assert response.status_code == 400 and ImportJob.objects.count() == 0


def test_upload_of_a_refused_file_says_why(login, admin_user, sender, consent):
    response = post_upload(login(admin_user), sender, admin_user, consent, data=b"\x00\x01PK")

    assert response.status_code == 400
    assert "This is not a text file" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_needs_admin(login, supervisor, sender, consent):
    response = post_upload(login(supervisor), sender, supervisor, consent)
    assert response.status_code == 403 and ImportJob.objects.count() == 0


def test_upload_to_another_organizations_sender_is_404(login, admin_user, other_sender, consent):
    response = post_upload(login(admin_user), other_sender, admin_user, consent)
    assert response.status_code == 404 and ImportJob.objects.count() == 0


def test_upload_is_post_only(login, admin_user, sender):
    response = login(admin_user).get(reverse("blocklists:import-upload", args=[sender.pk]))
    assert response.status_code == 405


def test_upload_form_partial_renders(sender):
    from django.template.loader import render_to_string

    html = render_to_string(
        "blocklists/imports/_upload_form.html",
        {"sender": sender, "consent_token": "signed-token"},
    )
    assert reverse("blocklists:import-upload", args=[sender.pk]) in html
    assert 'name="consent_token" value="signed-token"' in html
    assert 'type="file" name="file"' in html and "js/upload.js" in html


# ---------------------------------------------------------------------------
# Field matching
# ---------------------------------------------------------------------------


def test_mapping_shows_the_preview_and_preselects_mobile(login, admin_user, job):
    response = login(admin_user).get(reverse("blocklists:import-map", args=[job.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Mobile" selected>' in html
    assert "<td>Ann</td>" in html and "<td>(415) 555-0124</td>" in html
    assert '<option value="US" selected>' in html


def test_mapping_starts_the_import(login, admin_user, job, django_capture_on_commit_callbacks):
    url = reverse("blocklists:import-map", args=[job.pk])
    with django_capture_on_commit_callbacks() as queued:
        response = login(admin_user).post(
            url, {"column": "Mobile", "reason": Reason.SUPPORT_REQUEST, "country": "US"}
        )

    job.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("blocklists:import-detail", args=[job.pk])
    assert (job.status, job.column, job.reason) == (
        ImportStatus.QUEUED,
        "Mobile",
        Reason.SUPPORT_REQUEST,
    )
    assert len(queued) == 1


def test_mapping_a_started_job_goes_to_its_page(login, admin_user, done_job):
    response = login(admin_user).get(reverse("blocklists:import-map", args=[done_job.pk]))
    assert response["Location"] == reverse("blocklists:import-detail", args=[done_job.pk])


def test_mapping_needs_admin(login, supervisor, job):
    response = login(supervisor).get(reverse("blocklists:import-map", args=[job.pk]))
    assert response.status_code == 403


def test_mapping_another_organizations_job_is_404(login, other_admin, job):
    response = login(other_admin).get(reverse("blocklists:import-map", args=[job.pk]))
    assert response.status_code == 404


def test_mapping_wrong_method(login, admin_user, job):
    response = login(admin_user).put(reverse("blocklists:import-map", args=[job.pk]))
    assert response.status_code == 405


# ---------------------------------------------------------------------------
# List and detail
# ---------------------------------------------------------------------------


def test_list_shows_the_organizations_jobs_for_agents(login, agent, done_job, other_job):
    response = login(agent).get(reverse("blocklists:import-list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("blocklists:import-detail", args=[done_job.pk]) in html
    assert reverse("blocklists:import-detail", args=[other_job.pk]) not in html
    assert "carol-admin" in html and "List Cleanup" in html


def test_list_filters_by_status(login, agent, done_job, job):
    response = login(agent).get(reverse("blocklists:import-list"), {"status": "awaiting_mapping"})

    html = response.content.decode()
    assert reverse("blocklists:import-detail", args=[job.pk]) in html
    assert reverse("blocklists:import-detail", args=[done_job.pk]) not in html


def test_list_needs_an_organization(login, nobody):
    assert login(nobody).get(reverse("blocklists:import-list")).status_code == 403


def test_list_shows_no_other_organization(login, other_agent, done_job):
    response = login(other_agent).get(reverse("blocklists:import-list"))
    assert reverse("blocklists:import-detail", args=[done_job.pk]) not in response.content.decode()


def test_list_wrong_method(login, agent):
    assert login(agent).post(reverse("blocklists:import-list")).status_code == 405


def test_detail_shows_counts_for_agents(login, agent, done_job):
    response = login(agent).get(reverse("blocklists:import-detail", args=[done_job.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="added">2<' in html and 'data-count="invalid">1' in html
    assert reverse("blocklists:import-errors", args=[done_job.pk]) in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no polling
    assert "Cancel import" not in html  # agents cannot cancel


def test_detail_polls_while_active(login, admin_user, sender, consent):
    job = make_job(sender, admin_user, consent)
    import_services.start_import(job=job, column="Mobile", reason="not_defined", enqueue=False)
    url = reverse("blocklists:import-detail", args=[job.pk])

    response = login(admin_user).get(url, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and f'hx-get="{url}"' in html
    assert "<html" not in html  # the partial only
    assert "Cancel import" in html


def test_detail_needs_an_organization(login, nobody, done_job):
    url = reverse("blocklists:import-detail", args=[done_job.pk])
    assert login(nobody).get(url).status_code == 403


def test_detail_of_another_organizations_job_is_404(login, other_agent, done_job):
    url = reverse("blocklists:import-detail", args=[done_job.pk])
    assert login(other_agent).get(url).status_code == 404


def test_detail_wrong_method(login, agent, done_job):
    url = reverse("blocklists:import-detail", args=[done_job.pk])
    assert login(agent).post(url).status_code == 405


# ---------------------------------------------------------------------------
# Cancel and run again
# ---------------------------------------------------------------------------


@pytest.fixture
def queued_job(sender, admin_user, consent):
    job = make_job(sender, admin_user, consent)
    import_services.start_import(job=job, column="Mobile", reason="not_defined", enqueue=False)
    return job


def test_cancel(login, admin_user, queued_job):
    client = login(admin_user)
    response = client.post(reverse("blocklists:import-cancel", args=[queued_job.pk]), follow=True)

    queued_job.refresh_from_db()
    assert queued_job.status == ImportStatus.CANCELLED
    assert "Import cancelled" in response.content.decode()
    assert "Run again" in response.content.decode()


def test_cancel_needs_admin(login, supervisor, queued_job):
    url = reverse("blocklists:import-cancel", args=[queued_job.pk])
    assert login(supervisor).post(url).status_code == 403
    queued_job.refresh_from_db()
    assert queued_job.status == ImportStatus.QUEUED


def test_cancel_another_organizations_job_is_404(login, other_admin, queued_job):
    url = reverse("blocklists:import-cancel", args=[queued_job.pk])
    assert login(other_admin).post(url).status_code == 404


def test_cancel_wrong_method(login, admin_user, queued_job):
    url = reverse("blocklists:import-cancel", args=[queued_job.pk])
    assert login(admin_user).get(url).status_code == 405


def test_retry(login, admin_user, queued_job, django_capture_on_commit_callbacks):
    import_services.cancel_import(job=queued_job)
    url = reverse("blocklists:import-retry", args=[queued_job.pk])
    with django_capture_on_commit_callbacks() as queued:
        response = login(admin_user).post(url)

    queued_job.refresh_from_db()
    assert response.status_code == 302 and queued_job.status == ImportStatus.QUEUED
    assert len(queued) == 1


def test_retry_needs_admin(login, supervisor, queued_job):
    import_services.cancel_import(job=queued_job)
    url = reverse("blocklists:import-retry", args=[queued_job.pk])
    assert login(supervisor).post(url).status_code == 403


def test_retry_another_organizations_job_is_404(login, other_admin, queued_job):
    url = reverse("blocklists:import-retry", args=[queued_job.pk])
    assert login(other_admin).post(url).status_code == 404


def test_retry_wrong_method(login, admin_user, queued_job):
    url = reverse("blocklists:import-retry", args=[queued_job.pk])
    assert login(admin_user).get(url).status_code == 405


# ---------------------------------------------------------------------------
# Errors CSV
# ---------------------------------------------------------------------------


def test_errors_csv_lists_invalid_rows_with_formulas_neutralised(login, agent, done_job):
    response = login(agent).get(reverse("blocklists:import-errors", args=[done_job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["row", "value", "error"]
    assert rows[1][:2] == ["3", "'=cmd|' /C calc'!A0"]
    assert "not a phone number" in rows[1][2]
    assert len(rows) == 2
    assert BlocklistEntry.objects.filter(import_job=done_job).count() == 2


def test_errors_csv_needs_an_organization(login, nobody, done_job):
    url = reverse("blocklists:import-errors", args=[done_job.pk])
    assert login(nobody).get(url).status_code == 403


def test_errors_csv_of_another_organizations_job_is_404(login, other_agent, done_job):
    url = reverse("blocklists:import-errors", args=[done_job.pk])
    assert login(other_agent).get(url).status_code == 404


def test_errors_csv_wrong_method(login, agent, done_job):
    url = reverse("blocklists:import-errors", args=[done_job.pk])
    assert login(agent).post(url).status_code == 405
