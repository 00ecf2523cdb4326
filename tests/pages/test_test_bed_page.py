"""The Test Bed in planner terms: accuracy % (1 − WAPE) per day, week and month and bias %
beside RMSSE, the ROI estimate, and each SKU's class as the stock pages show it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.test import Client

from forecasting import services
from forecasting.engine import metrics
from forecasting.models import BacktestScore, SeriesClassification
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A
from tests.forecasting_app.seed import seed


def test_bucket_wape_sums_whole_buckets_and_bias_is_relative():
    actual = np.array([[10.0] * 14 + [10.0] * 3])  # 2 whole weeks and 3 days left out
    # Days alternate 5 over and 5 under: daily WAPE 50 %, weekly sums nearly cancel.
    forecast = actual + np.array([[5.0, -5.0] * 7 + [100.0] * 3])
    assert metrics.wape(actual[:, :14], forecast[:, :14])[0] == pytest.approx(0.5)
    # Each week: +5 −5 … +5 (7 days): +5 off 70.
    assert metrics.bucket_wape(actual, forecast, 7)[0] == pytest.approx(10 / 140)
    assert np.isnan(metrics.bucket_wape(actual, forecast, 28)[0])  # not one whole month
    assert metrics.relative_bias(np.array([[10.0, 10.0]]), np.array([[12.0, 13.0]]))[
        0
    ] == pytest.approx(0.25)


@pytest.mark.django_db
def test_test_bed_shows_accuracy_bias_roi_and_the_stock_class(viewer):
    products, _ = seed()
    run = services.forecast_run_start(
        horizon=28, methods=["naive", "seasonal_naive", "ses"], enqueue=False
    )
    services.forecast_run_execute(run_id=run.pk)
    scores = BacktestScore.objects.filter(run=run)
    assert scores.filter(wape_week__isnull=False, wape_month__isnull=False).exists()
    # Weekly sums are easier to forecast than days for these weekly-seasonal series.
    smooth = scores.filter(product=products[0], method="ses")
    assert all(s.wape_week < s.wape for s in smooth)
    inventory_refresh(as_of=dt.date(2026, 4, 30))
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(viewer)
    html = client.get("/app/test-bed/").content.decode()
    assert "Accuracy per week" in html and "Accuracy per month" in html and "Bias" in html
    assert 'id="methods-table"' in html and "RMSSE" in html
    assert 'id="roi"' in html and "seasonal_naive" in html
    # Money in the tenant's currency, as on the dashboard.
    from purchasing.selectors import purchasing_settings_get

    settings = purchasing_settings_get()
    settings.currency = "SEK"
    settings.save()
    html = client.get("/app/test-bed/").content.decode()
    card = html[html.index('id="roi-value"') :][:120]
    assert "<small>SEK</small>" in card, card
    assert "Value saved (SEK)" in html
    # The class in the hardest-series table is the stock one (InventoryMetrics).
    worst = SeriesClassification.objects.filter(run=run).order_by("-rmsse").first()
    metric = InventoryMetrics.objects.get(
        product_id=worst.product_id, location_id=worst.location_id
    )
    table = html[html.index('id="worst-series"') :]
    row = table[table.index(worst.product.sku) :][:400]
    assert f"<td>{metric.abc_class or '–'}{metric.xyz_class}</td>" in row
    # The API's summary carries the same figures, and matches its schema serializer.
    from forecasting.api.serializers import TestBedSummarySerializer
    from forecasting.selectors import test_bed_summary

    summary = test_bed_summary(user=viewer, run_id=run.pk)
    accuracy = TestBedSummarySerializer(summary).data["accuracy"]
    assert 0 <= accuracy["accuracy_week"] <= 1 and accuracy["series"] == 6
    assert accuracy["accuracy_week"] > accuracy["accuracy_day"]
