"""Speed of the whole replay: 10,000 SKUs × 365 days with the rolling re-fit.

    python benchmarks/simulation.py --items 10000 --days 365 [--method ses] \
        [--max-cover-days 30] [--allocation item|aggregate]

Synthetic negative-binomial daily demand with a weekly pattern (many slow movers, a few fast
ones). Times ``inventory.policy.simulation.replay``: the forecasting engine re-fitted weekly
(point forecasts from every origin in one call per method), the error of the forecast as used
over each item's protection period, ``calculate_policy`` on every re-fit, the day-by-day
levels, and the day-by-day replay of both the proposed policy and the min/max baseline.
No database, no server. Prints one JSON object. Goal: ≤ 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.policy import PolicySettings
from inventory.policy.simulation import ReplayInputs, ReplayOptions, replay

WARM_UP_DAYS = 182


def synthetic_demand(items: int, days: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = rng.lognormal(1.0, 1.2, items)
    weekly = 1.0 + 0.3 * np.sin(2 * np.pi * np.arange(days) / 7)
    dispersion = rng.uniform(1.0, 3.0, items)
    p = 1.0 / dispersion
    rate = mean[:, None] * weekly[None, :]
    r = rate * p[:, None] / (1.0 - p[:, None] + 1e-12)
    return rng.negative_binomial(r, p[:, None]).astype(float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--method", default="ses")
    parser.add_argument("--lead-time-mode", default="fixed", choices=("fixed", "sampled"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--max-cover-days",
        type=lambda v: None if v == "none" else float(v),
        default=30.0,
        help="lot cap in days of demand (the tenant default; 'none': plain EOQ)",
    )
    parser.add_argument("--allocation", choices=("item", "aggregate"), default="aggregate")
    args = parser.parse_args()

    history = synthetic_demand(args.items, args.days + WARM_UP_DAYS, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    lead = rng.integers(1, 22, args.items).astype(float)
    inputs = ReplayInputs(
        history=history,
        days=args.days,
        lead_time_days=lead,
        lead_time_std_days=lead * 0.2,
        unit_cost=rng.uniform(1.0, 200.0, args.items),
        service_level=np.full(args.items, 0.95),
        minimum_order_quantity=np.where(rng.random(args.items) < 0.3, 10.0, 0.0),
        pack_size=rng.choice([1.0, 6.0, 12.0], args.items),
        method=args.method,
    )
    started = time.perf_counter()
    outcome = replay(
        inputs,
        PolicySettings(max_cover_days=args.max_cover_days),
        ReplayOptions(lead_time_mode=args.lead_time_mode, service_level_allocation=args.allocation),
    )
    seconds = time.perf_counter() - started
    proposed, baseline = outcome.proposed.summary(), outcome.baseline.summary()
    print(
        json.dumps(
            {
                "items": args.items,
                "days": args.days,
                "method": args.method,
                "lead_time_mode": args.lead_time_mode,
                "max_cover_days": args.max_cover_days,
                "service_level_allocation": args.allocation,
                "seconds": round(seconds, 2),
                "goal_seconds": 5.0,
                "item_days_per_second": round(args.items * args.days / seconds),
                "proposed_cycle_service_level": round(proposed["cycle_service_level"], 4),
                "proposed_fill_rate": round(proposed["fill_rate"], 4),
                "baseline_fill_rate": round(baseline["fill_rate"], 4),
                "inventory_value_vs_baseline": round(
                    proposed["average_inventory_value"] / baseline["average_inventory_value"], 3
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
