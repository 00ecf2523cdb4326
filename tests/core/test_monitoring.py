"""/metrics access (token, allowlist, proxies), the platform's own metrics, the readiness
additions and the staff's detailed health view."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from prometheus_client import REGISTRY

from core import metrics
from core.cache import bump_namespace, cached
from core.models import Job
from tests.conftest import HOST_A, PASSWORD, PUBLIC_HOST, client_for

pytestmark = pytest.mark.django_db


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _scrape(**extra):
    return Client(HTTP_HOST="10.1.2.3").get("/metrics", **extra)


# --- who may scrape ----------------------------------------------------------------------------


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[])
def test_metrics_are_404_until_a_token_or_allowlist_is_configured():
    assert _scrape().status_code == 404
    assert _scrape(HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@override_settings(METRICS_TOKEN="s3cret-token", METRICS_ALLOWED_NETWORKS=[])
def test_metrics_need_the_bearer_token():
    refused = _scrape()
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"
    assert _scrape(HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401
    assert _scrape(HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    allowed = _scrape(HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain")


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.8.0.0/16"])
def test_allowlisted_addresses_scrape_and_forwarded_for_is_not_believed():
    assert _scrape(REMOTE_ADDR="10.8.3.4").status_code == 200
    assert _scrape(REMOTE_ADDR="10.9.3.4").status_code == 401
    # Anyone can write X-Forwarded-For: without trusted proxies it changes nothing.
    spoofed = _scrape(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.8.3.4")
    assert spoofed.status_code == 401


@override_settings(
    METRICS_TOKEN="",
    METRICS_ALLOWED_NETWORKS=["10.8.0.0/16"],
    TRUSTED_PROXY_NETWORKS=["192.168.0.0/24"],
)
def test_forwarded_for_is_believed_from_a_trusted_proxy_only():
    via_proxy = _scrape(REMOTE_ADDR="192.168.0.5", HTTP_X_FORWARDED_FOR="10.8.3.4")
    assert via_proxy.status_code == 200
    # The client wrote an allowed address on the left; the proxy appended the real one.
    forged = _scrape(REMOTE_ADDR="192.168.0.5", HTTP_X_FORWARDED_FOR="10.8.3.4, 203.0.113.9")
    assert forged.status_code == 401
    direct = _scrape(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.8.3.4")
    assert direct.status_code == 401


def test_bad_network_settings_fail_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_networks

    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, not-a-network")
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        env_networks("METRICS_ALLOWED_NETWORKS")
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,::1")
    assert env_networks("METRICS_ALLOWED_NETWORKS") == ["10.0.0.0/8", "::1"]


# --- what is measured --------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_and_status(tenant_admin):
    route = "api/v1/me"
    labels = {"method": "GET", "status": "200"}
    before = _value("dp_http_requests_total", route=route, **labels)
    hist_before = _value("dp_http_request_duration_seconds_count", route=route, method="GET")
    client = client_for(HOST_A, tenant_admin)
    assert client.get("/api/v1/me").status_code == 200
    assert _value("dp_http_requests_total", route=route, **labels) == before + 1
    assert (
        _value("dp_http_request_duration_seconds_count", route=route, method="GET")
        == hist_before + 1
    )
    # A made-up method is one bounded label, not a new series per verb.
    client.generic("BREW", "/api/v1/me")
    assert _value("dp_http_requests_total", route=route, method="other", status="405") >= 1


def test_ids_in_paths_do_not_become_labels(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    for job_id in ("9c1d3e4a-0000-4000-8000-000000000001", "9c1d3e4a-0000-4000-8000-000000000002"):
        client.get(f"/api/v1/jobs/{job_id}/")
    routes = {
        sample.labels["route"]
        for family in REGISTRY.collect()
        if family.name == "dp_http_requests"
        for sample in family.samples
    }
    assert not any("9c1d3e4a" in route for route in routes)


def test_jobs_are_counted_with_duration_and_queue_wait(planner):
    from core import jobs

    @jobs.job_task("test-metrics")
    def quick(job, progress):
        return {"ok": True}

    @jobs.job_task("test-metrics-fails")
    def broken(job, progress):
        raise ValueError("no")

    wait_before = _value("dp_job_queue_wait_seconds_count", kind="test-metrics")
    for task, kind in ((quick, "test-metrics"), (broken, "test-metrics-fails")):
        job = Job.objects.create(kind=kind)
        task.apply(args=[str(job.id)])
    assert _value("dp_jobs_total", kind="test-metrics", status="succeeded") >= 1
    assert _value("dp_jobs_total", kind="test-metrics-fails", status="failed") >= 1
    assert _value("dp_job_duration_seconds_count", kind="test-metrics") >= 1
    assert _value("dp_job_queue_wait_seconds_count", kind="test-metrics") == wait_before + 1


def test_cache_hits_and_misses_are_counted():
    bump_namespace("forecasts")
    hits = _value("dp_cache_requests_total", namespace="forecasts", result="hit")
    misses = _value("dp_cache_requests_total", namespace="forecasts", result="miss")
    for _ in range(3):
        cached("forecasts", "monitoring-test", compute=lambda: 42)
    assert _value("dp_cache_requests_total", namespace="forecasts", result="miss") == misses + 1
    assert _value("dp_cache_requests_total", namespace="forecasts", result="hit") == hits + 2


def test_forecast_runs_set_per_tenant_speed_and_accuracy():
    metrics.forecast_run_observed(tenant="alpha", series=500, seconds=2.0, wape=0.31, rmsse=0.9)
    assert _value("dp_forecast_last_run_series_per_second", tenant="alpha") == 250
    assert _value("dp_forecast_last_run_wape", tenant="alpha") == pytest.approx(0.31)
    assert _value("dp_forecast_last_run_rmsse", tenant="alpha") == pytest.approx(0.9)


@override_settings(RATE_LIMIT_ANON="1/m")
def test_rate_limit_refusals_are_counted():
    before = _value("dp_rate_limited_total", scope="anon")
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="198.51.100.77")
    statuses = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert 429 in statuses
    assert _value("dp_rate_limited_total", scope="anon") == before + statuses.count(429)


@override_settings(RATE_LIMIT_ANON="1/m")
def test_answers_given_before_any_view_are_counted_too():
    # An unknown host's 404 and the anonymous limit's 429 come from middleware, before a URL is
    # resolved: they are counted under the route "unmatched" (django-prometheus' middleware,
    # which counted them before, is gone: ADR 47).
    labels = {"route": "unmatched", "method": "GET"}
    before_404 = _value("dp_http_requests_total", status="404", **labels)
    assert Client(HTTP_HOST="nobody.localhost").get("/api/v1/me").status_code == 404
    assert _value("dp_http_requests_total", status="404", **labels) == before_404 + 1
    before_429 = _value("dp_http_requests_total", status="429", **labels)
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="198.51.100.78")
    refused = [client.get("/api/v1/me").status_code for _ in range(3)].count(429)
    assert refused and _value("dp_http_requests_total", status="429", **labels) == (
        before_429 + refused
    )


@override_settings(METRICS_TOKEN="t0ken")
def test_scrape_reports_queue_depth_and_worker_heartbeat():
    from core.tasks import heartbeat

    heartbeat.apply()
    text = _scrape(HTTP_AUTHORIZATION="Bearer t0ken").content.decode()
    assert "dp_broker_up 1.0" in text
    assert "dp_celery_queue_length{queue=" in text
    worker = 'dp_heartbeat_age_seconds{component="worker"}'
    age = [line for line in text.splitlines() if worker in line]
    assert age and float(age[0].split()[-1]) < 60


@override_settings(METRICS_TOKEN="t0ken")
def test_scrape_reports_the_age_of_the_oldest_waiting_message(settings, monkeypatch):
    """Not the depth: how long the oldest message has waited, read on the Redis broker
    without taking it. Nobody consumes this queue, so the messages stay where they are."""
    import time
    import uuid

    from kombu import Connection

    from config.celery import app

    queue = f"age-test-{uuid.uuid4().hex[:8]}"
    # Scraped as if it were the app's queue; the app's own settings are left alone (Celery
    # reads them once: a changed default queue would outlive this test).
    monkeypatch.setattr(metrics, "celery_queue_names", lambda: [queue])

    def oldest() -> float:
        text = _scrape(HTTP_AUTHORIZATION="Bearer t0ken").content.decode()
        line = f'dp_celery_queue_oldest_age_seconds{{queue="{queue}"}}'
        found = [row for row in text.splitlines() if row.startswith(line)]
        assert found, text
        return float(found[0].split()[-1])

    assert oldest() == 0.0  # empty queue
    try:
        # Sent ten minutes ago (the stamp config.celery puts on every message), then a fresh one.
        app.send_task(
            "core.tasks.heartbeat", queue=queue, headers={"dp_sent_at": time.time() - 600}
        )
        app.send_task("core.tasks.heartbeat", queue=queue)
        assert metrics.celery_queue_lengths()[queue] == 2
        age = oldest()
        assert 595 <= age < 700, age
        # A message sent now but due in five minutes has waited for nothing yet.
        assert (
            metrics._message_time(
                b'{"headers": {"dp_sent_at": 100.0, "eta": "1970-01-01T00:10:00+00:00"}}'
            )
            == 600.0
        )
        assert metrics._message_time(b'{"headers": {}}') is None
        assert metrics._message_time(b"not json") is None
    finally:
        with Connection(settings.CELERY_BROKER_URL) as conn:
            conn.default_channel.client.delete(queue)
    assert oldest() == 0.0


def test_every_declared_metric_is_exported():
    names = metrics.exported_metric_names()
    for name in (
        "dp_http_requests_total",
        "dp_http_request_duration_seconds_bucket",
        "dp_jobs_total",
        "dp_job_queue_wait_seconds_bucket",
        "dp_forecast_last_run_wape",
        "dp_cache_requests_total",
        "dp_quota_rejections_total",
        "dp_webhook_attempts_total",
        "dp_etl_rows_total",
        "dp_etl_syncs_total",
        "dp_celery_queue_length",
        "dp_celery_queue_oldest_age_seconds",
    ):
        assert name in names


# --- readiness and the detailed view -----------------------------------------------------------


def test_ready_fails_on_low_disk_space(settings):
    settings.HEALTH_MIN_FREE_BYTES = 10**18  # an exabyte: no disk here has that free
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    assert "bytes free" in response.json()["checks"]["disk"]["error"]


def test_ready_fails_when_the_forecasting_engine_does_not_import(settings):
    settings.HEALTH_IMPORT_MODULES = ["forecasting.engine", "forecasting.no_such_engine"]
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    check = response.json()["checks"]["forecasting_engine"]
    assert check["ok"] is False and "ModuleNotFoundError" in check["error"]


@pytest.fixture
def staff():
    from accounts.models import User

    with schema_context("public"):
        return User.objects.create_superuser(
            "ops@platform.example", "ops@platform.example", PASSWORD
        )


def test_staff_health_view_reports_worker_beat_queues_and_versions(staff):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from core.tasks import heartbeat

    client = client_for(PUBLIC_HOST, staff)
    heartbeat.apply()  # no worker heard from: the view says degraded (503) until it is
    with schema_context("public"):
        PeriodicTask.objects.filter(name="monitoring-test").delete()
        every = IntervalSchedule.objects.create(every=60, period="seconds")
        PeriodicTask.objects.create(
            name="monitoring-test",
            task="core.tasks.heartbeat",
            interval=every,
            last_run_at=timezone.now(),
        )
    response = client.get("/api/v1/platform/health/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["ok"] and body["checks"]["beat"]["ok"]
    assert isinstance(body["queues"], dict)
    assert {"app", "python", "django", "celery", "postgresql"} <= set(body["versions"])


def test_staff_health_view_is_for_platform_staff_only(tenant_admin):
    assert client_for(PUBLIC_HOST).get("/api/v1/platform/health/").status_code == 401
    # A tenant admin's token is not for the platform host, and the route is not on tenants.
    assert client_for(HOST_A, tenant_admin).get("/api/v1/platform/health/").status_code == 404


def test_stale_worker_makes_the_detailed_view_degraded(staff, settings):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(metrics.heartbeat_key())
    client.close()
    response = client_for(PUBLIC_HOST, staff).get("/api/v1/platform/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "last_seen_seconds_ago": None}
