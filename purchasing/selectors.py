"""Reads of purchasing: suppliers, terms and lead times, purchase orders, the cart."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from catalog.models import Product
from core.selectors import get_or_not_found
from purchasing.learning import MIN_LEARNED_RECEIPTS
from purchasing.models import (
    ExchangeRate,
    LeadTimeStats,
    OrderSuggestion,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
    Receipt,
    Supplier,
    SupplierProduct,
    TransferOrder,
    TransferOrderLine,
)

if TYPE_CHECKING:
    from accounts.models import User

LEARNED = "learned"
SUPPLIER_PRODUCT = "supplier_product"
SUPPLIER = "supplier"
PRODUCT = "product"
OPEN_STATUSES = (
    PurchaseOrder.Status.APPROVED,
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTIALLY_RECEIVED,
)


def tenant_currency() -> str:
    """The tenant's currency code (``PurchasingSettings.currency``; EUR before any is set).
    A read only: never creates the settings row."""
    code = PurchasingSettings.objects.filter(pk=1).values_list("currency", flat=True).first()
    return code or PurchasingSettings._meta.get_field("currency").get_default()


def purchasing_settings_get() -> PurchasingSettings:
    settings, _ = PurchasingSettings.objects.get_or_create(pk=1)
    return settings


def exchange_rates() -> dict[str, Decimal]:
    """Rates to the tenant currency per currency code; the tenant currency itself is 1."""
    rates = dict(ExchangeRate.objects.values_list("currency", "rate"))
    rates[purchasing_settings_get().currency] = Decimal("1")
    return rates


# --- Suppliers and terms --------------------------------------------------------------------


def supplier_list(*, user: User) -> QuerySet[Supplier]:
    return Supplier.objects.all()


def access_supplier(*, user: User, supplier_id: Any) -> Supplier:
    return cast(
        "Supplier", get_or_not_found(supplier_list(user=user), "No such supplier.", pk=supplier_id)
    )


def exchange_rate_list(*, user: User) -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.all()


def _stats(field: str) -> Subquery:
    return Subquery(
        LeadTimeStats.objects.filter(
            supplier_id=OuterRef("supplier_id"), product_id=OuterRef("product_id")
        )
        .order_by()  # one row at most (unique per supplier and product): no ORDER BY to build
        .values(field)[:1]
    )


def supplier_product_list(*, user: User | None) -> QuerySet[SupplierProduct]:
    """Supplier products with their learned figures (``stats_*``, None without receipts)."""
    return SupplierProduct.objects.select_related("supplier", "product").annotate(
        stats_mean=_stats("mean_days"),
        stats_std=_stats("std_days"),
        stats_on_time=_stats("on_time_rate"),
        stats_count=_stats("receipts_count"),
    )


def access_supplier_product(*, user: User, supplier_product_id: Any) -> SupplierProduct:
    return cast(
        "SupplierProduct",
        get_or_not_found(
            supplier_product_list(user=user), "No such supplier product.", pk=supplier_product_id
        ),
    )


def lead_time_of(term: SupplierProduct) -> tuple[float, float, str]:
    """(mean days, σ days, source) of an annotated supplier product, by precedence: learned
    from ≥ 3 receipts, the supplier product's override, the supplier's default, the product's
    (the supplier and the product are read only when needed)."""
    count = getattr(term, "stats_count", None) or 0
    if count >= MIN_LEARNED_RECEIPTS:
        learned: Any = term  # the stats_* annotations of supplier_product_list
        return float(learned.stats_mean), float(learned.stats_std or 0), LEARNED
    if term.lead_time_days is not None:
        return float(term.lead_time_days), 0.0, SUPPLIER_PRODUCT
    if term.supplier.lead_time_days is not None:
        return float(term.supplier.lead_time_days), 0.0, SUPPLIER
    return float(term.product.lead_time_days), 0.0, PRODUCT


def lead_time_from(
    *,
    stats_count: int | None,
    stats_mean: Any,
    stats_std: Any,
    own_days: Any,
    supplier_days: Any,
    product_days: Any,
) -> tuple[float, float, str]:
    """``lead_time_of``'s precedence over plain values (a list row read with ``.values()``)."""
    if (stats_count or 0) >= MIN_LEARNED_RECEIPTS:
        return float(stats_mean), float(stats_std or 0), LEARNED
    if own_days is not None:
        return float(own_days), 0.0, SUPPLIER_PRODUCT
    if supplier_days is not None:
        return float(supplier_days), 0.0, SUPPLIER
    return float(product_days), 0.0, PRODUCT


@dataclass(frozen=True)
class PurchaseTerms:
    """How a product is bought: its preferred supplier (None: none) and that supplier's terms.
    ``unit_price`` is in the supplier's currency (``currency``); quantities in units."""

    supplier_id: int | None
    supplier_code: str | None
    lead_time_days: float
    lead_time_std_days: float
    lead_time_source: str
    moq: Decimal
    pack_size: Decimal
    unit_price: Decimal
    currency: str | None = None
    min_order_value: Decimal = Decimal("0")


# The preferred supplier's terms per product, with the lead time by precedence (one query).
_TERMS_SQL = f"""
    SELECT p.id, sp.supplier_id, s.code,
           CASE WHEN st.receipts_count >= {MIN_LEARNED_RECEIPTS} THEN st.mean_days
                WHEN sp.lead_time_days IS NOT NULL THEN sp.lead_time_days
                WHEN s.lead_time_days IS NOT NULL THEN s.lead_time_days
                ELSE p.lead_time_days END::float8,
           CASE WHEN st.receipts_count >= {MIN_LEARNED_RECEIPTS} THEN st.std_days
                WHEN sp.id IS NULL THEN p.lead_time_std_days
                ELSE 0 END::float8,
           CASE WHEN st.receipts_count >= {MIN_LEARNED_RECEIPTS} THEN '{LEARNED}'
                WHEN sp.lead_time_days IS NOT NULL THEN '{SUPPLIER_PRODUCT}'
                WHEN s.lead_time_days IS NOT NULL THEN '{SUPPLIER}'
                ELSE '{PRODUCT}' END,
           coalesce(sp.moq, p.moq), coalesce(sp.pack_size, p.pack_size),
           coalesce(sp.unit_price, p.unit_cost), s.currency, coalesce(s.min_order_value, 0)
    FROM {Product._meta.db_table} p
    LEFT JOIN {SupplierProduct._meta.db_table} sp ON sp.product_id = p.id AND sp.is_preferred
    LEFT JOIN {Supplier._meta.db_table} s ON s.id = sp.supplier_id
    LEFT JOIN {LeadTimeStats._meta.db_table} st
           ON st.supplier_id = sp.supplier_id AND st.product_id = p.id
"""  # noqa: S608 (table names from the models, constants)


def _terms_rows(
    product_ids: Iterable[int] | None, *, preferred_only: bool = False
) -> list[tuple[Any, ...]]:
    query = _TERMS_SQL
    params: list[Any] = []
    where = []
    if product_ids is not None:
        where.append("p.id = ANY(%s)")
        params.append(list(product_ids))
    if preferred_only:
        where.append("sp.id IS NOT NULL")
    if where:
        query += " WHERE " + " AND ".join(where)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def purchase_terms(product_ids: Iterable[int]) -> dict[int, PurchaseTerms]:
    """Per product id, how it is bought (one query). Products without a preferred supplier get
    ``supplier_id`` None, their catalogue lead time and the catalogue's MOQ, pack and cost."""
    return {
        row[0]: PurchaseTerms(
            supplier_id=row[1],
            supplier_code=row[2],
            lead_time_days=row[3],
            lead_time_std_days=row[4],
            lead_time_source=row[5],
            moq=row[6],
            pack_size=row[7],
            unit_price=row[8],
            currency=row[9],
            min_order_value=row[10],
        )
        for row in _terms_rows(list(product_ids))
    }


def preferred_lead_times() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(product ids, mean days, σ days) of every product with a preferred supplier, for the
    inventory refresh (``inventory.supply``)."""
    rows = _terms_rows(None, preferred_only=True)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    mean = np.array([r[3] for r in rows], dtype=np.float64)
    std = np.array([r[4] for r in rows], dtype=np.float64)
    order = np.argsort(ids)
    return ids[order], mean[order], std[order]


def open_supply_rows() -> list[tuple[int, int, date, float]]:
    """Open purchase order quantities: (product, location, due date, open quantity). Due is
    the confirmed date, else the expected date, else today."""
    today = date.today()
    rows = (
        PurchaseOrderLine.objects.filter(order__status__in=OPEN_STATUSES)
        .filter(quantity__gt=F("received_quantity"))
        .values_list(
            "product_id",
            "location_id",
            "confirmed_date",
            "expected_date",
            "quantity",
            "received_quantity",
        )
    )
    return [
        (p, loc, confirmed or expected or today, float(quantity - received))
        for p, loc, confirmed, expected, quantity, received in rows
    ]


# --- Purchase orders ----------------------------------------------------------------------------

_LINE_VALUE = ExpressionWrapper(
    F("quantity") * F("unit_price"),
    output_field=DecimalField(max_digits=30, decimal_places=7),
)


def _line_totals(value: Any) -> Subquery:
    """One figure over an order's lines, per order (a correlated subquery: the order query
    is not grouped, so its ``Meta.ordering`` and a total counted with the page both hold)."""
    return Subquery(
        PurchaseOrderLine.objects.filter(order_id=OuterRef("pk"))
        .order_by()
        .values("order_id")
        .annotate(figure=value)
        .values("figure")[:1]
    )


def purchase_order_list(*, user: User) -> QuerySet[PurchaseOrder]:
    """Orders with derived totals (``total_value`` in the order's currency, ``line_count``)
    and their lines (one prefetch)."""
    return (
        PurchaseOrder.objects.select_related("supplier", "location")
        .annotate(
            total_value=Coalesce(
                _line_totals(Sum(_LINE_VALUE)), Decimal("0"), output_field=DecimalField()
            ),
            line_count=Coalesce(_line_totals(Count("id")), 0),
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PurchaseOrderLine.objects.select_related("product", "location").order_by(
                    "id"
                ),
            )
        )
    )


def access_purchase_order(*, user: User, order_id: Any) -> PurchaseOrder:
    return cast(
        "PurchaseOrder",
        get_or_not_found(purchase_order_list(user=user), "No such purchase order.", pk=order_id),
    )


def purchase_order_value(order: PurchaseOrder) -> Decimal:
    """The order's value in its own currency (sum of quantity × unit price)."""
    total = PurchaseOrderLine.objects.filter(order=order).aggregate(
        v=Sum(F("quantity") * F("unit_price"), output_field=DecimalField())
    )["v"]
    return total or Decimal("0")


def purchase_order_export_rows() -> Iterator[tuple[Any, ...]]:
    """Every purchase order line with its order's header, by reference (server-side cursor)."""
    return (
        PurchaseOrderLine.objects.order_by("order__reference", "id")
        .values_list(
            "order__reference",
            "order__supplier__code",
            "order__location__code",
            "order__status",
            "order__ordered_on",
            "order__currency",
            "product__sku",
            "location__code",
            "quantity",
            "received_quantity",
            "unit_price",
            "expected_date",
        )
        .iterator(chunk_size=5000)
    )


def receipt_list(*, order: PurchaseOrder) -> QuerySet[Receipt]:
    return Receipt.objects.filter(line__order=order).select_related("line__product")


# --- Cart ---------------------------------------------------------------------------------------


def order_suggestion_list(*, user: User) -> QuerySet[OrderSuggestion]:
    return OrderSuggestion.objects.select_related(
        "product", "location", "supplier", "source_location"
    )


def access_order_suggestion(*, user: User, suggestion_id: Any) -> OrderSuggestion:
    return cast(
        "OrderSuggestion",
        get_or_not_found(
            order_suggestion_list(user=user), "No such order suggestion.", pk=suggestion_id
        ),
    )


def cart_totals(lines: Iterable[OrderSuggestion], budget: Decimal | None) -> dict[str, Any]:
    """Totals of cart lines: kept value and count, left-out value and count, per supplier."""
    kept_value = Decimal("0")
    left_value = Decimal("0")
    kept = left = 0
    suppliers: dict[str, dict[str, Any]] = {}
    for line in lines:
        value = line.value or Decimal("0")
        if line.reason is None:
            kept += 1
            kept_value += value
            if line.supplier is not None:  # no query without a supplier_id
                entry = suppliers.setdefault(
                    line.supplier.code,
                    {
                        "value": Decimal("0"),
                        "lines": 0,
                        "min_order_value": line.supplier.min_order_value,
                    },
                )
                entry["value"] += value
                entry["lines"] += 1
        else:
            left += 1
            left_value += value
    for entry in suppliers.values():
        entry["below_minimum"] = entry["value"] < entry["min_order_value"]
    return {
        "kept_value": kept_value,
        "kept_lines": kept,
        "left_out_value": left_value,
        "left_out_lines": left,
        "budget": budget,
        "currency": purchasing_settings_get().currency,
        "suppliers": suppliers,
    }


def scorecard(*, supplier: Supplier, days: int, today: date | None = None) -> dict[str, Any]:
    """A supplier's delivery record over the last ``days`` days: on-time share, average delay
    in days (late receipts' days past the expected date, 0 for on-time ones), fill rate
    (received ÷ ordered on its orders placed in the window) and price variance (mean of
    order price ÷ current list price − 1)."""
    today = today or date.today()
    since = today - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*), avg(r.on_time::int)::float8,
                   avg(greatest(r.received_on - coalesce(l.confirmed_date, l.expected_date,
                                                         r.received_on), 0))::float8
            FROM {Receipt._meta.db_table} r
            JOIN {PurchaseOrderLine._meta.db_table} l ON l.id = r.line_id
            WHERE r.supplier_id = %s AND r.received_on > %s AND r.received_on <= %s
            """,  # noqa: S608
            [supplier.pk, since, today],
        )
        receipts, on_time, delay = cursor.fetchone()
        cursor.execute(
            f"""
            SELECT sum(l.quantity)::float8, sum(l.received_quantity)::float8,
                   avg(CASE WHEN sp.unit_price > 0
                            THEN l.unit_price / sp.unit_price - 1 END)::float8
            FROM {PurchaseOrderLine._meta.db_table} l
            JOIN {PurchaseOrder._meta.db_table} o ON o.id = l.order_id
            LEFT JOIN {SupplierProduct._meta.db_table} sp
                   ON sp.supplier_id = o.supplier_id AND sp.product_id = l.product_id
            WHERE o.supplier_id = %s AND o.ordered_on > %s AND o.ordered_on <= %s
              AND o.status NOT IN ('draft', 'cancelled')
            """,  # noqa: S608
            [supplier.pk, since, today],
        )
        ordered, received, price_variance = cursor.fetchone()
    return {
        "supplier": supplier.code,
        "days": days,
        "receipts": receipts,
        "on_time_rate": on_time,
        "average_delay_days": delay,
        "fill_rate": (received / ordered) if ordered else None,
        "price_variance": price_variance,
    }


def transfer_order_list(*, user: User) -> QuerySet[TransferOrder]:
    """Transfer orders with their locations and lines (one prefetch)."""
    return TransferOrder.objects.select_related("from_location", "to_location").prefetch_related(
        Prefetch("lines", queryset=TransferOrderLine.objects.select_related("product"))
    )


def access_transfer_order(*, user: User, order_id: Any) -> TransferOrder:
    return cast(
        TransferOrder,
        get_or_not_found(transfer_order_list(user=user), "No such transfer order.", pk=order_id),
    )
