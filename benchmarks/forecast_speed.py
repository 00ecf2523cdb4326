"""Speed of the full Test Bed for the fast family on synthetic daily series.

    python benchmarks/forecast_speed.py --series 10000 --length 730

Series: 70% smooth (level × weekly pattern × slow trend, Poisson noise), 30% intermittent
(sales in ~30% of days, sizes 1–10). The Test Bed classifies, backtests every fast method
(3 folds of 28 days), recommends a method per series and forecasts 28 days with quantiles.
``--chunk`` splits the series as Celery chunks would (one process here). Prints one JSON
object: series per second, CPU ms per series, per-method CPU seconds, peak memory (traced
Python/NumPy allocations and the process's maximum resident size), and the one-off CPU cost of
the first call in the process (loading or compiling the numba kernels), kept out of the rest.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.engine.backtest import run_test_bed
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import FAST_METHODS


def synthetic_sales(series: int, length: int, seed: int = 0) -> np.ndarray:
    """Daily unit sales ``(series, length)``, smooth and intermittent mixed."""
    rng = np.random.default_rng(seed)
    days = np.arange(length)
    smooth = int(series * 0.7)
    level = rng.uniform(5, 200, (smooth, 1))
    week = 1.0 + rng.uniform(0.05, 0.4, (smooth, 1)) * np.sin(
        2 * np.pi * (days + rng.integers(0, 7, (smooth, 1))) / 7
    )
    trend = 1.0 + rng.normal(0, 0.0003, (smooth, 1)) * days
    smooth_sales = rng.poisson(np.maximum(level * week * trend, 0.1))
    sparse = series - smooth
    occurs = rng.random((sparse, length)) < rng.uniform(0.05, 0.5, (sparse, 1))
    sparse_sales = occurs * rng.integers(1, 11, (sparse, length))
    return np.vstack([smooth_sales, sparse_sales]).astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=0, help="series per chunk (0: all at once)")
    parser.add_argument("--trace-memory", action="store_true", help="tracemalloc peak (slower)")
    args = parser.parse_args()

    history = synthetic_sales(args.series, args.length)
    spec = ForecastSpec(horizon=args.horizon, season_length=7)
    # The compiled kernels load (or, in a fresh checkout, compile) on first use: a one-off
    # per process, measured apart from the steady-state figure.
    warm0 = time.process_time()
    run_test_bed(synthetic_sales(20, 4 * args.horizon + 30, seed=1), spec, folds=args.folds)
    first_call_cpu = time.process_time() - warm0
    chunk = args.chunk or args.series
    if args.trace_memory:
        tracemalloc.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    per_method: Counter[str] = Counter()
    chosen: Counter[str] = Counter()
    for start in range(0, args.series, chunk):
        bed = run_test_bed(history[start : start + chunk], spec, folds=args.folds)
        per_method.update(bed.seconds)
        chosen.update(bed.recommendation.method)
        del bed
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    traced_peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else None
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "series": args.series,
                "length": args.length,
                "horizon": args.horizon,
                "folds": args.folds,
                "chunk": chunk,
                "methods": len(FAST_METHODS),
                "wall_seconds": round(wall, 2),
                "cpu_seconds": round(cpu, 2),
                "series_per_second": round(args.series / wall, 1),
                "series_per_cpu_second": round(args.series / cpu, 1),
                "cpu_ms_per_series": round(1000 * cpu / args.series, 3),
                "first_call_cpu_seconds": round(first_call_cpu, 2),
                "method_cpu_seconds": {k: round(v, 2) for k, v in per_method.most_common()},
                "selected_methods": dict(chosen.most_common()),
                "input_mb": round(history.nbytes / 2**20, 1),
                "peak_traced_mb": round(traced_peak / 2**20, 1) if traced_peak else None,
                "max_rss_mb": round(max_rss_kib / 1024, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
