"""Celery tasks of forecasting: ids in, call the service.

A ``forecast_run`` job either executes the run in its own task (one chunk) or fans its
chunks out as a group of ``forecasting.run_chunk`` tasks; the chunk that completes the set
finishes the run and the job (group + finalizer, no result backend needed). Progress rises
as chunks finish.
"""

from __future__ import annotations

from celery import group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core import services as core_services
from core.jobs import JOB_CONTINUES, ProgressFn, job_task
from core.logging import get_logger
from core.models import Job
from core.progress import Heartbeat, close_progress_connection
from forecasting import services
from forecasting.models import ForecastRun

log = get_logger("forecasting")
TRANSIENT = (OperationalError, InterfaceError, ConnectionError)


def _backoff(retries: int) -> int:
    return min(2 ** (retries + 1), 600)


def _run_of_job(job) -> int:
    return int(job.params["run_id"])


def _run_failed(job, error: str) -> None:
    services.forecast_run_fail(run_id=_run_of_job(job), error=error)


@job_task("forecast_run", on_failure=_run_failed)
def forecast_run_job(job, progress: ProgressFn) -> dict:
    """A run of one chunk executes here; a bigger one fans its chunks out as a group and the
    last chunk to finish finishes the run and the job."""
    run_id = _run_of_job(job)
    chunks = services.forecast_run_plan_chunks(run_id=run_id)
    if len(chunks) <= 1:
        return _result(services.forecast_run_execute(run_id=run_id, progress=progress))
    progress(5, f"{len(chunks)} chunks queued")
    group(
        forecast_chunk_task.s(str(job.id), run_id, index, products)
        for index, products in enumerate(chunks)
    ).apply_async()
    return JOB_CONTINUES


@shared_task(name="forecasting.run_chunk", bind=True, acks_late=True, max_retries=5)
def forecast_chunk_task(self, job_id: str, run_id: int, index: int, products: list[int]) -> None:
    """One chunk of a distributed run; the last one to finish finishes the run."""
    try:
        # The job shows it is alive while a chunk computes (the reaper re-queues silent jobs).
        with Heartbeat(
            job_table=Job._meta.db_table, job_id=job_id, interval=settings.JOB_HEARTBEAT_SECONDS
        ):
            done, count = services.forecast_run_chunk(run_id=run_id, index=index, products=products)
        core_services.job_progress(
            job_id=job_id, progress=5 + int(90 * done / max(count, 1)), message=f"{done}/{count}"
        )
        if done == count:
            run = services.forecast_run_finish(run_id=run_id)
            core_services.job_succeed(job_id=job_id, result=_result(run))
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            _fail(job_id, run_id, f"{type(exc).__name__}: {exc}")
            raise
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    except Exception as exc:
        log.exception("forecast_chunk_failed", job_id=job_id, run_id=run_id, chunk=index)
        _fail(job_id, run_id, f"chunk {index}: {type(exc).__name__}: {exc}")
    finally:
        close_progress_connection()


def _fail(job_id: str, run_id: int, error: str) -> None:
    services.forecast_run_fail(run_id=run_id, error=error)
    core_services.job_fail(job_id=job_id, error=error)


def _result(run: ForecastRun) -> dict:
    return {
        "run_id": run.pk,
        "series": run.series_count,
        "chunks": run.chunk_count,
        "summary": {k: v for k, v in run.summary.items() if k != "seconds"},
    }


@shared_task(name="forecasting.tasks.drift_check", acks_late=True)
def drift_check() -> dict:
    """After a data sync: score the stored forecasts against the new actuals, decide the
    challengers on trial, flag drifting series and queue their re-fit (in the task's
    tenant)."""
    scored = services.live_scores_update()
    decided = services.challengers_decide()
    return {**services.forecast_drift_check().as_dict(), "live_scores": scored, **decided.as_dict()}


@shared_task(name="forecasting.tasks.retrain_due", acks_late=True)
def retrain_due() -> int | None:
    """Beat (fanned out per tenant): score live accuracy and decide the challengers (before
    pruning, so no run goes unscored), prune old runs, retrain when the tenant's interval
    has passed."""
    services.live_scores_update()
    services.challengers_decide()
    services.forecast_runs_prune()
    run = services.forecast_retrain_due()
    return run.pk if run else None
