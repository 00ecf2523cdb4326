"""Replay the proposed inventory policy and the days-of-cover baseline on real daily history.

    python benchmarks/inventory_replay.py ../shared/data/demand/store-item-demand/train.csv \
        --days 365 --lead-time 7 --service-levels 0.90 0.95 0.98

FILE is a sales CSV of the platform contract (``date,sku,location,quantity``) or the
store-item file as it is (``date,store,item,sales``). The last ``--days`` days are replayed; the
policy sees only earlier days (moving-average forecast re-fitted weekly, no look-ahead). Each
policy starts at its own first order-up-to level. Lost sales. Prints one JSON object: per target
the proposed policy's cycle service level, fill rate and average inventory against the baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.policy import PolicySettings
from inventory.policy.simulation import (
    SimulationCosts,
    compare_policies,
    days_of_cover_policy,
    policy_from_estimates,
    rolling_demand_estimates,
)


def load_daily_demand(path: Path) -> np.ndarray:
    """(series, days) array of units sold, missing days as NaN."""
    frame = pd.read_csv(path)
    if {"store", "item", "sales"} <= set(frame.columns):
        frame = frame.rename(columns={"store": "location", "item": "sku", "sales": "quantity"})
    table = frame.pivot_table(
        index=["sku", "location"], columns="date", values="quantity", aggfunc="sum"
    )
    return table.to_numpy(dtype=float)


def rounded(summary: dict[str, float]) -> dict[str, float]:
    keep = (
        "cycle_service_level",
        "fill_rate",
        "stockout_days",
        "stockout_units",
        "average_inventory_units",
        "inventory_turns",
        "orders_placed",
        "holding_cost",
        "ordering_cost",
        "stockout_cost",
        "total_cost",
    )
    return {key: round(summary[key], 4) for key in keep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sales", type=Path)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--lead-time", type=int, default=7)
    parser.add_argument("--window", type=int, default=56, help="moving-average window, days")
    parser.add_argument("--service-levels", type=float, nargs="+", default=[0.90, 0.95, 0.98])
    parser.add_argument("--unit-cost", type=float, default=10.0)
    parser.add_argument("--ordering-cost", type=float, default=50.0)
    parser.add_argument("--stockout-cost", type=float, default=5.0, help="per unit lost")
    args = parser.parse_args()

    started = time.perf_counter()
    history = load_daily_demand(args.sales)
    items, total = history.shape
    start = total - args.days
    lead_time = np.full(items, args.lead_time)
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    settings = PolicySettings(ordering_cost=args.ordering_cost)
    estimates = rolling_demand_estimates(
        history, start, args.days, window_days=args.window, protection_days=lead_time + 1
    )
    costs = SimulationCosts(
        unit_cost=args.unit_cost,
        holding_cost_rate=settings.holding_cost_rate,
        ordering_cost=args.ordering_cost,
        stockout_cost_per_unit=args.stockout_cost,
    )
    baseline = days_of_cover_policy(estimates, lead_time)
    results = []
    for target in args.service_levels:
        proposed = policy_from_estimates(
            estimates, lead_time, service_level=target, settings=settings, unit_cost=args.unit_cost
        )
        report = compare_policies(history[:, start:], proposed, baseline, lead_time, costs=costs)
        results.append(
            {
                "target_cycle_service_level": target,
                "proposed": rounded(report["proposed"]),
                "baseline": rounded(report["baseline"]),
                "average_inventory_saved_share": round(
                    1
                    - report["proposed"]["average_inventory_units"]
                    / report["baseline"]["average_inventory_units"],
                    4,
                ),
            }
        )
    print(
        json.dumps(
            {
                "file": str(args.sales),
                "series": items,
                "replay_days": args.days,
                "lead_time_days": args.lead_time,
                "baseline": "days of cover: reorder below L + 7 days of average sales, "
                "order up to 30 days more",
                "load_seconds": round(load_seconds, 2),
                "replay_seconds": round(time.perf_counter() - started, 2),
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
