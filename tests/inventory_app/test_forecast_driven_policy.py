"""The inventory refresh takes demand from the latest forecast run: the forecast's mean and its
error spread (the selected method's backtest RMSE), not the raw sales spread."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting import services
from forecasting.models import SeriesClassification
from forecasting.selectors import latest_forecast_for_policy
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics
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
        assert metrics.demand_std == pytest.approx(sigma)
    rmse = {
        (p, loc): value
        for p, loc, value in SeriesClassification.objects.filter(
            run_id=forecast.run_id
        ).values_list("product_id", "location_id", "rmse")
    }
    steady = InventoryMetrics.objects.get(product=products[0], location=locations[0])
    assert steady.demand_std == pytest.approx(rmse[(products[0].pk, locations[0].pk)])
    # The weekly pattern is in the forecast, not in its error: the error spread is smaller
    # than the raw spread of daily sales, so the safety stock is too.
    assert steady.demand_std < raw_std[(products[0].pk, locations[0].pk)]


def test_a_forecast_that_no_longer_covers_the_day_is_not_used():
    seed()
    _forecast(horizon=14)
    assert inventory_refresh(as_of=END + np.timedelta64(14, "D").item()).forecast_pairs == 6
    assert inventory_refresh(as_of=END + np.timedelta64(15, "D").item()).forecast_pairs == 0
