"""The ``forecast`` and ``etl`` exclusion scopes, honoured outside the inventory policy: a
forecast run leaves excluded products out, a sales import does not write their rows."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from catalog.models import DemandHistory, Location, Product
from catalog.services import product_exclusion_create
from etl.importing import run_import
from forecasting import services
from forecasting.models import ForecastValue, SeriesClassification
from tests.forecasting_app.seed import seed

pytestmark = pytest.mark.django_db


def test_a_forecast_run_leaves_out_products_excluded_from_forecasting():
    products, _locations = seed()
    product_exclusion_create(product=products[1], reason="discontinued", scopes=["forecast"])
    product_exclusion_create(product=products[2], reason="kept out of ABC", scopes=["abc"])
    run = services.forecast_run_start(enqueue=False, horizon=7, methods=["ses", "naive"])
    run = services.forecast_run_execute(run_id=run.pk)
    forecast_products = set(
        ForecastValue.objects.filter(run=run).values_list("product_id", flat=True)
    )
    assert forecast_products == {products[0].pk, products[2].pk}
    classified = set(
        SeriesClassification.objects.filter(run=run).values_list("product_id", flat=True)
    )
    assert classified == forecast_products
    assert run.series_count == 4  # two products at two locations


def _sales(text: str):
    data = text.encode()
    return run_import(kind="sales", stream=io.BytesIO(data), size=len(data))


def test_a_sales_import_skips_rows_of_products_excluded_from_data_imports():
    keep = Product.objects.create(sku="KEEP", name="kept")
    frozen = Product.objects.create(sku="FROZEN", name="frozen")
    Location.objects.create(code="S1", name="Store")
    first = _sales("date,sku,location,quantity\n2026-01-01,KEEP,S1,1\n2026-01-01,FROZEN,S1,5\n")
    assert (first.inserted, first.warnings) == (2, [])
    product_exclusion_create(product=frozen, reason="history is curated by hand", scopes=["etl"])
    report = _sales(
        "date,sku,location,quantity\n2026-01-01,KEEP,S1,2\n2026-01-01,FROZEN,S1,9\n"
        "2026-01-02,FROZEN,S1,9\n"
    )
    assert report.status == "imported"
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert report.warnings == ["2 rows of products excluded from data imports were not written."]
    history = dict(
        DemandHistory.objects.filter(date__year=2026).values_list("product_id", "quantity")
    )
    assert history == {keep.pk: Decimal("2"), frozen.pk: Decimal("5")}
