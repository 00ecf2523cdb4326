"""Forecast runs: start a run, execute it (whole or chunk by chunk), store
its forecasts, scores and classes in bulk, keep the model registry, overrides and scenarios.

A run reads the sales history of its data window with one query per chunk (binary COPY into
a dense ``(series × days)`` array, days without a row are zero demand), calls the engine's
Test Bed and writes forecast values and backtest scores with binary COPY, classifications
with one ``INSERT … SELECT FROM unnest``. Series are split into chunks at product
boundaries, so a product's locations stay together and a chunk can be redone by deleting its
products' rows. Quantities are units per day.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from catalog.classification import abc_classify
from catalog.models import DemandHistory, Product
from catalog.selectors import excluded_product_ids
from core import metrics, quotas
from core.audit import audit_status_change
from core.cache import bump_namespace
from core.events import emit_event
from core.jobs import ProgressFn
from core.selectors import active_run
from forecasting.engine.methods import METHODS
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    MAX_HORIZON_DAYS,
    BacktestScore,
    ForecastRun,
    ForecastSettings,
    ForecastValue,
    ModelRegistryEntry,
    Scenario,
    SeriesClassification,
)
from forecasting.planning import forecast_run_succeeded, planning_defaults
from forecasting.services.chunks import (
    SEASON_LENGTH,
    chunk_products,
    forecast_chunk_compute,
    history_load,
)
from forecasting.services.registry import registry_upsert

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

    from accounts.models import User

MAX_FOLDS = 10


def _noop(percent: int, message: str = "") -> None:
    return None


# --- settings -----------------------------------------------------------------------------


def forecast_settings_get() -> ForecastSettings:
    """The tenant's forecasting settings, created with the defaults on first use."""
    settings, _ = ForecastSettings.objects.get_or_create(pk=1)
    return settings


def forecast_settings_update(**values: Any) -> ForecastSettings:
    with transaction.atomic():
        settings = forecast_settings_get()
        for name, value in values.items():
            setattr(settings, name, value)
        settings.full_clean()
        settings.save()
    return settings


# --- starting a run -----------------------------------------------------------------------


def _check_methods(methods: Sequence[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(methods or ()))
    unknown = sorted(set(chosen) - set(METHODS))
    if unknown:
        raise ForecastInputError(
            f"Unknown forecasting methods: {', '.join(unknown)}.",
            details={"methods": [f"choose from {sorted(METHODS)}"]},
        )
    return chosen


def _data_window(history_days: int) -> tuple[date, date] | None:
    """First and last day of the history a run reads: the last ``history_days`` days up to
    the newest sale (or fewer when the history is shorter)."""
    table = DemandHistory._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(date), MAX(date) FROM {table}")  # noqa: S608
        first, last = cursor.fetchone()
    if last is None:
        return None
    return max(first, last - timedelta(days=history_days - 1)), last


def forecast_run_start(
    *,
    horizon: int | None = None,
    methods: Sequence[str] | None = None,
    folds: int | None = None,
    history_days: int | None = None,
    store_all_methods: bool = False,
    trigger: str = ForecastRun.Trigger.MANUAL,
    user: User | None = None,
    enqueue: bool = True,
    products: Sequence[int] | None = None,
) -> ForecastRun:
    """Check the request against the tenant's history and create a queued run; with
    ``enqueue`` also a ``forecast_run`` job whose task executes it after commit.

    ``methods`` empty means every fast method. The data window is the last ``history_days``
    days (the tenant's setting by default) up to the newest sale; it must hold the
    backtest's ``folds × horizon`` days and two more.

    ``products`` makes a partial run (drift, ADR 38): only those SKUs are re-fitted; the other
    series carry over from the latest successful run (its ``base_run``) when the run
    finishes, so the newest run still holds every served forecast. Without a base run, or
    with no products, the run is whole.
    """
    forecast_runs_quota_check()
    settings = forecast_settings_get()
    horizon = int(settings.horizon_days if horizon is None else horizon)
    folds = int(settings.folds if folds is None else folds)
    history_days = int(settings.history_days if history_days is None else history_days)
    if not 1 <= horizon <= MAX_HORIZON_DAYS:
        raise ForecastInputError(
            f"horizon must be 1 to {MAX_HORIZON_DAYS} days.", details={"horizon": ["Out of range."]}
        )
    if not 1 <= folds <= MAX_FOLDS:
        raise ForecastInputError(
            f"folds must be 1 to {MAX_FOLDS}.", details={"folds": ["Out of range."]}
        )
    chosen = _check_methods(methods)
    window = _data_window(history_days)
    if window is None:
        raise ForecastInputError(
            "There is no sales history to forecast from.", details={"history": ["Empty."]}
        )
    start, end = window
    days = (end - start).days + 1
    if days < folds * horizon + 2:
        raise ForecastInputError(
            f"{days} days of history are too few for {folds} backtest folds of {horizon} days.",
            details={"horizon": [f"At most {max(1, (days - 2) // folds)} with {folds} folds."]},
        )
    parameters: dict[str, Any] = {"history_days": history_days, "season_length": SEASON_LENGTH}
    base = _latest_successful() if products else None
    if base is not None:
        parameters["products"] = sorted({int(p) for p in products or ()})
        parameters["base_run"] = base.pk
    with transaction.atomic():
        run = ForecastRun.objects.create(
            horizon=horizon,
            methods=chosen,
            folds=folds,
            store_all_methods=store_all_methods,
            trigger=trigger,
            data_start=start,
            data_end=end,
            parameters=parameters,
            created_by=user if getattr(user, "pk", None) else None,
        )
        if enqueue:
            from core.services import job_create

            run.job = job_create(kind="forecast_run", params={"run_id": run.pk}, user=user)
            run.save(update_fields=["job"])
    return run


def _latest_successful() -> ForecastRun | None:
    from forecasting.selectors import latest_successful_run

    return latest_successful_run()


def refit_products(run: ForecastRun) -> list[int] | None:
    """The SKUs a partial run re-fits, or None for a whole run."""
    products = (run.parameters or {}).get("products")
    return [int(p) for p in products] if products else None


def forget_cached_forecasts() -> None:
    """Invalidate the tenant's cached forecast reads now and again once the transaction
    commits. Entries of the latest run are keyed ``"latest"`` (ADR 48): one computed by another
    request between the first bump and the commit, which cannot see this transaction's change
    yet, would otherwise be served as current until the next bump; the second bump drops it.
    (Outside a transaction the two bumps follow each other.)"""
    bump_namespace("forecasts")
    transaction.on_commit(lambda: bump_namespace("forecasts"))


def forecast_run_deleted(**_: Any) -> None:
    """``post_delete`` of a run, however it goes (retention, the admin, a cascade): cached
    forecasts keyed by the latest run, or by this one, must not outlive it."""
    forget_cached_forecasts()


def forecast_runs_prune_older(cutoff: datetime) -> int:
    """Retention (``core.retention``): delete finished runs created before ``cutoff``, with the
    same protections as ``forecast_runs_prune`` — the newest ``keep_runs`` successful runs
    (so always the current forecast), scenario bases and the registry's runs stay."""
    kept = list(
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .values_list("id", flat=True)[: forecast_settings_get().keep_runs]
    )
    in_use = set(Scenario.objects.values_list("base_run_id", flat=True))
    in_use |= set(
        ModelRegistryEntry.objects.exclude(run_id=None).values_list("run_id", flat=True).distinct()
    )
    old = ForecastRun.objects.filter(
        created_at__lt=cutoff,
        status__in=(ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED),
    ).exclude(id__in=[*kept, *in_use])
    ids = list(old.values_list("id", flat=True))
    if ids:  # the cached forecast reads go by forecast_run_deleted
        ForecastRun.objects.filter(id__in=ids).delete()
    return len(ids)


def forecast_runs_today() -> int:
    return ForecastRun.objects.filter(created_at__gte=quotas.day_start()).count()


def forecast_runs_quota_check() -> None:
    """429 + Retry-After once today's runs reach the plan's ``forecast_runs_per_day``."""
    quotas.quota_enforce_daily("forecast_runs_per_day", used_today=forecast_runs_today())


def forecast_run_active() -> ForecastRun | None:
    """The newest queued or running run, ignoring runs older than the stale-job limit (a
    lost worker must not block retraining for ever)."""
    return cast("ForecastRun | None", active_run(ForecastRun.objects.all()))


def forecast_runs_prune(*, keep: int | None = None) -> int:
    """Delete finished runs (with their values, scores and classes) beyond the newest
    ``keep`` successful ones (the tenant's ``keep_runs``); runs a scenario is based on and
    the registry's runs stay. Returns the number of runs deleted."""
    keep = forecast_settings_get().keep_runs if keep is None else keep
    kept = list(
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .values_list("id", flat=True)[:keep]
    )
    in_use = set(Scenario.objects.values_list("base_run_id", flat=True))
    in_use |= set(
        ModelRegistryEntry.objects.exclude(run_id=None).values_list("run_id", flat=True).distinct()
    )
    old = ForecastRun.objects.filter(
        status__in=(ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED)
    ).exclude(id__in=[*kept, *in_use])
    ids = list(old.values_list("id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():  # values, scores and classes go by the runs' CASCADE
        ForecastRun.objects.filter(id__in=ids).delete()
    return len(ids)


# --- loading ------------------------------------------------------------------------------


# --- computing and storing one chunk ------------------------------------------------------


# --- executing a run ----------------------------------------------------------------------


def _mark_running(run: ForecastRun, *, series: int, chunks: int) -> None:
    run.status = ForecastRun.Status.RUNNING
    run.started_at = run.started_at or timezone.now()
    run.series_count = series
    run.chunk_count = chunks
    run.done_chunks = []
    run.error = ""
    run.save(
        update_fields=[
            "status",
            "started_at",
            "series_count",
            "chunk_count",
            "done_chunks",
            "error",
        ]
    )


def forecast_run_execute(
    *, run_id: int, progress: ProgressFn | None = None, chunk_size: int | None = None
) -> ForecastRun:
    """Execute a run here and now: one query loads every series of the window, the series
    go through the Test Bed chunk by chunk (memory stays at one chunk's), then the run is
    finished. ``progress(percent, message)`` hears about each chunk. Returns the run with
    ``summary["seconds"]`` per phase."""
    report = progress or _noop
    run = ForecastRun.objects.get(pk=run_id)
    size = chunk_size or forecast_settings_get().chunk_size
    started = time.perf_counter()
    report(2, "Loading sales history")
    block = history_load(run=run)
    load_seconds = time.perf_counter() - started
    chunks = chunk_products(block.product, size)
    _mark_running(run, series=int(block.product.size), chunks=len(chunks))
    phases = {"load": load_seconds, "test_bed": 0.0, "write": 0.0, "explain": 0.0}
    start = 0
    for index, products in enumerate(chunks):
        stop = start + int(np.isin(block.product[start:], products).sum())
        part = block.rows(start, stop)
        seconds = forecast_chunk_compute(run=run, block=part)
        phases["test_bed"] += seconds["test_bed"]
        phases["write"] += seconds["write"]
        phases["explain"] += seconds.get("explain", 0.0)
        start = stop
        _chunk_done(run.pk, index)
        report(5 + int(90 * (index + 1) / len(chunks)), f"Chunk {index + 1} of {len(chunks)}")
    finish_started = time.perf_counter()
    run = forecast_run_finish(run_id=run.pk, phases=phases)
    phases["finish"] = time.perf_counter() - finish_started
    phases["total"] = time.perf_counter() - started
    ForecastRun.objects.filter(pk=run.pk).update(
        summary={**run.summary, "seconds": {k: round(v, 3) for k, v in phases.items()}}
    )
    run.refresh_from_db()
    return run


def _chunk_in_process(task: tuple[str, int, int, list[int]]) -> int:
    """One chunk in a forked worker process: its own connection, in the run's schema."""
    from django.db import connections
    from django_tenants.utils import schema_context

    schema, run_id, index, products = task
    try:
        with schema_context(schema):
            forecast_run_chunk(run_id=run_id, index=index, products=products)
    finally:
        connections.close_all()
    return index


def forecast_run_execute_parallel(
    *, run_id: int, workers: int, progress: ProgressFn | None = None
) -> ForecastRun:
    """Execute a run on ``workers`` processes of this machine: the same chunks, reads and
    writes as the Celery group (each chunk loads its own products), forked from here. For
    the command on a multi-core machine without a worker pool. Must not run inside a
    transaction (the processes see only committed data)."""
    import multiprocessing

    from django.db import connections

    report = progress or _noop
    # django-tenants' DatabaseWrapper adds schema_name, tenant and set_tenant (no stubs).
    schema = connection.schema_name  # type: ignore[attr-defined]
    tenant = connection.tenant  # type: ignore[attr-defined]
    report(2, "Planning chunks")
    chunks = forecast_run_plan_chunks(run_id=run_id)
    connections.close_all()  # children must not share this process's connections
    tasks = [(schema, run_id, index, products) for index, products in enumerate(chunks)]
    with multiprocessing.get_context("fork").Pool(max(1, workers)) as pool:
        for done, _ in enumerate(pool.imap_unordered(_chunk_in_process, tasks), start=1):
            report(5 + int(90 * done / max(1, len(tasks))), f"Chunk {done} of {len(tasks)}")
    connection.set_tenant(tenant)  # type: ignore[attr-defined]
    run = ForecastRun.objects.get(pk=run_id)
    if len(run.done_chunks) != run.chunk_count:
        raise RuntimeError(f"{len(run.done_chunks)} of {run.chunk_count} chunks stored")
    return forecast_run_finish(run_id=run_id)


def forecast_run_plan_chunks(*, run_id: int) -> list[list[int]]:
    """For the distributed path: the products of each chunk, from one grouped query over the
    window (series per product), and the run marked running with that many chunks."""
    run = ForecastRun.objects.get(pk=run_id)
    table = DemandHistory._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT product_id, COUNT(DISTINCT location_id) FROM {table} "  # noqa: S608
            "WHERE date BETWEEN %s AND %s GROUP BY product_id ORDER BY product_id",
            [run.data_start, run.data_end],
        )
        rows = cursor.fetchall()
    product = np.array([r[0] for r in rows], dtype=np.int64)
    counts = np.array([r[1] for r in rows], dtype=np.int64)
    kept = ~np.isin(product, sorted(excluded_product_ids(scope="forecast")))
    refit = refit_products(run)
    if refit is not None:  # a partial run re-fits only these SKUs
        kept &= np.isin(product, refit)
    product, counts = product[kept], counts[kept]  # as history_load leaves them out
    series_product = np.repeat(product, counts)
    chunks = chunk_products(series_product, forecast_settings_get().chunk_size)
    _mark_running(run, series=int(counts.sum()), chunks=len(chunks))
    return [chunk.tolist() for chunk in chunks]


def forecast_run_chunk(*, run_id: int, index: int, products: Sequence[int]) -> tuple[int, int]:
    """Load and compute one chunk of a distributed run; returns (chunks done, chunk count)."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status != ForecastRun.Status.RUNNING or index in run.done_chunks:
        # Finished or failed, or this chunk already stored (a retried or redelivered task):
        # its rows and its mark were committed together, so nothing is written twice.
        return len(run.done_chunks), run.chunk_count
    with transaction.atomic():
        forecast_chunk_compute(run=run, block=history_load(run=run, products=products))
        return _chunk_done(run.pk, index)


def _chunk_done(run_id: int, index: int) -> tuple[int, int]:
    table = ForecastRun._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET done_chunks = CASE WHEN %s = ANY(done_chunks) "  # noqa: S608
            "THEN done_chunks ELSE array_append(done_chunks, %s) END "
            "WHERE id = %s RETURNING cardinality(done_chunks), chunk_count",
            [index, index, run_id],
        )
        done, count = cursor.fetchone()
    return int(done), int(count)


def forecast_run_fail(*, run_id: int, error: str) -> None:
    with transaction.atomic():
        # The row lock makes the event once per run, not once per failing chunk.
        was_open = (
            ForecastRun.objects.select_for_update()
            .filter(pk=run_id, status__in=(ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING))
            .values("created_by_id")
            .first()
        )
        ForecastRun.objects.filter(pk=run_id).exclude(status=ForecastRun.Status.SUCCEEDED).update(
            status=ForecastRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
        )
        if was_open is not None:  # the run's end (a later chunk's failure changes nothing)
            audit_status_change(
                ForecastRun,
                run_id,
                status=ForecastRun.Status.FAILED,
                error=error,
                started_by=was_open["created_by_id"],
            )
            data = {"run_id": run_id, "error": error[:500]}
            emit_event("forecast_run.failed", data, actor=was_open["created_by_id"])


def forecast_run_finish(*, run_id: int, phases: dict[str, float] | None = None) -> ForecastRun:
    """After the last chunk: ABC classes by revenue share over the whole run, the model
    registry upsert, the summary metrics; the run succeeds, cached forecast reads are
    invalidated and an inventory refresh is queued for after commit."""
    with transaction.atomic():
        run = ForecastRun.objects.select_for_update().get(pk=run_id)
        if run.status != ForecastRun.Status.RUNNING:
            return run  # finished already (a redelivered last chunk) or failed
        with connection.cursor() as cursor:
            refit = refit_products(run)
            if refit is not None:
                _carry_over(cursor, run, refit)
            _classify_abc(cursor, run)
            registry_upsert(cursor, run, products=refit)
        run.summary = _summary(run)
        if phases:
            run.summary["seconds"] = {k: round(v, 3) for k, v in phases.items()}
        run.status = ForecastRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.duration_seconds = (
            (run.finished_at - run.started_at).total_seconds() if run.started_at else None
        )
        run.save(update_fields=["summary", "status", "finished_at", "duration_seconds"])
        metrics.forecast_run_observed(
            tenant=connection.schema_name,  # type: ignore[attr-defined]
            series=int(run.summary.get("series") or 0),
            seconds=run.duration_seconds,
            wape=run.summary.get("mean_wape"),
            rmsse=run.summary.get("mean_rmsse"),
        )
        emit_event("forecast_run.completed", _run_event(run), actor=run.created_by_id)
        forget_cached_forecasts()  # the latest run changes
        forecast_run_succeeded.send(sender=ForecastRun, run_id=run.pk)
    return run


def _carry_over(cursor: CursorWrapper, run: ForecastRun, refit: list[int]) -> None:
    """A partial run takes the stored values, scores and classes of every SKU it did not
    re-fit from its base run (three ``INSERT … SELECT``), so it serves them unchanged."""
    base = (run.parameters or {}).get("base_run")
    if not base:
        return
    for model in (ForecastValue, BacktestScore, SeriesClassification):
        columns = [
            str(f.column) for f in model._meta.concrete_fields if f.column not in ("id", "run_id")
        ]
        names = ", ".join(columns)
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} (run_id, {names}) "  # noqa: S608
            f"SELECT %s, {names} FROM {model._meta.db_table} "
            "WHERE run_id = %s AND NOT (product_id = ANY(%s))",
            [run.pk, base, refit],
        )


def _run_event(run: ForecastRun) -> dict[str, Any]:
    return {
        "run_id": run.pk,
        "trigger": run.trigger,
        "horizon": run.horizon,
        "series": run.series_count,
        "data_end": run.data_end,
    }


def _classify_abc(cursor: CursorWrapper, run: ForecastRun) -> None:
    """ABC by share of the run's value (revenue where recorded, else quantity × unit price):
    A covers the first share of the tenant's ABC shares, B the next (``catalog.classification``,
    the one ABC of the platform); ties keep the series' id order."""
    classes = SeriesClassification._meta.db_table
    products = Product._meta.db_table
    cursor.execute(
        f"""
        SELECT c.id, CASE WHEN c.revenue_total > 0 THEN c.revenue_total
                          ELSE c.quantity_total * COALESCE(p.unit_price, 0)::float8 END
        FROM {classes} c LEFT JOIN {products} p ON p.id = c.product_id
        WHERE c.run_id = %s ORDER BY c.id
        """,  # noqa: S608
        [run.pk],
    )
    rows = cursor.fetchall()
    if not rows:
        return
    ids = [row[0] for row in rows]
    value = np.array([row[1] or 0.0 for row in rows], dtype=np.float64)
    abc = abc_classify(np.maximum(value, 0.0), planning_defaults().abc_shares)
    cursor.execute(
        f"""
        UPDATE {classes} c SET abc = t.abc
        FROM unnest(%s::bigint[], %s::text[]) AS t(id, abc) WHERE c.id = t.id
        """,  # noqa: S608
        [ids, abc.tolist()],
    )


def _summary(run: ForecastRun) -> dict[str, Any]:
    from django.db.models import Avg, Count, Q

    rows = SeriesClassification.objects.filter(run_id=run.pk)
    totals = rows.aggregate(
        series=Count("id"),
        mean_rmsse=Avg("rmsse"),
        mean_wape=Avg("wape"),
        new_items=Count("id", filter=Q(new_item=True)),
        overridden=Count("id", filter=Q(reason="override")),
    )
    by_method = dict(
        rows.values_list("method")
        .annotate(n=Count("id"))
        .order_by("method")
        .values_list("method", "n")
    )
    by_pattern = dict(
        rows.values_list("pattern")
        .annotate(n=Count("id"))
        .order_by("pattern")
        .values_list("pattern", "n")
    )
    return {
        "series": totals["series"],
        "mean_rmsse": totals["mean_rmsse"],
        "mean_wape": totals["mean_wape"],
        "new_items": totals["new_items"],
        "overridden": totals["overridden"],
        "selected_methods": by_method,
        "patterns": by_pattern,
    }


# --- overrides and scenarios --------------------------------------------------------------


# --- drift and retraining -----------------------------------------------------------------
