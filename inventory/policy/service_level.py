"""Service-level targets turned into a safety factor ``z`` (pure NumPy, no Django).

Two definitions planners use:

* **Cycle service level** (CSL, "type 1", α): probability of no stockout during a replenishment
  cycle. With normal lead-time demand ``z = Φ⁻¹(α)``.
* **Fill rate** (β, "type 2"): share of demand met straight from the shelf. With normal
  lead-time demand and backorders the expected units short per replenishment cycle are
  ``σ_LT · G(z)``, where ``G`` is the standard normal loss function, so
  ``β = 1 − σ_LT · G(z) / Q`` (Silver, Pyke & Peterson, *Inventory Management and Production
  Planning and Scheduling*, 3rd ed., §7.7; Axsäter, *Inventory Control*, 3rd ed., §5.3.3).

When a stockout cost is known the cost-optimal cycle service level is the newsvendor critical
ratio ``Cu / (Cu + Co)``.

All functions take scalars or arrays (one element per product × location) and broadcast.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Beyond |z| = 8 the normal tail is below 1e-15: further precision means nothing to a planner
# and the loss function underflows, so z is kept inside this band.
Z_LIMIT = 8.0
_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


def z_for_cycle_service_level(service_level: ArrayLike) -> NDArray[np.float64]:
    """Safety factor for a cycle service level: ``z = Φ⁻¹(service_level)``.

    ``service_level`` is a probability in [0, 1]; 0 and 1 map to ∓``Z_LIMIT``.
    """
    from scipy import special  # on use: at module level it slowed every start (ADR 27)

    level = np.asarray(service_level, dtype=float)
    return cast("NDArray[np.float64]", np.clip(special.ndtri(level), -Z_LIMIT, Z_LIMIT))


def normal_loss(z: ArrayLike) -> NDArray[np.float64]:
    """Standard normal loss function ``G(z) = E[(X − z)⁺] = φ(z) − z·(1 − Φ(z))``, X ~ N(0, 1).

    Unitless; multiply by σ of lead-time demand to get expected units short per cycle.
    """
    from scipy import special  # on use: at module level it slowed every start (ADR 27)

    z = np.asarray(z, dtype=float)
    return cast("NDArray[np.float64]", np.exp(-0.5 * z * z) / _SQRT_2PI - z * special.ndtr(-z))


def z_for_fill_rate(
    fill_rate: ArrayLike,
    order_quantity: ArrayLike,
    lead_time_demand_std: ArrayLike,
) -> NDArray[np.float64]:
    """Safety factor that meets a fill-rate target under normal lead-time demand (backorders).

    Solves ``G(z) = (1 − fill_rate) · order_quantity / lead_time_demand_std`` for ``z``
    (Silver, Pyke & Peterson §7.7.3). ``order_quantity`` is the units per replenishment cycle
    (EOQ for continuous review, demand per review period for periodic review);
    ``lead_time_demand_std`` is σ of demand over the protection interval, in units.

    Where σ is 0 demand is certain, no safety factor is needed and 0 is returned.
    """
    from scipy import special  # on use: at module level it slowed every start (ADR 27)

    fill_rate, order_quantity, sigma = np.broadcast_arrays(
        np.asarray(fill_rate, dtype=float),
        np.asarray(order_quantity, dtype=float),
        np.asarray(lead_time_demand_std, dtype=float),
    )
    certain = sigma <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        target_loss = (1.0 - fill_rate) * order_quantity / np.where(certain, 1.0, sigma)
    g_high, g_low = normal_loss(-Z_LIMIT), normal_loss(Z_LIMIT)
    target_loss = np.clip(target_loss, g_low, g_high)

    # Newton on log G: G is log-concave (it integrates the log-concave normal tail), so starting
    # right of the root the iterates move left monotonically and never overshoot.
    log_target = np.log(target_loss)
    z = np.full(target_loss.shape, Z_LIMIT)
    for _ in range(100):
        loss = normal_loss(z)
        tail = special.ndtr(-z)
        step = (log_target - np.log(loss)) * loss / tail
        z = np.maximum(z - step, -Z_LIMIT)
        if not np.any(np.abs(step) > 1e-10):
            break
    z = np.where(certain, 0.0, z)
    return np.where(np.isnan(fill_rate) | np.isnan(order_quantity), np.nan, z)


def fill_rate_for_z(
    z: ArrayLike, order_quantity: ArrayLike, lead_time_demand_std: ArrayLike
) -> NDArray[np.float64]:
    """Fill rate reached with safety factor ``z``: ``1 − σ_LT · G(z) / Q`` (clipped to [0, 1])."""
    order_quantity = np.asarray(order_quantity, dtype=float)
    shortage = np.asarray(lead_time_demand_std, dtype=float) * normal_loss(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill_rate = 1.0 - shortage / order_quantity
    fill_rate = np.where(shortage == 0, 1.0, fill_rate)
    return np.clip(fill_rate, 0.0, 1.0)


def cost_optimal_service_level(
    stockout_cost_per_unit: ArrayLike,
    holding_cost_per_unit_year: ArrayLike,
    period_days: ArrayLike,
) -> NDArray[np.float64]:
    """Cost-optimal cycle service level, the newsvendor critical ratio ``Cu / (Cu + Co)``.

    * ``Cu`` = ``stockout_cost_per_unit`` (money per unit short: lost margin plus goodwill);
    * ``Co`` = ``holding_cost_per_unit_year · period_days / 365``: the cost of carrying one
      extra unit for the period it protects; the review period for periodic review, the order
      cycle ``Q / d`` for continuous review (then the ratio matches Hadley & Whitin's
      ``1 − h·Q / (p·D)`` to first order).

    Items without a stockout cost (NaN) get NaN so the caller falls back to its target.
    """
    underage = np.asarray(stockout_cost_per_unit, dtype=float)
    overage = np.asarray(holding_cost_per_unit_year, dtype=float) * (
        np.asarray(period_days, dtype=float) / 365.0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = underage / (underage + overage)
    # No cost either way: nothing to trade off, so neither extreme; 0.5 is the median.
    ratio = np.where((underage == 0) & (overage == 0), 0.5, ratio)
    return np.clip(ratio, 0.0, 1.0)


# No item below this cycle service level under the aggregate allocation (ADR 17): a planner
# does not accept a coin-flip chance of running out every cycle, and the model's low levels
# are its least reliable (whole-unit reorder levels and the review undershoot protect them
# more than it says: items allocated 0.5 reached 0.67 in the demo replay).
ALLOCATION_FLOOR = 0.7


def allocate_cycle_service_levels(
    target: ArrayLike,
    unit_cost: ArrayLike,
    cycle_days: ArrayLike,
    *,
    floor: float = ALLOCATION_FLOOR,
    ceiling: float = 0.999,
    iterations: int = 32,
    group: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Per-item cycle service levels that meet the targets *on average over all items'
    cycles* and spend the stock where it serves the most units.

    Arrays are (items,) or (items, K): K separate allocations, one per column (e.g. one per
    re-fit). With one penalty ``b`` per unit short for every item, the cost-optimal level is
    Hadley & Whitin's ``α_i = 1 − h_i·T_i / b`` (``cost_optimal_service_level``; ``h_i`` ∝ unit
    cost, ``T_i`` the order cycle in days): the levels that minimise the value of safety stock
    for a given number of units short, i.e. the most fill rate per unit of inventory value.
    Cheap items ordered often get a high level; expensive ones ordered rarely a low one.
    The penalty is found per column by bisection on its logarithm so that the expected
    stockout cycles ``Σ n_i (1 − α_i)`` (``n_i = 1 / T_i`` cycles a day) equal the targets'
    ``Σ n_i (1 − target_i)``; levels are kept in ``[floor, ceiling]`` (the ceiling raised to
    the highest target and the floor lowered to the lowest, so every target stays
    reachable). Items without a usable cost or cycle keep their target.

    ``group`` (items,): separate allocations per group (say the ABC class), so that each
    group's target holds on average over its own cycles.
    """
    if group is not None:
        labels = np.asarray(group)
        shaped = [np.asarray(a, dtype=float) for a in (target, unit_cost, cycle_days)]
        level, cost, cycle = np.broadcast_arrays(*shaped)
        result = np.array(level, dtype=float)
        for label in np.unique(labels):
            rows = labels == label
            result[rows] = allocate_cycle_service_levels(
                level[rows],
                cost[rows],
                cycle[rows],
                floor=floor,
                ceiling=ceiling,
                iterations=iterations,
            )
        return result
    level, cost, cycle = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (target, unit_cost, cycle_days))
    )
    flat = level.ndim == 1
    if flat:
        level, cost, cycle = (a[:, None] for a in (level, cost, cycle))
    if level.size:
        ceiling = max(ceiling, float(np.nanmax(level)))
        floor = min(floor, float(np.nanmin(level)))
    with np.errstate(divide="ignore", invalid="ignore"):
        cycles_per_day = 1.0 / cycle
        log_weight = np.log(cost * cycle)  # log(h·T) up to the holding rate, absorbed in b
    usable = np.isfinite(log_weight) & np.isfinite(cycles_per_day) & (cycles_per_day > 0)
    count = np.where(usable, cycles_per_day, 0.0)
    wanted_misses = (count * (1.0 - level)).sum(axis=0)  # (K,)
    log_weight = np.where(usable, log_weight, 0.0)

    def levels_at(log_penalty: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip(1.0 - np.exp(log_weight - log_penalty[None, :]), floor, ceiling)

    # Between these bounds every usable level goes from the floor to the ceiling.
    low = np.where(usable, log_weight, np.inf).min(axis=0) + np.log(1.0 / (1.0 - floor))
    high = np.where(usable, log_weight, -np.inf).max(axis=0) + np.log(1.0 / (1.0 - ceiling))
    low = np.where(np.isfinite(low), low, 0.0)
    high = np.where(np.isfinite(high), np.maximum(high, low), 1.0)
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        too_many = (count * (1.0 - levels_at(middle))).sum(axis=0) > wanted_misses
        low = np.where(too_many, middle, low)  # a larger penalty raises every level
        high = np.where(too_many, high, middle)
    allocated = np.where(usable, levels_at(high), level)
    return allocated[:, 0] if flat else allocated
