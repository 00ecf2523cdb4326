"""Imports through the API: 202 with a batch, a real worker runs it, errors as CSV, tenancy."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from etl.models import ImportBatch
from tests.conftest import (
    HOST_A,
    HOST_B,
    assert_error,
    client_for,
    delete_users,
    make_user,
    wait_for_job,
)


def _upload(client, kind: str, text: str, **extra):
    return client.post(
        "/api/v1/imports/",
        {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", text.encode()), **extra},
        format="multipart",
    )


def _wait(client, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] != "pending":
            return body
        time.sleep(0.05)
    raise AssertionError(f"import {url} still pending")


def test_upload_is_202_then_the_worker_imports_it(live_worker, live_db, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
    try:
        client = client_for(HOST_A, user)
        response = _upload(
            client,
            "sales",
            "date,sku,location,quantity\n2026-01-01,A,S,1\n2026-01-02,A,S,2\n",
            create_missing="true",
        )
        assert response.status_code == 202, response.content
        assert response["Location"] == response.json()["url"]
        batch = _wait(client, response["Location"])
        assert (batch["status"], batch["rows"], batch["inserted"]) == ("imported", 2, 2)
        assert batch["created"] == {"products": 1, "locations": 1}
        job = wait_for_job(client, batch["job_url"])  # the batch is done a moment before it
        assert job["status"] == "succeeded" and job["result"]["batch_id"] == batch["id"]

        bad = _upload(client, "sales", "date,sku,location,quantity\n2026-01-03,A,S,=1+2\n")
        rejected = _wait(client, bad["Location"])
        assert rejected["status"] == "rejected" and rejected["error_count"] == 1
        csv_text = b"".join(client.get(rejected["errors_csv_url"]).streaming_content).decode()
        assert csv_text.splitlines()[0] == "row,column,value,why"
        assert "'=1+2" in csv_text  # formula neutralised for spreadsheets

        with schema_context(tenant_b.schema_name):
            intruder = make_user(User.Role.ADMIN)
            assert not DemandHistory.objects.exists()
        other = client_for(HOST_B, intruder)
        assert other.get("/api/v1/imports/").json()["count"] == 0
        assert_error(other.get(response["Location"]), 404)
        assert other.get("/api/v1/sales-history/").json()["count"] == 0
        with schema_context(tenant_b.schema_name):
            delete_users(tenant_b, intruder)
    finally:
        with schema_context(tenant_a.schema_name):
            ImportBatch.objects.all().delete()
            DemandHistory.objects.all().delete()
            Product.objects.filter(sku="A").delete()
            Location.objects.filter(code="S").delete()
        delete_users(tenant_a, user)


@pytest.mark.django_db
def test_upload_input_errors(api_planner, viewer):
    assert "kind" in assert_error(_upload(api_planner, "nonsense", "a,b\n1,2\n"), 400)["details"]
    response = api_planner.post(
        "/api/v1/imports/",
        {"kind": "sales", "file": SimpleUploadedFile("x.csv", b"\x89PNG\r\n\x1a\n" + bytes(50))},
        format="multipart",
    )
    assert_error(response, 415)
    assert_error(_upload(client_for(HOST_A, viewer), "sales", "a,b\n1,2\n"), 403)
    assert not ImportBatch.objects.exists()
