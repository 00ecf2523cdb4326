"""Inventory metrics refresh: load inputs in bulk, run the pure policy, upsert in bulk.

Services act in the active tenant schema. ``inventory_refresh`` reads the products, the stock
levels and the sales of the look-back with one query each, calls ``inventory.policy`` on whole
arrays (one element per product × location) and writes every ``InventoryMetrics`` row with a
single ``INSERT … SELECT FROM unnest(…) ON CONFLICT`` statement.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from catalog.classification import xyz_from_cv
from catalog.models import DemandHistory, Location, Product, StockLevel
from catalog.selectors import excluded_product_ids
from core.cache import bump_namespace
from core.events import emit_event
from core.pgcopy import copy_from_query, copy_to_table
from inventory import supply
from inventory.models import InventoryMetrics, InventorySettings, ProductInventorySummary
from inventory.policy import (
    STATUS_NAMES,
    PolicyInputs,
    PolicySettings,
    abc_classify,
    calculate_policy,
    latest_order_date,
    xyz_classify,
)
from inventory.policy.network import pair_keys, roll_up

XYZ_BUCKET_DAYS = 7  # XYZ from the coefficient of variation of weekly demand


@dataclass(frozen=True)
class RefreshResult:
    rows: int
    deleted: int
    by_status: dict[str, int]
    seconds: float
    # Seconds per step: "sales" (the aggregation query), "other_reads", "compute", "write".
    steps: dict[str, float] = field(default_factory=dict)
    # Pairs whose demand came from the latest forecast run (the rest: the look-back's sales).
    forecast_pairs: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "deleted": self.deleted,
            "by_status": self.by_status,
            "seconds": round(self.seconds, 3),
            "steps": {name: round(value, 3) for name, value in self.steps.items()},
            "forecast_pairs": self.forecast_pairs,
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


# The aggregation reads every sales row of the look-back (millions): JIT compilation costs
# seconds here and gains nothing, and the hash table must not spill to disk.
AGGREGATE_SESSION = ("SET LOCAL jit = off", "SET LOCAL work_mem = '256MB'")


def _sales_by_pair(start: date, as_of: date, weeks: int, with_revenue: bool = True) -> np.ndarray:
    """One query: sales of the look-back per product × location, as a structured array
    (product, location, quantity, quantity² summed per day, revenue, quantity without revenue,
    last sale day, and ``weeks`` weekly totals ``w0…`` for XYZ; ``weeks=0`` skips those).

    Grouping by pair (not by pair and week) keeps the hash table to one entry per pair; the
    week totals are FILTER sums. ``with_revenue=False`` (classes kept: revenue only ranks new
    pairs) reports every unit as unpriced, valued at the product's price. The rows travel as
    binary COPY straight into NumPy."""
    table = DemandHistory._meta.db_table
    week_sums = "".join(
        f", COALESCE(SUM(quantity) FILTER (WHERE day >= {7 * k} AND day < {7 * k + 7}), 0)"
        for k in range(weeks)
    )
    revenue_sums = (
        "COALESCE(SUM(revenue), 0), COALESCE(SUM(quantity) FILTER (WHERE revenue IS NULL), 0)"
        if with_revenue
        else "0::float8, SUM(quantity)"  # the same aggregate as above: computed once
    )
    query = f"""
        SELECT product_id::int8, location_id::int8, SUM(quantity), SUM(quantity * quantity),
               {revenue_sums}, MAX(day)
               {week_sums}
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


def _keep_stored(
    pairs: np.ndarray, fresh: np.ndarray, stored_keys: np.ndarray, stored: np.ndarray
) -> np.ndarray:
    if stored_keys.size == 0:
        return fresh
    at = np.minimum(np.searchsorted(stored_keys, pairs), stored_keys.size - 1)
    found = (stored_keys[at] == pairs) & (stored[at] != "")
    return np.where(found, stored[at], fresh)


def _forecast_demand(
    pairs: np.ndarray, mean: np.ndarray, variance: np.ndarray, as_of: date
) -> tuple[np.ndarray, np.ndarray, int]:
    """Daily demand mean and error variance for the policy, per pair (``pairs`` sorted keys).

    Where the latest successful forecast run covers ``as_of`` (its data ends at most one
    horizon before), a pair takes the forecast's mean over the horizon and the square of its
    error spread (the selected method's backtest RMSE): safety stock protects against the
    forecast's error, not the raw demand spread (issue 5; ADR 13). Other pairs keep ``mean``
    and ``variance``. Returns the two arrays and how many pairs came from the forecast."""
    from forecasting.selectors import latest_forecast_for_policy

    forecast = latest_forecast_for_policy()
    if (
        forecast.run_id is None
        or forecast.data_end is None
        or as_of > forecast.data_end + timedelta(days=forecast.horizon)
        or pairs.size == 0
    ):
        return mean, variance, 0
    keys = pair_keys(forecast.product_id, forecast.location_id)
    at = np.minimum(np.searchsorted(pairs, keys), pairs.size - 1)
    use = (pairs[at] == keys) & np.isfinite(forecast.mean_daily) & np.isfinite(forecast.sigma_daily)
    mean, variance = mean.copy(), variance.copy()
    mean[at[use]] = forecast.mean_daily[use]
    variance[at[use]] = forecast.sigma_daily[use] ** 2
    return mean, variance, int(use.sum())


def inventory_refresh(
    *,
    as_of: date | None = None,
    reclassify: bool = True,
    progress: Callable[[int, str], None] | None = None,
) -> RefreshResult:
    """Recompute ``InventoryMetrics`` for every active product × location that has stock or
    sales in the look-back, and the per-product ``ProductInventorySummary``; rows of other
    pairs are deleted.

    Demand: mean and standard deviation of daily sales over ``lookback_days`` (days without a
    row count as zero), the fallback until forecast errors feed the policy, rolled up the supply
    network (a DC's demand is its own plus that of every location it replenishes; means and
    variances add). Lead time and its spread σ_L from the product. Inventory position = on hand
    + on order − reserved. ABC by revenue or quantity over the look-back, ranked within each
    location; XYZ by the coefficient of variation of weekly demand with the tenant's cut-offs.
    ``reclassify=False`` (the hourly refresh) keeps the ABC/XYZ classes of existing rows, which
    the daily run re-evaluates. Products excluded from ``abc`` get no class (blank, class-B
    target); products excluded from ``recommendations`` get status ``excluded`` and no order.
    Pairs with neither sales nor stock are ``no_data``. ``progress(percent, message)`` hears
    of each step (job and command progress bars).
    """
    report = progress or (lambda percent, message: None)
    started = time.perf_counter()
    report(5, "Loading inputs")
    settings = inventory_settings_get()
    as_of = as_of or timezone.localdate()
    lookback = int(settings.lookback_days)
    start = as_of - timedelta(days=lookback - 1)

    products = _load_products()
    products["lead_time"], products["lead_time_std"] = supply.lead_times(
        products["id"], products["lead_time"], products["lead_time_std"]
    )
    levels = _load_levels()
    weeks = -(-lookback // XYZ_BUCKET_DAYS) if reclassify else 0
    sales_started = time.perf_counter()
    sales = _sales_by_pair(start, as_of, weeks, with_revenue=reclassify)
    sales_seconds = time.perf_counter() - sales_started
    location_ids, parent_ids = _load_network()
    excluded_abc = np.array(sorted(excluded_product_ids(scope="abc")), dtype=np.int64)
    excluded_orders = np.array(
        sorted(excluded_product_ids(scope="recommendations")), dtype=np.int64
    )
    stored_keys, stored_abc, stored_xyz = (
        _stored_classes() if not reclassify else (np.zeros(0, np.int64), None, None)
    )

    report(40, "Computing the policy")
    read_done = time.perf_counter()
    product_id = products["id"]
    level_keys = pair_keys(levels["product"], levels["location"])
    sales = sales[np.isin(sales["product"], product_id)]  # inactive products drop out
    sale_keys = pair_keys(sales["product"], sales["location"])
    pairs = np.union1d(level_keys, sale_keys)
    size = pairs.size
    pair_product = pairs >> 32
    pair_location = pairs & 0xFFFFFFFF
    product_index = np.searchsorted(product_id, pair_product)

    on_hand = np.zeros(size)
    reserved = np.zeros(size)
    on_order = np.zeros(size)
    at = np.searchsorted(pairs, level_keys)
    on_hand[at] = levels["on_hand"]
    reserved[at] = levels["reserved"]
    on_order[at] = levels["on_order"]

    row = np.searchsorted(pairs, sale_keys)  # one sales row per pair at most
    weekly = np.zeros((size, weeks))
    for k in range(weeks):
        weekly[row, k] = sales[f"w{k}"]
    own_quantity = np.zeros(size)
    own_quantity[row] = sales["quantity"]
    quantity_sq = np.zeros(size)
    quantity_sq[row] = sales["quantity_sq"]
    revenue = np.zeros(size)
    revenue[row] = sales["revenue"]
    unpriced = np.zeros(size)
    unpriced[row] = sales["quantity_unpriced"]
    last_day = np.full(size, -1, dtype=np.int64)
    last_day[row] = sales["last_day"]

    own_mean = own_quantity / lookback
    own_variance = np.maximum(quantity_sq / lookback - own_mean**2, 0.0)
    revenue = revenue + unpriced * _per_pair(products, "price", product_index)
    # The policy's demand: the latest forecast's mean and error where a run covers today,
    # the look-back's sales moments elsewhere. Both roll up the network alike.
    policy_mean, policy_variance, forecast_pairs = _forecast_demand(
        pairs, own_mean, own_variance, as_of
    )
    (mean_daily, variance, weekly, revenue, policy_mean, policy_variance), (last_day,) = roll_up(
        pairs,
        location_ids,
        parent_ids,
        [own_mean, own_variance, weekly, revenue, policy_mean, policy_variance],
        [last_day],
    )
    quantity = mean_daily * lookback
    std_daily = np.sqrt(variance)  # the demand's own spread: XYZ between daily runs
    sold = last_day >= 0
    # Nothing sold (here or downstream) and nothing on hand: no basis for a policy.
    mean_daily = np.where(~sold & (on_hand <= 0), np.nan, mean_daily)
    policy_mean = np.where(np.isnan(mean_daily), np.nan, policy_mean)
    policy_std = np.sqrt(policy_variance)
    days_since_last_sale = np.where(sold, (lookback - 1) - last_day, np.nan)

    unit_cost = _per_pair(products, "cost", product_index)
    measure = revenue if settings.abc_measure == InventorySettings.AbcMeasure.REVENUE else quantity
    no_abc = np.isin(pair_product, excluded_abc)
    measure = np.where(no_abc, 0.0, measure)  # out of the ranking: shares are of the others
    shares = (settings.abc_share_a / 100, settings.abc_share_b / 100, settings.abc_share_c / 100)
    abc = abc_classify(measure, shares, group=pair_location)
    cutoffs = (float(settings.xyz_x_limit), float(settings.xyz_y_limit))
    if reclassify:
        xyz = xyz_classify(weekly, cutoffs)
    else:
        # New pairs between daily runs: weekly CV ≈ daily CV / √7 for independent days.
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(mean_daily > 0, std_daily / mean_daily / np.sqrt(XYZ_BUCKET_DAYS), np.inf)
        xyz = xyz_from_cv(cv, cutoffs)
    if not reclassify:
        abc = _keep_stored(pairs, abc, stored_keys, stored_abc)
        xyz = _keep_stored(pairs, xyz, stored_keys, stored_xyz)
    abc = np.where(no_abc, "", abc)
    class_level = {
        "A": float(settings.service_level_a),
        "B": float(settings.service_level_b),
        "C": float(settings.service_level_c),
    }
    service_level = np.select(
        [abc == label for label in class_level], list(class_level.values()), class_level["B"]
    )

    policy_settings = PolicySettings(
        service_level_kind=settings.service_level_kind,
        review_period_days=float(settings.review_period_days),
        holding_cost_rate=float(settings.holding_cost_rate),
        ordering_cost=float(settings.ordering_cost),
        dead_stock_days=float(lookback),  # unsold over the whole look-back
        max_cover_days=float(settings.max_cover_days) if settings.max_cover_days else None,
        service_level_allocation=settings.service_level_allocation,
    )
    stockout_cost = (
        None if settings.stockout_cost is None else np.full(size, float(settings.stockout_cost))
    )
    lead_time = _per_pair(products, "lead_time", product_index)
    lead_time_std = _per_pair(products, "lead_time_std", product_index)
    # Open supply counts only where due within the protection interval (lead time + review).
    protection = lead_time + float(settings.review_period_days)
    on_order = np.maximum(on_order - supply.supply_due_after(pairs, as_of, protection), 0.0)
    result = calculate_policy(
        PolicyInputs(
            mean_daily_demand=policy_mean,
            demand_std_daily=policy_std,
            lead_time_days=lead_time,
            lead_time_std_days=lead_time_std,
            on_hand=on_hand,
            service_level=service_level,
            unit_cost=unit_cost,
            on_order_within_lead_time=on_order,
            reserved=reserved,
            minimum_order_quantity=_per_pair(products, "moq", product_index),
            pack_size=_per_pair(products, "pack", product_index),
            stockout_cost_per_unit=stockout_cost,
            days_since_last_sale=days_since_last_sale,
            # Each class's target on average over its cycles (pairs out of ABC form their
            # own group) under the aggregate allocation.
            service_level_group=abc,
        ),
        policy_settings,
    )
    status = STATUS_NAMES[result.status].astype(object)
    order_dates = latest_order_date(np.datetime64(as_of, "D"), result.days_until_order)
    recommended = np.nan_to_num(result.recommended_order_quantity)
    no_orders = np.isin(pair_product, excluded_orders)
    status[no_orders] = InventoryMetrics.Status.EXCLUDED.value
    recommended[no_orders] = 0.0
    order_dates[no_orders] = np.datetime64("NaT")
    value = on_hand * np.nan_to_num(unit_cost)

    report(70, "Writing metrics")
    compute_done = time.perf_counter()
    computed_at = timezone.now()
    columns = {
        "product_id": ("int8", pair_product),
        "location_id": ("int8", pair_location),
        "mean_daily_demand": ("float8", policy_mean),
        "demand_std": ("float8", policy_std),
        "lead_time_days": ("float8", lead_time),
        "lead_time_std_days": ("float8", lead_time_std),
        "on_hand": ("float8", on_hand),
        "inventory_value": ("float8", value),
        "service_level": ("float8", result.service_level),
        "safety_stock": ("float8", result.safety_stock),
        "reorder_point": ("float8", result.reorder_point),
        "order_up_to": ("float8", result.order_up_to_level),
        "eoq": ("float8", result.order_quantity),
        "days_of_cover": ("float8", result.days_of_cover),
        "inventory_position": ("float8", result.inventory_position),
        "stockout_risk": ("float8", result.stockout_risk),
        "status": ("text", status),
        "recommended_order_qty": ("float8", recommended),
        "latest_order_date": ("date", order_dates),
        "abc_class": ("text", abc),
        "xyz_class": ("text", xyz),
    }
    summary = _product_summary(
        pair_product,
        every_product=np.array(
            Product.objects.order_by().values_list("id", flat=True), dtype=np.int64
        ),
        on_hand=on_hand,
        position=result.inventory_position,
        value=value,
        demand=mean_daily,
        risk=result.stockout_risk,
        status=status,
        recommended=recommended,
        abc=abc,
        xyz=xyz,
    )
    with transaction.atomic():
        refresh_lock()
        deleted = write_rows(InventoryMetrics, columns, computed_at, ("product_id", "location_id"))
        write_rows(ProductInventorySummary, summary, computed_at, ("product_id",))
        InventorySettings.objects.filter(pk=settings.pk).update(metrics_refreshed_at=computed_at)
        emit_event("inventory.refreshed", {"rows": size, "deleted": deleted, "as_of": as_of})
    bump_namespace("inventory")
    report(100, "Done")
    finished = time.perf_counter()
    names, counts = np.unique(status.astype(str), return_counts=True)
    return RefreshResult(
        rows=size,
        deleted=deleted,
        by_status={str(n): int(c) for n, c in zip(names, counts, strict=True)},
        seconds=finished - started,
        steps={
            "sales": sales_seconds,
            "other_reads": read_done - started - sales_seconds,
            "compute": compute_done - read_done,
            "write": finished - compute_done,
        },
        forecast_pairs=forecast_pairs,
    )


def _per_pair(products: dict[str, np.ndarray], name: str, index: np.ndarray) -> np.ndarray:
    """The product column ``name`` for each pair."""
    return products[name][index]


SEVERITY = np.array(ProductInventorySummary.STATUS_SEVERITY, dtype=object)
ABC_ORDER = np.array(["A", "B", "C", ""])
XYZ_ORDER = np.array(["X", "Y", "Z"])


def _product_summary(
    pair_product: np.ndarray, *, every_product: np.ndarray, **values: np.ndarray
) -> dict[str, tuple[str, np.ndarray]]:
    """Group the pair rows (sorted by product) into one row per product, plus a ``no_data``
    row for each other product of ``every_product`` (so lists ordered by an inventory column
    can join the summary as an inner join and walk its indexes); see
    ``ProductInventorySummary`` for what is summed and what is the worst or best."""
    grouped = _group_pairs(pair_product, **values)
    others = np.setdiff1d(every_product, grouped["product_id"][1])
    blank = {
        "product_id": others,
        "locations": np.zeros(others.size, np.int32),
        "status": np.full(others.size, "no_data", dtype=object),
        "abc_class": np.full(others.size, "", dtype=object),
        "xyz_class": np.full(others.size, "", dtype=object),
    }
    summary = {}
    for name, (kind, array) in grouped.items():
        default = {"float8": np.nan, "text": ""}.get(kind, 0)
        extra = blank.get(name, np.full(others.size, default))
        if name in ("on_hand", "inventory_position", "inventory_value", "recommended_order_qty"):
            extra = np.zeros(others.size)
        summary[name] = (kind, np.concatenate([np.asarray(array, dtype=extra.dtype), extra]))
    return summary


def _group_pairs(pair_product: np.ndarray, **values: np.ndarray) -> dict[str, tuple[str, Any]]:
    if pair_product.size == 0:
        empty_float = np.zeros(0)
        empty_text = np.zeros(0, dtype=object)
        return {
            "product_id": ("int8", np.zeros(0, np.int64)),
            "locations": ("int4", np.zeros(0, np.int32)),
            **{
                name: ("float8", empty_float)
                for name in (
                    "on_hand",
                    "inventory_position",
                    "inventory_value",
                    "mean_daily_demand",
                    "days_of_cover",
                    "stockout_risk",
                    "recommended_order_qty",
                )
            },
            "status": ("text", empty_text),
            "abc_class": ("text", empty_text),
            "xyz_class": ("text", empty_text),
        }
    starts = np.flatnonzero(np.r_[True, pair_product[1:] != pair_product[:-1]])
    counts = np.diff(np.r_[starts, pair_product.size])

    def total(array: np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.nan_to_num(array, posinf=0.0), starts)

    demand = values["demand"]
    demand_known = np.maximum.reduceat(np.isfinite(demand), starts)
    demand_total = np.where(demand_known, total(demand), np.nan)
    position = total(values["position"])
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(demand_total > 0, np.maximum(position, 0.0) / demand_total, np.nan)
    risk = values["risk"]
    risk_max = np.fmax.reduceat(np.where(np.isfinite(risk), risk, np.nan), starts)
    rank = {name: i for i, name in enumerate(SEVERITY)}
    status_rank = np.vectorize(rank.__getitem__, otypes=[np.int64])(values["status"])
    abc_rank = np.searchsorted(ABC_ORDER[:3], values["abc"].astype("<U1"))
    abc_rank = np.where(values["abc"] == "", 3, abc_rank)
    xyz_rank = np.searchsorted(XYZ_ORDER, values["xyz"].astype("<U1"))
    return {
        "product_id": ("int8", pair_product[starts]),
        "locations": ("int4", counts.astype(np.int32)),
        "on_hand": ("float8", total(values["on_hand"])),
        "inventory_position": ("float8", position),
        "inventory_value": ("float8", total(values["value"])),
        "mean_daily_demand": ("float8", demand_total),
        "days_of_cover": ("float8", cover),
        "stockout_risk": ("float8", risk_max),
        "status": ("text", SEVERITY[np.minimum.reduceat(status_rank, starts)]),
        "recommended_order_qty": ("float8", total(values["recommended"])),
        "abc_class": ("text", ABC_ORDER[np.minimum.reduceat(abc_rank, starts)]),
        "xyz_class": ("text", XYZ_ORDER[np.maximum.reduceat(xyz_rank, starts)]),
    }


def refresh_lock() -> None:
    """Serialise metrics writes of the active tenant until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.inventory'))")


def write_rows(
    model, columns: dict[str, tuple[str, np.ndarray]], computed_at, key: tuple[str, ...]
) -> int:
    """Make ``model``'s table hold exactly these rows: binary COPY into a temporary table, one
    ``UPDATE … FROM`` of the rows whose values changed (an unchanged row keeps its
    ``computed_at`` and costs no index writes), one ``INSERT`` of the new keys and one
    ``DELETE`` of the keys no longer there (anti-joins). Returns the rows deleted. The caller
    holds ``refresh_lock`` so concurrent refreshes of a tenant cannot insert the same key.

    Kinds: int8, int4, float8 (NaN/±inf → NULL), date (NaT → NULL), text (sent as codes into
    a label array). Call inside a transaction (the temporary table is dropped on commit)."""
    table = model._meta.db_table
    temp = f"refresh_{table}"
    wire: dict[str, tuple[str, np.ndarray]] = {}
    select: list[str] = []
    params: dict[str, Any] = {"computed_at": computed_at}
    for name, (kind, values) in columns.items():
        if kind == "text":
            labels, codes = np.unique(np.asarray(values).astype(str), return_inverse=True)
            wire[name] = ("int4", codes.astype(np.int32) + 1)
            params[f"labels_{name}"] = labels.tolist()
            select.append(f"(%(labels_{name})s::text[])[{name}]")
        elif kind == "float8":
            values = np.asarray(values, dtype=float)
            wire[name] = (kind, np.where(np.isfinite(values), values, np.nan))
            select.append(f"NULLIF({name}, 'NaN'::float8)")
        elif kind == "date":
            wire[name] = (kind, values)
            select.append(f"NULLIF({name}, 'infinity'::date)")
        else:
            wire[name] = (kind, np.asarray(values))
            select.append(name)
    names = list(columns)
    values = [name for name in names if name not in key]
    incoming = ", ".join(
        f"{expression} AS {name}" for expression, name in zip(select, names, strict=True)
    )
    same_key = " AND ".join(f"t.{name} = s.{name}" for name in key)
    with connection.cursor() as cursor:
        definition = ", ".join(f"{name} {kind}" for name, (kind, _) in wire.items())
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({definition}) ON COMMIT DROP")
        copy_to_table(cursor, temp, wire)
        # Three set-based statements (hash joins) instead of one probe of the unique index per
        # row; the caller holds the tenant's refresh lock, so no one inserts in between.
        cursor.execute(
            f"""
            UPDATE {table} t
            SET {", ".join(f"{name} = s.{name}" for name in values)},
                computed_at = %(computed_at)s
            FROM (SELECT {incoming} FROM {temp}) s
            WHERE {same_key}
              AND ({", ".join(f"t.{name}" for name in values)})
                  IS DISTINCT FROM ({", ".join(f"s.{name}" for name in values)})
            """,  # noqa: S608 (identifiers from the model, values bound)
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {table} ({", ".join(names)}, computed_at)
            SELECT s.*, %(computed_at)s FROM (SELECT {incoming} FROM {temp}) s
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same_key})
            """,  # noqa: S608 (identifiers from the model, values bound)
            params,
        )
        cursor.execute(
            f"DELETE FROM {table} t WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {temp} s WHERE {same_key})"
        )
        deleted = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return deleted


def inventory_metrics_list(*, user: Any):
    """Metrics rows with their product and location (one query for any page size)."""
    return InventoryMetrics.objects.select_related("product", "location").order_by(
        "product__sku", "location__code"
    )
