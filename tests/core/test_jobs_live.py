"""The job loop end to end: 202 → real worker → progress → result, on real Redis."""

from __future__ import annotations

import time

from django_tenants.utils import schema_context

from accounts.models import User
from core import services
from core.context import reset_request_id, set_request_id
from core.models import Job
from tests.conftest import HOST_A, client_for, delete_users, make_user, wait_for_job


def test_a_job_runs_on_worker_and_reports_result(live_worker, live_db, tenant_a):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
    try:
        client = client_for(HOST_A, user)
        response = client.post("/api/v1/inventory/calculate", HTTP_X_REQUEST_ID="req-job-123")
        assert response.status_code == 202, response.content
        assert response["Location"] == response.json()["url"]
        assert response.json()["status"] == "queued"

        job = wait_for_job(client, response["Location"])
        assert job["status"] == "succeeded", job
        assert job["progress"] == 100
        assert job["attempts"] == 1
        assert job["kind"] == "inventory_refresh" and "rows" in job["result"]
        assert job["started_at"] and job["finished_at"]
        assert job["created_by"] == user.email
        with schema_context(tenant_a.schema_name):
            assert Job.objects.get(pk=job["id"]).request_id == "req-job-123"
    finally:
        delete_users(tenant_a, user)


def test_the_demo_job_carries_schema_and_request_id_to_the_worker(live_worker, live_db, tenant_a):
    """The demo job (command only, no endpoint) returns what travelled with its message."""
    token = set_request_id("req-demo-123")
    try:
        with schema_context(tenant_a.schema_name):
            job = services.job_create(kind="demo", params={"steps": 3, "pause_seconds": 0.05})
    finally:
        reset_request_id(token)
    try:
        with schema_context(tenant_a.schema_name):
            finished = _wait_row(job.pk)
            assert finished.status == "succeeded", finished.error
            assert finished.result == {
                "steps": 3,
                "sum": 6,
                "schema": "t_alpha",
                "request_id": "req-demo-123",
            }
    finally:
        with schema_context(tenant_a.schema_name):
            Job.objects.filter(pk=job.pk).delete()


def _wait_row(job_id, timeout: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.status in Job.FINISHED:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job.status}")


def test_progress_is_visible_while_the_job_transaction_is_open(live_db, tenant_a):
    """Progress goes through its own connection: a poller sees it before the work commits."""
    import psycopg
    from django.db import connection, transaction
    from psycopg import sql

    from core import services
    from core.models import AuditLog, Job
    from core.progress import close_progress_connection

    with schema_context(tenant_a.schema_name):
        job = Job.objects.create(kind="demo")
        try:
            with transaction.atomic():
                AuditLog.objects.create(action="action", object_type="work.in.progress")
                services.job_progress(job_id=str(job.id), progress=60, message="half")
                services.job_progress(job_id=str(job.id), progress=30)  # never backwards
                params = connection.get_connection_params()
                params.pop("cursor_factory", None)
                params.pop("context", None)
                with psycopg.connect(**params) as poller:  # what a polling request sees
                    row = poller.execute(
                        sql.SQL("SELECT progress, message FROM {}.core_job WHERE id = %s").format(
                            sql.Identifier(tenant_a.schema_name)
                        ),
                        [job.id],
                    ).fetchone()
                    assert row == (60, "half")
                    unfinished = poller.execute(
                        sql.SQL(
                            "SELECT count(*) FROM {}.core_auditlog WHERE object_type = %s"
                        ).format(sql.Identifier(tenant_a.schema_name)),
                        ["work.in.progress"],
                    ).fetchone()[0]
                    assert unfinished == 0  # the work itself is still uncommitted
                transaction.set_rollback(True)
        finally:
            close_progress_connection()
            Job.objects.filter(pk=job.pk).delete()
