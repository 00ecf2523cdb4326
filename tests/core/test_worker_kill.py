"""A worker killed with ``kill -9`` in the middle of a job (issue 16 item 7), with real
processes: the project's ``celery -A config worker`` (prefork, as deployed) and ``beat`` on a
private Redis this test starts and stops, and the test database.

The job is a forecast run fanned out over many chunks. Killed once, the reaper re-queues it
and it succeeds, every series stored exactly once; killed twice, it ends failed — its
forecast run too — and nothing is left running. Heartbeat, reaper and lost-job intervals are
shortened through the environment, as an operator would set them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import skip_unless_required
from tests.processes import CeleryProcess, database_url, start_redis

PREFIX = "KILL9"
PRODUCTS = 40  # one chunk each: a run long enough to be killed half way
DAYS = 120
HORIZON = 7
HEARTBEAT_LOST = 8  # seconds without a heartbeat before the reaper acts
DEADLINE = 300.0  # generous: the machine may be loaded; "within minutes" is the promise


@pytest.fixture(scope="module")
def private_broker(tmp_path_factory):
    started = start_redis(tmp_path_factory.mktemp("redis"))
    if started is None:
        skip_unless_required("redis-server is not installed", required_by="REQUIRE_REDIS_SERVER")
    process, port = started
    yield f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


class Cluster:
    """Beat and a succession of workers on the private broker."""

    def __init__(self, broker: str, directory):
        self.broker, self.directory = broker, directory
        self.env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "JOB_HEARTBEAT_SECONDS": "1",
            "JOB_HEARTBEAT_LOST_SECONDS": str(HEARTBEAT_LOST),
            "JOB_REAPER_SECONDS": "2",
            "FAN_OUT_JITTER_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.workers: list[CeleryProcess] = []
        self.beat: CeleryProcess | None = None

    def start_beat(self) -> None:
        self.beat = CeleryProcess(
            [
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile",
                str(self.directory / "beat.pid"),
                "--schedule",
                str(self.directory / "beat-schedule"),
            ],
            env=self.env,
            log=self.directory / "beat.log",
        )
        self.beat.wait_for_output("beat: Starting")

    def start_worker(self) -> CeleryProcess:
        number = len(self.workers) + 1
        worker = CeleryProcess(
            [
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "-n",
                f"kill{number}@%h",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
            ],
            env=self.env,
            log=self.directory / f"worker{number}.log",
        )
        self.workers.append(worker)
        worker.wait_for_output(" ready.")
        return worker

    def logs(self) -> str:
        parts = [f"--- {w.log.name}\n{w.tail(40)}" for w in self.workers]
        if self.beat is not None:
            parts.append(f"--- beat.log\n{self.beat.tail(15)}")
        return "\n".join(parts)

    def stop(self) -> None:
        for process in [*self.workers, self.beat]:
            if process is not None:
                process.kill()


@pytest.fixture(scope="module")
def cluster(private_broker, tmp_path_factory, django_db_setup, django_db_blocker, tenant_a):
    with django_db_blocker.unblock():
        directory = tmp_path_factory.mktemp("celery")
        cluster = Cluster(private_broker, directory)
        data = _seed(tenant_a)
        try:
            cluster.start_beat()
            yield cluster
        finally:
            cluster.stop()
            _cleanup(tenant_a, data)


def _seed(tenant) -> dict:
    from catalog.models import DemandHistory, Location, Product
    from forecasting.models import ForecastSettings

    with schema_context(tenant.schema_name):
        started = timezone.now()
        location = Location.objects.create(code=f"{PREFIX}-L", name="kill")
        products = Product.objects.bulk_create(
            Product(sku=f"{PREFIX}-{i:03d}", name=f"p{i}", unit_price=Decimal("1.00"))
            for i in range(PRODUCTS)
        )
        end = dt.date(2026, 4, 30)
        DemandHistory.objects.bulk_create(
            DemandHistory(
                product=product,
                location=location,
                date=end - dt.timedelta(days=day),
                quantity=Decimal(10 + (i + day) % 7),
            )
            for i, product in enumerate(products)
            for day in range(DAYS)
        )
        forecast_settings, _ = ForecastSettings.objects.get_or_create(pk=1)
        chunk_size = forecast_settings.chunk_size
        ForecastSettings.objects.filter(pk=1).update(chunk_size=1)
        return {"started": started, "chunk_size": chunk_size, "location": location.pk}


def _cleanup(tenant, data) -> None:
    from catalog.models import DemandHistory, Location, Product
    from core.models import Event, Job
    from forecasting.models import (
        BacktestScore,
        ForecastRun,
        ForecastSettings,
        ForecastValue,
        ModelRegistryEntry,
        SeriesClassification,
    )

    with schema_context(tenant.schema_name):
        runs = ForecastRun.objects.filter(created_at__gte=data["started"])
        for model in (ForecastValue, BacktestScore, SeriesClassification):
            model.objects.filter(run__in=runs).delete()
        ModelRegistryEntry.objects.filter(product__sku__startswith=f"{PREFIX}-").delete()
        runs.delete()
        Job.objects.filter(created_at__gte=data["started"]).delete()
        Event.objects.filter(created_at__gte=data["started"]).delete()
        DemandHistory.objects.filter(location_id=data["location"]).delete()
        Product.objects.filter(sku__startswith=f"{PREFIX}-").delete()
        Location.objects.filter(pk=data["location"]).delete()
        ForecastSettings.objects.filter(pk=1).update(chunk_size=data["chunk_size"])


def _start_run(cluster: Cluster, tenant):
    """A forecast run and its job, sent to the private broker (not through job_create, which
    publishes on the suite's shared broker)."""
    from config.celery import app
    from core.jobs import JOB_TASKS
    from core.models import Job
    from forecasting import services

    with schema_context(tenant.schema_name):
        run = services.forecast_run_start(horizon=HORIZON, enqueue=False)
        job = Job.objects.create(kind="forecast_run", params={"run_id": run.pk})
        run.job = job
        run.save(update_fields=["job"])
        with app.connection_for_write(cluster.broker) as conn:
            JOB_TASKS["forecast_run"].apply_async(args=[str(job.id)], connection=conn)
    return run.pk, job.pk


def _state(tenant, run_id, job_id):
    from core.models import Job
    from forecasting.models import ForecastRun

    with schema_context(tenant.schema_name):
        return Job.objects.get(pk=job_id), ForecastRun.objects.get(pk=run_id)


def _wait(cluster: Cluster, what: str, condition, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout:.0f}s for {what}\n{cluster.logs()}")


def _kill_half_way(cluster: Cluster, worker: CeleryProcess, tenant, run_id, job_id, attempt):
    """Kill -9 the worker (main and pool processes) in the middle of attempt ``attempt``:
    once it has stored some chunks and while others are being written. The test holds the
    run's row locked, so the chunk transactions in flight wait on it with their rows written
    but uncommitted; the kill lands there for certain, not between a commit and an ack."""
    from core.models import Job

    def half_way():
        job, run = _state(tenant, run_id, job_id)
        assert job.status not in Job.FINISHED, f"attempt {attempt} ended before the kill"
        if job.attempts == attempt and job.status == "running" and run.chunk_count:
            return 0 < len(run.done_chunks) < run.chunk_count
        return False

    _wait(cluster, f"attempt {attempt} half way", half_way)
    with _run_row_locked(tenant, run_id) as waiting:
        _wait(cluster, "a chunk write to wait on the run's row", lambda: waiting() > 0)
        children = worker.children()
        assert children, "a prefork worker has pool processes"
        worker.kill()
    for pid in children:  # the pool processes died with the main one
        _wait(cluster, f"pool process {pid} to die", lambda pid=pid: not _alive(pid), 30)
    job, run = _state(tenant, run_id, job_id)
    assert job.status == "running" and len(run.done_chunks) < run.chunk_count
    return time.monotonic()


@contextlib.contextmanager
def _run_row_locked(tenant, run_id):
    """The forecast run's row locked FOR UPDATE on a connection of the test's own; yields a
    function counting the other sessions of this database waiting on a lock."""
    import psycopg
    from django.db import connection
    from psycopg import sql

    from forecasting.models import ForecastRun

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as holder:
        holder.execute(
            sql.SQL("SELECT id FROM {}.{} WHERE id = %s FOR UPDATE").format(
                sql.Identifier(tenant.schema_name), sql.Identifier(ForecastRun._meta.db_table)
            ),
            [run_id],
        )

        def waiting() -> int:
            with psycopg.connect(**params, autocommit=True) as probe:
                return probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> %s",
                    [holder.info.backend_pid],
                ).fetchone()[0]

        try:
            yield waiting
        finally:
            holder.rollback()


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_worker_killed_once_the_job_is_requeued_and_writes_its_results_once(cluster, tenant_a):
    from core.models import Event, Job
    from forecasting.models import BacktestScore, ForecastValue, SeriesClassification

    worker = cluster.start_worker()
    run_id, job_id = _start_run(cluster, tenant_a)
    killed_at = _kill_half_way(cluster, worker, tenant_a, run_id, job_id, attempt=1)

    cluster.start_worker()  # a new worker; the killed one's messages stay unacknowledged
    _wait(
        cluster,
        "the reaper to re-queue the job",
        lambda: _state(tenant_a, run_id, job_id)[0].requeues == 1,
    )
    requeued_after = time.monotonic() - killed_at
    job = _wait(
        cluster,
        "the re-queued job to finish",
        lambda: (j := _state(tenant_a, run_id, job_id)[0]).status in Job.FINISHED and j,
    )
    job, run = _state(tenant_a, run_id, job_id)
    assert job.status == "succeeded", (job.error, cluster.logs())
    assert (job.attempts, job.requeues) == (2, 1)
    assert run.status == "succeeded" and sorted(run.done_chunks) == list(range(run.chunk_count))
    assert requeued_after < DEADLINE

    with schema_context(tenant_a.schema_name):
        mine = {"run_id": run_id, "product__sku__startswith": f"{PREFIX}-"}
        values = ForecastValue.objects.filter(**mine)
        selected = values.filter(selected=True)
        # Every series is forecast once: one selected row per product and day, and no row
        # (of any method) twice, although two chunks died half written and every chunk ran
        # again after the re-queue.
        assert selected.count() == PRODUCTS * HORIZON
        assert (
            not values.values("product", "location", "date", "method")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert SeriesClassification.objects.filter(**mine).count() == PRODUCTS
        scores = BacktestScore.objects.filter(**mine)
        assert (
            not scores.values("product", "location", "method")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        # The run was finished once: one completion event.
        completed = Event.objects.filter(type="forecast_run.completed", data__run_id=run_id)
        assert completed.count() == 1


def test_a_job_whose_worker_dies_twice_ends_failed_and_nothing_stays_running(cluster, tenant_a):
    from core.models import Job

    worker = cluster.workers[-1] if cluster.workers else cluster.start_worker()
    if worker.process.poll() is not None:
        worker = cluster.start_worker()
    run_id, job_id = _start_run(cluster, tenant_a)
    _kill_half_way(cluster, worker, tenant_a, run_id, job_id, attempt=1)
    worker = cluster.start_worker()
    _kill_half_way(cluster, worker, tenant_a, run_id, job_id, attempt=2)
    cluster.start_worker()

    job = _wait(
        cluster,
        "the reaper to fail the job",
        lambda: (j := _state(tenant_a, run_id, job_id)[0]).status in Job.FINISHED and j,
    )
    assert job.status == "failed" and "lost twice" in job.error, (job.error, cluster.logs())
    assert (job.attempts, job.requeues) == (2, 1)
    # Several reaper rounds later nothing has come back to life, and the forecast run the
    # job drove has failed with it (not left running for the UI to wait on).
    time.sleep(3 * 2 + 1)
    job, run = _state(tenant_a, run_id, job_id)
    assert job.status == "failed" and job.attempts == 2
    assert run.status == "failed" and "lost twice" in run.error
