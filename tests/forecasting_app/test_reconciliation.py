"""OLS and MinT-shrink reconciliation of a real run through the aggregate endpoint: the
levels add up exactly, the answer differs from bottom-up where the upper base forecasts do,
bad input is a 400 envelope, tenants stay apart and the query count is fixed."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import selectors, services
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.reconciled import reconcile_hierarchy
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import seed

URL = "/api/v1/forecasts/aggregate/"


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


def _rows(client, query):
    response = client.get(f"{URL}?{query}&page_size=1000")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None
    return body["results"]


def _queries(context):
    texts = (str(q["sql"]) for q in context.captured_queries)
    return [text[:80] for text in texts if not text.startswith("SET ")]


def _by(rows, field="forecast"):
    return {(r["key"], r["period"]): r[field] for r in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["ols", "mint_shrink"])
def test_reconciled_levels_add_up_and_differ_from_bottom_up(planner, method):
    seed()
    run = _run(horizon=14, methods=["naive", "ses"])
    client = client_for(HOST_A, planner)
    daily_total = None
    for interval in ("day", "week", "month"):
        query = f"interval={interval}&reconciliation={method}"
        products = _rows(client, f"level=product&{query}")
        categories = _rows(client, f"level=category&{query}")
        tenant = _rows(client, f"level=tenant&{query}")
        periods = sorted({r["period"] for r in tenant})
        assert len(tenant) == len(periods) and {r["key"] for r in tenant} == {"total"}
        product_sum, category_sum, drinks = (defaultdict(float) for _ in range(3))
        for row in products:
            product_sum[row["period"]] += row["forecast"]
            if row["key"] in ("FC-A", "FC-B"):
                drinks[row["period"]] += row["forecast"]
        for row in categories:
            category_sum[row["period"]] += row["forecast"]
        total = {r["period"]: r["forecast"] for r in tenant}
        # every day's change lands in its week / month: the grand total does not move
        daily_total = daily_total if daily_total is not None else sum(total.values())
        assert sum(total.values()) == pytest.approx(daily_total, rel=1e-9)
        assert dict(product_sum) == pytest.approx(total, rel=1e-9, abs=1e-9)
        assert dict(category_sum) == pytest.approx(total, rel=1e-9, abs=1e-9)
        by_category = _by(categories)
        for period in periods:
            assert by_category[("FC Drinks", period)] == pytest.approx(drinks[period], abs=1e-9)
        # quantiles: the bottom-up band moved by the mean's change, never below zero
        bottom = _by(_rows(client, f"level=tenant&interval={interval}"), "p90")
        bottom_mean = _by(_rows(client, f"level=tenant&interval={interval}"))
        for row in tenant:
            key = (row["key"], row["period"])
            shift = row["forecast"] - bottom_mean[key]
            assert row["p90"] == pytest.approx(max(bottom[key] + shift, 0.0))
            assert row["p05"] <= row["p50"] <= row["p95"]

    # the upper levels' own base forecasts (Holt-Winters, theta …) move the answer
    reconciled = _by(_rows(client, f"level=tenant&reconciliation={method}"))
    bottom_up = _by(_rows(client, "level=tenant"))
    assert reconciled.keys() == bottom_up.keys() and len(reconciled) == 14
    assert max(abs(reconciled[k] - bottom_up[k]) for k in reconciled) > 1e-3
    # filters: one SKU's reconciled rows are that SKU's rows of the full answer
    full = _by(_rows(client, f"level=product&reconciliation={method}"))
    only_b = _rows(client, f"level=product&sku=FC-B&reconciliation={method}")
    assert {r["key"] for r in only_b} == {"FC-B"}
    for row in only_b:
        assert row["forecast"] == pytest.approx(full[("FC-B", row["period"])])
    food = _rows(client, f"level=category&category=FC%20Food&reconciliation={method}")
    assert {r["key"] for r in food} == {"FC Food"}
    data = selectors.reconciled_bottom(run=run, method=method)
    assert data["change"].shape == (6, 14)
    assert sum(data["upper_methods"].values()) == 1 + 2 + 3  # total, categories, products


@pytest.mark.django_db
def test_ols_and_mint_answer_differently_and_are_cached(planner):
    seed()
    run = _run(horizon=7, methods=["naive", "seasonal_naive"])
    client = client_for(HOST_A, planner)
    ols = _by(_rows(client, "level=product&reconciliation=ols"))
    mint = _by(_rows(client, "level=product&reconciliation=mint_shrink"))
    assert ols.keys() == mint.keys()
    assert max(abs(ols[k] - mint[k]) for k in ols) > 1e-6
    with CaptureQueriesContext(connection) as cold:
        _rows(client, f"level=category&reconciliation=ols&run={run.pk}&interval=month")
    # domain, user, run, the bottom-up sums (the reconciled bottoms are cached per run)
    assert len(_queries(cold)) == 4, _queries(cold)
    with CaptureQueriesContext(connection) as warm:
        _rows(client, f"level=category&reconciliation=ols&run={run.pk}&interval=month")
    assert len(_queries(warm)) == 3, _queries(warm)  # domain, user, run


@pytest.mark.django_db
def test_first_reconciled_read_has_a_fixed_query_count(planner):
    seed()
    _run(horizon=7, methods=["naive"])
    client = client_for(HOST_A, planner)
    with CaptureQueriesContext(connection) as first:
        _rows(client, "level=tenant&reconciliation=mint_shrink")
    # domain, user, run, selected forecasts, the history (one COPY), products, bottom-up
    # sums: nothing per series
    assert len(_queries(first)) == 7, _queries(first)


@pytest.mark.django_db
def test_bad_reconciliation_requests_are_400_and_tenants_stay_apart(planner, tenant_b, monkeypatch):
    seed()
    run = _run(horizon=7, methods=["naive"])
    client = client_for(HOST_A, planner)
    assert_error(client.get(f"{URL}?level=tenant&reconciliation=mint"), 400)
    assert_error(client.get(f"{URL}?level=tenant&reconciliation=OLS"), 400)
    monkeypatch.setattr(selectors.hierarchy, "MAX_RECONCILED_SERIES", 5)
    error = assert_error(client.get(f"{URL}?level=tenant&reconciliation=ols"), 400)
    assert "bottom_up" in error["message"] and "reconciliation" in error["details"]
    assert client.get(f"{URL}?level=tenant").status_code == 200  # bottom-up has no cap
    monkeypatch.undo()
    assert client.get(f"{URL}?level=tenant&reconciliation=ols").status_code == 200

    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    other = client_for(HOST_B, intruder)
    assert_error(other.get(f"{URL}?level=tenant&reconciliation=ols&run={run.pk}"), 404)
    assert_error(other.get(f"{URL}?level=tenant&reconciliation=mint_shrink"), 404)
    # with a run of its own, each tenant reads its own reconciled rows (cache per tenant)
    ours = {r["key"] for r in _rows(client, "level=product&reconciliation=ols")}
    with schema_context(tenant_b.schema_name):
        seed("FB", scale=3.0)
        _run(horizon=7, methods=["naive"])
    theirs = {r["key"] for r in _rows(other, "level=product&reconciliation=ols")}
    assert ours == {"FC-A", "FC-B", "FC-C"} and theirs == {"FB-A", "FB-B", "FB-C"}
    assert {r["key"] for r in _rows(client, "level=product&reconciliation=ols")} == ours


def test_engine_reconciled_forecasts_are_coherent_and_keep_coherent_bases():
    rng = np.random.default_rng(3)
    history = rng.poisson(12.0, (4, 84)).astype(float)
    levels = [("category", np.array([1, 1, 2, 2])), ("product", np.array([1, 2, 3, 3]))]
    spec = ForecastSpec(horizon=7)
    for method in ("ols", "mint_shrink"):
        result = reconcile_hierarchy(
            history,
            np.full((4, 7), 12.0),
            levels,
            spec,
            method,
            bottom_methods=np.array(["ses", "naive", "ensemble", "ses"], dtype=object),
        )
        summed = result.tree.aggregate(result.reconciled[-4:])
        np.testing.assert_allclose(result.reconciled, summed, atol=1e-9)
        assert result.residuals.shape == (result.tree.nodes, 3 * 7)
        assert set(result.node_method[:-4]) <= {
            "seasonal_naive",
            "ses",
            "holt_winters_additive",
            "theta",
        }
    with pytest.raises(ValueError, match="ols"):
        reconcile_hierarchy(history, np.zeros((4, 7)), levels, spec, "bottom_up")
    with pytest.raises(ValueError, match="too few"):
        reconcile_hierarchy(history[:, :8], np.zeros((4, 7)), levels, spec, "ols")
    with pytest.raises(ValueError, match="bottom series"):
        reconcile_hierarchy(history, np.zeros((3, 7)), levels, spec, "ols")


@settings(max_examples=15, deadline=None)
@given(
    products=st.lists(st.integers(0, 3), min_size=2, max_size=8),
    scale=st.floats(0.5, 50.0),
    seed_=st.integers(0, 1000),
    method=st.sampled_from(["ols", "mint_shrink"]),
)
def test_any_hierarchy_reconciles_to_sums(products, scale, seed_, method):
    """Property: whatever the tree and the demand, every node of the answer is the sum of
    its bottom series, and the stored bottom forecasts only move by the change reported."""
    rng = np.random.default_rng(seed_)
    product = np.array(products)
    history = rng.poisson(scale, (product.size, 35)).astype(float)
    bottom = rng.uniform(0, scale, (product.size, 7))
    result = reconcile_hierarchy(
        history, bottom, [("category", product % 2), ("product", product)], ForecastSpec(7), method
    )
    np.testing.assert_allclose(
        result.reconciled, result.tree.aggregate(result.reconciled[-product.size :]), atol=1e-7
    )
    np.testing.assert_allclose(bottom + result.bottom_change, result.reconciled[-product.size :])
    assert np.isfinite(result.reconciled).all()
