"""The model registry: what each series is forecast with, upserted when a run finishes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.models import Location, Product
from forecasting.models import (
    ForecastRun,
    ModelRegistryEntry,
    SeriesClassification,
)

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper


def registry_upsert(cursor: CursorWrapper, run: ForecastRun) -> None:
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
