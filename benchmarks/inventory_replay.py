"""Calibration of the replay: does the simulated cycle service level land on its target?

    python benchmarks/inventory_replay.py ../shared/data/demand/store-item-demand/train.csv \
        --days 365 --lead-time 7 --service-levels 0.90 0.95 0.98
    python benchmarks/inventory_replay.py demo --days 365

FILE is a sales CSV of the platform contract (``date,sku,location,quantity``), the store-item
file as it is (``date,store,item,sales``), or ``demo`` for the demo tenant's generator
(``demo.catalogue``, pure NumPy, its own lead times, costs, MOQs and pack sizes). The last
``--days`` days are replayed with ``inventory.policy.simulation.replay``: the forecasting
engine's ``--method`` re-fitted every ``--refit`` days on earlier days only, safety stock from
that forecast's own error over the protection period, lost sales, EOQ lots capped at
``--max-cover-days`` (30, the tenant default; ``none`` for the plain EOQ). Each policy starts
at its own first order-up-to level. Prints one JSON object: per target the proposed policy's
cycle service level (share of replenishment cycles without a stockout day), fill rate and
average inventory against the min/max baseline; and the equal-fill-rate comparison: the
policy replayed over ``--frontier`` targets (its fill rate / inventory frontier), the
inventory it needs at the baseline's fill rate (interpolated along the frontier) and the fill
rate it reaches with the baseline's inventory; and the other way round, per target: the
baseline replayed over ``--baseline-buffers`` safety days (its own frontier) and the
inventory it needs for the policy's fill rate (``baseline_at_equal_fill_rate``).

Censored demand (ADR 32): a sales file's ``stockout`` column (true/false/1/0/yes/no) and, with
neither flag, implausible zero runs (the forecasting engine's ``cleaning.censor``) mark
stockout days; they are missing, not zero demand: filled from the same weekdays around them
before the replay, so the forecasts, their errors and the replayed demand are of the demand
that existed (``--stockouts none``: the raw sales, as before). Results carry the cycle service
level per demand class (``results[].proposed.by_class``): the ``classes.csv`` next to the sales
file (``benchmarks/demand_mix.py`` writes one) or ``--classes FILE``, else the engine's demand
patterns. ``--method recommended`` forecasts each series with its Test Bed pick on the days
before the window.

ADR 44: an item first sold inside the window counts its cycles from its first receipt on or
after that sale (``simulate(launch_day=)``); the targets are calibrated on up to a year before
the window (``--calibrate-days 364``: a half-year of a seasonal series learns the season);
``demo`` generates 912 days (``--demo-days``) so that a year precedes the window's warm-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.engine.classification import classify
from forecasting.engine.cleaning import censor
from inventory.policy import PolicySettings
from inventory.policy.simulation import (
    RECOMMENDED,
    SERVICE_LEVEL_ALLOCATIONS,
    ReplayInputs,
    ReplayOptions,
    baseline_replay,
    recommended_methods,
    replay,
)


def load_daily_demand(path: Path) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """(series, days) units sold (missing days 0), the series names ``sku@location`` and,
    when the file has a ``stockout`` column, its ``stockout`` / ``in_stock`` day masks."""
    frame = pd.read_csv(path, dtype={"stockout": str}, keep_default_na=False)
    if {"store", "item", "sales"} <= set(frame.columns):
        frame = frame.rename(columns={"store": "location", "item": "sku", "sales": "quantity"})
    frame["quantity"] = pd.to_numeric(frame["quantity"])
    table = frame.pivot_table(
        index=["sku", "location"], columns="date", values="quantity", aggfunc="sum"
    )
    names = [f"{sku}@{location}" for sku, location in table.index]
    flags: dict[str, np.ndarray] = {}
    if "stockout" in frame.columns:
        spelled = frame["stockout"].astype(str).str.strip().str.lower()
        for key, words in (("stockout", ("true", "1", "yes")), ("in_stock", ("false", "0", "no"))):
            marked = frame.assign(flag=spelled.isin(words).astype(float)).pivot_table(
                index=["sku", "location"], columns="date", values="flag", aggfunc="max"
            )
            marked = marked.reindex(index=table.index, columns=table.columns)
            flags[key] = np.nan_to_num(marked.to_numpy(dtype=float)) > 0
    return np.nan_to_num(table.to_numpy(dtype=float)), names, flags


def load_classes(path: Path, names: list[str]) -> np.ndarray:
    """The class of each series from ``sku,location,class`` ("unknown" where absent)."""
    frame = pd.read_csv(path, dtype=str)
    known = {
        f"{sku}@{loc}": c
        for sku, loc, c in zip(frame.sku, frame.location, frame["class"], strict=True)
    }
    return np.array([known.get(name, "unknown") for name in names], dtype=object)


def by_class(result, classes: np.ndarray) -> dict[str, dict[str, float]]:
    """Cycle service level, fill rate and items per class of a replay result."""
    out = {}
    for label in sorted(set(classes.tolist())):
        rows = classes == label
        summary = result.summary(rows)
        out[str(label)] = {
            "items": int(rows.sum()),
            "cycle_service_level": round(summary["cycle_service_level"], 4),
            "fill_rate": round(summary["fill_rate"], 4),
        }
    return out


def demo_data(days: int) -> dict[str, np.ndarray]:
    """The demo tenant's daily sales per product × store with its catalogue's parameters."""
    from demo import catalogue as demo

    catalogue = demo.catalogue_build()
    sales = demo.sales_generate(catalogue, end=date(2026, 11, 30), days=days)
    products, stores, _ = sales.quantity.shape
    index = {sku: i for i, sku in enumerate(catalogue.sku)}
    rows = np.repeat([index[s] for s in sales.skus], stores)
    return {
        "history": sales.quantity.reshape(products * stores, -1).astype(float),
        "lead_time_days": catalogue.lead_time_days[rows].astype(float),
        "unit_cost": catalogue.unit_cost[rows].astype(float),
        "moq": catalogue.moq[rows].astype(float),
        "pack_size": catalogue.pack_size[rows].astype(float),
    }


def rounded(summary: dict[str, float]) -> dict[str, float]:
    keep = (
        "cycle_service_level",
        "fill_rate",
        "stockout_days",
        "average_inventory_units",
        "average_inventory_value",
        "inventory_turns",
        "orders_placed",
        "total_cost",
    )
    return {key: round(summary[key], 4) for key in keep}


def equal_fill_rate_comparison(run, targets: list[float]) -> dict[str, object]:
    """Replay the policy at every target and read its frontier at the baseline's point.

    Fill rate and inventory both rise with the target, so the frontier is a curve of
    (fill rate, inventory value); the inventory the policy needs for the baseline's fill rate
    is interpolated along it (None when no swept target reaches it), and so is the fill rate
    it gets from the baseline's inventory."""
    points = []
    baseline: dict[str, float] = {}
    for target in sorted(targets):
        proposed, baseline = run(target)
        points.append(
            {
                "target": target,
                "cycle_service_level": round(proposed["cycle_service_level"], 4),
                "fill_rate": round(proposed["fill_rate"], 5),
                "inventory_vs_baseline": round(
                    proposed["average_inventory_value"] / baseline["average_inventory_value"], 4
                ),
                "total_cost_vs_baseline": round(proposed["total_cost"] / baseline["total_cost"], 4),
            }
        )
    fill = np.maximum.accumulate([p["fill_rate"] for p in points])  # monotone for np.interp
    inventory = np.maximum.accumulate([p["inventory_vs_baseline"] for p in points])
    goal = round(baseline["fill_rate"], 5)
    # Between the last swept point below the baseline's fill rate and the first at or above it
    # (at the lowest target already: that point's inventory, an upper bound).
    above = np.flatnonzero(fill >= goal)
    needed = None
    if above.size:
        first = int(above[0])
        needed = float(inventory[first])
        if first > 0 and fill[first] > fill[first - 1]:
            share = (goal - fill[first - 1]) / (fill[first] - fill[first - 1])
            needed = float(inventory[first - 1] + share * (inventory[first] - inventory[first - 1]))
    enough = next((p for p in points if p["fill_rate"] >= goal), None)
    return {
        "baseline_fill_rate": goal,
        "baseline_cycle_service_level": round(baseline["cycle_service_level"], 4),
        "inventory_vs_baseline_at_baseline_fill_rate": None if needed is None else round(needed, 4),
        "fill_rate_at_baseline_inventory": round(float(np.interp(1.0, inventory, fill)), 5)
        if inventory[0] <= 1.0 <= inventory[-1]
        else None,
        "lowest_target_reaching_baseline_fill_rate": enough,
        "frontier": points,
    }


def baseline_at_fill_rate(frontier: list[dict[str, float]], fill_rate: float) -> dict | None:
    """The baseline's inventory (and buffer) for ``fill_rate``, interpolated along its own
    frontier (buffer days swept); None outside the sweep (above its highest fill rate, or at
    or below its lowest, where only an upper bound is known)."""
    fill = np.maximum.accumulate([p["fill_rate"] for p in frontier])
    inventory = np.maximum.accumulate([p["average_inventory_value"] for p in frontier])
    buffer = [p["buffer_days"] for p in frontier]
    if fill_rate > fill[-1] or fill_rate <= fill[0]:
        return None  # beyond the sweep (at or below its first point only a bound is known)
    # np.interp wants increasing x: drop the flat steps of the accumulated fill rate.
    keep = np.concatenate([[True], np.diff(fill) > 0])
    return {
        "buffer_days": round(float(np.interp(fill_rate, fill[keep], np.asarray(buffer)[keep])), 2),
        "average_inventory_value": round(
            float(np.interp(fill_rate, fill[keep], inventory[keep])), 2
        ),
    }


# The farthest the baseline's sweep is extended (safety days) to serve a policy's fill rate.
MAX_BASELINE_BUFFER_DAYS = 800.0


def extend_baseline_frontier(
    frontier: list[dict[str, float]],
    fill_rate: float,
    run_baseline: Callable[[float], dict[str, float]],
) -> None:
    """Sweep the baseline further (its largest safety days doubled, up to
    :data:`MAX_BASELINE_BUFFER_DAYS`) until it serves ``fill_rate``, so the policy at a high
    target still gets ``baseline_at_equal_fill_rate``."""
    while (
        frontier
        and max(p["fill_rate"] for p in frontier) < fill_rate
        and frontier[-1]["buffer_days"] < MAX_BASELINE_BUFFER_DAYS
    ):
        wider = min(2 * max(frontier[-1]["buffer_days"], 1.0), MAX_BASELINE_BUFFER_DAYS)
        frontier.append(run_baseline(wider))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sales", help="a sales CSV, the store-item train.csv, or 'demo'")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--lead-time", type=int, default=7, help="CSV files only")
    parser.add_argument("--method", default="ses", help="an engine method or 'recommended'")
    parser.add_argument("--classes", type=Path, help="sku,location,class per series")
    parser.add_argument(
        "--calibrate-days",
        type=int,
        default=364,
        help="replay this many days before the window to calibrate the targets (0: off); "
        "a whole year balances the seasons, a shorter history calibrates on what it has",
    )
    parser.add_argument(
        "--stockouts",
        choices=("censor", "none"),
        default="censor",
        help="censor: stockout days (file column, else inferred) are missing demand",
    )
    parser.add_argument(
        "--groups",
        choices=("target", "pattern"),
        default="target",
        help="service-level groups of the allocation and calibration: all items of a target, "
        "or the engine's demand pattern of the days before the window",
    )
    parser.add_argument(
        "--demo-days",
        type=int,
        default=912,
        help="demo: days of history generated (912: a year to calibrate on before the window)",
    )
    parser.add_argument("--refit", type=int, default=7)
    parser.add_argument("--policy-kind", default="reorder_point")
    parser.add_argument("--review-days", type=float, default=1.0)
    parser.add_argument("--service-level-kind", choices=("cycle", "fill_rate"), default="cycle")
    parser.add_argument(
        "--lot-days", type=float, default=None, help="lots of N days of demand instead of EOQ"
    )
    parser.add_argument("--service-levels", type=float, nargs="+", default=[0.90, 0.95, 0.98])
    parser.add_argument("--unit-cost", type=float, default=10.0, help="CSV files only")
    parser.add_argument("--lead-time-mode", choices=("fixed", "sampled"), default="fixed")
    parser.add_argument("--lead-time-cv", type=float, default=0.25, help="sampled: std / mean")
    parser.add_argument("--backorders", action="store_true", help="default: lost sales")
    parser.add_argument("--ordering-cost", type=float, default=50.0)
    parser.add_argument(
        "--max-cover-days",
        type=lambda v: None if v == "none" else float(v),
        default=30.0,
        help="cap on the lot in days of demand ('none': plain EOQ)",
    )
    parser.add_argument(
        "--allocation",
        choices=SERVICE_LEVEL_ALLOCATIONS,
        default="aggregate",
        help="'aggregate' (the tenant default): per-item levels meeting the target on average "
        "over the cycles; 'item': every item the target",
    )
    parser.add_argument(
        "--baseline-buffers",
        type=float,
        nargs="*",
        default=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 21, 25, 30, 40, 50],
        help="safety days swept for the baseline's own frontier (none: skip it); extended "
        "by doubling when a target's fill rate lies beyond it",
    )
    parser.add_argument(
        "--frontier",
        type=float,
        nargs="*",
        default=[0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999],
        help="targets swept for the equal-fill-rate comparison (none: skip it)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    if args.sales == "demo":
        data = demo_data(args.demo_days)
    else:
        history, names, flags = load_daily_demand(Path(args.sales))
        items = history.shape[0]
        censored_days = 0
        if args.stockouts == "censor":
            history, mask = censor(history, flags.get("stockout"), flags.get("in_stock"))
            censored_days = int(mask.sum())
        classes_file = args.classes or Path(args.sales).with_name("classes.csv")
        classes = load_classes(classes_file, names) if classes_file.exists() else None
        data = {
            "history": history,
            "lead_time_days": np.full(items, float(args.lead_time)),
            "unit_cost": np.full(items, args.unit_cost),
            "moq": np.zeros(items),
            "pack_size": np.ones(items),
        }
    if args.sales == "demo":
        censored_days, classes = 0, None
    if classes is None:  # the engine's demand patterns of the days before the window
        history_before = data["history"][:, : data["history"].shape[1] - args.days]
        classes = np.asarray(classify(history_before).pattern, dtype=object)
    picks = None
    if args.method == RECOMMENDED:  # once, not per target: the days before the window only
        picks = recommended_methods(data["history"][:, : data["history"].shape[1] - args.days])
    groups = None
    if args.groups == "pattern":
        before = data["history"][:, : data["history"].shape[1] - args.days]
        groups = np.asarray(classify(before).pattern, dtype=object)
    load_seconds = time.perf_counter() - started
    items = data["history"].shape[0]
    settings = PolicySettings(
        ordering_cost=args.ordering_cost,
        policy_kind=args.policy_kind,
        review_period_days=args.review_days,
        service_level_kind=args.service_level_kind,
        max_cover_days=args.max_cover_days,
    )
    options = ReplayOptions(
        service_level_allocation=args.allocation,
        refit_every_days=args.refit,
        calibrate_days=args.calibrate_days,
        lot_cover_days=args.lot_days,
        lead_time_mode=args.lead_time_mode,
        backorders=args.backorders,
    )

    def inputs_at(target: float) -> ReplayInputs:
        return ReplayInputs(
            history=data["history"],
            days=args.days,
            lead_time_days=data["lead_time_days"],
            lead_time_std_days=data["lead_time_days"] * args.lead_time_cv,
            unit_cost=data["unit_cost"],
            service_level=np.full(items, target),
            minimum_order_quantity=data["moq"],
            pack_size=data["pack_size"],
            method=args.method if picks is None else picks,
            service_level_group=groups,
        )

    classed: dict[float, dict[str, dict[str, float]]] = {}

    def run(target: float) -> tuple[dict[str, float], dict[str, float]]:
        outcome = replay(inputs_at(target), settings, options)
        classed[target] = by_class(outcome.proposed, classes)
        if outcome.service_level is not None:
            classed[target]["calibrated_level"] = round(float(outcome.service_level.mean()), 4)
        return outcome.proposed.summary(), outcome.baseline.summary()

    def run_baseline(buffer_days: float) -> dict[str, float]:
        swept = replace(options, baseline_buffer_days=buffer_days)
        # The target is not read by the baseline.
        summary = baseline_replay(inputs_at(0.95), settings, swept).summary()
        # The fill rate unrounded: the policy's is compared with it.
        return {"buffer_days": buffer_days, **rounded(summary), "fill_rate": summary["fill_rate"]}

    started = time.perf_counter()
    baseline_frontier = [run_baseline(b) for b in sorted(args.baseline_buffers or [])]
    baseline_seconds = time.perf_counter() - started
    started = time.perf_counter()
    results = []
    for target in args.service_levels:
        proposed, baseline = run(target)
        results.append(
            {
                "target_cycle_service_level": target,
                "cycle_service_level_gap_points": round(
                    100 * (proposed["cycle_service_level"] - target), 2
                ),
                "proposed": {**rounded(proposed), "by_class": classed[target]},
                "baseline": rounded(baseline),
                "average_inventory_value_saved_share": round(
                    1 - proposed["average_inventory_value"] / baseline["average_inventory_value"],
                    4,
                ),
                "fill_rate_gain_points": round(
                    100 * (proposed["fill_rate"] - baseline["fill_rate"]), 3
                ),
                "total_cost_saved_share": round(
                    1 - proposed["total_cost"] / baseline["total_cost"], 4
                ),
                "meets_goal": bool(
                    proposed["fill_rate"] >= baseline["fill_rate"]
                    and proposed["average_inventory_value"] < baseline["average_inventory_value"]
                    and abs(proposed["cycle_service_level"] - target) <= 0.02
                ),
            }
        )
        # The same goal against the baseline given the policy's fill rate (its safety days
        # raised or lowered along its own frontier until it serves as much).
        wall = time.perf_counter()
        extend_baseline_frontier(baseline_frontier, proposed["fill_rate"], run_baseline)
        baseline_seconds += time.perf_counter() - wall
        matched = (
            baseline_at_fill_rate(baseline_frontier, proposed["fill_rate"])
            if baseline_frontier
            else None
        )
        if matched is not None:
            ratio = proposed["average_inventory_value"] / matched["average_inventory_value"]
            results[-1]["baseline_at_equal_fill_rate"] = {
                **matched,
                "inventory_vs_baseline": round(ratio, 4),
                "meets_goal": bool(abs(proposed["cycle_service_level"] - target) <= 0.02)
                and ratio < 1.0,
            }
    frontier_seconds = time.perf_counter()
    equal_fill_rate = equal_fill_rate_comparison(run, args.frontier) if args.frontier else None
    frontier_seconds = time.perf_counter() - frontier_seconds
    print(
        json.dumps(
            {
                "data": args.sales,
                "series": items,
                "replay_days": args.days,
                "method": args.method,
                "methods_used": None
                if picks is None
                else dict(Counter(picks.tolist()).most_common()),
                "stockouts": args.stockouts,
                "censored_days": censored_days,
                "refit_every_days": args.refit,
                "calibrate_days": args.calibrate_days,
                "policy_kind": args.policy_kind,
                "review_period_days": args.review_days,
                "service_level_kind": args.service_level_kind,
                "lot": "EOQ" if args.lot_days is None else f"{args.lot_days:g} days of demand",
                "ordering_cost": args.ordering_cost,
                "max_cover_days": args.max_cover_days,
                "service_level_allocation": args.allocation,
                "lead_time_mode": args.lead_time_mode,
                "demand": "backorders" if args.backorders else "lost sales",
                "baseline": "min/max from average sales: reorder below L + 7 days of the "
                "91-day average, order up to 30 days more",
                "load_seconds": round(load_seconds, 2),
                "replay_seconds": round(time.perf_counter() - started - frontier_seconds, 2),
                "results": results,
                "equal_fill_rate": equal_fill_rate,
                "frontier_seconds": round(frontier_seconds, 2),
                "baseline_frontier": baseline_frontier,
                "baseline_frontier_seconds": round(baseline_seconds, 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
