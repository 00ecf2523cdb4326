"""The inventory refresh takes demand from the latest forecast run: the forecast's mean and its
error spread (the selected method's backtest RMSE), not the raw sales spread."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting import services
from forecasting.models import ForecastRun, SeriesClassification
from forecasting.selectors import latest_forecast_for_policy
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics, InventorySettings
from inventory.policy import PolicyInputs, PolicySettings, calculate_policy
from tests.forecasting_app.seed import END, seed

pytestmark = pytest.mark.django_db


def _forecast(horizon: int = 28):
    run = services.forecast_run_start(
        enqueue=False, horizon=horizon, methods=["ses", "seasonal_naive", "holt_winters_additive"]
    )
    return services.forecast_run_execute(run_id=run.pk)


def test_refresh_uses_the_forecast_mean_and_error_where_a_run_covers_the_day():
    products, locations = seed()
    raw = inventory_refresh(as_of=END)
    assert raw.forecast_pairs == 0
    raw_std = {(m.product_id, m.location_id): m.demand_std for m in InventoryMetrics.objects.all()}

    _forecast()
    forecast = latest_forecast_for_policy()
    result = inventory_refresh(as_of=END)
    assert result.forecast_pairs == len(forecast.product_id) == 6
    by_pair = {
        (int(p), int(loc)): (mean, sigma)
        for p, loc, mean, sigma in zip(
            forecast.product_id,
            forecast.location_id,
            forecast.mean_daily,
            forecast.sigma_daily,
            strict=True,
        )
    }
    for metrics in InventoryMetrics.objects.all():
        mean, sigma = by_pair[(metrics.product_id, metrics.location_id)]
        assert metrics.mean_daily_demand == pytest.approx(mean)
        # The backtest RMSE shrunk toward the pooled prior by n₀ / (n + n₀), n = 84 error
        # days / P = 8 (ADR 44 addendum): close to the forecast's own spread, not equal.
        assert metrics.demand_std == pytest.approx(sigma, rel=0.05)
    rmse = {
        (p, loc): value
        for p, loc, value in SeriesClassification.objects.filter(
            run_id=forecast.run_id
        ).values_list("product_id", "location_id", "rmse")
    }
    steady = InventoryMetrics.objects.get(product=products[0], location=locations[0])
    assert steady.demand_std == pytest.approx(rmse[(products[0].pk, locations[0].pk)], rel=0.05)
    # The weekly pattern is in the forecast, not in its error: the error spread is smaller
    # than the raw spread of daily sales, so the safety stock is too.
    assert steady.demand_std < raw_std[(products[0].pk, locations[0].pk)]


def test_a_forecast_that_no_longer_covers_the_day_is_not_used():
    seed()
    _forecast(horizon=14)
    assert inventory_refresh(as_of=END + np.timedelta64(14, "D").item()).forecast_pairs == 6
    assert inventory_refresh(as_of=END + np.timedelta64(15, "D").item()).forecast_pairs == 0


def _refresh_with_backtest_days(run_id: int, folds: int) -> dict[tuple[int, int], InventoryMetrics]:
    """The refresh with the run's backtest counted as ``folds`` folds of its 28-day horizon:
    the same stored RMSE per series, ``folds × 28 / P`` independent errors behind it."""
    ForecastRun.objects.filter(pk=run_id).update(folds=folds)
    inventory_refresh(as_of=END)
    return {(m.product_id, m.location_id): m for m in InventoryMetrics.objects.all()}


def _safety_stock_if_known(rows: list[InventoryMetrics]) -> np.ndarray:
    """The safety stock ``calculate_policy`` gives the stored spreads and levels when the
    spread is taken as known (no ``error_observations``): the refresh before ADR 44's
    addendum, on the same numbers."""
    settings = InventorySettings.objects.get()
    column = lambda name: np.array([float(getattr(m, name)) for m in rows])  # noqa: E731
    result = calculate_policy(
        PolicyInputs(
            mean_daily_demand=column("mean_daily_demand"),
            demand_std_daily=column("demand_std"),
            lead_time_days=column("lead_time_days"),
            lead_time_std_days=column("lead_time_std_days"),
            on_hand=column("on_hand"),
            service_level=column("service_level"),  # the levels the refresh allocated
            unit_cost=np.full(len(rows), np.nan),
        ),
        PolicySettings(
            review_period_days=float(settings.review_period_days), service_level_allocation="item"
        ),
    )
    return result.safety_stock


def test_a_spread_from_few_backtest_errors_gets_more_safety_stock_and_a_mature_one_barely_moves():
    products, locations = seed()
    run = _forecast()
    steady = [(products[p].pk, location.pk) for p in (0, 1) for location in locations]
    # The RMSE is over daily errors, one a day (ADR 44, launches addendum): one fold of the
    # 28-day horizon is 28 errors (t₃₀ at the level), the default three 84, thirteen 364.
    few = _refresh_with_backtest_days(run.pk, folds=1)
    default = _refresh_with_backtest_days(run.pk, folds=3)
    mature = _refresh_with_backtest_days(run.pk, folds=13)
    for key in steady:
        assert few[key].safety_stock > default[key].safety_stock > mature[key].safety_stock
        assert few[key].safety_stock > 1.01 * mature[key].safety_stock
    for rows in ([default[key] for key in steady], [mature[key] for key in steady]):
        known = _safety_stock_if_known(rows)
        moved = np.array([m.safety_stock for m in rows]) / known
        # The default backtest no longer widens a mature series by ×1.08 (84 / P = 10.5
        # errors before): t at ν ≈ 86 is within 1 % of the spread taken as known.
        assert np.all(moved >= 1.0)
        assert np.all(moved < 1.01)
