"""API conventions: request ids, JSON logs, gzip, CORS, OpenAPI, pagination, query counts,
and the audit trail."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.logging import structlog_formatter
from core.models import AuditLog, Job
from tests.conftest import HOST_A, client_for

pytestmark = pytest.mark.django_db


def test_request_id_is_echoed_or_generated(api_planner):
    response = api_planner.get("/api/v1/me", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = api_planner.get("/api/v1/me", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert generated["X-Request-ID"] != "bad id with spaces\n"
    assert len(generated["X-Request-ID"]) == 32


def test_access_log_is_json_with_request_tenant_user_and_duration(api_planner, planner):
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Capture()
    handler.setFormatter(structlog_formatter("json"))
    logger = logging.getLogger("request")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        api_planner.get("/api/v1/me", HTTP_X_REQUEST_ID="log-check-1")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    lines = [json.loads(line) for line in records]
    line = next(entry for entry in lines if entry.get("request_id") == "log-check-1")
    assert line["event"] == "request"
    assert line["tenant"] == "t_alpha"
    assert line["user_id"] == planner.pk
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["timestamp"].endswith("Z")


def test_responses_are_gzipped_when_asked(api_planner):
    for _ in range(30):
        Job.objects.create(kind="demo", params={"padding": "x" * 50})
    response = api_planner.get("/api/v1/jobs/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_allows_only_configured_origins(api_planner):
    allowed = api_planner.get("/api/v1/me", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "X-Request-ID" in allowed["Access-Control-Expose-Headers"]
    refused = api_planner.get("/api/v1/me", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in refused


def test_openapi_schema_and_offline_docs(anon_a):
    schema = anon_a.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert "/api/v1/jobs/{id}/" in document["paths"]
    assert {"jwtAuth", "apiKeyAuth"} <= set(document["components"]["securitySchemes"])
    docs = anon_a.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Assets come from the sidecar package (served by Django), not from a CDN.
    assert "drf_spectacular_sidecar" in html
    assert "cdn.jsdelivr" not in html


def test_pagination_filtering_ordering(api_planner):
    for index in range(7):
        Job.objects.create(kind="demo" if index % 2 else "import", params={"n": index})
    page = api_planner.get("/api/v1/jobs/", {"page_size": 3, "ordering": "created_at"}).json()
    assert page["count"] == 7
    assert len(page["results"]) == 3
    assert page["next"] and page["previous"] is None
    assert page["results"][0]["params"] == {"n": 0}
    only_demo = api_planner.get("/api/v1/jobs/", {"kind": "demo"}).json()
    assert only_demo["count"] == 3
    capped = api_planner.get("/api/v1/jobs/", {"page_size": 5000}).json()
    assert capped["count"] == 7


def test_job_list_has_a_fixed_query_count(api_planner, planner, django_assert_max_num_queries):
    def list_jobs():
        return api_planner.get("/api/v1/jobs/")

    for _ in range(3):
        Job.objects.create(kind="demo", created_by=planner)
    list_jobs()  # warm the connection and the tenant lookup
    with django_assert_max_num_queries(8) as few:
        list_jobs()
    for _ in range(20):
        Job.objects.create(kind="demo", created_by=planner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        list_jobs()


def test_me_reports_user_role_and_tenant(api_planner, planner):
    body = api_planner.get("/api/v1/me").json()
    assert body == {
        "id": planner.pk,
        "email": planner.email,
        "first_name": "",
        "last_name": "",
        "role": "planner",
        "tenant": "t_alpha",
    }


def test_writes_are_audited_with_actor_and_request_id(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    response = client.post(
        "/api/v1/api-keys/",
        {"name": "erp", "scopes": ["read"]},
        HTTP_X_REQUEST_ID="audit-req-1",
    )
    assert response.status_code == 201
    entry = AuditLog.objects.get(object_type="accounts.apikey")
    assert entry.action == "create"
    assert entry.actor == tenant_admin
    assert entry.request_id == "audit-req-1"
    assert "key_hash" not in entry.changes
    listed = client.get("/api/v1/audit-log/", {"object_type": "accounts.apikey"}).json()
    assert listed["count"] == 1


@pytest.mark.django_db
def test_a_host_is_matched_whatever_its_case_and_with_a_trailing_dot(planner):
    from tests.conftest import tokens_for

    access, _ = tokens_for(planner, "alpha.localhost")
    for host in ("ALPHA.LOCALHOST", "Alpha.Localhost.", "alpha.localhost.:8000"):
        client = APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {access}")
        assert client.get("/api/v1/me").status_code == 200, host
