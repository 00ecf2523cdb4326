"""Lists read with ``.values()`` (core.lists, ADR 37) write decimal columns as DRF's own
serializers write them from model instances (not as the fast representation writes them: it
shares the values path's writers), byte for byte, for zero, negatives, the most digits each
column holds, the smallest step, NULL and PostgreSQL's numeric NaN, on numbered and keyset
pages, nested order lines included, in every ordering by a decimal column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework import serializers

import manufacturing.api.views as mrp_views
from catalog.models import DemandHistory, Product, StockLevel
from core.lists import ValuesListMixin
from core.serializers import FastRepresentationMixin
from purchasing.models import PurchaseOrderLine, SupplierProduct
from tests.conftest import HOST_A, client_for
from tests.core.test_query_counts import _sellers, _stock_levels
from tests.core.test_values_lists_more import _drf_list, _purchasing
from tests.factories import DemandHistoryFactory

pytestmark = pytest.mark.django_db


def _nan(model, column: str, pk: int) -> None:
    """PostgreSQL's numeric NaN in one row (Django refuses to write it)."""
    with connection.cursor() as cursor:
        table = model._meta.db_table
        cursor.execute(f"UPDATE {table} SET {column} = 'NaN' WHERE id = %s", [pk])  # noqa: S608


def _edges() -> None:
    """Products, stock, orders and terms holding zero, negatives, the most digits their
    columns hold, NULL and NaN (written with ``update``: no validator runs)."""
    _sellers(3)
    _stock_levels(4)
    _purchasing()
    for _ in range(3):
        DemandHistoryFactory(quantity=Decimal("5"))
    products = list(Product.objects.order_by("pk"))
    Product.objects.filter(pk=products[0].pk).update(
        unit_cost=Decimal("-999999999999.99"), unit_price=Decimal("999999999999.99"),
        lead_time_std_days=Decimal("9999.99"), moq=Decimal("-0.001"), pack_size=Decimal("0"),
    )  # fmt: skip
    Product.objects.filter(pk=products[1].pk).update(unit_cost=Decimal("0"), moq=Decimal("10"))
    Product.objects.filter(pk=products[2].pk).update(unit_cost=Decimal("-0.01"))
    levels = list(StockLevel.objects.order_by("pk"))
    for level, on_hand in zip(
        levels, ("-99999999999.999", "9", "10", "-3.125", "0", "0.001"), strict=False
    ):
        StockLevel.objects.filter(pk=level.pk).update(
            on_hand=Decimal(on_hand), reserved=Decimal("99999999999.999")
        )
    _nan(StockLevel, "on_hand", levels[-1].pk)
    lines = list(PurchaseOrderLine.objects.order_by("pk"))
    # (an order's total, 20 digits, holds the sum of its lines' products)
    PurchaseOrderLine.objects.filter(pk=lines[0].pk).update(
        quantity=Decimal("-99999999999.999"), unit_price=Decimal("9999.9999"),
        confirmed_quantity=Decimal("0"),
    )  # fmt: skip
    PurchaseOrderLine.objects.filter(pk=lines[2].pk).update(
        quantity=Decimal("0.001"), unit_price=Decimal("999999999999.9999")
    )
    PurchaseOrderLine.objects.filter(pk=lines[1].pk).update(unit_price=Decimal("-0.0001"))
    _nan(PurchaseOrderLine, "confirmed_quantity", lines[1].pk)
    term = SupplierProduct.objects.order_by("pk")[0].pk
    SupplierProduct.objects.filter(pk=term).update(unit_price=Decimal("-999999999999.9999"))
    _nan(SupplierProduct, "moq", term)
    DemandHistory.objects.filter(pk=DemandHistory.objects.order_by("pk")[0].pk).update(
        revenue=Decimal("-999999999999.99")
    )
    DemandHistory.objects.filter(pk=DemandHistory.objects.order_by("pk")[1].pk).update(revenue=None)


URLS = (
    "/api/v1/products/",
    "/api/v1/products/?ordering=unit_cost",
    "/api/v1/products/?ordering=-unit_price,sku&page_size=2&page=2",
    "/api/v1/stock-levels/",
    "/api/v1/stock-levels/?ordering=on_hand",  # 10 after 9: not the text's order
    "/api/v1/stock-levels/?ordering=-on_hand&page_size=3&page=2",
    "/api/v1/stock-levels/?on_hand_min=-5&ordering=on_hand",
    "/api/v1/purchase-orders/",
    "/api/v1/purchase-orders/?page_size=3&page=last",
    "/api/v1/supplier-products/",
    "/api/v1/supplier-products/?ordering=unit_price",
    "/api/v1/supplier-products/?ordering=-unit_price&page_size=2&page=2",
    "/api/v1/sales-history/?ordering=-quantity",
    "/api/v1/sales-history/?cursor=&page_size=2",
)


def test_decimal_pages_equal_drf_byte_for_byte(tenant_admin, monkeypatch):
    _edges()
    client = client_for(HOST_A, tenant_admin)
    fast = {url: client.get(url) for url in URLS}
    with monkeypatch.context() as patched:
        patched.setattr(ValuesListMixin, "list", _drf_list)
        patched.setattr(mrp_views, "values_list_response", lambda *a, **k: None)
        patched.setattr(  # DRF's own representation: not the writers the values path shares
            FastRepresentationMixin,
            "to_representation",
            lambda self, instance: serializers.Serializer.to_representation(self, instance),
        )
        for url in URLS:
            plain = client.get(url)
            assert (fast[url].status_code, fast[url].content) == (
                plain.status_code,
                plain.content,
            ), url
    levels = fast["/api/v1/stock-levels/?ordering=on_hand"].json()["results"]
    on_hand = [row["on_hand"] for row in levels]
    assert on_hand[0] == "-99999999999.999" and on_hand[-1] == "NaN"  # NaN sorts last
    assert on_hand.index("9.000") < on_hand.index("10.000")
    products = fast["/api/v1/products/?ordering=unit_cost"].json()["results"]
    assert [row["unit_cost"] for row in products[:3]] == ["-999999999999.99", "-0.01", "0.00"]
    lines = [line for order in fast["/api/v1/purchase-orders/"].json()["results"]
             for line in order["lines"]]  # fmt: skip
    assert {"-99999999999.999", "999999999999.9999", "NaN", "0.000", None} <= {
        value
        for line in lines
        for value in (line["quantity"], line["unit_price"], line["confirmed_quantity"])
    }
