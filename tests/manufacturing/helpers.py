"""Small plants for the manufacturing tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from catalog.models import Location, Product
from catalog.services import StockChange, stock_change
from manufacturing.models import MasterProductionSchedule
from manufacturing.services import BomLineInput, bom_save

TODAY = date(2026, 12, 7)


def product(sku: str, **fields) -> Product:
    fields.setdefault("name", sku)
    return Product.objects.create(sku=sku, **fields)


def receive(item: Product, location: Location, quantity: str) -> None:
    stock_change(changes=[StockChange(item.pk, location.pk, Decimal(quantity), "receipt")])


def line(component: Product, quantity: str, scrap: str = "0", uom: str = "") -> BomLineInput:
    return BomLineInput(component.pk, Decimal(quantity), Decimal(scrap), uom)


def mps(item: Product, location: Location, day: int, quantity: str) -> MasterProductionSchedule:
    return MasterProductionSchedule.objects.create(
        product=item, location=location, date=TODAY + timedelta(days=day), quantity=quantity
    )


def two_level_plant() -> dict:
    """FG (make, lead 2) = 2 SUB + 1 RAW2 (10 % scrap); SUB (make, lead 1) = 3 RAW;
    RAW bought (lead 5, MOQ 50, pack 25, supplier S1); RAW2 bought without a supplier
    (lead 3). Stock at PLANT: FG 4, SUB 6."""
    plant = Location.objects.create(code="PLANT", name="Plant", kind="plant")
    fg = product("FG", product_type="finished", lead_time_days=2)
    sub = product("SUB", product_type="both", lead_time_days=1)
    raw = product(
        "RAW", product_type="raw", lead_time_days=5, moq=50, pack_size=25, supplier_code="S1"
    )
    raw2 = product("RAW2", product_type="raw", lead_time_days=3)
    bom_save(product=fg, lines=[line(sub, "2"), line(raw2, "1", "10")])
    bom_save(product=sub, lines=[line(raw, "3")])
    receive(fg, plant, "4")
    receive(sub, plant, "6")
    return {"plant": plant, "fg": fg, "sub": sub, "raw": raw, "raw2": raw2}
