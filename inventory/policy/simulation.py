"""The replay: run an inventory policy day by day over real demand history.

"If we had run this system 12 months ago, would it have cut stockouts and inventory value?"
``simulate`` replays one policy for all items at once (arrays over items, a loop over days);
``rolling_demand_estimates`` + ``policy_from_estimates`` / ``days_of_cover_policy`` build the
proposed policy and the velocity baseline from only what was known on each day; and
``compare_policies`` runs both and reports what the proposed policy would have saved.

One simulated day, in order:

1. review (every ``review_period_days`` days): with inventory position
   ``IP = on hand + on order − backorders`` at or below the reorder point ``s``, order up to
   ``S`` (an (s, S) policy) or, given an order quantity ``Q``, the fewest whole ``Q`` that lift IP
   above ``s`` (an (s, nQ) policy); rounded up to MOQ and pack size;
2. receive everything due today, an order placed today with lead time 0 included;
3. serve backorders first (backorder mode), then today's demand from the shelf; what cannot be
   served is lost (default) or backordered.

Units: demand and stock in product units, lead times in whole days, costs in money.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, cast, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forecasting.engine.backtest import COMBO, LAUNCH, LAUNCH_MEMBERS, run_test_bed
from forecasting.engine.classification import classify
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import FAST_METHODS, method_named
from inventory.policy.calculate import (
    SERVICE_LEVEL_ALLOCATIONS,
    PolicyInputs,
    PolicySettings,
    calculate_policy,
)
from inventory.policy.launch import (
    LAUNCH_WINDOW_DAYS,
    in_launch_phase,
    launch_adjusted_mean,
    launch_level,
)
from inventory.policy.levels import DAYS_PER_YEAR, round_order_quantity
from inventory.policy.spread import pooled_error_spread

FloatArray = NDArray[np.float64]


@dataclass
class ReplenishmentPolicy:
    """Policy parameters per item, optionally changing over time.

    ``reorder_point`` and ``order_up_to_level`` / ``order_quantity`` are (items,) or
    (items, K) with column k in force from day ``change_days[k]`` (K increasing days, the first
    0) until the next change: a policy re-fitted on a schedule. Give exactly one of
    ``order_up_to_level`` and ``order_quantity``.
    """

    reorder_point: FloatArray
    order_up_to_level: FloatArray | None = None
    order_quantity: FloatArray | None = None
    change_days: NDArray[np.int64] | None = None
    review_period_days: int = 1
    minimum_order_quantity: FloatArray | float = 0.0
    pack_size: FloatArray | float = 1.0
    # (items, K) the service level each column was computed at (after any allocation)
    service_level: FloatArray | None = None

    def __post_init__(self) -> None:
        if (self.order_up_to_level is None) == (self.order_quantity is None):
            raise ValueError("give exactly one of order_up_to_level and order_quantity")
        if self.review_period_days < 1:
            raise ValueError("review_period_days must be a whole number of days ≥ 1")

    def schedule(self, items: int, days: int) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
        """(K, items) reorder points, (K, items) order-up-to levels or quantities, and the
        column in force on each day (days,)."""
        target = self.order_up_to_level if self.order_quantity is None else self.order_quantity
        reorder = np.asarray(self.reorder_point, dtype=float).reshape(items, -1)
        target = np.asarray(target, dtype=float).reshape(items, -1)
        columns = reorder.shape[1]
        if target.shape[1] != columns:
            raise ValueError("policy arrays must have the same number of columns")
        change_days = np.arange(1) if self.change_days is None else np.asarray(self.change_days)
        if change_days.size != columns or change_days[0] != 0 or np.any(np.diff(change_days) <= 0):
            raise ValueError("change_days must be increasing, start at 0, one per column")
        column_of_day = np.searchsorted(change_days, np.arange(days), side="right") - 1
        return np.ascontiguousarray(reorder.T), np.ascontiguousarray(target.T), column_of_day


@dataclass(frozen=True)
class SimulationCosts:
    """Money per unit: ``unit_cost`` (items,) values stock; holding costs ``holding_cost_rate``
    of it per year; ``ordering_cost`` per order placed; ``stockout_cost_per_unit`` per unit lost
    (lost sales) or backordered."""

    unit_cost: FloatArray | float = 1.0
    holding_cost_rate: float = 0.25
    ordering_cost: float = 50.0
    stockout_cost_per_unit: FloatArray | float = 0.0


@dataclass
class SimulationResult:
    """Per-item totals over the replay (arrays of shape (items,)) and daily totals (days,)."""

    demand_units: FloatArray
    filled_units: FloatArray  # served from the shelf on the day of demand
    shipped_units: FloatArray  # filled_units plus backorders served later
    short_units: FloatArray  # demand not served on its day (lost or backordered)
    stockout_days: NDArray[np.int64]
    # Replenishment cycles: each ends with a receipt; the open one only when it ran out.
    cycles: NDArray[np.int64]
    stockout_cycles: NDArray[np.int64]
    orders_placed: NDArray[np.int64]
    ordered_units: FloatArray
    received_units: FloatArray
    starting_stock: FloatArray
    ending_stock: FloatArray
    ending_on_order: FloatArray
    ending_backorders: FloatArray
    average_on_hand: FloatArray
    holding_cost: FloatArray
    ordering_cost: FloatArray
    stockout_cost: FloatArray
    unit_cost: FloatArray
    daily_inventory_value: FloatArray
    daily_short_units: FloatArray
    days: int
    daily_stockouts: NDArray[np.int64] | None = None  # items short on each day (days,)
    # (items, days) units ordered on each day; only with ``simulate(record_orders=True)``
    orders_by_day: FloatArray | None = None

    @property
    def fill_rate(self) -> FloatArray:
        """Share of each item's demand served from the shelf (NaN without demand)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.demand_units > 0, self.filled_units / self.demand_units, np.nan)

    @property
    def cycle_service_level(self) -> FloatArray:
        """Share of each item's replenishment cycles without a stockout day (1 for an item
        that finished no cycle and never ran out)."""
        return 1.0 - self.stockout_cycles / np.maximum(self.cycles, 1)

    def per_item(self) -> dict[str, np.ndarray]:
        """Per-item columns for the CSV export of the replay table."""
        columns = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name
            not in (
                "daily_inventory_value",
                "daily_short_units",
                "days",
                "daily_stockouts",
                "orders_by_day",
            )
        }
        columns["fill_rate"] = self.fill_rate
        columns["cycle_service_level"] = self.cycle_service_level
        return columns

    def summary(self, mask: ArrayLike | None = None) -> dict[str, float]:
        """Totals over all items, or over ``mask`` (bool (items,), e.g. one ABC class)."""
        pick = np.ones(self.demand_units.size, bool) if mask is None else np.asarray(mask, bool)
        demand = float(self.demand_units[pick].sum())
        inventory_value = float((self.average_on_hand * self.unit_cost)[pick].sum())
        cost_of_goods = float((self.shipped_units * self.unit_cost)[pick].sum())
        holding = float(self.holding_cost[pick].sum())
        ordering = float(self.ordering_cost[pick].sum())
        stockout = float(self.stockout_cost[pick].sum())
        return {
            "items": int(pick.sum()),
            "days": self.days,
            "demand_units": demand,
            "fill_rate": float(self.filled_units[pick].sum()) / demand if demand else 1.0,
            "cycle_service_level": 1.0
            - float(self.stockout_cycles[pick].sum()) / max(int(self.cycles[pick].sum()), 1),
            "stockout_days": int(self.stockout_days[pick].sum()),
            "stockout_item_day_share": float(self.stockout_days[pick].sum())
            / max(int(pick.sum()) * self.days, 1),
            "stockout_units": float(self.short_units[pick].sum()),
            "average_inventory_units": float(self.average_on_hand[pick].sum()),
            "average_inventory_value": inventory_value,
            "inventory_turns": cost_of_goods * (DAYS_PER_YEAR / self.days) / inventory_value
            if inventory_value
            else float("inf"),
            "orders_placed": int(self.orders_placed[pick].sum()),
            "holding_cost": holding,
            "ordering_cost": ordering,
            "stockout_cost": stockout,
            "total_cost": holding + ordering + stockout,
        }


def simulate(
    demand: ArrayLike,
    policy: ReplenishmentPolicy,
    lead_time_days: ArrayLike,
    starting_stock: ArrayLike,
    *,
    costs: SimulationCosts | None = None,
    backorders: bool = False,
    on_order: ArrayLike | None = None,
    record_orders: bool = False,
    launch_day: ArrayLike | None = None,
) -> SimulationResult:
    """Replay ``policy`` over ``demand`` (items, days; NaN = no demand recorded).

    ``lead_time_days``: whole days, (items,) fixed or (items, days) for the lead time of an
    order placed on each day (e.g. sampled from the supplier's learned distribution).
    ``starting_stock`` (items,) on hand on day 0; ``on_order`` optional (items, max lead time)
    quantities already on order, column j arriving on day j.
    Lost sales by default; ``backorders=True`` keeps unmet demand to serve from later receipts.
    ``record_orders`` keeps every day's order quantities (``orders_by_day``), e.g. to check
    that no decision depends on later demand.
    ``launch_day`` (items,): the day of each item's first sale ever when it falls inside the
    replay (< 0: it sold before). A launched item's cycles are counted from its first receipt
    on or after that day: no policy stocks an item it has never seen sell, so the stretch from
    the first sale to the first delivery is no replenishment cycle (its lost sales still count
    in the fill rate and stockout days). Every later cycle counts as any other (ADR 44).
    """
    costs = costs or SimulationCosts()
    demand_by_day = np.ascontiguousarray(np.nan_to_num(np.asarray(demand, dtype=float).T))
    if (demand_by_day < 0).any():
        raise ValueError("demand must not be negative")
    state = _ReplayState.begin(
        demand_by_day, policy, lead_time_days, starting_stock, costs, on_order, record_orders
    )
    if launch_day is not None:
        launch = np.broadcast_to(np.asarray(launch_day, dtype=np.int64), (state.on_hand.size,))
        state.launch_day = launch.copy()
        state.counting = launch < 0
    for day in range(state.days):
        if day % policy.review_period_days == 0:
            state.review(day)
        state.receive(day)
        state.serve(day, backorders=backorders)
    return state.result(costs)


@dataclass
class _ReplayState:
    """What ``simulate`` carries from day to day: the policy's schedule, the stock on hand, in
    transit (a ring buffer of (slots, items): slot (t + L) % slots arrives on day t + L) and
    backordered, and the running totals of the result. Arrays over items."""

    demand_by_day: FloatArray  # (days, items)
    reorder_by_column: FloatArray
    target_by_column: FloatArray
    column_of_day: NDArray[np.intp]
    order_up_to: bool
    lead_time_by_day: NDArray[np.intp]  # (days, items)
    moq: FloatArray
    pack: FloatArray
    unit_cost: FloatArray
    pipeline: FloatArray
    on_hand: FloatArray
    start: FloatArray
    in_transit: FloatArray
    backlog: FloatArray
    filled: FloatArray
    shipped: FloatArray
    short_total: FloatArray
    received: FloatArray
    ordered: FloatArray
    on_hand_sum: FloatArray
    stockout_days: NDArray[np.int64]
    orders: NDArray[np.int64]
    cycles: NDArray[np.int64]
    stockout_cycles: NDArray[np.int64]
    cycle_had_stockout: NDArray[np.bool_]
    daily_value: FloatArray
    daily_short: FloatArray
    daily_stockouts: NDArray[np.int64]
    order_log: FloatArray | None
    # Launched items: cycles count from the first receipt on or after ``launch_day``.
    counting: NDArray[np.bool_] | None = None
    launch_day: NDArray[np.int64] | None = None

    @property
    def days(self) -> int:
        return int(self.demand_by_day.shape[0])

    @property
    def slots(self) -> int:
        return int(self.pipeline.shape[0])

    @classmethod
    def begin(
        cls,
        demand_by_day: FloatArray,
        policy: ReplenishmentPolicy,
        lead_time_days: ArrayLike,
        starting_stock: ArrayLike,
        costs: SimulationCosts,
        on_order: ArrayLike | None,
        record_orders: bool,
    ) -> _ReplayState:
        days, items = demand_by_day.shape
        reorder_by_column, target_by_column, column_of_day = policy.schedule(items, days)
        lead_time = np.asarray(lead_time_days)
        if lead_time.ndim == 2:
            lead_time_by_day = np.ascontiguousarray(lead_time.T.astype(np.intp))
        else:
            lead_time_by_day = np.broadcast_to(lead_time.astype(np.intp), (days, items))
        if (lead_time_by_day < 0).any():
            raise ValueError("lead times must be ≥ 0 days")
        slots = int(lead_time_by_day.max(initial=0)) + 1
        open_orders = None
        if on_order is not None:
            open_orders = np.asarray(on_order, dtype=float).reshape(items, -1)
            slots = max(slots, open_orders.shape[1])
        pipeline = np.zeros((slots, items))
        if open_orders is not None:
            pipeline[: open_orders.shape[1]] = open_orders.T
        on_hand = np.asarray(starting_stock, dtype=float).copy()
        if (on_hand < 0).any():
            raise ValueError("starting stock must not be negative (pass backorders as demand)")

        def zeros() -> FloatArray:
            return np.zeros(items)

        def counts() -> NDArray[np.int64]:
            return np.zeros(items, np.int64)

        return cls(
            demand_by_day=demand_by_day,
            reorder_by_column=reorder_by_column,
            target_by_column=target_by_column,
            column_of_day=column_of_day,
            order_up_to=policy.order_quantity is None,
            lead_time_by_day=lead_time_by_day,
            moq=np.broadcast_to(np.asarray(policy.minimum_order_quantity, float), (items,)),
            pack=np.broadcast_to(np.asarray(policy.pack_size, float), (items,)),
            unit_cost=np.broadcast_to(np.asarray(costs.unit_cost, float), (items,)).copy(),
            pipeline=pipeline,
            on_hand=on_hand,
            start=on_hand.copy(),
            in_transit=pipeline.sum(axis=0),
            backlog=zeros(),
            filled=zeros(),
            shipped=zeros(),
            short_total=zeros(),
            received=zeros(),
            ordered=zeros(),
            on_hand_sum=zeros(),
            stockout_days=counts(),
            orders=counts(),
            cycles=counts(),
            stockout_cycles=counts(),
            cycle_had_stockout=np.zeros(items, bool),
            daily_value=np.zeros(days),
            daily_short=np.zeros(days),
            daily_stockouts=np.zeros(days, np.int64),
            order_log=np.zeros((days, items)) if record_orders else None,
        )

    def review(self, day: int) -> None:
        """Step 1: order where the position is at or below the reorder point: up to ``S``, or
        the fewest whole ``Q`` that lift it above ``s``; rounded up to MOQ and pack size."""
        column = self.column_of_day[day]
        reorder_level = self.reorder_by_column[column]
        target = self.target_by_column[column]
        position = self.on_hand + self.in_transit - self.backlog
        if self.order_up_to:
            wanted = target - position
        else:
            batches = np.floor((reorder_level - position) / np.where(target > 0, target, 1.0))
            wanted = np.where(target > 0, (batches + 1.0) * target, 0.0)
        wanted = np.where(position <= reorder_level, np.maximum(wanted, 0.0), 0.0)
        quantity = round_order_quantity(wanted, self.moq, self.pack)
        placing = np.flatnonzero(quantity > 0)
        if placing.size == 0:
            return
        arrival_slot = (day + self.lead_time_by_day[day, placing]) % self.slots
        self.pipeline[arrival_slot, placing] += quantity[placing]
        self.in_transit[placing] += quantity[placing]
        self.ordered[placing] += quantity[placing]
        self.orders[placing] += 1
        if self.order_log is not None:
            self.order_log[day, placing] = quantity[placing]

    def receive(self, day: int) -> None:
        """Step 2: receive what is due today; a receipt ends the cycle that waited for it."""
        slot = day % self.slots
        arriving = self.pipeline[slot].copy()
        self.pipeline[slot] = 0.0
        self.on_hand += arriving
        self.in_transit -= arriving
        self.received += arriving
        arrived = arriving > 0
        if self.counting is not None and self.launch_day is not None:
            # A launched item's first receipt since its first sale starts its first cycle.
            starting = arrived & ~self.counting & (day >= self.launch_day)
            self.counting |= starting
            arrived &= self.counting & ~starting
            self.cycle_had_stockout &= self.counting
        self.cycles += arrived
        self.stockout_cycles += arrived & self.cycle_had_stockout
        self.cycle_had_stockout &= ~arrived

    def serve(self, day: int, *, backorders: bool) -> None:
        """Step 3: serve backorders first (backorder mode), then today's demand; the rest is
        lost or backordered. Records the day's stock value, shortage and stockouts."""
        if backorders:
            late = np.minimum(self.backlog, self.on_hand)
            self.on_hand -= late
            self.backlog -= late
            self.shipped += late
        wanted_today = self.demand_by_day[day]
        served = np.minimum(wanted_today, self.on_hand)
        self.on_hand -= served
        short = wanted_today - served
        self.filled += served
        self.shipped += served
        self.short_total += short
        if backorders:
            self.backlog += short
        stocked_out = short > 0
        self.stockout_days += stocked_out
        self.cycle_had_stockout |= (
            stocked_out if self.counting is None else stocked_out & self.counting
        )
        self.on_hand_sum += self.on_hand
        self.daily_value[day] = self.on_hand @ self.unit_cost
        self.daily_short[day] = short.sum()
        self.daily_stockouts[day] = np.count_nonzero(stocked_out)

    def result(self, costs: SimulationCosts) -> SimulationResult:
        # The cycle still open at the end is unfinished: it counts only when it already had a
        # stockout (a failure is certain), else its outcome is unknown. Counting it as a
        # success biased the level up by up to 1/(cycles + 1), several points for long lots.
        cycles = self.cycles + self.cycle_had_stockout
        stockout_cycles = self.stockout_cycles + self.cycle_had_stockout
        items = self.on_hand.size
        stockout_price = np.broadcast_to(np.asarray(costs.stockout_cost_per_unit, float), (items,))
        holding_per_unit_day = self.unit_cost * costs.holding_cost_rate / DAYS_PER_YEAR
        return SimulationResult(
            demand_units=self.demand_by_day.sum(axis=0),
            filled_units=self.filled,
            shipped_units=self.shipped,
            short_units=self.short_total,
            stockout_days=self.stockout_days,
            cycles=cycles,
            stockout_cycles=stockout_cycles,
            orders_placed=self.orders,
            ordered_units=self.ordered,
            received_units=self.received,
            starting_stock=self.start,
            ending_stock=self.on_hand,
            ending_on_order=self.in_transit,
            ending_backorders=self.backlog,
            average_on_hand=self.on_hand_sum / max(self.days, 1),
            holding_cost=self.on_hand_sum * holding_per_unit_day,
            ordering_cost=np.asarray(self.orders * float(costs.ordering_cost), dtype=np.float64),
            stockout_cost=self.short_total * stockout_price,
            unit_cost=self.unit_cost,
            daily_inventory_value=self.daily_value,
            daily_short_units=self.daily_short,
            days=self.days,
            daily_stockouts=self.daily_stockouts,
            orders_by_day=(
                None if self.order_log is None else np.ascontiguousarray(self.order_log.T)
            ),
        )


@dataclass
class DemandEstimates:
    """Rolling estimates of mean daily demand and its daily spread, (items, K), each column
    computed on ``change_days[k]`` from history strictly before that day."""

    mean_daily_demand: FloatArray
    demand_std_daily: FloatArray
    change_days: NDArray[np.int64]
    # (items, K) independent errors behind each spread (its degrees of freedom); None: known
    spread_observations: FloatArray | None = None


def rolling_demand_estimates(
    history: ArrayLike,
    start_day: int,
    days: int,
    *,
    window_days: int = 91,
    refit_every_days: int = 7,
    protection_days: ArrayLike = 1,
) -> DemandEstimates:
    """Moving-average forecasts re-fitted every ``refit_every_days`` over the replay window
    ``[start_day, start_day + days)`` of ``history`` (items, total days; NaN = missing).

    A fit on replay day t sees only days before ``start_day + t``: no look-ahead. The mean is
    the average of the last ``window_days``; the spread is the root mean square error of the
    same moving average's past forecasts of demand summed over ``protection_days`` (items,)
    (lead time + review period), scaled back to a daily figure ``RMSE_P / sqrt(P)``. Summing
    over P lets weekly patterns cancel as they do over a lead time. A stand-in for the
    forecasting engine's mean and error spread.
    """
    values = np.asarray(history, dtype=float)
    items, total = values.shape
    if start_day < 1 or start_day + days > total:
        raise ValueError("the replay window must lie inside the history, after day 0")
    present = ~np.isnan(values)
    zero_filled = np.where(present, values, 0.0)
    cumulative = _prefix_sum(zero_filled)
    counts = _prefix_sum(present.astype(float))
    squares = _prefix_sum(zero_filled**2)
    period = np.clip(np.broadcast_to(np.asarray(protection_days, int), (items,)), 1, None)

    change_days = np.arange(0, days, refit_every_days, dtype=np.int64)
    ends = start_day + change_days  # a fit on day t sees days before t only
    begins = np.maximum(ends - window_days, 0)
    seen = counts[:, ends] - counts[:, begins]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (cumulative[:, ends] - cumulative[:, begins]) / seen
        mean_square = (squares[:, ends] - squares[:, begins]) / seen
    # Fallback where the window holds fewer than two forecast misses: the raw daily spread.
    spread = np.sqrt(np.maximum(mean_square - mean**2, 0.0))

    # Spread of the forecast's error, not of demand: on every past day j the moving average
    # then known forecast the next P days; the miss is e_j = actual_P − P·f_j. A fit on day t
    # uses the misses whose P days had all passed by t (j + P ≤ t) inside the window, as a root
    # mean square so that lag behind a trend or season counts as error too. One group per
    # distinct P keeps it to slicing; prefix sums over j make every fit O(1).
    day = np.arange(total + 1)
    history_start = np.maximum(day - window_days, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        forecast = (cumulative[:, day] - cumulative[:, history_start]) / (
            counts[:, day] - counts[:, history_start]
        )
    for length in np.unique(period):
        rows = np.flatnonzero(period == length)
        actual = cumulative[rows, length:] - cumulative[rows, :-length]
        complete = (counts[rows, length:] - counts[rows, :-length]) == length
        miss = actual - length * forecast[rows, : total + 1 - length]
        usable = complete & ~np.isnan(miss)
        miss_squares = _prefix_sum(np.where(usable, miss, 0.0) ** 2)
        miss_count = _prefix_sum(usable.astype(float))
        # Misses starting in [begin, end − P] had all their days before the fit on day ``end``.
        last = np.maximum(ends - length + 1, begins)
        count = miss_count[:, last] - miss_count[:, begins]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_square = (miss_squares[:, last] - miss_squares[:, begins]) / count
        spread[rows] = np.where(count > 1, np.sqrt(mean_square / length), spread[rows])
    mean = np.nan_to_num(mean, nan=0.0)
    spread = np.nan_to_num(spread, nan=0.0)
    return DemandEstimates(mean, spread, change_days)


def policy_from_estimates(
    estimates: DemandEstimates,
    lead_time_days: ArrayLike,
    *,
    service_level: ArrayLike = 0.95,
    settings: PolicySettings | None = None,
    unit_cost: ArrayLike = 1.0,
    lead_time_std_days: ArrayLike = 0.0,
    minimum_order_quantity: ArrayLike = 0.0,
    pack_size: ArrayLike = 1.0,
    service_level_group: ArrayLike | None = None,
) -> ReplenishmentPolicy:
    """The proposed policy, re-computed by ``calculate_policy`` on every re-fit day: the same
    code the metrics refresh runs, so the replay tests what planners get.

    The replay checks the position once a day or every ``settings.review_period_days``;
    ``policy_kind`` "reorder_point" gives (R, s, S), "order_up_to" gives (R, S).
    Per-item arguments are (items,) and held across re-fits; ``service_level`` may also be
    (items, K), one level per re-fit. With ``settings.service_level_allocation="aggregate"``
    each re-fit allocates on its own, per ``service_level_group`` (items,) or per target.
    """
    settings = settings or PolicySettings()
    items, columns = estimates.mean_daily_demand.shape
    labels = np.asarray(service_level) if service_level_group is None else service_level_group
    _, codes = np.unique(np.broadcast_to(np.asarray(labels), (items,)), return_inverse=True)
    group = codes.reshape(items)[:, None] * columns + np.arange(columns)[None, :]

    def per_column(value: ArrayLike) -> FloatArray:
        array = np.asarray(value, float)
        if array.ndim == 2:  # already one value per item and re-fit
            return np.broadcast_to(array, (items, columns))
        return np.repeat(np.broadcast_to(array, (items,))[:, None], columns, 1)

    result = calculate_policy(
        PolicyInputs(
            mean_daily_demand=estimates.mean_daily_demand.ravel(),
            demand_std_daily=estimates.demand_std_daily.ravel(),
            lead_time_days=per_column(lead_time_days).ravel(),
            lead_time_std_days=per_column(lead_time_std_days).ravel(),
            on_hand=np.zeros(items * columns),
            service_level=per_column(service_level).ravel(),
            unit_cost=per_column(unit_cost).ravel(),
            minimum_order_quantity=per_column(minimum_order_quantity).ravel(),
            pack_size=per_column(pack_size).ravel(),
            service_level_group=group.ravel(),
            error_observations=None
            if estimates.spread_observations is None
            else estimates.spread_observations.ravel(),
        ),
        settings,
    )
    up_to = result.order_up_to_level.reshape(items, columns)
    # (R, S): every review orders whatever lifts the position to S, so s = S; continuous review
    # orders only once the position falls to the reorder point.
    reorder = up_to if settings.policy_kind == "order_up_to" else result.reorder_point
    return ReplenishmentPolicy(
        reorder_point=reorder.reshape(items, columns),
        order_up_to_level=up_to,
        change_days=estimates.change_days,
        review_period_days=max(round(settings.review_period_days), 1),
        minimum_order_quantity=np.broadcast_to(np.asarray(minimum_order_quantity, float), (items,)),
        pack_size=np.broadcast_to(np.asarray(pack_size, float), (items,)),
        service_level=result.service_level.reshape(items, columns),
    )


def days_of_cover_policy(
    estimates: DemandEstimates,
    lead_time_days: ArrayLike,
    *,
    buffer_days: float = 7.0,
    cover_days: float = 30.0,
    minimum_order_quantity: ArrayLike = 0.0,
    pack_size: ArrayLike = 1.0,
) -> ReplenishmentPolicy:
    """The velocity baseline many planning tools ship: a min/max from average sales.

    Reorder when the position covers fewer than ``lead time + buffer_days`` days of average
    sales; order up to ``cover_days`` more days than that. No demand variability, no costs.
    """
    items = estimates.mean_daily_demand.shape[0]
    lead = np.broadcast_to(np.asarray(lead_time_days, float), (items,))[:, None]
    minimum = estimates.mean_daily_demand * (lead + buffer_days)
    return ReplenishmentPolicy(
        reorder_point=minimum,
        order_up_to_level=minimum + estimates.mean_daily_demand * cover_days,
        change_days=estimates.change_days,
        minimum_order_quantity=np.broadcast_to(np.asarray(minimum_order_quantity, float), (items,)),
        pack_size=np.broadcast_to(np.asarray(pack_size, float), (items,)),
    )


def compare_policies(
    demand: ArrayLike,
    proposed: ReplenishmentPolicy,
    baseline: ReplenishmentPolicy,
    lead_time_days: ArrayLike,
    *,
    starting_stock: ArrayLike | None = None,
    costs: SimulationCosts | None = None,
    backorders: bool = False,
) -> dict[str, dict[str, float]]:
    """Replay both policies on the same demand and report each summary and the savings
    (baseline − proposed; positive means the proposed policy did better).

    Without ``starting_stock`` each policy starts at its own first order-up-to level (or
    reorder point + order quantity), i.e. in its own steady state, so neither is judged on a
    start it would never have chosen.
    """
    demand = np.asarray(demand, dtype=float)
    summaries = {}
    for name, policy in (("proposed", proposed), ("baseline", baseline)):
        stock = starting_stock
        if stock is None:
            stock = _first_column(policy.order_up_to_level)
            if stock is None:
                # No order-up-to level: then the policy has an order quantity (__post_init__).
                assert policy.order_quantity is not None
                stock = _first_column(policy.reorder_point) + _first_column(policy.order_quantity)
            stock = np.maximum(np.nan_to_num(stock), 0.0)
        result = simulate(demand, policy, lead_time_days, stock, costs=costs, backorders=backorders)
        summaries[name] = result.summary()
    return {**summaries, "savings": policy_savings(summaries["baseline"], summaries["proposed"])}


SAVED_FIGURES = (
    "stockout_days",
    "stockout_units",
    "average_inventory_value",
    "holding_cost",
    "ordering_cost",
    "stockout_cost",
    "total_cost",
)


def policy_savings(baseline: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    """What the proposed policy saves over the baseline (baseline minus proposed) for each of
    :data:`SAVED_FIGURES`, plus ``fill_rate_gain`` (proposed minus baseline)."""
    savings = {key: baseline[key] - proposed[key] for key in SAVED_FIGURES}
    savings["fill_rate_gain"] = proposed["fill_rate"] - baseline["fill_rate"]
    return savings


def _prefix_sum(values: FloatArray) -> FloatArray:
    """Running sums along days with a leading 0 column: ``out[:, j]`` = sum of the first j."""
    out = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=out[:, 1:])
    return out


@overload
def _first_column(values: ArrayLike) -> FloatArray: ...
@overload
def _first_column(values: None) -> None: ...
def _first_column(values: ArrayLike | None) -> FloatArray | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=float)
    return array if array.ndim == 1 else array[:, 0]


# --- Rolling re-fit with the forecasting engine, lead-time sampling, per-class results ---------

LEAD_TIME_MODES = ("fixed", "sampled")
# Levels at which the empirical miss quantiles are kept, the prior weight (in independent
# misses) of all items' quantiles against one item's own, and the range of the tail factor.
TAIL_LEVELS = (0.5, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995)
TAIL_POOLING = 30.0
TAIL_FACTOR_RANGE = (0.75, 3.0)
MIN_TAIL_MISSES = 28

# "recommended": each item's Test Bed pick on the history before the replay window (ADR 32).
RECOMMENDED = "recommended"
# The Test Bed's candidates here: the fast methods but theta (too slow to re-fit weekly).
RECOMMENDED_CANDIDATES = tuple(m for m in FAST_METHODS if m != "theta")
TEST_BED_HORIZON = 14
# A Test Bed combination is named by its members joined with "+" ("ses+damped"): the replay
# re-fits every member and averages their forecasts, as the combination does.
COMBINATION_SEPARATOR = "+"


def recommended_methods(
    history: ArrayLike,
    *,
    season_length: int = 7,
    horizon: int = TEST_BED_HORIZON,
    folds: int = 3,
    methods: tuple[str, ...] = RECOMMENDED_CANDIDATES,
) -> np.ndarray:
    """Each item's recommended method from the forecasting Test Bed on ``history`` (items,
    days; the days before the replay window only), its combinations spelled out as their
    members joined by ``+``. Stockouts are censored as in a forecast run. Too short a history
    for the backtest: ``"ses"`` for every item."""
    values = np.nan_to_num(np.asarray(history, dtype=float))
    spec = ForecastSpec(horizon=horizon, season_length=season_length)
    try:
        bed = run_test_bed(values, spec, methods=methods, folds=folds, calibrate=False)
    except ValueError:  # fewer days than the folds need
        return np.full(values.shape[0], "ses", dtype=object)
    picks = np.asarray(bed.recommendation.method, dtype=object).copy()
    combined = picks == COMBO
    if combined.any():
        members = np.asarray(bed.forecasts[COMBO].params["members"], dtype=object)
        picks[combined] = members[combined]
    # New items' launch candidate is the mean of its members, re-fitted like a combination.
    picks[picks == LAUNCH] = COMBINATION_SEPARATOR.join(LAUNCH_MEMBERS)
    return picks


def _method_points(
    name: str, values: FloatArray, spec: ForecastSpec, origins: list[int]
) -> list[FloatArray]:
    """The point forecasts of ``name`` (one method, or members joined by ``+``, averaged)
    from every origin."""
    members = name.split(COMBINATION_SEPARATOR)
    runs = [method_named(member)(values, spec, origins) for member in members]
    return [
        np.mean([run[k].point for run in runs], axis=0) if len(runs) > 1 else runs[0][k].point
        for k in range(len(origins))
    ]


def sample_lead_times(
    mean_days: ArrayLike,
    std_days: ArrayLike,
    days: int,
    *,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Lead time of an order placed on each day, (items, days) whole days ≥ 0.

    Gamma-distributed with the given mean and spread per item (non-negative and right-skewed,
    as supplier delays are), rounded to whole days; a spread of 0 gives the mean every day.
    """
    mean = np.asarray(mean_days, dtype=float)
    std = np.broadcast_to(np.asarray(std_days, dtype=float), mean.shape)
    if (mean < 0).any() or (std < 0).any():
        raise ValueError("lead-time mean and spread must be ≥ 0")
    spread = std > 0
    shape = np.where(spread, (mean / np.where(spread, std, 1.0)) ** 2, 1.0)
    scale = np.where(spread & (mean > 0), std**2 / np.where(mean > 0, mean, 1.0), 0.0)
    draws = rng.gamma(shape[:, None], 1.0, (mean.size, days)) * scale[:, None]
    return np.where(spread[:, None], np.rint(draws), np.rint(mean)[:, None]).astype(np.int64)


@dataclass
class ForecastEstimates:
    """What the rolling re-fit knew (all from history strictly before each day).

    ``mean_daily_demand`` / ``demand_std_daily`` (items, K): on re-fit day ``change_days[k]``
    the forecast's mean over the protection period P (per day) and the spread of *that
    forecast's* misses over P days, ``RMSE_P / sqrt(P)``, so that ``sqrt(P)·σ`` — what
    ``calculate_policy`` multiplies by z — is the RMSE of the forecast actually used.
    ``protection_demand`` (items, days): on every replay day, the forecast (from the latest
    re-fit) of demand over the next P days, which moves the levels between re-fits.
    """

    mean_daily_demand: FloatArray
    demand_std_daily: FloatArray
    change_days: NDArray[np.int64]
    protection_demand: FloatArray
    protection_days: NDArray[np.int64]
    misses_used: NDArray[np.int64]  # (items, K) forecast misses behind each spread
    method_names: tuple[str, ...] = ()
    method_index: NDArray[np.int64] | None = None  # (items, K) into method_names ("recommended")
    # (items, len(TAIL_LEVELS)): quantiles of each item's misses over P in units of their
    # RMSE, from the warm-up before the window, shrunk toward all items' (None: normal).
    miss_quantiles: FloatArray | None = None
    # (items, K) degrees of freedom of each spread (own independent misses + the pooled
    # prior's weight, ADR 44); None: the spreads are taken as known.
    spread_observations: FloatArray | None = None
    # (items, days) replay days on which an item is launching (first sale fewer than
    # ``launch.LAUNCH_DAYS`` days before): its policy is recomputed on each of them from that
    # day's forecast over P and the pooled spread and degrees of freedom as of that day.
    launching: NDArray[np.bool_] | None = None
    launch_spread: FloatArray | None = None
    launch_observations: FloatArray | None = None

    def tail_factor(self, service_level: ArrayLike) -> FloatArray:
        """(items,) the factor that turns ``z·σ`` into the empirical quantile of the misses
        at each item's ``service_level``: ``Q_q(miss / RMSE) / z_q`` (1 without misses or
        below the median). Demand over a lead time is skewed and forecast misses heavy
        tailed, so at 98 % the normal z under-protects (ADR 32)."""
        from scipy import special  # on first use: start-up stays light (ADR 27)

        items = self.mean_daily_demand.shape[0]
        level = np.broadcast_to(np.asarray(service_level, float), (items,))
        if self.miss_quantiles is None:
            return np.ones(items)
        grid = np.asarray(TAIL_LEVELS)
        clipped = np.clip(level, grid[0], grid[-1])
        # Linear interpolation on the level grid, row by row (vectorised).
        upper = np.clip(np.searchsorted(grid, clipped), 1, grid.size - 1)
        share = (clipped - grid[upper - 1]) / (grid[upper] - grid[upper - 1])
        rows = np.arange(items)
        empirical = (1 - share) * self.miss_quantiles[rows, upper - 1] + share * (
            self.miss_quantiles[rows, upper]
        )
        z = special.ndtri(clipped)
        factor = np.where(z > 0.1, empirical / np.where(z > 0.1, z, 1.0), 1.0)
        clipped_factor = np.clip(np.nan_to_num(factor, nan=1.0), *TAIL_FACTOR_RANGE)
        return np.asarray(clipped_factor, dtype=np.float64)

    def as_demand_estimates(self) -> DemandEstimates:
        return DemandEstimates(
            self.mean_daily_demand,
            self.demand_std_daily,
            self.change_days,
            self.spread_observations,
        )


def rolling_forecast_estimates(
    history: ArrayLike,
    start_day: int,
    days: int,
    *,
    protection_days: ArrayLike,
    method: str | ArrayLike = "ses",
    refit_every_days: int = 7,
    season_length: int = 7,
    error_window_days: int = 182,
    min_history_days: int = 28,
    min_misses: int = 14,
) -> ForecastEstimates:
    """Re-fit a forecasting-engine method every ``refit_every_days`` over the replay window
    ``[start_day, start_day + days)`` of ``history`` (items, total days; NaN = no sale
    recorded = 0) and measure the error of the forecast as it was used.

    ``method``: one engine method name for all items, one per item (e.g. each SKU's
    recommended method from the Test Bed; ``a+b`` averages members like a Test Bed
    combination), or ``"recommended"``: each item's Test Bed pick (:func:`recommended_methods`)
    on the history before the window, so the replay forecasts each SKU with the method a run
    would have chosen then. Items are grouped by method, one engine call per method with
    every origin at once.
    ``protection_days`` (items,): the risk period P
    the policy protects (lead time for a reorder point, lead time + review period for an
    order-up-to level).

    Re-fits also run over the ``error_window_days`` before the window so the first decisions
    already have misses to learn from. On every day d the forecast in use (from the last re-fit
    on or before d) predicts demand over ``[d, d + P)``; its miss is known once day
    ``d + P − 1`` has passed, and a re-fit on day t uses the misses with ``d + P ≤ t`` and
    ``d ≥ t − error_window_days``. Fewer than ``min_misses`` → the spread of daily demand over
    the same window (× sqrt(P) / sqrt(P), i.e. as if days were independent).
    """
    values = np.nan_to_num(np.asarray(history, dtype=float))
    items, total = values.shape
    if start_day < 1 or start_day + days > total or days < 1:
        raise ValueError("the replay window must lie inside the history, after day 0")
    if refit_every_days < 1:
        raise ValueError("refit_every_days must be ≥ 1")
    period = np.clip(np.broadcast_to(np.asarray(protection_days, np.int64), (items,)), 1, None)
    if isinstance(method, str) and method == RECOMMENDED:
        method = recommended_methods(values[:, :start_day], season_length=season_length)
    methods = np.broadcast_to(np.asarray(method, dtype=object), (items,))
    for name in set(methods.tolist()):
        for member in str(name).split(COMBINATION_SEPARATOR):
            method_named(member)  # unknown names fail before any work

    # Re-fit origins on the replay's grid (one on the first replay day), extended back over the
    # error window for warm-up, never before a minimum of history.
    back = -(-error_window_days // refit_every_days)
    grid = start_day + refit_every_days * np.arange(-back, -(-days // refit_every_days))
    first_allowed = min(start_day, max(min_history_days, 1))
    origins = grid[grid >= first_allowed]
    first = int(origins[0])
    end = start_day + days
    change_days = np.arange(0, days, refit_every_days, dtype=np.int64)
    fit_day = start_day + change_days  # absolute day of each re-fit in the replay
    cumulative = _prefix_sum(values)
    # A forecast of nothing before an item's launch never misses: those days would shrink
    # the spread of a new item to nothing. Misses and the fallback count from the first sale.
    selling = values > 0
    first_sale = np.where(selling.any(axis=1), np.argmax(selling, axis=1), total)

    def track(assigned: np.ndarray) -> FloatArray:
        """Forecast over [d, d + P) on every decision day (a launch raised to its line)."""
        protection = _protection_forecasts(
            values, assigned, origins, end, period, refit_every_days, season_length
        )
        return _launch_protection(values, protection, first, period, first_sale)

    protection = track(methods)
    names: tuple[str, ...] = tuple(sorted(set(methods.tolist())))
    chosen = np.repeat(
        np.searchsorted(np.asarray(names, dtype=object), methods)[:, None], change_days.size, 1
    ).astype(np.int64)

    at_fit = protection[:, fit_day - first]

    def posterior(on_days: NDArray[np.int64]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The pooled spread, its degrees of freedom and the misses behind it (items, days)
        as of ``on_days``."""
        rmse, count = _windowed_misses(
            cumulative, protection, first, period, on_days, error_window_days, first_sale
        )
        # Fallback: daily demand spread over the error window before each day.
        window_begin = np.clip(
            np.maximum(on_days[None, :] - error_window_days, first_sale[:, None]),
            0,
            on_days[None, :],
        )  # (items, days)
        seen_days = np.maximum(on_days[None, :] - window_begin, 1)
        at = np.broadcast_to(on_days[None, :], window_begin.shape)

        def window_sum(prefix: FloatArray) -> FloatArray:
            taken = np.take_along_axis(prefix, at, axis=1)
            return taken - np.take_along_axis(prefix, window_begin, axis=1)

        with np.errstate(invalid="ignore"):
            daily_mean = window_sum(cumulative) / seen_days
            daily_var = window_sum(demand_squares) / seen_days
        daily_spread = np.sqrt(np.maximum(daily_var - daily_mean**2, 0.0))
        own = np.where(count >= min_misses, rmse / np.sqrt(period[:, None]), daily_spread)
        # Few misses (a launch): the own spread shrunk toward the item's demand spread times
        # the pool's error-to-demand variance ratio (empirical Bayes); its degrees of freedom
        # for the t widening in ``calculate_policy`` (ADR 44).
        # Misses over P overlapping days: about count / P independent ones.
        # The prior's scale: the daily demand spread widened by the error of a level read from
        # only ``seen_days`` days, Var(Σ_P) = P·d²·(1 + P / seen) (a mean's prediction
        # interval).
        # The prior's variance rests on the ``seen_days`` daily values behind its scale: the
        # posterior's degrees of freedom combine both (``spread.pooled_error_spread``).
        spread, freedom = pooled_error_spread(
            own,
            count / period[:, None],
            daily_spread * np.sqrt(1.0 + period[:, None] / seen_days),
            scale_observations=seen_days - 1.0,
        )
        return spread, freedom, count

    demand_squares = _prefix_sum(values**2)
    spread, freedom, count = posterior(fit_day)
    # A launching item's policy follows its sales day by day, as the daily metrics refresh
    # recomputes it between forecast runs: its spread too (ADR 44, launches).
    replay_day = start_day + np.arange(days)
    launching = in_launch_phase(replay_day[None, :] - first_sale[:, None], first_sale[:, None])
    launch_spread = launch_freedom = None
    if launching.any():
        launch_spread, launch_freedom, _ = posterior(replay_day)
        launch_spread = np.nan_to_num(launch_spread)
    # Tails pooled per demand pattern of the days before the window (ADR 44): a lumpy item's
    # misses are skewed as other lumpy items' are, not as a smooth item's.
    pattern = np.asarray(classify(values[:, :start_day]).pattern)
    tails = _miss_quantiles(
        cumulative, protection, first, start_day, period, first_sale, group=pattern
    )
    return ForecastEstimates(
        mean_daily_demand=at_fit / period[:, None],
        demand_std_daily=np.nan_to_num(spread),
        change_days=change_days,
        protection_demand=protection[:, start_day - first :],
        protection_days=period,
        misses_used=count.astype(np.int64),
        method_names=names,
        method_index=chosen,
        miss_quantiles=tails,
        spread_observations=freedom,
        launching=launching if launch_spread is not None else None,
        launch_spread=launch_spread,
        launch_observations=launch_freedom,
    )


def _launch_lines(
    values: FloatArray,
    decision: NDArray[np.int64],
    period: NDArray[np.int64],
    first_sale: NDArray[np.int64],
) -> FloatArray:
    """(items, decision days) the level of a launching item's line
    (``launch.launch_level``) through the sales of the days before each decision
    day since its first sale, as the daily metrics refresh reads it between forecast runs
    (ADR 44, launches); the line's level is the mean over the next P days."""
    total = values.shape[1]
    age = decision[None, :] - first_sale[:, None]  # days sold before the decision day
    window = np.clip(age, 0, LAUNCH_WINDOW_DAYS)
    begin = decision[None, :] - window
    day = np.arange(total, dtype=float)

    def between(values_of_day: FloatArray) -> FloatArray:
        prefix = _prefix_sum(values_of_day)
        return prefix[:, decision] - np.take_along_axis(prefix, begin, axis=1)

    sums = between(values)
    level = launch_level(
        window,
        sums,
        between(values * day[None, :]) - begin * sums,
        between(values * values),
        (period[:, None] + 1) / 2.0,
    )
    return level


def _launch_protection(
    values: FloatArray,
    protection: FloatArray,
    first: int,
    period: NDArray[np.int64],
    first_sale: NDArray[np.int64],
) -> FloatArray:
    """``protection`` (items, days from ``first``) with a launching item's forecast over P
    raised to its launch line (``launch.launch_adjusted_mean``) as known on each day."""
    decision = np.arange(first, first + protection.shape[1])
    launching = in_launch_phase(decision[None, :] - first_sale[:, None], first_sale[:, None])
    if not launching.any():
        return protection
    level = _launch_lines(values, decision, period, first_sale)
    raised = launch_adjusted_mean(protection / period[:, None], level, launching)
    raised = raised * period[:, None]
    return np.asarray(raised, dtype=np.float64)


def _miss_quantiles(
    cumulative: FloatArray,
    protection: FloatArray,
    first: int,
    start_day: int,
    period: NDArray[np.int64],
    first_sale: NDArray[np.int64],
    group: np.ndarray | None = None,
) -> FloatArray | None:
    """(items, len(TAIL_LEVELS)) quantiles of the warm-up misses over P (decision days
    before the window whose P days ended before it, from the first sale) in units of the
    item's RMSE; each item's own shrunk toward the quantiles of all items' pooled misses by
    the weight of its independent misses (count / P) against :data:`TAIL_POOLING`. None
    when fewer than :data:`MIN_TAIL_MISSES` misses are known overall."""
    decision = np.arange(first, start_day)
    if decision.size == 0:
        return None
    stop = decision[None, :] + period[:, None]
    live = (stop <= start_day) & (decision[None, :] >= first_sale[:, None])
    safe_stop = np.minimum(stop, start_day)
    miss = (
        np.take_along_axis(cumulative, safe_stop, axis=1)
        - cumulative[:, decision]
        - protection[:, : decision.size]
    )
    count = live.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rmse = np.sqrt(np.where(live, miss * miss, 0.0).sum(axis=1) / count)
    usable = live & (rmse[:, None] > 0)
    if usable.sum() < MIN_TAIL_MISSES:
        return None
    standardized = np.where(usable, miss / np.where(rmse > 0, rmse, 1.0)[:, None], np.nan)
    levels = np.asarray(TAIL_LEVELS)
    pooled = np.repeat(np.nanquantile(standardized[usable], levels)[None, :], miss.shape[0], 0)
    if group is not None:  # each group's own pool where it has enough misses
        for label in np.unique(group):
            members = group == label
            if usable[members].sum() >= MIN_TAIL_MISSES:
                pooled[members] = np.nanquantile(standardized[members][usable[members]], levels)
    own = np.full((miss.shape[0], levels.size), np.nan)
    rows = usable.sum(axis=1) >= MIN_TAIL_MISSES
    if rows.any():
        own[rows] = np.nanquantile(standardized[rows], levels, axis=1).T
    weight = np.where(rows, usable.sum(axis=1) / period, 0.0)[:, None]
    mixed = (weight * np.nan_to_num(own) + TAIL_POOLING * pooled) / (weight + TAIL_POOLING)
    return np.maximum.accumulate(mixed, axis=1)  # quantiles rise with the level


def _protection_forecasts(
    values: FloatArray,
    methods: np.ndarray,
    origins: NDArray[np.int64],
    end: int,
    period: NDArray[np.int64],
    refit_every_days: int,
    season_length: int,
) -> FloatArray:
    """(items, end − first origin): on every day d the forecast from the last re-fit on or
    before d of demand over ``[d, d + P)``. One engine call per method with every origin."""
    items = values.shape[0]
    first = int(origins[0])
    horizon = refit_every_days + int(period.max())
    protection = np.zeros((items, end - first))
    spec = ForecastSpec(horizon=horizon, season_length=season_length, levels=())
    seen = values[:, : int(origins[-1])]  # nothing after the last re-fit is ever passed
    for name in sorted(set(methods.tolist())):
        rows = np.flatnonzero(methods == name)
        points = _method_points(name, seen[rows], spec, [int(o) for o in origins])
        for origin, point in zip(origins, points, strict=True):
            offsets = np.arange(min(refit_every_days, end - origin))
            path = _prefix_sum(point)
            stop = offsets[None, :] + period[rows, None]
            protection[rows[:, None], (origin - first + offsets)[None, :]] = (
                np.take_along_axis(path, stop, axis=1) - path[:, offsets]
            )
    return protection


def _windowed_misses(
    cumulative: FloatArray,
    protection: FloatArray,
    first: int,
    period: NDArray[np.int64],
    fit_day: NDArray[np.int64],
    error_window_days: int,
    first_sale: NDArray[np.int64] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """RMSE and count (items, K) of the misses ``actual[d, d + P) − forecast`` known at each
    re-fit day t: decision days d with ``d + P ≤ t`` and ``d ≥ t − error_window_days`` (and
    on or after the item's ``first_sale``)."""
    total = cumulative.shape[1] - 1
    decision = np.arange(first, first + protection.shape[1])
    stop = np.minimum(decision[None, :] + period[:, None], total)
    # Days whose P days run past the data get a meaningless miss, but no window reaches them:
    # a re-fit on day t ≤ total only takes d + P ≤ t.
    miss = np.take_along_axis(cumulative, stop, axis=1) - cumulative[:, decision] - protection
    live = np.ones(miss.shape, dtype=bool)
    if first_sale is not None:
        live = decision[None, :] >= first_sale[:, None]
        miss = np.where(live, miss, 0.0)
    miss_squares = _prefix_sum(miss * miss)
    live_days = _prefix_sum(live.astype(float))
    begin = np.maximum(fit_day - error_window_days, first) - first  # (K,)
    last = np.clip(fit_day[None, :] - period[:, None] + 1 - first, begin[None, :], None)
    count = np.take_along_axis(live_days, last, axis=1) - live_days[:, begin]
    squares = np.take_along_axis(miss_squares, last, axis=1) - miss_squares[:, begin]
    with np.errstate(divide="ignore", invalid="ignore"):
        rmse = np.sqrt(squares / count)
    return rmse, count


def rolling_average_demand(
    history: ArrayLike,
    start_day: int,
    days: int,
    *,
    window_days: int = 91,
    refit_every_days: int = 7,
) -> DemandEstimates:
    """Average daily sales of the ``window_days`` before each re-fit (NaN = no sale = 0), no
    spread: all the min/max baseline looks at."""
    values = np.nan_to_num(np.asarray(history, dtype=float))
    if start_day < 1 or start_day + days > values.shape[1]:
        raise ValueError("the replay window must lie inside the history, after day 0")
    cumulative = _prefix_sum(values)
    change_days = np.arange(0, days, refit_every_days, dtype=np.int64)
    ends = start_day + change_days
    begins = np.maximum(ends - window_days, 0)
    mean = (cumulative[:, ends] - cumulative[:, begins]) / (ends - begins)
    return DemandEstimates(mean, np.zeros_like(mean), change_days)


def protection_days_for(lead_time_days: ArrayLike, settings: PolicySettings) -> NDArray[np.int64]:
    """The risk period P a policy kind protects: lead time (reorder point: the undershoot of
    the periodic check is added by ``calculate_policy``) or lead time + review period
    (order-up-to level); at least one day."""
    lead = np.rint(np.asarray(lead_time_days, dtype=float)).astype(np.int64)
    if settings.policy_kind == "order_up_to":
        lead = lead + max(round(settings.review_period_days), 1)
    return cast("NDArray[np.int64]", np.maximum(lead, 1))


def policy_from_forecasts(
    estimates: ForecastEstimates,
    lead_time_days: ArrayLike,
    **policy_arguments: object,
) -> ReplenishmentPolicy:
    """The proposed policy from rolling forecasts: ``calculate_policy`` on every re-fit day
    (safety stock from the used forecast's error over P), then moved day by day with the
    forecast over each day's own next P days (a weekly pattern shifts the levels within the
    week; the safety stock stays as fitted). Arguments as ``policy_from_estimates``."""
    demand = estimates.as_demand_estimates()
    settings = policy_arguments.get("settings")
    kind = getattr(settings, "service_level_kind", "cycle")
    if estimates.miss_quantiles is not None and kind == "cycle":
        # The spread as the empirical tail of the misses at each item's target (ADR 32).
        level = np.asarray(policy_arguments.get("service_level", 0.95), float)
        first_column = level if level.ndim < 2 else level[:, 0]
        factor = estimates.tail_factor(first_column)
        demand = replace(demand, demand_std_daily=demand.demand_std_daily * factor[:, None])
    fitted = policy_from_estimates(
        demand,
        lead_time_days,
        **policy_arguments,  # type: ignore[arg-type]
    )
    days = estimates.protection_demand.shape[1]
    column = np.searchsorted(estimates.change_days, np.arange(days), side="right") - 1
    at_fit = estimates.mean_daily_demand * estimates.protection_days[:, None]
    shift = estimates.protection_demand - at_fit[:, column]
    reorder = np.asarray(fitted.reorder_point, float)[:, column] + shift
    assert fitted.order_up_to_level is not None
    up_to = np.asarray(fitted.order_up_to_level, float)[:, column] + shift
    if estimates.launching is not None and estimates.launch_spread is not None:
        reorder, up_to = _launch_policy(
            estimates, lead_time_days, reorder, up_to, fitted.service_level, policy_arguments
        )
    return ReplenishmentPolicy(
        reorder_point=np.maximum(reorder, 0.0),
        order_up_to_level=np.maximum(up_to, 0.0),
        change_days=np.arange(days, dtype=np.int64),
        review_period_days=fitted.review_period_days,
        minimum_order_quantity=fitted.minimum_order_quantity,
        pack_size=fitted.pack_size,
    )


def _launch_policy(
    estimates: ForecastEstimates,
    lead_time_days: ArrayLike,
    reorder: FloatArray,
    up_to: FloatArray,
    allocated: FloatArray | None,
    arguments: dict[str, object],
) -> tuple[FloatArray, FloatArray]:
    """``reorder`` / ``up_to`` (items, days) with every launching item-day recomputed by
    ``calculate_policy`` from that day's forecast over P (raised to the launch line) and the
    pooled spread as of that day, at the level it got at the re-fit: a launch's safety
    stock and lot follow its sales as the daily refresh's do, instead of staying at what
    the last weekly re-fit knew (zero before the first sale)."""
    assert estimates.launching is not None and estimates.launch_spread is not None
    items, days = reorder.shape
    item, day = np.nonzero(estimates.launching[:, :days])
    if item.size == 0:
        return reorder, up_to
    settings = arguments.get("settings")
    settings = settings if isinstance(settings, PolicySettings) else PolicySettings()
    column = np.searchsorted(estimates.change_days, day, side="right") - 1

    def cell(value: object, default: float) -> FloatArray:
        array = np.asarray(default if value is None else value, dtype=float)
        if array.ndim == 2:
            return np.asarray(array[item, column], dtype=np.float64)
        return np.asarray(np.broadcast_to(array, (items,))[item], dtype=np.float64)

    # The level the item got at the re-fit (after the aggregate allocation, if any).
    level = cell(arguments.get("service_level") if allocated is None else allocated, 0.95)
    spread = estimates.launch_spread[item, day]
    if estimates.miss_quantiles is not None and settings.service_level_kind == "cycle":
        first_level = np.asarray(arguments.get("service_level", 0.95), float)
        first_level = first_level if first_level.ndim < 2 else first_level[:, 0]
        spread = spread * estimates.tail_factor(first_level)[item]
    period = estimates.protection_days[item]
    result = calculate_policy(
        PolicyInputs(
            mean_daily_demand=estimates.protection_demand[item, day] / period,
            demand_std_daily=spread,
            lead_time_days=cell(lead_time_days, 0.0),
            lead_time_std_days=cell(arguments.get("lead_time_std_days"), 0.0),
            on_hand=np.zeros(item.size),
            service_level=level,
            unit_cost=cell(arguments.get("unit_cost"), 1.0),
            minimum_order_quantity=cell(arguments.get("minimum_order_quantity"), 0.0),
            pack_size=cell(arguments.get("pack_size"), 1.0),
            error_observations=None
            if estimates.launch_observations is None
            else estimates.launch_observations[item, day],
        ),
        replace(settings, service_level_allocation="item"),
    )
    reorder, up_to = reorder.copy(), up_to.copy()
    up_to[item, day] = result.order_up_to_level
    if settings.policy_kind == "order_up_to":
        reorder[item, day] = result.order_up_to_level
    else:
        reorder[item, day] = result.reorder_point
    return reorder, up_to


def summaries_by_class(result: SimulationResult, classes: ArrayLike) -> dict[str, dict[str, float]]:
    """``summary`` per class label (e.g. ABC class per item), plus "all"."""
    labels = np.asarray(classes).astype(str)
    out = {"all": result.summary()}
    for label in sorted(set(labels.tolist())):
        out[label] = result.summary(labels == label)
    return out


@dataclass
class ReplayInputs:
    """Everything the replay needs, per item (items,) unless noted. ``history`` (items, total
    days) ends with the replay window's last day; the window is its last ``days`` columns."""

    history: FloatArray
    days: int
    lead_time_days: FloatArray
    unit_cost: FloatArray
    service_level: FloatArray
    lead_time_std_days: FloatArray | None = None
    minimum_order_quantity: FloatArray | None = None
    pack_size: FloatArray | None = None
    stockout_cost_per_unit: FloatArray | None = None
    starting_stock: FloatArray | None = None  # None: each policy starts at its own S
    method: str | np.ndarray = "ses"
    # (items,) labels (say the ABC class) for the "aggregate" allocation: each group's target
    # holds on average over its own cycles; None: items with the same target form a group.
    service_level_group: np.ndarray | None = None


@dataclass(frozen=True)
class ReplayOptions:
    backorders: bool = False
    lead_time_mode: str = "fixed"  # "sampled": each order's lead time drawn (mean, spread)
    refit_every_days: int = 7
    season_length: int = 7
    error_window_days: int = 182
    baseline_buffer_days: float = 7.0
    baseline_cover_days: float = 30.0
    seed: int = 0
    record_orders: bool = False
    lot_cover_days: float | None = None  # None: EOQ lots (cost-optimal)
    # "item": every item gets its target; "aggregate": per re-fit, levels that meet each
    # group's target (``ReplayInputs.service_level_group``) on average over its cycles and
    # put the stock where it serves most units. The tenant default is "aggregate"
    # (``InventorySettings``); the pure core keeps "item" for callers that pass none.
    service_level_allocation: str = "item"
    # > 0: before the window, replay this many days (on earlier data only) and shift each
    # group's target in z by the gap between its target and the cycle service level it got
    # there (ADR 32); 0: the targets as given.
    calibrate_days: int = 0

    def __post_init__(self) -> None:
        if self.service_level_allocation not in SERVICE_LEVEL_ALLOCATIONS:
            raise ValueError(f"service_level_allocation must be one of {SERVICE_LEVEL_ALLOCATIONS}")
        if self.lead_time_mode not in LEAD_TIME_MODES:
            raise ValueError(f"lead_time_mode must be one of {LEAD_TIME_MODES}")
        if self.refit_every_days < 1:
            raise ValueError("refit_every_days must be ≥ 1")


@dataclass
class ReplayOutcome:
    proposed: SimulationResult
    baseline: SimulationResult
    estimates: ForecastEstimates
    service_level: FloatArray | None = None  # the (calibrated) levels the policy was set at


@dataclass(frozen=True)
class _ReplaySetup:
    history: FloatArray
    start: int
    lead: FloatArray
    lead_std: FloatArray
    lead_times: NDArray[np.int64]
    moq: FloatArray
    pack: FloatArray
    costs: SimulationCosts


def _replay_setup(
    inputs: ReplayInputs, settings: PolicySettings, options: ReplayOptions
) -> _ReplaySetup:
    """What both policies share: the window, the lead times (drawn once), MOQ, pack, costs."""
    history = np.asarray(inputs.history, dtype=float)
    items, total = history.shape
    lead = np.asarray(inputs.lead_time_days, dtype=float)
    lead_std = (
        np.zeros(items)
        if inputs.lead_time_std_days is None
        else np.asarray(inputs.lead_time_std_days, float)
    )
    if options.lead_time_mode == "sampled":
        lead_times: NDArray[np.int64] = sample_lead_times(
            lead, lead_std, inputs.days, rng=np.random.default_rng(options.seed)
        )
    else:
        lead_times = np.rint(lead).astype(np.int64)
        lead_std = np.zeros(items)  # a fixed lead time has no spread to protect against
    moq = (
        np.zeros(items) if inputs.minimum_order_quantity is None else inputs.minimum_order_quantity
    )
    pack = np.ones(items) if inputs.pack_size is None else inputs.pack_size
    costs = SimulationCosts(
        unit_cost=inputs.unit_cost,
        holding_cost_rate=settings.holding_cost_rate,
        ordering_cost=settings.ordering_cost,
        stockout_cost_per_unit=0.0
        if inputs.stockout_cost_per_unit is None
        else np.nan_to_num(inputs.stockout_cost_per_unit),
    )
    return _ReplaySetup(history, total - inputs.days, lead, lead_std, lead_times, moq, pack, costs)


def _replay_policy(
    setup: _ReplaySetup,
    inputs: ReplayInputs,
    options: ReplayOptions,
    policy: ReplenishmentPolicy,
) -> SimulationResult:
    stock = inputs.starting_stock
    if stock is None:  # each policy starts at its own first order-up-to level
        # replay's policies (forecast-fitted and days-of-cover) are all order-up-to ones.
        assert policy.order_up_to_level is not None
        stock = np.maximum(np.nan_to_num(_first_column(policy.order_up_to_level)), 0.0)
    return simulate(
        setup.history[:, setup.start :],
        policy,
        setup.lead_times,
        stock,
        costs=setup.costs,
        backorders=options.backorders,
        record_orders=options.record_orders,
        launch_day=launch_days(setup.history, setup.start),
    )


def launch_days(history: ArrayLike, start: int) -> NDArray[np.int64]:
    """(items,) the replay day of each item's first sale ever when it falls in the window
    (``history`` columns from ``start`` on), else −1 (sold before it; never sold: −1 too, an
    item without demand has no stockout to count). See ``simulate(launch_day=)``."""
    values = np.nan_to_num(np.asarray(history, dtype=float))
    selling = values > 0
    first = np.where(selling.any(axis=1), np.argmax(selling, axis=1), -1)
    return np.where(first >= start, first - start, -1).astype(np.int64)


def _baseline_policy(
    setup: _ReplaySetup, inputs: ReplayInputs, options: ReplayOptions
) -> ReplenishmentPolicy:
    averages = rolling_average_demand(
        setup.history, setup.start, inputs.days, refit_every_days=options.refit_every_days
    )
    return days_of_cover_policy(
        averages,
        setup.lead,
        buffer_days=options.baseline_buffer_days,
        cover_days=options.baseline_cover_days,
        minimum_order_quantity=setup.moq,
        pack_size=setup.pack,
    )


def replay(
    inputs: ReplayInputs,
    settings: PolicySettings | None = None,
    options: ReplayOptions | None = None,
) -> ReplayOutcome:
    """Replay the proposed policy (rolling forecasts, ``calculate_policy``) and the min/max
    baseline (from average sales) on the same demand and the same lead times."""
    settings = settings or PolicySettings()
    options = options or ReplayOptions()
    setup = _replay_setup(inputs, settings, options)
    service_level = np.broadcast_to(
        np.asarray(inputs.service_level, float), (setup.history.shape[0],)
    ).copy()
    if options.calibrate_days > 0:
        service_level = calibrated_service_level(inputs, settings, options, setup.start)
    estimates = rolling_forecast_estimates(
        setup.history,
        setup.start,
        inputs.days,
        protection_days=protection_days_for(setup.lead, settings),
        method=inputs.method,
        refit_every_days=options.refit_every_days,
        season_length=options.season_length,
        error_window_days=options.error_window_days,
    )
    proposed = policy_from_forecasts(
        estimates,
        setup.lead,
        service_level=service_level,
        settings=replace(
            settings,
            lot_cover_days=options.lot_cover_days,
            service_level_allocation=options.service_level_allocation,
        ),
        unit_cost=inputs.unit_cost,
        lead_time_std_days=setup.lead_std,
        minimum_order_quantity=setup.moq,
        pack_size=setup.pack,
        service_level_group=inputs.service_level_group,
    )
    return ReplayOutcome(
        _replay_policy(setup, inputs, options, proposed),
        baseline_replay(inputs, settings, options, setup=setup),
        estimates,
        service_level,
    )


MIN_CALIBRATION_DAYS = 56
CALIBRATION_ROUNDS = 2  # the second corrects what the first's linear step in z missed
Z_SHIFT_RANGE = (-0.5, 1.5)


def calibrated_service_level(
    inputs: ReplayInputs, settings: PolicySettings, options: ReplayOptions, start: int
) -> FloatArray:
    """(items,) the levels to set so that each group (``service_level_group``, else each
    target) gets its target cycle service level: the policy is replayed over the
    ``options.calibrate_days`` before ``start`` (forecasts and errors from earlier days only)
    and each group's z is shifted by ``z(target) − z(achieved)`` (in all, within
    :data:`Z_SHIFT_RANGE`), :data:`CALIBRATION_ROUNDS` times. The forecast misses' spread
    assumes every decision day is alike; reorders fall after runs of high demand, so cycles
    fail more often than the misses say — the replayed past measures by how much. Too little
    history: the targets unchanged."""
    from scipy import special  # on first use: start-up stays light (ADR 27)

    items = inputs.history.shape[0]
    target = np.broadcast_to(np.asarray(inputs.service_level, float), (items,)).copy()
    days = min(options.calibrate_days, start - options.error_window_days - 1)
    if days < MIN_CALIBRATION_DAYS:
        return target
    labels = target if inputs.service_level_group is None else inputs.service_level_group
    labels = np.broadcast_to(np.asarray(labels), (items,))
    shift = np.zeros(items)
    for _round in range(CALIBRATION_ROUNDS):  # each round one replay of the past
        levels = special.ndtr(special.ndtri(target) + shift)
        past = replace(
            inputs,
            history=np.asarray(inputs.history, float)[:, :start],
            days=days,
            starting_stock=None,
            service_level=np.clip(levels, 0.5, 0.9999),
        )
        outcome = replay(past, settings, replace(options, calibrate_days=0, record_orders=False))
        # A group that finished no cycle in the past (items launched since) borrows the gap
        # of all items of its target: no evidence is not evidence of no bias.
        every = {
            value: _z_gap(outcome.proposed, target, target == value)
            for value in np.unique(target)
            if outcome.proposed.cycles[target == value].sum() > 0
        }
        for label in np.unique(labels):  # a loop over groups, not items
            rows = labels == label
            if outcome.proposed.cycles[rows].sum() > 0:
                step = _z_gap(outcome.proposed, target, rows)
            else:
                step = float(np.mean([every.get(v, 0.0) for v in np.unique(target[rows])]))
            shift[rows] = np.clip(shift[rows] + step, *Z_SHIFT_RANGE)
    shifted = special.ndtr(special.ndtri(target) + shift)
    return np.asarray(np.clip(shifted, 0.5, 0.9999), dtype=np.float64)


def _z_gap(result: SimulationResult, target: FloatArray, rows: NDArray[np.bool_]) -> float:
    """z(mean target) − z(cycle service level achieved) over ``rows``."""
    from scipy import special

    achieved = result.summary(rows)["cycle_service_level"]
    goal = float(target[rows].mean())
    return float(special.ndtri(goal) - special.ndtri(np.clip(achieved, 0.5, 0.9999)))


def baseline_replay(
    inputs: ReplayInputs,
    settings: PolicySettings | None = None,
    options: ReplayOptions | None = None,
    *,
    setup: _ReplaySetup | None = None,
) -> SimulationResult:
    """The min/max baseline alone, as :func:`replay` runs it (same lead-time draws): for
    sweeping ``options.baseline_buffer_days`` without re-fitting any forecast."""
    settings = settings or PolicySettings()
    options = options or ReplayOptions()
    setup = setup or _replay_setup(inputs, settings, options)
    return _replay_policy(setup, inputs, options, _baseline_policy(setup, inputs, options))


def reconstruct_on_hand(
    current_on_hand: ArrayLike,
    net_movements: ArrayLike,
    sales: ArrayLike,
    *,
    net_after: ArrayLike | None = None,
) -> FloatArray:
    """What was really on the shelf: end-of-day on hand (items, days) walked back from today's
    on hand through the stock ledger.

    ``net_movements`` (items, days): the ledger's net change per day (receipts, adjustments,
    transfers, production; sales left out), ``sales`` (items, days) units sold per day from the
    sales history, ``net_after`` (items,) the ledger's and sales' net change after the last
    day up to now. ``on_hand_end[d] = current − Σ_{j > d} (movements[j] − sales[j]) − after``.
    """
    current = np.asarray(current_on_hand, dtype=float)
    net = np.nan_to_num(np.asarray(net_movements, float)) - np.nan_to_num(np.asarray(sales, float))
    after = np.zeros(current.size) if net_after is None else np.asarray(net_after, float)
    # Net change of the days after d: a reversed running sum, shifted by one day.
    later = np.cumsum(net[:, ::-1], axis=1)[:, ::-1] - net
    return cast("NDArray[np.float64]", current[:, None] - after[:, None] - later)


def actual_summary(
    on_hand_end: FloatArray,
    demand: ArrayLike,
    unit_cost: ArrayLike,
    *,
    mask: ArrayLike | None = None,
) -> dict[str, float]:
    """The same headline figures as ``SimulationResult.summary`` for what really happened:
    stockout days are days that ended with nothing on hand; inventory is valued at unit cost."""
    stock = np.maximum(np.asarray(on_hand_end, float), 0.0)
    pick = np.ones(stock.shape[0], bool) if mask is None else np.asarray(mask, bool)
    cost = np.broadcast_to(np.asarray(unit_cost, float), (stock.shape[0],))
    sold = np.nan_to_num(np.asarray(demand, float))
    value = float((stock.mean(axis=1) * cost)[pick].sum()) if stock.shape[1] else 0.0
    days = stock.shape[1]
    cost_of_goods = float((sold.sum(axis=1) * cost)[pick].sum())
    empty = int((on_hand_end[pick] <= 0).sum())
    return {
        "items": int(pick.sum()),
        "days": days,
        "demand_units": float(sold[pick].sum()),
        "stockout_days": empty,
        "stockout_item_day_share": empty / max(int(pick.sum()) * days, 1),
        "average_inventory_value": value,
        "inventory_turns": cost_of_goods * (DAYS_PER_YEAR / max(days, 1)) / value
        if value
        else float("inf"),
    }
