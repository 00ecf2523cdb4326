"""The order builder (cart) around the pure core ``purchasing.cart``.

``cart_build`` loads in bulk — the latest inventory metrics to act on (one binary COPY), the
latest MRP run's planned purchases, each product's preferred supplier terms with its lead time
(one query), exchange rates, stock at the DCs — builds the cart with
:func:`purchasing.cart.build_cart` on whole arrays, and rewrites the tenant's open cart lines
with one COPY and one ``INSERT … SELECT``.

Money is in the tenant's currency: supplier prices are converted with ``ExchangeRate``; a
supplier without a rate leaves its lines out with the reason ``no_rate``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Location, Product, StockLevel
from catalog.selectors import excluded_product_ids
from core.audit import audit_record
from core.exceptions import ValidationFailed
from core.pgcopy import copy_from_query, copy_to_table
from inventory.models import InventoryMetrics
from purchasing import selectors
from purchasing.cart import CartLines, build_cart, round_order_quantity, top_up_candidates
from purchasing.models import (
    OrderSuggestion,
    PlannedPurchase,
    PurchaseOrder,
    Supplier,
    TransferOrder,
)
from purchasing.services import OrderLineInput, purchase_order_create
from purchasing.transfers import TransferLineInput, transfer_order_create

if TYPE_CHECKING:
    from accounts.models import User

ACT_ON = (InventoryMetrics.Status.REORDER_NOW, InventoryMetrics.Status.CRITICAL)
EPOCH = np.datetime64("1970-01-01", "D")
NO_DATE = -(2**31)
MAX_COVER_DAYS = 3650
REASON_NO_STOCK_AT_SOURCE = "no_stock_at_source"


@dataclass(frozen=True)
class CartResult:
    lines: int
    kept: int
    kept_value: float
    left_out_value: float
    budget: Decimal | None


def _metrics(location_id: int | None, pairs: list[tuple[int, int]] | None = None) -> np.ndarray:
    where = "status IN ('reorder_now', 'critical')"
    params: dict[str, Any] = {}
    if pairs is not None:
        # Lines a planner picked (e.g. on the what-to-order page), whatever their status.
        where = (
            "(m.product_id, m.location_id) IN "
            "(SELECT * FROM unnest(%(products)s::bigint[], %(locations)s::bigint[]))"
        )
        params["products"] = [p for p, _ in pairs]
        params["locations"] = [loc for _, loc in pairs]
    if location_id is not None:
        where += " AND location_id = %(location)s"
        params["location"] = location_id
    query = f"""
        SELECT m.product_id::int8, m.location_id::int8, m.recommended_order_qty::float8,
               coalesce(m.mean_daily_demand, 0)::float8, coalesce(m.demand_std, 0)::float8,
               m.inventory_position::float8, coalesce(m.stockout_risk, 0)::float8,
               coalesce(m.days_of_cover, 'NaN')::float8, p.unit_price::float8
        FROM {InventoryMetrics._meta.db_table} m
        JOIN {Product._meta.db_table} p ON p.id = m.product_id
        WHERE {where}
    """  # noqa: S608 (table names from the models, values bound)
    columns = [
        ("product", "int8"),
        ("location", "int8"),
        ("quantity", "float8"),
        ("demand", "float8"),
        ("demand_std", "float8"),
        ("position", "float8"),
        ("risk", "float8"),
        ("cover", "float8"),
        ("selling_price", "float8"),
    ]
    with connection.cursor() as cursor:
        return copy_from_query(cursor, query, params, columns)


def _terms_arrays(product_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The preferred supplier's terms of each product, aligned with the sorted unique ids."""
    rows = selectors._terms_rows(product_ids.tolist())
    rows.sort(key=lambda row: row[0])
    rates = selectors.exchange_rates()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    supplier = np.array([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64)
    rate = np.array(
        [float(rates[r[9]]) if r[9] in rates else math.nan for r in rows], dtype=np.float64
    )
    return {
        "id": ids,
        "supplier": supplier,
        "lead_time": np.array([r[3] for r in rows], dtype=np.float64),
        "moq": np.array([float(r[6]) for r in rows], dtype=np.float64),
        "pack": np.array([float(r[7]) for r in rows], dtype=np.float64),
        # The price in the tenant's currency (NaN: the supplier's currency has no rate).
        "price": np.array([float(r[8]) for r in rows], dtype=np.float64) * rate,
    }


def _check_filters(location: str | None, supplier: str | None) -> tuple[int | None, Any]:
    location_id = None
    supplier_row = None
    errors = {}
    if location:
        location_id = Location.objects.filter(code=location).values_list("id", flat=True).first()
        if location_id is None:
            errors["location"] = [f"unknown location {location!r}"]
    if supplier:
        supplier_row = Supplier.objects.filter(code=supplier).first()
        if supplier_row is None:
            errors["supplier"] = [f"unknown supplier {supplier!r}"]
    if errors:
        raise ValidationFailed("Invalid cart filters.", details=errors)
    return location_id, supplier_row


def cart_build(
    *,
    budget: Decimal | None = None,
    location: str | None = None,
    supplier: str | None = None,
    fill_minimums: bool = False,
    today: date | None = None,
    pairs: list[tuple[int, int]] | None = None,
) -> CartResult:
    """Rebuild the tenant's cart (every open line is replaced). ``location`` and ``supplier``
    are codes that narrow the cart; ``budget`` is money in the tenant's currency.

    ``pairs`` (product id, location id) adds or refreshes the policy lines of just those
    pairs, whatever their status, and leaves the other open lines as they are (the
    what-to-order page's "add to cart")."""
    today = today or timezone.localdate()
    location_id, supplier_row = _check_filters(location, supplier)
    metrics = _metrics(location_id, pairs)
    excluded = excluded_product_ids(scope="recommendations")

    # MRP's buy orders replace the policy for their products (never both).
    latest_run = (
        None
        if pairs is not None
        else PlannedPurchase.objects.order_by("-mrp_run_id")
        .values_list("mrp_run_id", flat=True)
        .first()
    )
    planned = []
    if latest_run is not None:
        planned_rows = PlannedPurchase.objects.filter(mrp_run_id=latest_run)
        if location_id is not None:
            planned_rows = planned_rows.filter(location_id=location_id)
        planned = list(
            planned_rows.values_list("product_id", "location_id", "quantity", "needed_by")
        )
        mrp_products = set(
            PlannedPurchase.objects.filter(mrp_run_id=latest_run).values_list(
                "product_id", flat=True
            )
        )
    else:
        mrp_products = set()
    drop = excluded | mrp_products
    if drop:
        metrics = metrics[~np.isin(metrics["product"], np.fromiter(drop, dtype=np.int64))]
    planned = [row for row in planned if row[0] not in excluded]

    n_policy = metrics.size
    product = np.concatenate(
        [metrics["product"], np.array([r[0] for r in planned], dtype=np.int64)]
    )
    location_ids = np.concatenate(
        [metrics["location"], np.array([r[1] for r in planned], dtype=np.int64)]
    )
    planned_qty = np.array([float(r[2]) for r in planned], dtype=np.float64)
    quantity = np.concatenate([np.maximum(metrics["quantity"], 0.0), planned_qty])
    size = product.size
    source = np.array(["policy"] * n_policy + ["mrp"] * len(planned), dtype=object)

    unique_products = np.unique(product)
    terms = _terms_arrays(unique_products)
    at = np.searchsorted(terms["id"], product) if size else np.zeros(0, dtype=np.int64)
    supplier_id = terms["supplier"][at] if size else np.zeros(0, dtype=np.int64)
    lead = terms["lead_time"][at] if size else np.zeros(0)
    price = terms["price"][at] if size else np.zeros(0)
    moq = terms["moq"][at] if size else np.zeros(0)
    pack = terms["pack"][at] if size else np.zeros(0)

    # Demand of MRP lines is dependent and certain: its whole quantity is short without it.
    demand = np.concatenate([metrics["demand"], planned_qty / np.maximum(lead[n_policy:], 1.0)])
    demand_std = np.concatenate(
        [metrics["demand_std"] * np.sqrt(np.maximum(lead[:n_policy], 0.0)), np.zeros(len(planned))]
    )
    position = np.concatenate([metrics["position"], np.zeros(len(planned))])
    risk = np.concatenate([metrics["risk"], np.ones(len(planned))])
    selling = np.concatenate([metrics["selling_price"], np.full(len(planned), np.nan)])
    cover = np.concatenate([metrics["cover"], np.full(len(planned), np.nan)])
    planned_needed = np.concatenate(
        [
            np.full(n_policy, np.datetime64("NaT"), dtype="datetime64[D]"),
            np.array([r[3] for r in planned], dtype="datetime64[D]"),
        ]
    )

    # Stores replenished from a DC that has the stock get a transfer line instead.
    source_location = _transfer_sources(product, location_ids, quantity, n_policy)
    transfer = source_location >= 0

    if supplier_row is not None:
        keep = (supplier_id == supplier_row.pk) & ~transfer
        idx = np.flatnonzero(keep)
        product, location_ids, quantity, source = (
            product[idx],
            location_ids[idx],
            quantity[idx],
            source[idx],
        )
        supplier_id, lead, price, moq, pack = (
            supplier_id[idx],
            lead[idx],
            price[idx],
            moq[idx],
            pack[idx],
        )
        demand, demand_std, position, risk, selling = (
            demand[idx],
            demand_std[idx],
            position[idx],
            risk[idx],
            selling[idx],
        )
        source_location, transfer = source_location[idx], transfer[idx]
        cover, planned_needed = cover[idx], planned_needed[idx]
        size = idx.size

    # Supplier index for the core: position in the sorted supplier ids of the lines.
    suppliers = np.unique(supplier_id[(supplier_id >= 0) & ~transfer])
    supplier_index = np.where(
        (supplier_id >= 0) & ~transfer, np.searchsorted(suppliers, supplier_id), -1
    ).astype(np.int64)
    rates = selectors.exchange_rates()
    supplier_rows = {s.pk: s for s in Supplier.objects.filter(pk__in=suppliers.tolist())}
    minimum = np.array(
        [
            float(supplier_rows[int(s)].min_order_value)
            * float(rates.get(supplier_rows[int(s)].currency, math.nan))
            for s in suppliers
        ],
        dtype=np.float64,
    )
    buy = ~transfer
    buy_idx = np.flatnonzero(buy)
    cart = build_cart(
        CartLines(
            recommended_quantity=quantity[buy_idx],
            moq=moq[buy_idx],
            pack_size=pack[buy_idx],
            unit_price=price[buy_idx],
            supplier_index=supplier_index[buy_idx],
            selling_price=selling[buy_idx],
            daily_demand_mean=demand[buy_idx],
            demand_std=demand_std[buy_idx],
            lead_time_days=lead[buy_idx],
            inventory_position=position[buy_idx],
            stockout_risk=risk[buy_idx],
        ),
        budget=float(budget) if budget is not None else None,
        fill_minimums=fill_minimums,
        min_order_value=np.nan_to_num(minimum, nan=0.0),
    )

    kept_value = float(cart.kept_value)
    final_qty = quantity.copy()
    final_qty[buy_idx] = cart.quantity
    value = np.zeros(size)
    value[buy_idx] = cart.value
    shortage = np.zeros(size)
    shortage[buy_idx] = cart.shortage_value
    reason = np.full(size, None, dtype=object)
    reason[buy_idx] = cart.reasons
    unit_price = np.where(buy, price, np.nan)
    value = np.where(buy, value, np.nan)
    supplier_out = np.where(buy & (supplier_id >= 0), supplier_id, 0)
    lead_days = np.where(transfer, 1.0, lead)

    today64 = np.datetime64(today, "D")
    arrival = today64 + np.ceil(np.nan_to_num(lead_days, nan=0.0)).astype("timedelta64[D]")
    needed = np.where(
        np.isfinite(cover),
        today64
        + np.clip(np.floor(np.nan_to_num(cover)), 0, MAX_COVER_DAYS).astype("timedelta64[D]"),
        arrival,
    )
    needed = np.where(np.isnat(planned_needed), needed, planned_needed)
    top_up = np.zeros(size, dtype=bool)

    if fill_minimums and pairs is None and suppliers.size:
        in_cart = set(zip(product.tolist(), location_ids.tolist(), strict=True))
        extra = _minimum_top_ups(
            suppliers=suppliers,
            supplier_total=cart.supplier_value,
            minimum=np.nan_to_num(minimum, nan=0.0),
            kept_supplier=supplier_id[buy_idx][cart.kept],
            kept_location=location_ids[buy_idx][cart.kept],
            in_cart=in_cart,
            drop=drop,
            budget_left=None if budget is None else float(budget) - float(cart.kept_value),
            today=today64,
        )
        if extra is not None:
            n_extra = extra["product"].size
            product = np.concatenate([product, extra["product"]])
            location_ids = np.concatenate([location_ids, extra["location"]])
            supplier_out = np.concatenate([supplier_out, extra["supplier"]])
            source_location = np.concatenate([source_location, np.full(n_extra, -1)])
            final_qty = np.concatenate([final_qty, extra["quantity"]])
            unit_price = np.concatenate([unit_price, extra["price"]])
            value = np.concatenate([value, extra["value"]])
            needed = np.concatenate([needed, extra["needed_by"]])
            arrival = np.concatenate([arrival, extra["arrival"]])
            lead_days = np.concatenate([lead_days, extra["lead_time"]])
            shortage = np.concatenate([shortage, np.zeros(n_extra)])
            source = np.concatenate([source, np.array(["policy"] * n_extra, dtype=object)])
            reason = np.concatenate([reason, np.full(n_extra, None, dtype=object)])
            top_up = np.concatenate([top_up, np.ones(n_extra, dtype=bool)])
            size += n_extra
            kept_value += float(extra["value"].sum())

    _write(
        product=product,
        location=location_ids,
        supplier=supplier_out,
        source_location=source_location,
        quantity=final_qty,
        unit_price=unit_price,
        value=value,
        needed_by=needed,
        expected_arrival=arrival,
        lead_time=lead_days,
        shortage=shortage,
        source=source,
        reason=reason,
        top_up=top_up,
        only_pairs=pairs,
    )
    if pairs is None:
        from purchasing.services import purchasing_settings_update

        purchasing_settings_update(cart_budget=budget)
    audit_record(
        action="action",
        object_type="purchasing.cart",
        object_repr="cart rebuilt" if pairs is None else "cart lines added",
        changes={
            "lines": size,
            "budget": None if budget is None else str(budget),
            "location": location,
            "supplier": supplier,
            "pairs": len(pairs) if pairs is not None else None,
        },
    )
    return CartResult(
        lines=size,
        kept=int(np.count_nonzero(reason == None)),  # noqa: E711 (object array)
        kept_value=kept_value,
        left_out_value=float(cart.left_out_value),
        budget=budget,
    )


def _minimum_top_ups(
    *,
    suppliers: np.ndarray,
    supplier_total: np.ndarray,
    minimum: np.ndarray,
    kept_supplier: np.ndarray,
    kept_location: np.ndarray,
    in_cart: set[tuple[int, int]],
    drop: set[int],
    budget_left: float | None,
    today: np.datetime64,
) -> dict[str, np.ndarray] | None:
    """New lines for suppliers whose kept total is below their minimum order value: their
    preferred-supplier products at the locations already in the cart for them whose metrics
    status is ``ok``, most urgent first (lowest days of cover), each for the metrics' EOQ (else
    order-up-to − position, at least one pack) rounded to MOQ and packs, until the minimum is
    reached; with a budget, only lines that still fit (:func:`purchasing.cart.top_up_candidates`).
    """
    short = (minimum > 0) & (supplier_total < minimum)
    if not short.any():
        return None
    short_ids = suppliers[short].tolist()
    locations: dict[int, set[int]] = defaultdict(set)
    for s, loc in zip(kept_supplier.tolist(), kept_location.tolist(), strict=True):
        locations[int(s)].add(int(loc))
    rows = [
        row
        for row in InventoryMetrics.objects.filter(
            status=InventoryMetrics.Status.OK,
            product__supplier_terms__is_preferred=True,
            product__supplier_terms__supplier_id__in=short_ids,
        ).values_list(
            "product_id",
            "location_id",
            "eoq",
            "order_up_to",
            "inventory_position",
            "days_of_cover",
            "product__supplier_terms__supplier_id",
        )
        if row[1] in locations.get(row[6], ())
        and (row[0], row[1]) not in in_cart
        and row[0] not in drop
    ]
    if not rows:
        return None
    product = np.array([r[0] for r in rows], dtype=np.int64)
    terms = _terms_arrays(np.unique(product))
    at = np.searchsorted(terms["id"], product)
    pack = terms["pack"][at]
    one_pack = np.where(pack > 0, pack, 1.0)
    eoq = np.array([r[2] or 0.0 for r in rows], dtype=np.float64)
    gap = np.array([(r[3] - r[4]) if r[3] is not None else 0.0 for r in rows], dtype=np.float64)
    wanted = np.where(eoq > 0, eoq, np.maximum(gap, one_pack))
    quantity = round_order_quantity(np.maximum(wanted, one_pack), terms["moq"][at], pack)
    price = terms["price"][at]
    value = np.round(quantity * price, 2)
    supplier_id = np.array([r[6] for r in rows], dtype=np.int64)
    cover = np.array([math.nan if r[5] is None else r[5] for r in rows], dtype=np.float64)
    taken = top_up_candidates(
        supplier_total,
        minimum,
        np.searchsorted(suppliers, supplier_id),
        value,
        cover,
        budget_left=budget_left,
    )
    if not taken.any():
        return None
    lead = terms["lead_time"][at][taken]
    cover = cover[taken]
    arrival = today + np.ceil(np.nan_to_num(lead, nan=0.0)).astype("timedelta64[D]")
    needed = np.where(
        np.isfinite(cover),
        today + np.clip(np.floor(np.nan_to_num(cover)), 0, MAX_COVER_DAYS).astype("timedelta64[D]"),
        arrival,
    )
    return {
        "product": product[taken],
        "location": np.array([r[1] for r in rows], dtype=np.int64)[taken],
        "supplier": supplier_id[taken],
        "quantity": quantity[taken],
        "price": price[taken],
        "value": value[taken],
        "needed_by": needed,
        "arrival": arrival,
        "lead_time": lead,
    }


def _transfer_sources(
    product: np.ndarray, location: np.ndarray, quantity: np.ndarray, n_policy: int
) -> np.ndarray:
    """Per line, the DC to transfer from (−1: buy): a store whose ``replenished_from`` DC has
    the whole quantity available; the DC's stock is handed out line by line."""
    source = np.full(product.size, -1, dtype=np.int64)
    parents = dict(
        Location.objects.filter(replenished_from__isnull=False).values_list(
            "id", "replenished_from_id"
        )
    )
    if not parents or product.size == 0:
        return source
    dcs = set(parents.values())
    available: dict[tuple[int, int], float] = {
        (p, loc): float(on_hand - reserved)
        for p, loc, on_hand, reserved in StockLevel.objects.filter(
            location_id__in=dcs, product_id__in=np.unique(product).tolist(), on_hand__gt=0
        ).values_list("product_id", "location_id", "on_hand", "reserved")
    }
    if not available:
        return source
    for i in range(min(n_policy, product.size)):
        parent = parents.get(int(location[i]))
        if parent is None or quantity[i] <= 0:
            continue
        key = (int(product[i]), parent)
        if available.get(key, 0.0) >= quantity[i]:
            available[key] -= quantity[i]
            source[i] = parent
    return source


def _write(*, only_pairs: list[tuple[int, int]] | None = None, **columns: np.ndarray) -> None:
    """Replace the open cart lines with these (one COPY into a temporary table, one INSERT);
    with ``only_pairs``, only the open lines of those product × location pairs."""
    reasons, reason_codes = np.unique(
        np.array(["" if r is None else r for r in columns["reason"]], dtype=str),
        return_inverse=True,
    )
    sources, source_codes = np.unique(columns["source"].astype(str), return_inverse=True)
    table = OrderSuggestion._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if only_pairs is None:
            cursor.execute(f"DELETE FROM {table} WHERE status = 'open'")  # noqa: S608
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE status = 'open' AND (product_id, location_id) IN "  # noqa: S608
                "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
                [[p for p, _ in only_pairs], [loc for _, loc in only_pairs]],
            )
        cursor.execute(
            "CREATE TEMPORARY TABLE cart_lines (product int8, location int8, supplier int8, "
            "source_location int8, quantity float8, unit_price float8, value float8, "
            "needed_by date, expected_arrival date, lead_time float8, shortage float8, "
            "source int4, reason int4, top_up bool) ON COMMIT DROP"
        )
        copy_to_table(
            cursor,
            "cart_lines",
            {
                "product": ("int8", columns["product"].astype(np.int64)),
                "location": ("int8", columns["location"].astype(np.int64)),
                "supplier": ("int8", columns["supplier"].astype(np.int64)),
                "source_location": ("int8", columns["source_location"].astype(np.int64)),
                "quantity": ("float8", columns["quantity"].astype(np.float64)),
                "unit_price": ("float8", columns["unit_price"].astype(np.float64)),
                "value": ("float8", columns["value"].astype(np.float64)),
                "needed_by": ("date", columns["needed_by"]),
                "expected_arrival": ("date", columns["expected_arrival"]),
                "lead_time": ("float8", np.nan_to_num(columns["lead_time"].astype(float))),
                "shortage": ("float8", np.nan_to_num(columns["shortage"].astype(float))),
                "source": ("int4", (source_codes + 1).astype(np.int32)),
                "reason": ("int4", (reason_codes + 1).astype(np.int32)),
                "top_up": ("bool", columns["top_up"].astype(np.uint8)),
            },
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (product_id, location_id, supplier_id, source_location_id,
                quantity, unit_price, value, needed_by, expected_arrival, lead_time_days,
                shortage_value, source, reason, top_up, status, created_at)
            SELECT product, location, NULLIF(supplier, 0), NULLIF(source_location, -1),
                   round(quantity::numeric, 3),
                   CASE WHEN unit_price = 'NaN' THEN NULL ELSE round(unit_price::numeric, 4) END,
                   CASE WHEN value = 'NaN' THEN NULL ELSE round(value::numeric, 2) END,
                   NULLIF(needed_by, 'infinity'), NULLIF(expected_arrival, 'infinity'),
                   lead_time, shortage, (%(sources)s::text[])[source],
                   NULLIF((%(reasons)s::text[])[reason], ''), top_up, 'open', now()
            FROM cart_lines ORDER BY supplier, location, product
            """,  # noqa: S608 (table name from the model)
            {"sources": sources.tolist(), "reasons": reasons.tolist()},
        )
        cursor.execute("DROP TABLE cart_lines")


def order_suggestion_update(
    *, suggestion: OrderSuggestion, quantity: Decimal | None = None, supplier: Any = None
) -> OrderSuggestion:
    """Edit a cart line's quantity or supplier (its price then follows that supplier's terms,
    converted to the tenant's currency)."""
    if suggestion.status != OrderSuggestion.Status.OPEN:
        raise ValidationFailed("Only open cart lines can be changed.")
    if quantity is not None:
        if quantity <= 0:
            raise ValidationFailed("Invalid quantity.", details={"quantity": ["must be > 0"]})
        suggestion.quantity = quantity
    if supplier is not None:
        from purchasing.models import SupplierProduct

        term = SupplierProduct.objects.filter(supplier=supplier, product=suggestion.product).first()
        if term is None:
            raise ValidationFailed(
                "The supplier does not sell this product.",
                details={"supplier": ["no terms for this product"]},
            )
        rate = selectors.exchange_rates().get(supplier.currency)
        suggestion.supplier = supplier
        suggestion.source_location = None
        suggestion.unit_price = (term.unit_price * rate) if rate is not None else None
        suggestion.reason = None if rate is not None else "no_rate"
    if suggestion.unit_price is not None:
        suggestion.value = (suggestion.quantity * suggestion.unit_price).quantize(Decimal("0.01"))
    suggestion.save()
    return suggestion


@dataclass(frozen=True)
class Converted:
    purchase_orders: list[PurchaseOrder]
    transfer_orders: list[TransferOrder]


def cart_convert(*, user: User | None = None, today: date | None = None) -> Converted:
    """Turn the kept open cart lines into one draft purchase order per supplier × location
    (prices in the supplier's currency from its terms) and one draft transfer order per source
    DC × store (stock moves through the ledger when it is shipped and received). One
    transaction: a failure converts nothing."""
    today = today or timezone.localdate()
    with transaction.atomic():
        lines = list(
            OrderSuggestion.objects.select_for_update()
            .filter(status=OrderSuggestion.Status.OPEN, reason__isnull=True)
            .order_by("supplier_id", "location_id", "product_id")
        )
        groups: dict[tuple[int, int], list[OrderSuggestion]] = defaultdict(list)
        transfers: dict[tuple[int, int], list[OrderSuggestion]] = defaultdict(list)
        for line in lines:
            if line.source_location_id is not None:
                transfers[(line.source_location_id, line.location_id)].append(line)
            elif line.supplier_id is not None:
                groups[(line.supplier_id, line.location_id)].append(line)
        suppliers = Supplier.objects.in_bulk([key[0] for key in groups])
        locations = Location.objects.in_bulk(
            [key[1] for key in groups] + [loc for key in transfers for loc in key]
        )
        orders = []
        for (supplier_id, location_id), members in groups.items():
            orders.append(
                purchase_order_create(
                    supplier=suppliers[supplier_id],
                    location=locations[location_id],
                    lines=[
                        OrderLineInput(
                            product_id=m.product_id,
                            quantity=m.quantity,
                            expected_date=m.expected_arrival
                            or today + timedelta(days=math.ceil(m.lead_time_days)),
                        )
                        for m in members
                    ],
                    user=user,
                    note="From the cart",
                    today=today,
                )
            )
        transfer_orders = [
            transfer_order_create(
                from_location=locations[source_id],
                to_location=locations[location_id],
                lines=[TransferLineInput(m.product_id, m.quantity) for m in members],
                user=user,
                note="From the cart",
            )
            for (source_id, location_id), members in sorted(transfers.items())
        ]
        OrderSuggestion.objects.filter(pk__in=[line.pk for line in lines]).update(
            status=OrderSuggestion.Status.CONVERTED
        )
        audit_record(
            action="action",
            object_type="purchasing.cart",
            object_repr="cart converted",
            changes={
                "lines": len(lines),
                "purchase_orders": [order.pk for order in orders],
                "transfer_orders": [order.pk for order in transfer_orders],
            },
            actor=user,
        )
    return Converted(purchase_orders=orders, transfer_orders=transfer_orders)
