"""What each import kind accepts (ARCHITECTURE.md §9 CSV contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"  # text, date, decimal, integer, choice, boolean
    required: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    positive: bool = False  # strictly greater than zero
    # A regular expression a text value must match, and the report's reason when it does not.
    pattern: str | None = None
    pattern_why: str = "not in the expected format"


@dataclass(frozen=True)
class Reference:
    """A column naming a row of another table (``sku`` → product)."""

    column: str
    table: str
    lookup: str  # the natural key column of that table
    label: str  # for messages: "SKU", "location"


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of one row, checked once every cell is valid. ``wrong`` is SQL
    over the typed row ``s`` (columns named as in the spec) that is true when the row breaks
    the rule; the report names ``column`` and ``why``."""

    column: str
    wrong: str
    why: str


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())
    row_checks: tuple[RowCheck, ...] = field(default=())
    # Dotted path of the bulk writer when it lives outside ``catalog.bulk``.
    writer: str | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


ZERO = Decimal("0")
PRODUCT_REF = Reference("sku", "inventory_product", "sku", "SKU")
LOCATION_REF = Reference("location", "inventory_location", "code", "location")

# Variant attributes in one cell: ``size=L;colour=red`` (names without = or ;).
ATTRIBUTES_PATTERN = r"^\s*[^=;]+=[^;]*(;\s*[^=;]+=[^;]*)*;?\s*$"

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
            Column("parent_sku", max_length=64),
            Column(
                "attributes",
                pattern=ATTRIBUTES_PATTERN,
                pattern_why="not a list of name=value separated by ; (size=L;colour=red)",
            ),
        ),
        key=("sku",),
        row_checks=(
            RowCheck("parent_sku", "s.parent_sku = s.sku", "a product cannot be its own parent"),
            RowCheck(
                "parent_sku",
                "s.parent_sku IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inventory_product p "
                "WHERE p.sku = s.parent_sku) AND NOT EXISTS (SELECT 1 FROM etl_typed f "
                "WHERE f.sku = s.parent_sku)",
                "unknown parent SKU (not in the catalogue nor in this file)",
            ),
        ),
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
            # Known out of stock that day (true/false/1/0/yes/no; empty: unknown). ADR 32.
            Column("stockout", "boolean"),
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


# --- Routing: vehicles and delivery orders (written by ``routing.imports``) ---------------------

TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
SKILLS_PATTERN = r"^[A-Za-z0-9_.-]{1,32}( *; *[A-Za-z0-9_.-]{1,32})*$"


def _time(name: str, required: bool = False) -> Column:
    return Column(name, required=required, pattern=TIME_PATTERN, pattern_why="not a time (HH:MM)")


_SKILLS = Column(
    "skills", pattern=SKILLS_PATTERN, pattern_why="not a list of skills separated by ;"
)
_DEPOT_OK = (
    "NOT EXISTS (SELECT 1 FROM inventory_location l WHERE l.code = {col} "
    "AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL)"
)

SPECS["vehicles"] = ImportSpec(
    kind="vehicles",
    columns=(
        Column("code", required=True, max_length=64),
        Column("name", max_length=255),
        Column("depot", required=True, max_length=64),
        Column("end_depot", max_length=64),
        Column("capacity_weight", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e8")),
        Column("capacity_volume", "decimal", minimum=ZERO, maximum=Decimal("1e8")),
        _time("shift_start", required=True),
        _time("shift_end", required=True),
        Column("max_duration_minutes", "integer", minimum=Decimal(1), maximum=Decimal(1440)),
        Column("max_distance_km", "decimal", minimum=ZERO, maximum=Decimal("1e6")),
        Column("cost_per_km", "decimal", minimum=ZERO, maximum=Decimal("1e7")),
        Column("cost_per_hour", "decimal", minimum=ZERO, maximum=Decimal("1e7")),
        Column("fixed_cost", "decimal", minimum=ZERO, maximum=Decimal("1e7")),
        _time("break_start"),
        _time("break_end"),
        Column("break_minutes", "integer", minimum=Decimal(1), maximum=Decimal(720)),
        _SKILLS,
    ),
    key=("code",),
    row_checks=(
        RowCheck(
            "depot",
            _DEPOT_OK.format(col="s.depot"),
            "unknown depot, or a depot without coordinates",
        ),
        RowCheck(
            "end_depot",
            "s.end_depot IS NOT NULL AND " + _DEPOT_OK.format(col="s.end_depot"),
            "unknown depot, or a depot without coordinates",
        ),
        RowCheck("shift_end", "s.shift_end::time <= s.shift_start::time", "not after shift_start"),
        RowCheck(
            "break_minutes",
            "num_nulls(s.break_start, s.break_end, s.break_minutes) NOT IN (0, 3)",
            "a break needs break_start, break_end and break_minutes",
        ),
        RowCheck(
            "break_minutes",
            "num_nulls(s.break_start, s.break_end, s.break_minutes) = 0 AND ("
            "s.break_end::time <= s.break_start::time OR "
            "s.break_minutes * interval '1 minute' > s.break_end::time - s.break_start::time)",
            "the break does not fit between break_start and break_end",
        ),
    ),
    writer="routing.imports.vehicles_write",
)

SPECS["delivery-orders"] = ImportSpec(
    kind="delivery-orders",
    columns=(
        Column("reference", required=True, max_length=64),
        Column("date", "date", required=True),
        Column("customer", max_length=255),
        Column("latitude", "decimal", required=True, minimum=Decimal(-90), maximum=Decimal(90)),
        Column("longitude", "decimal", required=True, minimum=Decimal(-180), maximum=Decimal(180)),
        Column("demand_weight", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e8")),
        Column("demand_volume", "decimal", minimum=ZERO, maximum=Decimal("1e8")),
        _time("window_start"),
        _time("window_end"),
        _time("window2_start"),
        _time("window2_end"),
        Column("service_minutes", "integer", minimum=ZERO, maximum=Decimal(1440)),
        Column("priority", "integer", minimum=ZERO, maximum=Decimal(100)),
        _SKILLS,
    ),
    key=("reference",),
    row_checks=(
        RowCheck(
            "window_end",
            "s.window_end::time <= s.window_start::time",
            "not after window_start",
        ),
        RowCheck(
            "window2_end",
            "num_nulls(s.window2_start, s.window2_end) = 1",
            "the second window needs window2_start and window2_end",
        ),
        RowCheck(
            "window2_start",
            "s.window2_start IS NOT NULL AND (s.window_end IS NULL "
            "OR s.window2_start::time <= s.window_end::time)",
            "the second window must start after window_end",
        ),
        RowCheck(
            "window2_end",
            "s.window2_end::time <= s.window2_start::time",
            "not after window2_start",
        ),
    ),
    writer="routing.imports.delivery_orders_write",
)


# --- Purchasing: suppliers, their terms and purchase history (``purchasing.imports``) -----------

SUPPLIER_REF = Reference("supplier", "purchasing_supplier", "code", "supplier")
CURRENCY = Column(
    "currency", pattern=r"^[A-Za-z]{3}$", pattern_why="not a currency code (ISO 4217)"
)

SPECS["suppliers"] = ImportSpec(
    kind="suppliers",
    columns=(
        Column("code", required=True, max_length=64),
        Column("name", required=True, max_length=255),
        Column("kind", "choice", choices=("buy", "subcontract")),
        CURRENCY,
        Column(
            "email",
            max_length=254,
            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            pattern_why="not an e-mail address",
        ),
        Column("phone", max_length=64),
        Column("lead_time_days", "integer", minimum=ZERO, maximum=Decimal(365)),
        Column("min_order_value", "decimal", minimum=ZERO, maximum=Decimal("1e12")),
        Column("order_cycle_days", "integer", minimum=ZERO, maximum=Decimal(365)),
    ),
    key=("code",),
    writer="purchasing.imports.suppliers_write",
)

SPECS["supplier-products"] = ImportSpec(
    kind="supplier-products",
    columns=(
        Column("supplier", required=True, max_length=64),
        Column("sku", required=True, max_length=64),
        Column("price", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e11")),
        Column("supplier_sku", max_length=64),
        Column("pack_size", "decimal", positive=True, maximum=Decimal("1e11")),
        Column("moq", "decimal", minimum=ZERO, maximum=Decimal("1e11")),
        Column("lead_time_days", "integer", minimum=ZERO, maximum=Decimal(365)),
        Column("preferred", "boolean"),
    ),
    key=("supplier", "sku"),
    references=(SUPPLIER_REF, PRODUCT_REF),
    row_checks=(
        RowCheck(
            "preferred",
            "s.preferred AND EXISTS (SELECT 1 FROM etl_typed o WHERE o.sku = s.sku "
            "AND o.preferred AND o.row_no < s.row_no)",
            "another row already makes a supplier preferred for this SKU",
        ),
    ),
    writer="purchasing.imports.supplier_products_write",
)

SPECS["purchase-history"] = ImportSpec(
    kind="purchase-history",
    columns=(
        Column("reference", required=True, max_length=64),
        Column("supplier", required=True, max_length=64),
        Column("sku", required=True, max_length=64),
        Column("location", required=True, max_length=64),
        Column("ordered_on", "date", required=True),
        Column("received_on", "date", required=True),
        Column("quantity", "decimal", required=True, positive=True, maximum=Decimal("1e11")),
        Column("unit_price", "decimal", minimum=ZERO, maximum=Decimal("1e11")),
        Column("expected_on", "date"),
    ),
    key=("reference", "sku", "location", "received_on"),
    references=(SUPPLIER_REF, PRODUCT_REF, LOCATION_REF),
    row_checks=(
        RowCheck("received_on", "s.received_on < s.ordered_on", "before ordered_on"),
        RowCheck("expected_on", "s.expected_on < s.ordered_on", "before ordered_on"),
        RowCheck(
            "supplier",
            "EXISTS (SELECT 1 FROM etl_typed o WHERE o.reference = s.reference "
            "AND o.supplier <> s.supplier)",
            "the same reference names another supplier in this file",
        ),
        RowCheck(
            "ordered_on",
            "EXISTS (SELECT 1 FROM etl_typed o WHERE o.reference = s.reference "
            "AND o.ordered_on <> s.ordered_on)",
            "the same reference has another ordered_on in this file",
        ),
        RowCheck(
            "reference",
            "EXISTS (SELECT 1 FROM purchasing_purchaseorder po JOIN purchasing_supplier su "
            "ON su.id = po.supplier_id WHERE po.reference = s.reference "
            "AND (su.code <> s.supplier OR po.source <> 'import'))",
            "an order with this reference exists (another supplier, or made in the app)",
        ),
    ),
    writer="purchasing.imports.purchase_history_write",
)

# --- Manufacturing: BOMs, MPS, work centres, operations (written by ``manufacturing.imports``) --

SPECS["boms"] = ImportSpec(
    kind="boms",
    columns=(
        Column("parent_sku", required=True, max_length=64),
        Column("component_sku", required=True, max_length=64),
        Column("quantity", "decimal", required=True, positive=True, maximum=Decimal("1e9")),
        Column("scrap_pct", "decimal", minimum=ZERO, maximum=Decimal(100)),
        Column("uom", max_length=16),
        Column("version", "integer", minimum=Decimal(1), maximum=Decimal(100000)),
    ),
    key=("parent_sku", "component_sku", "version"),
    references=(
        Reference("parent_sku", "inventory_product", "sku", "SKU"),
        Reference("component_sku", "inventory_product", "sku", "SKU"),
    ),
    row_checks=(
        RowCheck(
            "component_sku", "s.component_sku = s.parent_sku", "a product cannot contain itself"
        ),
        RowCheck(
            "component_sku",
            "EXISTS (SELECT 1 FROM etl_typed f WHERE f.parent_sku = s.parent_sku "
            "AND f.component_sku = s.component_sku AND coalesce(f.version, 1) = "
            "coalesce(s.version, 1) AND f.row_no < s.row_no)",
            "duplicate line: the same component twice in one BOM version",
        ),
        RowCheck(
            "uom",
            "s.uom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inventory_product p "
            "WHERE p.sku = s.component_sku AND p.uom = s.uom) AND NOT EXISTS (SELECT 1 "
            "FROM catalog_productunit u JOIN inventory_product p ON p.id = u.product_id "
            "WHERE p.sku = s.component_sku AND u.name = s.uom)",
            "not a unit of the component (define it on the product first)",
        ),
    ),
    writer="manufacturing.imports.boms_write",
)

SPECS["mps"] = ImportSpec(
    kind="mps",
    columns=(
        Column("date", "date", required=True),
        Column("sku", required=True, max_length=64),
        Column("location", required=True, max_length=64),
        Column("quantity", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e11")),
    ),
    key=("sku", "location", "date"),
    references=(PRODUCT_REF, LOCATION_REF),
    writer="manufacturing.imports.mps_write",
)

SPECS["work-centres"] = ImportSpec(
    kind="work-centres",
    columns=(
        Column("code", required=True, max_length=64),
        Column("name", required=True, max_length=255),
        Column("hours_per_day", "decimal", required=True, minimum=ZERO, maximum=Decimal(24)),
        Column("cost_per_hour", "decimal", minimum=ZERO, maximum=Decimal("1e9")),
    ),
    key=("code",),
    writer="manufacturing.imports.work_centres_write",
)

SPECS["operations"] = ImportSpec(
    kind="operations",
    columns=(
        Column("sku", required=True, max_length=64),
        Column("sequence", "integer", required=True, minimum=Decimal(1), maximum=Decimal(100000)),
        Column("work_centre", required=True, max_length=64),
        Column("run_minutes", "decimal", required=True, minimum=ZERO, maximum=Decimal("1e7")),
        Column("setup_minutes", "decimal", minimum=ZERO, maximum=Decimal("1e7")),
    ),
    key=("sku", "sequence"),
    references=(
        PRODUCT_REF,
        Reference("work_centre", "manufacturing_workcentre", "code", "work centre"),
    ),
    row_checks=(
        RowCheck(
            "sku",
            "NOT EXISTS (SELECT 1 FROM manufacturing_billofmaterials b JOIN inventory_product p "
            "ON p.id = b.product_id WHERE p.sku = s.sku AND b.is_active)",
            "no active BOM for this SKU (import its BOM first)",
        ),
    ),
    writer="manufacturing.imports.operations_write",
)


# --- Forecasting: promotions and campaigns (written by ``forecasting.imports``, ADR 32) ------

_SAME_CAMPAIGN = "EXISTS (SELECT 1 FROM etl_typed o WHERE o.name = s.name AND o.row_no < s.row_no "

SPECS["promotions"] = ImportSpec(
    kind="promotions",
    columns=(
        Column("name", required=True, max_length=120),
        Column("start", "date", required=True),
        Column("end", "date", required=True),
        Column("sku", max_length=64),
        Column("category", max_length=120),
        Column("location", max_length=64),
        # The expected relative lift: 0.3 = +30 % (above −100 %).
        Column("uplift", "decimal", minimum=Decimal("-0.9999"), maximum=Decimal(1000)),
    ),
    # The rows of one campaign share its name: duplicates are a row rule below (a row names
    # a SKU or a category, the other empty, which a key of non-empty columns cannot say).
    key=(),
    references=(
        PRODUCT_REF,
        Reference("category", "inventory_category", "name", "category"),
        LOCATION_REF,
    ),
    row_checks=(
        RowCheck(
            "sku", "num_nulls(s.sku, s.category) <> 1", "fill exactly one of sku and category"
        ),
        RowCheck("end", 's."end" < s.start', "before start"),
        RowCheck(
            "start",
            _SAME_CAMPAIGN + 'AND (o.start, o."end") IS DISTINCT FROM (s.start, s."end"))',
            "the same campaign has another start or end in this file",
        ),
        RowCheck(
            "uplift",
            _SAME_CAMPAIGN + "AND o.uplift IS NOT NULL AND s.uplift IS NOT NULL "
            "AND o.uplift <> s.uplift)",
            "the same campaign has another uplift in this file",
        ),
        RowCheck(
            "name",
            _SAME_CAMPAIGN + "AND o.sku IS NOT DISTINCT FROM s.sku AND o.category IS NOT "
            "DISTINCT FROM s.category AND o.location IS NOT DISTINCT FROM s.location)",
            "duplicate line: the same campaign, SKU or category and location as an earlier row",
        ),
    ),
    writer="forecasting.imports.promotions_write",
)
