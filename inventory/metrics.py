"""Inventory metrics refresh: load inputs in bulk, run the pure policy, upsert in bulk.

Services act in the active tenant schema. ``inventory_refresh`` reads the products, the stock
levels and the sales of the look-back with one query each, calls ``inventory.policy`` on whole
arrays (one element per product × location) and writes every ``InventoryMetrics`` row with a
single ``INSERT … SELECT FROM unnest(…) ON CONFLICT`` statement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from core.cache import bump_namespace
from inventory.models import (
    DemandHistory,
    InventoryMetrics,
    InventorySettings,
    Product,
    StockLevel,
)
from inventory.policy import (
    STATUS_NAMES,
    PolicyInputs,
    PolicySettings,
    abc_classify,
    calculate_policy,
    latest_order_date,
    xyz_classify,
)

XYZ_BUCKET_DAYS = 7  # XYZ from the coefficient of variation of weekly demand


@dataclass(frozen=True)
class RefreshResult:
    rows: int
    deleted: int
    by_status: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "deleted": self.deleted,
            "by_status": self.by_status,
            "seconds": round(self.seconds, 3),
        }


def inventory_settings_get() -> InventorySettings:
    """The tenant's settings row, created with the defaults on first use."""
    settings, _ = InventorySettings.objects.get_or_create(pk=1)
    return settings


def inventory_settings_update(**values: Any) -> InventorySettings:
    """Write validated settings (the API serializer validates ranges and share sums)."""
    with transaction.atomic():
        settings = inventory_settings_get()
        for name, value in values.items():
            setattr(settings, name, value)
        settings.save()
    bump_namespace("inventory")
    return settings


def _sales_by_week(start: date, as_of: date) -> np.ndarray:
    """One query: sales of the look-back summed per product × location × week, as a
    structured array (product, location, week, quantity, quantity², revenue, quantity without
    revenue, last sale day). Sums of squares are per day so the daily spread survives."""
    table = DemandHistory._meta.db_table
    sql = f"""
        SELECT product_id, location_id, day / {XYZ_BUCKET_DAYS} AS week,
               SUM(quantity), SUM(quantity * quantity), COALESCE(SUM(revenue), 0),
               COALESCE(SUM(quantity) FILTER (WHERE revenue IS NULL), 0), MAX(day)
        -- float8 sums are several times faster than numeric ones
        FROM (
            SELECT product_id, location_id, date - %(start)s AS day,
                   quantity::float8 AS quantity, revenue::float8 AS revenue
            FROM {table}
            WHERE date >= %(start)s AND date <= %(as_of)s
        ) AS sales
        GROUP BY 1, 2, 3
    """  # noqa: S608 (table name from the model, values bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "as_of": as_of})
        rows = cursor.fetchall()
    dtype = [
        ("product", np.int64),
        ("location", np.int64),
        ("week", np.int64),
        ("quantity", np.float64),
        ("quantity_sq", np.float64),
        ("revenue", np.float64),
        ("quantity_unpriced", np.float64),
        ("last_day", np.int64),
    ]
    return np.array(rows, dtype=dtype) if rows else np.zeros(0, dtype=dtype)


def _pair_keys(product: np.ndarray, location: np.ndarray) -> np.ndarray:
    return (product.astype(np.int64) << 32) | location.astype(np.int64)


def _float(values: list[Decimal] | tuple[Any, ...]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def inventory_refresh(*, as_of: date | None = None) -> RefreshResult:
    """Recompute ``InventoryMetrics`` for every active product × location that has stock or
    sales in the look-back; rows of other pairs are deleted.

    Demand: mean and standard deviation of daily sales over ``lookback_days`` (days without a
    row count as zero), the fallback until forecast errors feed the policy. Lead time from the
    product. Inventory position = on hand + on order − reserved. ABC by revenue or quantity
    over the look-back, XYZ by the coefficient of variation of weekly demand. Pairs with
    neither sales nor stock are ``no_data``.
    """
    started = time.perf_counter()
    settings = inventory_settings_get()
    as_of = as_of or timezone.localdate()
    lookback = int(settings.lookback_days)
    start = as_of - timedelta(days=lookback - 1)

    products = list(
        Product.objects.filter(is_active=True)
        .order_by("id")
        .values_list("id", "lead_time_days", "moq", "pack_size", "unit_cost", "unit_price")
    )
    levels = list(
        StockLevel.objects.filter(product__is_active=True).values_list(
            "product_id", "location_id", "on_hand", "reserved", "on_order"
        )
    )
    sales = _sales_by_week(start, as_of)

    product_id = np.array([p[0] for p in products], dtype=np.int64)
    product_columns = list(zip(*products, strict=True)) if products else [()] * 6
    lead_time_by_product = _float(product_columns[1])
    moq_by_product = _float(product_columns[2])
    pack_by_product = _float(product_columns[3])
    cost_by_product = _float(product_columns[4])
    price_by_product = _float(product_columns[5])

    level_columns = list(zip(*levels, strict=True)) if levels else [()] * 5
    level_keys = _pair_keys(
        np.array(level_columns[0], dtype=np.int64), np.array(level_columns[1], dtype=np.int64)
    )
    sales = sales[np.isin(sales["product"], product_id)]  # inactive products drop out
    sale_keys = _pair_keys(sales["product"], sales["location"])
    pairs = np.union1d(level_keys, sale_keys)
    size = pairs.size
    pair_product = pairs >> 32
    pair_location = pairs & 0xFFFFFFFF
    product_index = np.searchsorted(product_id, pair_product)

    on_hand = np.zeros(size)
    reserved = np.zeros(size)
    on_order = np.zeros(size)
    at = np.searchsorted(pairs, level_keys)
    on_hand[at] = _float(level_columns[2])
    reserved[at] = _float(level_columns[3])
    on_order[at] = _float(level_columns[4])

    weeks = -(-lookback // XYZ_BUCKET_DAYS)
    row = np.searchsorted(pairs, sale_keys)
    weekly = np.zeros((size, weeks))
    np.add.at(weekly, (row, sales["week"]), sales["quantity"])
    quantity_sq = np.bincount(row, weights=sales["quantity_sq"], minlength=size)
    revenue = np.bincount(row, weights=sales["revenue"], minlength=size)
    unpriced = np.bincount(row, weights=sales["quantity_unpriced"], minlength=size)
    last_day = np.full(size, -1, dtype=np.int64)
    np.maximum.at(last_day, row, sales["last_day"])
    sold = last_day >= 0

    quantity = weekly.sum(axis=1)
    mean_daily = quantity / lookback
    std_daily = np.sqrt(np.maximum(quantity_sq / lookback - mean_daily**2, 0.0))
    # Nothing sold and nothing on hand: no basis for a policy.
    mean_daily = np.where(~sold & (on_hand <= 0), np.nan, mean_daily)
    days_since_last_sale = np.where(sold, (lookback - 1) - last_day, np.nan)

    unit_cost = cost_by_product[product_index]
    revenue = revenue + unpriced * price_by_product[product_index]
    measure = revenue if settings.abc_measure == InventorySettings.AbcMeasure.REVENUE else quantity
    shares = (settings.abc_share_a / 100, settings.abc_share_b / 100, settings.abc_share_c / 100)
    abc = abc_classify(measure, shares)
    xyz = xyz_classify(weekly)
    class_level = {
        "A": float(settings.service_level_a),
        "B": float(settings.service_level_b),
        "C": float(settings.service_level_c),
    }
    service_level = np.select([abc == label for label in class_level], list(class_level.values()))

    policy_settings = PolicySettings(
        review_period_days=float(settings.review_period_days),
        holding_cost_rate=float(settings.holding_cost_rate),
        ordering_cost=float(settings.ordering_cost),
        dead_stock_days=float(lookback),  # unsold over the whole look-back
    )
    stockout_cost = (
        None if settings.stockout_cost is None else np.full(size, float(settings.stockout_cost))
    )
    lead_time = lead_time_by_product[product_index]
    result = calculate_policy(
        PolicyInputs(
            mean_daily_demand=mean_daily,
            demand_std_daily=std_daily,
            lead_time_days=lead_time,
            on_hand=on_hand,
            service_level=service_level,
            unit_cost=unit_cost,
            on_order_within_lead_time=on_order,
            reserved=reserved,
            minimum_order_quantity=moq_by_product[product_index],
            pack_size=pack_by_product[product_index],
            stockout_cost_per_unit=stockout_cost,
            days_since_last_sale=days_since_last_sale,
        ),
        policy_settings,
    )
    status = STATUS_NAMES[result.status]
    order_dates = latest_order_date(np.datetime64(as_of, "D"), result.days_until_order)

    computed_at = timezone.now()
    columns = {
        "product_id": ("int8", pair_product.tolist()),
        "location_id": ("int8", pair_location.tolist()),
        "mean_daily_demand": ("float8", _nullable(mean_daily)),
        "demand_std": ("float8", _nullable(std_daily)),
        "lead_time_days": ("float8", lead_time.tolist()),
        "safety_stock": ("float8", _nullable(result.safety_stock)),
        "reorder_point": ("float8", _nullable(result.reorder_point)),
        "order_up_to": ("float8", _nullable(result.order_up_to_level)),
        "eoq": ("float8", _nullable(result.order_quantity)),
        "days_of_cover": ("float8", _nullable(result.days_of_cover)),
        "inventory_position": ("float8", result.inventory_position.tolist()),
        "stockout_risk": ("float8", _nullable(result.stockout_risk)),
        "status": ("text", status.tolist()),
        "recommended_order_qty": ("float8", np.nan_to_num(result.recommended_order_quantity)),
        "latest_order_date": ("date", order_dates.astype(object).tolist()),
        "abc_class": ("text", abc.tolist()),
        "xyz_class": ("text", xyz.tolist()),
    }
    columns["recommended_order_qty"] = ("float8", columns["recommended_order_qty"][1].tolist())
    with transaction.atomic():
        if size:
            _upsert(columns, computed_at)
        deleted, _ = InventoryMetrics.objects.exclude(computed_at=computed_at).delete()
    bump_namespace("inventory")
    names, counts = np.unique(status, return_counts=True)
    return RefreshResult(
        rows=size,
        deleted=deleted,
        by_status={str(n): int(c) for n, c in zip(names, counts, strict=True)},
        seconds=time.perf_counter() - started,
    )


def _nullable(values: np.ndarray) -> list[float | None]:
    """NaN and ±inf become NULL (JSON has neither)."""
    return np.where(np.isfinite(values), values, None).tolist()


def _upsert(columns: dict[str, tuple[str, list[Any]]], computed_at) -> None:
    table = InventoryMetrics._meta.db_table
    names = list(columns)
    unnest = ", ".join(f"%s::{kind}[]" for kind, _ in columns.values())
    updates = ", ".join(
        f"{name} = EXCLUDED.{name}"
        for name in [*names, "computed_at"]
        if name not in ("product_id", "location_id")
    )
    sql = f"""
        INSERT INTO {table} ({", ".join(names)}, computed_at)
        SELECT *, %s FROM unnest({unnest})
        ON CONFLICT (product_id, location_id) DO UPDATE SET {updates}
    """  # noqa: S608 (identifiers from the model, values bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, [computed_at, *(values for _, values in columns.values())])


def inventory_metrics_list(*, user: Any):
    """Metrics rows with their product and location (one query for any page size)."""
    return InventoryMetrics.objects.select_related("product", "location").order_by(
        "product__sku", "location__code"
    )
