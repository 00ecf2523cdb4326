"""Forecast accuracy of every fast method, the Test Bed's selection and the ensemble on a
hold-out of the last ``--horizon`` periods.

    python benchmarks/forecast_accuracy.py --horizon 28 \
        --sales ../shared/data/demand/store-item-demand/train.csv [--gbm] [--statsforecast -1]
    python benchmarks/forecast_accuracy.py --horizon 6 \
        --sales ../shared/data/demand/carparts/carparts.csv [--score rmsse] [--gbm]

Mixed generator (``benchmarks/demand_mix.py``): ``--generate N --seed S`` (or the files it
writes: ``--sales sales.csv --holdout holdout.csv --classes classes.csv``) scores the hold-out
file instead of the last periods of ``--sales``, and reports mean RMSSE, 80 % / 90 % interval
coverage per demand class for the selected forecast (and AutoETS with ``--statsforecast``)
under ``by_class``; without ``--classes`` the classes are the engine's demand patterns.

``--sales`` is a sales CSV of the import contract (``date,sku,location,quantity[,revenue]``),
the store-item-demand ``train.csv`` (``date,store,item,sales``) or the wide ``carparts.csv``
(``Part,Jan-98,…``), recognised by its header. Missing days of a long file count as zero sales;
carparts series with missing months are left out (2,509 of 2,674 are complete). The Test Bed
(3-fold rolling-origin backtest, ranking by ``--score``, default the mean pinball loss) sees
only the periods before the hold-out; daily files pass their first date so the yearly profile
is a month-of-year index (``--no-calendar``: harmonics of the period index instead). Every
method row is the Test Bed's (yearly profile, calibrated quantiles); ``plain`` holds seasonal
naive and Croston run on their own, as a tenant has them today. ``--gbm`` adds the global
gradient-boosting model; ``--statsforecast K`` fits statsforecast's AutoETS on the first K
series (-1: all; install with ``uv sync --group bench``); ``--auto-series K`` the statsmodels
ETS slow tier. Prints one JSON object.

Campaigns (ADR 32): ``--generate N --campaigns`` adds known promotions to the generated mix,
``--promotions promotions.csv --products products.csv`` reads them from files of the import
contract; the Test Bed then gets the campaign days (history and horizon), categories for
pooling and the expected uplifts. ``--use-stockout`` passes the sales file's ``stockout``
column as the import would (default: not read, only inferred).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.engine import metrics, roi
from forecasting.engine.auto import auto_ets
from forecasting.engine.backtest import run_test_bed
from forecasting.engine.forecast import Forecast, ForecastSpec
from forecasting.engine.methods import FAST_METHODS, METHODS


def load_sales(path: Path) -> tuple[np.ndarray, list[str], int, str, object]:
    """``(history (series, periods), series names, season length, dataset kind, date of the
    first period for daily data or None)``."""
    with path.open(newline="", encoding="utf-8") as handle:
        header = [column.strip().lower() for column in next(csv.reader(handle))]
    if header[:4] == ["date", "store", "item", "sales"]:
        frame = pd.read_csv(path, parse_dates=["date"])
        frame = frame.rename(columns={"item": "sku", "store": "location", "sales": "quantity"})
        history, names, season, start = _pivot(frame)
        return history, names, season, "store-item-demand", start
    if header and header[0] == "part":
        wide = pd.read_csv(path, index_col=0)
        complete = wide.dropna()
        names = [str(p) for p in complete.index]
        return complete.to_numpy(np.float64), names, 12, "carparts", None
    if {"date", "sku", "location", "quantity"} <= set(header):
        frame = pd.read_csv(
            path, parse_dates=["date"], usecols=["date", "sku", "location", "quantity"]
        )
        history, names, season, start = _pivot(frame)
        return history, names, season, "sales-csv", start
    raise SystemExit(f"unrecognised sales file header: {header}")


def _pivot(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], int, object]:
    table = frame.pivot_table(
        index=["sku", "location"], columns="date", values="quantity", aggfunc="sum"
    )
    dates = pd.DatetimeIndex(table.columns)
    step = pd.Series(dates).diff().median()
    if step >= pd.Timedelta(days=27):
        full = pd.date_range(dates.min(), dates.max(), freq="MS")
        season = 12
    else:
        full = pd.date_range(dates.min(), dates.max(), freq="D")
        season = 7
    table = table.reindex(columns=full).fillna(0.0)
    names = [f"{sku}@{location}" for sku, location in table.index]
    start = full[0].date() if season == 7 else None
    return table.to_numpy(np.float64), names, season, start


def evaluate(
    forecast: Forecast, actual: np.ndarray, train: np.ndarray, season: int
) -> dict[str, float]:
    point = forecast.point
    pinball = metrics.pinball(actual, forecast.quantiles, forecast.levels)
    report = {
        "wape": metrics.total_wape(actual, point),
        "mase": float(np.nanmean(metrics.mase(actual, point, train, season))),
        "rmsse": float(np.nanmean(metrics.rmsse(actual, point, train))),
        "bias": metrics.total_bias(actual, point),
        "pinball": float(pinball.mean()),
    }
    for index, level in enumerate(forecast.levels):
        report[f"pinball_p{round(level * 100):02d}"] = float(pinball[:, index].mean())
    for low, high in ((0.1, 0.9), (0.05, 0.95)):
        if low in forecast.levels and high in forecast.levels:
            inside = metrics.coverage(actual, forecast.quantile(low), forecast.quantile(high))
            report[f"coverage_p{round(low * 100):02d}_p{round(high * 100)}"] = float(inside.mean())
    # The 90% prediction interval (equal-tailed, or [0, p90] where p05 is zero: Forecast.interval).
    report["coverage_90"] = float(metrics.coverage(actual, *forecast.interval(0.9)).mean())
    return {key: round(value, 4) for key, value in report.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=Path)
    parser.add_argument("--holdout", type=Path, help="held-out sales (same columns as --sales)")
    parser.add_argument("--classes", type=Path, help="sku,location,class per series")
    parser.add_argument("--generate", type=int, default=0, help="N series of demand_mix.py")
    parser.add_argument("--seed", type=int, default=1, help="seed of --generate")
    parser.add_argument("--horizon", required=True, type=int)
    parser.add_argument("--series", type=int, help="only the first N series")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--score", default="pinball", help="backtest score that ranks methods")
    parser.add_argument("--auto-series", type=int, default=0, help="statsmodels ETS on K series")
    parser.add_argument(
        "--statsforecast",
        type=int,
        default=0,
        help="statsforecast AutoETS on the first K series (-1: all; needs `uv sync --group bench`)",
    )
    parser.add_argument(
        "--statsforecast-cache",
        type=Path,
        help="folder keeping AutoETS forecasts by a hash of the training data (reruns skip it)",
    )
    parser.add_argument("--gbm", action="store_true", help="add the global gradient-boosting model")
    parser.add_argument("--campaigns", action="store_true", help="with --generate: promotions")
    parser.add_argument(
        "--variant", default="default", help="with --generate: default or shifted (ADR 40)"
    )
    parser.add_argument(
        "--hide-campaigns", action="store_true", help="generate campaigns, do not pass them"
    )
    parser.add_argument("--promotions", type=Path, help="promotions CSV (import contract)")
    parser.add_argument("--products", type=Path, help="products CSV (sku,name,category)")
    parser.add_argument(
        "--use-stockout", action="store_true", help="read the sales file's stockout column"
    )
    parser.add_argument(
        "--no-calendar", action="store_true", help="yearly profile from the period index only"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    scratch = None
    if args.generate:
        import tempfile

        from demand_mix import generate, write

        scratch = tempfile.TemporaryDirectory()
        mix = generate(args.generate, args.seed, campaigns=args.campaigns, variant=args.variant)
        paths = write(mix, Path(scratch.name), args.horizon)
        args.sales, args.holdout, args.classes = paths["sales"], paths["holdout"], paths["classes"]
        if args.campaigns and not args.hide_campaigns:
            args.promotions, args.products = paths["promotions"], paths["products"]
    if args.sales is None:
        parser.error("--sales or --generate is required")
    history, names, season, kind, start = load_sales(args.sales)
    if args.holdout is not None:
        held, held_names, _season, _kind, _start = load_sales(args.holdout)
        position = {name: i for i, name in enumerate(held_names)}
        held = held[[position[name] for name in names]]
        history = np.concatenate([history, held[:, : args.horizon]], axis=1)
        kind = "demand-mix" if args.generate else f"{kind}+holdout"
    labels = _labels(args.classes, names) if args.classes is not None else None
    if args.no_calendar:
        start = None
    if args.series:
        history, names = history[: args.series], names[: args.series]
        labels = labels[: args.series] if labels is not None else None
    load_seconds = time.perf_counter() - started
    train, actual = history[:, : -args.horizon], history[:, -args.horizon :]
    spec = ForecastSpec(horizon=args.horizon, season_length=season)
    extra: dict = {}
    if args.promotions is not None:
        if start is None:
            parser.error("--promotions needs daily sales")
        extra = campaign_arrays(args.promotions, args.products, names, start, history.shape[1])
    if args.use_stockout:
        extra.update(stockout_arrays(args.sales, names, start, train.shape[1]))

    cpu0, wall0 = time.process_time(), time.perf_counter()
    methods = (*FAST_METHODS, "gbm") if args.gbm else FAST_METHODS
    bed = run_test_bed(
        train, spec, methods, folds=args.folds, score=args.score, start_date=start, **extra
    )
    test_bed_cpu, test_bed_wall = time.process_time() - cpu0, time.perf_counter() - wall0

    # The references a tenant has today: each method on its own, no yearly profile, no
    # calibration (the Test Bed's rows above have both).
    plain = {}
    for name in ("seasonal_naive", "croston"):
        cpu0 = time.process_time()
        forecast = METHODS[name](train, spec, None)[0]
        plain[f"{name}_plain"] = {
            **evaluate(forecast, actual, train, season),
            "seconds": round(time.process_time() - cpu0, 3),
        }

    methods = {
        name: {
            **evaluate(fc, actual, train, season),
            "seconds": round(bed.seconds.get(name, 0.0), 3),
        }
        for name, fc in bed.forecasts.items()
    }
    result = {
        "dataset": kind,
        "file": str(args.sales),
        "series": len(history),
        "periods": history.shape[1],
        "horizon": args.horizon,
        "season_length": season,
        "folds": args.folds,
        "ranked_by": args.score,
        "methods": methods,
        "selected": evaluate(bed.selected, actual, train, season),
        "ensemble": evaluate(bed.ensemble, actual, train, season),
        "plain": plain,
        "yearly_profile_series": int(bed.yearly.rows.sum()) if bed.yearly is not None else 0,
        "roi_vs_seasonal_naive": _roi(bed, season),
        "calendar": str(start) if start else None,
        "selected_methods": dict(Counter(bed.recommendation.method).most_common()),
        "patterns": dict(Counter(bed.classification.pattern).most_common()),
        "xyz": dict(Counter(bed.classification.xyz).most_common()),
        "load_seconds": round(load_seconds, 2),
        "test_bed_cpu_seconds": round(test_bed_cpu, 2),
        "test_bed_wall_seconds": round(test_bed_wall, 2),
        "cpu_ms_per_series": round(1000 * test_bed_cpu / len(history), 3),
        "campaign_series": int(extra["campaign"].any(axis=1).sum()) if "campaign" in extra else 0,
        "stockout_column": bool(args.use_stockout),
    }
    if "campaign" in extra:
        future = extra["campaign"][:, train.shape[1] :].any(axis=1)
        result["campaign_series_in_holdout"] = int(future.sum())
    if labels is None:
        labels = np.asarray(bed.classification.pattern, dtype=object)
    result["by_class"] = {
        "selected": _by_class(bed.selected, actual, train, labels),
        "seasonal_naive": _by_class(bed.forecasts["seasonal_naive"], actual, train, labels),
    }
    if args.auto_series:
        count = min(args.auto_series, len(history))
        cpu0 = time.process_time()
        auto = auto_ets(train[:count], spec)[0]
        auto_cpu = time.process_time() - cpu0
        subset = slice(0, count)
        result["auto_subset"] = {
            "series": count,
            "auto_ets": {
                **evaluate(auto, actual[subset], train[subset], season),
                "cpu_seconds": round(auto_cpu, 2),
            },
            "selected": evaluate(
                _rows(bed.selected, subset), actual[subset], train[subset], season
            ),
            "ensemble": evaluate(
                _rows(bed.ensemble, subset), actual[subset], train[subset], season
            ),
            "seasonal_naive": evaluate(
                _rows(bed.forecasts["seasonal_naive"], subset),
                actual[subset],
                train[subset],
                season,
            ),
        }
    if args.statsforecast:
        count = len(history) if args.statsforecast < 0 else min(args.statsforecast, len(history))
        subset = slice(0, count)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        reference, reference_wall = _cached_auto_ets(train[subset], spec, args.statsforecast_cache)
        own = _rows(bed.selected, subset)
        result["by_class"]["statsforecast_subset"] = {
            "auto_ets": _by_class(reference, actual[subset], train[subset], labels[subset]),
            "selected": _by_class(own, actual[subset], train[subset], labels[subset]),
            "selected_beats_auto_ets": int(
                np.sum(
                    metrics.rmsse(actual[subset], own.point, train[subset])
                    < metrics.rmsse(actual[subset], reference.point, train[subset])
                )
            ),
            "auto_ets_wall_seconds": round(reference_wall, 2),
            "test_bed_wall_seconds": round(test_bed_wall, 2),
        }
        result["statsforecast_subset"] = {
            "series": count,
            "auto_ets": {
                **evaluate(reference, actual[subset], train[subset], season),
                "cpu_seconds": round(time.process_time() - cpu0, 2),
                "wall_seconds": round(reference_wall, 2),
            },
            "selected": evaluate(
                _rows(bed.selected, subset), actual[subset], train[subset], season
            ),
            "ensemble": evaluate(
                _rows(bed.ensemble, subset), actual[subset], train[subset], season
            ),
        }
    result["seconds"] = round(time.perf_counter() - started, 2)
    if scratch is not None:
        scratch.cleanup()
    print(json.dumps(result, indent=1))


def _cached_auto_ets(
    train: np.ndarray, spec: ForecastSpec, folder: Path | None
) -> tuple[Forecast, float]:
    """:func:`statsforecast_auto_ets` and its wall seconds, kept in ``folder`` when given."""
    import hashlib

    key = hashlib.sha256(train.tobytes() + repr((train.shape, spec)).encode()).hexdigest()[:20]
    path = folder / f"auto_ets_{key}.npz" if folder is not None else None
    if path is not None and path.exists():
        saved = np.load(path)
        levels = tuple(float(x) for x in saved["levels"])
        forecast = Forecast("statsforecast_auto_ets", saved["point"], saved["quantiles"], levels)
        return forecast, float(saved["wall"])
    wall0 = time.perf_counter()
    forecast = statsforecast_auto_ets(train, spec)
    wall = time.perf_counter() - wall0
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            point=forecast.point,
            quantiles=forecast.quantiles,
            levels=np.asarray(forecast.levels),
            wall=wall,
        )
    return forecast, wall


def statsforecast_auto_ets(train: np.ndarray, spec: ForecastSpec) -> Forecast:
    """statsforecast's AutoETS (Hyndman-Khandakar model search by AICc) per series, with its
    80% and 90% prediction intervals as the 0.1/0.9 and 0.05/0.95 quantiles."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    n, periods = train.shape
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), periods),
            "ds": np.tile(np.arange(periods), n),
            "y": train.ravel(),
        }
    )
    model = StatsForecast(models=[AutoETS(season_length=spec.season_length)], freq=1, n_jobs=1)
    out = model.forecast(df=frame, h=spec.horizon, level=[80, 90])
    out = out.sort_values(["unique_id", "ds"])

    def column(name: str) -> np.ndarray:
        return out[name].to_numpy(np.float64).reshape(n, spec.horizon)

    point = np.maximum(column("AutoETS"), 0.0)
    by_level = {
        0.05: column("AutoETS-lo-90"),
        0.1: column("AutoETS-lo-80"),
        0.5: column("AutoETS"),
        0.9: column("AutoETS-hi-80"),
        0.95: column("AutoETS-hi-90"),
    }
    levels = tuple(level for level in spec.levels if level in by_level)
    quantiles = np.maximum(np.stack([by_level[level] for level in levels], axis=1), 0.0)
    return Forecast("statsforecast_auto_ets", point, quantiles, levels)


def campaign_arrays(
    promotions: Path, products: Path | None, names: list[str], start, periods: int
) -> dict[str, np.ndarray]:
    """The Test Bed's campaign inputs from a promotions file of the import contract
    (``name,start,end,sku,category[,location,uplift]``) and the products file's categories:
    ``campaign`` ``(series, periods)`` bool, ``campaign_group`` category codes and
    ``expected_uplift`` (mean of the campaigns' given uplifts per series, nan where none)."""
    rows = pd.read_csv(promotions, dtype=str, keep_default_na=False)
    sku_of = np.array([name.split("@")[0] for name in names], dtype=object)
    location_of = np.array([name.split("@", 1)[1] for name in names], dtype=object)
    category_of = np.full(len(names), "", dtype=object)
    if products is not None:
        catalogue = pd.read_csv(products, dtype=str, keep_default_na=False)
        known = dict(zip(catalogue["sku"], catalogue.get("category", ""), strict=True))
        category_of = np.array([known.get(sku, "") for sku in sku_of], dtype=object)
    codes, _distinct = pd.factorize(category_of)
    group = np.where(category_of == "", -1, codes)
    mask = np.zeros((len(names), periods), dtype=bool)
    expected_sum, expected_count = np.zeros(len(names)), np.zeros(len(names))
    base = pd.Timestamp(start)
    for row in rows.itertuples(index=False):  # one pass over campaign rows, not over days
        first = (pd.Timestamp(row.start) - base).days
        last = (pd.Timestamp(row.end) - base).days
        hit = sku_of == row.sku if row.sku else category_of == row.category
        if getattr(row, "location", ""):
            hit = hit & (location_of == row.location)
        mask[hit, max(first, 0) : max(min(last + 1, periods), 0)] = True
        if getattr(row, "uplift", ""):
            expected_sum[hit] += float(row.uplift)
            expected_count[hit] += 1
    with np.errstate(invalid="ignore"):
        expected = np.where(expected_count > 0, expected_sum / expected_count, np.nan)
    return {"campaign": mask, "campaign_group": group, "expected_uplift": expected}


def stockout_arrays(sales: Path, names: list[str], start, periods: int) -> dict[str, np.ndarray]:
    """``stockout`` and ``in_stock`` ``(series, periods)`` from the sales file's optional
    ``stockout`` column (true/false/1/0/yes/no; empty: unknown)."""
    frame = pd.read_csv(sales, dtype=str, keep_default_na=False)
    if "stockout" not in frame.columns:
        return {}
    position = {name: i for i, name in enumerate(names)}
    keys = zip(frame.sku, frame.location, strict=True)
    rows = np.array([position.get(f"{sku}@{loc}", -1) for sku, loc in keys])
    days = (pd.to_datetime(frame.date) - pd.Timestamp(start)).dt.days.to_numpy()
    flag = frame.stockout.str.strip().str.lower()
    keep = (rows >= 0) & (days >= 0) & (days < periods)
    out, known_in = np.zeros((len(names), periods), bool), np.zeros((len(names), periods), bool)
    yes = keep & flag.isin(["true", "1", "yes"]).to_numpy()
    no = keep & flag.isin(["false", "0", "no"]).to_numpy()
    out[rows[yes], days[yes]] = True
    known_in[rows[no], days[no]] = True
    return {"stockout": out, "in_stock": known_in}


def _labels(path: Path, names: list[str]) -> np.ndarray:
    """The class of each series in ``names`` (``sku@location``) from ``sku,location,class``."""
    frame = pd.read_csv(path, dtype=str)
    known = {
        f"{sku}@{loc}": c
        for sku, loc, c in zip(frame.sku, frame.location, frame["class"], strict=True)
    }
    return np.array([known.get(name, "unknown") for name in names], dtype=object)


def _rmsse_since_first_sale(actual: np.ndarray, point: np.ndarray, train: np.ndarray) -> np.ndarray:
    selling = train > 0
    first = np.where(selling.any(axis=1), np.argmax(selling, axis=1), train.shape[1])
    steps = np.diff(train, axis=1) ** 2
    counted = np.arange(1, train.shape[1])[None, :] > first[:, None]
    scale = np.sqrt((steps * counted).sum(axis=1) / np.maximum(counted.sum(axis=1), 1))
    rmse = metrics.rmse(actual, point)
    return np.where(scale > 0, rmse / np.where(scale > 0, scale, 1.0), np.nan)


def _by_class(
    forecast: Forecast, actual: np.ndarray, train: np.ndarray, labels: np.ndarray
) -> dict[str, dict[str, float]]:
    """Mean RMSSE and 80 % / 90 % interval coverage per class, and over all series. The
    RMSSE scale counts from each series' first sale (M5): a new item's zeros before its launch
    would shrink the scale and let its few series dominate the mean."""
    rmsse = _rmsse_since_first_sale(actual, forecast.point, train)
    inside_80 = (
        metrics.coverage(actual, forecast.quantile(0.1), forecast.quantile(0.9))
        if {0.1, 0.9} <= set(forecast.levels)
        else np.full(len(actual), np.nan)
    )
    inside_90 = metrics.coverage(actual, *forecast.interval(0.9))
    return class_means(labels, rmsse=rmsse, coverage_80=inside_80, coverage_90=inside_90)


def class_means(labels: np.ndarray, **columns: np.ndarray) -> dict[str, dict[str, float]]:
    """Each per-series column's mean (NaN skipped) per class of ``labels`` and over ``all``."""
    report = {}
    for name in ["all", *sorted(set(labels.tolist()))]:
        rows = np.ones(len(labels), dtype=bool) if name == "all" else labels == name
        report[name] = {
            "series": int(rows.sum()),
            **{key: round(float(np.nanmean(value[rows])), 4) for key, value in columns.items()},
        }
    return report


def _roi(bed, season: int) -> dict[str, float]:
    """Safety stock the recommendation saves over seasonal naive at 95% service, lead time of
    one week (daily) or one month, unit cost 1 (so value = units)."""
    lead = 7.0 if season == 7 else 1.0
    found = roi.from_backtest(
        bed.backtest.methods,
        bed.backtest.scores["rmse"],
        bed.recommendation.method,
        unit_cost=1.0,
        lead_time=lead,
        service_level=0.95,
    )
    return {
        "lead_time_periods": lead,
        "safety_stock_current_units": round(float(found.safety_stock_current.sum()), 1),
        "safety_stock_recommended_units": round(float(found.safety_stock_recommended.sum()), 1),
        "share_saved": round(found.share_saved, 4),
    }


def _rows(forecast: Forecast, rows: slice) -> Forecast:
    return Forecast(
        forecast.method, forecast.point[rows], forecast.quantiles[rows], forecast.levels
    )


if __name__ == "__main__":
    main()
