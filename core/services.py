"""Writes for jobs and uploads. Services act in the active tenant schema."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import quotas
from core.context import current_request_id
from core.exceptions import ServiceUnavailable
from core.logging import get_logger
from core.models import AuditLog, Job, Upload
from core.uploads import guard_upload

log = get_logger("jobs")


def job_create(*, kind: str, params: dict[str, Any] | None = None, user: Any = None) -> Job:
    """Create a queued job and enqueue its task once the transaction commits.

    The task for ``kind`` comes from ``core.jobs.JOB_TASKS``; it receives only the job id.
    The broker is checked first (ADR 25): when it cannot be reached ``ServiceUnavailable``
    (503) is raised before anything is written, so the caller's transaction leaves no orphan.
    Should the broker fail between the check and the commit, the job is marked failed
    ("broker unavailable") rather than left queued.
    """
    from core.jobs import task_for_kind

    task = task_for_kind(kind)
    broker_check()
    job = Job.objects.create(
        kind=kind,
        params=params or {},
        created_by=user if getattr(user, "pk", None) else None,
        request_id=current_request_id() or "",
    )

    def enqueue() -> None:
        try:
            task.delay(str(job.id))
        except Exception as exc:  # kombu's and redis' connection errors vary
            log.error("job_enqueue_failed", job_id=str(job.id), kind=kind, error=str(exc))
            job_fail(job_id=str(job.id), error=BROKER_UNAVAILABLE)

    transaction.on_commit(enqueue)
    return job


BROKER_UNAVAILABLE = "broker unavailable"


def broker_check() -> None:
    """Raise ``ServiceUnavailable`` unless the task broker accepts a connection within
    ``BROKER_CHECK_SECONDS``."""
    from celery import current_app

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0.2,
                timeout=settings.BROKER_CHECK_SECONDS,
            )
    except Exception as exc:
        log.warning("broker_unavailable", error=str(exc))
        raise ServiceUnavailable(
            "The task queue is unavailable: nothing was started. Try again shortly."
        ) from None


def job_start(*, job_id: str) -> Job | None:
    """Mark a job running. Returns None when the job is already finished (a redelivered
    message after a crash or a duplicate), or already running: a message redelivered while
    another worker still has the job, or after its worker died (a killed pool process's
    message comes back at once) — then the reaper re-queues the silent job once and fails it
    the next time, so a job that kills its worker cannot loop. Retries and the reaper set the
    job back to queued before they send it again."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in Job.FINISHED:
            return None
        if job.status == Job.Status.RUNNING:
            log.warning("job_redelivered", job_id=job_id, attempts=job.attempts)
            return None
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at"])
        return job


def job_progress(*, job_id: str, progress: int, message: str = "") -> None:
    """Record progress 0–100; never moves backwards. Written on a separate connection
    (``core.progress``), so pollers see it while the job's own transaction is open."""
    from core.progress import write_progress

    progress = max(0, min(100, int(progress)))
    write_progress(
        job_table=Job._meta.db_table, job_id=str(job_id), progress=progress, message=message[:255]
    )


def job_succeed(*, job_id: str, result: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED,
        progress=100,
        result=result or {},
        error="",
        finished_at=timezone.now(),
    )


def job_fail(*, job_id: str, error: str, result: dict[str, Any] | None = None) -> None:
    """Mark a job failed with ``error``; ``result`` (when given) still links what it made."""
    fields: dict[str, Any] = {"result": result} if result is not None else {}
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, error=error[:10_000], finished_at=timezone.now(), **fields
    )


def job_requeue(*, job_id: str, error: str) -> None:
    """Back to queued between retries, keeping the last error for the poller to see."""
    Job.objects.filter(pk=job_id).update(status=Job.Status.QUEUED, error=error[:10_000])


def _fail_with_hook(job_id: Any, kind: str, error: str, *, was: Any) -> bool:
    """Fail one job that is still in status ``was`` (claimed by the update, so two reapers
    never both fail it) and run its kind's failure hook, which fails the domain row the job
    drives (a forecast run, an import batch) too. Returns whether this call failed it."""
    from core.jobs import JOB_FAILURE_HOOKS

    with transaction.atomic():
        claimed = Job.objects.filter(pk=job_id, status__in=was).update(
            status=Job.Status.FAILED, error=error, finished_at=timezone.now()
        )
        hook = JOB_FAILURE_HOOKS.get(kind)
        if claimed and hook is not None:
            try:
                with transaction.atomic():
                    hook(Job.objects.get(pk=job_id), error)
            except Exception:  # the job still ends failed; the log says what stayed open
                log.exception("job_failure_hook_failed", job_id=str(job_id), kind=kind)
    return bool(claimed)


def jobs_reap_stale(*, older_than: timedelta | None = None) -> int:
    """Fail jobs stuck queued or running for longer than ``JOB_STALE_HOURS`` (worker lost)."""
    cutoff = timezone.now() - (older_than or timedelta(hours=settings.JOB_STALE_HOURS))
    open_states = (Job.Status.QUEUED, Job.Status.RUNNING)
    stale = Job.objects.filter(status__in=open_states, created_at__lt=cutoff)
    return sum(
        _fail_with_hook(
            job_id, kind, "Abandoned: no progress within the stale limit.", was=open_states
        )
        for job_id, kind in stale.values_list("id", "kind")
    )


def jobs_reap_lost(*, silent_for: timedelta | None = None) -> dict[str, int]:
    """Running jobs whose heartbeat stopped ``JOB_HEARTBEAT_LOST_SECONDS`` ago (a worker
    killed mid-task, its message unacknowledged until the broker's visibility timeout):
    re-queued once, failed the next time (with the kind's failure hook, so a forecast run or
    an import batch is not left running either). Returns the counts ``requeued`` and
    ``failed``."""
    from core.jobs import task_for_kind

    cutoff = timezone.now() - (silent_for or timedelta(seconds=settings.JOB_HEARTBEAT_LOST_SECONDS))
    lost = Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    failed = sum(
        _fail_with_hook(
            job_id, kind, "Worker lost twice (no heartbeat): failed.", was=(Job.Status.RUNNING,)
        )
        for job_id, kind in lost.filter(requeues__gte=1).values_list("id", "kind")
    )
    requeued = 0
    for job_id, kind in lost.filter(requeues=0).values_list("id", "kind"):
        claimed = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, requeues=0).update(
            status=Job.Status.QUEUED,
            requeues=1,
            error="Worker lost (no heartbeat): re-queued once.",
        )
        if claimed:
            requeued += 1
            task = task_for_kind(kind)
            transaction.on_commit(lambda task=task, job_id=job_id: task.delay(str(job_id)))
    if requeued or failed:
        log.warning("jobs_reaped", requeued=requeued, failed=failed)
    return {"requeued": requeued, "failed": failed}


def audit_prune(*, older_than_days: int | None = None) -> int:
    if older_than_days is None:  # the tenant's own retention (core.retention)
        from core.retention import retention_settings_get

        older_than_days = retention_settings_get().audit_log_days
    days = older_than_days
    deleted, _ = AuditLog.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=days)
    ).delete()
    return deleted


def upload_store(*, uploaded, user: Any, allowed: set[str]) -> Upload:
    """Guard (size, sniffed type, name) and store an uploaded file for later processing."""
    guarded = guard_upload(uploaded, allowed=allowed)
    quotas.storage_enforce(adding_bytes=guarded.size)  # 403 over the plan's storage
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    upload = Upload(
        original_name=guarded.filename,
        kind=guarded.kind,
        size=guarded.size,
        sha256=digest.hexdigest(),
        uploaded_by=user if getattr(user, "pk", None) else None,
    )
    upload.file.save(guarded.filename, uploaded, save=False)
    upload.save()
    return upload
