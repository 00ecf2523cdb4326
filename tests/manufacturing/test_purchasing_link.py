"""The purchasing link: the fallback without purchasing, and purchasing's terms and hand-over
when it offers them."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest

from manufacturing import purchasing_link
from manufacturing.models import PlannedOrder
from manufacturing.planning import mrp_run_create, mrp_run_execute
from tests.manufacturing.helpers import TODAY, mps, product, two_level_plant

pytestmark = pytest.mark.django_db


def test_fallback_uses_the_products_terms_and_hands_nothing_over():
    raw = product("PL-RAW", lead_time_days=9, moq=5, pack_size=2, supplier_code="ACME")
    bare = product("PL-BARE", lead_time_days=4)
    terms = purchasing_link.buy_terms([raw.pk, bare.pk])
    assert terms[raw.pk] == purchasing_link.BuyTerms(9, 5.0, 2.0, "ACME")
    assert terms[bare.pk].supplier_code is None
    assert purchasing_link.purchasing_takes_buy_orders() is False
    assert purchasing_link.hand_over_buy_orders(run_id=1, lines=[]) is False


@dataclass
class FakeTerms:
    supplier_id: int
    supplier_code: str
    lead_time_days: float
    lead_time_std_days: float
    lead_time_source: str
    moq: float
    pack_size: float
    unit_price: float


@dataclass
class FakeLine:
    product_id: int
    location_id: int
    quantity: float
    needed_by: object
    release_date: object


def test_purchasings_terms_and_hand_over_are_used_when_present(monkeypatch):
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    handed: dict = {}
    selectors = types.ModuleType("purchasing.selectors")
    selectors.purchase_terms = lambda ids: {
        plant["raw2"].pk: FakeTerms(1, "NEW", 1.5, 0, "learned", 10, 5, 1)
    }
    services = types.ModuleType("purchasing.services")
    services.PlannedPurchaseLine = FakeLine
    services.planned_purchases_replace = lambda *, run_id, lines: handed.update(
        run_id=run_id, lines=lines
    )
    monkeypatch.setitem(sys.modules, "purchasing.selectors", selectors)
    monkeypatch.setitem(sys.modules, "purchasing.services", services)
    run = mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)
    [raw2] = PlannedOrder.objects.filter(run=run, product=plant["raw2"])
    # 6.6 needed on day 8: MOQ 10 (pack 5) from purchasing, lead 1.5 → 2 days, supplier known.
    assert (raw2.quantity, (raw2.due_date - raw2.release_date).days) == (10.0, 2)
    assert raw2.exceptions == []
    assert handed["run_id"] == run.pk
    assert {line.product_id for line in handed["lines"]} == {plant["raw"].pk, plant["raw2"].pk}
    assert run.summary["buy_orders_handed_to_purchasing"] == 2


def test_subcontract_supplier_is_checked_when_purchasing_knows_suppliers(monkeypatch):
    from datetime import date

    from core.exceptions import ValidationFailed
    from manufacturing.services import working_order_create

    plant = two_level_plant()
    # Without purchasing the code is stored as given.
    order = working_order_create(
        product=plant["sub"],
        location_id=plant["plant"].pk,
        quantity=1,
        due_date=date(2027, 1, 4),
        subcontract_supplier_code="SUBCO",
    )
    assert order.subcontract_supplier_code == "SUBCO"

    class Suppliers:
        @staticmethod
        def filter(code, kind):
            return types.SimpleNamespace(exists=lambda: code == "SUBCO" and kind == "subcontract")

    models = types.ModuleType("purchasing.models")
    models.Supplier = types.SimpleNamespace(objects=Suppliers)
    monkeypatch.setitem(sys.modules, "purchasing.models", models)
    assert purchasing_link.is_subcontractor("SUBCO") is True
    with pytest.raises(ValidationFailed):
        working_order_create(
            product=plant["sub"],
            location_id=plant["plant"].pk,
            quantity=1,
            due_date=date(2027, 1, 4),
            subcontract_supplier_code="BUYER",
        )
