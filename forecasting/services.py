"""Writes of the forecasting domain: start a run, execute it (whole or chunk by chunk), store
its forecasts, scores and classes in bulk, keep the model registry, overrides and scenarios.

A run reads the sales history of its data window with one query per chunk (binary COPY into
a dense ``(series × days)`` array, days without a row are zero demand), calls the engine's
Test Bed and writes forecast values and backtest scores with binary COPY, classifications
with one ``INSERT … SELECT FROM unnest``. Series are split into chunks at product
boundaries, so a product's locations stay together and a chunk can be redone by deleting its
products' rows. Quantities are units per day.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import sql

from catalog.classification import abc_classify
from catalog.keys import pair_keys
from catalog.models import DemandHistory, Location, Product
from catalog.selectors import excluded_product_ids
from core.cache import bump_namespace
from core.events import emit_event
from core.selectors import active_run
from forecasting import bulk
from forecasting.engine.backtest import SCORES, run_test_bed
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import FAST_METHODS, METHODS, method_named
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    MAX_HORIZON_DAYS,
    QUANTILE_FIELDS,
    QUANTILE_LEVELS,
    BacktestScore,
    ForecastRun,
    ForecastSettings,
    ForecastValue,
    MethodOverride,
    ModelRegistryEntry,
    Scenario,
    SeriesClassification,
)
from forecasting.planning import forecast_run_succeeded, planning_defaults

ProgressFn = Callable[[int, str], None]
MAX_FOLDS = 10
SEASON_LENGTH = 7  # daily data, weekly pattern


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
    user: Any = None,
    enqueue: bool = True,
) -> ForecastRun:
    """Check the request against the tenant's history and create a queued run; with
    ``enqueue`` also a ``forecast_run`` job whose task executes it after commit.

    ``methods`` empty means every fast method. The data window is the last ``history_days``
    days (the tenant's setting by default) up to the newest sale; it must hold the
    backtest's ``folds × horizon`` days and two more.
    """
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
    with transaction.atomic():
        run = ForecastRun.objects.create(
            horizon=horizon,
            methods=chosen,
            folds=folds,
            store_all_methods=store_all_methods,
            trigger=trigger,
            data_start=start,
            data_end=end,
            parameters={"history_days": history_days, "season_length": SEASON_LENGTH},
            created_by=user if getattr(user, "pk", None) else None,
        )
        if enqueue:
            from core.services import job_create

            run.job = job_create(kind="forecast_run", params={"run_id": run.pk}, user=user)
            run.save(update_fields=["job"])
    return run


def forecast_run_active() -> ForecastRun | None:
    """The newest queued or running run, ignoring runs older than the stale-job limit (a
    lost worker must not block retraining for ever)."""
    return active_run(ForecastRun.objects.all())


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


@dataclass(frozen=True)
class SeriesBlock:
    """Dense history of some series: ``history[i]`` is the daily demand of
    ``(product[i], location[i])`` from the run's ``data_start``; ``revenue`` the window's
    recorded revenue per series."""

    product: np.ndarray
    location: np.ndarray
    history: np.ndarray
    revenue: np.ndarray


def _sorted_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` by hashing (pandas.factorize) and sorting
    only the distinct keys: about ten times faster on millions of sales rows."""
    codes, distinct = pd.factorize(keys, sort=False)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(distinct)[order], rank[codes]


def history_load(*, run: ForecastRun, products: Sequence[int] | None = None) -> SeriesBlock:
    """The run's window of sales history (all series, or those of ``products``) in one query.
    Products excluded from forecasting (``ProductExclusion`` scope ``forecast``) are left out."""
    days = (run.data_end - run.data_start).days + 1
    where = sql.SQL("date BETWEEN {} AND {}").format(
        sql.Literal(run.data_start), sql.Literal(run.data_end)
    )
    excluded = sorted(excluded_product_ids(scope="forecast"))
    if excluded:
        where = sql.SQL("{} AND product_id NOT IN ({})").format(
            where, sql.SQL(", ").join(sql.Literal(int(p)) for p in excluded)
        )
    if products is not None:
        ids = sql.SQL(", ").join(sql.Literal(int(p)) for p in products) or sql.SQL("NULL")
        where = sql.SQL("{} AND product_id IN ({})").format(where, ids)
    query = sql.SQL(
        "SELECT product_id, location_id, (date - {start})::int4, quantity::float8, "
        "COALESCE(revenue, 0)::float8 FROM {table} WHERE {where}"
    ).format(
        start=sql.Literal(run.data_start),
        table=sql.Identifier(DemandHistory._meta.db_table),
        where=where,
    )
    with connection.cursor() as cursor:
        rows = bulk.copy_out(cursor, query, ["int8", "int8", "int4", "float8", "float8"])
    series, index = _sorted_codes(pair_keys(rows["v0"], rows["v1"]))
    history = np.zeros((series.size, days))
    history[index, rows["v2"]] = rows["v3"]
    revenue = np.bincount(index, weights=rows["v4"], minlength=series.size)
    return SeriesBlock(
        product=series >> 32,
        location=series & 0xFFFFFFFF,
        history=history,
        revenue=revenue,
    )


def chunk_products(product: np.ndarray, chunk_size: int) -> list[np.ndarray]:
    """Split series (sorted by product) into chunks of about ``chunk_size`` series, cutting
    only between products. Returns each chunk's product ids."""
    products, first = np.unique(product, return_index=True)
    if products.size == 0:
        return []
    chunk_of_product = first // max(1, chunk_size)
    cuts = np.flatnonzero(np.diff(chunk_of_product)) + 1
    return np.split(products, cuts)


# --- computing and storing one chunk ------------------------------------------------------


def _overrides_for(product: np.ndarray, location: np.ndarray) -> np.ndarray:
    """The pinned method per series ('' where none): a location's own pin beats the SKU's
    pin for every location."""
    pinned = np.full(product.size, "", dtype=object)
    rows = MethodOverride.objects.filter(product_id__in=np.unique(product).tolist())
    every_location = [(o.product_id, o.method) for o in rows if o.location_id is None]
    one_location = [(o.product_id, o.location_id, o.method) for o in rows if o.location_id]
    for product_id, method in every_location:  # a loop over pins, not over series
        pinned[product == product_id] = method
    for product_id, location_id, method in one_location:
        pinned[(product == product_id) & (location == location_id)] = method
    return pinned


def _value_blocks(
    run: ForecastRun,
    block: SeriesBlock,
    forecasts: dict[str, Any],
    chosen: np.ndarray,
) -> list[bytes]:
    horizon = run.horizon
    first_day = (run.data_end + timedelta(days=1) - date(2000, 1, 1)).days
    days = first_day + np.arange(horizon, dtype=np.int64)
    blocks = []
    names = list(forecasts) if run.store_all_methods else list(np.unique(chosen))
    for name in names:
        rows = (
            np.arange(block.product.size)
            if run.store_all_methods
            else np.flatnonzero(chosen == name)
        )
        if rows.size == 0:
            continue
        result = forecasts[name]
        count = rows.size * horizon
        selected = np.repeat(chosen[rows] == name, horizon)
        columns: list[tuple[str, Any]] = [
            ("int8", run.pk),
            ("int8", np.repeat(block.product[rows], horizon)),
            ("int8", np.repeat(block.location[rows], horizon)),
            ("date", np.tile(days, rows.size)),
            ("text", name),
            ("bool", selected),
            ("float8", result.point[rows].ravel()),
        ]
        columns += [
            ("float8", result.quantiles[rows, level, :].ravel())
            for level in range(len(QUANTILE_LEVELS))
        ]
        blocks.append(bulk.encode_block(columns, count))
    return blocks


VALUE_COLUMNS = (
    "run_id",
    "product_id",
    "location_id",
    "date",
    "method",
    "selected",
    "forecast",
    *QUANTILE_FIELDS,
)
SELECTION_SCORE = "pinball"  # run_test_bed's default ranking score
SCORE_COLUMNS = ("run_id", "product_id", "location_id", "method", "rank", *SCORES)


def _nullable(values: np.ndarray) -> list[float | None]:
    values = np.asarray(values, dtype=np.float64)
    return [None if np.isnan(v) or np.isinf(v) else float(v) for v in values.tolist()]


def forecast_chunk_compute(*, run: ForecastRun, block: SeriesBlock) -> dict[str, float]:
    """Run the Test Bed on one block of series and store its forecasts, scores and classes
    (replacing what an earlier attempt stored for these products). Returns CPU seconds of
    the engine and wall seconds of the writes."""
    if block.product.size == 0:
        return {"test_bed": 0.0, "write": 0.0}
    spec = ForecastSpec(horizon=run.horizon, season_length=SEASON_LENGTH, levels=QUANTILE_LEVELS)
    methods = tuple(run.methods) or FAST_METHODS
    started = time.perf_counter()
    selection = run_test_bed(
        block.history,
        spec,
        methods=methods,
        folds=run.folds,
        score=SELECTION_SCORE,
        start_date=run.data_start,  # the history's first day: a month-of-year profile
    )
    pinned = _overrides_for(block.product, block.location)
    forecasts: dict[str, Any] = dict(selection.forecasts)
    for name in sorted(set(pinned) - {""} - set(forecasts)):
        forecasts[name] = method_named(name)(block.history, spec, None)[0]
    recommended = selection.recommendation
    has_pin = pinned != ""
    chosen = np.where(has_pin, pinned, recommended.method).astype(object)
    reason = np.where(has_pin, "override", recommended.reason)
    if run.store_all_methods:
        forecasts["ensemble"] = selection.ensemble
    test_bed_seconds = time.perf_counter() - started

    backtest = selection.backtest
    tested = list(backtest.methods)
    # Ranked by the score the engine selects by (mean pinball loss over the quantiles, the
    # engine's default): the leaderboard and the choice speak of the same thing. The choice
    # pools each series' scores with its pattern's (engine ``recommend``), so on a short,
    # noisy series it can be a close second.
    board = backtest.leaderboard(SELECTION_SCORE)  # names, best first
    column_of = {name: i for i, name in enumerate(tested)}
    board_columns = np.vectorize(column_of.__getitem__, otypes=[np.int64])(board)
    rank = np.empty_like(board_columns)
    np.put_along_axis(
        rank, board_columns, np.arange(1, len(tested) + 1)[None, :].repeat(len(board), 0), axis=1
    )
    runner_up = np.where(board[:, 0] == chosen, board[:, min(1, len(tested) - 1)], board[:, 0])
    chosen_column = np.array([column_of.get(name, -1) for name in chosen], dtype=np.int64)

    def chosen_score(score: str) -> np.ndarray:
        values = backtest.scores[score]
        picked = np.take_along_axis(values, np.maximum(chosen_column, 0)[:, None], axis=1)[:, 0]
        return np.where(chosen_column >= 0, picked, np.nan)

    parameters = []
    for i, name in enumerate(chosen):  # a small dict per series for the registry
        params = forecasts[name].params
        parameters.append(
            json.dumps(
                {key: _json_value(value[i]) for key, value in params.items() if len(value) > i}
            )
        )

    started = time.perf_counter()
    classes = selection.classification
    n = block.product.size
    products = block.product.tolist()
    with transaction.atomic(), connection.cursor() as cursor:
        _delete_rows(cursor, run, np.unique(block.product).tolist())
        bulk.copy_in(
            cursor,
            ForecastValue._meta.db_table,
            VALUE_COLUMNS,
            _value_blocks(run, block, forecasts, chosen),
        )
        score_blocks = [
            bulk.encode_block(
                [
                    ("int8", run.pk),
                    ("int8", block.product),
                    ("int8", block.location),
                    ("text", name),
                    ("int2", rank[:, j]),
                    *[("float8", backtest.scores[score][:, j]) for score in SCORES],
                ],
                n,
            )
            for j, name in enumerate(tested)
        ]
        bulk.copy_in(cursor, BacktestScore._meta.db_table, SCORE_COLUMNS, score_blocks)
        nan_check = sql.SQL(" OR ").join(
            sql.SQL("{} = 'NaN'").format(sql.Identifier(score)) for score in SCORES
        )
        cursor.execute(
            sql.SQL(
                "UPDATE {table} SET {sets} WHERE run_id = %s AND product_id = ANY(%s) AND ({check})"
            ).format(
                table=sql.Identifier(BacktestScore._meta.db_table),
                sets=sql.SQL(", ").join(
                    sql.SQL("{0} = NULLIF({0}, 'NaN')").format(sql.Identifier(s)) for s in SCORES
                ),
                check=nan_check,
            ),
            [run.pk, np.unique(block.product).tolist()],
        )
        cursor.execute(
            f"""
            INSERT INTO {SeriesClassification._meta.db_table}
                (run_id, product_id, location_id, pattern, xyz, abc, new_item, adi, cv2, cv,
                 method, runner_up, reason, parameters, mae, rmse, rmsse, wape, bias,
                 quantity_total, revenue_total)
            SELECT %s, p, l, pattern, xyz, '', new_item, adi, cv2, cv, method, runner_up,
                   reason, parameters::jsonb, mae, rmse, rmsse, wape, bias, quantity, revenue
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::bool[],
                        %s::float8[], %s::float8[], %s::float8[], %s::text[], %s::text[],
                        %s::text[], %s::text[], %s::float8[], %s::float8[], %s::float8[],
                        %s::float8[], %s::float8[], %s::float8[], %s::float8[])
                AS t(p, l, pattern, xyz, new_item, adi, cv2, cv, method, runner_up, reason,
                     parameters, mae, rmse, rmsse, wape, bias, quantity, revenue)
            """,  # noqa: S608 (table name from the model, values bound)
            [
                run.pk,
                products,
                block.location.tolist(),
                classes.pattern.astype(str).tolist(),
                classes.xyz.astype(str).tolist(),
                classes.new_item.astype(bool).tolist(),
                _nullable(classes.adi),
                _nullable(classes.cv2),
                _nullable(classes.cv),
                chosen.astype(str).tolist(),
                runner_up.astype(str).tolist(),
                reason.astype(str).tolist(),
                parameters,
                _nullable(chosen_score("mae")),
                _nullable(chosen_score("rmse")),
                _nullable(chosen_score("rmsse")),
                _nullable(chosen_score("wape")),
                _nullable(chosen_score("bias")),
                block.history.sum(axis=1).tolist(),
                block.revenue.tolist(),
            ],
        )
    return {"test_bed": test_bed_seconds, "write": time.perf_counter() - started}


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _delete_rows(cursor, run: ForecastRun, products: list[int]) -> None:
    for model in (ForecastValue, BacktestScore, SeriesClassification):
        cursor.execute(
            f"DELETE FROM {model._meta.db_table} WHERE run_id = %s AND product_id = ANY(%s)",  # noqa: S608
            [run.pk, products],
        )


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
    phases = {"load": load_seconds, "test_bed": 0.0, "write": 0.0}
    start = 0
    for index, products in enumerate(chunks):
        stop = start + int(np.isin(block.product[start:], products).sum())
        part = SeriesBlock(
            product=block.product[start:stop],
            location=block.location[start:stop],
            history=block.history[start:stop],
            revenue=block.revenue[start:stop],
        )
        seconds = forecast_chunk_compute(run=run, block=part)
        phases["test_bed"] += seconds["test_bed"]
        phases["write"] += seconds["write"]
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
    schema = connection.schema_name
    tenant = connection.tenant
    report(2, "Planning chunks")
    chunks = forecast_run_plan_chunks(run_id=run_id)
    connections.close_all()  # children must not share this process's connections
    tasks = [(schema, run_id, index, products) for index, products in enumerate(chunks)]
    with multiprocessing.get_context("fork").Pool(max(1, workers)) as pool:
        for done, _ in enumerate(pool.imap_unordered(_chunk_in_process, tasks), start=1):
            report(5 + int(90 * done / max(1, len(tasks))), f"Chunk {done} of {len(tasks)}")
    connection.set_tenant(tenant)
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
    product, counts = product[kept], counts[kept]  # as history_load leaves them out
    series_product = np.repeat(product, counts)
    chunks = chunk_products(series_product, forecast_settings_get().chunk_size)
    _mark_running(run, series=int(counts.sum()), chunks=len(chunks))
    return [chunk.tolist() for chunk in chunks]


def forecast_run_chunk(*, run_id: int, index: int, products: Sequence[int]) -> tuple[int, int]:
    """Load and compute one chunk of a distributed run; returns (chunks done, chunk count)."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status != ForecastRun.Status.RUNNING:
        return len(run.done_chunks), run.chunk_count
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
        if was_open is not None:
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
            _classify_abc(cursor, run)
            _registry_upsert(cursor, run)
        run.summary = _summary(run)
        if phases:
            run.summary["seconds"] = {k: round(v, 3) for k, v in phases.items()}
        run.status = ForecastRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.duration_seconds = (
            (run.finished_at - run.started_at).total_seconds() if run.started_at else None
        )
        run.save(update_fields=["summary", "status", "finished_at", "duration_seconds"])
        emit_event("forecast_run.completed", _run_event(run), actor=run.created_by_id)
        bump_namespace("forecasts")
        forecast_run_succeeded.send(sender=ForecastRun, run_id=run.pk)
    return run


def _run_event(run: ForecastRun) -> dict[str, Any]:
    return {
        "run_id": run.pk,
        "trigger": run.trigger,
        "horizon": run.horizon,
        "series": run.series_count,
        "data_end": run.data_end,
    }


def _classify_abc(cursor, run: ForecastRun) -> None:
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


def _registry_upsert(cursor, run: ForecastRun) -> None:
    registry = ModelRegistryEntry._meta.db_table
    classes = SeriesClassification._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {registry} AS r
            (product_id, location_id, method, challenger, reason, parameters, run_id,
             trained_at, data_start, data_end, mae, rmse, rmsse, wape, bias, drift_flagged)
        SELECT c.product_id, c.location_id, c.method, c.runner_up, c.reason, c.parameters,
               c.run_id, now(), %s, %s, c.mae, c.rmse, c.rmsse, c.wape, c.bias, false
        FROM {classes} c
        JOIN {Product._meta.db_table} p ON p.id = c.product_id
        JOIN {Location._meta.db_table} l ON l.id = c.location_id
        WHERE c.run_id = %s
        ON CONFLICT (product_id, location_id) DO UPDATE SET
            method = EXCLUDED.method, challenger = EXCLUDED.challenger,
            reason = EXCLUDED.reason, parameters = EXCLUDED.parameters, run_id = EXCLUDED.run_id,
            trained_at = EXCLUDED.trained_at, data_start = EXCLUDED.data_start,
            data_end = EXCLUDED.data_end, mae = EXCLUDED.mae, rmse = EXCLUDED.rmse,
            rmsse = EXCLUDED.rmsse, wape = EXCLUDED.wape, bias = EXCLUDED.bias,
            drift_flagged = false, recent_rmse = NULL, drift_ratio = NULL,
            drift_checked_at = NULL
        """,  # noqa: S608
        [run.data_start, run.data_end, run.pk],
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


def method_override_save(
    *,
    product: Any,
    location: Any = None,
    method: str,
    note: str = "",
    user: Any = None,
    override: MethodOverride | None = None,
) -> MethodOverride:
    """Pin ``method`` for a SKU (at one location, or every location); the next run uses it."""
    if method not in METHODS:
        raise ForecastInputError(
            f"Unknown forecasting method {method!r}.",
            details={"method": [f"choose from {sorted(METHODS)}"]},
        )
    clash = MethodOverride.objects.filter(product=product, location=location)
    if override is not None:
        clash = clash.exclude(pk=override.pk)
    if clash.exists():
        raise ForecastInputError(
            "This SKU and location already have a pinned method.",
            details={"product": ["Already pinned here; change that pin instead."]},
        )
    try:
        with transaction.atomic():
            override = override or MethodOverride(
                created_by=user if getattr(user, "pk", None) else None
            )
            override.product, override.location = product, location
            override.method, override.note = method, note
            override.save()
    except IntegrityError:  # a concurrent pin of the same SKU and location won the race
        raise ForecastInputError(
            "This SKU and location already have a pinned method.",
            details={"product": ["Already pinned here; change that pin instead."]},
        ) from None
    bump_namespace("forecasts")
    return override


def method_override_delete(*, override: MethodOverride) -> None:
    override.delete()
    bump_namespace("forecasts")


def scenario_create(
    *,
    name: str,
    base_run: ForecastRun,
    adjustments: list[dict[str, Any]],
    description: str = "",
    user: Any = None,
) -> Scenario:
    """A named what-if on a successful run (adjustments checked by the API serializer)."""
    if base_run.status != ForecastRun.Status.SUCCEEDED:
        raise ForecastInputError(
            "A scenario needs a successful base run.", details={"base_run": ["Not succeeded."]}
        )
    scenario = Scenario.objects.create(
        name=name,
        description=description,
        base_run=base_run,
        adjustments=adjustments,
        created_by=user if getattr(user, "pk", None) else None,
    )
    bump_namespace("forecasts")
    return scenario


def scenario_delete(*, scenario: Scenario) -> None:
    scenario.delete()
    bump_namespace("forecasts")


# --- drift and retraining -----------------------------------------------------------------


@dataclass(frozen=True)
class DriftResult:
    run_id: int | None
    days: int
    checked: int
    flagged: int
    retrain_run_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "days": self.days,
            "checked": self.checked,
            "flagged": self.flagged,
            "retrain_run_id": self.retrain_run_id,
        }


def forecast_drift_check(*, retrain: bool = True) -> DriftResult:
    """Compare each series' error since the latest successful run (its stored selected
    forecast against the actuals that arrived since; a day without a sale is zero) with its
    backtest RMSE. A series drifts when the recent RMSE exceeds ``drift_threshold`` × the
    backtest RMSE over at least ``drift_min_days`` days. Results go to the model registry;
    with ``retrain`` a drift-triggered run is queued unless one is already active."""
    from forecasting.selectors import latest_successful_run

    settings = forecast_settings_get()
    run = latest_successful_run()
    if run is None:
        return DriftResult(None, 0, 0, 0, None)
    sales = DemandHistory._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(date) FROM {sales}")  # noqa: S608
        (latest,) = cursor.fetchone()
    last_day = min(latest, run.data_end + timedelta(days=run.horizon)) if latest else None
    days = (last_day - run.data_end).days if last_day else 0
    if days < settings.drift_min_days:
        return DriftResult(run.pk, max(days, 0), 0, 0, None)
    registry = ModelRegistryEntry._meta.db_table
    values = ForecastValue._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH recent AS (
                SELECT v.product_id, v.location_id,
                       sqrt(avg((v.forecast - COALESCE(d.quantity, 0)::float8) ^ 2)) AS rmse
                FROM {values} v
                LEFT JOIN {sales} d ON d.product_id = v.product_id
                     AND d.location_id = v.location_id AND d.date = v.date
                WHERE v.run_id = %(run)s AND v.selected AND v.date <= %(last)s
                GROUP BY v.product_id, v.location_id
            )
            UPDATE {registry} r SET
                recent_rmse = e.rmse,
                drift_ratio = e.rmse / NULLIF(r.rmse, 0),
                drift_flagged = e.rmse > 0 AND e.rmse > %(threshold)s * COALESCE(r.rmse, 0),
                drift_checked_at = now()
            FROM recent e
            WHERE r.product_id = e.product_id AND r.location_id = e.location_id
              AND r.run_id = %(run)s
            RETURNING r.drift_flagged
            """,  # noqa: S608
            {"run": run.pk, "last": last_day, "threshold": settings.drift_threshold},
        )
        flags = [row[0] for row in cursor.fetchall()]
    flagged = sum(flags)
    bump_namespace("forecasts")
    retrain_run = None
    if flagged and retrain and forecast_run_active() is None:
        retrain_run = forecast_run_start(trigger=ForecastRun.Trigger.DRIFT)
    return DriftResult(run.pk, days, len(flags), flagged, retrain_run.pk if retrain_run else None)


def forecast_retrain_due(*, now: datetime | None = None) -> ForecastRun | None:
    """The scheduled retraining: start a run when the latest successful one is older than
    the tenant's ``retrain_interval_days`` (or there is none yet but there is history) and
    no run is active. Returns the queued run or None."""
    from forecasting.selectors import latest_successful_run

    if forecast_run_active() is not None:
        return None
    settings = forecast_settings_get()
    latest = latest_successful_run()
    now = now or timezone.now()
    if latest is not None and latest.finished_at > now - timedelta(
        days=settings.retrain_interval_days
    ):
        return None
    try:
        return forecast_run_start(trigger=ForecastRun.Trigger.SCHEDULE)
    except ForecastInputError:
        return None  # no (or too little) history yet: nothing to retrain
