"""Drift checks and scheduled retraining: when to start a new forecast run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from catalog.models import DemandHistory
from core.cache import bump_namespace
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    ForecastRun,
    ForecastValue,
    ModelRegistryEntry,
)
from forecasting.services.runs import forecast_run_active, forecast_run_start, forecast_settings_get


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
    with ``retrain`` a drift-triggered partial run of the drifted SKUs only is queued unless
    one is already active (the other series carry over from the latest run, ADR 38)."""
    from forecasting.selectors import latest_successful_run

    # Every series of the latest run is checked, the ones a partial run carried over too
    # (their registry entry keeps the run that fitted them, ADR 38).
    settings = forecast_settings_get()
    run = latest_successful_run()
    if run is None:
        return DriftResult(None, 0, 0, 0, None)
    assert run.data_end is not None  # set by forecast_run_start
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
            RETURNING r.drift_flagged, r.product_id
            """,  # noqa: S608
            {"run": run.pk, "last": last_day, "threshold": settings.drift_threshold},
        )
        rows = cursor.fetchall()
    flags = [row[0] for row in rows]
    flagged = sum(flags)
    drifted = sorted({row[1] for row in rows if row[0]})
    bump_namespace("forecasts")
    retrain_run = None
    if flagged and retrain and forecast_run_active() is None:
        # Only the SKUs that drifted are re-fitted; the rest carry over (ADR 38).
        retrain_run = forecast_run_start(trigger=ForecastRun.Trigger.DRIFT, products=drifted)
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
    if latest is not None:
        assert latest.finished_at is not None  # set when a run succeeds
        if latest.finished_at > now - timedelta(days=settings.retrain_interval_days):
            return None
    try:
        return forecast_run_start(trigger=ForecastRun.Trigger.SCHEDULE)
    except ForecastInputError:
        return None  # no (or too little) history yet: nothing to retrain
