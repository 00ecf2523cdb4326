"""Step 2 of the metrics refresh: from the loaded inputs to the rows to write, on whole arrays
(one element per product × location). Pairs → demand (sales moments or the forecast, rolled up
the supply network) → ABC/XYZ and service levels → the policy (``inventory.policy``) →
the metrics columns and the per-product summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from catalog.classification import abc_classify, xyz_classify, xyz_from_cv
from catalog.keys import pair_keys
from inventory import supply
from inventory.models import InventoryMetrics, InventorySettings
from inventory.policy import (
    STATUS_NAMES,
    PolicyInputs,
    PolicyResult,
    PolicySettings,
    calculate_policy,
    latest_order_date,
)
from inventory.policy.launch import (
    LAUNCH_WINDOW_DAYS,
    in_launch_phase,
    launch_adjusted_mean,
    launch_level,
)
from inventory.policy.network import roll_up
from inventory.policy.spread import pooled_error_spread
from inventory.refresh.load import XYZ_BUCKET_DAYS, RefreshInputs
from inventory.refresh.write import product_summary

Columns = dict[str, tuple[str, Any]]


@dataclass(frozen=True)
class Pairs:
    """The product × location pairs with stock or sales, and their own (not rolled-up) data."""

    keys: np.ndarray  # sorted pair keys
    product: np.ndarray
    location: np.ndarray
    product_index: np.ndarray  # row of each pair's product in ``inputs.products``
    on_hand: np.ndarray
    reserved: np.ndarray
    on_order: np.ndarray
    weekly: np.ndarray  # (pairs, weeks)
    own_mean: np.ndarray
    own_variance: np.ndarray
    revenue: np.ndarray
    last_day: np.ndarray  # last day with a sale in the look-back, −1 for none
    first_sale_day: np.ndarray  # first day with a positive quantity in the look-back, −1: none
    # Σ y, Σ day·y, Σ y² over the look-back's last ``LAUNCH_WINDOW_DAYS`` (the launch line)
    recent: tuple[np.ndarray, np.ndarray, np.ndarray]

    @property
    def size(self) -> int:
        return int(self.keys.size)

    def of_product(self, products: dict[str, np.ndarray], name: str) -> np.ndarray:
        """The product column ``name`` for each pair."""
        column: np.ndarray = products[name][self.product_index]
        return column


@dataclass(frozen=True)
class Demand:
    """Demand per pair after the network roll-up: the look-back's moments (``mean_daily`` is
    NaN where there is no basis for a policy) and the policy's demand (forecast or sales)."""

    mean_daily: np.ndarray
    std_daily: np.ndarray
    weekly: np.ndarray
    revenue: np.ndarray
    policy_mean: np.ndarray
    policy_std: np.ndarray
    # Independent errors behind ``policy_std`` (NaN: taken as known), ADR 44 addendum.
    error_observations: np.ndarray
    days_since_last_sale: np.ndarray
    forecast_pairs: int


@dataclass(frozen=True)
class RefreshRows:
    metrics: Columns
    summary: Columns
    status: np.ndarray
    forecast_pairs: int

    @property
    def size(self) -> int:
        return int(self.status.size)


def refresh_compute(inputs: RefreshInputs) -> RefreshRows:
    """The metrics rows and the per-product summary for ``inputs``."""
    pairs = _pairs(inputs)
    demand = _demand(inputs, pairs)
    abc, xyz, service_level = _classes(inputs, pairs, demand)
    lead_time = pairs.of_product(inputs.products, "lead_time")
    lead_time_std = pairs.of_product(inputs.products, "lead_time_std")
    result = _policy(inputs, pairs, demand, abc, service_level, lead_time, lead_time_std)

    status = STATUS_NAMES[result.status].astype(object)
    order_dates = latest_order_date(np.datetime64(inputs.as_of, "D"), result.days_until_order)
    recommended = np.nan_to_num(result.recommended_order_quantity)
    no_orders = np.isin(pairs.product, inputs.excluded_orders)
    status[no_orders] = InventoryMetrics.Status.EXCLUDED.value
    recommended[no_orders] = 0.0
    order_dates[no_orders] = np.datetime64("NaT")
    value = pairs.on_hand * np.nan_to_num(pairs.of_product(inputs.products, "cost"))
    metrics: Columns = {
        "product_id": ("int8", pairs.product),
        "location_id": ("int8", pairs.location),
        "mean_daily_demand": ("float8", demand.policy_mean),
        "demand_std": ("float8", demand.policy_std),
        "lead_time_days": ("float8", lead_time),
        "lead_time_std_days": ("float8", lead_time_std),
        "on_hand": ("float8", pairs.on_hand),
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
    summary = product_summary(
        pairs.product,
        every_product=inputs.every_product,
        on_hand=pairs.on_hand,
        position=result.inventory_position,
        value=value,
        demand=demand.mean_daily,
        risk=result.stockout_risk,
        status=status,
        recommended=recommended,
        abc=abc,
        xyz=xyz,
    )
    return RefreshRows(metrics, summary, status, demand.forecast_pairs)


def _pairs(inputs: RefreshInputs) -> Pairs:
    """Every active product × location with stock or sales in the look-back, sorted by key,
    with its stock and its own sales moments."""
    products, levels = inputs.products, inputs.levels
    sales = inputs.sales[np.isin(inputs.sales["product"], products["id"])]  # inactive drop out
    level_keys = pair_keys(levels["product"], levels["location"])
    sale_keys = pair_keys(sales["product"], sales["location"])
    keys = np.union1d(level_keys, sale_keys)
    size = keys.size

    on_hand, reserved, on_order = np.zeros(size), np.zeros(size), np.zeros(size)
    at = np.searchsorted(keys, level_keys)
    on_hand[at] = levels["on_hand"]
    reserved[at] = levels["reserved"]
    on_order[at] = levels["on_order"]

    row = np.searchsorted(keys, sale_keys)  # one sales row per pair at most
    weekly = np.zeros((size, inputs.weeks))
    for k in range(inputs.weeks):
        weekly[row, k] = sales[f"w{k}"]
    quantity, quantity_sq, revenue, unpriced = (np.zeros(size) for _ in range(4))
    quantity[row] = sales["quantity"]
    quantity_sq[row] = sales["quantity_sq"]
    revenue[row] = sales["revenue"]
    unpriced[row] = sales["quantity_unpriced"]
    last_day = np.full(size, -1, dtype=np.int64)
    last_day[row] = sales["last_day"]
    first_sale_day = np.full(size, -1, dtype=np.int64)
    first_sale_day[row] = sales["first_sale_day"]
    recent = tuple(np.zeros(size) for _ in range(3))
    for column, name in zip(
        recent, ("recent_quantity", "recent_weighted", "recent_squares"), strict=True
    ):
        column[row] = sales[name]

    product = keys >> 32
    product_index = np.searchsorted(products["id"], product)
    own_mean = quantity / inputs.lookback
    return Pairs(
        keys=keys,
        product=product,
        location=keys & 0xFFFFFFFF,
        product_index=product_index,
        on_hand=on_hand,
        reserved=reserved,
        on_order=on_order,
        weekly=weekly,
        own_mean=own_mean,
        own_variance=np.maximum(quantity_sq / inputs.lookback - own_mean**2, 0.0),
        revenue=revenue + unpriced * products["price"][product_index],
        last_day=last_day,
        first_sale_day=first_sale_day,
        recent=(recent[0], recent[1], recent[2]),
    )


def _forecast_demand(
    inputs: RefreshInputs, pairs: Pairs
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Daily demand mean and error variance for the policy, per pair.

    Where the latest successful forecast run covers ``as_of`` (its data ends at most one
    horizon before), a pair takes the forecast's mean over the horizon and the square of its
    error spread (the selected method's backtest RMSE): safety stock protects against the
    forecast's error, not the raw demand spread (issue 5; ADR 13). Other pairs keep their
    sales moments. Returns the two arrays, the days of backtest error behind each pair's
    spread (NaN where none: sales moments or the p10–p90 band) and which pairs came from
    the forecast."""
    mean, variance = pairs.own_mean, pairs.own_variance
    error_days = np.full(pairs.size, np.nan)
    from_forecast = np.zeros(pairs.size, dtype=bool)
    forecast = inputs.forecast
    if (
        forecast.run_id is None
        or forecast.data_end is None
        or inputs.as_of > forecast.data_end + timedelta(days=forecast.horizon)
        or pairs.size == 0
    ):
        return mean, variance, error_days, from_forecast
    keys = pair_keys(forecast.product_id, forecast.location_id)
    at = np.minimum(np.searchsorted(pairs.keys, keys), pairs.size - 1)
    use = (
        (pairs.keys[at] == keys)
        & np.isfinite(forecast.mean_daily)
        & np.isfinite(forecast.sigma_daily)
    )
    mean, variance = mean.copy(), variance.copy()
    mean[at[use]] = forecast.mean_daily[use]
    variance[at[use]] = forecast.sigma_daily[use] ** 2
    if forecast.error_days is not None:
        error_days[at[use]] = forecast.error_days[use]
        # Backtest days before the first sale are a forecast of nothing against nothing: no
        # error (as the replay counts misses from the first sale). The folds end at data_end.
        end = inputs.lookback - 1 - (inputs.as_of - forecast.data_end).days
        launched = pairs.first_sale_day > 0  # 0: selling since the look-back's start or before
        after_sale = np.maximum(end - pairs.first_sale_day + 1, 0).astype(float)
        error_days = np.where(launched, np.minimum(error_days, after_sale), error_days)
    from_forecast[at[use]] = True
    return mean, variance, error_days, from_forecast


def _pooled_error_spread(
    inputs: RefreshInputs,
    pairs: Pairs,
    variance: np.ndarray,
    error_days: np.ndarray,
    from_forecast: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The forecast pairs' error variance shrunk toward the pooled prior and its degrees of
    freedom, as the replay does (ADR 44 and its addenda): ``n`` = the backtest's daily
    errors since the first sale (the RMSE is a daily one, its errors one a day; the policy's
    ``σ·√P`` takes them as independent, so does the count), the prior ``κ·d²·(1 + P/m)``
    with ``d`` the pair's daily demand spread over its ``m`` days since the first sale in
    the look-back, itself a variance from ``m − 1`` degrees of freedom (the posterior's
    combine both, Welch–Satterthwaite). Sales-moment pairs (no run covers them): the sample
    spread of their ``m`` days, ``ν = m − 1``. Pairs on the p10–p90 band (the method's own
    predictive spread) keep NaN: taken as known."""
    backtested = np.isfinite(error_days)
    lookback = inputs.lookback
    seen = np.where(
        pairs.first_sale_day >= 0, lookback - np.maximum(pairs.first_sale_day, 0), np.nan
    ).astype(float)
    sample = np.where(~from_forecast & np.isfinite(seen) & (seen > 1), seen - 1.0, np.nan)
    if not backtested.any():
        return variance, sample
    period = _protection_days(inputs, pairs)
    quantity = pairs.own_mean * lookback
    squares = (pairs.own_variance + pairs.own_mean**2) * lookback
    with np.errstate(invalid="ignore", divide="ignore"):
        daily_variance = np.maximum(squares / seen - (quantity / seen) ** 2, 0.0)
        scale = np.sqrt(daily_variance * (1.0 + period / seen))
    spread, freedom = pooled_error_spread(
        np.where(backtested, np.sqrt(variance), np.nan),
        np.where(backtested, error_days, 0.0),
        np.where(backtested, scale, np.nan),
        scale_observations=seen - 1.0,
    )
    return (
        np.where(backtested, spread**2, variance),
        np.where(backtested, freedom, sample),
    )


def _demand(inputs: RefreshInputs, pairs: Pairs) -> Demand:
    """The look-back's moments and the policy's demand, rolled up the supply network (a DC's
    demand is its own plus that of every location it replenishes; means and variances add)."""
    policy_mean, policy_variance, error_days, from_forecast = _forecast_demand(inputs, pairs)
    policy_variance, freedom = _pooled_error_spread(
        inputs, pairs, policy_variance, error_days, from_forecast
    )
    policy_mean = _launch_mean(inputs, pairs, policy_mean)
    forecast_pairs = int(from_forecast.sum())
    # Degrees of freedom of a sum of variances (Welch–Satterthwaite): ν = (Σ s²)² / Σ s⁴/ν,
    # a known spread (NaN) adding nothing to the denominator.
    uncertainty = np.where(np.isfinite(freedom), policy_variance**2 / freedom, 0.0)
    (
        (mean_daily, variance, weekly, revenue, policy_mean, policy_variance, uncertainty),
        (last_day,),
    ) = roll_up(
        pairs.keys,
        inputs.location_ids,
        inputs.parent_ids,
        [
            pairs.own_mean,
            pairs.own_variance,
            pairs.weekly,
            pairs.revenue,
            policy_mean,
            policy_variance,
            uncertainty,
        ],
        [pairs.last_day],
    )
    sold = last_day >= 0
    # Nothing sold (here or downstream) and nothing on hand: no basis for a policy.
    mean_daily = np.where(~sold & (pairs.on_hand <= 0), np.nan, mean_daily)
    policy_mean = np.where(np.isnan(mean_daily), np.nan, policy_mean)
    return Demand(
        mean_daily=mean_daily,
        std_daily=np.sqrt(variance),  # the demand's own spread: XYZ between daily runs
        weekly=weekly,
        revenue=revenue,
        policy_mean=policy_mean,
        policy_std=np.sqrt(policy_variance),
        error_observations=np.where(
            uncertainty > 0, policy_variance**2 / np.where(uncertainty > 0, uncertainty, 1), np.nan
        ),
        days_since_last_sale=np.where(sold, (inputs.lookback - 1) - last_day, np.nan),
        forecast_pairs=forecast_pairs,
    )


def _protection_days(inputs: RefreshInputs, pairs: Pairs) -> np.ndarray:
    """P = lead time + review period per pair, at least a day."""
    lead_time = pairs.of_product(inputs.products, "lead_time")
    review = float(inputs.settings.review_period_days)
    return np.asarray(np.maximum(np.nan_to_num(lead_time) + review, 1.0), dtype=float)


def _launch_mean(inputs: RefreshInputs, pairs: Pairs, mean: np.ndarray) -> np.ndarray:
    """A launching pair's daily mean raised to its launch line (ADR 44, launches): the
    least-squares line through its sales since the first sale (the last
    ``LAUNCH_WINDOW_DAYS`` of them) at the middle of the protection period ahead, where it
    is above the forecast's (or the look-back's) mean. A pair is launching when its first
    sale in the look-back came after ``MIN_QUIET_DAYS`` without any, fewer than
    ``LAUNCH_DAYS`` ago: the forecast run (weekly) and the look-back's mean (over days
    before the launch too) both lag its ramp; the daily refresh follows it."""
    lookback = inputs.lookback
    first = pairs.first_sale_day
    age = np.where(first >= 0, lookback - first, np.nan).astype(float)
    launching = in_launch_phase(age, np.where(first >= 0, first, np.nan))
    if not launching.any():
        return mean
    window = np.minimum(np.nan_to_num(age), LAUNCH_WINDOW_DAYS)
    begin = lookback - window  # look-back day of the window's first day
    total, weighted, squares = pairs.recent
    level = launch_level(
        window,
        total,
        weighted - begin * total,
        squares,
        (_protection_days(inputs, pairs) + 1.0) / 2.0,
    )
    return launch_adjusted_mean(mean, level, launching)


def _keep_stored(
    keys: np.ndarray, fresh: np.ndarray, stored_keys: np.ndarray, stored: np.ndarray | None
) -> np.ndarray:
    if stored is None or stored_keys.size == 0:
        return fresh
    at = np.minimum(np.searchsorted(stored_keys, keys), stored_keys.size - 1)
    found = (stored_keys[at] == keys) & (stored[at] != "")
    return np.where(found, stored[at], fresh)


def _classes(
    inputs: RefreshInputs, pairs: Pairs, demand: Demand
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ABC by revenue or quantity over the look-back, ranked within each location; XYZ by the
    coefficient of variation of weekly demand; the class's service-level target per pair.
    Between daily runs (``reclassify=False``) the stored classes are kept; products excluded
    from ``abc`` get no class."""
    settings = inputs.settings
    quantity = demand.mean_daily * inputs.lookback
    measure = (
        demand.revenue if settings.abc_measure == InventorySettings.AbcMeasure.REVENUE else quantity
    )
    no_abc = np.isin(pairs.product, inputs.excluded_abc)
    measure = np.where(no_abc, 0.0, measure)  # out of the ranking: shares are of the others
    shares = (settings.abc_share_a / 100, settings.abc_share_b / 100, settings.abc_share_c / 100)
    abc = abc_classify(measure, shares, group=pairs.location)
    cutoffs = (float(settings.xyz_x_limit), float(settings.xyz_y_limit))
    if inputs.reclassify:
        xyz = xyz_classify(demand.weekly, cutoffs)
    else:
        # New pairs between daily runs: weekly CV ≈ daily CV / √7 for independent days.
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(
                demand.mean_daily > 0,
                demand.std_daily / demand.mean_daily / np.sqrt(XYZ_BUCKET_DAYS),
                np.inf,
            )
        xyz = xyz_from_cv(cv, cutoffs)
        abc = _keep_stored(pairs.keys, abc, inputs.stored_keys, inputs.stored_abc)
        xyz = _keep_stored(pairs.keys, xyz, inputs.stored_keys, inputs.stored_xyz)
    abc = np.where(no_abc, "", abc)
    class_level = {
        "A": float(settings.service_level_a),
        "B": float(settings.service_level_b),
        "C": float(settings.service_level_c),
    }
    service_level = np.select(
        [abc == label for label in class_level], list(class_level.values()), class_level["B"]
    )
    return abc, xyz, service_level


def _policy(
    inputs: RefreshInputs,
    pairs: Pairs,
    demand: Demand,
    abc: np.ndarray,
    service_level: np.ndarray,
    lead_time: np.ndarray,
    lead_time_std: np.ndarray,
) -> PolicyResult:
    """``inventory.policy`` on every pair with the tenant's settings. Open supply counts in
    the position only where due within the protection interval (lead time + review period)."""
    settings = inputs.settings
    products = inputs.products
    policy_settings = PolicySettings(
        service_level_kind=settings.service_level_kind,
        review_period_days=float(settings.review_period_days),
        holding_cost_rate=float(settings.holding_cost_rate),
        ordering_cost=float(settings.ordering_cost),
        dead_stock_days=float(inputs.lookback),  # unsold over the whole look-back
        max_cover_days=float(settings.max_cover_days) if settings.max_cover_days else None,
        service_level_allocation=settings.service_level_allocation,
    )
    stockout_cost = (
        None
        if settings.stockout_cost is None
        else np.full(pairs.size, float(settings.stockout_cost))
    )
    protection = lead_time + float(settings.review_period_days)
    on_order = np.maximum(
        pairs.on_order - supply.supply_due_after(pairs.keys, inputs.as_of, protection), 0.0
    )
    return calculate_policy(
        PolicyInputs(
            mean_daily_demand=demand.policy_mean,
            demand_std_daily=demand.policy_std,
            lead_time_days=lead_time,
            lead_time_std_days=lead_time_std,
            on_hand=pairs.on_hand,
            service_level=service_level,
            unit_cost=pairs.of_product(products, "cost"),
            on_order_within_lead_time=on_order,
            reserved=pairs.reserved,
            minimum_order_quantity=pairs.of_product(products, "moq"),
            pack_size=pairs.of_product(products, "pack"),
            stockout_cost_per_unit=stockout_cost,
            days_since_last_sale=demand.days_since_last_sale,
            # Each class's target on average over its cycles (pairs out of ABC form their
            # own group) under the aggregate allocation.
            service_level_group=abc,
            error_observations=demand.error_observations,
        ),
        policy_settings,
    )
