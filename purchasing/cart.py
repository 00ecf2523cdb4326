"""Pure core of the purchase order builder (the cart): NumPy arrays in, NumPy arrays out, no Django.

One element per candidate line (product × location × supplier offer). The service around it loads
recommendations, supplier offers and exchange rates in bulk, calls :func:`build_cart` and renders
or writes the result.

Steps:

1. :func:`round_order_quantity` turns a recommended quantity into one the supplier accepts
   (at least the MOQ, whole packs).
2. :func:`shortage_cost_avoided` values each line: the margin on the sales the order saves over the
   lead time (normal loss function).
3. :func:`select_within_budget` keeps the lines with the most value per unit of money without
   going over the budget (greedy that skips lines that do not fit, with the knapsack ½ fix).
4. :func:`top_up_minimums` adds left-out lines to suppliers whose order is below their minimum
   order value.

Units: quantities in product units, demand in units/day, times in days, money in the tenant's
currency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inventory.policy.service_level import normal_loss

# Why a line is left out of the cart (``None`` for kept lines).
REASON_BUDGET = "budget"
REASON_NO_RATE = "no_rate"
REASON_NO_SUPPLIER = "no_supplier"
REASON_ZERO_QUANTITY = "zero_quantity"
REASONS = (REASON_BUDGET, REASON_NO_RATE, REASON_NO_SUPPLIER, REASON_ZERO_QUANTITY)

# Relative float noise tolerated when counting packs: 12.000000001 / 6 is 2 packs, not 3.
PACK_TOLERANCE = 1e-9
# Margin used where price − cost is not positive, as a fraction of the price: a line sold at a
# loss still has some value in avoiding a stockout, and never a negative one.
MARGIN_FLOOR_FRACTION = 0.01
# σ_L this small relative to demand, position and order counts as 0 (certain demand).
SIGMA_NEGLIGIBLE = 1e-9
# Passes of the vectorised "take the run that fits" loop before finishing line by line (keeps
# adversarial cost sequences linear instead of quadratic).
_VECTOR_PASSES = 32


def round_order_quantity(
    quantity: ArrayLike, moq: ArrayLike = 0.0, pack_size: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Round wanted quantities to what a supplier accepts (units, element-wise, broadcasts).

    The quantity is raised to the minimum order quantity ``moq`` and then rounded *up* to a whole
    number of packs. ``pack_size`` ≤ 0, 1 or NaN means no pack constraint (decimal quantities stay
    as they are); ``moq`` ≤ 0 or NaN means no minimum. Quantities ≤ 0 or NaN give 0 (nothing is
    ordered). Pack counts tolerate a relative float error of ``PACK_TOLERANCE``, so 12.000000001
    in packs of 6 is 12, not 18.
    """
    wanted = np.asarray(quantity, dtype=float)
    minimum = np.nan_to_num(np.asarray(moq, dtype=float), nan=0.0)
    pack = np.nan_to_num(np.asarray(pack_size, dtype=float), nan=0.0)
    lot = np.maximum(wanted, np.maximum(minimum, 0.0))
    has_pack = (pack > 0) & (pack != 1.0)
    safe_pack = np.where(has_pack, pack, 1.0)
    packs = lot / safe_pack
    packs = np.maximum(np.ceil(packs - PACK_TOLERANCE * np.maximum(packs, 1.0)), 1.0)
    rounded = np.where(has_pack, packs * safe_pack, lot)
    return np.where(wanted > 0, rounded, 0.0)


def unit_margin(
    selling_price: ArrayLike,
    unit_cost: ArrayLike,
    *,
    floor_fraction: float = MARGIN_FLOOR_FRACTION,
) -> NDArray[np.float64]:
    """Money earned per unit sold: ``selling_price − unit_cost``.

    Where that is ≤ 0 (or unknown) the margin is ``floor_fraction × selling_price`` instead
    (``floor_fraction × unit_cost`` when there is no selling price), so every line keeps a small
    positive value. Missing prices give 0.
    """
    price = np.asarray(selling_price, dtype=float)
    cost = np.asarray(unit_cost, dtype=float)
    margin = price - cost
    reference = np.where(np.isfinite(price) & (price > 0), price, cost)
    floor = np.nan_to_num(floor_fraction * np.maximum(reference, 0.0), nan=0.0)
    return np.where(np.isfinite(margin) & (margin > 0), margin, floor)


def expected_units_short_avoided(
    *,
    daily_demand_mean: ArrayLike,
    demand_std: ArrayLike,
    lead_time_days: ArrayLike,
    inventory_position: ArrayLike,
    stockout_risk: ArrayLike,
    order_quantity: ArrayLike,
    std_is_daily: bool = False,
) -> NDArray[np.float64]:
    """Expected units of demand over the lead time that an order of ``order_quantity`` saves.

    Lead-time demand ``D_L ~ N(μ_L, σ_L)`` with ``μ_L = daily_demand_mean × lead_time_days`` and
    ``σ_L = demand_std`` (or ``demand_std × √lead_time_days`` with ``std_is_daily``). Without the
    order the units short are ``(D_L − p)⁺`` for inventory position ``p``; the order covers at most
    ``Q`` of them, so the units saved are

        E[min((D_L − p)⁺, Q)] = σ_L · (G(z) − G(z + Q/σ_L)),   z = (p − μ_L) / σ_L,

    where ``G(z) = φ(z) − z(1 − Φ(z))`` is the standard normal loss function (Silver, Pyke &
    Peterson §7.7). This is the expected shortage ``σ_L·G(z)`` capped at ``Q`` inside the
    expectation (never more than ``min(σ_L·G(z), Q)``; equal to ``σ_L·G(z)`` when ``Q`` is large).

    Where ``σ_L`` is 0 (below ``SIGMA_NEGLIGIBLE`` of the quantities) or unknown, the metrics'
    ``stockout_risk`` (0–1) stands in: ``stockout_risk × min(Q, μ_L)``.
    Units; element-wise; NaN inputs give 0.
    """
    mean = np.asarray(daily_demand_mean, dtype=float)
    lead = np.maximum(np.asarray(lead_time_days, dtype=float), 0.0)
    sigma = np.asarray(demand_std, dtype=float)
    if std_is_daily:
        sigma = sigma * np.sqrt(lead)
    quantity = np.maximum(np.nan_to_num(np.asarray(order_quantity, dtype=float), nan=0.0), 0.0)
    position = np.asarray(inventory_position, dtype=float)
    risk = np.clip(np.nan_to_num(np.asarray(stockout_risk, dtype=float), nan=0.0), 0.0, 1.0)
    mean, sigma, quantity, position, risk = np.broadcast_arrays(
        mean * lead, sigma, quantity, position, risk
    )

    # σ_L below 1e-9 of the demand and position is treated as 0 (z would overflow). Not of the
    # order quantity: the threshold would then depend on Q, and a larger order could save less.
    scale = np.maximum.reduce([np.ones_like(mean), np.abs(mean), np.abs(position)])
    has_sigma = np.isfinite(sigma) & (sigma > SIGMA_NEGLIGIBLE * np.nan_to_num(scale, nan=1.0))
    safe_sigma = np.where(has_sigma, sigma, 1.0)
    z = (position - mean) / safe_sigma
    saved = safe_sigma * (normal_loss(z) - normal_loss(z + quantity / safe_sigma))
    # G is decreasing, so the difference is ≥ 0 up to rounding; it can never exceed Q.
    saved = np.clip(saved, 0.0, quantity)
    fallback = risk * np.minimum(quantity, np.maximum(mean, 0.0))
    units = np.where(has_sigma, saved, fallback)
    return np.nan_to_num(units, nan=0.0, posinf=0.0, neginf=0.0)


def shortage_cost_avoided(
    *,
    daily_demand_mean: ArrayLike,
    demand_std: ArrayLike,
    lead_time_days: ArrayLike,
    inventory_position: ArrayLike,
    stockout_risk: ArrayLike,
    order_quantity: ArrayLike,
    selling_price: ArrayLike,
    unit_cost: ArrayLike,
    std_is_daily: bool = False,
    floor_fraction: float = MARGIN_FLOOR_FRACTION,
) -> NDArray[np.float64]:
    """Value of ordering a line (money): :func:`expected_units_short_avoided` × :func:`unit_margin`.

    The margin lost on sales that would otherwise be short over the lead time; always ≥ 0.
    """
    units = expected_units_short_avoided(
        daily_demand_mean=daily_demand_mean,
        demand_std=demand_std,
        lead_time_days=lead_time_days,
        inventory_position=inventory_position,
        stockout_risk=stockout_risk,
        order_quantity=order_quantity,
        std_is_daily=std_is_daily,
    )
    return units * unit_margin(selling_price, unit_cost, floor_fraction=floor_fraction)


def _value_for_money_order(
    values: NDArray[np.float64], costs: NDArray[np.float64]
) -> NDArray[np.intp]:
    """Indices by value per unit of money (descending), ties by value (descending), then index."""
    with np.errstate(over="ignore"):  # a tiny cost gives an infinite ratio: first in line
        ratio = values / costs
    return np.lexsort((np.arange(values.size), -values, -ratio))


def _greedy_fill(ranked_costs: NDArray[np.float64], budget: float) -> NDArray[np.bool_]:
    """Greedy that skips and continues: walk the lines in rank order and take each one whose cost
    still fits. Returns the taken mask in rank order. Costs must be > 0.

    Vectorised: the longest run that fits is found with one cumsum; the line after it does not
    fit and is skipped; lines costing more than what is left can never fit again and are dropped
    before the next pass. After ``_VECTOR_PASSES`` passes the rest goes line by line.
    """
    taken = np.zeros(ranked_costs.size, dtype=bool)
    candidates = np.arange(ranked_costs.size)
    remaining = float(budget)
    for _ in range(_VECTOR_PASSES):
        candidates = candidates[ranked_costs[candidates] <= remaining]
        if candidates.size == 0:
            return taken
        cumulative = np.cumsum(ranked_costs[candidates])
        run = int(np.searchsorted(cumulative, remaining, side="right"))  # ≥ 1: the first fits
        taken[candidates[:run]] = True
        if run == candidates.size:
            return taken
        remaining -= float(cumulative[run - 1])
        candidates = candidates[run + 1 :]
    for position, cost in zip(candidates.tolist(), ranked_costs[candidates].tolist(), strict=True):
        if cost <= remaining:
            taken[position] = True
            remaining -= cost
    return taken


def _select_one_budget(
    values: NDArray[np.float64], costs: NDArray[np.float64], budget: float
) -> NDArray[np.bool_]:
    kept: NDArray[np.bool_] = costs == 0
    priced = np.flatnonzero(~kept)
    if priced.size == 0 or budget <= 0:
        return kept
    order = priced[_value_for_money_order(values[priced], costs[priced])]
    ranked_costs = costs[order]
    ranked_values = values[order]
    taken = _greedy_fill(ranked_costs, budget)

    # ½-approximation fix for 0/1 knapsack: if one line that fits alone is worth more than the
    # whole greedy pick, start from that line and fill what is left of the budget greedily.
    fits = ranked_costs <= budget
    if fits.any():
        best = int(np.argmax(np.where(fits, ranked_values, -np.inf)))  # first max: best rank
        if ranked_values[best] > ranked_values[taken].sum():
            rest = np.ones(order.size, dtype=bool)
            rest[best] = False
            alternative = np.zeros(order.size, dtype=bool)
            alternative[best] = True
            alternative[rest] = _greedy_fill(ranked_costs[rest], budget - ranked_costs[best])
            taken = alternative
    kept[order[taken]] = True
    return kept


def select_within_budget(
    values: ArrayLike,
    costs: ArrayLike,
    budget: float | ArrayLike | None,
    *,
    groups: ArrayLike | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    """Choose the lines to keep so that the cost of the kept lines never exceeds the budget.

    ``values`` (money, ≥ 0; NaN and negatives count as 0) is what each line is worth,
    ``costs`` (money, finite, ≥ 0) what it costs. Lines go in order of value per unit of money
    (ties: higher value, then lower index); a line that does not fit is skipped and cheaper lines
    further down are still considered. The result is then compared with the single most valuable
    line that fits on its own, topped up greedily (so the pick is worth at least half the optimum).
    After selection no left-out line fits in the budget that is left. Lines costing 0 are always
    kept; ``budget`` None (or +inf) keeps everything.

    ``groups`` (optional, int per line) gives each group its own budget: ``budget`` is then an
    array indexed by group (NaN or inf: no limit) or one number applied to every group.

    Returns ``(kept, reasons)``: a boolean mask and an object array with ``None`` for kept lines
    and ``"budget"`` for left-out ones.
    """
    value = np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0), 0.0, None)
    cost = np.asarray(costs, dtype=float)
    value, cost = np.broadcast_arrays(value, cost)
    if not np.all(np.isfinite(cost) & (cost >= 0)):
        raise ValueError("costs must be finite and ≥ 0")

    if budget is None:
        kept = np.ones(cost.size, dtype=bool)
    elif groups is None:
        limit = float(np.asarray(budget, dtype=float))
        if np.isnan(limit):
            raise ValueError("budget must be a number or None")
        kept = (
            np.ones(cost.size, dtype=bool)
            if np.isinf(limit)
            else (_select_one_budget(value, cost, limit))
        )
    else:
        group = np.asarray(groups, dtype=np.int64)
        kept = np.ones(cost.size, dtype=bool)
        limits = np.asarray(budget, dtype=float)
        for g in np.unique(group):
            limit = float(limits if limits.ndim == 0 else limits[g])
            if not np.isfinite(limit):
                continue
            members = np.flatnonzero(group == g)
            kept[members] = _select_one_budget(value[members], cost[members], limit)

    reasons = np.full(cost.size, None, dtype=object)
    reasons[~kept] = REASON_BUDGET
    return kept, reasons


def top_up_minimums(
    kept: ArrayLike,
    supplier_index: ArrayLike,
    costs: ArrayLike,
    values: ArrayLike,
    min_order_value: ArrayLike,
    candidates_mask: ArrayLike,
    *,
    budget: float | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Add left-out lines to suppliers whose kept order is below their minimum order value.

    Per line: ``kept`` (bool), ``supplier_index`` (int, −1 = none), ``costs`` (money),
    ``values`` (money) and ``candidates_mask`` (bool: the line may be ordered at all). Per supplier:
    ``min_order_value`` (money; ≤ 0 or NaN = no minimum).

    Only suppliers that already have a kept line are topped up (a supplier with nothing in the
    cart places no order). For each of them the left-out candidate lines are taken by value per
    money (as :func:`select_within_budget`) until the kept total reaches the minimum or the lines
    run out. With a ``budget`` (the whole cart's), each supplier's top-up is taken whole or not at
    all, and the top-ups are chosen with :func:`select_within_budget` against the budget left, so
    the cart stays within budget.

    Returns ``(kept, below_minimum)``: the new mask, and per supplier whether its kept total is
    still below its minimum (only suppliers with at least one kept line can be flagged).
    """
    kept = np.array(kept, dtype=bool)
    supplier = np.asarray(supplier_index, dtype=np.int64)
    cost = np.asarray(costs, dtype=float)
    value = np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0), 0.0, None)
    minimum = np.nan_to_num(np.asarray(min_order_value, dtype=float), nan=0.0)
    candidates = np.asarray(candidates_mask, dtype=bool) & (supplier >= 0) & np.isfinite(cost)
    suppliers = minimum.size
    if supplier.size and supplier.max() >= suppliers:
        raise ValueError("supplier_index beyond min_order_value")
    clipped = np.clip(supplier, 0, max(suppliers - 1, 0))

    def kept_totals(mask: NDArray[np.bool_]) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        on = mask & (supplier >= 0)
        total = np.bincount(supplier[on], weights=cost[on], minlength=suppliers)
        count = np.bincount(supplier[on], minlength=suppliers)
        return cast("NDArray[np.float64]", total), count  # weighted bincount sums floats

    def still_short(total: NDArray[np.float64], count: NDArray[np.intp]) -> NDArray[np.bool_]:
        short = (minimum > 0) & (count > 0) & (total < minimum * (1 - PACK_TOLERANCE))
        return cast("NDArray[np.bool_]", short)

    total, count = kept_totals(kept)
    short = still_short(total, count)
    pool = np.flatnonzero(candidates & ~kept & short[clipped])
    if pool.size:
        safe_cost = np.where(cost[pool] > 0, cost[pool], 1.0)
        with np.errstate(over="ignore"):
            ratio = np.where(cost[pool] > 0, value[pool] / safe_cost, np.inf)
        lines = pool[np.lexsort((pool, -value[pool], -ratio, supplier[pool]))]
        owner = supplier[lines]
        line_cost = cost[lines]
        # Running total per supplier before each line: cumsum minus the sum before its segment.
        cumulative = np.cumsum(line_cost)
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        segment = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, owner.size]))
        offset = np.r_[0.0, cumulative][starts][segment]
        before = cumulative - line_cost - offset
        shortfall = minimum - total
        adds = before < shortfall[owner] * (1 - PACK_TOLERANCE)
        if budget is not None:
            left = float(budget) - float(cost[kept].sum())
            added = owner[adds]
            package_cost = np.bincount(added, weights=line_cost[adds], minlength=suppliers)
            package_value = np.bincount(added, weights=value[lines][adds], minlength=suppliers)
            has_package = np.bincount(added, minlength=suppliers) > 0
            accepted = np.zeros(suppliers, dtype=bool)
            offered = np.flatnonzero(has_package)
            chosen, _ = select_within_budget(
                package_value[offered], package_cost[offered], max(left, 0.0)
            )
            accepted[offered[chosen]] = True
            adds &= accepted[owner]
        kept[lines[adds]] = True
        total, count = kept_totals(kept)
    return kept, still_short(total, count)


@dataclass(frozen=True)
class CartLines:
    """Candidate lines of a cart, one element per line (all arrays the same length).

    ``unit_price`` is the supplier's price converted to the tenant's currency (NaN: no exchange
    rate); ``supplier_index`` indexes the per-supplier arrays (−1: no supplier). ``selling_price``
    and ``unit_price`` give the margin; the demand fields feed :func:`shortage_cost_avoided`
    (``demand_std`` is over the lead time).
    """

    recommended_quantity: NDArray[np.float64]
    moq: NDArray[np.float64]
    pack_size: NDArray[np.float64]
    unit_price: NDArray[np.float64]
    supplier_index: NDArray[np.int64]
    selling_price: NDArray[np.float64]
    daily_demand_mean: NDArray[np.float64]
    demand_std: NDArray[np.float64]
    lead_time_days: NDArray[np.float64]
    inventory_position: NDArray[np.float64]
    stockout_risk: NDArray[np.float64]


@dataclass(frozen=True)
class Cart:
    """The cart built from :class:`CartLines`.

    Per line: ``quantity`` (units, rounded), ``value`` (``quantity × unit_price``, money; NaN
    without a rate), ``shortage_value`` (money the line saves, the ranking value), ``kept`` and
    ``reasons`` (``None`` if kept, else one of ``REASONS``). Totals: ``kept_value``,
    ``left_out_value`` (priced lines left out), ``kept_count``. Per supplier: ``supplier_value``,
    ``supplier_count`` (kept lines) and ``below_minimum``.
    """

    quantity: NDArray[np.float64]
    value: NDArray[np.float64]
    shortage_value: NDArray[np.float64]
    kept: NDArray[np.bool_]
    reasons: NDArray[np.object_]
    kept_value: float
    left_out_value: float
    kept_count: int
    supplier_value: NDArray[np.float64]
    supplier_count: NDArray[np.int64]
    below_minimum: NDArray[np.bool_]


def build_cart(
    lines: CartLines,
    *,
    budget: float | None = None,
    fill_minimums: bool = False,
    min_order_value: ArrayLike | None = None,
) -> Cart:
    """Round, value, select within the budget and (optionally) top up supplier minimums.

    A line is left out with reason ``no_supplier`` (supplier −1), else ``no_rate`` (price NaN),
    else ``zero_quantity`` (rounded quantity 0), else ``budget``. ``min_order_value`` is per
    supplier (money; its length sets the number of suppliers; default: no minimums).

    ``fill_minimums`` runs :func:`top_up_minimums` against the same budget. Note: the selection
    leaves less budget than any left-out line costs, and without a budget every line is kept, so
    this rarely adds a line; the cart service tops suppliers up with products that are not in
    the cart yet instead (:func:`top_up_candidates`).
    """
    supplier = np.asarray(lines.supplier_index, dtype=np.int64)
    price = np.asarray(lines.unit_price, dtype=float)
    if min_order_value is None:
        minimum = np.zeros(int(supplier.max(initial=-1)) + 1)
    else:
        minimum = np.asarray(min_order_value, dtype=float)
    suppliers = minimum.size
    if supplier.size and supplier.max() >= suppliers:
        raise ValueError("supplier_index beyond min_order_value")

    quantity = round_order_quantity(lines.recommended_quantity, lines.moq, lines.pack_size)
    value = quantity * price
    shortage_value = shortage_cost_avoided(
        daily_demand_mean=lines.daily_demand_mean,
        demand_std=lines.demand_std,
        lead_time_days=lines.lead_time_days,
        inventory_position=lines.inventory_position,
        stockout_risk=lines.stockout_risk,
        order_quantity=quantity,
        selling_price=lines.selling_price,
        unit_cost=price,
    )

    no_supplier = supplier < 0
    no_rate = ~no_supplier & ~np.isfinite(price)
    zero_quantity = ~no_supplier & ~no_rate & (quantity <= 0)
    eligible = ~(no_supplier | no_rate | zero_quantity)

    kept = np.zeros(supplier.size, dtype=bool)
    cost = np.where(eligible, value, 0.0)
    chosen, _ = select_within_budget(shortage_value[eligible], cost[eligible], budget)
    kept[np.flatnonzero(eligible)[chosen]] = True
    if fill_minimums:
        kept, _ = top_up_minimums(
            kept, supplier, cost, shortage_value, minimum, eligible, budget=budget
        )

    reasons = np.full(supplier.size, None, dtype=object)
    reasons[eligible & ~kept] = REASON_BUDGET
    reasons[zero_quantity] = REASON_ZERO_QUANTITY
    reasons[no_rate] = REASON_NO_RATE
    reasons[no_supplier] = REASON_NO_SUPPLIER

    on = kept & (supplier >= 0)
    supplier_value = np.bincount(supplier[on], weights=value[on], minlength=suppliers)
    supplier_count = np.bincount(supplier[on], minlength=suppliers)
    below_minimum = (
        (minimum > 0) & (supplier_count > 0) & (supplier_value < minimum * (1 - PACK_TOLERANCE))
    )
    return Cart(
        quantity=quantity,
        value=value,
        shortage_value=shortage_value,
        kept=kept,
        reasons=reasons,
        kept_value=float(value[kept].sum()),
        left_out_value=float(value[eligible & ~kept].sum()),
        kept_count=int(kept.sum()),
        supplier_value=cast("NDArray[np.float64]", supplier_value),  # weighted: floats
        supplier_count=supplier_count,
        below_minimum=below_minimum,
    )


def top_up_candidates(
    supplier_total: ArrayLike,
    min_order_value: ArrayLike,
    candidate_supplier: ArrayLike,
    candidate_cost: ArrayLike,
    candidate_urgency: ArrayLike,
    *,
    budget_left: float | None = None,
) -> NDArray[np.bool_]:
    """Pick new lines (products not in the cart yet) for suppliers below their minimum.

    Per supplier: ``supplier_total`` (money kept in the cart) and ``min_order_value`` (money;
    ≤ 0 or NaN = no minimum). Per candidate: ``candidate_supplier`` (index into the per-supplier
    arrays), ``candidate_cost`` (money; NaN = cannot be priced) and ``candidate_urgency`` (days
    of cover: lower first, NaN last). For each supplier below its minimum the candidates are
    taken most urgent first until its total reaches the minimum or they run out. With
    ``budget_left`` (money the cart may still spend), a candidate that does not fit in what is
    left is skipped, so the cart never goes over the budget. Returns the taken mask.
    """
    total = np.array(supplier_total, dtype=float)
    minimum = np.nan_to_num(np.asarray(min_order_value, dtype=float), nan=0.0)
    owner = np.asarray(candidate_supplier, dtype=np.int64)
    cost = np.asarray(candidate_cost, dtype=float)
    urgency = np.asarray(candidate_urgency, dtype=float)
    taken = np.zeros(owner.size, dtype=bool)
    left = math.inf if budget_left is None else float(budget_left)
    sort_urgency = np.where(np.isfinite(urgency), urgency, np.inf)
    for i in np.lexsort((np.arange(owner.size), sort_urgency, owner)).tolist():
        s = int(owner[i])
        if s < 0 or minimum[s] <= 0 or total[s] >= minimum[s] * (1 - PACK_TOLERANCE):
            continue
        if not np.isfinite(cost[i]) or cost[i] <= 0 or cost[i] > left:
            continue
        taken[i] = True
        total[s] += cost[i]
        left -= float(cost[i])
    return taken
