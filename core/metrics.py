"""The platform's Prometheus metrics, their guarded export, and the live collectors.

Every metric the application defines is declared here, so the Grafana dashboards and the alert
rules can be checked against one list (``exported_metric_names``). Label sets are bounded: a
route template (never a raw path), a job kind, a status, a namespace, a tenant's schema name —
never a SKU, a user or an id.

Processes: a web server with several worker processes, or a Celery worker with prefork
children, sets ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode) so each
process's samples are summed at scrape time. The Celery worker serves its own ``/metrics`` on
``WORKER_METRICS_PORT`` (``config.celery``); the web app serves ``/metrics`` here, guarded by a
bearer token or an address allowlist (``metrics_allowed``).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.logging import get_logger

log = get_logger("metrics")


def _metric(kind: type, name: str, documentation: str, labels: Iterable[str] = (), **extra: Any):
    """Register once per process (a module reloaded in a test finds the registered one)."""
    try:
        return kind(name, documentation, list(labels), **extra)
    except ValueError:
        return REGISTRY._names_to_collectors[name]  # type: ignore[attr-defined]


LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)

HTTP_REQUESTS = _metric(
    Counter,
    "dp_http_requests_total",
    "HTTP requests by route template, method and status code",
    ("route", "method", "status"),
)
HTTP_LATENCY = _metric(
    Histogram,
    "dp_http_request_duration_seconds",
    "HTTP request latency by route template and method",
    ("route", "method"),
    buckets=LATENCY_BUCKETS,
)
JOBS = _metric(Counter, "dp_jobs_total", "Finished jobs by kind and status", ("kind", "status"))
JOB_DURATION = _metric(
    Histogram,
    "dp_job_duration_seconds",
    "Job run time (start to finish) by kind",
    ("kind",),
    buckets=JOB_BUCKETS,
)
JOB_QUEUE_WAIT = _metric(
    Histogram,
    "dp_job_queue_wait_seconds",
    "Time a job waited in the queue before a worker started it, by kind",
    ("kind",),
    buckets=JOB_BUCKETS,
)
FORECAST_SERIES = _metric(
    Counter, "dp_forecast_series_total", "Series forecast by finished runs", ("tenant",)
)
FORECAST_SERIES_PER_SECOND = _metric(
    Gauge,
    "dp_forecast_last_run_series_per_second",
    "Series per second of the tenant's last successful forecast run",
    ("tenant",),
    multiprocess_mode="mostrecent",
)
FORECAST_WAPE = _metric(
    Gauge,
    "dp_forecast_last_run_wape",
    "Mean WAPE (0-1) of the tenant's last successful forecast run",
    ("tenant",),
    multiprocess_mode="mostrecent",
)
FORECAST_RMSSE = _metric(
    Gauge,
    "dp_forecast_last_run_rmsse",
    "Mean RMSSE of the tenant's last successful forecast run",
    ("tenant",),
    multiprocess_mode="mostrecent",
)
CACHE_REQUESTS = _metric(
    Counter,
    "dp_cache_requests_total",
    "Cache reads by namespace and result (hit or miss)",
    ("namespace", "result"),
)
RATE_LIMITED = _metric(
    Counter, "dp_rate_limited_total", "Requests refused by a rate limit", ("scope",)
)
QUOTA_REJECTIONS = _metric(
    Counter, "dp_quota_rejections_total", "Operations refused by a plan limit", ("limit",)
)
WEBHOOK_DELIVERIES = _metric(
    Counter,
    "dp_webhook_attempts_total",
    "Webhook delivery attempts by outcome (succeeded, failed, dead)",
    ("outcome",),
)
ETL_ROWS = _metric(
    Counter, "dp_etl_rows_total", "Rows read by imports and syncs by dataset", ("dataset",)
)
ETL_SYNCS = _metric(Counter, "dp_etl_syncs_total", "Finished source syncs by status", ("status",))


# --- recording helpers (callers stay one line) -------------------------------------------------


def job_started(*, kind: str, queued_seconds: float) -> None:
    JOB_QUEUE_WAIT.labels(kind=kind).observe(max(queued_seconds, 0.0))


def job_finished(*, kind: str, status: str, seconds: float | None) -> None:
    JOBS.labels(kind=kind, status=status).inc()
    if seconds is not None:
        JOB_DURATION.labels(kind=kind).observe(max(seconds, 0.0))


def forecast_run_observed(
    *, tenant: str, series: int, seconds: float | None, wape: float | None, rmsse: float | None
) -> None:
    FORECAST_SERIES.labels(tenant=tenant).inc(series)
    if seconds:
        FORECAST_SERIES_PER_SECOND.labels(tenant=tenant).set(series / seconds)
    if wape is not None:
        FORECAST_WAPE.labels(tenant=tenant).set(wape)
    if rmsse is not None:
        FORECAST_RMSSE.labels(tenant=tenant).set(rmsse)


# --- live values read at scrape time -----------------------------------------------------------


def heartbeat_key() -> str:
    # Under the cache's key prefix, so two deployments (or test runs) on one Redis stay apart.
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'dp')}:platform:worker_heartbeat"


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def celery_queue_names() -> list[str]:
    return [settings.CELERY_TASK_DEFAULT_QUEUE]


def celery_queue_lengths() -> dict[str, int]:
    """Messages waiting per Celery queue (the Redis broker keeps each queue as a list)."""
    from kombu import Connection
    from kombu.exceptions import ChannelError

    lengths: dict[str, int] = {}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        channel = conn.default_channel
        for queue in celery_queue_names():
            try:
                _, count, _ = channel.queue_declare(queue=queue, passive=True)
            except ChannelError:  # never used yet: nothing waits in it
                count = 0
            lengths[queue] = int(count)
    return lengths


def _message_time(raw: bytes | str | None) -> float | None:
    """When a message on the Redis broker was sent (``dp_sent_at``, stamped by
    ``config.celery`` on publish), or its ETA if later; None when it carries neither."""
    import json
    from datetime import datetime

    if not raw:
        return None
    try:
        headers = json.loads(raw).get("headers") or {}
    except (ValueError, AttributeError):
        return None
    sent = headers.get("dp_sent_at")
    stamps = [float(sent)] if isinstance(sent, int | float) else []
    eta = headers.get("eta")
    if isinstance(eta, str):
        with contextlib.suppress(ValueError):
            stamps.append(datetime.fromisoformat(eta).timestamp())
    return max(stamps) if stamps else None


def celery_queue_oldest_ages(now: float | None = None) -> dict[str, float]:
    """Seconds the oldest message of each Celery queue has waited (0 when empty). With the
    Redis broker a queue is a list per priority step, LPUSHed and BRPOPped: the oldest
    message is the last element, read without taking it. Other brokers cannot be peeked:
    nothing is reported (the jobs' p95 queue wait still is)."""
    from kombu import Connection

    now = now or time.time()
    ages: dict[str, float] = {}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        if not str(conn.transport_cls).startswith("redis"):
            return ages
        channel = conn.default_channel
        for queue in celery_queue_names():
            oldest: float | None = None
            for priority in channel.priority_steps:
                raw = channel.client.lindex(channel._q_for_pri(queue, priority), -1)
                sent = _message_time(raw)
                if sent is not None and (oldest is None or sent < oldest):
                    oldest = sent
            ages[queue] = max(now - oldest, 0.0) if oldest is not None else 0.0
    return ages


def heartbeat_ages(now: float | None = None) -> dict[str, float | None]:
    """Seconds since a worker last ran the heartbeat task, and since beat last sent a task
    (django-celery-beat's ``last_run_at``, kept in ``public``)."""
    from django.db.models import Max
    from django_celery_beat.models import PeriodicTask
    from django_tenants.utils import schema_context

    now = now or time.time()
    client = _redis()
    try:
        worker = client.get(heartbeat_key())
    finally:
        client.close()
    with schema_context("public"):
        beat = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
    return {
        "worker": now - float(worker) if worker else None,
        "beat": now - beat.timestamp() if beat else None,
    }


def heartbeat_record() -> None:
    """Called by the heartbeat task on a worker (beat sends it every minute)."""
    client = _redis()
    try:
        client.set(heartbeat_key(), time.time(), ex=24 * 3600)
    finally:
        client.close()


class LiveCollector(Collector):
    """Queue depth and heartbeat ages, read when Prometheus scrapes (never cached stale)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "dp_celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"]
        )
        up = GaugeMetricFamily("dp_broker_up", "1 when the Celery broker answered the scrape")
        oldest = GaugeMetricFamily(
            "dp_celery_queue_oldest_age_seconds",
            "Seconds the oldest message of a Celery queue has waited (0 when empty)",
            labels=["queue"],
        )
        try:
            for queue, count in celery_queue_lengths().items():
                depth.add_metric([queue], count)
            for queue, age in celery_queue_oldest_ages().items():
                oldest.add_metric([queue], age)
            up.add_metric([], 1)
        except Exception as exc:
            log.warning("metrics_broker_unavailable", error=str(exc))
            up.add_metric([], 0)
        yield depth
        yield oldest
        yield up
        ages = GaugeMetricFamily(
            "dp_heartbeat_age_seconds",
            "Seconds since the worker (or beat) last proved alive",
            labels=["component"],
        )
        try:
            for component, age in heartbeat_ages().items():
                if age is not None:
                    ages.add_metric([component], age)
        except Exception as exc:
            log.warning("metrics_redis_unavailable", error=str(exc))
        yield ages


LIVE_METRIC_NAMES = (
    "dp_celery_queue_length",
    "dp_celery_queue_oldest_age_seconds",
    "dp_broker_up",
    "dp_heartbeat_age_seconds",
)


def registry_for_export() -> CollectorRegistry:
    """The process registry, or in multiprocess mode the sum of every process's samples; the
    live collector is added to either."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):  # type: ignore[attr-defined]
            registry.register(collector)
    registry.register(LiveCollector())
    return registry


def exported_metric_names() -> set[str]:
    """Every sample name /metrics can carry (for the dashboard and alert-rule checks)."""
    names: set[str] = set(LIVE_METRIC_NAMES)
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            names.add(sample.name)
        # Families with no samples yet still name their series.
        names.add(metric.name)
        if metric.type == "counter":
            names.add(metric.name + "_total")
        if metric.type == "histogram":
            names.update(metric.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


# --- who may scrape ----------------------------------------------------------------------------


def _networks(values: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def source_address(request: HttpRequest) -> str:
    """The client's address. ``X-Forwarded-For`` is believed only when the connection comes
    from a proxy in ``TRUSTED_PROXY_NETWORKS``, and then the rightmost address that is not
    itself a trusted proxy is taken (the left part of the header is the client's to write)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = _networks(settings.TRUSTED_PROXY_NETWORKS)
    if not proxies or not _in(remote, proxies):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _in(address, proxies):
            return address
    return remote


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if (
        token
        and header.startswith("Bearer ")
        and hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    ):
        return True
    allowed = _networks(settings.METRICS_ALLOWED_NETWORKS)
    return bool(allowed) and _in(source_address(request), allowed)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics``: 404 while neither a token nor an allowlist is configured (nobody may
    scrape), 401 for a caller that has neither the token nor an allowed address."""
    from core.errors import json_error

    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        return json_error(404, "not_found", "Not found.")
    if not metrics_allowed(request):
        response = json_error(401, "not_authenticated", "Metrics need a valid bearer token.")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry_for_export()), content_type=CONTENT_TYPE_LATEST)
