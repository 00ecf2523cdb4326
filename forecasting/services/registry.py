"""The model registry: what each series is forecast with (``ModelRegistryEntry``, the current
champion and challenger) and the versions behind it (``ModelVersion``), written in bulk when a
run finishes (ADR 38)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.models import Location, Product
from forecasting.models import (
    BacktestScore,
    ForecastRun,
    ModelRegistryEntry,
    ModelVersion,
    SeriesClassification,
)

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

SCORE_COLUMNS = ("mae", "rmse", "rmsse", "wape", "bias")


def registry_upsert(
    cursor: CursorWrapper, run: ForecastRun, *, products: list[int] | None = None
) -> None:
    """The run's series into the registry and its versions, set-based: the served method is
    the champion (a new champion version where it changed: first model, or a pin), the
    shadowed method the challenger (a new challenger version where none was on trial); a
    version whose method stays is refreshed with this run's parameters and backtest scores.
    ``products`` limits it to the SKUs a partial run re-fitted (the carried-over series keep
    their entries and versions)."""
    registry = ModelRegistryEntry._meta.db_table
    classes = SeriesClassification._meta.db_table
    versions = ModelVersion._meta.db_table
    scores = BacktestScore._meta.db_table
    series = f"""
        FROM {classes} c
        JOIN {Product._meta.db_table} p ON p.id = c.product_id
        JOIN {Location._meta.db_table} l ON l.id = c.location_id
        WHERE c.run_id = %(run)s AND (%(all)s OR c.product_id = ANY(%(products)s::bigint[]))
    """
    same = "v.product_id = c.product_id AND v.location_id = c.location_id"
    params = {
        "run": run.pk,
        "start": run.data_start,
        "end": run.data_end,
        "all": products is None,
        "products": products or [],
    }
    only = "AND (%(all)s OR c.product_id = ANY(%(products)s::bigint[]))"
    cursor.execute(
        f"""
        INSERT INTO {registry} AS r
            (product_id, location_id, method, challenger, reason, parameters, run_id,
             trained_at, data_start, data_end, mae, rmse, rmsse, wape, bias, drift_flagged)
        SELECT c.product_id, c.location_id, c.method, c.challenger, c.reason, c.parameters,
               c.run_id, now(), %(start)s, %(end)s, c.mae, c.rmse, c.rmsse, c.wape, c.bias, false
        {series}
        ON CONFLICT (product_id, location_id) DO UPDATE SET
            method = EXCLUDED.method, challenger = EXCLUDED.challenger,
            reason = EXCLUDED.reason, parameters = EXCLUDED.parameters, run_id = EXCLUDED.run_id,
            trained_at = EXCLUDED.trained_at, data_start = EXCLUDED.data_start,
            data_end = EXCLUDED.data_end, mae = EXCLUDED.mae, rmse = EXCLUDED.rmse,
            rmsse = EXCLUDED.rmsse, wape = EXCLUDED.wape, bias = EXCLUDED.bias,
            drift_flagged = false, recent_rmse = NULL, drift_ratio = NULL,
            drift_checked_at = NULL
        """,
        params,
    )
    # Versions whose method the run no longer serves or shadows retire.
    for status, column, why in (
        (
            "champion",
            "c.method",
            "CASE WHEN c.reason = 'override' THEN 'pinned over' ELSE 'replaced' END",
        ),
        ("challenger", "c.challenger", "'withdrawn'"),
    ):
        cursor.execute(
            f"""
            UPDATE {versions} v SET status = 'retired', retired_at = now(),
                   retired_reason = {why}
            FROM {classes} c
            WHERE c.run_id = %(run)s {only} AND {same} AND v.status = '{status}'
              AND v.method <> {column}
            """,  # noqa: S608
            params,
        )
    sets = ", ".join(f"{name} = c.{name}" for name in SCORE_COLUMNS)
    cursor.execute(
        f"""
        UPDATE {versions} v SET parameters = c.parameters, last_run_id = c.run_id, {sets}
        FROM {classes} c
        WHERE c.run_id = %(run)s {only} AND {same} AND v.status = 'champion'
          AND v.method = c.method
        """,  # noqa: S608
        params,
    )
    columns = ", ".join(SCORE_COLUMNS)
    cursor.execute(
        f"""
        INSERT INTO {versions}
            (product_id, location_id, method, status, parameters, run_id, last_run_id,
             {columns}, created_at, promoted_at, promotion, retired_reason, evidence)
        SELECT c.product_id, c.location_id, c.method, 'champion', c.parameters, c.run_id,
               c.run_id, {", ".join(f"c.{n}" for n in SCORE_COLUMNS)}, now(), now(),
               CASE WHEN c.reason = 'override' THEN 'override' ELSE 'initial' END, '', '{{}}'
        {series}
          AND NOT EXISTS (SELECT 1 FROM {versions} v WHERE {same} AND v.status = 'champion')
        """,  # noqa: S608
        params,
    )
    backtest = f"""
        LEFT JOIN {scores} b ON b.run_id = c.run_id AND b.product_id = c.product_id
             AND b.location_id = c.location_id AND b.method = c.challenger
    """
    sets = ", ".join(f"{name} = b.{name}" for name in SCORE_COLUMNS)
    cursor.execute(
        f"""
        UPDATE {versions} v SET parameters = c.challenger_parameters,
               last_run_id = c.run_id, {sets}
        FROM {classes} c {backtest}
        WHERE c.run_id = %(run)s {only} AND {same} AND v.status = 'challenger'
          AND v.method = c.challenger
        """,  # noqa: S608
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO {versions}
            (product_id, location_id, method, status, parameters, run_id, last_run_id,
             {columns}, created_at, promotion, retired_reason, evidence)
        SELECT c.product_id, c.location_id, c.challenger, 'challenger',
               c.challenger_parameters, c.run_id, c.run_id,
               {", ".join(f"b.{n}" for n in SCORE_COLUMNS)}, now(), '', '', '{{}}'
        FROM {classes} c
        JOIN {Product._meta.db_table} p ON p.id = c.product_id
        JOIN {Location._meta.db_table} l ON l.id = c.location_id
        {backtest}
        WHERE c.run_id = %(run)s {only} AND c.challenger <> ''
          AND NOT EXISTS (SELECT 1 FROM {versions} v WHERE {same} AND v.status = 'challenger')
        """,  # noqa: S608
        params,
    )
