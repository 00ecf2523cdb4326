"""What each import kind accepts (ARCHITECTURE.md §9 CSV contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"  # text, date, decimal, integer, choice
    required: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    positive: bool = False  # strictly greater than zero


@dataclass(frozen=True)
class Reference:
    """A column naming a row of another table (``sku`` → product)."""

    column: str
    table: str
    lookup: str  # the natural key column of that table
    label: str  # for messages: "SKU", "location"


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


ZERO = Decimal("0")
PRODUCT_REF = Reference("sku", "inventory_product", "sku", "SKU")
LOCATION_REF = Reference("location", "inventory_location", "code", "location")

SPECS: dict[str, ImportSpec] = {
    "products": ImportSpec(
        kind="products",
        columns=(
            Column("sku", required=True, max_length=64),
            Column("name", required=True, max_length=255),
            Column("category", max_length=120),
            Column("uom", max_length=16),
            Column("unit_cost", "decimal", minimum=ZERO, maximum=Decimal("1e12")),
            Column("unit_price", "decimal", minimum=ZERO, maximum=Decimal("1e12")),
            Column("product_type", "choice", choices=("finished", "raw", "both")),
            Column("supplier", max_length=64),
            Column("lead_time_days", "integer", minimum=ZERO, maximum=Decimal(365)),
            Column("moq", "decimal", minimum=ZERO, maximum=Decimal("1e11")),
            Column("pack_size", "decimal", positive=True, maximum=Decimal("1e11")),
        ),
        key=("sku",),
    ),
    "locations": ImportSpec(
        kind="locations",
        columns=(
            Column("code", required=True, max_length=64),
            Column("name", required=True, max_length=255),
            Column("kind", "choice", choices=("warehouse", "store", "plant")),
            Column("latitude", "decimal", minimum=Decimal(-90), maximum=Decimal(90)),
            Column("longitude", "decimal", minimum=Decimal(-180), maximum=Decimal(180)),
        ),
        key=("code",),
    ),
    "sales": ImportSpec(
        kind="sales",
        columns=(
            Column("date", "date", required=True),
            Column("sku", required=True, max_length=64),
            Column("location", required=True, max_length=64),
            Column("quantity", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e11")),
            Column("revenue", "decimal", minimum=ZERO, maximum=Decimal("1e12")),
        ),
        key=("sku", "location", "date"),
        references=(PRODUCT_REF, LOCATION_REF),
    ),
    "stock": ImportSpec(
        kind="stock",
        columns=(
            Column("sku", required=True, max_length=64),
            Column("location", required=True, max_length=64),
            Column("on_hand", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e11")),
            Column("as_of", "date"),
        ),
        key=("sku", "location"),
        references=(PRODUCT_REF, LOCATION_REF),
    ),
}
