"""The product forecast page and the Test Bed page: login, data of the right tenant, the
chart data in the page, and the back-office pages of the forecasting models."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from forecasting import services
from forecasting.engine.methods import FAST_METHODS
from tests.conftest import HOST_A, HOST_B, make_user
from tests.forecasting_app.seed import seed


def _page_client(user, host=HOST_A) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def _script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, f"no {element_id} in the page"
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_product_page_shows_history_forecast_band_and_leaderboard(viewer):
    products, _ = seed()
    client = _page_client(viewer)
    empty = client.get(f"/app/products/{products[0].pk}/forecast/")
    assert empty.status_code == 200 and "No successful forecast run yet" in empty.content.decode()

    run = services.forecast_run_start(horizon=14, enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    page = client.get(f"/app/products/{products[0].pk}/forecast/?interval=day")
    assert page.status_code == 200
    html = page.content.decode()
    # The chart data is in the page; the script that draws it is a static file (ADR 31).
    assert "FC-A" in html and "forecast-data" in html and "pages/product_forecast.js" in html
    chart = _script(html, "forecast-data")
    assert len(chart["x"]) == 120 + 14
    assert chart["sales"][-15] is not None and chart["sales"][-1] is None
    assert all(lo <= hi for lo, hi in zip(chart["p10"][-14:], chart["p90"][-14:], strict=True))
    board = _script(html, "leaderboard-data")
    # Every fast method and the combination of the best ones (ADR 23).
    assert board["values"] == sorted(board["values"])
    assert len(board["labels"]) == len(FAST_METHODS) + 1
    weekly = client.get(f"/app/products/{products[0].pk}/forecast/?interval=week&location=FC-L1")
    weeks = _script(weekly.content.decode(), "forecast-data")["x"]
    assert len(weeks) < 40  # whole weeks only, each starting on a Monday
    assert all(dt.date.fromisoformat(w).weekday() == 0 for w in weeks)

    bed = client.get("/app/test-bed/")
    assert bed.status_code == 200
    methods = _script(bed.content.decode(), "methods-data")
    # Every fast method and the combination (ADR 23).
    assert len(methods["labels"]) == len(FAST_METHODS) + 1 and sum(methods["selected"]) == 6
    assert f'href="/app/products/{products[0].pk}/forecast/?location=' in bed.content.decode()


@pytest.mark.django_db
def test_pages_need_a_login_and_stay_in_their_tenant(tenant_b, viewer):
    products, _ = seed()
    run = services.forecast_run_start(horizon=7, methods=["naive"], enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    anonymous = Client(HTTP_HOST=HOST_A).get(f"/app/products/{products[0].pk}/forecast/")
    assert anonymous.status_code == 302 and "/app/login/" in anonymous["Location"]
    with schema_context(tenant_b.schema_name):
        outsider = make_user("admin")
        other = _page_client(outsider, HOST_B)
    assert other.get(f"/app/products/{products[0].pk}/forecast/").status_code == 404
    bed = other.get("/app/test-bed/").content.decode()
    assert "No successful forecast run yet" in bed


@pytest.mark.django_db
def test_back_office_lists_runs_registry_overrides_and_scenarios(tenant_admin):
    products, _ = seed()
    run = services.forecast_run_start(horizon=7, methods=["naive"], enqueue=False)
    run = services.forecast_run_execute(run_id=run.pk)
    services.method_override_save(product=products[0], method="ses")
    services.scenario_create(
        name="Promo", base_run=run, adjustments=[{"multiplier": 1.5, "sku": "FC-A"}]
    )
    tenant_admin.is_staff = True
    tenant_admin.save()
    client = _page_client(tenant_admin)
    for path, text in (
        ("/admin/forecasting/forecastrun/", f"{run.pk}"),
        ("/admin/forecasting/modelregistryentry/", "naive"),
        ("/admin/forecasting/methodoverride/", "ses"),
        ("/admin/forecasting/scenario/", "Promo"),
        ("/admin/forecasting/forecastsettings/", ""),
        (f"/admin/forecasting/forecastrun/{run.pk}/change/", "succeeded"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode()
