"""Incremental live scoring (ADR 38, addendum): scoring the actuals day by day as they arrive
— runs arriving in between, a stale run that shrinks an earlier run's window, stockout days,
days without a sale, a challenger in shadow and a stored method that is neither — leaves the
same scores as one recompute from scratch, and a day that arrives adds only that day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from catalog.models import DemandHistory, Location, Product
from forecasting import services
from forecasting.models import ForecastRun, ForecastValue, LiveScore, SeriesClassification

pytestmark = pytest.mark.django_db
START = dt.date(2026, 3, 1)
FIELDS = ("days", "actual", "abs_error", "error", "squared_error", "naive_abs_error")
KEYS = ("first_date", "last_date", "served", "pattern", "origin")


def _series():
    products = [Product.objects.create(sku=f"INC-{i}", name=f"I{i}") for i in range(3)]
    locations = [Location.objects.create(code=f"INC-L{i}", name=f"L{i}") for i in range(2)]
    return [(p, loc) for p in products for loc in locations]


def _sales(series, day, rng):
    """One day of actuals: some series sell nothing that day (no row), a few are flagged as
    stockouts."""
    rows = []
    for product, location in series:
        if rng.random() < 0.15:
            continue
        rows.append(
            DemandHistory(
                product=product,
                location=location,
                date=day,
                quantity=Decimal(int(rng.integers(0, 20))),
                stockout=True if rng.random() < 0.1 else None,
            )
        )
    DemandHistory.objects.bulk_create(rows)


def _forecast_run(series, origin, index, rng, horizon=10):
    run = ForecastRun.objects.create(
        horizon=horizon,
        status="succeeded",
        data_start=START,
        data_end=origin,
        finished_at=timezone.now() + dt.timedelta(minutes=index),
    )
    for k, (product, location) in enumerate(series):
        SeriesClassification.objects.create(
            run=run,
            product=product,
            location=location,
            pattern=("smooth", "erratic")[k % 2],
            xyz="X",
            method="ses",
            challenger="naive" if k % 3 == 0 else "",
            reason="backtest",
        )
        ForecastValue.objects.bulk_create(
            ForecastValue(
                run=run,
                product=product,
                location=location,
                date=origin + dt.timedelta(days=1 + h),
                method=method,
                selected=method == "ses",
                forecast=f,
                p05=f,
                p10=f,
                p50=f,
                p90=f,
                p95=f,
            )
            for method in ("ses", "naive", "theta")  # theta: stored, neither served nor trial
            for h, f in enumerate(rng.uniform(0, 20, horizon))
        )
    return run


def _scores():
    rows = LiveScore.objects.values_list(
        "run_id", "product_id", "location_id", "method", *KEYS, *FIELDS
    )
    return {tuple(r[:4]): r[4:] for r in rows}


def test_scoring_day_by_day_equals_a_recompute_from_scratch(tenant_a):
    rng = np.random.default_rng(18)
    series = _series()
    for offset in range(14):  # two weeks of history before the first origin
        _sales(series, START + dt.timedelta(days=offset), rng)
    runs = {13: 0, 20: 1, 27: 2}  # origin offset → run index (weekly runs)
    stale = 30  # on day 33 a run on data up to day 30 arrives: day 28's run now ends at 30
    written = []
    for offset in range(14, 45):
        day = START + dt.timedelta(days=offset)
        if offset - 1 in runs:
            _forecast_run(series, day - dt.timedelta(days=1), runs[offset - 1], rng)
        if offset == 33:
            _forecast_run(series, START + dt.timedelta(days=stale), 3, rng)
        _sales(series, day, rng)
        written.append(services.live_scores_update())
        if offset == 16:  # one day on top of two: served and challenger rows add a day each
            before = _scores()
        if offset == 17:
            after = _scores()
            grown = [k for k in after if after[k][5] == before.get(k, (0,) * 11)[5] + 1]
            assert grown and all(k[3] in ("ses", "naive") for k in after)
    assert services.live_scores_update() == 0  # nothing new: nothing written
    incremental = _scores()
    assert {k[3] for k in incremental} == {"ses", "naive"}  # not the stored theta
    # The stale run cut the third run's window to day 30: scored again from its origin.
    third = ForecastRun.objects.get(data_end=START + dt.timedelta(days=27))
    assert {v[1] for k, v in incremental.items() if k[0] == third.pk} == {
        START + dt.timedelta(days=stale)
    }
    assert services.live_scores_update(full=True) > 0
    full = _scores()
    assert incremental.keys() == full.keys()
    for key, row in full.items():
        assert incremental[key][: len(KEYS)] == row[: len(KEYS)], key
        assert incremental[key][len(KEYS) :] == pytest.approx(row[len(KEYS) :], rel=1e-9), key
    assert sum(written) > 0
