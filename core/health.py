"""Liveness, readiness and the staff's detailed view.

``/health`` answers while the process runs. ``/health/ready`` checks what a request needs —
database, Redis, the Celery broker, no unapplied migrations, free disk space, and that the
forecasting engine imports — and answers 503 naming the failing check, so a load balancer stops
sending traffic until it recovers. ``details()`` adds what an operator wants to see but a load
balancer must not act on (worker heartbeat, beat's last run, queue depth, versions); platform
staff read it at ``/api/v1/platform/health/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

CHECK_TIMEOUT_SECONDS = 2.0
_migrations_applied = False  # once true for this code, it stays true


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=CHECK_TIMEOUT_SECONDS)


def check_migrations() -> None:
    """Public and the tenant template must be fully migrated (tenants are cloned from it)."""
    global _migrations_applied
    if _migrations_applied:
        return
    from django.db.migrations.executor import MigrationExecutor

    pending = []
    previous = connection.tenant
    try:
        for schema in ("public", settings.TENANT_BASE_SCHEMA):
            connection.set_schema(schema, include_public=schema == "public")
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            pending.extend(f"{schema}:{m.app_label}.{m.name}" for m, _ in plan)
    finally:
        connection.set_tenant(previous)
    if pending:
        raise RuntimeError(f"{len(pending)} unapplied migrations, first {pending[0]}")
    _migrations_applied = True


def check_disk() -> None:
    """The volumes the app writes (media, temporary files) keep ``HEALTH_MIN_FREE_BYTES``."""
    import shutil
    import tempfile
    from pathlib import Path

    for path in (Path(settings.MEDIA_ROOT), Path(tempfile.gettempdir())):
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        if free < settings.HEALTH_MIN_FREE_BYTES:
            raise RuntimeError(f"{free} bytes free under {path}")


def check_forecasting_engine() -> None:
    """The compute cores named in ``HEALTH_IMPORT_MODULES`` (the forecasting engine) and their
    native libraries load: a broken wheel fails the probe, not a job at 3 a.m. The names come
    from settings so this low layer does not import a higher one."""
    import importlib

    for module in settings.HEALTH_IMPORT_MODULES:
        importlib.import_module(module)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "migrations": check_migrations,
    "disk": check_disk,
    "forecasting_engine": check_forecasting_engine,
}


def live_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def run_checks() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # each check's own error is the report
            healthy = False
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return healthy, results


def ready_view(request: HttpRequest) -> JsonResponse:
    healthy, results = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )


def app_version() -> str:
    """``APP_VERSION`` from the environment (the image tag), else pyproject's version."""
    if settings.APP_VERSION:
        return settings.APP_VERSION
    import tomllib

    with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


# A worker runs the heartbeat task every minute; beat stores its last send every few minutes.
WORKER_STALE_SECONDS = 180
BEAT_STALE_SECONDS = 600


def details() -> dict[str, object]:
    """Everything ``ready`` checks, plus worker and beat liveness, queue depth and versions."""
    import platform
    import sys
    from importlib.metadata import version

    from core import metrics

    healthy, checks = run_checks()
    try:
        ages = metrics.heartbeat_ages()
    except Exception as exc:
        ages = {"worker": None, "beat": None}
        checks["heartbeat"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    for component, stale in (("worker", WORKER_STALE_SECONDS), ("beat", BEAT_STALE_SECONDS)):
        age = ages.get(component)
        checks[component] = {
            "ok": age is not None and age <= stale,
            "last_seen_seconds_ago": None if age is None else round(age, 1),
        }
    try:
        queues: dict[str, int] | None = metrics.celery_queue_lengths()
    except Exception:
        queues = None
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    return {
        "status": "ok" if healthy and all(c["ok"] for c in checks.values()) else "degraded",
        "checks": checks,
        "queues": queues,
        "versions": {
            "app": app_version(),
            "python": sys.version.split()[0],
            "django": version("django"),
            "celery": version("celery"),
            "postgresql": postgresql,
            "platform": platform.platform(),
        },
    }
