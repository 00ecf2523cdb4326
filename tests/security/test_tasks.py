"""A task enqueued in tenant A runs in A's schema, and B's in B's, on a shared worker."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import User
from core.models import Job
from tests.conftest import HOST_A, HOST_B, client_for, delete_users, make_user, wait_for_job


def test_tasks_run_in_the_schema_that_enqueued_them(live_worker, live_db, tenant_a, tenant_b):
    users = {}
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            users[tenant.schema_name] = make_user(User.Role.PLANNER)
    try:
        started = {}
        for host, tenant in ((HOST_A, tenant_a), (HOST_B, tenant_b)):
            client = client_for(host, users[tenant.schema_name])
            # A job of a real kind, started through the API of the tenant's host.
            response = client.post("/api/v1/inventory/calculate")
            assert response.status_code == 202
            started[tenant.schema_name] = (client, response.json())

        for schema, (client, job) in started.items():
            finished = wait_for_job(client, job["url"])
            assert finished["status"] == "succeeded"
            with schema_context(schema):  # the worker wrote the result in this schema
                assert Job.objects.get(pk=job["id"]).status == "succeeded"

        # Each job row lives only in its own schema.
        job_a, job_b = started["t_alpha"][1]["id"], started["t_beta"][1]["id"]
        with schema_context("t_alpha"):
            assert Job.objects.filter(pk=job_a).exists()
            assert not Job.objects.filter(pk=job_b).exists()
        with schema_context("t_beta"):
            assert Job.objects.filter(pk=job_b).exists()
            assert not Job.objects.filter(pk=job_a).exists()
    finally:
        delete_users(tenant_a, users["t_alpha"])
        delete_users(tenant_b, users["t_beta"])
