"""Step 1 of the metrics refresh: read every input with one query per dataset into NumPy
arrays (products, stock levels, the look-back's sales per pair, the supply network, exclusions,
stored classes, the latest forecast and the lead times purchasing has learned)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction

from catalog.keys import pair_keys
from catalog.models import DemandHistory, Location, Product, StockLevel
from catalog.selectors import excluded_product_ids
from core.pgcopy import copy_from_query
from forecasting.selectors import PolicyForecast, latest_forecast_for_policy
from inventory import supply
from inventory.models import InventoryMetrics, InventorySettings
from inventory.policy.launch import LAUNCH_WINDOW_DAYS

XYZ_BUCKET_DAYS = 7  # XYZ from the coefficient of variation of weekly demand


@dataclass(frozen=True)
class RefreshInputs:
    """Everything the refresh computes from, read at one moment."""

    settings: InventorySettings
    as_of: date
    lookback: int  # days
    weeks: int  # weekly buckets for XYZ (0: classes kept from the stored rows)
    reclassify: bool
    products: dict[str, np.ndarray]  # active products, sorted by id
    every_product: np.ndarray  # ids of all products (the summary has a row for each)
    levels: np.ndarray  # stock of active products
    sales: np.ndarray  # the look-back's sales per pair (``sales_by_pair``)
    location_ids: np.ndarray
    parent_ids: np.ndarray  # −1 where a location is replenished from nowhere
    excluded_abc: np.ndarray
    excluded_orders: np.ndarray
    stored_keys: np.ndarray  # pair keys of the stored rows (classes kept), sorted
    stored_abc: np.ndarray | None
    stored_xyz: np.ndarray | None
    forecast: PolicyForecast
    sales_seconds: float


def refresh_inputs_load(
    *, settings: InventorySettings, as_of: date, reclassify: bool
) -> RefreshInputs:
    """Read the refresh's inputs (one query per dataset)."""
    lookback = int(settings.lookback_days)
    start = as_of - timedelta(days=lookback - 1)
    products = _load_products()
    products["lead_time"], products["lead_time_std"] = supply.lead_times(
        products["id"], products["lead_time"], products["lead_time_std"]
    )
    weeks = -(-lookback // XYZ_BUCKET_DAYS) if reclassify else 0
    sales_started = time.perf_counter()
    sales = _sales_by_pair(start, as_of, weeks, with_revenue=reclassify)
    sales_seconds = time.perf_counter() - sales_started
    location_ids, parent_ids = _load_network()
    stored_keys, stored_abc, stored_xyz = (
        _stored_classes() if not reclassify else (np.zeros(0, np.int64), None, None)
    )
    return RefreshInputs(
        settings=settings,
        as_of=as_of,
        lookback=lookback,
        weeks=weeks,
        reclassify=reclassify,
        products=products,
        every_product=np.array(
            Product.objects.order_by().values_list("id", flat=True), dtype=np.int64
        ),
        levels=_load_levels(),
        sales=sales,
        location_ids=location_ids,
        parent_ids=parent_ids,
        excluded_abc=np.array(sorted(excluded_product_ids(scope="abc")), dtype=np.int64),
        excluded_orders=np.array(
            sorted(excluded_product_ids(scope="recommendations")), dtype=np.int64
        ),
        stored_keys=stored_keys,
        stored_abc=stored_abc,
        stored_xyz=stored_xyz,
        forecast=latest_forecast_for_policy(),
        sales_seconds=sales_seconds,
    )


# The aggregation reads every sales row of the look-back (millions): JIT compilation costs
# seconds here and gains nothing, and the hash table must not spill to disk.
AGGREGATE_SESSION = ("SET LOCAL jit = off", "SET LOCAL work_mem = '256MB'")


def _sales_by_pair(start: date, as_of: date, weeks: int, with_revenue: bool = True) -> np.ndarray:
    """One query: sales of the look-back per product × location, as a structured array
    (product, location, quantity, quantity² summed per day, revenue, quantity without revenue,
    last sale day, first day with a positive quantity (−1: none; ADR 44), the launch line's
    sums over the last ``LAUNCH_WINDOW_DAYS`` (Σ quantity, Σ day·quantity, Σ quantity²), and
    ``weeks``
    weekly totals ``w0…`` for XYZ; ``weeks=0`` skips those).

    Grouping by pair (not by pair and week) keeps the hash table to one entry per pair; the
    week totals are FILTER sums. ``with_revenue=False`` (classes kept: revenue only ranks new
    pairs) reports every unit as unpriced, valued at the product's price. The rows travel as
    binary COPY straight into NumPy."""
    table = DemandHistory._meta.db_table
    week_sums = "".join(
        f", COALESCE(SUM(quantity) FILTER (WHERE day >= {7 * k} AND day < {7 * k + 7}), 0)"
        for k in range(weeks)
    )
    # The launch line's sums over the look-back's last days (ADR 44, launches): Σ y, Σ day·y,
    # Σ y² (day counted from the look-back's start).
    lookback = (as_of - start).days + 1
    recent = f"day >= {lookback - LAUNCH_WINDOW_DAYS}"
    launch_sums = (
        f", COALESCE(SUM(quantity) FILTER (WHERE {recent}), 0)"
        f", COALESCE(SUM(quantity * day) FILTER (WHERE {recent}), 0)"
        f", COALESCE(SUM(quantity * quantity) FILTER (WHERE {recent}), 0)"
    )
    revenue_sums = (
        "COALESCE(SUM(revenue), 0), COALESCE(SUM(quantity) FILTER (WHERE revenue IS NULL), 0)"
        if with_revenue
        else "0::float8, SUM(quantity)"  # the same aggregate as above: computed once
    )
    query = f"""
        SELECT product_id::int8, location_id::int8, SUM(quantity), SUM(quantity * quantity),
               {revenue_sums}, MAX(day),
               COALESCE(MIN(day) FILTER (WHERE quantity > 0), -1)
               {launch_sums}{week_sums}
        -- float8 sums are several times faster than numeric ones
        FROM (
            SELECT product_id, location_id, (date - %(start)s::date)::int4 AS day,
                   quantity::float8 AS quantity, revenue::float8 AS revenue
            FROM {table}
            WHERE date >= %(start)s::date AND date <= %(as_of)s::date
        ) AS sales
        GROUP BY 1, 2
    """  # noqa: S608 (table name from the model, week bounds are integers, values bound)
    columns = [
        ("product", "int8"),
        ("location", "int8"),
        ("quantity", "float8"),
        ("quantity_sq", "float8"),
        ("revenue", "float8"),
        ("quantity_unpriced", "float8"),
        ("last_day", "int4"),
        ("first_sale_day", "int4"),
        ("recent_quantity", "float8"),
        ("recent_weighted", "float8"),
        ("recent_squares", "float8"),
        *((f"w{k}", "float8") for k in range(weeks)),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in AGGREGATE_SESSION:
            cursor.execute(statement)
        return copy_from_query(cursor, query, {"start": start, "as_of": as_of}, columns)


def _float(values: list[Decimal] | tuple[Any, ...]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def _load_products() -> dict[str, np.ndarray]:
    rows = list(
        Product.objects.filter(is_active=True)
        .order_by("id")
        .values_list(
            "id",
            "lead_time_days",
            "lead_time_std_days",
            "moq",
            "pack_size",
            "unit_cost",
            "unit_price",
        )
    )
    names = ("id", "lead_time", "lead_time_std", "moq", "pack", "cost", "price")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    loaded = {name: _float(column) for name, column in zip(names, columns, strict=True)}
    loaded["id"] = np.array(columns[0], dtype=np.int64)
    return loaded


def _load_network() -> tuple[np.ndarray, np.ndarray]:
    rows = list(Location.objects.values_list("id", "replenished_from_id"))
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    parents = np.array([-1 if row[1] is None else row[1] for row in rows], dtype=np.int64)
    return ids, parents


def _read(query: str, columns: list[tuple[str, str]]) -> np.ndarray:
    with connection.cursor() as cursor:
        return copy_from_query(cursor, query, {}, columns)


def _load_levels() -> np.ndarray:
    """Stock of active products: product, location, on hand, reserved, on order."""
    return _read(
        f"""
        SELECT s.product_id::int8, s.location_id::int8, s.on_hand::float8, s.reserved::float8,
               s.on_order::float8
        FROM {StockLevel._meta.db_table} s JOIN {Product._meta.db_table} p ON p.id = s.product_id
        WHERE p.is_active
        """,  # noqa: S608 (table names from the models)
        [
            ("product", "int8"),
            ("location", "int8"),
            ("on_hand", "float8"),
            ("reserved", "float8"),
            ("on_order", "float8"),
        ],
    )


def _stored_classes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ABC/XYZ of the current metrics rows, keyed like the pairs (for refreshes that keep
    the daily classification). Classes travel as character codes (0 for blank)."""
    rows = _read(
        f"""
        SELECT product_id::int8, location_id::int8, COALESCE(ascii(abc_class), 0)::int4,
               COALESCE(ascii(xyz_class), 0)::int4
        FROM {InventoryMetrics._meta.db_table}
        """,  # noqa: S608 (table name from the model)
        [("product", "int8"), ("location", "int8"), ("abc", "int4"), ("xyz", "int4")],
    )
    keys = pair_keys(rows["product"], rows["location"])
    order = np.argsort(keys)

    def letters(codes: np.ndarray) -> np.ndarray:
        return codes.astype(np.uint8).view("S1").astype("<U1")

    return keys[order], letters(rows["abc"][order]), letters(rows["xyz"][order])
