"""The job machinery shared by every long operation.

A job task is a Celery task that takes a job id. ``job_task`` wraps a plain function
``run(job, progress) -> dict`` with the lifecycle: mark running, report progress, store the
result or the error, retry transient failures with exponential backoff. Kinds register here so
``core.services.job_create`` can find the task for a kind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from core import metrics
from core.exceptions import DomainError, ValidationFailed
from core.logging import get_logger
from core.progress import Heartbeat, close_progress_connection

log = get_logger("jobs")
JOB_TASKS: dict[str, Any] = {}
# A kind's ``on_failure(job, error)``: also run when the reaper fails a lost job, so the
# domain row the job drives (a forecast run, an import batch) does not stay running.
JOB_FAILURE_HOOKS: dict[str, Any] = {}
# Kinds whose unfinished jobs the dashboard announces with their progress bar, with the
# banner's words (``job_task(..., announce="…")``; e.g. the demo's preparation).
ANNOUNCED_KINDS: dict[str, str] = {}
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, ConnectionError)

ProgressFn = Callable[[int, str], None]
# What a job's ``run`` returns when other tasks finish the job (a fan-out whose last task
# marks it succeeded): the job stays running.
JOB_CONTINUES: dict[str, Any] = {"__job_continues__": True}
FailureHook = Callable[[Any, str], None]


def services_module():
    from core import services

    return services


def _started_by(job: Any):
    """Bind the job's writes to the user who started it and the request that asked for it
    (the audit trail names them, not the worker); beat's jobs run as the system."""
    from django.db import connection

    from core import context

    if context.current_actor_id() == job.created_by_id:
        actor = context.KEEP  # the task carries the same user (and maybe their API key)
    elif job.created_by_id:
        actor = context.DeferredActor(job.created_by_id, connection.schema_name)
    else:
        actor = None
    return context.bound(
        actor=actor,
        request_id=job.request_id or context.current_request_id(),
        ip=context.current_ip(),
    )


def _run_seconds(job: Any) -> float | None:
    started = getattr(job, "started_at", None)
    return (timezone.now() - started).total_seconds() if started else None


def task_for_kind(kind: str):
    try:
        return JOB_TASKS[kind]
    except KeyError:
        raise ValidationFailed(f"Unknown job kind {kind!r}.", details={"kind": kind}) from None


def job_task(
    kind: str,
    *,
    max_retries: int = 5,
    retry_on: tuple[type[BaseException], ...] = (),
    on_failure: FailureHook | None = None,
    announce: str | None = None,
):
    """Register ``run(job, progress)`` as the Celery task for jobs of ``kind``. Database and
    broker errors, and the kind's own ``retry_on`` errors, are retried with backoff.
    ``on_failure(job, error)`` runs before the job is marked failed (e.g. to fail the domain
    row the job drives); ``run`` returning ``JOB_CONTINUES`` leaves the job running for the
    tasks it fanned out to finish. ``announce``: the words of the dashboard's banner while a
    job of this kind is queued or running."""
    if announce:
        ANNOUNCED_KINDS[kind] = announce
    transient = TRANSIENT_ERRORS + retry_on

    def fail(job: Any, error: str, result: dict[str, Any] | None = None) -> None:
        if on_failure is not None:
            on_failure(job, error)
        services_module().job_fail(job_id=str(job.id), error=error, result=result)
        metrics.job_finished(kind=kind, status="failed", seconds=_run_seconds(job))

    def decorate(run: Callable[[Any, ProgressFn], dict[str, Any] | None]):
        @shared_task(
            name=f"jobs.{kind}",
            bind=True,
            acks_late=True,
            max_retries=max_retries,
        )
        @functools.wraps(run)
        def task(self, job_id: str) -> None:
            from core import services

            job = services.job_start(job_id=job_id)
            if job is None:
                log.info("job_skipped", job_id=job_id, reason="finished or missing")
                return

            if job.attempts == 1 and job.started_at is not None:
                metrics.job_started(
                    kind=kind, queued_seconds=(job.started_at - job.created_at).total_seconds()
                )
            last = {"percent": -1}

            def progress(percent: int, message: str = "") -> None:
                if percent != last["percent"]:  # one write per step, not per chunk
                    last["percent"] = percent
                    services.job_progress(job_id=job_id, progress=percent, message=message)

            try:
                with (
                    _started_by(job),
                    Heartbeat(
                        job_table=job._meta.db_table,
                        job_id=job_id,
                        interval=settings.JOB_HEARTBEAT_SECONDS,
                    ),
                ):
                    result = run(job, progress)
            except transient as exc:
                close_progress_connection()
                if self.request.retries >= self.max_retries:
                    fail(job, f"{type(exc).__name__}: {exc}")
                    raise
                services.job_requeue(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
                # Exponential backoff: 2, 4, 8 … seconds, capped at 10 minutes.
                raise self.retry(
                    exc=exc, countdown=min(2 ** (self.request.retries + 1), 600)
                ) from exc
            except DomainError as exc:
                fail(job, exc.message, getattr(exc, "result", None))
                return
            except Exception as exc:
                log.exception("job_failed", job_id=job_id, kind=kind)
                fail(job, f"{type(exc).__name__}: {exc}")
                return
            finally:
                close_progress_connection()
            if result is JOB_CONTINUES:
                return
            services.job_succeed(job_id=job_id, result=result or {})
            metrics.job_finished(kind=kind, status="succeeded", seconds=_run_seconds(job))

        JOB_TASKS[kind] = task
        if on_failure is not None:
            JOB_FAILURE_HOOKS[kind] = on_failure
        return task

    return decorate
