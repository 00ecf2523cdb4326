"""The purchasing link: purchasing's terms (learned lead time, the supplier's MOQ and pack) plan
bought items, every buy order reaches the cart's planned purchases, and subcontracting working
orders name a supplier of kind subcontract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.exceptions import ValidationFailed
from manufacturing import purchasing_link
from manufacturing.models import PlannedOrder
from manufacturing.planning import mrp_run_create, mrp_run_execute
from manufacturing.services import working_order_create
from purchasing.models import PlannedPurchase, Supplier, SupplierProduct
from tests.manufacturing.helpers import TODAY, mps, product, two_level_plant

pytestmark = pytest.mark.django_db


def test_without_a_preferred_supplier_the_products_terms_and_named_supplier_apply():
    raw = product("PL-RAW", lead_time_days=9, moq=5, pack_size=2, supplier_code="ACME")
    bare = product("PL-BARE", lead_time_days=4)
    terms = purchasing_link.buy_terms([raw.pk, bare.pk])
    assert terms[raw.pk] == purchasing_link.BuyTerms(9, 5.0, 2.0, "ACME")
    assert terms[bare.pk].supplier_code is None


def test_purchasings_terms_plan_bought_items_and_buy_orders_reach_the_cart():
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    supplier = Supplier.objects.create(code="NEW", name="New", lead_time_days=1)
    SupplierProduct.objects.create(
        supplier=supplier,
        product=plant["raw2"],
        unit_price=Decimal("1"),
        moq=Decimal("10"),
        pack_size=Decimal("5"),
        lead_time_days=2,
        is_preferred=True,
    )
    run = mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)
    [raw2] = PlannedOrder.objects.filter(run=run, product=plant["raw2"])
    # 6.6 needed: MOQ 10 (pack 5) from the supplier product, its lead time of 2 days.
    assert (raw2.quantity, (raw2.due_date - raw2.release_date).days) == (10.0, 2)
    assert "no_supplier" not in raw2.exceptions
    handed = PlannedPurchase.objects.filter(mrp_run_id=run.pk)
    buys = PlannedOrder.objects.filter(run=run, kind=PlannedOrder.Kind.BUY)
    assert handed.count() == buys.count() == run.summary["buy_orders_handed_to_purchasing"]
    assert {p.product_id for p in handed} == {plant["raw"].pk, plant["raw2"].pk}


def test_a_subcontracted_working_order_names_a_subcontract_supplier():
    plant = two_level_plant()
    Supplier.objects.create(code="SUBCO", name="Sub", kind="subcontract")
    Supplier.objects.create(code="BUYER", name="Buyer", kind="buy")
    order = working_order_create(
        product=plant["sub"],
        location_id=plant["plant"].pk,
        quantity=1,
        due_date=date(2027, 1, 4),
        subcontract_supplier_code="SUBCO",
    )
    assert order.subcontract_supplier_code == "SUBCO"
    for code in ("BUYER", "NOBODY"):
        with pytest.raises(ValidationFailed):
            working_order_create(
                product=plant["sub"],
                location_id=plant["plant"].pk,
                quantity=1,
                due_date=date(2027, 1, 4),
                subcontract_supplier_code=code,
            )
