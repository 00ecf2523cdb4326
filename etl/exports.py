"""Exports of products, stock levels and sales history (ARCHITECTURE.md §9 CSV contract).

Each dataset is one query, read with a server-side cursor (``.iterator``) as value tuples, so
memory stays flat however many rows there are. The columns are the import contract's, in its
order, so an exported file imports back unchanged (``import_data KIND FILE``).

Text cells that a spreadsheet would run as a formula are escaped in CSV and XLSX by
``core.exports`` (a leading apostrophe). Such a cell (a SKU starting with ``-``, say) comes back
from a re-import with the apostrophe: the price of not executing it. JSON is not escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.models import DemandHistory, Product, StockLevel
from core.exceptions import NotFound, ValidationFailed
from core.exports import csv_stream, json_stream, xlsx_bytes

CHUNK_ROWS = 5000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@dataclass(frozen=True)
class SalesFilter:
    date_from: date | None = None
    date_to: date | None = None
    sku: str | None = None
    location: str | None = None


def product_rows(**_: Any) -> Iterator[tuple[Any, ...]]:
    return (
        Product.objects.order_by("sku")
        .values_list(
            "sku",
            "name",
            "category__name",
            "uom",
            "unit_cost",
            "unit_price",
            "product_type",
            "supplier_code",
            "lead_time_days",
            "moq",
            "pack_size",
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )


def stock_rows(**_: Any) -> Iterator[tuple[Any, ...]]:
    return (
        StockLevel.objects.order_by("product__sku", "location__code")
        .values_list("product__sku", "location__code", "on_hand")
        .iterator(chunk_size=CHUNK_ROWS)
    )


def sales_rows(*, sales_filter: SalesFilter | None = None, **_: Any) -> Iterator[tuple[Any, ...]]:
    """Sales history joined to its SKU and location code. Rows whose product or location is
    gone (the table has no foreign-key constraint) cannot be named and are left out; the
    data-quality report counts them. ``stockout`` is the import's flag (None: unknown)."""
    f = sales_filter or SalesFilter()
    rows = DemandHistory.objects.all()
    if f.date_from:
        rows = rows.filter(date__gte=f.date_from)
    if f.date_to:
        rows = rows.filter(date__lte=f.date_to)
    if f.sku:
        rows = rows.filter(product__sku=f.sku)
    if f.location:
        rows = rows.filter(location__code=f.location)
    return (
        rows.order_by("date", "product__sku", "location__code")
        .values_list("date", "product__sku", "location__code", "quantity", "revenue", "stockout")
        .iterator(chunk_size=CHUNK_ROWS)
    )


def forecast_rows(*, all_methods: bool = False, **_: Any) -> Iterator[tuple[Any, ...]]:
    """The latest successful forecast run's values (the selected method's, or every stored
    method's with ``all_methods``)."""
    from forecasting.selectors import forecast_export_rows

    return forecast_export_rows(all_methods=all_methods)


def promotion_rows(**_: Any) -> Iterator[tuple[Any, ...]]:
    """Campaigns as the promotions import reads them: one row per product and per category
    (and per location where the campaign names some)."""
    from forecasting.selectors import campaign_export_rows

    return campaign_export_rows()


def purchase_order_rows(**_: Any) -> Iterator[tuple[Any, ...]]:
    """One row per purchase order line, the order's header repeated."""
    from purchasing.selectors import purchase_order_export_rows

    return purchase_order_export_rows()


def planned_order_rows(**_: Any) -> Iterator[tuple[Any, ...]]:
    """The latest successful MRP run's planned orders with what each is pegged to."""
    from manufacturing.selectors import planned_order_export_rows

    return planned_order_export_rows()


@dataclass(frozen=True)
class ExportSpec:
    kind: str
    header: tuple[str, ...]
    rows: Callable[..., Iterator[tuple[Any, ...]]]


EXPORTS: dict[str, ExportSpec] = {
    "products": ExportSpec(
        "products",
        (
            "sku",
            "name",
            "category",
            "uom",
            "unit_cost",
            "unit_price",
            "product_type",
            "supplier",
            "lead_time_days",
            "moq",
            "pack_size",
        ),
        product_rows,
    ),
    "stock": ExportSpec("stock", ("sku", "location", "on_hand"), stock_rows),
    # ``stockout`` last (true/false, empty where unknown): the import's optional column (ADR 32),
    # so a file exported and imported back keeps the flags.
    "sales": ExportSpec(
        "sales", ("date", "sku", "location", "quantity", "revenue", "stockout"), sales_rows
    ),
    "forecasts": ExportSpec(
        "forecasts",
        ("sku", "location", "date", "method", "forecast", "p10", "p50", "p90"),
        forecast_rows,
    ),
    "promotions": ExportSpec(
        "promotions",
        ("name", "start", "end", "sku", "category", "location", "uplift"),
        promotion_rows,
    ),
    "purchase-orders": ExportSpec(
        "purchase-orders",
        (
            "reference",
            "supplier",
            "location",
            "status",
            "ordered_on",
            "currency",
            "sku",
            "line_location",
            "quantity",
            "received_quantity",
            "unit_price",
            "expected_date",
        ),
        purchase_order_rows,
    ),
    "planned-orders": ExportSpec(
        "planned-orders",
        ("sku", "location", "kind", "quantity", "release_date", "due_date", "pegged_to"),
        planned_order_rows,
    ),
}


def export_spec(kind: str) -> ExportSpec:
    spec = EXPORTS.get(kind)
    if spec is None:
        raise NotFound(
            f"No export of kind {kind!r}.", details={"kind": [f"one of {sorted(EXPORTS)}"]}
        )
    return spec


def check_format(file_format: str) -> str:
    if file_format not in FORMATS:
        raise ValidationFailed(
            f"Unknown export format {file_format!r}.",
            details={"format": [f"one of {sorted(FORMATS)}"]},
        )
    return file_format


def export_content(
    *,
    kind: str,
    file_format: str,
    sales_filter: SalesFilter | None = None,
    all_methods: bool = False,
) -> Iterable[bytes]:
    """The file's bytes for ``kind`` in ``file_format`` (csv, xlsx, json): a stream of chunks
    for CSV and JSON, one block for XLSX (a zip needs its directory at the end). Rows are read
    lazily: nothing is queried until the first chunk is asked for."""
    spec = export_spec(kind)
    check_format(file_format)
    header = list(spec.header)
    rows = spec.rows(sales_filter=sales_filter, all_methods=all_methods)
    if file_format == "csv":
        return csv_stream(header, rows)
    if file_format == "json":
        return json_stream(header, rows)
    return [xlsx_bytes(header, rows, title=kind)]


def export_filename(*, kind: str, file_format: str, schema: str, today: date) -> str:
    return f"{kind}-{schema}-{today.isoformat()}.{file_format}"
