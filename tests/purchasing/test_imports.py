from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import Location, Product, StockMovement
from purchasing.models import LeadTimeStats, PurchaseOrder, Receipt, Supplier, SupplierProduct
from tests.purchasing.conftest import run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    Location.objects.create(code="DC1", name="DC")
    Product.objects.create(sku="A", name="A", supplier_code="S1", unit_cost=Decimal("2"))
    Product.objects.create(sku="B", name="B", supplier_code="S2", lead_time_days=4)


def test_suppliers_import_links_catalogue_supplier_codes(catalogue):
    report = run_import(
        "suppliers",
        "code,name,kind,currency,email,lead_time_days,min_order_value\n"
        "S1,One,buy,usd,a@b.test,6,100.0\nS3,Three,subcontract,EUR,,,\n",
    )
    assert report.status == "imported", report.errors
    assert report.inserted == 2
    s1 = Supplier.objects.get(code="S1")
    assert (s1.currency, s1.lead_time_days, s1.min_order_value) == ("USD", 6, Decimal("100"))
    link = SupplierProduct.objects.get(product__sku="A")
    assert link.supplier == s1 and link.is_preferred and link.unit_price == Decimal("2")
    again = run_import("suppliers", "code,name\nS1,One\n")
    assert again.status == "imported" and again.unchanged == 1


def test_supplier_products_import_decimals_booleans_and_preference(catalogue):
    run_import("suppliers", "code,name\nS1,One\nS2,Two\n")
    report = run_import(
        "supplier-products",
        "supplier,sku,price,pack_size,moq,lead_time_days,preferred\n"
        "S1,B,6,6.0,12.000,3,yes\nS2,B,5.5,1,0,,0\n",
    )
    assert report.status == "imported", report.errors
    preferred = SupplierProduct.objects.get(product__sku="B", is_preferred=True)
    assert preferred.supplier.code == "S1"
    assert (preferred.pack_size, preferred.moq, preferred.lead_time_days) == (
        Decimal("6"),
        Decimal("12"),
        3,
    )
    assert SupplierProduct.objects.filter(product__sku="B").count() == 2


def test_bad_rows_are_reported_and_nothing_is_written(catalogue):
    run_import("suppliers", "code,name\nS1,One\n")
    report = run_import(
        "supplier-products",
        "supplier,sku,price,preferred\nS1,A,abc,true\nNOPE,A,1,maybe\nS1,ZZZ,1,1\n",
    )
    assert report.status == "rejected"
    problems = {(e["row"], e["column"]) for e in report.errors}
    assert {(2, "price"), (3, "preferred"), (3, "supplier"), (4, "sku")} <= problems
    assert not SupplierProduct.objects.filter(supplier__code="S1", product__sku="ZZZ").exists()
    assert SupplierProduct.objects.get(product__sku="A").unit_price == Decimal("2")


HISTORY = (
    "reference,supplier,sku,location,ordered_on,received_on,quantity,unit_price,expected_on\n"
    "H1,S1,A,DC1,2025-01-01,2025-01-06,10,2.0,2025-01-08\n"
    "H2,S1,A,DC1,2025-02-01,2025-02-08,10,2,2025-02-08\n"
    "H3,S1,A,DC1,2025-03-01,2025-03-10,5,2,2025-03-08\n"
    "H3,S1,A,DC1,2025-03-01,2025-03-12,5,2,2025-03-08\n"
    "H3,S1,B,DC1,2025-03-01,2025-03-05,1,,\n"
)


def test_purchase_history_feeds_learning_without_stock_and_is_idempotent(catalogue):
    run_import("suppliers", "code,name,lead_time_days\nS1,One,7\n")
    report = run_import("purchase-history", HISTORY)
    assert report.status == "imported", report.errors
    assert report.inserted == 5 and report.created == {"purchase_orders": 3}
    assert not StockMovement.objects.exists()
    h3 = PurchaseOrder.objects.get(reference="H3")
    assert h3.status == "received" and h3.source == "import"
    assert h3.lines.get(product__sku="A").received_quantity == Decimal("10")
    stats = LeadTimeStats.objects.get(supplier__code="S1", product__sku="A")
    # 5, 7, 9 and 11 days
    assert stats.receipts_count == 4 and stats.mean_days == pytest.approx(8.0)
    assert stats.on_time_rate == pytest.approx(0.5)
    b = Receipt.objects.get(product__sku="B")
    assert b.on_time  # expected: ordered_on + the supplier's 7 days
    counts = (PurchaseOrder.objects.count(), Receipt.objects.count())
    again = run_import("purchase-history", HISTORY)
    assert again.status == "imported" and again.inserted == 0 and again.unchanged == 5
    assert (PurchaseOrder.objects.count(), Receipt.objects.count()) == counts
    assert h3.lines.get(product__sku="A").received_quantity == Decimal("10")


def test_purchase_history_rejects_inconsistent_rows(catalogue):
    run_import("suppliers", "code,name\nS1,One\nS2,Two\n")
    report = run_import(
        "purchase-history",
        "reference,supplier,sku,location,ordered_on,received_on,quantity\n"
        "H1,S1,A,DC1,2025-01-05,2025-01-01,1\n"
        "H2,S1,A,DC1,2025-01-01,2025-01-02,1\n"
        "H2,S2,B,DC1,2025-01-01,2025-01-02,1\n",
    )
    assert report.status == "rejected"
    problems = {(e["row"], e["column"]) for e in report.errors}
    assert (2, "received_on") in problems and (3, "supplier") in problems
    assert not PurchaseOrder.objects.exists()


def test_purchase_orders_export(catalogue):
    from etl.exports import export_content

    run_import("suppliers", "code,name\nS1,One\n")
    run_import("purchase-history", HISTORY)
    text = b"".join(export_content(kind="purchase-orders", file_format="csv")).decode()
    assert text.splitlines()[0].startswith("reference,supplier,location,status")
    assert "H3,S1,DC1,received" in text


def test_demo_seed_learns_lead_times_and_is_idempotent(db):
    import io
    from datetime import date

    from demo.catalogue import demo_data_seed
    from etl.importing import run_import as run
    from purchasing.demo import purchasing_demo_seed

    demo_data_seed(days=30, include_sales=False)

    def importer(kind, data):
        return run(kind=kind, stream=io.BytesIO(data), size=len(data))

    result = purchasing_demo_seed(today=date.today(), run_import=importer)
    assert result["open_orders"] == 3
    assert result["reports"]["purchase-history"].inserted > 100
    assert LeadTimeStats.objects.filter(receipts_count__gte=3).exists()
    assert SupplierProduct.objects.filter(is_preferred=True).count() >= 30
    again = purchasing_demo_seed(today=date.today(), run_import=importer)
    assert again["open_orders"] == 0
    assert again["reports"]["purchase-history"].inserted == 0
