"""Forecast explanations (ADR 39): store with the run, or compute on demand for one series?

Measures, on generated daily series (``forecast_pipeline.generate_history``, two years):

1. the split itself (``engine.explain.decompose`` with a yearly index and campaign factors)
   for ``--series`` series × ``--horizon`` days, and the JSON rows the run stores
   (seconds, bytes per series);
2. the on-demand alternative: the Test Bed re-run for one series alone (what a request would
   have to do, since the run keeps no per-series state), its seconds, and how far that
   forecast lands from the same series' forecast in the batch of ``--batch`` series — the
   yearly profile and campaign uplift are pooled across the batch, so one series alone does
   not reproduce the served forecast.

    python benchmarks/forecast_explain.py --series 10000 --horizon 28

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting.engine import explain
from forecasting.engine.backtest import run_test_bed
from forecasting.engine.forecast import ForecastSpec


def history(series: int, length: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.gamma(2.0, 10.0, size=(series, 1))
    week = 1.0 + 0.3 * np.sin(2 * np.pi * (t[None, :] + rng.integers(0, 7, (series, 1))) / 7)
    year = 1.0 + 0.25 * np.sin(2 * np.pi * t[None, :] / 365.25 + rng.uniform(0, 6, (series, 1)))
    return rng.poisson(level * week * year).astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--length", type=int, default=730)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    n, h = args.series, args.horizon

    point = rng.gamma(2.0, 10.0, (n, h))
    index = 1.0 + 0.2 * np.sin(np.arange(h) / 20.0 + rng.uniform(0, 6, (n, 1)))
    factor = np.where(rng.random((n, h)) < 0.1, 1.6, 1.0)
    started = time.perf_counter()
    parts = explain.decompose(point, yearly_index=index, campaign_factor=factor).parts
    split = time.perf_counter() - started
    started = time.perf_counter()
    names = [name for name in explain.COMPONENTS if name != "other"]
    table = np.round(np.stack([parts[name] for name in names], axis=1), 3)
    numpy = orjson.OPT_SERIALIZE_NUMPY  # as forecasting/services/chunks.py writes them
    rows = [orjson.dumps(dict(zip(names, s, strict=True)), option=numpy).decode() for s in table]
    encode = time.perf_counter() - started

    # On demand: one series alone against the same series in a batch (campaigns on all).
    values = history(args.batch, args.length)
    campaign = np.zeros((args.batch, args.length + h), dtype=bool)
    for first in range(40, args.length + h - 5, 90):
        campaign[:, first : first + 4] = True
    values[campaign[:, : args.length]] *= 1.8
    spec = ForecastSpec(horizon=h)
    kwargs = {"start_date": date(2024, 1, 1)}
    started = time.process_time()
    batch = run_test_bed(values, spec, campaign=campaign, **kwargs)
    batch_cpu = time.process_time() - started
    started = time.process_time()
    alone = run_test_bed(values[:1], spec, campaign=campaign[:1], **kwargs)
    alone_cpu = time.process_time() - started
    served, again = batch.selected.point[0], alone.selected.point[0]
    print(
        json.dumps(
            {
                "series": n,
                "horizon": h,
                "split_seconds": round(split, 4),
                "split_ms_per_1000_series": round(1000 * split / n * 1000, 3),
                "json_encode_seconds": round(encode, 3),
                "stored_bytes_per_series": round(sum(map(len, rows)) / n, 1),
                "sum_error_max": float(np.abs(sum(parts.values()) - point).max()),
                "on_demand": {
                    "batch_series": args.batch,
                    "batch_cpu_seconds": round(batch_cpu, 2),
                    "one_series_cpu_seconds": round(alone_cpu, 3),
                    "same_method": bool(
                        batch.recommendation.method[0] == alone.recommendation.method[0]
                    ),
                    "max_relative_gap_to_served": round(
                        float(np.max(np.abs(again - served) / np.maximum(served, 1e-9))), 4
                    ),
                },
                "load_average": [round(v, 2) for v in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
