"""Receiving under concurrency, and open orders in the inventory position (time-phased)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django_tenants.utils import schema_context

from catalog.models import Location, Product, StockLevel, StockMovement
from purchasing import services
from purchasing.models import PurchaseOrder, Receipt, Supplier, SupplierProduct
from purchasing.services import OrderLineInput, ReceiptInput


def test_concurrent_receipts_never_lose_or_double_a_movement(live_db, tenant_a):
    with schema_context(tenant_a.schema_name):
        product = Product.objects.create(sku="P-rc", name="Widget")
        dc = Location.objects.create(code="DC-rc", name="DC")
        supplier = Supplier.objects.create(code="S-rc", name="S")
        orders = [
            services.purchase_order_create(
                supplier=supplier,
                location=dc,
                lines=[OrderLineInput(product_id=product.pk, quantity=Decimal("40"))],
            )
            for _ in range(2)
        ]
        for order in orders:
            services.purchase_order_approve(order=order, user=None)
    errors: list[BaseException] = []

    def worker(order: PurchaseOrder) -> None:
        try:
            connection.set_tenant(tenant_a)
            line_id = order.lines.get().pk
            for _ in range(10):
                services.purchase_order_receive(
                    order=order, receipts=[ReceiptInput(line_id, Decimal("2"))]
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(orders[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not errors, errors
        with schema_context(tenant_a.schema_name):
            level = StockLevel.objects.get(product=product, location=dc)
            moved = StockMovement.objects.filter(product=product, location=dc).aggregate(
                t=Sum("quantity")
            )["t"]
            # 4 threads × 10 receipts × 2 units, both orders fully received.
            assert level.on_hand == moved == Decimal("80")
            assert level.on_order == Decimal("0")
            assert Receipt.objects.filter(product=product).count() == 40
            assert set(
                PurchaseOrder.objects.filter(supplier=supplier).values_list("status", flat=True)
            ) == {"received"}
    finally:
        with schema_context(tenant_a.schema_name):
            from core.models import AuditLog, Event

            PurchaseOrder.objects.filter(supplier__code="S-rc").delete()
            StockMovement.objects.filter(product__sku="P-rc").delete()
            StockLevel.objects.filter(product__sku="P-rc").delete()
            from purchasing.models import LeadTimeStats

            LeadTimeStats.objects.filter(supplier__code="S-rc").delete()
            Supplier.objects.filter(code="S-rc").delete()
            Product.objects.filter(sku="P-rc").delete()
            Location.objects.filter(code="DC-rc").delete()
            AuditLog.objects.filter(object_type__startswith="purchasing.").delete()
            Event.objects.filter(type__startswith="purchase_order.").delete()


@pytest.mark.django_db
@pytest.mark.parametrize(("due_in_days", "counted"), [(90, False), (3, True)])
def test_open_orders_count_in_the_position_only_when_due_within_protection(due_in_days, counted):
    from catalog.services import StockChange, stock_change
    from inventory.metrics import inventory_refresh
    from inventory.models import InventoryMetrics

    product = Product.objects.create(sku="TP", name="TP", lead_time_days=7)
    dc = Location.objects.create(code="DC-tp", name="DC")
    stock_change(changes=[StockChange(product.pk, dc.pk, Decimal("5"), "receipt")])
    supplier = Supplier.objects.create(code="S-tp", name="S")
    SupplierProduct.objects.create(supplier=supplier, product=product, is_preferred=True)
    order = services.purchase_order_create(
        supplier=supplier,
        location=dc,
        lines=[
            OrderLineInput(
                product_id=product.pk,
                quantity=Decimal("100"),
                expected_date=date.today() + timedelta(days=due_in_days),
            )
        ],
    )
    services.purchase_order_approve(order=order, user=None)
    assert StockLevel.objects.get(product=product, location=dc).on_order == Decimal("100")
    inventory_refresh()
    metrics = InventoryMetrics.objects.get(product=product, location=dc)
    assert metrics.inventory_position == pytest.approx(105.0 if counted else 5.0)


@pytest.mark.django_db
def test_learned_lead_times_reach_the_inventory_refresh():
    from inventory.metrics import inventory_refresh
    from inventory.models import InventoryMetrics
    from purchasing.models import LeadTimeStats

    product = Product.objects.create(sku="LT", name="LT", lead_time_days=7)
    dc = Location.objects.create(code="DC-lt", name="DC")
    supplier = Supplier.objects.create(code="S-lt", name="S")
    SupplierProduct.objects.create(supplier=supplier, product=product, is_preferred=True)
    LeadTimeStats.objects.create(
        supplier=supplier,
        product=product,
        mean_days=12,
        std_days=3,
        on_time_rate=1,
        receipts_count=5,
    )
    StockLevel.objects.create(product=product, location=dc, on_hand=1)
    inventory_refresh()
    metrics = InventoryMetrics.objects.get(product=product, location=dc)
    assert (metrics.lead_time_days, metrics.lead_time_std_days) == (12.0, 3.0)
