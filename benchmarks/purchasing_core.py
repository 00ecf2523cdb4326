"""Speed of the purchase order builder's pure core: one cart of 100,000 random lines.

    python benchmarks/purchasing_core.py [--lines 100000] [--suppliers 500] \
        [--budget-share 0.3] [--fill-minimums] [--repeat 5]

Random lines (lognormal demand and prices, MOQs and packs, 1% without a supplier, 1% without an
exchange rate, 5% with nothing recommended) and a budget of ``--budget-share`` of the cart's
priced value. Times ``purchasing.cart.build_cart`` (rounding, values, budget selection and,
with ``--fill-minimums``, the supplier minimum top-up); the best of ``--repeat`` runs.
No database, no Django. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from purchasing.cart import CartLines, build_cart, round_order_quantity


def random_lines(lines: int, suppliers: int, seed: int) -> CartLines:
    rng = np.random.default_rng(seed)
    daily = rng.lognormal(0.5, 1.2, lines)
    lead = rng.integers(2, 45, lines).astype(float)
    price = rng.lognormal(2.0, 1.0, lines)
    price[rng.random(lines) < 0.01] = np.nan
    supplier = rng.integers(0, suppliers, lines)
    supplier[rng.random(lines) < 0.01] = -1
    recommended = np.round(daily * lead * rng.uniform(0.0, 2.0, lines), 2)
    recommended[rng.random(lines) < 0.05] = 0.0
    return CartLines(
        recommended_quantity=recommended,
        moq=rng.choice([0.0, 5.0, 10.0, 50.0], lines),
        pack_size=rng.choice([0.0, 1.0, 6.0, 12.0, 0.5], lines),
        unit_price=price,
        supplier_index=supplier,
        selling_price=price * rng.uniform(0.8, 2.5, lines),
        daily_demand_mean=daily,
        demand_std=daily * np.sqrt(lead) * rng.uniform(0.0, 1.5, lines),
        lead_time_days=lead,
        inventory_position=daily * lead * rng.uniform(-0.5, 1.5, lines),
        stockout_risk=rng.uniform(0.0, 1.0, lines),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--budget-share", type=float, default=0.3)
    parser.add_argument("--fill-minimums", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    lines = random_lines(args.lines, args.suppliers, args.seed)
    quantity = round_order_quantity(lines.recommended_quantity, lines.moq, lines.pack_size)
    priced_value = float(np.nansum(quantity * lines.unit_price))
    budget = args.budget_share * priced_value
    # Minimum order values up to twice the average supplier share of the budget: some are short.
    minimums = np.random.default_rng(args.seed + 1).uniform(
        0.0, 2 * budget / args.suppliers, args.suppliers
    )

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        cart = build_cart(
            lines, budget=budget, fill_minimums=args.fill_minimums, min_order_value=minimums
        )
        best = min(best, time.perf_counter() - start)

    print(
        json.dumps(
            {
                "lines": args.lines,
                "seconds": round(best, 4),
                "kept": cart.kept_count,
                "suppliers": args.suppliers,
                "budget": round(budget, 2),
                "kept_value": round(cart.kept_value, 2),
                "fill_minimums": args.fill_minimums,
                "below_minimum": int(cart.below_minimum.sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
