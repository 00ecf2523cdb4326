"""The stock ledger: on hand always equals the sum of movements, also under concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django_tenants.utils import schema_context

from catalog.exceptions import InsufficientStock, InvalidMovement
from catalog.models import Location, Product, StockLevel, StockMovement
from catalog.services import StockChange, stock_change, stock_count_set, stock_transfer


def _catalogue(suffix: str = "") -> tuple[Product, Location, Location]:
    product = Product.objects.create(sku=f"P-{suffix}", name="Widget")
    dc = Location.objects.create(code=f"DC-{suffix}", name="DC")
    store = Location.objects.create(code=f"ST-{suffix}", name="Store", kind="store")
    return product, dc, store


def _assert_ledger_balances() -> None:
    for level in StockLevel.objects.all():
        total = StockMovement.objects.filter(
            product_id=level.product_id, location_id=level.location_id
        ).aggregate(total=Sum("quantity"))["total"] or Decimal("0")
        assert level.on_hand == total, (level, total)


@pytest.mark.django_db
def test_receipt_sale_transfer_and_count_keep_the_ledger_balanced(planner):
    product, dc, store = _catalogue("a")
    stock_change(changes=[StockChange(product.pk, dc.pk, Decimal("100"), "receipt")], actor=planner)
    stock_transfer(
        product_id=product.pk,
        from_location_id=dc.pk,
        to_location_id=store.pk,
        quantity=Decimal("30"),
    )
    stock_change(changes=[StockChange(product.pk, store.pk, Decimal("-4.5"), "sale")])
    stock_count_set(counts={(product.pk, store.pk): Decimal("25")})
    levels = {lv.location_id: lv.on_hand for lv in StockLevel.objects.all()}
    assert levels == {dc.pk: Decimal("70"), store.pk: Decimal("25")}
    assert StockMovement.objects.filter(kind="adjustment").get().quantity == Decimal("-0.5")
    assert StockMovement.objects.filter(kind="receipt").get().actor == planner
    _assert_ledger_balances()


@pytest.mark.django_db
def test_stock_rules():
    product, dc, _store = _catalogue("b")
    with pytest.raises(InsufficientStock):
        stock_change(changes=[StockChange(product.pk, dc.pk, Decimal("-1"), "sale")])
    with pytest.raises(InvalidMovement):
        stock_change(changes=[StockChange(product.pk, dc.pk, Decimal("5"), "sale")])
    with pytest.raises(InvalidMovement):
        stock_change(changes=[StockChange(product.pk, dc.pk, Decimal("0"), "receipt")])
    with pytest.raises(InvalidMovement):
        stock_change(changes=[StockChange(product.pk, dc.pk, Decimal("1"), "theft")])
    with pytest.raises(InvalidMovement):
        stock_transfer(
            product_id=product.pk,
            from_location_id=dc.pk,
            to_location_id=dc.pk,
            quantity=Decimal("1"),
        )
    assert not StockMovement.objects.exists()


def test_concurrent_writers_lose_nothing_and_never_deadlock(live_db, tenant_a):
    """Threads with their own connections hammer two products at two locations, in opposite
    orders; every unit must be accounted for."""
    with schema_context(tenant_a.schema_name):
        first, dc, store = _catalogue("c1")
        second = Product.objects.create(sku="P-c2", name="Gadget")
        for product in (first, second):
            for location in (dc, store):
                stock_change(
                    changes=[StockChange(product.pk, location.pk, Decimal("1000"), "receipt")]
                )
    errors: list[BaseException] = []

    def worker(reverse: bool) -> None:
        try:
            connection.set_tenant(tenant_a)
            pairs = [(first, dc), (second, store)]
            if reverse:
                pairs.reverse()
            for _ in range(15):
                stock_change(
                    changes=[StockChange(p.pk, loc.pk, Decimal("-1"), "sale") for p, loc in pairs]
                )
                stock_transfer(
                    product_id=first.pk,
                    from_location_id=dc.pk,
                    to_location_id=store.pk,
                    quantity=Decimal("2"),
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index % 2 == 1,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not errors, errors
        with schema_context(tenant_a.schema_name):
            levels = {
                (lv.product_id, lv.location_id): lv.on_hand for lv in StockLevel.objects.all()
            }
            # 4 threads × 15 rounds: one sale on each pair, and 2 units moved DC → store.
            assert levels[(first.pk, dc.pk)] == Decimal("1000") - 60 - 120
            assert levels[(first.pk, store.pk)] == Decimal("1000") + 120
            assert levels[(second.pk, store.pk)] == Decimal("1000") - 60
            _assert_ledger_balances()
    finally:
        with schema_context(tenant_a.schema_name):
            StockMovement.objects.all().delete()
            StockLevel.objects.all().delete()
            Product.objects.filter(sku__in=["P-c1", "P-c2"]).delete()
            Location.objects.filter(code__in=["DC-c1", "ST-c1"]).delete()
            from core.models import AuditLog

            AuditLog.objects.filter(object_type__startswith="inventory.").delete()
