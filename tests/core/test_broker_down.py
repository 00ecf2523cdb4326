"""Broker down (issue 16 item 5): starting work answers 503 with the error envelope and
leaves no job or batch behind; a publish that fails after the commit fails the job."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.celery import app
from core import services
from core.models import Job
from etl.models import ImportBatch
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def broker_down(settings):
    """Point the Celery app at a closed port (settings and the configured app), then back."""
    before = app.conf.broker_url
    settings.CELERY_BROKER_URL = CLOSED_PORT
    app.conf.broker_url = CLOSED_PORT
    app._pool = None  # the producer pool holds connections to the old URL
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = before
        app._pool = None
        app.amqp._producer_pool = None


def test_starting_a_job_while_the_broker_is_down_is_503_and_leaves_nothing(
    api_planner, broker_down
):
    response = api_planner.post("/api/v1/inventory/calculate")
    error = assert_error(response, 503, "service_unavailable")
    assert "nothing was started" in error["message"]
    assert int(response["Retry-After"]) >= 1
    assert not Job.objects.exists()


def test_an_import_while_the_broker_is_down_is_503_and_leaves_no_batch(api_planner, broker_down):
    upload = SimpleUploadedFile("p.csv", b"sku,name\nA,Apple\n")
    response = api_planner.post(
        "/api/v1/imports/", {"kind": "products", "file": upload}, format="multipart"
    )
    assert_error(response, 503, "service_unavailable")
    assert not ImportBatch.objects.exists() and not Job.objects.exists()


def test_a_publish_failing_after_the_commit_fails_the_job(
    monkeypatch, broker_down, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "broker_check", lambda: None)  # the broker died after it
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(kind="inventory_refresh")
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "broker unavailable")
