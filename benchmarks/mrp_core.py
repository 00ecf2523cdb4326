"""Speed of the pure MRP core on a synthetic plant (no database, no Django).

    python benchmarks/mrp_core.py --items 10000 --days 90

Generates a 3-level plant with ``manufacturing.mrp.synthetic.synthetic_plant`` (a quarter
finished goods with a daily forecast, half intermediates, a quarter raw materials), then times
``plan_mrp`` (explosion, netting, lot sizing and pegging). ``core_seconds`` is the median of
``--repeat`` runs after a first call (``first_run_seconds``, slower: fresh memory pages);
``peak_memory_mb`` is the tracemalloc peak of one further run. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from manufacturing.mrp import plan_mrp
from manufacturing.mrp.synthetic import synthetic_plant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    inputs = synthetic_plant(items=args.items, horizon_days=args.days, seed=args.seed)
    started = time.perf_counter()
    plan_mrp(inputs)  # first call in the process: fresh memory pages, so slower
    first_run = time.perf_counter() - started
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = plan_mrp(inputs)
        timings.append(time.perf_counter() - started)

    tracemalloc.start()
    plan_mrp(inputs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        json.dumps(
            {
                "items": args.items,
                "days": args.days,
                "bom_lines": int(inputs.bom_parent.size),
                "demand_records": int(inputs.demand_item.size),
                "core_seconds": round(statistics.median(timings), 3),
                "first_run_seconds": round(first_run, 3),
                "planned_orders": int(result.order_item.size),
                "late_orders": int(result.late.size),
                "peg_links": int(result.peg_order.size),
                "peak_memory_mb": round(peak / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
