"""Vehicle and delivery-order imports: good files upsert by natural key (re-import changes
nothing), every bad file is rejected with its row and column and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalog.models import Location
from etl.importing import run_import
from routing.models import DeliveryOrder, Vehicle

pytestmark = pytest.mark.django_db

VEHICLES = (
    "code,name,depot,end_depot,capacity_weight,capacity_volume,shift_start,shift_end,"
    "max_duration_minutes,max_distance_km,cost_per_km,cost_per_hour,fixed_cost,break_start,"
    "break_end,break_minutes,skills\n"
    "IV-1,Van one,IV-DEPOT,,800,6.5,08:00,17:00,480,250,0.5,25,40,12:00,13:30,45,cold;lift\n"
    "IV-2,,IV-DEPOT,IV-DEPOT,1200,,7:30,16:00:00,,,,,,,,,\n"
)
ORDERS = (
    "reference,date,customer,latitude,longitude,demand_weight,demand_volume,window_start,"
    "window_end,window2_start,window2_end,service_minutes,priority,skills\n"
    "IO-1,2026-03-04,Alice,48.87,2.33,12.5,0.2,09:00,11:00,14:00,16:00,10,2,cold\n"
    "IO-2,2026-03-04,,48.86,2.39,5,,,,,,,,\n"
)


def load(kind: str, text: str):
    data = text.encode()
    return run_import(kind=kind, stream=io.BytesIO(data), size=len(data))


@pytest.fixture
def depot():
    return Location.objects.create(
        code="IV-DEPOT", name="Depot", latitude=Decimal("48.85"), longitude=Decimal("2.35")
    )


def test_vehicles_import_and_reimport_changes_nothing(depot):
    report = load("vehicles", VEHICLES)
    assert (report.status, report.rows, report.inserted) == ("imported", 2, 2), report.errors
    one = Vehicle.objects.get(code="IV-1")
    assert (one.capacity, one.volume_capacity) == (Decimal("800"), Decimal("6.5"))
    assert (one.shift_start, one.shift_end) == (dt.time(8), dt.time(17))
    assert (one.break_start, one.break_end, one.break_minutes) == (dt.time(12), dt.time(13, 30), 45)
    assert one.skills == ["cold", "lift"] and one.start_depot == depot and one.end_depot is None
    assert (one.max_duration_minutes, one.max_distance_km) == (480, Decimal("250"))
    two = Vehicle.objects.get(code="IV-2")
    assert two.shift_start == dt.time(7, 30) and two.volume_capacity is None
    assert two.cost_per_km == Decimal("1") and two.break_minutes is None and two.skills == []
    again = load("vehicles", VEHICLES)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = load(
        "vehicles",
        "code,depot,capacity_weight,shift_start,shift_end\nIV-2,IV-DEPOT,1500,07:30,16:00\n",
    )
    assert (changed.updated, Vehicle.objects.get(code="IV-2").capacity) == (1, Decimal("1500"))
    assert Vehicle.objects.get(code="IV-1").break_minutes == 45  # other rows untouched


def test_a_file_that_does_not_cast_still_names_every_bad_cell(depot):
    # "x" cannot be cast to a number: the rules then run on the raw text, times included.
    report = load("vehicles", f"{VEHICLE_HEADER}\nIV-9,IV-DEPOT,x,8h,17:00,,,\n")
    assert report.status == "rejected"
    assert {(e["column"], e["why"]) for e in report.errors} >= {
        ("capacity_weight", "not a number"),
        ("shift_start", "not a time (HH:MM)"),
    }
    assert not Vehicle.objects.exists()


def test_delivery_orders_import_two_windows_and_defaults():
    report = load("delivery-orders", ORDERS)
    assert (report.status, report.inserted) == ("imported", 2), report.errors
    first = DeliveryOrder.objects.get(reference="IO-1")
    assert (first.window_start, first.window_end) == (dt.time(9), dt.time(11))
    assert (first.window2_start, first.window2_end) == (dt.time(14), dt.time(16))
    assert (first.demand, first.volume, first.service_minutes, first.priority) == (
        Decimal("12.5"),
        Decimal("0.2"),
        10,
        2,
    )
    assert first.skills == ["cold"] and first.date == dt.date(2026, 3, 4)
    second = DeliveryOrder.objects.get(reference="IO-2")
    assert second.window_start is None and second.service_minutes == 5 and second.volume is None
    assert load("delivery-orders", ORDERS).unchanged == 2


VEHICLE_HEADER = (
    "code,depot,capacity_weight,shift_start,shift_end,break_start,break_end,break_minutes"
)


@pytest.mark.parametrize(
    ("row", "column", "why"),
    [
        ("IV-9,IV-DEPOT,100,8h,17:00,,,", "shift_start", "not a time (HH:MM)"),
        ("IV-9,IV-DEPOT,100,25:00,17:00,,,", "shift_start", "not a time (HH:MM)"),
        ("IV-9,IV-DEPOT,100,18:00,17:00,,,", "shift_end", "not after shift_start"),
        ("IV-9,NOWHERE,100,08:00,17:00,,,", "depot", "unknown depot"),
        ("IV-9,IV-BLANK,100,08:00,17:00,,,", "depot", "without coordinates"),
        ("IV-9,IV-DEPOT,-5,08:00,17:00,,,", "capacity_weight", "must not be negative"),
        ("IV-9,IV-DEPOT,100,08:00,17:00,12:00,,30", "break_minutes", "needs break_start"),
        ("IV-9,IV-DEPOT,100,08:00,17:00,12:00,12:20,30", "break_minutes", "does not fit"),
        ("IV-9,IV-DEPOT,,08:00,17:00,,,", "capacity_weight", "required"),
    ],
)
def test_bad_vehicle_files_are_rejected_naming_row_and_column(depot, row, column, why):
    Location.objects.create(code="IV-BLANK", name="No coordinates")
    good = "IV-8,IV-DEPOT,100,08:00,17:00,,,"
    report = load("vehicles", f"{VEHICLE_HEADER}\n{good}\n{row}\n")
    assert report.status == "rejected"
    assert any(
        e["row"] == 3 and e["column"] == column and why in e["why"] for e in report.errors
    ), report.errors
    assert not Vehicle.objects.exists()  # not even the good row


ORDER_HEADER = (
    "reference,date,latitude,longitude,demand_weight,window_start,window_end,window2_start,"
    "window2_end,skills"
)


@pytest.mark.parametrize(
    ("row", "column", "why"),
    [
        ("IO-9,2026-03-04,91,2.3,1,,,,,", "latitude", "at most 90"),
        ("IO-9,2026-02-30,48,2.3,1,,,,,", "date", "not a valid calendar date"),
        ("IO-9,2026-03-04,48,2.3,1,11:00,10:00,,,", "window_end", "not after window_start"),
        ("IO-9,2026-03-04,48,2.3,1,09:00,11:00,10:30,12:00,", "window2_start", "after window_end"),
        ("IO-9,2026-03-04,48,2.3,1,09:00,11:00,13:00,,", "window2_end", "needs window2_start"),
        ("IO-9,2026-03-04,48,2.3,1,,,,,bad skill", "skills", "separated by ;"),
        ("IO-1,2026-03-04,48,2.3,1,,,,,", "reference", "duplicate key"),
    ],
)
def test_bad_order_files_are_rejected_naming_row_and_column(row, column, why):
    good = "IO-1,2026-03-04,48.8,2.3,1,,,,,"
    report = load("delivery-orders", f"{ORDER_HEADER}\n{good}\n{row}\n")
    assert report.status == "rejected"
    assert any(
        e["row"] == 3 and e["column"] == column and why in e["why"] for e in report.errors
    ), report.errors
    assert not DeliveryOrder.objects.exists()


def test_import_data_command_takes_both_kinds(tmp_path, tenant_a, depot, capsys):
    vehicles = tmp_path / "vehicles.csv"
    vehicles.write_text(VEHICLES)
    call_command(
        "import_data", "vehicles", str(vehicles), "--schema", tenant_a.schema_name, "--no-progress"
    )
    assert "imported: 2 rows, 2 inserted" in capsys.readouterr().out
    bad = tmp_path / "orders.csv"
    bad.write_text(ORDER_HEADER + "\nIO-1,2026-03-04,48,2.3,1,9:00,8:00,,,\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_data",
            "delivery-orders",
            str(bad),
            "--schema",
            tenant_a.schema_name,
            "--no-progress",
        )
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "nothing was written" in err and "2,window_end,8:00,not after window_start" in err
    assert not DeliveryOrder.objects.exists()
