"""Forecast series and aggregates (per product, category or tenant; day, week or month),
and the rows of the forecasts export."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast, Trunc

from catalog.models import Category, DemandHistory
from core.cache import cached
from core.exceptions import NotFound
from forecasting.engine.forecast import prediction_interval
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    QUANTILE_FIELDS,
    QUANTILE_LEVELS,
    ForecastRun,
    ForecastValue,
)
from forecasting.selectors.hierarchy import (
    RECONCILIATIONS,
    _check_reconcilable,
    _reconciled_change,
)
from forecasting.selectors.runs import (
    _location_by_code,
    _product_by_sku,
    latest_successful_run,
    resolve_run,
)

if TYPE_CHECKING:
    from accounts.models import User

INTERVALS = ("day", "week", "month")


LEVELS = ("product", "category", "tenant")


HISTORY_DAYS_SHOWN = 365


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


class ForecastTable(Sequence[dict[str, Any]]):
    """Aggregated forecast rows held as columns: the keys, the periods (``datetime64[D]``) and
    one float array of ``forecast, p05 … p95, lower_90, upper_90``. What the cache stores for
    ``forecast_aggregate``: unpickling 2,000 row dicts took 1.7 ms of a 50-row page (issue
    17), these columns a few µs, and a tenant of 5,000 products × 90 days would have cached
    450,000 dicts. Indexing gives the rows as dicts (a slice: only the page's), exactly what
    the list of dicts held: ``float`` values (from float64, which holds every value a float
    does), ``date`` periods and the keys as they were."""

    FIELDS = ("forecast", *QUANTILE_FIELDS, "lower_90", "upper_90")
    __slots__ = ("keys", "periods", "values")

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.keys = [row["key"] for row in rows]
        self.periods = np.array([row["period"] for row in rows], dtype="datetime64[D]")
        self.values = np.array(
            [[row[field] for field in self.FIELDS] for row in rows], dtype=float
        ).reshape(len(rows), len(self.FIELDS))

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self._rows(self.keys[index], self.periods[index], self.values[index])
        position = range(len(self.keys))[index]  # an IndexError as a list's
        return self._rows(
            [self.keys[position]], self.periods[position : position + 1], self.values[[position]]
        )[0]

    def _rows(self, keys: list[Any], periods: Any, values: Any) -> list[dict[str, Any]]:
        fields = self.FIELDS
        return [
            {"key": key, "period": period, **dict(zip(fields, numbers, strict=True))}
            for key, period, numbers in zip(keys, periods.tolist(), values.tolist(), strict=True)
        ]


def _forecast_by_period(values: QuerySet[ForecastValue], interval: str) -> list[dict[str, Any]]:
    """Sums of mean and quantiles per period. Summed daily quantiles bound the quantile of the
    sum from above for p≥0.5 (they assume the days move together); documented in ADR 0011."""
    rows: QuerySet[ForecastValue, Mapping[str, Any]] = (
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
    user: User,
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
        assert run.data_start is not None and run.data_end is not None  # set by forecast_run_start
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
    user: User,
    level: str,
    sku: str | None = None,
    category: str | None = None,
    run_id: Any = None,
    interval: str = "day",
    reconciliation: str = "bottom_up",
) -> ForecastTable:
    """Forecasts summed bottom-up from product × location to ``level`` (product, category or
    tenant) per period, optionally only for one SKU or one category (by name, with its
    sub-categories; same-named categories under different parents count as one). Each row is
    ``{key, period, forecast, p05 … p95, lower_90, upper_90}``; ``key`` is the SKU, the
    category name (``None`` for uncategorised products) or ``"total"``. The rows come as a
    :class:`ForecastTable` (a sequence of those dicts)."""
    if level not in LEVELS:
        raise ForecastInputError("Unknown level.", details={"level": [f"one of {LEVELS}"]})
    if reconciliation not in RECONCILIATIONS:
        raise ForecastInputError(
            "Unknown reconciliation.", details={"reconciliation": [f"one of {RECONCILIATIONS}"]}
        )
    # The latest run is resolved only on a miss: its entry is keyed "latest", which the
    # namespace's bump on every run that succeeds or is deleted keeps current (a hit then
    # costs no query at all).
    latest = run_id in (None, "")
    asked = None if latest else resolve_run(user=user, run_id=run_id)
    if asked is not None and reconciliation != "bottom_up":
        _check_reconcilable(asked.series_count)
    product = _product_by_sku(sku) if sku else None
    group = _category_tree_ids(category) if category else None

    def compute() -> ForecastTable:
        run = asked or resolve_run(user=user)
        if asked is None and reconciliation != "bottom_up":
            _check_reconcilable(run.series_count)
        return ForecastTable(aggregate_rows(run))

    def aggregate_rows(run: ForecastRun) -> list[dict[str, Any]]:
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
        "table",  # the cached value is a ForecastTable (formerly a list of dicts)
        ROWS_FORMAT,
        "latest" if asked is None else asked.pk,
        level,
        product.pk if product else None,
        ",".join(map(str, group)) if group else None,
        interval,
        reconciliation,
        compute=compute,
    )


def forecast_export_rows(*, all_methods: bool = False) -> Iterator[tuple[Any, ...]]:
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
