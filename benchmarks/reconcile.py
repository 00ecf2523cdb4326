"""OLS and MinT-shrink reconciliation of a synthetic hierarchy (engine only, no database):
``series`` product × location bottom series (two locations per product, 50 products per
category), 365 days of Poisson demand, 28-day horizon, three folds. Prints one JSON object
with the seconds of each method (base forecasts of the upper nodes, residuals, solve).

    nice -n 5 .venv/bin/python benchmarks/reconcile.py --series 300 3000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.reconciled import reconcile_hierarchy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--horizon", type=int, default=28)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    spec = ForecastSpec(horizon=args.horizon)
    warm = rng.poisson(5.0, (4, 60)).astype(float)  # compile the kernels outside the timing
    reconcile_hierarchy(
        warm, np.ones((4, 7)), [("p", np.array([0, 0, 1, 1]))], ForecastSpec(7), "ols"
    )
    result = {"days": args.days, "horizon": args.horizon, "runs": []}
    for count in args.series:
        history = rng.poisson(10.0, (count, args.days)).astype(float)
        product = np.arange(count) // 2
        category = product // 50
        bottom = history[:, -args.horizon :].copy()
        methods = np.full(count, "ses", dtype=object)
        row = {"series": count}
        for method in ("ols", "mint_shrink"):
            started = time.perf_counter()
            out = reconcile_hierarchy(
                history,
                bottom,
                [("category", category), ("product", product)],
                spec,
                method,
                bottom_methods=methods,
            )
            row[f"{method}_seconds"] = round(time.perf_counter() - started, 2)
            row["nodes"] = out.tree.nodes
        result["runs"].append(row)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
