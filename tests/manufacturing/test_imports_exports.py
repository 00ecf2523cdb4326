"""Imports of boms, mps, work-centres, operations (all or nothing, row-level report), products
with variants, and the planned-orders export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from catalog.models import Product
from etl.exports import export_content
from etl.importing import run_import
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MasterProductionSchedule,
    Operation,
    WorkCentre,
)
from manufacturing.planning import mrp_run_create, mrp_run_execute
from tests.manufacturing.helpers import TODAY, mps, two_level_plant

pytestmark = pytest.mark.django_db


def load(kind: str, text: str):
    data = text.encode()
    return run_import(kind=kind, stream=io.BytesIO(data), size=len(data))


def _products():
    report = load(
        "products",
        "sku,name,product_type,uom\nM,Model,finished,unit\nX,Part X,raw,unit\nY,Part Y,raw,kg\n"
        "Z,Part Z,both,unit\n",
    )
    assert report.status == "imported", report.errors


def test_products_with_parent_and_attributes():
    report = load(
        "products",
        "sku,name,parent_sku,attributes\nTEE,Tee,,\nTEE-L-RED,Tee L red,TEE,size=L;colour=red\n",
    )
    assert report.status == "imported", report.errors
    variant = Product.objects.get(sku="TEE-L-RED")
    assert variant.parent.sku == "TEE"
    assert variant.attributes == {"size": "L", "colour": "red"}
    bad = load("products", "sku,name,parent_sku,attributes\nV,V,NOPE,size\n")
    assert bad.status == "rejected"
    assert {e["column"] for e in bad.errors} == {"attributes"}


def test_boms_import_replaces_version_lines_and_activates():
    _products()
    report = load("boms", "parent_sku,component_sku,quantity,scrap_pct\nM,X,2,5\nM,Y,0.25,\n")
    assert report.status == "imported", report.errors
    bom = BillOfMaterials.objects.get(product__sku="M")
    assert (bom.version, bom.is_active) == (1, True)
    again = load("boms", "parent_sku,component_sku,quantity\nM,Z,3\n")
    assert again.status == "imported", again.errors
    assert list(BomLine.objects.filter(bom=bom).values_list("component__sku", flat=True)) == ["Z"]
    v2 = load("boms", "parent_sku,component_sku,quantity,version\nM,X,1,2\n")
    assert v2.status == "imported", v2.errors
    assert BillOfMaterials.objects.get(product__sku="M", is_active=True).version == 2


def test_boms_import_rejects_bad_rows_and_cycles_writing_nothing():
    _products()
    bad = load(
        "boms",
        "parent_sku,component_sku,quantity,scrap_pct\nM,X,0,\nM,NOPE,1,\nM,M,1,\nM,Y,1,101\n",
    )
    assert bad.status == "rejected"
    assert {(e["row"], e["column"]) for e in bad.errors} >= {
        (2, "quantity"),
        (3, "component_sku"),
        (5, "scrap_pct"),
    }
    cycle = load("boms", "parent_sku,component_sku,quantity\nM,Z,1\nZ,X,1\nX,M,1\n")
    assert cycle.status == "rejected"
    assert all("BOM cycle: M → Z → X → M" in e["why"] for e in cycle.errors)
    assert {e["row"] for e in cycle.errors} == {2, 3, 4}
    assert not BillOfMaterials.objects.exists()


def test_mps_work_centres_and_operations_import():
    _products()
    load("locations", "code,name,kind\nPL,Plant,plant\n")
    assert load("mps", "date,sku,location,quantity\n2026-12-20,M,PL,12.5\n").status == "imported"
    assert MasterProductionSchedule.objects.get().quantity == 12.5
    assert load("mps", "date,sku,location,quantity\n2026-13-01,M,PL,1\n").status == "rejected"
    report = load("work-centres", "code,name,hours_per_day,cost_per_hour\nWC1,Assembly,7.5,40\n")
    assert report.status == "imported", report.errors
    centre = WorkCentre.objects.get()
    assert (centre.hours_per_day, centre.working_days) == (7.5, [0, 1, 2, 3, 4])
    no_bom = load("operations", "sku,sequence,work_centre,run_minutes\nM,10,WC1,3\n")
    assert no_bom.status == "rejected" and no_bom.errors[0]["column"] == "sku"
    load("boms", "parent_sku,component_sku,quantity\nM,X,1\n")
    ops = load("operations", "sku,sequence,work_centre,run_minutes,setup_minutes\nM,10,WC1,3,15\n")
    assert ops.status == "imported", ops.errors
    op = Operation.objects.get()
    assert (op.sequence, op.run_minutes, op.setup_minutes) == (10, 3, 15)
    unknown = load("operations", "sku,sequence,work_centre,run_minutes\nM,20,WC9,3\n")
    assert unknown.status == "rejected" and unknown.errors[0]["column"] == "work_centre"


def test_planned_orders_export_columns_and_pegged_to(tenant_a, tmp_path):
    plant = two_level_plant()
    row = mps(plant["fg"], plant["plant"], 10, "10")
    run = mrp_run_create(source="mps", horizon_days=30)
    mrp_run_execute(run_id=run.pk, today=TODAY)
    text = b"".join(export_content(kind="planned-orders", file_format="csv")).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "sku",
        "location",
        "kind",
        "quantity",
        "release_date",
        "due_date",
        "pegged_to",
    ]
    by_sku = {r[0]: r for r in rows[1:]}
    assert by_sku["FG"][1:] == ["PLANT", "make", "6", "2026-12-15", "2026-12-17", f"mps:{row.pk}"]
    assert by_sku["SUB"][6].startswith("order:")
    from openpyxl import load_workbook

    xlsx = b"".join(export_content(kind="planned-orders", file_format="xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    header, *data = [[c.value for c in row] for row in sheet.iter_rows()]
    assert header == rows[0] and len(data) == len(rows) - 1
    out = tmp_path / "po.json"
    call_command(
        "export_data",
        "planned-orders",
        "--schema",
        tenant_a.schema_name,
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert {r["sku"] for r in json.loads(out.read_text())} == {"FG", "SUB", "RAW", "RAW2"}
