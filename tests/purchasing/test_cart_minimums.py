"""fill_minimums: suppliers below their minimum order value are topped up with their next-best
products not yet in the cart (metrics status ``ok``, lowest days of cover first)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from catalog.models import Product
from inventory.models import InventoryMetrics
from purchasing.cart import top_up_candidates
from purchasing.models import SupplierProduct

pytestmark = pytest.mark.django_db


def _metrics(product, location, *, status, quantity=0.0, cover=3.0, eoq=None):
    return InventoryMetrics.objects.create(
        product=product,
        location=location,
        mean_daily_demand=2.0,
        demand_std=1.0,
        lead_time_days=7,
        inventory_position=20.0,
        order_up_to=30.0,
        eoq=eoq,
        stockout_risk=0.5,
        status=status,
        recommended_order_qty=quantity,
        days_of_cover=cover,
        abc_class="A",
        xyz_class="X",
        computed_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture
def minimum_cart(supplier, dc, product, term):
    supplier.min_order_value = Decimal("100")
    supplier.save()
    _metrics(product, dc, status="critical", quantity=10.0)  # 10 × 5 = 50, below 100
    urgent = Product.objects.create(sku="URGENT", name="Urgent")
    relaxed = Product.objects.create(sku="RELAXED", name="Relaxed")
    excluded = Product.objects.create(sku="OVER", name="Overstocked")
    for item, price in ((urgent, "4"), (relaxed, "1"), (excluded, "1")):
        SupplierProduct.objects.create(
            supplier=supplier,
            product=item,
            unit_price=Decimal(price),
            pack_size=Decimal("6"),
            is_preferred=True,
        )
    _metrics(urgent, dc, status="ok", cover=5.0, eoq=10.0)  # 10 → 12 (2 packs) × 4 = 48
    _metrics(relaxed, dc, status="ok", cover=40.0)  # 30 − 20 = 10 → 12 × 1 = 12
    _metrics(excluded, dc, status="overstock", cover=1.0, eoq=100.0)
    return {"urgent": urgent, "relaxed": relaxed}


def test_a_supplier_below_its_minimum_is_topped_up_from_ok_products(api_planner, minimum_cart):
    url = "/api/v1/order-suggestions/build/"
    plain = api_planner.post(url, {}, format="json").json()
    assert [line["sku"] for line in plain["lines"]] == ["BEANS"]
    assert plain["totals"]["suppliers"]["ACME"]["below_minimum"] is True

    body = api_planner.post(url, {"fill_minimums": True}, format="json").json()
    lines = {line["sku"]: line for line in body["lines"]}
    assert set(lines) == {"BEANS", "URGENT", "RELAXED"}
    assert lines["BEANS"]["top_up"] is False
    urgent, relaxed = lines["URGENT"], lines["RELAXED"]
    assert urgent["top_up"] is True and urgent["reason"] is None and urgent["source"] == "policy"
    assert Decimal(urgent["quantity"]) == 12 and Decimal(urgent["value"]) == Decimal("48.00")
    assert Decimal(relaxed["quantity"]) == 12 and Decimal(relaxed["value"]) == Decimal("12.00")
    supplier_totals = body["totals"]["suppliers"]["ACME"]
    assert Decimal(str(supplier_totals["value"])) == Decimal("110")
    assert supplier_totals["below_minimum"] is False


def test_fill_minimums_never_exceeds_the_budget(api_planner, minimum_cart):
    url = "/api/v1/order-suggestions/build/"
    for budget in ("50", "60", "75", "98", "110", "500"):
        body = api_planner.post(
            url, {"budget": budget, "fill_minimums": True}, format="json"
        ).json()
        kept = [line for line in body["lines"] if line["reason"] is None]
        assert sum((Decimal(line["value"]) for line in kept), Decimal("0")) <= Decimal(budget)
    # 62 leaves 12: the urgent line (48) does not fit, the relaxed one (12) does.
    body = api_planner.post(url, {"budget": "62", "fill_minimums": True}, format="json").json()
    assert {line["sku"] for line in body["lines"] if line["top_up"]} == {"RELAXED"}
    assert body["totals"]["suppliers"]["ACME"]["below_minimum"] is True


def test_top_up_candidates_most_urgent_first_until_the_minimum():
    taken = top_up_candidates(
        [50.0, 10.0],
        [100.0, 0.0],
        [0, 0, 0, 1],
        [30.0, 30.0, 30.0, 5.0],
        [9.0, np.nan, 2.0, 1.0],
    )
    # supplier 0 needs 50: cover 2 then 9 (NaN last); supplier 1 has no minimum.
    assert taken.tolist() == [True, False, True, False]
    within = top_up_candidates([50.0], [100.0], [0, 0], [30.0, 10.0], [1.0, 2.0], budget_left=15)
    assert within.tolist() == [False, True]
