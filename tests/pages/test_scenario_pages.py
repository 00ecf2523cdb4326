"""The what-if pages (ADR 46): planners add a scenario (a campaign only the what-if has, or a
change in percent) through the API's serializer and service, viewers read, bad input writes
nothing, another tenant's scenario is a 404; the detail charts one SKU's base and what-if
forecasts and the what-if's parts, the same numbers the explain API answers; query counts do
not grow with scenarios or SKUs."""

from __future__ import annotations

import datetime as dt
import json
from itertools import count

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from catalog.models import Category, Product
from forecasting import selectors, services
from forecasting.models import Campaign, Scenario
from tests.conftest import HOST_A, HOST_B, make_user
from tests.forecasting_app.seed import END, seed
from tests.workspace.seed import page_queries

pytestmark = pytest.mark.django_db

_serial = count()


def _client(user, host: str = HOST_A) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def _run(prefix: str = "SP"):
    seed(prefix=prefix)
    run = services.forecast_run_start(
        horizon=14, methods=["naive", "seasonal_naive"], enqueue=False
    )
    return services.forecast_run_execute(run_id=run.pk)


def _campaign_form(**changes) -> dict[str, str]:
    form = {
        "name": "Summer push",
        "description": "Drinks on display",
        "campaign_name": "Display week",
        "campaign_start": (END + dt.timedelta(days=3)).isoformat(),
        "campaign_end": (END + dt.timedelta(days=6)).isoformat(),
        "campaign_category": "SP Drinks",
        "campaign_uplift": "30",
    }
    form.update(changes)
    return form


def _json(response, element_id: str):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_a_planner_adds_a_what_if_campaign_and_sees_its_parts(planner):
    run = _run()
    client = _client(planner)
    response = client.post("/app/scenarios/", _campaign_form())
    scenario = Scenario.objects.get(name="Summer push")
    assert response.status_code == 302
    assert response["Location"] == f"/app/scenarios/{scenario.pk}/"
    assert not Campaign.objects.filter(name="Display week").exists()  # only in the what-if
    (adjustment,) = scenario.adjustments
    assert adjustment["campaign"] is None
    assert adjustment["multipliers"] == {"SP-A": 1.3, "SP-B": 1.3}  # the category's SKUs
    assert scenario.base_run_id == run.pk and scenario.created_by_id == planner.pk

    listing = client.get("/app/scenarios/").content.decode()
    assert "Summer push" in listing
    assert "New campaign “Display week” on category SP Drinks" in listing
    assert planner.email in listing

    page = client.get(f"/app/scenarios/{scenario.pk}/")  # the first affected SKU
    assert page.status_code == 200
    assert page.context["sku"] == "SP-A"
    comparison = _json(page, "scenario-data")
    explanation = _json(page, "explanation-data")
    days = comparison["x"]
    assert len(days) == 14
    span = (adjustment["date_from"], adjustment["date_to"])
    assert span == ("2026-05-03", "2026-05-06")  # END + 3 … END + 6
    lifted = [i for i, day in enumerate(days) if span[0] <= day <= span[1]]
    assert lifted == [2, 3, 4, 5]  # the forecast starts the day after END
    for i in range(14):
        factor = 1.3 if i in lifted else 1.0
        assert comparison["forecast"][i] == pytest.approx(comparison["base"][i] * factor, abs=2e-3)
        assert comparison["p10"][i] <= comparison["forecast"][i] + 1e-6
        parts = sum(p["values"][i] for p in explanation["parts"])
        assert parts == pytest.approx(explanation["forecast"][i], abs=1e-2)
    promotion = next(p for p in explanation["parts"] if p["name"] == "promotion")
    assert [i for i, v in enumerate(promotion["values"]) if v > 0] == lifted
    # The same numbers as GET /api/v1/forecasts/explain/?sku=SP-A&scenario=<id>.
    api = selectors.forecast_explanation(user=planner, sku="SP-A", scenario_id=scenario.pk)
    assert explanation["forecast"] == [pytest.approx(d["forecast"], abs=1e-3) for d in api["days"]]
    html = page.content.decode()
    assert 'id="scenario-numbers"' in html and html.count("<tr>") >= 15
    assert "<script>" not in html.replace('<script src="', "")  # no inline script (CSP)
    other = client.get(f"/app/scenarios/{scenario.pk}/?sku=SP-C")  # unchanged SKU
    compared = _json(other, "scenario-data")
    assert compared["forecast"] == compared["base"]
    assert client.get(f"/app/scenarios/{scenario.pk}/?sku=NOPE").status_code == 404
    Product.objects.create(sku="SP-NEW", name="never sold")
    unsold = client.get(f"/app/scenarios/{scenario.pk}/?sku=SP-NEW").content.decode()
    assert 'id="sku-no-forecast"' in unsold and 'id="scenario-data"' not in unsold


def test_a_change_in_percent_and_the_product_page_link(planner):
    _run()
    client = _client(planner)
    product = Product.objects.get(sku="SP-B")
    page = client.get(f"/app/products/{product.pk}/forecast/").content.decode()
    assert 'id="what-if-link"' in page and "/app/scenarios/?sku=SP-B" in page
    prefilled = client.get("/app/scenarios/?sku=SP-B").content.decode()
    assert 'name="campaign_sku" maxlength="64" value="SP-B"' in prefilled
    assert 'href="/app/scenarios/"' in prefilled  # the navigation bar
    response = client.post(
        "/app/scenarios/", {"name": "Cut B", "change_percent": "-10", "change_sku": "SP-B"}
    )
    scenario = Scenario.objects.get(name="Cut B")
    assert response.status_code == 302
    assert scenario.adjustments == [{"multiplier": 0.9, "sku": "SP-B"}]
    detail = client.get(f"/app/scenarios/{scenario.pk}/")
    assert detail.context["sku"] == "SP-B"
    data = _json(detail, "scenario-data")
    assert data["forecast"] == [pytest.approx(b * 0.9, abs=2e-3) for b in data["base"]]
    assert "−10 %" in detail.content.decode() or "-10 % on SKU SP-B" in detail.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"campaign_end": (END - dt.timedelta(days=30)).isoformat()}, "ends before it starts"),
        ({"campaign_category": "", "campaign_sku": "NOPE"}, "No such SKU: NOPE"),
        ({"campaign_category": "Nothing"}, "No such category: Nothing"),
        ({"campaign_sku": "SP-A"}, "Name one SKU or one category"),
        ({"campaign_start": "soon"}, "Campaign start"),
        ({"campaign_uplift": "lots"}, "Uplift: not a number"),
        ({"campaign_uplift": "nan"}, "Uplift: not a number"),
        ({"campaign_uplift": "-100"}, "Uplift"),
        ({"name": ""}, "Name"),
        (
            {k: "" for k in ("campaign_name", "campaign_start", "campaign_end")}
            | {"campaign_category": "", "campaign_uplift": ""},
            "Add a campaign or a change of the forecast",
        ),
        ({"change_percent": "abc"}, "Change: not a number"),
    ],
)
def test_bad_input_shows_the_form_again_and_writes_nothing(planner, changes, message):
    _run()
    client = _client(planner)
    response = client.post("/app/scenarios/", _campaign_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode(), response.context["errors"]
    assert 'id="scenario-errors"' in response.content.decode()
    assert not Scenario.objects.exists()


def test_without_a_run_the_form_refuses_with_a_message(planner):
    Category.objects.create(name="SP Drinks")
    response = _client(planner).post("/app/scenarios/", _campaign_form())
    assert response.status_code == 400
    assert "No successful forecast run yet." in response.content.decode()
    assert not Scenario.objects.exists()


def test_viewers_read_but_may_not_create_or_delete(planner, viewer):
    run = _run()
    scenario = services.scenario_create(
        name="Seen", base_run=run, adjustments=[{"multiplier": 1.2}], user=planner
    )
    client = _client(viewer)
    listing = client.get("/app/scenarios/")
    assert listing.status_code == 200 and "Seen" in listing.content.decode()
    assert 'id="scenario-form"' not in listing.content.decode()
    assert client.post("/app/scenarios/", _campaign_form()).status_code == 403
    detail = client.get(f"/app/scenarios/{scenario.pk}/")
    assert detail.status_code == 200 and 'id="scenario-delete"' not in detail.content.decode()
    assert client.get(f"/app/scenarios/{scenario.pk}/delete/").status_code == 403
    assert client.post(f"/app/scenarios/{scenario.pk}/delete/").status_code == 403
    assert Scenario.objects.count() == 1


def test_a_planner_deletes_after_confirming(planner):
    run = _run()
    scenario = services.scenario_create(
        name="Gone", base_run=run, adjustments=[{"multiplier": 1.2}]
    )
    client = _client(planner)
    question = client.get(f"/app/scenarios/{scenario.pk}/delete/")
    assert question.status_code == 200 and "Delete “Gone”?" in question.content.decode()
    assert Scenario.objects.filter(pk=scenario.pk).exists()  # asking deletes nothing
    response = client.post(f"/app/scenarios/{scenario.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/app/scenarios/"
    assert not Scenario.objects.filter(pk=scenario.pk).exists()
    assert client.get(f"/app/scenarios/{scenario.pk}/").status_code == 404


def test_another_tenants_scenario_is_not_found(tenant_a, tenant_b, planner):
    run = _run()
    scenario = services.scenario_create(
        name="Secret", base_run=run, adjustments=[{"multiplier": 3.0}]
    )
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
        other = _client(intruder, HOST_B)
    assert "Secret" not in other.get("/app/scenarios/").content.decode()
    assert other.get(f"/app/scenarios/{scenario.pk}/").status_code == 404
    assert other.get(f"/app/scenarios/{scenario.pk}/delete/").status_code == 404
    assert other.post(f"/app/scenarios/{scenario.pk}/delete/").status_code == 404
    with schema_context(tenant_a.schema_name):
        assert Scenario.objects.filter(pk=scenario.pk).exists()


# --- query counts (NetBox's baselines, like tests/pages/test_workspace_page_queries.py) ------

LIST_BASELINE = 5  # + the scenarios with run and author, the latest run
DETAIL_BASELINE = 9  # + scenario, SKUs of a campaign, the comparison, product, parts, band


def _scenarios(run, n: int) -> None:
    for _ in range(n):
        services.scenario_create(
            name=f"S{next(_serial)}",
            base_run=run,
            adjustments=[
                {"multiplier": 1.1, "sku": "SP-A"},
                {"new_campaign": {"name": "C", "start": END, "end": END, "category": "SP Drinks"}},
            ],
        )


def test_list_query_count_does_not_grow_with_scenarios(tenant_admin):
    run = _run()
    client = _client(tenant_admin)
    _scenarios(run, 2)
    client.get("/app/scenarios/")
    cache.clear()
    few = page_queries(client, "/app/scenarios/")
    _scenarios(run, 8)
    cache.clear()
    many = page_queries(client, "/app/scenarios/")
    assert len(few) == len(many) == LIST_BASELINE, many


def test_detail_query_count_does_not_grow_with_skus(tenant_admin):
    run = _run()
    client = _client(tenant_admin)
    counts = []
    for n in (2, 8):
        for i in range(n):
            Product.objects.create(
                sku=f"SPX-{next(_serial)}-{i}", name="x", category=Category.objects.get(
                    name="SP Drinks"
                )
            )  # fmt: skip
        scenario = services.scenario_create(
            name=f"D{n}",
            base_run=run,
            adjustments=[{"new_campaign": {"name": "C", "start": END, "end": END,
                                           "category": "SP Drinks"}}],
        )  # fmt: skip
        url = f"/app/scenarios/{scenario.pk}/"
        client.get(url)
        cache.clear()
        counts.append(len(page_queries(client, url)))
    assert counts == [DETAIL_BASELINE, DETAIL_BASELINE], counts
