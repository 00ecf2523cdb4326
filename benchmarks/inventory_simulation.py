"""Speed of the pure inventory maths on synthetic data: policy calculation and the replay.

    python benchmarks/inventory_simulation.py --items 10000 --days 365

Generates Poisson / negative-binomial daily demand (a mix of fast and slow movers), then times
``calculate_policy`` on all items and a ``--days`` replay of the proposed policy re-fitted weekly
(estimates, policy decisions and the day-by-day simulation, as the issue's goal counts them).
No database, no server. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.policy import PolicyInputs, PolicySettings, calculate_policy
from inventory.policy.simulation import (
    SimulationCosts,
    policy_from_estimates,
    rolling_demand_estimates,
    simulate,
)

WARM_UP_DAYS = 91


def synthetic_demand(items: int, days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mean = rng.lognormal(1.0, 1.2, items)  # units/day: many slow movers, a few fast ones
    dispersion = rng.uniform(1.0, 3.0, items)  # variance / mean
    p = 1.0 / dispersion
    r = mean * p / (1.0 - p + 1e-12)
    demand = rng.negative_binomial(r[:, None], p[:, None], (items, days)).astype(float)
    lead_time = rng.integers(1, 22, items)
    return demand, lead_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    history, lead_time = synthetic_demand(args.items, args.days + WARM_UP_DAYS, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    unit_cost = rng.uniform(1.0, 200.0, args.items)
    tracemalloc.start()

    window = history[:, :WARM_UP_DAYS]
    inputs = PolicyInputs(
        mean_daily_demand=window.mean(axis=1),
        demand_std_daily=window.std(axis=1),
        lead_time_days=lead_time.astype(float),
        lead_time_std_days=lead_time * 0.2,
        on_hand=rng.uniform(0.0, 2.0, args.items) * window.mean(axis=1) * lead_time,
        service_level=np.full(args.items, 0.95),
        unit_cost=unit_cost,
        minimum_order_quantity=np.where(rng.random(args.items) < 0.3, 10.0, 0.0),
        pack_size=rng.choice([1.0, 6.0, 12.0], args.items),
    )
    started = time.perf_counter()
    result = calculate_policy(inputs, PolicySettings())
    policy_seconds = time.perf_counter() - started

    started = time.perf_counter()
    estimates = rolling_demand_estimates(
        history, WARM_UP_DAYS, args.days, protection_days=lead_time + 1
    )
    policy = policy_from_estimates(estimates, lead_time, service_level=0.95, unit_cost=unit_cost)
    decided = time.perf_counter()
    replay = simulate(
        history[:, WARM_UP_DAYS:],
        policy,
        lead_time,
        policy.order_up_to_level[:, 0],
        costs=SimulationCosts(unit_cost=unit_cost),
    )
    replay_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    summary = replay.summary()
    print(
        json.dumps(
            {
                "items": args.items,
                "days": args.days,
                "policy_seconds": round(policy_seconds, 4),
                "policy_items_per_second": round(args.items / policy_seconds),
                "slow_mover_share": round(float((result.method > 0).mean()), 3),
                "replay_seconds": round(replay_seconds, 3),
                "replay_policy_decision_seconds": round(decided - started, 3),
                "replay_items_per_second": round(args.items / replay_seconds),
                "replay_item_days_per_second": round(args.items * args.days / replay_seconds),
                "peak_memory_mb": round(peak / 2**20, 1),
                "replay_fill_rate": round(summary["fill_rate"], 4),
                "replay_cycle_service_level": round(summary["cycle_service_level"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
