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


def _matches_the_schema(body):
    """The answer validates against the OpenAPI document (refs resolved), which declares the
    ``scenario`` query parameter."""
    import jsonschema
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/forecasts/explain/"]["get"]
    assert "scenario" in {p["name"] for p in operation["parameters"]}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    document = _json_schema({**answer, "components": schema["components"]})
    jsonschema.validate(body, document)
    component = schema["components"]["schemas"]["ForecastExplanation"]["properties"]
    assert component["scenario"].get("nullable") is True
    for row in body["scenario"]["campaigns"]:
        assert set(row) == {"campaign", "name", "start", "end", "multiplier"}


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema: the node or null."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _by_date(body):
    return {dt.date.fromisoformat(day["date"]): day for day in body["days"]}


def test_a_scenario_forecast_is_explained_with_its_added_campaign_as_promotion(viewer):
    products, locations = seed(days=200)
    _campaigns(products[0], locations[0])  # the base run lifts END+3 … END+5 ("next")
    run = _run(horizon=14, methods=["ses", "seasonal_naive", "holt_winters_additive"])
    # A campaign planned after the run, overlapping "next" on END+5, and a plain multiplier.
    flash = (END + dt.timedelta(days=5), END + dt.timedelta(days=8))
    campaign = services.campaign_save(
        name="Flash", start=flash[0], end=flash[1], products=products[:1], expected_uplift=0.5
    )
    bump = (END + dt.timedelta(days=1), END + dt.timedelta(days=2))
    scenario = services.scenario_create(
        name="What if",
        base_run=run,
        adjustments=[
            {"campaign": campaign.pk},
            {"sku": "FC-A", "multiplier": 1.2, "date_from": str(bump[0]), "date_to": str(bump[1])},
        ],
    )
    lift = scenario.adjustments[0]["multipliers"]["FC-A"]
    assert lift > 1 and lift != 1.5  # the uplift the run learned from the past campaigns
    client = client_for(HOST_A, viewer)  # a viewer reads
    url = "/api/v1/forecasts/explain/?sku=FC-A&location=FC-L1"
    base = _by_date(client.get(url).json())
    response = client.get(f"{url}&scenario={scenario.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    _matches_the_schema(body)
    assert body["run"] == run.pk and body["components"] == list(PARTS)
    assert body["scenario"]["id"] == scenario.pk and body["scenario"]["name"] == "What if"
    assert body["scenario"]["campaigns"] == [
        {
            "campaign": campaign.pk,
            "name": "Flash",
            "start": flash[0].isoformat(),
            "end": flash[1].isoformat(),
            "multiplier": pytest.approx(lift),
        }
    ]
    assert "Flash" in [c["name"] for c in body["campaigns"]]
    what = _by_date(body)
    assert what.keys() == base.keys() and len(what) == 14
    for day, row in what.items():
        before = base[day]
        assert sum(row[name] for name in PARTS) == pytest.approx(row["forecast"], abs=1e-9)
        on_flash = flash[0] <= day <= flash[1]
        plain = 1.2 if bump[0] <= day <= bump[1] else 1.0
        factor = (lift if on_flash else 1.0) * plain
        assert row["forecast"] == pytest.approx(before["forecast"] * factor, rel=1e-12)
        for name in ("level", "trend", "weekly", "yearly"):
            assert row[name] == pytest.approx(before[name] * plain, rel=1e-9, abs=1e-9)
        added = before["forecast"] * plain * (lift - 1) if on_flash else 0.0
        assert row["promotion"] == pytest.approx(before["promotion"] * plain + added, abs=1e-9)
        assert row["other"] == pytest.approx(before["other"] * plain, abs=1e-6)
        if on_flash:  # the added campaign's uplift is in the promotion part
            assert row["promotion"] - before["promotion"] > 0.1 * before["forecast"]
    # Summed over the locations the what-if's forecast is the scenario's own comparison.
    every = _by_date(
        client.get(f"/api/v1/forecasts/explain/?sku=FC-A&scenario={scenario.pk}").json()
    )
    served = _by_date(client.get("/api/v1/forecasts/explain/?sku=FC-A").json())
    detail = client.get(f"/api/v1/scenarios/{scenario.pk}/").json()["periods"]
    for period in detail:  # only FC-A is adjusted: the difference is all FC-A's
        day = dt.date.fromisoformat(period["period"])
        extra = every[day]["forecast"] - served[day]["forecast"]
        assert extra == pytest.approx(period["scenario"] - period["base"], abs=1e-6)
        assert sum(every[day][name] for name in PARTS) == pytest.approx(
            every[day]["forecast"], abs=1e-9
        )
    # Another SKU is untouched by the scenario: its explanation is the base one.
    other = client.get(f"/api/v1/forecasts/explain/?sku=FC-B&scenario={scenario.pk}").json()
    assert other["scenario"]["campaigns"] == []
    assert other["days"] == client.get("/api/v1/forecasts/explain/?sku=FC-B").json()["days"]
    # Asking for the base run explicitly is fine; another run, or bad ids, are 4xx.
    same = client.get(f"{url}&scenario={scenario.pk}&run={run.pk}")
    assert same.status_code == 200 and same.json()["days"] == body["days"]
    assert_error(client.get(f"{url}&scenario={scenario.pk}&run={run.pk + 99}"), 400)
    assert_error(client.get(f"{url}&scenario=0"), 400, "validation_error")
    assert_error(client.get(f"{url}&scenario=abc"), 400, "validation_error")
    assert_error(client.get(f"{url}&scenario={scenario.pk + 99}"), 404)


def test_a_tenant_cannot_explain_another_tenants_scenario(tenant_a, tenant_b, viewer):
    seed()
    run = _run(horizon=7, methods=["ses"])
    mine = services.scenario_create(
        name="A's", base_run=run, adjustments=[{"sku": "FC-A", "multiplier": 2.0}]
    )
    with schema_context(tenant_b.schema_name):
        seed(scale=5.0)
        intruder = make_user("viewer")
        theirs_run = _run(horizon=7, methods=["naive"])
    client = client_for(HOST_B, intruder)
    url = "/api/v1/forecasts/explain/?sku=FC-A&location=FC-L1"
    assert_error(client.get(f"{url}&scenario={mine.pk}"), 404)  # B has no scenario yet
    with schema_context(tenant_b.schema_name):
        theirs = services.scenario_create(
            name="B's", base_run=theirs_run, adjustments=[{"sku": "FC-A", "multiplier": 3.0}]
        )
        served = ForecastValue.objects.filter(
            run_id=theirs_run.pk, product__sku="FC-A", location__code="FC-L1", selected=True
        )
        expected = {v.date.isoformat(): 3.0 * v.forecast for v in served}
    body = client.get(f"{url}&scenario={theirs.pk}").json()
    assert body["scenario"]["name"] == "B's" and body["run"] == theirs_run.pk
    assert {d["date"]: d["forecast"] for d in body["days"]} == pytest.approx(expected)
