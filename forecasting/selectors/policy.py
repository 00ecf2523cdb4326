"""The latest forecast as the inventory policy reads it (mean and error per pair)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection

from forecasting.models import (
    ForecastValue,
    SeriesClassification,
)
from forecasting.selectors.runs import (
    latest_successful_run,
)

Z_90 = 1.2815515655446004  # standard normal 0.9 quantile


@dataclass(frozen=True)
class PolicyForecast:
    """Per product × location of the latest successful run (arrays of one length):
    ``mean_daily`` forecast over the horizon (units/day), ``sigma_daily`` the daily error
    standard deviation (the selected method's backtest RMSE, or from the p10–p90 spread
    where the series had no backtest), and ``p50_total`` / ``p90_total`` over the horizon."""

    run_id: int | None
    horizon: int
    product_id: np.ndarray
    location_id: np.ndarray
    mean_daily: np.ndarray
    sigma_daily: np.ndarray
    p50_total: np.ndarray
    p90_total: np.ndarray
    data_end: date | None = None  # the run's last day of history; forecasts start after
    # Days of backtest error behind ``sigma_daily`` (the run's folds × horizon, each fold's
    # last day ending at ``data_end``); NaN where the spread came from the p10–p90 band.
    error_days: np.ndarray | None = None


def latest_forecast_for_policy() -> PolicyForecast:
    """The latest successful run's selected forecasts as arrays (empty without a run)."""
    run = latest_successful_run()
    empty = np.zeros(0)
    if run is None:
        return PolicyForecast(
            None, 0, empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT v.product_id, v.location_id, AVG(v.forecast), SUM(v.p50), SUM(v.p90),
                   MAX(c.rmse), AVG(v.p90 - v.p10)
            FROM {ForecastValue._meta.db_table} v
            LEFT JOIN {SeriesClassification._meta.db_table} c ON c.run_id = v.run_id
                 AND c.product_id = v.product_id AND c.location_id = v.location_id
            WHERE v.run_id = %s AND v.selected
            GROUP BY v.product_id, v.location_id ORDER BY v.product_id, v.location_id
            """,  # noqa: S608
            [run.pk],
        )
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.float64).reshape(-1, 7)  # NULL becomes NaN
    spread_sigma = table[:, 6] / (2 * Z_90)
    sigma = np.where(np.isnan(table[:, 5]), spread_sigma, table[:, 5])
    return PolicyForecast(
        run_id=run.pk,
        horizon=run.horizon,
        product_id=table[:, 0].astype(np.int64),
        location_id=table[:, 1].astype(np.int64),
        mean_daily=table[:, 2],
        sigma_daily=sigma,
        p50_total=table[:, 3],
        p90_total=table[:, 4],
        data_end=run.data_end,
        error_days=np.where(np.isnan(table[:, 5]), np.nan, float(run.folds * run.horizon)),
    )
