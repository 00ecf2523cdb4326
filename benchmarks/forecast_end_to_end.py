"""The forecast as a tenant gets it, scored on a hold-out: the operators' commands end to end.

    python benchmarks/forecast_end_to_end.py --generate 600 --seed 5 --horizon 28
    python benchmarks/forecast_end_to_end.py --sales S.csv --holdout H.csv --classes C.csv \\
        --horizon 28 [--statsforecast-cache DIR] [--compare-engine]

In a throw-away database and tenant: ``import_data sales FILE --create-missing`` (the import
contract, the ``stockout`` column read when the file has it), ``run_forecast --horizon H``
(the tenant's default Test Bed), ``export_data forecasts`` (CSV), then the exported
``forecast`` / ``p10`` / ``p90`` are scored against the held-out days like
``forecast_accuracy.py`` scores the engine: mean RMSSE (scale from each series' first sale)
and 80 % interval coverage, overall and per class.

``forecast_accuracy.py`` calls the engine on arrays; this one goes through everything a tenant's
upload does (parsing, stockout inference, the stored series, the run service's settings, the
export), so a gap between the two is a gap a tenant sees. ``--hide-stockout`` imports the
sales without their ``stockout`` column (most uploads have none: stockouts are then only
inferred). ``--compare-engine`` also runs the engine's Test Bed on the same training array
and reports its figures next to the exported ones; ``--statsforecast-cache DIR`` adds
AutoETS (statsforecast, season 7; fitted once per training array and kept in DIR, ``uv sync
--group bench``). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchdb import bench_database, migrate_platform


def exported_arrays(path: Path, names: list[str], first_day: str, horizon: int) -> dict:
    """``forecast``, ``p10``, ``p90`` of the exported CSV as ``(series, horizon)`` arrays in
    ``names`` order (NaN where the export has no row) from ``first_day`` on."""
    frame = pd.read_csv(path, dtype={"sku": str, "location": str})
    frame["name"] = frame["sku"] + "@" + frame["location"]
    frame["step"] = (pd.to_datetime(frame["date"]) - pd.Timestamp(first_day)).dt.days
    frame = frame[(frame["step"] >= 0) & (frame["step"] < horizon)]
    row = pd.Series(np.arange(len(names)), index=names)
    known = frame["name"].isin(row.index)
    frame = frame[known]
    rows = row[frame["name"]].to_numpy()
    steps = frame["step"].to_numpy()
    out = {}
    for column in ("forecast", "p10", "p90"):
        values = np.full((len(names), horizon), np.nan)
        values[rows, steps] = pd.to_numeric(frame[column], errors="coerce").to_numpy()
        out[column] = values
    out["methods"] = frame.drop_duplicates("name")["method"].value_counts().to_dict()
    out["series_exported"] = int(frame["name"].nunique())
    return out


def score(
    actual: np.ndarray,
    point: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    train: np.ndarray,
    labels: np.ndarray,
) -> dict[str, dict[str, float]]:
    """Mean RMSSE and 80 % coverage per class and overall (``forecast_accuracy.py``'s scale)."""
    from forecast_accuracy import _rmsse_since_first_sale, class_means

    inside = np.nanmean((actual >= low) & (actual <= high), axis=1)
    return class_means(
        labels, rmsse=_rmsse_since_first_sale(actual, point, train), coverage_80=inside
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=Path)
    parser.add_argument("--holdout", type=Path)
    parser.add_argument("--classes", type=Path)
    parser.add_argument("--generate", type=int, default=0, help="N series of demand_mix.py")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--statsforecast-cache", type=Path, help="add AutoETS, cached here")
    parser.add_argument("--compare-engine", action="store_true")
    parser.add_argument(
        "--hide-stockout",
        action="store_true",
        help="import the sales without their stockout column (stockouts only inferred)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    scratch = tempfile.TemporaryDirectory(prefix="e2e-")
    if args.generate:
        from demand_mix import generate, write

        mix = generate(args.generate, args.seed)
        paths = write(mix, Path(scratch.name), args.horizon)
        args.sales, args.holdout, args.classes = paths["sales"], paths["holdout"], paths["classes"]
    if args.sales is None or args.holdout is None:
        parser.error("--generate N, or --sales and --holdout, are required")

    if args.hide_stockout:
        stripped = Path(scratch.name) / "sales_without_stockout.csv"
        frame = pd.read_csv(args.sales, dtype=str)
        frame.drop(columns=["stockout"], errors="ignore").to_csv(stripped, index=False)
        args.sales = stripped

    from forecast_accuracy import _labels, load_sales

    train, names, season, _kind, start = load_sales(args.sales)
    held, held_names, *_rest = load_sales(args.holdout)
    position = {name: i for i, name in enumerate(held_names)}
    actual = held[[position[name] for name in names], : args.horizon]
    first_day = str(pd.Timestamp(start) + pd.Timedelta(days=train.shape[1]))[:10]
    labels = (
        _labels(args.classes, names)
        if args.classes is not None
        else np.array(["all"] * len(names), dtype=object)
    )

    phases: dict[str, float] = {}
    export_path = Path(scratch.name) / "forecasts.csv"
    with bench_database("forecast_e2e"):
        from django.core.management import call_command

        from tenants.services import tenant_provision

        migrate_platform()
        schema = tenant_provision(slug="e2e", name="End to end").tenant.schema_name
        quiet = io.StringIO()
        for phase, command, positional, options in (
            (
                "import",
                "import_data",
                ("sales", str(args.sales)),
                {"create_missing": True, "no_progress": True},
            ),
            ("forecast", "run_forecast", (), {"horizon": args.horizon, "no_progress": True}),
            ("export", "export_data", ("forecasts",), {"output": str(export_path)}),
        ):
            wall = time.perf_counter()
            with redirect_stdout(quiet), redirect_stderr(quiet):
                call_command(command, *positional, schema_name=schema, **options)
            phases[phase] = round(time.perf_counter() - wall, 2)
        exported = exported_arrays(export_path, names, first_day, args.horizon)

    result: dict = {
        "benchmark": "forecast_end_to_end",
        "file": str(args.sales) if not args.generate else f"demand_mix --seed {args.seed}",
        "series": len(names),
        "series_exported": exported["series_exported"],
        "horizon": args.horizon,
        "stockout_column_imported": not args.hide_stockout,
        "first_forecast_day": first_day,
        "seconds": phases,
        "selected_methods": exported["methods"],
        "by_class": {
            "exported": score(
                actual, exported["forecast"], exported["p10"], exported["p90"], train, labels
            )
        },
    }
    if args.compare_engine:
        from forecasting.engine.backtest import run_test_bed
        from forecasting.engine.forecast import ForecastSpec
        from forecasting.engine.methods import FAST_METHODS

        wall = time.perf_counter()
        bed = run_test_bed(
            train,
            ForecastSpec(horizon=args.horizon, season_length=season),
            FAST_METHODS,
            folds=3,
            start_date=start,
        )
        result["seconds"]["engine"] = round(time.perf_counter() - wall, 2)
        own = bed.selected
        result["by_class"]["engine"] = score(
            actual, own.point, own.quantile(0.1), own.quantile(0.9), train, labels
        )
    if args.statsforecast_cache is not None:
        from forecast_accuracy import _cached_auto_ets

        from forecasting.engine.forecast import ForecastSpec

        reference, wall = _cached_auto_ets(
            train,
            ForecastSpec(horizon=args.horizon, season_length=season),
            args.statsforecast_cache,
        )
        result["seconds"]["auto_ets"] = round(wall, 2)
        result["by_class"]["auto_ets"] = score(
            actual,
            reference.point,
            reference.quantile(0.1),
            reference.quantile(0.9),
            train,
            labels,
        )
        ours = result["by_class"]["exported"]["all"]["rmsse"]
        theirs = result["by_class"]["auto_ets"]["all"]["rmsse"]
        result["exported_vs_auto_ets"] = round(ours / theirs - 1, 4)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["total_seconds"] = round(time.perf_counter() - started, 2)
    scratch.cleanup()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
