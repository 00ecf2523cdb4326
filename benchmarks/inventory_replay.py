"""Calibration of the replay: does the simulated cycle service level land on its target?

    python benchmarks/inventory_replay.py ../shared/data/demand/store-item-demand/train.csv \
        --days 365 --lead-time 7 --service-levels 0.90 0.95 0.98
    python benchmarks/inventory_replay.py demo --days 365

FILE is a sales CSV of the platform contract (``date,sku,location,quantity``), the store-item
file as it is (``date,store,item,sales``), or ``demo`` for the demo tenant's generator
(``inventory.demo``, pure NumPy, its own lead times, costs, MOQs and pack sizes). The last
``--days`` days are replayed with ``inventory.policy.simulation.replay``: the forecasting
engine's ``--method`` re-fitted every ``--refit`` days on earlier days only, safety stock from
that forecast's own error over the protection period, lost sales. Each policy starts at its
own first order-up-to level. Prints one JSON object: per target the proposed policy's cycle
service level (share of replenishment cycles without a stockout day), fill rate and average
inventory against the min/max baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.policy import PolicySettings
from inventory.policy.simulation import ReplayInputs, ReplayOptions, replay


def load_daily_demand(path: Path) -> np.ndarray:
    """(series, days) array of units sold, missing days as 0."""
    frame = pd.read_csv(path)
    if {"store", "item", "sales"} <= set(frame.columns):
        frame = frame.rename(columns={"store": "location", "item": "sku", "sales": "quantity"})
    table = frame.pivot_table(
        index=["sku", "location"], columns="date", values="quantity", aggfunc="sum"
    )
    return np.nan_to_num(table.to_numpy(dtype=float))


def demo_data(days: int) -> dict[str, np.ndarray]:
    """The demo tenant's daily sales per product × store with its catalogue's parameters."""
    from inventory import demo

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sales", help="a sales CSV, the store-item train.csv, or 'demo'")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--lead-time", type=int, default=7, help="CSV files only")
    parser.add_argument("--method", default="ses")
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
    args = parser.parse_args()

    started = time.perf_counter()
    if args.sales == "demo":
        data = demo_data(730)
    else:
        history = load_daily_demand(Path(args.sales))
        items = history.shape[0]
        data = {
            "history": history,
            "lead_time_days": np.full(items, float(args.lead_time)),
            "unit_cost": np.full(items, args.unit_cost),
            "moq": np.zeros(items),
            "pack_size": np.ones(items),
        }
    load_seconds = time.perf_counter() - started
    items = data["history"].shape[0]
    settings = PolicySettings(
        ordering_cost=args.ordering_cost,
        policy_kind=args.policy_kind,
        review_period_days=args.review_days,
        service_level_kind=args.service_level_kind,
    )
    options = ReplayOptions(
        refit_every_days=args.refit,
        lot_cover_days=args.lot_days,
        lead_time_mode=args.lead_time_mode,
        backorders=args.backorders,
    )

    started = time.perf_counter()
    results = []
    for target in args.service_levels:
        outcome = replay(
            ReplayInputs(
                history=data["history"],
                days=args.days,
                lead_time_days=data["lead_time_days"],
                lead_time_std_days=data["lead_time_days"] * args.lead_time_cv,
                unit_cost=data["unit_cost"],
                service_level=np.full(items, target),
                minimum_order_quantity=data["moq"],
                pack_size=data["pack_size"],
                method=args.method,
            ),
            settings,
            options,
        )
        proposed, baseline = outcome.proposed.summary(), outcome.baseline.summary()
        results.append(
            {
                "target_cycle_service_level": target,
                "cycle_service_level_gap_points": round(
                    100 * (proposed["cycle_service_level"] - target), 2
                ),
                "proposed": rounded(proposed),
                "baseline": rounded(baseline),
                "average_inventory_value_saved_share": round(
                    1 - proposed["average_inventory_value"] / baseline["average_inventory_value"],
                    4,
                ),
                "fill_rate_gain_points": round(
                    100 * (proposed["fill_rate"] - baseline["fill_rate"]), 3
                ),
            }
        )
    print(
        json.dumps(
            {
                "data": args.sales,
                "series": items,
                "replay_days": args.days,
                "method": args.method,
                "refit_every_days": args.refit,
                "policy_kind": args.policy_kind,
                "review_period_days": args.review_days,
                "service_level_kind": args.service_level_kind,
                "lot": "EOQ" if args.lot_days is None else f"{args.lot_days:g} days of demand",
                "ordering_cost": args.ordering_cost,
                "lead_time_mode": args.lead_time_mode,
                "demand": "backorders" if args.backorders else "lost sales",
                "baseline": "min/max from average sales: reorder below L + 7 days of the "
                "91-day average, order up to 30 days more",
                "load_seconds": round(load_seconds, 2),
                "replay_seconds": round(time.perf_counter() - started, 2),
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
