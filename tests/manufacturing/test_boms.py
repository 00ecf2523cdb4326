"""BOMs: cycles refused with the named path (service and API), units of measure, cost
roll-up, tenant isolation of manufacturing data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from catalog.models import ProductUnit
from manufacturing.exceptions import BomCycle
from manufacturing.models import BillOfMaterials, MrpRun, Operation, WorkCentre, WorkingOrder
from manufacturing.selectors import bom_cost_rollup, bom_tree
from manufacturing.services import bom_save
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.manufacturing.helpers import TODAY, line, product

pytestmark = pytest.mark.django_db


def test_a_cycle_is_refused_naming_it():
    a, b, c = product("A"), product("B"), product("C")
    bom_save(product=a, lines=[line(b, "1")])
    bom_save(product=b, lines=[line(c, "1")])
    with pytest.raises(BomCycle) as refused:
        bom_save(product=c, lines=[line(a, "1")])
    assert "A → B → C → A" in refused.value.message
    assert refused.value.details["cycle"] == ["A", "B", "C", "A"]
    assert not BillOfMaterials.objects.filter(product=c).exists()


def test_api_refuses_a_cycle_with_400_and_the_path(planner):
    a, b = product("CA"), product("CB")
    bom_save(product=a, lines=[line(b, "2")])
    client = client_for(HOST_A, planner)
    response = client.post(
        "/api/v1/boms/",
        {"product": b.pk, "lines": [{"component": a.pk, "quantity": "1"}]},
        format="json",
    )
    error = assert_error(response, 400, "bom_cycle")
    assert "CA → CB → CA" in error["message"] or "CB → CA → CB" in error["message"]


def test_units_scrap_and_cost_rollup_with_operations(planner):
    fg = product("R-FG", moq=10)
    sub = product("R-SUB", unit_cost=Decimal("100"))  # ignored: SUB has its own BOM
    screw = product("R-SCREW", unit_cost=Decimal("0.10"))
    paint = product("R-PAINT", unit_cost=Decimal("2.00"), uom="l")
    ProductUnit.objects.create(product=screw, name="box", factor=Decimal("12"))
    bom_save(product=sub, lines=[line(screw, "1", uom="box")])  # 12 screws = 1.20
    bom = bom_save(product=fg, lines=[line(sub, "2"), line(paint, "0.5", "10")])
    centre = WorkCentre.objects.create(code="PAINT", name="Paint", cost_per_hour=Decimal("60"))
    Operation.objects.create(
        bom=bom, sequence=10, work_centre=centre, setup_minutes=30, run_minutes=Decimal("1.5")
    )
    cost = bom_cost_rollup(BillOfMaterials.objects.get(pk=bom.pk))
    # material: 2 × 1.20 + 0.5 × 1.1 × 2.00 = 3.50; operations: (30 / 10 + 1.5) × 60 / 60 = 4.50
    assert (cost["material"], cost["operations"], cost["total"]) == (
        Decimal("3.5000"),
        Decimal("4.5000"),
        Decimal("8.0000"),
    )
    body = client_for(HOST_A, planner).get(f"/api/v1/boms/{bom.pk}/").json()
    assert float(body["cost"]["total"]) == 8.0
    assert [row["sku"] for row in bom_tree(product=fg)] == ["R-FG", "R-SUB", "R-SCREW", "R-PAINT"]
    assert [row["depth"] for row in bom_tree(product=fg)] == [0, 1, 2, 1]


def test_api_crud_replaces_lines_and_lists_in_flat_queries(planner, viewer):
    fg, a, b = product("API-FG"), product("API-A"), product("API-B")
    client = client_for(HOST_A, planner)
    created = client.post(
        "/api/v1/boms/",
        {"product": fg.pk, "lines": [{"component": a.pk, "quantity": "2"}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    bom_id = created.json()["id"]
    updated = client.put(
        f"/api/v1/boms/{bom_id}/",
        {"product": fg.pk, "lines": [{"component": b.pk, "quantity": "3", "scrap_pct": "5"}]},
        format="json",
    )
    assert updated.status_code == 200, updated.content
    assert [x["component_sku"] for x in updated.json()["lines"]] == ["API-B"]
    reader = client_for(HOST_A, viewer)
    with CaptureQueriesContext(connection) as one:
        reader.get("/api/v1/boms/?page_size=100")
    for i in range(4):
        bom_save(product=product(f"API-X{i}"), lines=[line(a, "1")])
    with CaptureQueriesContext(connection) as five:
        listed = reader.get("/api/v1/boms/?page_size=100")
    assert listed.json()["count"] == 5
    assert len(five.captured_queries) == len(one.captured_queries) <= 18
    assert reader.post("/api/v1/boms/", {}, format="json").status_code == 403


def test_tenant_b_cannot_see_tenant_a_manufacturing(tenant_b):
    fg, a = product("ISO-FG"), product("ISO-A")
    bom = bom_save(product=fg, lines=[line(a, "1")])
    from catalog.models import Location

    plant = Location.objects.create(code="ISO-P", name="P")
    order = WorkingOrder.objects.create(
        reference="ISO-1", product=fg, location=plant, quantity=1, due_date=TODAY
    )
    run = MrpRun.objects.create(status="succeeded")
    with schema_context(tenant_b.schema_name):
        user_b = make_user("admin")
    client = client_for(HOST_B, user_b)
    for url in (
        f"/api/v1/boms/{bom.pk}/",
        f"/api/v1/working-orders/{order.pk}/",
        f"/api/v1/mrp-runs/{run.pk}/",
        f"/api/v1/mrp-runs/{run.pk}/planned-orders/",
    ):
        assert_error(client.get(url), 404)
    for url in ("/api/v1/boms/", "/api/v1/working-orders/", "/api/v1/mrp-runs/"):
        assert client.get(url).json()["count"] == 0
    assert_error(client.post(f"/api/v1/working-orders/{order.pk}/release/"), 404)


def test_patch_without_lines_keeps_them_and_deactivates(planner):
    fg, a = product("P-FG"), product("P-A")
    bom = bom_save(product=fg, lines=[line(a, "2")])
    client = client_for(HOST_A, planner)
    response = client.patch(f"/api/v1/boms/{bom.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert [x["component_sku"] for x in response.json()["lines"]] == ["P-A"]
    assert client.delete(f"/api/v1/boms/{bom.pk}/").status_code == 204
