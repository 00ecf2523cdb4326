"""Bottom-up aggregates agree at every level; scenarios multiply the base forecast where
their adjustments match, and stay in their tenant."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pytest
from django_tenants.utils import schema_context
from hypothesis import given
from hypothesis import strategies as st

from forecasting import selectors, services
from forecasting.models import ForecastValue
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import END, seed


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


def _all(client, url):
    rows, page = [], client.get(url).json()
    rows += page["results"]
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["results"]
    return rows


@pytest.mark.django_db
def test_levels_sum_consistently_from_product_location_to_tenant(planner):
    seed()
    run = _run(horizon=14, methods=["naive", "ses", "seasonal_naive"])
    client = client_for(HOST_A, planner)
    stored = defaultdict(float)
    for v in ForecastValue.objects.filter(run_id=run.pk, selected=True).select_related(
        "product__category"
    ):
        stored[(v.product.sku, v.date.isoformat())] += v.forecast

    for interval in ("day", "week", "month"):
        base = f"/api/v1/forecasts/aggregate/?interval={interval}&page_size=7"
        products = _all(client, f"{base}&level=product")
        categories = _all(client, f"{base}&level=category")
        tenant = _all(client, f"{base}&level=tenant")
        for field in ("forecast", "p50", "p90"):
            by_period = defaultdict(float)
            for row in products:
                by_period[row["period"]] += row[field]
            cat_period = defaultdict(float)
            for row in categories:
                cat_period[row["period"]] += row[field]
            assert {r["period"]: pytest.approx(r[field]) for r in tenant} == by_period
            assert dict(cat_period) == pytest.approx(dict(by_period))
        drinks = sum(r["forecast"] for r in categories if r["key"] == "FC Drinks")
        assert drinks == pytest.approx(
            sum(r["forecast"] for r in products if r["key"] in ("FC-A", "FC-B"))
        )
    daily = _all(client, "/api/v1/forecasts/aggregate/?level=product&sku=FC-B&page_size=1000")
    assert {r["key"] for r in daily} == {"FC-B"} and len(daily) == 14
    assert all(
        r["lower_90"] in (0.0, r["p05"]) and r["upper_90"] in (r["p90"], r["p95"]) for r in daily
    )
    for row in daily:
        assert row["forecast"] == pytest.approx(stored[("FC-B", row["period"])])
    # the product total is the sum of its locations' series
    series = client.get("/api/v1/forecasts/?sku=FC-B").json()["forecast"]
    assert [r["forecast"] for r in series] == pytest.approx([r["forecast"] for r in daily])
    only_food = _all(client, "/api/v1/forecasts/aggregate/?level=product&category=FC%20Food")
    assert {r["key"] for r in only_food} == {"FC-C"}

    assert_error(client.get("/api/v1/forecasts/aggregate/?level=planet"), 400)
    assert_error(client.get("/api/v1/forecasts/aggregate/"), 400)
    assert_error(client.get("/api/v1/forecasts/aggregate/?level=tenant&reconciliation=magic"), 400)
    assert_error(client.get("/api/v1/forecasts/aggregate/?level=product&category=Nope"), 404)


@pytest.mark.django_db
def test_scenario_multiplies_matching_sku_category_and_dates(planner, viewer):
    seed()
    run = _run(horizon=14, methods=["naive", "ses"])
    client = client_for(HOST_A, planner)
    first_week_end = (END + dt.timedelta(days=7)).isoformat()
    created = client.post(
        "/api/v1/scenarios/",
        {
            "name": "Summer promo",
            "adjustments": [
                {"sku": "FC-A", "multiplier": 2.0},
                {"category": "FC Food", "multiplier": 0.5, "date_to": first_week_end},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["base_run"] == run.pk
    detail = client.get(body["url"]).json()
    values = ForecastValue.objects.filter(run_id=run.pk, selected=True).select_related("product")
    expected_base, expected_scenario = defaultdict(float), defaultdict(float)
    for v in values:
        factor = 2.0 if v.product.sku == "FC-A" else 1.0
        if v.product.sku == "FC-C" and v.date.isoformat() <= first_week_end:
            factor *= 0.5
        expected_base[v.date.isoformat()] += v.forecast
        expected_scenario[v.date.isoformat()] += v.forecast * factor
    assert len(detail["periods"]) == 14
    for row in detail["periods"]:
        assert row["base"] == pytest.approx(expected_base[row["period"]])
        assert row["scenario"] == pytest.approx(expected_scenario[row["period"]])
    weekly = client.get(f"{body['url']}?interval=week").json()["periods"]
    assert sum(r["scenario"] for r in weekly) == pytest.approx(sum(expected_scenario.values()))
    assert_error(client.get(f"{body['url']}?interval=year"), 400)

    listing = client_for(HOST_A, viewer).get("/api/v1/scenarios/").json()
    assert listing["count"] == 1 and listing["results"][0]["name"] == "Summer promo"
    for bad in (
        {"name": "x", "adjustments": []},
        {"name": "x", "adjustments": [{"multiplier": 1.1}] * 101},
        {"name": "x", "adjustments": [{"multiplier": -1}]},
        {"name": "x", "adjustments": [{"multiplier": 1, "sku": "NOPE"}]},
        {"name": "x", "adjustments": [{"multiplier": 1}], "base_run": 999999},
        {
            "name": "x",
            "adjustments": [{"multiplier": 1, "date_from": "2026-05-10", "date_to": "2026-05-01"}],
        },
    ):
        response = client.post("/api/v1/scenarios/", bad, format="json")
        assert response.status_code in (400, 404), (bad, response.content)
        assert_error(response, response.status_code)
    assert_error(
        client_for(HOST_A, viewer).post(
            "/api/v1/scenarios/", {"name": "v", "adjustments": [{"multiplier": 1}]}, format="json"
        ),
        403,
    )
    assert client.delete(body["url"]).status_code == 204


@pytest.mark.django_db
def test_scenarios_stay_in_their_tenant(tenant_b, planner):
    seed()
    run = _run(horizon=7, methods=["naive"])
    scenario = services.scenario_create(
        name="Secret", base_run=run, adjustments=[{"multiplier": 3.0}]
    )
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    other = client_for(HOST_B, intruder)
    assert other.get("/api/v1/scenarios/").json()["count"] == 0
    assert_error(other.get(f"/api/v1/scenarios/{scenario.pk}/"), 404)
    assert_error(other.get("/api/v1/forecasts/aggregate/?level=tenant"), 404)


@given(
    multipliers=st.lists(st.floats(0.0, 10.0), min_size=0, max_size=4),
    skus=st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=20),
)
def test_multipliers_multiply_and_unmatched_rows_keep_one(multipliers, skus):
    sku = np.array(skus)
    category = np.array(["x"] * sku.size)
    day = np.array(["2026-01-01"] * sku.size, dtype="datetime64[D]")
    adjustments = [{"sku": "A", "multiplier": m} for m in multipliers]
    factor = selectors.scenario_multipliers(adjustments, sku, category, day)
    assert np.allclose(factor[sku != "A"], 1.0)
    assert np.allclose(factor[sku == "A"], float(np.prod(multipliers)) if multipliers else 1.0)
    everything = selectors.scenario_multipliers([{"multiplier": 2.0}], sku, category, day)
    assert np.allclose(everything, 2.0)
