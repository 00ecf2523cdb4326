"""The Test Bed's ROI: safety stock and value the recommended methods save against the
current method (SS = z·σ_e·√L), from the run's stored backtest scores; tenant-bound."""

from __future__ import annotations

from decimal import Decimal
from math import sqrt

import pytest
from scipy import stats

from catalog.models import Product
from forecasting import services
from forecasting.models import BacktestScore, SeriesClassification
from tests.conftest import HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import seed

pytestmark = pytest.mark.django_db


def _run():
    run = services.forecast_run_start(
        enqueue=False, horizon=7, methods=["seasonal_naive", "ses", "holt_winters_additive"]
    )
    return services.forecast_run_execute(run_id=run.pk)


def test_roi_totals_match_the_formula_on_the_stored_scores(viewer):
    seed()
    Product.objects.update(unit_cost=Decimal("2.50"), lead_time_days=9)
    run = _run()
    client = client_for("alpha.localhost", viewer)
    body = client.get(f"/api/v1/test-bed/roi/?run={run.pk}&service_level=0.9").json()
    z = stats.norm.ppf(0.9)
    expected_units = 0.0
    for series in SeriesClassification.objects.filter(run=run, rmse__isnull=False):
        naive = BacktestScore.objects.get(
            run=run,
            product_id=series.product_id,
            location_id=series.location_id,
            method="seasonal_naive",
        )
        expected_units += z * sqrt(9) * (naive.rmse - series.rmse)
    assert body["series"] == 6 and body["current_method"] == "seasonal_naive"
    assert body["z"] == pytest.approx(z)
    assert body["units_saved"] == pytest.approx(expected_units)
    assert body["value_saved"] == pytest.approx(expected_units * 2.5)
    assert body["units_saved"] > 0  # the weekly pattern beats last week's copy
    assert body["holding_cost_saved_per_year"] == pytest.approx(body["value_saved"] * 0.25)
    saved = [row["value_saved"] for row in body["top_series"]]
    assert saved == sorted(saved, reverse=True) and len(saved) == 6
    # Against itself nothing is saved.
    same = client.get(f"/api/v1/test-bed/roi/?run={run.pk}&current=ses").json()
    assert same["series"] == 6


def test_roi_rejects_bad_input_and_stays_in_its_tenant(planner, tenant_b):
    from django_tenants.utils import schema_context

    seed()
    run = _run()
    client = client_for("alpha.localhost", planner)
    assert_error(client.get("/api/v1/test-bed/roi/?current=croston"), 400)
    assert_error(client.get("/api/v1/test-bed/roi/?service_level=1.2"), 400)
    assert_error(client.get("/api/v1/test-bed/roi/?holding_rate=-1"), 400)
    with schema_context(tenant_b.schema_name):
        other = make_user("admin")
    assert_error(client_for(HOST_B, other).get(f"/api/v1/test-bed/roi/?run={run.pk}"), 404)
