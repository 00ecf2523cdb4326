"""The imports page: the latest batches for every role, the upload form for planners (the
API's service and upload guards), the job bar that links the batch's report, the report
page with its errors CSV, and tenant isolation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import User
from core.models import Job
from etl.models import ImportBatch
from etl.tasks import import_job
from tests.conftest import HOST_A, HOST_B, make_user

pytestmark = pytest.mark.django_db
START = "/app/imports/start/"
GOOD = "date,sku,location,quantity\n2026-01-01,IMP-A,IMP-S,1\n2026-01-02,IMP-A,IMP-S,2\n"
BAD = "date,sku,location,quantity\n2026-01-03,IMP-A,IMP-S,=1+2\n"


def _client(user, host: str = HOST_A, **extra) -> Client:
    client = Client(HTTP_HOST=host, **extra)
    client.force_login(user)
    return client


def _upload(client: Client, text: str | bytes, *, kind: str = "sales", name: str = "sales.csv"):
    content = text.encode() if isinstance(text, str) else text
    return client.post(
        START,
        {"kind": kind, "file": SimpleUploadedFile(name, content), "create_missing": "on"},
    )


def _run(batch: ImportBatch) -> Job:
    """The import job, run here and now (the worker would run it after the commit)."""
    import_job.apply(args=[str(batch.job_id)])
    return Job.objects.get(pk=batch.job_id)


def test_planner_uploads_a_file_and_the_bar_links_the_report(planner):
    client = _client(planner)
    page = client.get("/app/imports/").content.decode()
    assert 'id="start-import"' in page and 'hx-encoding="multipart/form-data"' in page
    assert '<option value="delivery-orders"' in page and '<option value="sales"' in page
    assert 'href="/app/imports/" class="active" aria-current="page">Imports</a>' in page

    response = _upload(client, GOOD)
    assert response.status_code == 200, response.content
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.source_name, batch.status) == ("sales", "sales.csv", "pending")
    html = response.content.decode()
    assert f'hx-get="/app/jobs/{batch.job_id}/progress/"' in html and "every 1s" in html
    assert f"/app/imports/{batch.pk}/" not in html  # no report link while it runs

    assert _run(batch).status == Job.Status.SUCCEEDED
    batch.refresh_from_db()
    assert (batch.status, batch.rows, batch.inserted) == ("imported", 2, 2)
    done = client.get(f"/app/jobs/{batch.job_id}/progress/").content.decode()
    assert "every 1s" not in done and f'href="/app/imports/{batch.pk}/"' in done
    listing = client.get("/app/imports/").content.decode()
    assert "sales.csv" in listing and "Imported" in listing
    report = client.get(f"/app/imports/{batch.pk}/").content.decode()
    assert 'id="import-status">Imported<' in report and "1 products" in report


def test_a_rejected_file_fails_and_the_pages_link_its_report(planner):
    client = _client(planner)
    assert _upload(client, BAD, name="bad-sales.csv").status_code == 200
    batch = ImportBatch.objects.get()
    job = _run(batch)
    assert job.status == Job.Status.FAILED and "rejected" in job.error
    batch.refresh_from_db()
    assert batch.status == "rejected" and batch.error_count == 1

    bar = client.get(f"/app/jobs/{batch.job_id}/progress/").content.decode()
    assert 'data-job-status="failed"' in bar and f'href="/app/imports/{batch.pk}/"' in bar
    listing = client.get("/app/imports/").content.decode()
    assert f'<a href="/app/imports/{batch.pk}/" class="report-link">Why it failed</a>' in listing
    report = client.get(f"/app/imports/{batch.pk}/")
    assert report.status_code == 200
    html = report.content.decode()
    assert 'id="import-errors"' in html and "quantity" in html and "nothing was written" in html
    csv_text = b"".join(client.get(f"/app/imports/{batch.pk}/errors.csv").streaming_content)
    assert csv_text.decode().splitlines()[0] == "row,column,value,why"
    assert "'=1+2" in csv_text.decode()  # formula neutralised for spreadsheets


def test_the_upload_guards_answer_a_sentence_and_store_nothing(planner):
    client = _client(planner)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    refused = _upload(client, png, name="picture.csv")
    assert refused.status_code == 415 and b'role="alert"' in refused.content
    with override_settings(UPLOAD_MAX_BYTES=16):
        too_big = _upload(client, GOOD)
    assert too_big.status_code == 413 and b"the limit is 16 bytes" in too_big.content
    unknown = _upload(client, GOOD, kind="spaceships")
    assert unknown.status_code == 400 and b"Unknown import kind" in unknown.content
    no_file = client.post(START, {"kind": "sales"})
    assert no_file.status_code == 400 and b"Choose a file" in no_file.content
    assert not ImportBatch.objects.exists() and not Job.objects.exists()


def test_viewers_read_the_list_but_cannot_upload(viewer, planner):
    batch = ImportBatch.objects.create(kind="sales", source_name="old.csv", status="imported")
    client = _client(viewer)
    page = client.get("/app/imports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "old.csv" in html and 'id="start-import"' not in html
    assert ">Imports</a>" not in html  # not in a viewer's bar (planners and admins)
    assert client.get(f"/app/imports/{batch.pk}/").status_code == 200
    assert _upload(client, GOOD).status_code == 403
    assert client.get(START).status_code == 405
    assert ImportBatch.objects.count() == 1
    csrf = _client(planner, enforce_csrf_checks=True)
    assert _upload(csrf, GOOD).status_code == 403


def test_another_tenants_imports_are_never_listed(planner, tenant_b):
    mine = ImportBatch.objects.create(kind="sales", source_name="alpha-only.csv")
    with schema_context(tenant_b.schema_name):
        ImportBatch.objects.create(kind="stock", source_name="beta-only.csv")
        intruder = make_user(User.Role.ADMIN)
        other = _client(intruder, HOST_B)
    listing = _client(planner).get("/app/imports/").content.decode()
    assert "alpha-only.csv" in listing and "beta-only.csv" not in listing
    theirs = other.get("/app/imports/").content.decode()
    assert "beta-only.csv" in theirs and "alpha-only.csv" not in theirs
    assert other.get(f"/app/imports/{mine.pk}/").status_code == 404
    assert other.get(f"/app/imports/{mine.pk}/errors.csv").status_code == 404


def test_the_report_lists_the_first_errors_in_fixed_queries(viewer):
    from tests.workspace.seed import page_queries

    errors = [
        {"row": i, "column": "quantity", "value": "x", "why": "not a number"} for i in range(300)
    ]
    batch = ImportBatch.objects.create(
        kind="sales", source_name="many.csv", status="rejected", error_count=300, errors=errors
    )
    client = _client(viewer)
    url = f"/app/imports/{batch.pk}/"
    html = client.get(url).content.decode()
    assert html.count("<td>not a number</td>") == 200 and "100 more in the CSV" in html
    # domain, session, user, the batch
    assert len(page_queries(client, url)) == 4
