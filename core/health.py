"""Liveness and readiness.

``/health`` answers while the process runs. ``/health/ready`` checks what a request needs —
database, Redis, the Celery broker, and no unapplied migrations — and answers 503 naming the
failing check, so a load balancer stops sending traffic until it recovers.
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


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "migrations": check_migrations,
}


def live_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def ready_view(request: HttpRequest) -> JsonResponse:
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
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
