"""The simulation page answers the planner: a one-line verdict computed from the results, the
stockout cost used (per run, the tenant's, or each item's margin by default) and the "what
really happened" columns filled or explained."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.test import Client

from inventory import simulation_service as service
from inventory.metrics import inventory_settings_update
from inventory.simulation_verdict import simulation_verdict
from tests.conftest import HOST_A
from tests.inventory_app.test_simulation_app import _seed


def _totals(value: float, fill: float, cost: float, days: int = 10, items: int = 3) -> dict:
    return {
        "items": items,
        "average_inventory_value": value,
        "fill_rate": fill,
        "total_cost": cost,
        "stockout_days": days,
    }


def test_verdict_says_how_much_stock_and_fill_rate_change():
    summary = {
        "proposed": {"all": _totals(820.0, 0.972, 900.0, days=4)},
        "baseline": {"all": _totals(1000.0, 0.960, 1000.0)},
        "actual": {"all": {"items": 3, "average_inventory_value": 1640.0, "stockout_days": 9}},
    }
    verdict = simulation_verdict(summary)
    assert verdict["text"] == (
        "Against the min/max baseline, the policy would have held 18 % less stock with "
        "1.2 points more fill rate (97.2 % vs 96.0 %) and 10 % lower total cost."
    )
    assert verdict["actual"] == (
        "Against what really happened, it would have held 50 % less stock with 5 fewer "
        "stockout days (4 vs 9)."
    )
    assert verdict["figures"]["stock_change_pct"] == -18.0
    assert verdict["figures"]["fill_rate_points"] == pytest.approx(1.2)


def test_verdict_wording_for_more_stock_less_fill_and_partial_actuals():
    summary = {
        "proposed": {"all": _totals(1100.0, 0.95, 1000.0)},
        "baseline": {"all": _totals(1000.0, 0.97, 1000.0)},
        "actual": {"all": {"items": 1, "average_inventory_value": 5.0, "stockout_days": 1}},
    }
    verdict = simulation_verdict(summary)
    assert "held 10 % more stock with 2.0 points less fill rate" in verdict["text"]
    assert "total cost" not in verdict["text"]  # unchanged cost is not mentioned
    assert "known for 1 of 3 items" in verdict["actual"]
    assert simulation_verdict({}) is None
    assert simulation_verdict({"proposed": None, "baseline": None}) is None


def test_default_stockout_cost_is_each_items_margin_never_negative():
    cost, basis = service.stockout_cost_per_unit(
        run_cost=None,
        settings_cost=None,
        unit_cost=np.array([4.0, 10.0, 3.0]),
        unit_price=np.array([9.0, 8.0, 0.0]),
    )
    assert basis == "item_margin" and cost.tolist() == [5.0, 0.0, 0.0]
    cost, basis = service.stockout_cost_per_unit(
        run_cost=None, settings_cost=Decimal("7"), unit_cost=np.ones(2), unit_price=np.ones(2)
    )
    assert basis == "settings" and cost.tolist() == [7.0, 7.0]
    cost, basis = service.stockout_cost_per_unit(
        run_cost=0, settings_cost=Decimal("7"), unit_cost=np.ones(2), unit_price=np.ones(2)
    )
    assert basis == "run" and cost.tolist() == [0.0, 0.0]


@pytest.mark.django_db
def test_replay_prices_units_short_at_the_margin_by_default():
    _seed(rate=30.0)
    run = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )
    used = run.summary["stockout_cost"]
    # _seed: price − cost is 5 for every product.
    assert used == {"basis": "item_margin", "mean_per_unit": 5.0, "per_unit": None}
    for policy in ("proposed", "baseline"):
        total = run.summary[policy]["all"]
        assert total["stockout_cost"] == pytest.approx(5.0 * total["stockout_units"])
    explicit = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, stockout_cost=12.5, enqueue=False).pk
    )
    assert explicit.stockout_cost == Decimal("12.50")
    assert explicit.summary["stockout_cost"]["basis"] == "run"
    total = explicit.summary["baseline"]["all"]
    assert total["stockout_cost"] == pytest.approx(12.5 * total["stockout_units"])
    inventory_settings_update(stockout_cost=Decimal("3"))
    tenant = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )
    assert tenant.summary["stockout_cost"] == {
        "basis": "settings",
        "mean_per_unit": 3.0,
        "per_unit": 3.0,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("value", [-1, 2_000_000, "nan"])
def test_bad_stockout_cost_is_400_and_writes_nothing(api_planner, value):
    from inventory.models import SimulationRun
    from tests.conftest import assert_error

    response = api_planner.post(
        "/api/v1/inventory/simulations/", {"stockout_cost": value}, format="json"
    )
    assert_error(response, 400) if value != "nan" else None
    assert response.status_code == 400
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_page_button_takes_the_stockout_cost(planner):
    from inventory.models import SimulationRun

    _seed()
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(planner)
    listing = client.get("/app/simulations/").content.decode()
    assert 'name="stockout_cost"' in listing and "each item's margin" in listing
    assert client.post("/app/simulations/start/", {"stockout_cost": "abc"}).status_code == 400
    assert client.post("/app/simulations/start/", {"stockout_cost": "-2"}).status_code == 400
    assert not SimulationRun.objects.exists()
    assert client.post("/app/simulations/start/", {"stockout_cost": "4.5"}).status_code == 200
    assert SimulationRun.objects.get().stockout_cost == Decimal("4.50")


@pytest.mark.django_db
def test_detail_page_shows_verdict_cost_and_explains_actuals(planner):
    _seed()
    run = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(planner)
    html = client.get(f"/app/simulations/{run.pk}/").content.decode()
    assert 'id="verdict"' in html and "Against the min/max baseline" in html
    assert simulation_verdict(run.summary)["text"].split(" (")[0] in html.replace("&#x27;", "'")
    assert "on average 5.00 per unit short" in html and "margin" in html
    # _seed writes no stock ledger: the actual columns say why they are empty.
    assert "No &quot;actual&quot; figures" in html or 'No "actual" figures' in html
