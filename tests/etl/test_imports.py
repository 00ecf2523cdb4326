"""Imports: every validation rule rejects its bad file and writes nothing; good files upsert
by natural key and re-importing changes nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from catalog.models import Category, DemandHistory, Location, Product, StockLevel, StockMovement
from core.models import AuditLog
from etl.importing import run_import

pytestmark = pytest.mark.django_db

LOCATIONS = (
    "code,name,kind,latitude,longitude\nDC,Main DC,warehouse,52.5,13.4\nS1,Store 1,store,,\n"
)
PRODUCTS = (
    "sku,name,category,uom,unit_cost,unit_price,product_type,supplier,lead_time_days,moq,"
    "pack_size\nA,Apple,Fruit,kg,0.50,1.20,finished,ACME,5,10,6\nB,Banana,Fruit,,,,,,,,\n"
)
SALES = (
    "date,sku,location,quantity,revenue\n2026-01-01,A,S1,3,3.60\n2026-01-02,A,S1,0,0\n"
    "2026-01-01,B,DC,7.5,\n"
)


def load(kind: str, text: str | bytes, **options):
    data = text.encode() if isinstance(text, str) else text
    return run_import(kind=kind, stream=io.BytesIO(data), size=len(data), **options)


def counts() -> tuple[int, ...]:
    return (
        Product.objects.count(),
        Location.objects.count(),
        DemandHistory.objects.count(),
        StockLevel.objects.count(),
        StockMovement.objects.count(),
        Category.objects.count(),
    )


def _base() -> None:
    assert load("locations", LOCATIONS).status == "imported"
    assert load("products", PRODUCTS).status == "imported"


def test_products_locations_and_sales_import_and_reimport_changes_nothing():
    _base()
    apple = Product.objects.get(sku="A")
    assert (apple.unit_cost, apple.lead_time_days, apple.pack_size, apple.supplier_code) == (
        Decimal("0.50"),
        5,
        Decimal("6"),
        "ACME",
    )
    assert apple.category.name == "Fruit"
    assert Product.objects.get(sku="B").uom == "unit"  # empty cell → default
    report = load("sales", SALES)
    assert (report.status, report.rows, report.inserted) == ("imported", 3, 3)
    again = load("sales", SALES)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert load("products", PRODUCTS).unchanged == 2
    changed = load("sales", SALES.replace("2026-01-01,A,S1,3,3.60", "2026-01-01,A,S1,4,4.80"))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    row = DemandHistory.objects.get(product__sku="A", date=date(2026, 1, 1))
    assert (row.quantity, row.revenue) == (Decimal("4"), Decimal("4.80"))


def test_absent_optional_columns_do_not_overwrite_existing_values():
    _base()
    assert load("products", "sku,name\nA,Red apple\n").updated == 1
    apple = Product.objects.get(sku="A")
    assert apple.name == "Red apple"
    assert apple.unit_cost == Decimal("0.50") and apple.category.name == "Fruit"


BAD_FILES = {
    "missing required column": ("sales", "date,sku,quantity\n2026-01-01,A,1\n", 1, "location"),
    "not ISO date": ("sales", "date,sku,location,quantity\n01/02/2026,A,S1,1\n", 2, "date"),
    "impossible date": ("sales", "date,sku,location,quantity\n2026-02-30,A,S1,1\n", 2, "date"),
    "negative quantity": (
        "sales",
        "date,sku,location,quantity\n2026-01-01,A,S1,-1\n",
        2,
        "quantity",
    ),
    "not a number": ("sales", "date,sku,location,quantity\n2026-01-01,A,S1,lots\n", 2, "quantity"),
    "NaN": ("sales", "date,sku,location,quantity\n2026-01-01,A,S1,NaN\n", 2, "quantity"),
    "duplicate key": (
        "sales",
        "date,sku,location,quantity\n2026-01-01,A,S1,1\n2026-01-01,A,S1,2\n",
        3,
        "sku, location, date",
    ),
    "unknown sku": ("sales", "date,sku,location,quantity\n2026-01-01,NOPE,S1,1\n", 2, "sku"),
    "unknown location": ("stock", "sku,location,on_hand\nA,MARS,1\n", 2, "location"),
    "bad choice": ("products", "sku,name,product_type\nC,Cherry,fruit\n", 2, "product_type"),
    "too long": ("products", "sku,name\n" + "X" * 65 + ",Long\n", 2, "sku"),
    "required empty": ("products", "sku,name\nC,\n", 2, "name"),
    "latitude range": ("locations", "code,name,latitude\nL,Lost,95\n", 2, "latitude"),
    "lead time range": ("products", "sku,name,lead_time_days\nC,Cherry,400\n", 2, "lead_time_days"),
    "whole number": ("products", "sku,name,lead_time_days\nC,Cherry,2.5\n", 2, "lead_time_days"),
    "zero pack size": ("products", "sku,name,pack_size\nC,Cherry,0\n", 2, "pack_size"),
    "wrong column count": ("sales", "date,sku,location,quantity\n2026-01-01,A,S1,1,9\n", 2, ""),
    "no data rows": ("sales", "date,sku,location,quantity\n", 2, ""),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_each_rule_rejects_its_bad_file_and_writes_nothing(case):
    _base()
    kind, text, row, column = BAD_FILES[case]
    before = counts()
    report = load(kind, text)
    assert report.status == "rejected", report.as_dict()
    assert report.error_count >= 1
    assert any(e["row"] == row and e["column"] == column for e in report.errors), report.errors
    assert all(e["why"] for e in report.errors)
    assert counts() == before


def test_a_file_with_one_bad_row_writes_none_of_the_good_rows():
    _base()
    text = SALES + "2026-01-03,A,S1,-5,\n"
    report = load("sales", text)
    assert report.status == "rejected" and report.error_count == 1
    assert not DemandHistory.objects.exists()


def test_encoding_errors_are_reported_with_their_row():
    _base()
    data = b"date,sku,location,quantity\n2026-01-01,A,S1,1\n2026-01-02,\xff\xfeA,S1,1\n"
    report = load("sales", data)
    assert report.status == "rejected"
    assert report.errors[0]["row"] == 3
    assert "UTF-8" in report.errors[0]["why"]


def test_not_a_table_is_rejected():
    report = load("sales", b"\x00\x01\x02binary")
    assert report.status == "rejected"
    assert "neither UTF-8 CSV" in report.errors[0]["why"]


def test_dry_run_validates_without_writing():
    _base()
    before = counts()
    report = load("sales", SALES, dry_run=True)
    assert (report.status, report.rows, report.error_count) == ("validated", 3, 0)
    assert counts() == before


def test_create_missing_adds_unknown_products_and_locations():
    report = load(
        "sales", "date,sku,location,quantity\n2026-01-01,NEW,SHOP,2\n", create_missing=True
    )
    assert report.status == "imported"
    assert report.created == {"products": 1, "locations": 1}
    assert Product.objects.get(sku="NEW").name == "NEW"
    assert Location.objects.get(code="SHOP").name == "SHOP"


def test_extra_columns_are_ignored_with_a_warning_and_bom_and_crlf_are_fine():
    _base()
    data = "\ufeffdate,sku,location,quantity,weather\r\n2026-01-01,A,S1,1,sunny\r\n".encode()
    report = load("sales", data)
    assert report.status == "imported", report.errors
    assert report.warnings == ["Ignored columns: weather."]


def test_stock_import_goes_through_the_ledger():
    _base()
    report = load("stock", "sku,location,on_hand,as_of\nA,DC,40,2026-01-31\nB,S1,0,\n")
    assert (report.status, report.inserted, report.updated) == ("imported", 2, 0)
    assert StockLevel.objects.get(product__sku="A").on_hand == Decimal("40")
    recount = load("stock", "sku,location,on_hand\nA,DC,35\nB,S1,0\n")
    assert (recount.inserted, recount.updated, recount.unchanged) == (0, 1, 1)
    movements = list(
        StockMovement.objects.filter(product__sku="A")
        .order_by("id")
        .values_list("kind", "quantity")
    )
    assert movements == [("adjustment", Decimal("40")), ("adjustment", Decimal("-5"))]
    first = StockMovement.objects.filter(product__sku="A").order_by("id").first()
    assert first.occurred_at.date() == date(2026, 1, 31)


def test_xlsx_files_import_like_csv():
    _base()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["date", "sku", "location", "quantity"])
    sheet.append([date(2026, 3, 1), "A", "S1", 5])
    sheet.append(["2026-03-02", "A", "S1", 2.5])
    sheet.append([None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = load("sales", buffer.getvalue())
    assert (report.status, report.rows, report.inserted) == ("imported", 2, 2), report.errors
    assert DemandHistory.objects.get(date=date(2026, 3, 2)).quantity == Decimal("2.5")


def test_import_data_command(tmp_path, tenant_a, capsys):
    _base()
    good = tmp_path / "sales.csv"
    good.write_text(SALES)
    call_command(
        "import_data", "sales", str(good), "--schema", tenant_a.schema_name, "--no-progress"
    )
    assert "imported: 3 rows, 3 inserted" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("date,sku,location,quantity\n2026-01-01,A,S1,-3\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_data", "sales", str(bad), "--schema", tenant_a.schema_name, "--no-progress"
        )
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert "2,quantity,-3,must not be negative" in err
    assert not AuditLog.objects.filter(object_type="catalog.demandhistory").exists()


@pytest.mark.django_db(transaction=False)
def test_sales_update_and_insert_in_one_file():
    _base()
    load("sales", SALES)
    mixed = (
        "date,sku,location,quantity\n2026-01-01,A,S1,9\n2026-01-03,A,S1,1\n2026-01-01,B,DC,7.5\n"
    )
    report = load("sales", mixed)
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    quantities = dict(
        DemandHistory.objects.filter(product__sku="A").values_list("date", "quantity")
    )
    assert quantities == {
        date(2026, 1, 1): Decimal("9"),
        date(2026, 1, 2): Decimal("0"),
        date(2026, 1, 3): Decimal("1"),
    }
    # Revenue absent from the file: the stored revenue of the updated row is kept.
    assert DemandHistory.objects.get(product__sku="A", date=date(2026, 1, 1)).revenue == Decimal(
        "3.60"
    )
