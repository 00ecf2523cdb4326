from __future__ import annotations

import io
from decimal import Decimal

import pytest

from catalog.models import Location, Product
from purchasing.models import Supplier, SupplierProduct


@pytest.fixture
def dc(db):
    return Location.objects.create(code="DC1", name="DC")


@pytest.fixture
def supplier(db):
    return Supplier.objects.create(
        code="ACME", name="Acme", lead_time_days=10, email="po@acme.test"
    )


@pytest.fixture
def product(db):
    return Product.objects.create(
        sku="BEANS",
        name="Beans",
        unit_cost=Decimal("4"),
        unit_price=Decimal("10"),
        lead_time_days=7,
    )


@pytest.fixture
def term(supplier, product):
    return SupplierProduct.objects.create(
        supplier=supplier, product=product, unit_price=Decimal("5"), is_preferred=True
    )


def run_import(kind: str, text: str):
    from etl.importing import run_import as run

    data = text.encode()
    return run(kind=kind, stream=io.BytesIO(data), size=len(data))
