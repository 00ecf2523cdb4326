"""Working orders: reservations, completion through the ledger in one transaction, illegal
transitions, and completions from many threads at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from catalog.exceptions import InsufficientStock
from catalog.models import Location, Product, StockLevel, StockMovement
from core.models import Event
from manufacturing.exceptions import IllegalTransition
from manufacturing.models import BillOfMaterials, WorkingOrder
from manufacturing.services import (
    bom_save,
    working_order_cancel,
    working_order_complete,
    working_order_create,
    working_order_release,
    working_order_start,
)
from tests.conftest import HOST_A, assert_error, client_for
from tests.manufacturing.helpers import TODAY, line, product, receive


def _level(item, location) -> StockLevel:
    return StockLevel.objects.get(product=item, location=location)


def _plant():
    plant = Location.objects.create(code="WO-PLANT", name="Plant", kind="plant")
    fg = product("WO-FG", product_type="finished")
    a = product("WO-A", product_type="raw")
    b = product("WO-B", product_type="raw")
    bom_save(product=fg, lines=[line(a, "2"), line(b, "0.5", "10")])
    receive(a, plant, "100")
    receive(b, plant, "10")
    return plant, fg, a, b


def _order(fg, plant, quantity="10"):
    return working_order_create(
        product=fg, location_id=plant.pk, quantity=Decimal(quantity), due_date=TODAY
    )


@pytest.mark.django_db
def test_release_reserves_complete_consumes_and_produces_in_one_go(planner):
    plant, fg, a, b = _plant()
    order = _order(fg, plant)
    needs = {c.component_id: c.required_quantity for c in order.components.all()}
    assert needs == {a.pk: Decimal("20.000"), b.pk: Decimal("5.500")}  # 10 × 0.5 × 1.1
    working_order_release(order_id=order.pk)
    assert _level(a, plant).reserved == Decimal("20")
    assert _level(b, plant).reserved == Decimal("5.5")
    assert _level(fg, plant).on_order == Decimal("10")  # the output is on order until done
    working_order_start(order_id=order.pk)
    working_order_complete(
        order_id=order.pk,
        actual_quantity=Decimal("9"),
        scrap_quantity=Decimal("1"),
        consumed={a.pk: Decimal("21")},
        actor=planner,
    )
    order.refresh_from_db()
    assert (order.status, order.actual_quantity, order.scrap_quantity) == ("done", 9, 1)
    assert (_level(a, plant).on_hand, _level(a, plant).reserved) == (Decimal("79"), 0)
    assert (_level(b, plant).on_hand, _level(b, plant).reserved) == (Decimal("4.5"), 0)
    assert (_level(fg, plant).on_hand, _level(fg, plant).on_order) == (Decimal("9"), 0)
    kinds = set(
        StockMovement.objects.filter(reference__contains=order.reference).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"production_consume", "production_produce"}
    assert Event.objects.filter(type="work_order.completed").exists()


@pytest.mark.django_db
def test_reserving_more_than_available_needs_an_override():
    plant, fg, a, _b = _plant()
    order = _order(fg, plant, "30")  # needs 60 A but 100 on hand, 16.5 B but only 10
    with pytest.raises(InsufficientStock):
        working_order_release(order_id=order.pk)
    assert _level(a, plant).reserved == 0  # nothing half-reserved
    working_order_release(order_id=order.pk, override=True)
    assert _level(a, plant).reserved == Decimal("60")


@pytest.mark.django_db
def test_cancel_releases_reservations_and_illegal_moves_are_refused():
    plant, fg, a, b = _plant()
    order = _order(fg, plant)
    with pytest.raises(IllegalTransition) as refused:
        working_order_complete(order_id=order.pk)
    assert refused.value.details["allowed"] == ["released", "cancelled"]
    working_order_release(order_id=order.pk)
    working_order_cancel(order_id=order.pk)
    assert _level(a, plant).reserved == 0 and _level(b, plant).reserved == 0
    assert _level(fg, plant).on_order == 0
    assert WorkingOrder.objects.get(pk=order.pk).status == "cancelled"
    with pytest.raises(IllegalTransition):
        working_order_release(order_id=order.pk)


@pytest.mark.django_db
def test_variant_without_a_bom_uses_its_parents():
    plant, fg, a, _b = _plant()
    variant = product("WO-FG-L", parent=fg, attributes={"size": "L"})
    order = _order(variant, plant, "1")
    assert {c.component_id for c in order.components.all()} >= {a.pk}


@pytest.mark.django_db
def test_api_transitions_409_with_allowed_and_without_trailing_slash(planner, viewer):
    plant, fg, a, _b = _plant()
    client = client_for(HOST_A, planner)
    created = client.post(
        "/api/v1/working-orders/",
        {"product": fg.pk, "location": plant.pk, "quantity": "2", "due_date": "2026-12-20"},
        format="json",
    )
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    error = assert_error(
        client.post(f"/api/v1/working-orders/{order_id}/start/"), 409, "illegal_transition"
    )
    assert error["details"]["allowed"] == ["released", "cancelled"]
    assert client.post(f"/api/v1/working-orders/{order_id}/release").status_code == 200
    assert _level(a, plant).reserved == Decimal("4")
    assert client.post(f"/api/v1/working-orders/{order_id}/start").status_code == 200
    done = client.post(
        f"/api/v1/working-orders/{order_id}/complete/", {"scrap_quantity": "0"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert_error(client.post(f"/api/v1/working-orders/{order_id}/cancel/"), 409)
    read_only = client_for(HOST_A, viewer)
    assert read_only.get(f"/api/v1/working-orders/{order_id}/").status_code == 200
    assert read_only.post(f"/api/v1/working-orders/{order_id}/cancel/").status_code == 403


@pytest.mark.django_db
def test_working_order_list_query_count_is_flat(planner):
    plant, fg, _a, _b = _plant()
    client = client_for(HOST_A, planner)
    _order(fg, plant, "1")
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/working-orders/?page_size=50")
    for _ in range(5):
        _order(fg, plant, "1")
    with CaptureQueriesContext(connection) as six:
        big = client.get("/api/v1/working-orders/?page_size=50")
    assert len(big.json()["results"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries) <= 12


# --- Concurrency --------------------------------------------------------------------------------


def _cleanup(tag: str) -> None:
    WorkingOrder.objects.filter(reference__startswith=tag).delete()
    BillOfMaterials.objects.filter(product__sku__startswith=tag).delete()
    StockMovement.objects.filter(product__sku__startswith=tag).delete()
    StockLevel.objects.filter(product__sku__startswith=tag).delete()
    Product.objects.filter(sku__startswith=tag).delete()
    Location.objects.filter(code__startswith=tag).delete()


@pytest.mark.usefixtures("live_db")
def test_completing_from_many_threads_never_loses_or_doubles_a_movement(tenant_a):
    tag = "THR-"
    workers = 8
    with schema_context(tenant_a.schema_name):
        _cleanup(tag)
        plant = Location.objects.create(code=f"{tag}P", name="Plant", kind="plant")
        fg = product(f"{tag}FG")
        a = product(f"{tag}A", product_type="raw")
        bom_save(product=fg, lines=[line(a, "3")])
        receive(a, plant, "1000")
        orders = []
        for i in range(workers):
            order = working_order_create(
                product=fg,
                location_id=plant.pk,
                quantity=Decimal("5"),
                due_date=TODAY + timedelta(days=i),
                reference=f"{tag}{i}",
            )
            working_order_release(order_id=order.pk)
            working_order_start(order_id=order.pk)
            orders.append(order.pk)
    # Each order is completed by two threads at once: exactly one of each pair succeeds.
    outcomes: list[str] = []
    barrier = threading.Barrier(workers * 2)

    def complete(order_id: int) -> None:
        try:
            with schema_context(tenant_a.schema_name):
                barrier.wait()
                try:
                    working_order_complete(order_id=order_id)
                    outcomes.append("done")
                except IllegalTransition:
                    outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete, args=(pk,)) for pk in orders for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        with schema_context(tenant_a.schema_name):
            assert sorted(outcomes) == ["done"] * workers + ["refused"] * workers
            assert _level(a, plant).on_hand == Decimal(1000 - 15 * workers)
            assert _level(a, plant).reserved == 0
            assert _level(fg, plant).on_hand == Decimal(5 * workers)
            for item in (a, fg):
                total = StockMovement.objects.filter(product=item, location=plant).aggregate(
                    s=Sum("quantity")
                )["s"]
                assert total == _level(item, plant).on_hand
            assert StockMovement.objects.filter(product=fg, location=plant).count() == workers
    finally:
        with schema_context(tenant_a.schema_name):
            _cleanup(tag)
        connection.set_schema_to_public()
