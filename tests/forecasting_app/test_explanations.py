"""Forecast explanations through a real run (ADR 39): stored per series, the API's parts add
up to the served forecast, campaigns show as promotion uplift, the gradient-boosting model's
importance, bad input, and tenancy."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import schema_context

from catalog.models import DemandHistory
from forecasting import services
from forecasting.models import ForecastExplanation, ForecastValue
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.forecasting_app.seed import END, seed

pytestmark = pytest.mark.django_db
PARTS = ("level", "trend", "weekly", "yearly", "promotion", "other")


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


def _campaigns(product, location):
    start = END - dt.timedelta(days=199)
    for k, offset in enumerate((30, 70, 110, 150)):
        days = [start + dt.timedelta(days=offset + i) for i in range(5)]
        for row in DemandHistory.objects.filter(product=product, location=location, date__in=days):
            row.quantity *= 2
            row.save(update_fields=["quantity"])
        services.campaign_save(
            name=f"past {k}", start=days[0], end=days[-1], products=[product], locations=[location]
        )
    future = (END + dt.timedelta(days=3), END + dt.timedelta(days=5))
    services.campaign_save(
        name="next", start=future[0], end=future[1], products=[product], locations=[location]
    )
    return future


def test_the_parts_of_a_served_forecast_add_up_and_show_the_campaign(viewer):
    products, locations = seed(days=200)
    future = _campaigns(products[0], locations[0])
    # FC-B pinned to the gradient-boosting model: its importance is stored and served.
    services.method_override_save(product=products[1], method="gbm")
    run = _run(horizon=14, methods=["ses", "seasonal_naive", "holt_winters_additive", "gbm"])
    assert ForecastExplanation.objects.filter(run_id=run.pk).count() == 6  # one per series
    client = client_for(HOST_A, viewer)
    body = client.get("/api/v1/forecasts/explain/?sku=FC-A&location=FC-L1").json()
    assert body["run"] == run.pk and body["components"] == list(PARTS)
    served = dict(
        ForecastValue.objects.filter(
            run_id=run.pk, product=products[0], location=locations[0], selected=True
        ).values_list("date", "forecast")
    )
    assert len(body["days"]) == 14
    for day in body["days"]:
        assert sum(day[name] for name in PARTS) == pytest.approx(day["forecast"], abs=1e-9)
        assert day["forecast"] == pytest.approx(served[dt.date.fromisoformat(day["date"])])
        on_campaign = future[0].isoformat() <= day["date"] <= future[1].isoformat()
        assert (day["promotion"] > 0) == on_campaign, day
    names = [c["name"] for c in body["campaigns"]]
    assert names == ["past 0", "past 1", "past 2", "past 3", "next"]
    assert body["campaigns"][-1]["start"] == future[0].isoformat()
    # Summed over the SKU's locations the parts still add up to the summed forecast.
    every = client.get("/api/v1/forecasts/explain/?sku=FC-A").json()
    series = client.get("/api/v1/forecasts/?sku=FC-A").json()["forecast"]
    for day, row in zip(every["days"], series, strict=True):
        assert day["forecast"] == pytest.approx(row["forecast"])
        assert sum(day[name] for name in PARTS) == pytest.approx(row["forecast"], abs=1e-9)
    # At FC-L2 no campaign applies: no promotion part, no campaign listed.
    other = client.get("/api/v1/forecasts/explain/?sku=FC-A&location=FC-L2").json()
    assert all(day["promotion"] == 0 for day in other["days"]) and other["campaigns"] == []
    # The pinned gradient-boosting model's input importance comes along.
    pinned = ForecastExplanation.objects.filter(run_id=run.pk, product=products[1])
    assert {row.method for row in pinned} == {"gbm"}
    assert all(sum(row.importance.values()) == pytest.approx(1.0, abs=1e-3) for row in pinned)
    explained = client.get("/api/v1/forecasts/explain/?sku=FC-B").json()
    shares = [item["share"] for item in explained["importance"]]
    assert len(shares) == 18 and shares == sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)
    for day in explained["days"]:
        assert sum(day[name] for name in PARTS) == pytest.approx(day["forecast"], abs=1e-9)
    assert body["importance"] == []  # FC-A: no gradient boosting


def test_bad_input_is_a_clear_4xx(viewer, anon_a):
    seed()
    client = client_for(HOST_A, viewer)
    assert_error(client.get("/api/v1/forecasts/explain/?sku=FC-A"), 404)  # no run yet
    run = _run(horizon=7, methods=["ses"])
    assert_error(client.get("/api/v1/forecasts/explain/"), 400, "validation_error")
    assert_error(client.get("/api/v1/forecasts/explain/?sku=NOPE"), 404)
    assert_error(client.get("/api/v1/forecasts/explain/?sku=FC-A&location=NOPE"), 404)
    assert_error(client.get("/api/v1/forecasts/explain/?sku=FC-A&run=0"), 400)
    assert_error(client.get(f"/api/v1/forecasts/explain/?sku=FC-A&run={run.pk + 99}"), 404)
    assert_error(anon_a.get("/api/v1/forecasts/explain/?sku=FC-A"), 401)


def test_a_tenant_sees_only_its_own_explanations(tenant_a, tenant_b, viewer):
    seed()
    mine = _run(horizon=7, methods=["ses"])
    with schema_context(tenant_b.schema_name):
        seed(scale=5.0)
        intruder = make_user("viewer")
        theirs = _run(horizon=7, methods=["naive"])
    client = client_for(HOST_B, intruder)
    body = client.get("/api/v1/forecasts/explain/?sku=FC-A&location=FC-L1").json()
    assert body["run"] == theirs.pk and body["methods"] == ["naive"]
    with schema_context(tenant_b.schema_name):
        served = ForecastValue.objects.filter(run_id=theirs.pk, product__sku="FC-A")
        expected = {v.date.isoformat(): v.forecast for v in served.filter(location__code="FC-L1")}
    assert {d["date"]: d["forecast"] for d in body["days"]} == pytest.approx(expected)
    if mine.pk != theirs.pk:  # an id of A's is not B's
        assert_error(client.get(f"/api/v1/forecasts/explain/?sku=FC-A&run={mine.pk}"), 404)
