"""The tenant-aware Celery app.

Tasks sent while a tenant schema is active carry that schema in their headers
(tenant-schemas-celery) and run in it on the worker. The request id of the HTTP request that
enqueued a task travels the same way, so the worker's log lines can be joined to the request.
"""

from __future__ import annotations

import os
import time

from celery.signals import before_task_publish, task_postrun, task_prerun, worker_init
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("demandplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _attach_request_id(headers: dict | None = None, **_: object) -> None:
    """The request id, the acting user (id, schema, API key prefix) and the client address
    travel with the task, so its writes are audited under whoever caused them."""
    from core import context

    if headers is None:
        return
    # When it was sent: the queue's oldest-message age (core.metrics) reads it on the broker.
    headers.setdefault("dp_sent_at", time.time())
    request_id = context.current_request_id()
    if request_id and "request_id" not in headers:
        headers["request_id"] = request_id
    actor_id = context.current_actor_id()
    if actor_id is not None and "actor_id" not in headers:
        headers["actor_id"] = actor_id
        headers["actor_schema"] = context.current_actor_schema()
        headers["actor_api_key"] = context.current_api_key()
    ip = context.current_ip()
    if ip and "client_ip" not in headers:
        headers["client_ip"] = ip


_TASK_CONTEXT: dict[str, object] = {}


@task_prerun.connect
def _bind_task_context(task=None, task_id=None, **_: object) -> None:
    import structlog
    from django.db import connection

    headers = getattr(task.request, "headers", None) or {}
    request_id = headers.get("request_id") or getattr(task.request, "request_id", None)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task=task.name,
        task_id=task_id,
        tenant=connection.schema_name,
        request_id=request_id,
    )
    from core import context

    def header(name: str):
        return headers.get(name) or getattr(task.request, name, None)

    if task.request.is_eager:  # runs inline: the caller's context is already the right one
        return
    actor = None
    if header("actor_id") is not None:
        actor = context.DeferredActor(
            header("actor_id"), header("actor_schema"), header("actor_api_key") or ""
        )
    bound = context.bound(actor=actor, request_id=request_id, ip=header("client_ip"))
    bound.__enter__()
    if task_id:
        _TASK_CONTEXT[task_id] = bound


@task_postrun.connect
def _clear_task_context(task_id=None, **_: object) -> None:
    import structlog

    structlog.contextvars.clear_contextvars()
    bound = _TASK_CONTEXT.pop(task_id, None) if task_id else None
    if bound is not None:
        bound.__exit__(None, None, None)


@worker_init.connect
def _serve_worker_metrics(**_: object) -> None:
    """A worker's own /metrics (jobs, forecasts, webhooks, ETL happen here, not in the web
    processes) on ``WORKER_METRICS_PORT``; with ``PROMETHEUS_MULTIPROC_DIR`` set, the samples of
    every prefork child are summed (core.metrics)."""
    from django.conf import settings

    port = getattr(settings, "WORKER_METRICS_PORT", 0)
    if not port:
        return
    from prometheus_client import start_http_server

    from core.metrics import registry_for_export

    start_http_server(port, registry=registry_for_export())
