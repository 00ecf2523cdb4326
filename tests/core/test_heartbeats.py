"""Heartbeats and the lost-job reaper (issue 16 item 7): a running job shows it is alive, a
job whose heartbeat stopped is re-queued once and then failed, and a retried chunk writes
its rows once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from core import services
from core.jobs import JOB_TASKS
from core.models import Job
from core.progress import Heartbeat, close_progress_connection


def test_progress_and_the_heartbeat_thread_write_heartbeat_at(live_db, tenant_a):
    with schema_context(tenant_a.schema_name):
        job = Job.objects.create(kind="demo", status=Job.Status.RUNNING)
        try:
            services.job_progress(job_id=str(job.id), progress=10, message="working")
            job.refresh_from_db()
            first = job.heartbeat_at
            assert first is not None and job.progress == 10
            with Heartbeat(job_table=Job._meta.db_table, job_id=str(job.id), interval=0.05):
                time.sleep(0.3)  # a long step without progress
            job.refresh_from_db()
            assert job.heartbeat_at > first
        finally:
            close_progress_connection()
            Job.objects.filter(pk=job.pk).delete()


@pytest.mark.django_db
def test_a_silent_running_job_is_requeued_once_then_failed(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(JOB_TASKS["demo"], "delay", lambda job_id: sent.append(job_id))
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_LOST_SECONDS + 60)
    lost = Job.objects.create(
        kind="demo", status=Job.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    alive = Job.objects.create(
        kind="demo", status=Job.Status.RUNNING, started_at=long_ago, heartbeat_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap_lost() == {"requeued": 1, "failed": 0}
    lost.refresh_from_db()
    assert (lost.status, lost.requeues) == ("queued", 1) and sent == [str(lost.id)]

    # Picked up again, and lost again: failed this time, not re-queued forever.
    Job.objects.filter(pk=lost.pk).update(status=Job.Status.RUNNING, heartbeat_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap_lost() == {"requeued": 0, "failed": 1}
    lost.refresh_from_db()
    assert lost.status == "failed" and "lost twice" in lost.error and len(sent) == 1
    alive.refresh_from_db()
    assert alive.status == "running"


def test_the_broker_visibility_timeout_covers_the_longest_task():
    """Every task is stopped (hard time limit) before the broker would hand its unacknowledged
    message to a second worker, and is told a minute earlier (soft limit)."""
    from config.celery import app

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    app.loader.import_default_modules()
    tasks = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    assert len(tasks) > 20
    for task in tasks:
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        assert hard is not None and hard < timeout, task.name
        assert soft is not None and soft < hard, task.name
    assert app.conf.task_time_limit == settings.JOB_MAX_SECONDS


@pytest.mark.django_db
def test_a_message_redelivered_while_its_job_runs_does_nothing():
    """A redelivered message (a killed pool process, a visibility timeout) finds its job
    running: it neither runs it a second time nor counts an attempt; the reaper decides."""
    job = Job.objects.create(kind="demo", status=Job.Status.RUNNING, attempts=1)
    assert services.job_start(job_id=str(job.id)) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)  # a retry or the reaper
    assert services.job_start(job_id=str(job.id)).attempts == 2


@pytest.mark.django_db
def test_a_chunk_retried_twice_writes_once():
    from forecasting import services as forecasting
    from forecasting.models import BacktestScore, ForecastRun, ForecastSettings, ForecastValue
    from tests.forecasting_app.seed import seed

    seed()
    ForecastSettings.objects.update_or_create(pk=1, defaults={"chunk_size": 2})
    run = forecasting.forecast_run_start(horizon=7, enqueue=False)
    chunks = forecasting.forecast_run_plan_chunks(run_id=run.pk)
    assert len(chunks) > 1

    def written() -> tuple[set[int], set[int]]:
        """The stored rows by id: a chunk written again (even replacing its own rows)
        changes them."""
        return (
            set(ForecastValue.objects.filter(run_id=run.pk).values_list("pk", flat=True)),
            set(BacktestScore.objects.filter(run_id=run.pk).values_list("pk", flat=True)),
        )

    assert forecasting.forecast_run_chunk(run_id=run.pk, index=0, products=chunks[0])[0] == 1
    once = written()
    assert once[0] and once[1]
    for _ in range(2):  # the same message delivered twice more
        forecasting.forecast_run_chunk(run_id=run.pk, index=0, products=chunks[0])
    assert written() == once
    assert ForecastRun.objects.get(pk=run.pk).done_chunks == [0]
