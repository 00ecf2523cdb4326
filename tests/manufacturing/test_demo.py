"""The demo plant: 3-level BOMs, work centres and an MPS that MRP plans end to end."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import Location, Product
from catalog.services import stock_count_set
from demo.catalogue import demo_data_seed
from manufacturing.demo import manufacturing_demo_seed
from manufacturing.models import BillOfMaterials, PlannedOrder
from manufacturing.planning import mrp_run_create, mrp_run_execute
from tests.manufacturing.helpers import TODAY

pytestmark = pytest.mark.django_db


def test_demo_plant_plans_three_levels_and_is_idempotent():
    demo_data_seed(include_sales=False)
    first = manufacturing_demo_seed(today=TODAY)
    again = manufacturing_demo_seed(today=TODAY)
    assert first == again and first["boms"] == 9 and first["mps_rows"] == 48
    assert BillOfMaterials.objects.filter(is_active=True).count() == 9
    # Without green coffee at the plant the roasting orders need buy orders of it.
    plant = Location.objects.get(code="PL-VENISSIEUX")
    stock_count_set(
        counts={
            (p.pk, plant.pk): Decimal("0") for p in Product.objects.filter(sku__startswith="RM-GRN")
        }
    )
    run = mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=60).pk, today=TODAY)
    levels = set(PlannedOrder.objects.filter(run=run).values_list("low_level_code", flat=True))
    assert levels == {0, 1, 2}
    assert PlannedOrder.objects.filter(run=run, product__sku="RM-GRN-BRA").exists()
