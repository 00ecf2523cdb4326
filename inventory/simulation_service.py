"""The 12-month replay as a service: start a run, execute it, read its results.

``simulation_run_start`` validates the parameters and queues a job; ``simulation_run_execute``
loads, with one query per dataset, the sales of the window and the warm-up before it (a dense
product × location × day array), the products (costs, lead times, MOQ, pack), current stock,
the stock ledger and the tenant's ``InventorySettings``; runs ``inventory.policy.simulation``
(pure NumPy); and writes one result row per product × location with a single
``INSERT … SELECT FROM unnest(…)``. Services act in the active tenant schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from catalog.models import DemandHistory, Product, StockLevel, StockMovement
from core import quotas
from core.audit import audit_status_change
from core.events import emit_event
from core.exceptions import ValidationFailed
from core.jobs import ProgressFn
from core.selectors import active_run, get_or_not_found
from core.services import job_create
from forecasting.engine.methods import FAST_METHODS
from inventory.metrics import inventory_settings_get
from inventory.models import InventorySettings, SimulationItemResult, SimulationRun
from inventory.policy import PolicySettings, abc_classify
from inventory.policy.network import pair_keys
from inventory.policy.simulation import (
    RECOMMENDED,
    ReplayInputs,
    ReplayOptions,
    actual_summary,
    policy_savings,
    reconstruct_on_hand,
    replay,
    summaries_by_class,
)

if TYPE_CHECKING:
    from accounts.models import User
    from inventory.policy.simulation import ForecastEstimates, ReplayOutcome

MAX_WINDOW_DAYS = 730
MIN_WINDOW_DAYS = 7  # a shorter replay holds no full review cycle (the loader refuses it too)
MAX_COVER_DAYS = 365
MAX_STOCKOUT_COST = 1_000_000
MIN_HISTORY_DAYS = 28  # before the window: the first forecast needs something to fit
WARM_UP_DAYS = 182  # history before the window used to learn the forecast's error
# Every fast engine method but theta (too slow to re-fit weekly), and "recommended": each
# item's Test Bed pick on the history before the window (ADR 32).
SIMULATION_METHODS = (*(m for m in FAST_METHODS if m != "theta"), RECOMMENDED)
CLASSES = ("A", "B", "C")


class SimulationInputError(ValidationFailed):
    default_message = "Invalid simulation parameters."


def _check(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise SimulationInputError(message, details={field: [message]})


def simulation_run_active() -> SimulationRun | None:
    """The newest queued or running simulation younger than the stale-job limit (a lost
    worker must not block the tenant for ever)."""
    return cast("SimulationRun | None", active_run(SimulationRun.objects.select_related("job")))


def simulations_prune(cutoff: datetime) -> int:
    """Delete finished simulation runs (and their items) created before ``cutoff``."""
    return (
        SimulationRun.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=(SimulationRun.Status.QUEUED, SimulationRun.Status.RUNNING))
        .delete()[0]
    )


def simulations_today() -> int:
    return SimulationRun.objects.filter(created_at__gte=quotas.day_start()).count()


def simulation_run_start(
    *,
    user: User | None = None,
    window_days: int = 365,
    service_levels: dict[str, float] | None = None,
    demand_mode: str = SimulationRun.DemandMode.LOST_SALES,
    lead_time_mode: str = SimulationRun.LeadTimeMode.FIXED,
    lead_time_cv: float = 0.25,
    refit_every_days: int = 7,
    forecast_method: str = "ses",
    seed: int = 0,
    max_cover_days: int | None = None,
    service_level_allocation: str | None = None,
    stockout_cost: float | None = None,
    enqueue: bool = True,
) -> SimulationRun:
    """Create a queued run (and, with ``enqueue``, its ``inventory_simulation`` job).

    ``service_levels``: cycle service level targets per ABC class (``{"A": 0.98, …}``, each in
    (0.5, 0.999]); classes left out use the tenant's settings. ``max_cover_days``: the lot cap
    in days of mean demand (1–365; 0 = no cap, the plain EOQ; None = the tenant's).
    ``service_level_allocation``: "item" (every item its class target) or "aggregate" (each
    class's target met on average over its cycles, per-item levels by the critical ratio,
    ``allocate_cycle_service_levels``); None = the tenant's setting. ``stockout_cost``: the
    cost of a unit short in the cost comparison (≥ 0); None = the tenant's stockout cost, or
    each item's margin when that is unset (:func:`stockout_cost_per_unit`). Raises
    :class:`SimulationInputError` (400) for bad parameters, before writing anything.
    """
    quotas.quota_enforce_daily("simulations_per_day", used_today=simulations_today())
    levels = service_levels or {}
    _check(
        MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS,
        "window_days",
        f"Must be {MIN_WINDOW_DAYS}–{MAX_WINDOW_DAYS}.",
    )
    _check(set(levels) <= set(CLASSES), "service_levels", "Keys must be A, B or C.")
    for value in levels.values():
        _check(0.5 < float(value) <= 0.999, "service_levels", "Each must be in (0.5, 0.999].")
    _check(demand_mode in SimulationRun.DemandMode.values, "demand_mode", "Unknown demand mode.")
    _check(
        lead_time_mode in SimulationRun.LeadTimeMode.values,
        "lead_time_mode",
        "Unknown lead-time mode.",
    )
    _check(0.0 <= lead_time_cv <= 2.0, "lead_time_cv", "Must be 0–2.")
    _check(1 <= refit_every_days <= 91, "refit_every_days", "Must be 1–91.")
    _check(
        max_cover_days is None
        or (isinstance(max_cover_days, int) and 0 <= max_cover_days <= MAX_COVER_DAYS),
        "max_cover_days",
        f"Must be a whole number 0–{MAX_COVER_DAYS} (0: no cap).",
    )
    if service_level_allocation is None:
        service_level_allocation = inventory_settings_get().service_level_allocation
    _check(
        service_level_allocation in SimulationRun.Allocation.values,
        "service_level_allocation",
        "Must be item or aggregate.",
    )
    _check(
        stockout_cost is None or 0 <= float(stockout_cost) <= MAX_STOCKOUT_COST,
        "stockout_cost",
        f"Must be 0–{MAX_STOCKOUT_COST} per unit short.",
    )
    _check(
        forecast_method in SIMULATION_METHODS,
        "forecast_method",
        f"Must be one of {', '.join(SIMULATION_METHODS)}.",
    )
    with transaction.atomic():
        run = SimulationRun.objects.create(
            window_days=window_days,
            service_level_a=_decimal(levels.get("A")),
            service_level_b=_decimal(levels.get("B")),
            service_level_c=_decimal(levels.get("C")),
            demand_mode=demand_mode,
            lead_time_mode=lead_time_mode,
            lead_time_cv=lead_time_cv,
            refit_every_days=refit_every_days,
            forecast_method=forecast_method,
            seed=seed,
            max_cover_days=max_cover_days,
            service_level_allocation=service_level_allocation,
            stockout_cost=None if stockout_cost is None else Decimal(str(stockout_cost)),
            created_by=user if getattr(user, "pk", None) else None,
        )
        if enqueue:
            run.job = job_create(
                kind="inventory_simulation", params={"simulation_id": run.pk}, user=user
            )
            run.save(update_fields=["job"])
    return run


STOCKOUT_COST_BASES = {
    "run": "set for this simulation",
    "settings": "the tenant's stockout cost (inventory settings)",
    "item_margin": "each item's margin (price − cost; 0 where the price is not above the cost)",
}


def stockout_cost_per_unit(
    *,
    run_cost: Decimal | float | None,
    settings_cost: Decimal | float | None,
    unit_cost: np.ndarray,
    unit_price: np.ndarray,
) -> tuple[np.ndarray, str]:
    """The cost of one unit short per item (items,) and where it came from (a key of
    :data:`STOCKOUT_COST_BASES`): the run's cost, else the tenant's, else the margin lost on a
    sale that did not happen (``max(price − cost, 0)``). Never all-zero by default, so a
    policy that runs out more does not look cheaper than it is (ADR 30)."""
    items = len(unit_cost)
    if run_cost is not None:
        return np.full(items, float(run_cost)), "run"
    if settings_cost is not None:
        return np.full(items, float(settings_cost)), "settings"
    margin = np.nan_to_num(np.asarray(unit_price, float) - np.asarray(unit_cost, float))
    return np.maximum(margin, 0.0), "item_margin"


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 3)))


def simulation_run_execute(*, run_id: int, progress: ProgressFn | None = None) -> SimulationRun:
    """Replay the run's window and store its per-item rows, summary and daily series.

    The window ends on the last day with sales and spans ``window_days`` (fewer when the
    history is shorter: at least ``MIN_HISTORY_DAYS`` must come before it). Fails the run
    (and raises :class:`SimulationInputError`) when there is nothing to replay.
    """
    report: ProgressFn = progress or (lambda percent, message: None)
    started = time.perf_counter()
    run = SimulationRun.objects.get(pk=run_id)
    SimulationRun.objects.filter(pk=run.pk).update(status=SimulationRun.Status.RUNNING, error="")
    try:
        loaded = _load(run, report)
        report(40, "Replaying")
        summary, daily, rows = _replay(run, loaded)
    except Exception as exc:
        message = exc.message if isinstance(exc, SimulationInputError) else type(exc).__name__
        SimulationRun.objects.filter(pk=run.pk).update(
            status=SimulationRun.Status.FAILED, error=message, finished_at=timezone.now()
        )
        audit_status_change(
            SimulationRun,
            run.pk,
            status=SimulationRun.Status.FAILED,
            previous=SimulationRun.Status.RUNNING,
            error=message,
            started_by=run.created_by_id,
        )
        raise
    report(85, "Storing results")
    summary["seconds"] = round(time.perf_counter() - started, 3)
    with transaction.atomic():
        SimulationItemResult.objects.filter(run=run).delete()  # a retried job starts clean
        _insert_items(run.pk, rows)
        SimulationRun.objects.filter(pk=run.pk).update(
            status=SimulationRun.Status.SUCCEEDED,
            window_start=loaded["window_start"],
            window_end=loaded["window_end"],
            summary=summary,
            daily=daily,
            finished_at=timezone.now(),
        )
        audit_status_change(
            SimulationRun,
            run.pk,
            status=SimulationRun.Status.SUCCEEDED,
            previous=SimulationRun.Status.RUNNING,
            started_by=run.created_by_id,
        )
        emit_event("simulation.completed", {"simulation_id": run.pk}, actor=run.created_by_id)
    run.refresh_from_db()
    return run


def _load(run: SimulationRun, report: ProgressFn) -> dict[str, Any]:
    span = DemandHistory.objects.aggregate(first=Min("date"), last=Max("date"))
    earliest_date, last = span["first"], span["last"]
    if last is None:
        raise SimulationInputError(
            "There is no sales history to replay.", details={"sales": ["None loaded."]}
        )
    available = (last - earliest_date).days + 1
    window_days = min(run.window_days, available - MIN_HISTORY_DAYS)
    if window_days < MIN_WINDOW_DAYS:
        raise SimulationInputError(
            f"At least {MIN_HISTORY_DAYS + MIN_WINDOW_DAYS} days of sales history are needed "
            "to replay.",
            details={"sales": [f"{available} days loaded."]},
        )
    window_start = last - timedelta(days=window_days - 1)
    history_start = max(earliest_date, window_start - timedelta(days=WARM_UP_DAYS + 28))
    report(10, "Loading sales")

    products = list(
        Product.objects.filter(is_active=True)
        .order_by("id")
        .values_list("id", "lead_time_days", "moq", "pack_size", "unit_cost", "unit_price")
    )
    product_ids = np.array([p[0] for p in products], dtype=np.int64)
    sales = _sales(history_start, last)
    sales = sales[np.isin(sales["product"], product_ids)]
    keys = pair_keys(sales["product"], sales["location"])
    pairs = np.unique(keys)
    if pairs.size == 0:
        raise SimulationInputError(
            "No active product has sales to replay.", details={"sales": ["None for active."]}
        )
    days = (last - history_start).days + 1
    history = np.zeros((pairs.size, days))
    row = np.searchsorted(pairs, keys)
    history[row, sales["day"]] = sales["quantity"]
    pair_product = pairs >> 32
    product_index = np.searchsorted(product_ids, pair_product)

    def column(position: int, default: float) -> np.ndarray:
        values = np.array(
            [default if p[position] is None else float(p[position]) for p in products], float
        )
        return values[product_index]

    report(25, "Loading stock and ledger")
    offset = (window_start - history_start).days
    on_hand_end = _actual_on_hand(pairs, window_start, last, history[:, offset:])
    return {
        "pairs": pairs,
        "history": history,
        "window_days": window_days,
        "window_start": window_start,
        "window_end": last,
        "history_start": history_start,
        "lead_time": column(1, 0.0),
        "moq": column(2, 0.0),
        "pack": np.maximum(column(3, 1.0), 0.0),
        "unit_cost": column(4, 0.0),
        "unit_price": column(5, 0.0),
        "on_hand_end": on_hand_end,
        "settings": inventory_settings_get(),
    }


def _sales(start: date, end: date) -> np.ndarray:
    """One query: every sale from ``start`` to ``end`` as (product, location, day, quantity)."""
    table = DemandHistory._meta.db_table
    sql = f"""
        SELECT product_id, location_id, date - %(start)s, quantity::float8
        FROM {table} WHERE date >= %(start)s AND date <= %(end)s
    """  # noqa: S608 (table name from the model, values bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end})
        rows = cursor.fetchall()
    dtype = [("product", np.int64), ("location", np.int64), ("day", np.int64), ("quantity", float)]
    return np.array(rows, dtype=dtype) if rows else np.zeros(0, dtype=dtype)


def _actual_on_hand(
    pairs: np.ndarray, window_start: date, window_end: date, sales: np.ndarray
) -> np.ndarray | None:
    """End-of-day on hand over the window from today's stock walked back through the ledger
    (sale movements left out: the sales history counts them), or None without a ledger.

    Only pairs whose ledger began before the window are known; the others are NaN rows. (A
    ledger that starts later — stock first imported after the window — would read as if every
    later sale had been on the shelf all along.)"""
    table = StockMovement._meta.db_table
    with connection.cursor() as cursor:
        # One query: the stock levels whose ledger began before the window.
        cursor.execute(
            f"SELECT s.product_id, s.location_id, s.on_hand FROM {StockLevel._meta.db_table} s "  # noqa: S608
            f"JOIN (SELECT product_id, location_id FROM {table} GROUP BY 1, 2 "
            "HAVING MIN(occurred_at) < %s) c USING (product_id, location_id)",
            [window_start],
        )
        levels = cursor.fetchall()
    if not levels:
        return None
    sql = f"""
        SELECT product_id, location_id,
               LEAST((occurred_at AT TIME ZONE 'UTC')::date - %(start)s, %(after)s),
               SUM(quantity)::float8
        FROM {table}
        WHERE occurred_at >= %(start)s AND kind <> %(sale)s
        GROUP BY 1, 2, 3
    """  # noqa: S608 (table name from the model, values bound)
    window = (window_end - window_start).days + 1
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"start": window_start, "after": window, "sale": StockMovement.Kind.SALE}
        )
        movements = cursor.fetchall()
    current = np.full(pairs.size, np.nan)  # NaN: no stock level, so no history to walk
    level_keys = pair_keys(
        np.array([lv[0] for lv in levels], np.int64), np.array([lv[1] for lv in levels], np.int64)
    )
    known = np.isin(level_keys, pairs)
    current[np.searchsorted(pairs, level_keys[known])] = [
        float(lv[2]) for lv, k in zip(levels, known, strict=True) if k
    ]
    net = np.zeros((pairs.size, window + 1))  # the last column: after the window
    if movements:
        keys = pair_keys(
            np.array([m[0] for m in movements], np.int64),
            np.array([m[1] for m in movements], np.int64),
        )
        inside = np.isin(keys, pairs)
        np.add.at(
            net,
            (
                np.searchsorted(pairs, keys[inside]),
                np.array([m[2] for m in movements], np.int64)[inside],
            ),
            np.array([m[3] for m in movements], float)[inside],
        )
    # Sales after the window end: none (the window ends on the last day with sales).
    return reconstruct_on_hand(current, net[:, :window], sales, net_after=net[:, window])


def _replay(
    run: SimulationRun, loaded: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    settings: InventorySettings = loaded["settings"]
    history = loaded["history"]
    days = loaded["window_days"]
    offset = history.shape[1] - days
    unit_cost = loaded["unit_cost"]
    # ABC from what was known when the window began (the history before it).
    known = history[:, :offset]
    measure = known.sum(axis=1)
    if settings.abc_measure == InventorySettings.AbcMeasure.REVENUE:
        measure = measure * loaded["unit_price"]
    shares = (settings.abc_share_a / 100, settings.abc_share_b / 100, settings.abc_share_c / 100)
    abc = abc_classify(measure, shares)
    targets = {
        "A": float(run.service_level_a or settings.service_level_a),
        "B": float(run.service_level_b or settings.service_level_b),
        "C": float(run.service_level_c or settings.service_level_c),
    }
    service_level = np.select([abc == c for c in CLASSES], [targets[c] for c in CLASSES])
    lead = loaded["lead_time"]
    cap = settings.max_cover_days if run.max_cover_days is None else run.max_cover_days
    policy_settings = PolicySettings(
        review_period_days=float(settings.review_period_days),
        holding_cost_rate=float(settings.holding_cost_rate),
        ordering_cost=float(settings.ordering_cost),
        max_cover_days=float(cap) if cap else None,  # 0 / NULL: the plain EOQ
    )
    stockout_cost, stockout_basis = stockout_cost_per_unit(
        run_cost=run.stockout_cost,
        settings_cost=settings.stockout_cost,
        unit_cost=unit_cost,
        unit_price=loaded["unit_price"],
    )
    outcome = replay(
        ReplayInputs(
            history=history,
            days=days,
            lead_time_days=lead,
            lead_time_std_days=lead * run.lead_time_cv,
            unit_cost=unit_cost,
            service_level=service_level,
            minimum_order_quantity=loaded["moq"],
            pack_size=loaded["pack"],
            stockout_cost_per_unit=stockout_cost,
            method=run.forecast_method,
            service_level_group=abc,
        ),
        policy_settings,
        ReplayOptions(
            backorders=run.demand_mode == SimulationRun.DemandMode.BACKORDERS,
            lead_time_mode=run.lead_time_mode,
            refit_every_days=run.refit_every_days,
            seed=run.seed,
            service_level_allocation=run.service_level_allocation,
        ),
    )
    window = history[:, offset:]
    on_hand_end = loaded["on_hand_end"]
    actual: dict[str, Any] | None = None
    if on_hand_end is not None:
        known = ~np.isnan(on_hand_end[:, 0])
        stock = np.nan_to_num(on_hand_end)
        actual = {"all": actual_summary(stock, window, unit_cost, mask=known)}
        for label in sorted(set(abc.tolist())):
            actual[label] = actual_summary(stock, window, unit_cost, mask=known & (abc == label))
    proposed = summaries_by_class(outcome.proposed, abc)
    baseline = summaries_by_class(outcome.baseline, abc)
    savings = policy_savings(baseline["all"], proposed["all"])
    summary = _json_safe(
        {
            "window": {
                "start": loaded["window_start"].isoformat(),
                "end": loaded["window_end"].isoformat(),
                "days": days,
            },
            "items": int(history.shape[0]),
            "targets": targets,
            "stockout_cost": {
                "basis": stockout_basis,
                "mean_per_unit": round(float(stockout_cost.mean()), 4) if stockout_cost.size else 0,
                "per_unit": None if stockout_basis == "item_margin" else float(stockout_cost[0]),
            },
            "max_cover_days": cap or None,
            "service_level_allocation": run.service_level_allocation,
            "forecast_method": run.forecast_method,
            "forecast_methods_used": _methods_used(outcome.estimates),
            "cycle_service_level_definition": "share of replenishment cycles (receipt to "
            "receipt) without a stockout day",
            "proposed": proposed,
            "baseline": baseline,
            "actual": actual,
            "savings": savings,
        }
    )
    dates = [(loaded["window_start"] + timedelta(days=d)).isoformat() for d in range(days)]
    actual_value = (
        None
        if on_hand_end is None
        else np.round(np.maximum(np.nan_to_num(on_hand_end), 0.0).T @ unit_cost, 2).tolist()
    )
    daily = {
        "dates": dates,
        "proposed_inventory_value": np.round(outcome.proposed.daily_inventory_value, 2).tolist(),
        "baseline_inventory_value": np.round(outcome.baseline.daily_inventory_value, 2).tolist(),
        "actual_inventory_value": actual_value,
        "proposed_stockouts": np.asarray(outcome.proposed.daily_stockouts).tolist(),
        "baseline_stockouts": np.asarray(outcome.baseline.daily_stockouts).tolist(),
        "actual_stockouts": None
        if on_hand_end is None
        else (on_hand_end <= 0).sum(axis=0).astype(int).tolist(),  # NaN rows never count
    }
    rows = _item_rows(loaded, abc, service_level, outcome, on_hand_end, window)
    return summary, daily, rows


def _methods_used(estimates: ForecastEstimates) -> dict[str, float]:
    """Share of item × re-fit decisions taken with each forecasting method."""
    index = estimates.method_index
    if index is None or not estimates.method_names:
        return {}
    counts = np.bincount(index.ravel(), minlength=len(estimates.method_names))
    return {
        name: round(float(count) / max(index.size, 1), 4)
        for name, count in zip(estimates.method_names, counts, strict=True)
    }


def _item_rows(
    loaded: dict[str, Any],
    abc: np.ndarray,
    service_level: np.ndarray,
    outcome: ReplayOutcome,
    on_hand_end: np.ndarray | None,
    window: np.ndarray,
) -> dict[str, Any]:
    pairs = loaded["pairs"]
    p, b = outcome.proposed, outcome.baseline
    unit_cost = loaded["unit_cost"]
    if on_hand_end is None:
        actual_days: list[Any] = [None] * pairs.size
        actual_value: list[Any] = [None] * pairs.size
    else:
        known = ~np.isnan(on_hand_end[:, 0])
        days = (on_hand_end <= 0).sum(axis=1)
        value = np.maximum(on_hand_end, 0.0).mean(axis=1) * unit_cost
        actual_days = [int(d) if k else None for d, k in zip(days, known, strict=True)]
        actual_value = [float(v) if k else None for v, k in zip(value, known, strict=True)]
    return {
        "product_id": ("int8", (pairs >> 32).tolist()),
        "location_id": ("int8", (pairs & 0xFFFFFFFF).tolist()),
        "abc_class": ("text", abc.tolist()),
        "service_level_target": ("float8", service_level.tolist()),
        "demand_units": ("float8", p.demand_units.tolist()),
        "policy_stockout_days": ("int4", p.stockout_days.tolist()),
        "policy_stockout_units": ("float8", p.short_units.tolist()),
        "policy_fill_rate": ("float8", _nullable(p.fill_rate)),
        "policy_cycle_service_level": ("float8", p.cycle_service_level.tolist()),
        "policy_average_inventory_value": ("float8", (p.average_on_hand * unit_cost).tolist()),
        "policy_orders_placed": ("int4", p.orders_placed.tolist()),
        "policy_holding_cost": ("float8", p.holding_cost.tolist()),
        "policy_ordering_cost": ("float8", p.ordering_cost.tolist()),
        "policy_stockout_cost": ("float8", p.stockout_cost.tolist()),
        "baseline_stockout_days": ("int4", b.stockout_days.tolist()),
        "baseline_stockout_units": ("float8", b.short_units.tolist()),
        "baseline_fill_rate": ("float8", _nullable(b.fill_rate)),
        "baseline_cycle_service_level": ("float8", b.cycle_service_level.tolist()),
        "baseline_average_inventory_value": ("float8", (b.average_on_hand * unit_cost).tolist()),
        "baseline_orders_placed": ("int4", b.orders_placed.tolist()),
        "baseline_total_cost": (
            "float8",
            (b.holding_cost + b.ordering_cost + b.stockout_cost).tolist(),
        ),
        "actual_stockout_days": ("int4", actual_days),
        "actual_average_inventory_value": ("float8", actual_value),
    }


def _insert_items(run_id: int, columns: dict[str, tuple[str, list[Any]]]) -> None:
    """All result rows of a run in one ``INSERT … SELECT FROM unnest(…)``."""
    table = SimulationItemResult._meta.db_table
    names = list(columns)
    unnest = ", ".join(f"%s::{kind}[]" for kind, _ in columns.values())
    sql = f"""
        INSERT INTO {table} (run_id, {", ".join(names)})
        SELECT %s, * FROM unnest({unnest})
    """  # noqa: S608 (identifiers from the model, values bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id, *(values for _, values in columns.values())])


def _nullable(values: np.ndarray) -> list[float | None]:
    # numpy's stubs take no None as a scalar of np.where (it makes an object array)
    nullable: list[float | None] = np.where(  # type: ignore[call-overload]
        np.isfinite(values), values, None
    ).tolist()
    return nullable


def _json_safe(value: Any) -> Any:
    """NaN and ±inf become None (JSON has neither); NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# --- Reads -------------------------------------------------------------------------------------


def simulation_run_list(*, user: User) -> QuerySet[SimulationRun]:
    """Runs of the tenant with their creator (one query for any page size)."""
    return SimulationRun.objects.select_related("created_by").defer("daily")


def access_simulation_run(*, user: User, run_id: Any) -> SimulationRun:
    return cast(
        "SimulationRun",
        get_or_not_found(
            SimulationRun.objects.select_related("created_by"), "No such simulation.", pk=run_id
        ),
    )


def simulation_item_list(
    *, user: User, run: SimulationRun, abc_class: str | None = None
) -> QuerySet[SimulationItemResult]:
    """A run's per-item rows with product and location, optionally one ABC class."""
    rows = SimulationItemResult.objects.filter(run=run).select_related("product", "location")
    if abc_class:
        rows = rows.filter(abc_class=abc_class)
    return rows.order_by("product__sku", "location__code")


EXPORT_COLUMNS = (
    ("sku", "product__sku"),
    ("location", "location__code"),
    ("abc_class", "abc_class"),
    ("service_level_target", "service_level_target"),
    ("demand_units", "demand_units"),
    ("policy_stockout_days", "policy_stockout_days"),
    ("policy_stockout_units", "policy_stockout_units"),
    ("policy_fill_rate", "policy_fill_rate"),
    ("policy_cycle_service_level", "policy_cycle_service_level"),
    ("policy_average_inventory_value", "policy_average_inventory_value"),
    ("policy_orders_placed", "policy_orders_placed"),
    ("policy_holding_cost", "policy_holding_cost"),
    ("policy_ordering_cost", "policy_ordering_cost"),
    ("policy_stockout_cost", "policy_stockout_cost"),
    ("baseline_stockout_days", "baseline_stockout_days"),
    ("baseline_stockout_units", "baseline_stockout_units"),
    ("baseline_fill_rate", "baseline_fill_rate"),
    ("baseline_cycle_service_level", "baseline_cycle_service_level"),
    ("baseline_average_inventory_value", "baseline_average_inventory_value"),
    ("baseline_orders_placed", "baseline_orders_placed"),
    ("baseline_total_cost", "baseline_total_cost"),
    ("actual_stockout_days", "actual_stockout_days"),
    ("actual_average_inventory_value", "actual_average_inventory_value"),
)


def simulation_export_rows(*, user: User, run: SimulationRun) -> Iterator[tuple[Any, ...]]:
    """The per-item table as value tuples in ``EXPORT_COLUMNS`` order (a streamed query)."""
    return (
        simulation_item_list(user=user, run=run)
        .values_list(*(source for _, source in EXPORT_COLUMNS))
        .iterator(chunk_size=5000)
    )
