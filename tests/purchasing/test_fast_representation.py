"""The purchasing lists written by FastRepresentationMixin equal DRF's own output (ADR 27):
orders with nested lines, annotated totals and null dates; supplier products with learned
figures and slug-related fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework import serializers

from purchasing import selectors, services
from purchasing.api.serializers import PurchaseOrderSerializer, SupplierProductSerializer

pytestmark = pytest.mark.django_db


def _plain(serializer, row) -> dict:
    """DRF's ModelSerializer output for ``row``, nested serializers included."""
    out = {}
    for field in serializer._readable_fields:
        attribute = field.get_attribute(row)
        if isinstance(field, serializers.ListSerializer):
            child = field.child
            out[field.field_name] = [_plain(child, item) for item in attribute.all()]
            continue
        out[field.field_name] = None if attribute is None else field.to_representation(attribute)
    return out


def test_purchase_orders_and_supplier_products_match_drf(tenant_admin, supplier, dc, product, term):
    for quantity in ("10", "2.5"):
        services.purchase_order_create(
            supplier=supplier,
            location=dc,
            lines=[services.OrderLineInput(product_id=product.pk, quantity=Decimal(quantity))],
        )
    orders = list(selectors.purchase_order_list(user=tenant_admin).order_by("id"))
    fast = [dict(row) for row in PurchaseOrderSerializer(orders, many=True).data]
    for row in fast:
        row["lines"] = [dict(line) for line in row["lines"]]
    assert fast == [_plain(PurchaseOrderSerializer(), order) for order in orders]
    assert fast[0]["lines"] and fast[0]["approved_at"] is None

    terms = list(selectors.supplier_product_list(user=tenant_admin).order_by("id"))
    fast_terms = [dict(row) for row in SupplierProductSerializer(terms, many=True).data]
    assert fast_terms == [_plain(SupplierProductSerializer(), row) for row in terms]
