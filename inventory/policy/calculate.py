"""The whole inventory policy for many product × location rows in one call.

``calculate_policy`` is what the metrics refresh service calls: it loads one array per input
column, calls this, and writes the result columns back in bulk. Every step is an array
operation; slow movers are routed to the Poisson / negative-binomial or forecast-quantile
method, the rest use the normal approximation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inventory.policy.levels import (
    days_of_cover,
    economic_order_quantity,
    inventory_position,
    order_up_to_level,
    reorder_point,
    round_order_quantity,
)
from inventory.policy.risk import stockout_risk
from inventory.policy.safety_stock import (
    SERVICE_LEVEL_KINDS,
    lead_time_demand,
    reorder_level_discrete,
    review_undershoot,
    safety_stock_from_quantiles,
)
from inventory.policy.service_level import (
    allocate_cycle_service_levels,
    cost_optimal_service_level,
    z_for_cycle_service_level,
    z_for_fill_rate,
)
from inventory.policy.spread import small_sample_factor
from inventory.policy.status import days_until_order, recommended_order_quantity, stock_status

FloatArray = NDArray[np.float64]


POLICY_KINDS = ("reorder_point", "order_up_to")
SERVICE_LEVEL_ALLOCATIONS = ("item", "aggregate")


class SafetyStockMethod(IntEnum):
    NORMAL = 0
    DISCRETE = 1  # Poisson / negative binomial lead-time demand
    QUANTILES = 2  # forecast quantiles of lead-time demand


@dataclass(frozen=True)
class PolicySettings:
    """Tenant-wide settings. Per-class service levels are mapped to per-item arrays by the
    caller (``PolicyInputs.service_level``)."""

    service_level_kind: str = "cycle"  # "cycle" (CSL) or "fill_rate"
    # "reorder_point": (R, s, S), order a lot when the position falls to s;
    # "order_up_to": (R, S), every review order whatever lifts the position to S.
    policy_kind: str = "reorder_point"
    review_period_days: float = 1.0  # 1 = the daily planning batch; 0 = continuous review
    holding_cost_rate: float = 0.25  # per year, share of unit cost
    ordering_cost: float = 50.0  # per order
    # Mean lead-time demand (units) below which the normal approximation is not trusted.
    slow_mover_lead_time_demand: float = 20.0
    overstock_tolerance: float = 0.25
    dead_stock_days: float = 180.0
    # Lot size cap: the EOQ never buys more than this many days of mean demand (the MOQ and
    # pack size still round it up). None = the EOQ as it is.
    max_cover_days: float | None = None
    # Lots of exactly this many days of mean demand instead of the EOQ (the "order N days of
    # supply" rule; MOQ and pack still round it up). None = the EOQ, capped as above.
    lot_cover_days: float | None = None
    # "item": every item its target; "aggregate" (cycle service levels only): each group's
    # target (``PolicyInputs.service_level_group``, else items sharing a target) met on
    # average over its cycles, by ``service_level.allocate_cycle_service_levels`` (ADR 17).
    service_level_allocation: str = "item"

    def __post_init__(self) -> None:
        if self.service_level_kind not in SERVICE_LEVEL_KINDS:
            raise ValueError(f"service_level_kind must be one of {SERVICE_LEVEL_KINDS}")
        if self.policy_kind not in POLICY_KINDS:
            raise ValueError(f"policy_kind must be one of {POLICY_KINDS}")
        if self.review_period_days < 0:
            raise ValueError("review_period_days must be ≥ 0")
        if self.policy_kind == "order_up_to" and self.review_period_days <= 0:
            raise ValueError("an order-up-to policy needs a review period")
        if self.max_cover_days is not None and not self.max_cover_days > 0:
            raise ValueError("max_cover_days must be > 0 (or None for no cap)")
        if self.lot_cover_days is not None and not self.lot_cover_days > 0:
            raise ValueError("lot_cover_days must be > 0 (or None for the EOQ)")
        if self.service_level_allocation not in SERVICE_LEVEL_ALLOCATIONS:
            raise ValueError(f"service_level_allocation must be one of {SERVICE_LEVEL_ALLOCATIONS}")


@dataclass
class PolicyInputs:
    """One element per product × location. Units: demand units/day, times days, money."""

    mean_daily_demand: FloatArray
    demand_std_daily: FloatArray  # spread of the forecast error, units/day
    lead_time_days: FloatArray
    on_hand: FloatArray
    service_level: FloatArray  # target, 0–1, of ``PolicySettings.service_level_kind``
    unit_cost: FloatArray
    lead_time_std_days: FloatArray | None = None
    on_order_within_lead_time: FloatArray | None = None
    reserved: FloatArray | None = None
    minimum_order_quantity: FloatArray | None = None
    pack_size: FloatArray | None = None
    intermittent: NDArray[np.bool_] | None = None  # e.g. ADI > 1.32 from the SKU classification
    stockout_cost_per_unit: FloatArray | None = None  # NaN where unknown
    days_since_last_sale: FloatArray | None = None
    quantile_levels: FloatArray | None = None  # (k,) shared by all items
    # (items, k): forecast demand over the lead time (plus review period for "order_up_to")
    lead_time_demand_quantiles: FloatArray | None = None
    # (items,) labels (say the ABC class) of the "aggregate" service-level allocation
    service_level_group: NDArray[Any] | None = None
    # (items,) independent observations (degrees of freedom) behind ``demand_std_daily``;
    # a cycle-service-level item's spread is widened by the Student-t factor at its level
    # (``spread.small_sample_factor``). None (or NaN): the spread is taken as known.
    error_observations: FloatArray | None = None


@dataclass
class PolicyResult:
    safety_stock: FloatArray
    reorder_point: FloatArray
    order_up_to_level: FloatArray
    economic_order_quantity: FloatArray
    order_quantity: FloatArray  # EOQ rounded up to MOQ and pack size
    inventory_position: FloatArray
    days_of_cover: FloatArray
    stockout_risk: FloatArray
    status: NDArray[np.int8]
    recommended_order_quantity: FloatArray
    days_until_order: FloatArray
    service_level: FloatArray  # the level actually used (cost-optimal where a cost was given)
    method: NDArray[np.int8] = field(repr=False)

    def as_columns(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def capped_lot(
    quantity: FloatArray, mean_daily_demand: FloatArray, max_cover_days: float | None
) -> FloatArray:
    """``quantity`` (e.g. the EOQ) capped at ``max_cover_days`` of mean daily demand, before
    rounding to MOQ and pack; unchanged without a cap or where demand is unknown. Where the
    EOQ is undefined (no unit cost) the cap alone sets the lot."""
    if max_cover_days is None:
        return quantity
    cover = np.asarray(mean_daily_demand, float) * max_cover_days
    return np.where(np.isnan(cover), quantity, np.fmin(quantity, cover))


def policy_lot(
    eoq: FloatArray,
    mean_daily_demand: FloatArray,
    minimum_order_quantity: FloatArray,
    pack_size: FloatArray,
    settings: PolicySettings,
) -> FloatArray:
    """The lot a reorder-point policy orders: the EOQ capped at ``max_cover_days`` of demand
    (where set), or ``lot_cover_days`` of demand instead of the EOQ, rounded up to MOQ and
    pack size."""
    if settings.lot_cover_days is not None:
        wanted = np.asarray(mean_daily_demand, float) * settings.lot_cover_days
    else:
        wanted = capped_lot(eoq, mean_daily_demand, settings.max_cover_days)
    return round_order_quantity(wanted, minimum_order_quantity, pack_size)


def _column(value: FloatArray | None, default: float, size: int) -> FloatArray:
    if value is None:
        return np.full(size, default)
    return np.broadcast_to(np.asarray(value, dtype=float), (size,))


def calculate_policy(inputs: PolicyInputs, settings: PolicySettings) -> PolicyResult:
    """Safety stock, reorder point, order-up-to level, lot size, inventory position, days of cover,
    stockout risk, status, recommended order quantity and days until the latest order date.

    ``policy_kind="reorder_point"``: (R, s, S) with ``s = d·L + E[U] + SS`` where U is the
    undershoot of a check every R days (``safety_stock.review_undershoot``; 0 for continuous
    review), SS covers lead-time demand plus the undershoot spread, and
    ``S = s + order_quantity``.
    ``policy_kind="order_up_to"``: (R, S) with ``S = d·(L+R) + SS`` and SS over ``L + R``;
    the reorder point ``d·L + SS`` is reported for the status only.
    """
    demand = np.asarray(inputs.mean_daily_demand, dtype=float)
    size = demand.size
    sigma_d = _column(inputs.demand_std_daily, 0.0, size)
    lead_time = _column(inputs.lead_time_days, 0.0, size)
    lead_time_std = _column(inputs.lead_time_std_days, 0.0, size)
    unit_cost = _column(inputs.unit_cost, np.nan, size)
    moq = _column(inputs.minimum_order_quantity, 0.0, size)
    pack = _column(inputs.pack_size, 1.0, size)
    review = settings.review_period_days

    eoq = economic_order_quantity(
        demand, settings.ordering_cost, unit_cost, settings.holding_cost_rate
    )
    lot = policy_lot(eoq, demand, moq, pack, settings)
    up_to_policy = settings.policy_kind == "order_up_to"
    # Units consumed per replenishment cycle: what a fill-rate target is measured against.
    cycle_quantity = demand * review if up_to_policy else lot
    cycle_days = np.full(size, float(review)) if up_to_policy else _safe_divide(lot, demand)

    level = _column(inputs.service_level, 0.95, size).copy()
    if settings.service_level_allocation == "aggregate" and settings.service_level_kind == "cycle":
        group = level if inputs.service_level_group is None else inputs.service_level_group
        cycle = np.maximum(cycle_days, 1.0) if up_to_policy else cycle_days  # daily batches
        level = allocate_cycle_service_levels(level, unit_cost, cycle, group=group)
    fill_rate_kind = np.full(size, settings.service_level_kind == "fill_rate")
    if inputs.stockout_cost_per_unit is not None:
        optimal = cost_optimal_service_level(
            inputs.stockout_cost_per_unit, unit_cost * settings.holding_cost_rate, cycle_days
        )
        known = ~np.isnan(optimal)
        level = np.where(known, optimal, level)
        fill_rate_kind &= ~known  # the critical ratio is a cycle service level

    if inputs.error_observations is not None:
        # A spread estimated from few errors: its quantile is Student-t, wider (ADR 44).
        widen = small_sample_factor(level, _column(inputs.error_observations, np.nan, size))
        sigma_d = sigma_d * np.where(fill_rate_kind, 1.0, widen)

    if up_to_policy:
        mean_ltd, std_ltd = lead_time_demand(demand, sigma_d, lead_time, lead_time_std, review)
        undershoot_mean = np.zeros(size)
    else:
        mean_ltd, std_ltd = lead_time_demand(demand, sigma_d, lead_time, lead_time_std)
        undershoot_mean, undershoot_variance = review_undershoot(demand, sigma_d, review)
        mean_ltd = mean_ltd + undershoot_mean
        std_ltd = np.sqrt(std_ltd**2 + undershoot_variance)

    z = z_for_cycle_service_level(level)
    if fill_rate_kind.any():
        z = np.where(fill_rate_kind, z_for_fill_rate(level, cycle_quantity, std_ltd), z)
    safety = np.maximum(z * std_ltd, 0.0)
    method = np.zeros(size, dtype=np.int8)

    slow = mean_ltd < settings.slow_mover_lead_time_demand
    if inputs.intermittent is not None:
        slow |= np.asarray(inputs.intermittent, dtype=bool)
    slow &= ~np.isnan(mean_ltd)
    use_quantiles = np.zeros(size, dtype=bool)
    if inputs.lead_time_demand_quantiles is not None and inputs.quantile_levels is not None:
        # Forecast quantiles give a cycle service level directly; fill-rate items use the
        # discrete loss function instead.
        quantiles = np.asarray(inputs.lead_time_demand_quantiles, dtype=float)
        use_quantiles = slow & ~fill_rate_kind & ~np.isnan(quantiles).any(axis=1)
        if use_quantiles.any():
            safety[use_quantiles] = safety_stock_from_quantiles(
                level[use_quantiles],
                inputs.quantile_levels,
                quantiles[use_quantiles],
                # The quantiles describe demand over the interval itself, without undershoot.
                mean_ltd[use_quantiles] - undershoot_mean[use_quantiles],
            )
            method[use_quantiles] = SafetyStockMethod.QUANTILES
    use_discrete = slow & ~use_quantiles
    if use_discrete.any():
        safety[use_discrete] = _discrete_safety_stock(
            level[use_discrete],
            mean_ltd[use_discrete],
            std_ltd[use_discrete] ** 2,
            fill_rate_kind[use_discrete],
            cycle_quantity[use_discrete],
        )
        method[use_discrete] = SafetyStockMethod.DISCRETE

    if up_to_policy:
        up_to = order_up_to_level(demand, lead_time, review, safety)
        reorder_level = reorder_point(demand, lead_time, safety)
    else:
        reorder_level = mean_ltd + safety
        up_to = reorder_level + np.nan_to_num(lot)

    position = inventory_position(
        inputs.on_hand,
        _column(inputs.on_order_within_lead_time, 0.0, size),
        _column(inputs.reserved, 0.0, size),
    )
    risk = stockout_risk(position, demand, sigma_d, lead_time, lead_time_std, review, discrete=slow)
    status = stock_status(
        inventory_position=position,
        on_hand=inputs.on_hand,
        mean_daily_demand=demand,
        lead_time_days=lead_time,
        reorder_point=reorder_level,
        order_up_to_level=up_to,
        days_since_last_sale=inputs.days_since_last_sale,
        dead_stock_days=settings.dead_stock_days,
        overstock_tolerance=settings.overstock_tolerance,
    )
    return PolicyResult(
        safety_stock=safety,
        reorder_point=reorder_level,
        order_up_to_level=up_to,
        economic_order_quantity=eoq,
        order_quantity=lot,
        inventory_position=position,
        days_of_cover=days_of_cover(position, demand),
        stockout_risk=risk,
        status=status,
        recommended_order_quantity=recommended_order_quantity(
            status=status,
            inventory_position=position,
            order_up_to_level=up_to,
            minimum_order_quantity=moq,
            pack_size=pack,
        ),
        days_until_order=days_until_order(position, reorder_level, demand),
        service_level=level,
        method=method,
    )


def _safe_divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.inf)


def _discrete_safety_stock(
    level: FloatArray,
    mean: FloatArray,
    variance: FloatArray,
    fill_rate_kind: NDArray[np.bool_],
    cycle_quantity: FloatArray,
) -> FloatArray:
    reorder_level = np.empty_like(mean)
    for kind, rows in (("cycle", ~fill_rate_kind), ("fill_rate", fill_rate_kind)):
        if rows.any():
            reorder_level[rows] = reorder_level_discrete(
                level[rows],
                mean[rows],
                variance[rows],
                service_level_kind=kind,
                order_quantity=np.nan_to_num(cycle_quantity[rows]),
            )
    return np.maximum(reorder_level - mean, 0.0)
