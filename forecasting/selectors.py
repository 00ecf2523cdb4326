"""Reads of the forecasting domain. Heavy reads (series, aggregates, Test Bed views) are
cached per tenant for an hour in the ``forecasts`` namespace; a finished run, a changed pin
or a new scenario bumps the namespace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Trunc
from psycopg import sql

from catalog.keys import pair_keys
from catalog.models import Category, DemandHistory, Location, Product
from core.cache import cached
from core.exceptions import NotFound
from core.selectors import get_or_not_found
from forecasting import bulk
from forecasting.engine import hierarchy, reconciled, roi
from forecasting.engine.forecast import ForecastSpec, prediction_interval
from forecasting.engine.roi import DEFAULT_CURRENT_METHOD
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    QUANTILE_FIELDS,
    QUANTILE_LEVELS,
    BacktestScore,
    ForecastRun,
    ForecastValue,
    MethodOverride,
    ModelRegistryEntry,
    Scenario,
    SeriesClassification,
)
from forecasting.planning import planning_defaults

INTERVALS = ("day", "week", "month")
LEVELS = ("product", "category", "tenant")
# Bottom-up: every level is the sum of the stored product × location forecasts. OLS and
# MinT-shrink reconcile those with base forecasts of every product, category and the total
# (engine ``reconciled``; ADR 0011 follow-up); dense maths, so only up to a cap of series.
RECONCILIATIONS = hierarchy.METHODS
MAX_RECONCILED_SERIES = 3000
HISTORY_DAYS_SHOWN = 365
Z_90 = 1.2815515655446004  # standard normal 0.9 quantile


# --- runs ---------------------------------------------------------------------------------


def forecast_run_list(*, user: Any = None) -> QuerySet[ForecastRun]:
    return ForecastRun.objects.select_related("job__created_by", "created_by")


def access_forecast_run(*, user: Any, run_id: Any) -> ForecastRun:
    return get_or_not_found(forecast_run_list(user=user), "No such forecast run.", pk=run_id)


def latest_successful_run() -> ForecastRun | None:
    return (
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def resolve_run(*, user: Any, run_id: Any = None) -> ForecastRun:
    """The run asked for (it must have succeeded) or the latest successful one."""
    if run_id in (None, ""):
        run = latest_successful_run()
        if run is None:
            raise NotFound("No successful forecast run yet.")
        return run
    run = access_forecast_run(user=user, run_id=run_id)
    if run.status != ForecastRun.Status.SUCCEEDED:
        raise ForecastInputError(
            f"Forecast run {run.pk} has not succeeded ({run.status}).",
            details={"run": ["Not a successful run."]},
        )
    return run


def _product_by_sku(sku: str) -> Product:
    return get_or_not_found(Product.objects.select_related("category"), "No such SKU.", sku=sku)


def _location_by_code(code: str) -> Location:
    return get_or_not_found(Location.objects.all(), "No such location.", code=code)


# --- one series ---------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _periods(start: date, end: date, interval: str) -> list[date]:
    """Every period start from ``start`` to ``end`` (weeks start on Monday)."""
    if start > end:
        return []
    if interval == "day":
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if interval == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    periods, current = [], start.replace(day=1)
    while current <= end:
        periods.append(current)
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return periods


# Part of the cache key of cached forecast rows: raised when their fields change, so rows
# cached before a deploy (without ``lower_90`` / ``upper_90``, say) are not served after it.
ROWS_FORMAT = 2


def _with_interval(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with ``lower_90`` and ``upper_90``: the 90% prediction interval from its
    quantiles (``[p05, p95]``, or ``[0, p90]`` where p05 is below half a unit;
    ``prediction_interval``)."""
    if rows:
        table = np.array([[row[field] for field in QUANTILE_FIELDS] for row in rows], float)
        lower, upper = prediction_interval(table[:, :, None], QUANTILE_LEVELS, 0.9)
        for row, low, high in zip(rows, lower[:, 0].tolist(), upper[:, 0].tolist(), strict=True):
            row["lower_90"], row["upper_90"] = low, high
    return rows


def _forecast_by_period(values: QuerySet[ForecastValue], interval: str) -> list[dict[str, Any]]:
    """Sums of mean and quantiles per period. Summed daily quantiles bound the quantile of the
    sum from above for p≥0.5 (they assume the days move together); documented in ADR 0011."""
    rows = (
        values.annotate(period=Trunc("date", interval))
        .values("period")
        .annotate(
            forecast_sum=Sum("forecast"),
            **{f"{field}_sum": Sum(field) for field in QUANTILE_FIELDS},
        )
        .order_by("period")
    )
    return _with_interval(
        [
            {
                "period": row["period"],
                "forecast": row["forecast_sum"],
                **{field: row[f"{field}_sum"] for field in QUANTILE_FIELDS},
            }
            for row in rows
        ]
    )


def forecast_series(
    *,
    user: Any,
    sku: str,
    location: str | None = None,
    run_id: Any = None,
    interval: str = "day",
) -> dict[str, Any]:
    """History and forecast of one SKU (at one location, or summed over all) from a run:
    ``history`` (quantity per period, zero where nothing sold) up to the run's data end,
    ``forecast`` (mean and quantiles per period) after it."""
    run = resolve_run(user=user, run_id=run_id)
    product = _product_by_sku(sku)
    place = _location_by_code(location) if location else None

    def compute() -> dict[str, Any]:
        start = max(run.data_start, run.data_end - timedelta(days=HISTORY_DAYS_SHOWN - 1))
        sales = DemandHistory.objects.filter(product=product, date__range=(start, run.data_end))
        values = ForecastValue.objects.filter(run_id=run.pk, product_id=product.pk, selected=True)
        if place is not None:
            sales = sales.filter(location=place)
            values = values.filter(location_id=place.pk)
        sold = dict(
            sales.annotate(period=Trunc("date", interval))
            .values("period")
            .annotate(quantity_sum=Sum(Cast("quantity", FloatField())))
            .values_list("period", "quantity_sum")
        )
        history = [
            {"period": period, "quantity": float(sold.get(period, 0.0))}
            for period in _periods(start, run.data_end, interval)
        ]
        methods = sorted(set(values.values_list("method", flat=True)))
        return {
            "run": run.pk,
            "sku": product.sku,
            "location": place.code if place else None,
            "interval": interval,
            "methods": methods,
            "history": history,
            "forecast": _forecast_by_period(values, interval),
        }

    return cached(
        "forecasts",
        "series",
        ROWS_FORMAT,
        run.pk,
        product.pk,
        place.pk if place else None,
        interval,
        compute=compute,
    )


# --- hierarchy ----------------------------------------------------------------------------


def _category_tree_ids(name: str) -> list[int]:
    """The categories called ``name`` (names repeat under different parents) and all their
    descendants, from one query of the category tree; NotFound when no category has it."""
    tree = list(Category.objects.values_list("id", "parent_id", "name"))
    found = [pk for pk, _parent, label in tree if label == name]
    if not found:
        raise NotFound("No such category.")
    children: dict[int, list[int]] = {}
    for pk, parent, _label in tree:
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    ids, frontier = set(found), list(found)
    while frontier:  # a walk over the category tree, not over rows
        frontier = [child for pk in frontier for child in children.get(pk, ()) if child not in ids]
        ids.update(frontier)
    return sorted(ids)


def forecast_aggregate(
    *,
    user: Any,
    level: str,
    sku: str | None = None,
    category: str | None = None,
    run_id: Any = None,
    interval: str = "day",
    reconciliation: str = "bottom_up",
) -> list[dict[str, Any]]:
    """Forecasts summed bottom-up from product × location to ``level`` (product, category or
    tenant) per period, optionally only for one SKU or one category (by name, with its
    sub-categories; same-named categories under different parents count as one). Each row is
    ``{key, period, forecast, p05 … p95, lower_90, upper_90}``; ``key`` is the SKU, the
    category name (``None`` for uncategorised products) or ``"total"``."""
    if level not in LEVELS:
        raise ForecastInputError("Unknown level.", details={"level": [f"one of {LEVELS}"]})
    if reconciliation not in RECONCILIATIONS:
        raise ForecastInputError(
            "Unknown reconciliation.", details={"reconciliation": [f"one of {RECONCILIATIONS}"]}
        )
    run = resolve_run(user=user, run_id=run_id)
    if reconciliation != "bottom_up":
        _check_reconcilable(run.series_count)
    product = _product_by_sku(sku) if sku else None
    group = _category_tree_ids(category) if category else None

    def compute() -> list[dict[str, Any]]:
        values = ForecastValue.objects.filter(run_id=run.pk, selected=True)
        if product is not None:
            values = values.filter(product_id=product.pk)
        if group is not None:
            values = values.filter(product__category_id__in=group)
        key = {"product": F("product__sku"), "category": F("product__category__name")}.get(level)
        values = values.annotate(period=Trunc("date", interval))
        fields = ["period"]
        if key is not None:
            values = values.annotate(key=key)
            fields = ["key", "period"]
        rows = (
            values.values(*fields)
            .annotate(
                forecast_sum=Sum("forecast"),
                **{f"{field}_sum": Sum(field) for field in QUANTILE_FIELDS},
            )
            .order_by(*fields)
        )
        answer = [
            {
                "key": row.get("key", "total"),
                "period": row["period"],
                "forecast": row["forecast_sum"],
                **{field: row[f"{field}_sum"] for field in QUANTILE_FIELDS},
            }
            for row in rows
        ]
        if reconciliation == "bottom_up":
            return _with_interval(answer)
        change = _reconciled_change(
            run=run,
            method=reconciliation,
            level=level,
            product=product,
            group=group,
            interval=interval,
        )
        for row in answer:
            shift = change.get((row["key"], row["period"]), 0.0)
            row["forecast"] += shift
            for field in QUANTILE_FIELDS:  # the bottom-up band, moved with the mean
                row[field] = max(row[field] + shift, 0.0)
        return _with_interval(answer)

    return cached(
        "forecasts",
        "aggregate",
        ROWS_FORMAT,
        run.pk,
        level,
        product.pk if product else None,
        ",".join(map(str, group)) if group else None,
        interval,
        reconciliation,
        compute=compute,
    )


def _check_reconcilable(series: int) -> None:
    if series > MAX_RECONCILED_SERIES:
        raise ForecastInputError(
            f"The run has {series} series; OLS and MinT reconciliation take at most "
            f"{MAX_RECONCILED_SERIES}. Use reconciliation=bottom_up.",
            details={"reconciliation": ["too many series for ols/mint_shrink: use bottom_up"]},
        )


def reconciled_bottom(*, run: ForecastRun, method: str) -> dict[str, Any]:
    """The run's hierarchy reconciled with ``method`` (``ols`` or ``mint_shrink``): per
    bottom series (``product``, ``location``, ``sku``, ``category``, ``category_name``
    arrays) the reconciled minus the stored selected forecast, ``change`` ``(series,
    horizon)`` from the day after ``data_end``, and ``upper_methods`` (base method → upper
    nodes using it). Three queries (selected forecasts, the history window of the same
    series, their products); cached per run and method."""

    def compute() -> dict[str, Any]:
        values = ForecastValue.objects.filter(run_id=run.pk, selected=True)
        rows = list(values.values_list("product_id", "location_id", "date", "forecast", "method"))
        if not rows:
            raise NotFound("The run has no forecasts.")
        product, location, day, forecast, method_name = (
            np.array(column, dtype=object) for column in zip(*rows, strict=True)
        )
        keys = pair_keys(product.astype(np.int64), location.astype(np.int64))
        series, index = np.unique(keys, return_inverse=True)
        first = np.datetime64(run.data_end + timedelta(days=1), "D")
        step = (day.astype("datetime64[D]") - first).astype(np.int64)
        bottom = np.zeros((series.size, run.horizon))
        bottom[index, step] = forecast.astype(np.float64)
        chosen = np.empty(series.size, dtype=object)
        chosen[index] = method_name

        days = (run.data_end - run.data_start).days + 1
        query = sql.SQL(
            "SELECT h.product_id::int8, h.location_id::int8, (h.date - {start})::int4, "
            "h.quantity::float8 FROM {sales} h WHERE h.date BETWEEN {start} AND {end} "
            "AND (h.product_id, h.location_id) IN (SELECT DISTINCT product_id, location_id "
            "FROM {values} WHERE run_id = {run} AND selected)"
        ).format(
            start=sql.Literal(run.data_start),
            end=sql.Literal(run.data_end),
            sales=sql.Identifier(DemandHistory._meta.db_table),
            values=sql.Identifier(ForecastValue._meta.db_table),
            run=sql.Literal(run.pk),
        )
        with connection.cursor() as cursor:
            sales = bulk.copy_out(cursor, query, ["int8", "int8", "int4", "float8"])
        history = np.zeros((series.size, days))
        sold = pair_keys(sales["v0"], sales["v1"])
        np.add.at(history, (np.searchsorted(series, sold), sales["v2"]), sales["v3"])

        series_product = series >> 32
        facts = list(
            Product.objects.filter(id__in=np.unique(series_product).tolist())
            .order_by("id")
            .values_list("id", "sku", "category_id", "category__name")
        )
        ids, skus, categories, names = (np.array(c, dtype=object) for c in zip(*facts, strict=True))
        at = np.searchsorted(ids.astype(np.int64), series_product)
        sku, category, category_name = skus[at], categories[at], names[at]
        try:
            result = reconciled.reconcile_hierarchy(
                history,
                bottom,
                [
                    ("category", np.where(category == None, -1, category).astype(np.int64)),  # noqa: E711
                    ("product", series_product),
                ],
                ForecastSpec(
                    horizon=run.horizon, season_length=run.parameters.get("season_length", 7)
                ),
                method,
                folds=run.folds,
                bottom_methods=chosen,
            )
        except ValueError as error:
            raise ForecastInputError(
                f"Cannot reconcile this run: {error}.",
                details={"reconciliation": [str(error)]},
            ) from error
        used, count = np.unique(result.node_method[: -result.tree.bottom], return_counts=True)
        return {
            "product": series_product,
            "location": series & 0xFFFFFFFF,
            "sku": sku,
            "category": category,
            "category_name": category_name,
            "first_day": first,
            "change": result.bottom_change,
            "upper_methods": dict(zip(used.tolist(), count.tolist(), strict=True)),
        }

    return cached("forecasts", "reconciled", run.pk, method, compute=compute)


def _period_starts(days: np.ndarray, interval: str) -> np.ndarray:
    """Period start of each ``datetime64[D]`` day, as Postgres ``date_trunc`` gives it."""
    if interval == "week":  # 1970-01-01 was a Thursday: Monday is (n + 3) % 7 == 0
        return days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
    if interval == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    return days


def _reconciled_change(
    *,
    run: ForecastRun,
    method: str,
    level: str,
    product: Product | None,
    group: list[int] | None,
    interval: str,
) -> dict[tuple[Any, date], float]:
    """Reconciled minus bottom-up forecast per ``(key, period)`` of the aggregate rows."""
    data = reconciled_bottom(run=run, method=method)
    keep = np.ones(data["product"].size, dtype=bool)
    if product is not None:
        keep &= data["product"] == product.pk
    if group is not None:
        keep &= np.isin(data["category"], group)  # the category tree of that name
    key = {"product": data["sku"], "category": data["category_name"]}.get(
        level, np.full(keep.size, "total", dtype=object)
    )[keep]
    change = data["change"][keep]
    days = data["first_day"] + np.arange(change.shape[1]).astype("timedelta64[D]")
    periods, period_code = np.unique(_period_starts(days, interval), return_inverse=True)
    key_code, key_names = pd.factorize(key, use_na_sentinel=False)
    cell = key_code[:, None] * periods.size + period_code[None, :]
    sums = np.bincount(
        cell.ravel(), weights=change.ravel(), minlength=len(key_names) * periods.size
    ).reshape(len(key_names), periods.size)
    return {
        (name, period.item()): float(sums[k, p])
        for k, name in enumerate(key_names)
        for p, period in enumerate(periods)
    }


# --- Test Bed -----------------------------------------------------------------------------


def test_bed_leaderboard(
    *, user: Any, sku: str, location: str | None = None, run_id: Any = None
) -> dict[str, Any]:
    """Per location of a SKU: every backtested method ranked by RMSSE with its scores, and
    the method the run used (and why)."""
    run = resolve_run(user=user, run_id=run_id)
    product = _product_by_sku(sku)
    place = _location_by_code(location) if location else None

    def compute() -> dict[str, Any]:
        scores = BacktestScore.objects.filter(run_id=run.pk, product_id=product.pk)
        classes = SeriesClassification.objects.filter(run_id=run.pk, product_id=product.pk)
        if place is not None:
            scores = scores.filter(location_id=place.pk)
            classes = classes.filter(location_id=place.pk)
        codes = dict(Location.objects.values_list("id", "code"))
        series: dict[int, dict[str, Any]] = {}
        for c in classes.order_by("location_id"):
            series[c.location_id] = {
                "location": codes.get(c.location_id),
                "method": c.method,
                "reason": c.reason,
                "pattern": c.pattern,
                "xyz": c.xyz,
                "abc": c.abc,
                "new_item": c.new_item,
                "methods": [],
            }
        score_fields = ("mae", "rmse", "wape", "bias", "mase", "rmsse", "pinball", "coverage")
        for row in scores.order_by("location_id", "rank").values(
            "location_id", "method", "rank", *score_fields
        ):
            entry = series.get(row["location_id"])
            if entry is not None:
                entry["methods"].append(
                    {"method": row["method"], "rank": row["rank"]}
                    | {field: row[field] for field in score_fields}
                )
        return {"run": run.pk, "sku": product.sku, "series": list(series.values())}

    return cached(
        "forecasts",
        "leaderboard",
        run.pk,
        product.pk,
        place.pk if place else None,
        compute=compute,
    )


def test_bed_roi(
    *,
    user: Any,
    run_id: Any = None,
    current: str = DEFAULT_CURRENT_METHOD,
    service_level: float | None = None,
    holding_rate: float | None = None,
    top: int = 20,
) -> dict[str, Any]:
    """What the run's recommended methods are worth against ``current`` (the method the tenant
    uses today, seasonal naive by default): safety stock SS = z·σ_e·√L with σ_e each method's
    backtest RMSE and L the product's lead time in days, at ``service_level`` (default the
    tenant's class-B target), valued at unit cost (engine ``roi``; ADR 12). Totals, and the
    ``top`` series by value saved. Series without a backtest of both methods are left out."""
    run = resolve_run(user=user, run_id=run_id)
    defaults = planning_defaults()
    level = defaults.service_level if service_level is None else service_level
    rate = defaults.holding_cost_rate if holding_rate is None else holding_rate

    def compute() -> dict[str, Any]:
        # Inside the cached work: a bad ``current`` raises and is never cached.
        tested = set(
            BacktestScore.objects.filter(run_id=run.pk).values_list("method", flat=True).distinct()
        )
        if current not in tested:
            raise ForecastInputError(
                "The current method was not backtested in this run.",
                details={"current": [f"one of {sorted(tested)}"]},
            )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT p.sku, l.code, c.method, c.rmse, b.rmse,
                       p.unit_cost::float8, p.lead_time_days::float8
                FROM {SeriesClassification._meta.db_table} c
                JOIN {BacktestScore._meta.db_table} b ON b.run_id = c.run_id
                     AND b.product_id = c.product_id AND b.location_id = c.location_id
                     AND b.method = %s
                JOIN {Product._meta.db_table} p ON p.id = c.product_id
                JOIN {Location._meta.db_table} l ON l.id = c.location_id
                WHERE c.run_id = %s AND c.rmse IS NOT NULL AND b.rmse IS NOT NULL
                ORDER BY c.product_id, c.location_id
                """,  # noqa: S608
                [current, run.pk],
            )
            rows = cursor.fetchall()
        table = np.array([r[3:] for r in rows], dtype=np.float64).reshape(-1, 4)
        result = roi.estimate(
            recommended_rmse=table[:, 0],
            current_rmse=table[:, 1],
            unit_cost=table[:, 2],
            lead_time=table[:, 3],
            service_level=level,
            holding_rate=rate,
        )
        best = np.argsort(-result.value_saved, kind="stable")[:top]
        return {
            "run": run.pk,
            "current_method": current,
            "service_level": level,
            "z": result.z,
            "holding_rate": rate,
            "series": len(rows),
            "safety_stock_current_units": float(result.safety_stock_current.sum()),
            "safety_stock_recommended_units": float(result.safety_stock_recommended.sum()),
            "units_saved": result.total_units_saved,
            "value_current": result.total_value_current,
            "value_saved": result.total_value_saved,
            "share_saved": result.share_saved,
            "holding_cost_saved_per_year": result.holding_saving,
            "top_series": [
                {
                    "sku": rows[i][0],
                    "location": rows[i][1],
                    "method": rows[i][2],
                    "safety_stock_current": float(result.safety_stock_current[i]),
                    "safety_stock_recommended": float(result.safety_stock_recommended[i]),
                    "value_saved": float(result.value_saved[i]),
                }
                for i in best.tolist()
            ],
        }

    return cached("forecasts", "roi", run.pk, current, level, rate, top, compute=compute)


def test_bed_summary(*, user: Any, run_id: Any = None) -> dict[str, Any]:
    """Totals of a run: series per pattern, XYZ and ABC class; per method the series that
    use it, its wins (rank 1), and its mean backtest scores; and per pattern × method the
    series selecting it and its mean RMSSE there."""
    run = resolve_run(user=user, run_id=run_id)

    def compute() -> dict[str, Any]:
        classes = SeriesClassification.objects.filter(run_id=run.pk)

        def counts(field: str) -> list[dict[str, Any]]:
            return [
                {"value": row[field], "series": row["n"], "mean_rmsse": row["r"]}
                for row in classes.values(field)
                .annotate(n=Count("id"), r=Avg("rmsse"))
                .order_by(field)
            ]

        selected = dict(
            classes.values_list("method").annotate(n=Count("id")).values_list("method", "n")
        )
        methods = [
            {
                "method": row["method"],
                "selected_series": selected.get(row["method"], 0),
                "wins": row["wins"],
                "mean_rmsse": row["rmsse_mean"],
                "mean_wape": row["wape_mean"],
                "mean_mase": row["mase_mean"],
                "mean_bias": row["bias_mean"],
                "mean_coverage": row["coverage_mean"],
            }
            for row in BacktestScore.objects.filter(run_id=run.pk)
            .values("method")
            .annotate(
                wins=Count("id", filter=Q(rank=1)),
                rmsse_mean=Avg("rmsse"),
                wape_mean=Avg("wape"),
                mase_mean=Avg("mase"),
                bias_mean=Avg("bias"),
                coverage_mean=Avg("coverage"),
            )
            .order_by("rmsse_mean", "method")
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT c.pattern, s.method, COUNT(*) FILTER (WHERE s.method = c.method),
                       AVG(s.rmsse)
                FROM {SeriesClassification._meta.db_table} c
                JOIN {BacktestScore._meta.db_table} s ON s.run_id = c.run_id
                     AND s.product_id = c.product_id AND s.location_id = c.location_id
                WHERE c.run_id = %s
                GROUP BY c.pattern, s.method ORDER BY c.pattern, s.method
                """,  # noqa: S608
                [run.pk],
            )
            matrix = [
                {"pattern": p, "method": m, "selected_series": n, "mean_rmsse": r}
                for p, m, n, r in cursor.fetchall()
            ]
        return {
            "run": run.pk,
            "series": classes.count(),
            "patterns": counts("pattern"),
            "xyz": counts("xyz"),
            "abc": counts("abc"),
            "methods": methods,
            "matrix": matrix,
        }

    return cached("forecasts", "summary", run.pk, compute=compute)


def test_bed_worst_series(*, user: Any, run_id: Any = None, limit: int = 20) -> list[dict]:
    """The run's series with the highest backtest RMSSE of the method used: where a planner
    should look first."""
    run = resolve_run(user=user, run_id=run_id)
    return list(
        SeriesClassification.objects.filter(run_id=run.pk, rmsse__isnull=False)
        .order_by("-rmsse", "product_id", "location_id")
        .values(
            "product_id",
            "product__sku",
            "location__code",
            "pattern",
            "method",
            "reason",
            "rmsse",
            "wape",
        )[:limit]
    )


# --- registry, overrides, scenarios -------------------------------------------------------


def model_registry_list(*, user: Any = None) -> QuerySet[ModelRegistryEntry]:
    return ModelRegistryEntry.objects.select_related("product", "location")


def method_override_list(*, user: Any = None) -> QuerySet[MethodOverride]:
    return MethodOverride.objects.select_related("product", "location", "created_by")


def access_method_override(*, user: Any, override_id: Any) -> MethodOverride:
    return get_or_not_found(
        method_override_list(user=user), "No such method override.", pk=override_id
    )


def scenario_list(*, user: Any = None) -> QuerySet[Scenario]:
    return Scenario.objects.select_related("base_run", "created_by")


def access_scenario(*, user: Any, scenario_id: Any) -> Scenario:
    return get_or_not_found(scenario_list(user=user), "No such scenario.", pk=scenario_id)


def scenario_multipliers(
    adjustments: list[dict[str, Any]],
    sku: np.ndarray,
    category: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """The multiplier of each forecast row: the product of the multipliers of every
    adjustment whose keys (``sku``, ``category``, ``date_from``, ``date_to``) all match."""
    factor = np.ones(sku.size)
    for adjustment in adjustments:  # a loop over adjustments, not rows
        match = np.ones(sku.size, dtype=bool)
        if adjustment.get("sku"):
            match &= sku == adjustment["sku"]
        if adjustment.get("category"):
            match &= category == adjustment["category"]
        if adjustment.get("date_from"):
            match &= day >= np.datetime64(adjustment["date_from"])
        if adjustment.get("date_to"):
            match &= day <= np.datetime64(adjustment["date_to"])
        factor = np.where(match, factor * float(adjustment["multiplier"]), factor)
    return factor


def scenario_comparison(*, scenario: Scenario, interval: str = "day") -> list[dict[str, Any]]:
    """Base and scenario totals per period: the base run's selected forecast summed per
    SKU × day (one query), times each row's multiplier, summed per period."""

    def compute() -> list[dict[str, Any]]:
        rows = list(
            ForecastValue.objects.filter(run_id=scenario.base_run_id, selected=True)
            .annotate(period=Trunc("date", interval))
            .values("product__sku", "product__category__name", "date", "period")
            .annotate(total=Sum("forecast"))
            .values_list("product__sku", "product__category__name", "date", "period", "total")
            .order_by()
        )
        if not rows:
            return []
        sku, category, day, period, total = (
            np.array(column, dtype=object) for column in zip(*rows, strict=True)
        )
        base = total.astype(np.float64)
        factor = scenario_multipliers(
            scenario.adjustments,
            sku.astype(str),
            np.array(["" if c is None else c for c in category], dtype=str),
            day.astype("datetime64[D]"),
        )
        periods, index = np.unique(period.astype("datetime64[D]"), return_inverse=True)
        base_sum = np.bincount(index, weights=base, minlength=periods.size)
        scenario_sum = np.bincount(index, weights=base * factor, minlength=periods.size)
        return [
            {"period": p.item(), "base": float(b), "scenario": float(s)}
            for p, b, s in zip(periods, base_sum, scenario_sum, strict=True)
        ]

    return cached("forecasts", "scenario", scenario.pk, interval, compute=compute)


# --- for inventory policy -----------------------------------------------------------------


@dataclass(frozen=True)
class PolicyForecast:
    """Per product × location of the latest successful run (arrays of one length):
    ``mean_daily`` forecast over the horizon (units/day), ``sigma_daily`` the daily error
    standard deviation (the selected method's backtest RMSE, or from the p10–p90 spread
    where the series had no backtest), and ``p50_total`` / ``p90_total`` over the horizon."""

    run_id: int | None
    horizon: int
    product_id: np.ndarray
    location_id: np.ndarray
    mean_daily: np.ndarray
    sigma_daily: np.ndarray
    p50_total: np.ndarray
    p90_total: np.ndarray
    data_end: date | None = None  # the run's last day of history; forecasts start after


def latest_forecast_for_policy() -> PolicyForecast:
    """The latest successful run's selected forecasts as arrays (empty without a run)."""
    run = latest_successful_run()
    empty = np.zeros(0)
    if run is None:
        return PolicyForecast(
            None, 0, empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT v.product_id, v.location_id, AVG(v.forecast), SUM(v.p50), SUM(v.p90),
                   MAX(c.rmse), AVG(v.p90 - v.p10)
            FROM {ForecastValue._meta.db_table} v
            LEFT JOIN {SeriesClassification._meta.db_table} c ON c.run_id = v.run_id
                 AND c.product_id = v.product_id AND c.location_id = v.location_id
            WHERE v.run_id = %s AND v.selected
            GROUP BY v.product_id, v.location_id ORDER BY v.product_id, v.location_id
            """,  # noqa: S608
            [run.pk],
        )
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.float64).reshape(-1, 7)  # NULL becomes NaN
    spread_sigma = table[:, 6] / (2 * Z_90)
    sigma = np.where(np.isnan(table[:, 5]), spread_sigma, table[:, 5])
    return PolicyForecast(
        run_id=run.pk,
        horizon=run.horizon,
        product_id=table[:, 0].astype(np.int64),
        location_id=table[:, 1].astype(np.int64),
        mean_daily=table[:, 2],
        sigma_daily=sigma,
        p50_total=table[:, 3],
        p90_total=table[:, 4],
        data_end=run.data_end,
    )


def forecast_export_rows(*, all_methods: bool = False):
    """Rows of the forecasts export (ARCHITECTURE §9): ``sku, location, date, method,
    forecast, p10, p50, p90`` of the latest successful run's selected method (every stored
    method with ``all_methods``), ordered by SKU, location, date and method. Streams."""
    run = latest_successful_run()
    if run is None:
        return iter(())
    values = ForecastValue.objects.filter(run_id=run.pk)
    if not all_methods:
        values = values.filter(selected=True)
    return (
        values.order_by("product__sku", "location__code", "date", "method")
        .values_list(
            "product__sku", "location__code", "date", "method", "forecast", "p10", "p50", "p90"
        )
        .iterator(chunk_size=5000)
    )
