"""Exports: the contract's columns, three formats, formula cells escaped, a round trip through
the importer that changes nothing, the command, the API (filters, errors, roles, tenancy)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from catalog.models import Category, DemandHistory, Location, Product, StockLevel
from etl.exports import export_content
from etl.importing import run_import
from tests.conftest import HOST_A, HOST_B, assert_error, client_for

pytestmark = pytest.mark.django_db

LOCATIONS = "code,name\nDC,Main DC\nS1,Store 1\n"
PRODUCTS = (
    "sku,name,category,uom,unit_cost,unit_price,product_type,supplier,lead_time_days,moq,"
    "pack_size\nA,Apple,Fruit,kg,0.50,1.20,finished,ACME,5,10,6\nB,=1+2,,,,,raw,-X,,,\n"
)
SALES = (
    "date,sku,location,quantity,revenue,stockout\n2026-01-01,A,S1,3,3.60,false\n"
    "2026-01-02,A,S1,0,0,true\n2026-01-01,B,DC,7.5,,\n2026-01-03,B,S1,2,4,\n"
)
STOCK = "sku,location,on_hand\nA,DC,12\nB,S1,0.5\n"

PRODUCT_HEADER = (
    "sku,name,category,uom,unit_cost,unit_price,product_type,supplier,lead_time_days,moq,pack_size"
)


def load(kind: str, data: str | bytes):
    raw = data.encode() if isinstance(data, str) else data
    report = run_import(kind=kind, stream=io.BytesIO(raw), size=len(raw))
    assert report.error_count == 0, report.errors
    return report


@pytest.fixture
def catalog():
    for kind, text in (
        ("locations", LOCATIONS),
        ("products", PRODUCTS),
        ("sales", SALES),
        ("stock", STOCK),
    ):
        load(kind, text)


def content(kind: str, file_format: str, **options) -> bytes:
    return b"".join(export_content(kind=kind, file_format=file_format, **options))


def snapshot() -> tuple[list, ...]:
    return (
        list(Product.objects.order_by("sku").values()),
        list(Category.objects.values()),
        list(Location.objects.values()),
        list(DemandHistory.objects.values()),
        list(StockLevel.objects.values("product_id", "location_id", "on_hand")),
    )


def test_csv_has_the_contract_columns_and_values(catalog):
    products = content("products", "csv").decode().splitlines()
    assert products[0] == PRODUCT_HEADER
    assert products[1] == "A,Apple,Fruit,kg,0.50,1.20,finished,ACME,5,10.000,6.000"
    sales = list(csv.reader(io.StringIO(content("sales", "csv").decode())))
    # The import's optional ``stockout`` column comes last: True/False, empty where unknown.
    assert sales[0] == ["date", "sku", "location", "quantity", "revenue", "stockout"]
    assert sales[1:] == [
        ["2026-01-01", "A", "S1", "3.000", "3.60", "False"],
        ["2026-01-01", "B", "DC", "7.500", "", ""],
        ["2026-01-02", "A", "S1", "0.000", "0.00", "True"],
        ["2026-01-03", "B", "S1", "2.000", "4.00", ""],
    ]
    stock = content("stock", "csv").decode().splitlines()
    assert stock == ["sku,location,on_hand", "A,DC,12.000", "B,S1,0.500"]


def test_formula_cells_are_escaped_in_csv_and_xlsx_not_json(catalog):
    csv_rows = list(csv.reader(io.StringIO(content("products", "csv").decode())))
    assert csv_rows[2][1] == "'=1+2"
    assert csv_rows[2][7] == "'-X"
    sheet = load_workbook(io.BytesIO(content("products", "xlsx"))).active
    assert sheet["B3"].value == "'=1+2"
    assert sheet["B3"].data_type == "s"  # text, not a formula
    assert json.loads(content("products", "json"))[1]["name"] == "=1+2"


def test_json_and_xlsx_shapes(catalog):
    rows = json.loads(content("sales", "json"))
    assert rows[0] == {
        "date": "2026-01-01",
        "sku": "A",
        "location": "S1",
        "quantity": "3.000",
        "revenue": "3.60",
        "stockout": False,
    }
    sheet = load_workbook(io.BytesIO(content("stock", "xlsx"))).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["sku", "location", "on_hand"],
        ["A", "DC", 12],
        ["B", "S1", 0.5],
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(catalog, file_format):
    # The escaped formula cell would come back with its apostrophe: use plain names here.
    Product.objects.filter(sku="B").update(name="Banana", supplier_code="X")
    before = snapshot()
    for kind in ("products", "sales", "stock"):
        report = load(kind, content(kind, file_format))
        assert (report.inserted, report.updated) == (0, 0), (kind, report.as_dict())
    assert snapshot() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_stockout_flags_survive_an_export_and_a_reimport(catalog, file_format):
    """True, false and unknown (empty) flags each come back after the sales are wiped and the
    exported file is imported again."""
    before = sorted(DemandHistory.objects.values_list("product_id", "date", "quantity", "stockout"))
    assert {row[3] for row in before} == {True, False, None}
    exported = content("sales", file_format)
    DemandHistory.objects.all().delete()
    assert load("sales", exported).inserted == 4
    after = sorted(DemandHistory.objects.values_list("product_id", "date", "quantity", "stockout"))
    assert after == before


def test_export_command_writes_every_format(catalog, tenant_a, tmp_path):
    target = tmp_path / "sales.xlsx"
    call_command(
        "export_data",
        "sales",
        "--schema",
        tenant_a.schema_name,
        "--format",
        "xlsx",
        "-o",
        str(target),
    )
    sheet = load_workbook(target).active
    assert sheet.max_row == 5
    out = io.StringIO()
    call_command("export_data", "products", "--schema", tenant_a.schema_name, stdout=out)
    assert out.getvalue().splitlines()[0] == PRODUCT_HEADER
    out = io.StringIO()
    call_command(
        "export_data", "stock", "--schema", tenant_a.schema_name, "--format", "json", stdout=out
    )
    assert json.loads(out.getvalue())[0] == {"sku": "A", "location": "DC", "on_hand": "12.000"}
    with pytest.raises(CommandError):
        call_command("export_data", "sales", "--schema", "nope")


def test_api_streams_csv_with_sales_filters(catalog, viewer):
    client = client_for(HOST_A, viewer)
    response = client.get("/api/v1/exports/sales/?format=csv&sku=A&date_from=2026-01-02")
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines() == [
        "date,sku,location,quantity,revenue,stockout",
        "2026-01-02,A,S1,0.000,0.00,True",
    ]
    response = client.get("/api/v1/exports/sales/?location=DC&date_to=2026-01-01")
    assert b"".join(response.streaming_content).decode().splitlines()[1:] == [
        "2026-01-01,B,DC,7.500,,"
    ]


def test_api_xlsx_and_json(catalog, viewer):
    client = client_for(HOST_A, viewer)
    response = client.get("/api/v1/exports/products/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 3
    response = client.get("/api/v1/exports/stock/?format=json")
    assert response["Content-Type"] == "application/json"
    assert len(json.loads(b"".join(response.streaming_content))) == 2


def test_api_errors_use_the_envelope(viewer, anon_a):
    client = client_for(HOST_A, viewer)
    assert_error(client.get("/api/v1/exports/invoices/?format=csv"), 404, "not_found")
    assert_error(client.get("/api/v1/exports/sales/?format=pdf"), 400, "validation_error")
    assert_error(client.get("/api/v1/exports/sales/?date_from=yesterday"), 400)
    error = assert_error(
        client.get("/api/v1/exports/sales/?date_from=2026-02-01&date_to=2026-01-01"), 400
    )
    assert "date_to" in error["details"]
    assert_error(anon_a.get("/api/v1/exports/sales/"), 401)


def test_tenant_b_exports_none_of_a(catalog, tenant_a, tenant_b):
    from accounts.models import User
    from tests.conftest import make_user

    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
    client = client_for(HOST_B, intruder)
    for kind in ("products", "stock", "sales"):
        response = client.get(f"/api/v1/exports/{kind}/?format=json")
        assert response.status_code == 200
        assert json.loads(b"".join(response.streaming_content)) == []
    with schema_context(tenant_a.schema_name):
        assert Product.objects.count() == 2
