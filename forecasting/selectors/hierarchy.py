"""Reconciled hierarchy totals (bottom-up, OLS, MinT-shrink) of a run."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import connection
from psycopg import sql

from catalog.keys import pair_keys
from catalog.models import DemandHistory, Product
from core.cache import cached
from core.exceptions import NotFound
from forecasting import bulk
from forecasting.engine import hierarchy, reconciled
from forecasting.engine.forecast import ForecastSpec
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    ForecastRun,
    ForecastValue,
)

# Bottom-up: every level is the sum of the stored product × location forecasts. OLS and
# MinT-shrink reconcile those with base forecasts of every product, category and the total
# (engine ``reconciled``; ADR 0011 follow-up); dense maths, so only up to a cap of series.
RECONCILIATIONS = hierarchy.METHODS


MAX_RECONCILED_SERIES = 3000


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
        assert run.data_start is not None and run.data_end is not None  # set by forecast_run_start
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
        mondays: np.ndarray = days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
        return mondays
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
    import pandas as pd  # here, not at module level: it costs every process ~1 s at start

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
