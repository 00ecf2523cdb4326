"""The aggregate endpoint's category filter: a category name used twice in the tree, and
sub-categories, aggregate every product below every category of that name."""

from __future__ import annotations

import pytest

from catalog.models import Category, Product
from forecasting import services as forecasting_services
from tests.conftest import assert_error
from tests.forecasting_app.seed import seed

pytestmark = pytest.mark.django_db


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
