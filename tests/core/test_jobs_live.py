"""The job loop end to end: 202 → real worker → progress → result, on real Redis."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import User
from tests.conftest import HOST_A, client_for, delete_users, make_user, wait_for_job


def test_demo_job_runs_on_worker_and_reports_result(live_worker, live_db, tenant_a):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
    try:
        client = client_for(HOST_A, user)
        response = client.post(
            "/api/v1/jobs/demo/",
            {"steps": 3, "pause_seconds": 0.05},
            HTTP_X_REQUEST_ID="req-demo-123",
        )
        assert response.status_code == 202, response.content
        assert response["Location"] == response.json()["url"]
        assert response.json()["status"] == "queued"

        job = wait_for_job(client, response["Location"])
        assert job["status"] == "succeeded", job
        assert job["progress"] == 100
        assert job["attempts"] == 1
        assert job["result"] == {
            "steps": 3,
            "sum": 6,
            "schema": "t_alpha",
            "request_id": "req-demo-123",
        }
        assert job["started_at"] and job["finished_at"]
        assert job["created_by"] == user.email
    finally:
        delete_users(tenant_a, user)
