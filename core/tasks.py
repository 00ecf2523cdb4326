"""Celery tasks of the core app. Tasks take ids, call services, and hold no rules."""

from __future__ import annotations

import time

import structlog
from celery import shared_task
from django.db import connection

from core import services
from core.jobs import job_task


@job_task("demo")
def demo_job(job, progress) -> dict:
    """A job that proves the loop end to end: it counts to ``steps`` with a pause per step,
    reporting progress, and returns the schema and request id it ran under (the proof that
    both travelled with the message)."""
    steps = int(job.params.get("steps", 5))
    pause = float(job.params.get("pause_seconds", 0.2))
    total = 0
    for step in range(1, steps + 1):
        time.sleep(pause)
        total += step
        progress(round(100 * step / steps), f"step {step} of {steps}")
    return {
        "steps": steps,
        "sum": total,
        "schema": connection.schema_name,
        "request_id": structlog.contextvars.get_contextvars().get("request_id"),
    }


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by beat every minute: proves a worker takes tasks (core.metrics)."""
    from core.metrics import heartbeat_record

    heartbeat_record()


@shared_task(name="core.tasks.reap_stale_jobs", acks_late=True)
def reap_stale_jobs() -> int:
    return services.jobs_reap_stale()


@shared_task(name="core.tasks.reap_lost_jobs", acks_late=True)
def reap_lost_jobs() -> dict:
    """Every few minutes (beat, per tenant): jobs whose heartbeat stopped."""
    return services.jobs_reap_lost()


@shared_task(name="core.tasks.prune_audit_log", acks_late=True)
def prune_audit_log() -> int:
    return services.audit_prune()


@shared_task(name="core.tasks.prune_events", acks_late=True)
def prune_events() -> int:
    from core.events import events_prune
    from core.retention import retention_settings_get

    return events_prune(older_than_days=retention_settings_get().events_days)


@shared_task(name="core.tasks.prune_retention", acks_late=True)
def prune_retention() -> dict[str, int]:
    """Daily, in every tenant: delete what is older than the tenant's retention settings."""
    from core.retention import retention_prune

    return retention_prune()
