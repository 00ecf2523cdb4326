"""A campaign only the what-if has (ADR 46): ``{"new_campaign": {…}}`` through the API lifts
the scenario like a real campaign, writes no ``Campaign`` row, is explained as promotion, and
bad input is a 400 with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import Category, Product
from forecasting import services
from forecasting.models import Campaign, Scenario
from forecasting.services.scenarios import what_if_campaign_adjustment
from tests.conftest import HOST_A, assert_error, client_for
from tests.forecasting_app.seed import END, seed

pytestmark = pytest.mark.django_db

START, STOP = END + dt.timedelta(days=2), END + dt.timedelta(days=4)


def _run():
    run = services.forecast_run_start(horizon=7, methods=["naive"], enqueue=False)
    return services.forecast_run_execute(run_id=run.pk)


def test_a_new_campaign_lifts_the_what_if_and_is_explained(planner, viewer):
    seed()
    run = _run()
    client = client_for(HOST_A, planner)
    new = {"name": "Tasting", "start": START.isoformat(), "end": STOP.isoformat()}
    created = client.post(
        "/api/v1/scenarios/",
        {"name": "If tasting", "adjustments": [{"new_campaign": {**new, "sku": "FC-A",
                                                                  "uplift": 0.25}}]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    (adjustment,) = created.json()["adjustments"]
    assert adjustment["campaign"] is None and adjustment["multipliers"] == {"FC-A": 1.25}
    assert (adjustment["date_from"], adjustment["date_to"]) == (START.isoformat(), STOP.isoformat())
    assert not Campaign.objects.exists()  # the served forecast's next run does not see it
    scenario_id = created.json()["id"]

    body = client_for(HOST_A, viewer).get(
        f"/api/v1/forecasts/explain/?sku=FC-A&scenario={scenario_id}"
    )
    assert body.status_code == 200, body.content
    explained = body.json()
    assert explained["run"] == run.pk
    assert explained["scenario"]["campaigns"] == [
        {
            "campaign": None,
            "name": "Tasting",
            "start": START.isoformat(),
            "end": STOP.isoformat(),
            "multiplier": 1.25,
        }
    ]
    lifted = [d["date"] for d in explained["days"] if d["promotion"] > 0]
    assert lifted == [(START + dt.timedelta(days=i)).isoformat() for i in range(3)]


def test_a_category_campaign_takes_its_sub_categories_and_learns_without_uplift(planner):
    seed()
    run = _run()
    drinks = Category.objects.get(name="FC Drinks")
    juice = Category.objects.create(name="FC Juice", parent=drinks)
    Product.objects.create(sku="FC-J", name="Juice", category=juice)
    adjustment = what_if_campaign_adjustment(
        base_run=run, campaign={"name": "Drinks week", "start": START, "end": STOP,
                                "category": "FC Drinks"},
    )  # fmt: skip
    # No uplift given and none learned by the run (no past campaigns): factor 1.
    assert adjustment["multipliers"] == {"FC-A": 1.0, "FC-B": 1.0, "FC-J": 1.0}
    assert adjustment["what_if"] == {"sku": "", "category": "FC Drinks", "uplift": None}


@pytest.mark.parametrize(
    "new_campaign",
    [
        {"sku": "FC-A", "category": "FC Drinks"},  # both
        {},  # neither
        {"sku": "NOPE"},
        {"category": "Nothing"},
        {"sku": "FC-A", "end": (START - dt.timedelta(days=1)).isoformat()},
        {"sku": "FC-A", "uplift": -1},
        {"sku": "FC-A", "start": "soon"},
    ],
)
def test_bad_new_campaigns_are_refused_and_write_nothing(planner, new_campaign):
    seed()
    _run()
    campaign = {"name": "Bad", "start": START.isoformat(), "end": STOP.isoformat()}
    campaign.update(new_campaign)
    response = client_for(HOST_A, planner).post(
        "/api/v1/scenarios/",
        {"name": "x", "adjustments": [{"new_campaign": campaign}]},
        format="json",
    )
    assert_error(response, 400)
    assert not Scenario.objects.exists() and not Campaign.objects.exists()


def test_a_new_campaign_is_an_adjustment_of_its_own(planner):
    seed()
    _run()
    new = {"name": "C", "start": START.isoformat(), "end": STOP.isoformat(), "sku": "FC-A"}
    response = client_for(HOST_A, planner).post(
        "/api/v1/scenarios/",
        {"name": "x", "adjustments": [{"new_campaign": new, "multiplier": 2.0}]},
        format="json",
    )
    assert_error(response, 400)
    assert not Scenario.objects.exists()
