"""Liveness, readiness (with a real Redis stopped and started again) and metrics."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.test import Client, override_settings

from tests.processes import free_port, start_redis

pytestmark = pytest.mark.django_db


def _start_redis(port: int, workdir) -> subprocess.Popen:
    started = start_redis(workdir, port)
    assert started is not None, "redis-server is required (make test installs it)"
    return started[0]


def test_live_answers_on_any_host():
    response = Client(HTTP_HOST="10.0.0.7").get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_every_dependency():
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "redis",
        "broker",
        "migrations",
        "disk",
        "forecasting_engine",
    }
    assert all(check["ok"] for check in body["checks"].values())


def test_ready_turns_503_when_redis_stops_and_200_when_it_returns(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is required (make test installs it)")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    process = _start_redis(port, tmp_path)
    try:
        with override_settings(REDIS_URL=url, CELERY_BROKER_URL=url):
            client = Client(HTTP_HOST="localhost")
            assert client.get("/health/ready").status_code == 200

            process.terminate()
            process.wait(timeout=10)
            response = client.get("/health/ready")
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "unavailable"
            assert body["checks"]["redis"]["ok"] is False
            assert body["checks"]["broker"]["ok"] is False
            assert body["checks"]["database"]["ok"] is True

            process = _start_redis(port, tmp_path)
            assert client.get("/health/ready").status_code == 200
    finally:
        process.kill()
        process.wait(timeout=10)


def test_ready_reports_pending_migrations(monkeypatch):
    from core import health

    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr("django.conf.settings.TENANT_BASE_SCHEMA", "no_such_schema")
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    assert "unapplied migrations" in response.json()["checks"]["migrations"]["error"]


@override_settings(METRICS_TOKEN="scrape-secret")
def test_metrics_are_prometheus_text():
    Client(HTTP_HOST="alpha.localhost").get("/health")
    response = Client(HTTP_HOST="anything").get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "dp_http_requests_total" in text
    assert "# TYPE" in text
