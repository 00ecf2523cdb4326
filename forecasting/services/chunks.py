"""Chunks and storage of a forecast run: load a chunk's history into a dense array, run the
Test Bed on it, and write its forecast values, scores and classes in bulk."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from django.db import connection, transaction
from psycopg import sql

from catalog.keys import pair_keys
from catalog.models import DemandHistory
from catalog.selectors import excluded_product_ids
from forecasting import bulk
from forecasting.engine import explain
from forecasting.engine.backtest import SCORES, ForecastSelection, run_test_bed
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import FAST_METHODS, GLOBAL_METHODS, METHODS, method_named
from forecasting.models import (
    QUANTILE_FIELDS,
    QUANTILE_LEVELS,
    BacktestScore,
    ForecastExplanation,
    ForecastRun,
    ForecastValue,
    MethodOverride,
    ModelRegistryEntry,
    SeriesClassification,
)
from forecasting.selectors.campaigns import campaign_days

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

SEASON_LENGTH = 7  # daily data, weekly pattern


@dataclass(frozen=True)
class SeriesBlock:
    """Dense history of some series: ``history[i]`` is the daily demand of
    ``(product[i], location[i])`` from the run's ``data_start``; ``revenue`` the window's
    recorded revenue per series; ``stockout`` / ``in_stock`` the days the import flagged as
    out of stock / in stock (``None`` where no row carries a flag; unflagged days are
    unknown, and the engine may infer a stockout there)."""

    product: np.ndarray
    location: np.ndarray
    history: np.ndarray
    revenue: np.ndarray
    stockout: np.ndarray | None = None
    in_stock: np.ndarray | None = None

    def rows(self, start: int, stop: int) -> SeriesBlock:
        """The series ``start`` … ``stop`` − 1."""
        return SeriesBlock(
            product=self.product[start:stop],
            location=self.location[start:stop],
            history=self.history[start:stop],
            revenue=self.revenue[start:stop],
            stockout=None if self.stockout is None else self.stockout[start:stop],
            in_stock=None if self.in_stock is None else self.in_stock[start:stop],
        )


def _sorted_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` by hashing (pandas.factorize) and sorting
    only the distinct keys: about ten times faster on millions of sales rows."""
    import pandas as pd  # here, not at module level: it costs every process ~1 s at start

    codes, distinct = pd.factorize(keys, sort=False)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(distinct)[order], rank[codes]


def history_load(*, run: ForecastRun, products: Sequence[int] | None = None) -> SeriesBlock:
    """The run's window of sales history (all series, or those of ``products``) in one query.
    Products excluded from forecasting (``ProductExclusion`` scope ``forecast``) are left out."""
    assert run.data_start is not None and run.data_end is not None  # set by forecast_run_start
    days = (run.data_end - run.data_start).days + 1
    where = sql.SQL("date BETWEEN {} AND {}").format(
        sql.Literal(run.data_start), sql.Literal(run.data_end)
    )
    excluded = sorted(excluded_product_ids(scope="forecast"))
    if excluded:
        where = sql.SQL("{} AND product_id NOT IN ({})").format(
            where, sql.SQL(", ").join(sql.Literal(int(p)) for p in excluded)
        )
    if products is None:
        products = (run.parameters or {}).get("products") or None  # a partial run (ADR 38)
    if products is not None:
        ids = sql.SQL(", ").join(sql.Literal(int(p)) for p in products) or sql.SQL("NULL")
        where = sql.SQL("{} AND product_id IN ({})").format(where, ids)
    query = sql.SQL(
        "SELECT product_id, location_id, (date - {start})::int4, quantity::float8, "
        "COALESCE(revenue, 0)::float8, "
        "(CASE WHEN stockout THEN 1 WHEN NOT stockout THEN 0 ELSE -1 END)::int2 "
        "FROM {table} WHERE {where}"
    ).format(
        start=sql.Literal(run.data_start),
        table=sql.Identifier(DemandHistory._meta.db_table),
        where=where,
    )
    with connection.cursor() as cursor:
        rows = bulk.copy_out(cursor, query, ["int8", "int8", "int4", "float8", "float8", "int2"])
    series, index = _sorted_codes(pair_keys(rows["v0"], rows["v1"]))
    history = np.zeros((series.size, days))
    history[index, rows["v2"]] = rows["v3"]
    revenue = np.bincount(index, weights=rows["v4"], minlength=series.size)
    stockout = in_stock = None
    flag = rows["v5"]
    if (flag >= 0).any():  # the import's stockout column (ADR 32)
        stockout = np.zeros((series.size, days), dtype=bool)
        in_stock = np.zeros((series.size, days), dtype=bool)
        stockout[index[flag == 1], rows["v2"][flag == 1]] = True
        in_stock[index[flag == 0], rows["v2"][flag == 0]] = True
    return SeriesBlock(
        product=series >> 32,
        location=series & 0xFFFFFFFF,
        history=history,
        revenue=revenue,
        stockout=stockout,
        in_stock=in_stock,
    )


def chunk_products(product: np.ndarray, chunk_size: int) -> list[np.ndarray]:
    """Split series (sorted by product) into chunks of about ``chunk_size`` series, cutting
    only between products. Returns each chunk's product ids."""
    products, first = np.unique(product, return_index=True)
    if products.size == 0:
        return []
    chunk_of_product = first // max(1, chunk_size)
    cuts = np.flatnonzero(np.diff(chunk_of_product)) + 1
    return np.split(products, cuts)


def _overrides_for(product: np.ndarray, location: np.ndarray) -> np.ndarray:
    """The pinned method per series ('' where none): a location's own pin beats the SKU's
    pin for every location."""
    pinned = np.full(product.size, "", dtype=object)
    rows = MethodOverride.objects.filter(product_id__in=np.unique(product).tolist())
    every_location = [(o.product_id, o.method) for o in rows if o.location_id is None]
    one_location = [(o.product_id, o.location_id, o.method) for o in rows if o.location_id]
    for product_id, method in every_location:  # a loop over pins, not over series
        pinned[product == product_id] = method
    for product_id, location_id, method in one_location:
        pinned[(product == product_id) & (location == location_id)] = method
    return pinned


def _value_blocks(
    run: ForecastRun,
    block: SeriesBlock,
    forecasts: dict[str, Any],
    chosen: np.ndarray,
    bands: Any = None,
    banded: np.ndarray | None = None,
    shadow: np.ndarray | None = None,
) -> list[bytes]:
    """COPY blocks of the forecast values. The selected rows of the ``banded`` series carry
    the quantiles of ``bands`` (the Test Bed's selection: its point method's mean, the band
    method's quantiles, ADR 23); other rows are their method's own. ``shadow`` names the
    challenger per series ('' where none): its rows are stored unselected (ADR 38)."""
    horizon = run.horizon
    assert run.data_end is not None  # set by forecast_run_start
    first_day = (run.data_end + timedelta(days=1) - date(2000, 1, 1)).days
    days = first_day + np.arange(horizon, dtype=np.int64)
    blocks = []
    names = list(forecasts) if run.store_all_methods else list(np.unique(chosen))
    for name in names:
        rows = (
            np.arange(block.product.size)
            if run.store_all_methods
            else np.flatnonzero(chosen == name)
        )
        if rows.size == 0:
            continue
        result = forecasts[name]
        count = rows.size * horizon
        selected = np.repeat(chosen[rows] == name, horizon)
        columns: list[tuple[str, Any]] = [
            ("int8", run.pk),
            ("int8", np.repeat(block.product[rows], horizon)),
            ("int8", np.repeat(block.location[rows], horizon)),
            ("date", np.tile(days, rows.size)),
            ("text", name),
            ("bool", selected),
            ("float8", result.point[rows].ravel()),
        ]
        quantiles = result.quantiles[rows]
        if bands is not None and banded is not None:
            swap = np.flatnonzero(banded[rows] & (chosen[rows] == name))
            if swap.size:
                quantiles = quantiles.copy()
                quantiles[swap] = bands.quantiles[rows[swap]]
        columns += [
            ("float8", quantiles[:, level, :].ravel()) for level in range(len(QUANTILE_LEVELS))
        ]
        blocks.append(bulk.encode_block(columns, count))
    if shadow is not None and not run.store_all_methods:  # all methods hold them already
        for name in sorted(set(shadow) - {""}):
            rows = np.flatnonzero(shadow == name)
            result = forecasts[name]
            blocks.append(
                bulk.encode_block(
                    [
                        ("int8", run.pk),
                        ("int8", np.repeat(block.product[rows], horizon)),
                        ("int8", np.repeat(block.location[rows], horizon)),
                        ("date", np.tile(days, rows.size)),
                        ("text", name),
                        ("bool", False),
                        ("float8", result.point[rows].ravel()),
                        *[
                            ("float8", result.quantiles[rows][:, level, :].ravel())
                            for level in range(len(QUANTILE_LEVELS))
                        ],
                    ],
                    rows.size * horizon,
                )
            )
    return blocks


def _registry_for(
    product: np.ndarray, location: np.ndarray, available: set[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The registry's champion and challenger per series ('' where none, or where the method
    is no longer known to the engine), from one query over the block's products."""
    champion = np.full(product.size, "", dtype=object)
    challenger = np.full(product.size, "", dtype=object)
    rows = list(
        ModelRegistryEntry.objects.filter(product_id__in=np.unique(product).tolist()).values_list(
            "product_id", "location_id", "method", "challenger"
        )
    )
    if not rows:
        return champion, challenger
    keys = pair_keys([r[0] for r in rows], [r[1] for r in rows])
    order = np.argsort(keys)
    wanted = pair_keys(product, location)
    at = np.clip(np.searchsorted(keys[order], wanted), 0, keys.size - 1)
    found = keys[order][at] == wanted
    known = available | set(METHODS)
    methods = np.array([r[2] if r[2] in known else "" for r in rows], dtype=object)[order]
    challengers = np.array([r[3] if r[3] in known else "" for r in rows], dtype=object)[order]
    champion[found] = methods[at[found]]
    challenger[found] = challengers[at[found]]
    return champion, challenger


def serving_plan(
    *,
    recommended: np.ndarray,
    recommended_reason: np.ndarray,
    pinned: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per series (object arrays of names, '' for none): the method served, why, and the
    challenger stored in shadow (ADR 38). A pin is served and has no challenger; a series
    with a champion keeps it, and the backtest's pick, when it differs, becomes the
    challenger unless one is already on trial; a series without one is served the pick."""
    has_pin = pinned != ""
    has_champion = (champion != "") & ~has_pin
    chosen = np.where(has_pin, pinned, np.where(has_champion, champion, recommended))
    reason = np.where(
        has_pin,
        "override",
        np.where(has_champion & (champion != recommended), "champion", recommended_reason),
    )
    on_trial = (challenger != "") & (challenger != chosen)
    new = has_champion & (recommended != champion)
    shadow = np.where(
        has_pin, "", np.where(has_champion & on_trial, challenger, np.where(new, recommended, ""))
    )
    return chosen.astype(object), reason.astype(object), shadow.astype(object)


VALUE_COLUMNS = (
    "run_id",
    "product_id",
    "location_id",
    "date",
    "method",
    "selected",
    "forecast",
    *QUANTILE_FIELDS,
)


# The Test Bed ranks methods for the bands by the mean pinball loss and for the point forecast
# (the exported ``forecast``, the recommended method) by RMSSE (ADR 23).
SELECTION_SCORE = "pinball"
POINT_SCORE = "rmsse"


SCORE_COLUMNS = ("run_id", "product_id", "location_id", "method", "rank", *SCORES)


def _nullable(values: np.ndarray) -> list[float | None]:
    values = np.asarray(values, dtype=np.float64)
    return [None if np.isnan(v) or np.isinf(v) else float(v) for v in values.tolist()]


def forecast_chunk_compute(*, run: ForecastRun, block: SeriesBlock) -> dict[str, float]:
    """Run the Test Bed on one block of series and store its forecasts, scores, classes and
    explanations (replacing what an earlier attempt stored for these products). Returns wall
    seconds of the engine, of the writes and of the explanations (split and insert)."""
    if block.product.size == 0:
        return {"test_bed": 0.0, "write": 0.0}
    spec = ForecastSpec(horizon=run.horizon, season_length=SEASON_LENGTH, levels=QUANTILE_LEVELS)
    methods = tuple(run.methods) or FAST_METHODS
    started = time.perf_counter()
    assert run.data_start is not None  # set by forecast_run_start
    periods = block.history.shape[1]
    campaigns = campaign_days(
        product=block.product,
        location=block.location,
        start=run.data_start,
        days=periods + run.horizon,
    )
    known = campaigns.flags.any()
    selection = run_test_bed(
        block.history,
        spec,
        methods=methods,
        folds=run.folds,
        score=SELECTION_SCORE,
        point_score=POINT_SCORE,
        start_date=run.data_start,  # the history's first day: a month-of-year profile
        stockout=block.stockout,
        in_stock=block.in_stock,
        campaign=campaigns.flags if known else None,
        campaign_group=campaigns.group if known else None,
        expected_uplift=campaigns.expected if known else None,
    )
    pinned = _overrides_for(block.product, block.location)
    forecasts: dict[str, Any] = dict(selection.forecasts)
    recommended = selection.recommendation
    has_pin = pinned != ""
    champion, challenger = _registry_for(block.product, block.location, set(forecasts))
    chosen, reason, shadow = serving_plan(
        recommended=np.asarray(recommended.method, dtype=object),
        recommended_reason=np.asarray(recommended.reason, dtype=object),
        pinned=pinned,
        champion=champion,
        challenger=challenger,
    )
    for name in sorted((set(chosen) | set(shadow)) - {""} - set(forecasts)):
        forecasts[name] = method_named(name)(block.history, spec, None)[0]
    if run.store_all_methods:
        forecasts["ensemble"] = selection.ensemble
    test_bed_seconds = time.perf_counter() - started

    backtest = selection.backtest
    tested = list(backtest.methods)
    # Ranked by the score the engine selects the point method by (RMSSE): the leaderboard
    # and the choice speak of the same thing. The choice pools each series' scores with its
    # pattern's (engine ``recommend``), so on a short, noisy series it can be a close second.
    board = backtest.leaderboard(POINT_SCORE)  # names, best first
    column_of = {name: i for i, name in enumerate(tested)}
    board_columns = np.vectorize(column_of.__getitem__, otypes=[np.int64])(board)
    rank = np.empty_like(board_columns)
    np.put_along_axis(
        rank, board_columns, np.arange(1, len(tested) + 1)[None, :].repeat(len(board), 0), axis=1
    )
    runner_up = np.where(board[:, 0] == chosen, board[:, min(1, len(tested) - 1)], board[:, 0])
    chosen_column = np.array([column_of.get(name, -1) for name in chosen], dtype=np.int64)

    def chosen_score(score: str) -> np.ndarray:
        values = backtest.scores[score]
        picked = np.take_along_axis(values, np.maximum(chosen_column, 0)[:, None], axis=1)[:, 0]
        return np.where(chosen_column >= 0, picked, np.nan)

    band_method = recommended.band_method
    # The Test Bed's bands go with its own pick; a pin or a champion kept over the pick
    # carries its method's own quantiles.
    banded = (chosen == recommended.method) & ~has_pin if band_method is not None else None
    uplift = selection.uplift
    touched = np.asarray(campaigns.flags.any(axis=1), dtype=bool)
    parameters = []
    for i, name in enumerate(chosen):  # a small dict per series for the registry
        params = forecasts[name].params
        found = {
            key: _json_value(value[i])
            for key, value in params.items()
            if len(value) > i and key != "importance"  # stored with the explanation
        }
        if banded is not None and band_method is not None and banded[i]:
            found["band_method"] = str(band_method[i])
        if uplift is not None and touched[i]:  # the campaign multiplier it learned (ADR 32)
            found["campaign_uplift"] = round(float(uplift.factor[i]), 4)
        parameters.append(json.dumps(found))
    challenger_parameters = [
        json.dumps(
            {
                key: _json_value(value[i])
                for key, value in forecasts[name].params.items()
                if len(value) > i
            }
            if name
            else {}
        )
        for i, name in enumerate(shadow)
    ]

    explain_started = time.perf_counter()
    explanations = _explanation_rows(run, block, selection, forecasts, chosen, campaigns.flags)
    explain_seconds = time.perf_counter() - explain_started

    started = time.perf_counter()
    classes = selection.classification
    n = block.product.size
    products = block.product.tolist()
    with transaction.atomic(), connection.cursor() as cursor:
        _delete_rows(cursor, run, np.unique(block.product).tolist())
        bulk.copy_in(
            cursor,
            ForecastValue._meta.db_table,
            VALUE_COLUMNS,
            _value_blocks(run, block, forecasts, chosen, selection.selected, banded, shadow),
        )
        score_blocks = [
            bulk.encode_block(
                [
                    ("int8", run.pk),
                    ("int8", block.product),
                    ("int8", block.location),
                    ("text", name),
                    ("int2", rank[:, j]),
                    *[("float8", backtest.scores[score][:, j]) for score in SCORES],
                ],
                n,
            )
            for j, name in enumerate(tested)
        ]
        bulk.copy_in(cursor, BacktestScore._meta.db_table, SCORE_COLUMNS, score_blocks)
        nan_check = sql.SQL(" OR ").join(
            sql.SQL("{} = 'NaN'").format(sql.Identifier(score)) for score in SCORES
        )
        cursor.execute(
            sql.SQL(
                "UPDATE {table} SET {sets} WHERE run_id = %s AND product_id = ANY(%s) AND ({check})"
            ).format(
                table=sql.Identifier(BacktestScore._meta.db_table),
                sets=sql.SQL(", ").join(
                    sql.SQL("{0} = NULLIF({0}, 'NaN')").format(sql.Identifier(s)) for s in SCORES
                ),
                check=nan_check,
            ),
            [run.pk, np.unique(block.product).tolist()],
        )
        cursor.execute(
            f"""
            INSERT INTO {SeriesClassification._meta.db_table}
                (run_id, product_id, location_id, pattern, xyz, abc, new_item, adi, cv2, cv,
                 method, runner_up, reason, parameters, challenger, challenger_parameters,
                 mae, rmse, rmsse, wape, bias, quantity_total, revenue_total)
            SELECT %s, p, l, pattern, xyz, '', new_item, adi, cv2, cv, method, runner_up,
                   reason, parameters::jsonb, challenger, challenger_parameters::jsonb,
                   mae, rmse, rmsse, wape, bias, quantity, revenue
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::bool[],
                        %s::float8[], %s::float8[], %s::float8[], %s::text[], %s::text[],
                        %s::text[], %s::text[], %s::text[], %s::text[], %s::float8[],
                        %s::float8[], %s::float8[], %s::float8[], %s::float8[], %s::float8[],
                        %s::float8[])
                AS t(p, l, pattern, xyz, new_item, adi, cv2, cv, method, runner_up, reason,
                     parameters, challenger, challenger_parameters, mae, rmse, rmsse, wape,
                     bias, quantity, revenue)
            """,  # noqa: S608 (table name from the model, values bound)
            [
                run.pk,
                products,
                block.location.tolist(),
                classes.pattern.astype(str).tolist(),
                classes.xyz.astype(str).tolist(),
                classes.new_item.astype(bool).tolist(),
                _nullable(classes.adi),
                _nullable(classes.cv2),
                _nullable(classes.cv),
                chosen.astype(str).tolist(),
                runner_up.astype(str).tolist(),
                reason.astype(str).tolist(),
                parameters,
                shadow.astype(str).tolist(),
                challenger_parameters,
                _nullable(chosen_score("mae")),
                _nullable(chosen_score("rmse")),
                _nullable(chosen_score("rmsse")),
                _nullable(chosen_score("wape")),
                _nullable(chosen_score("bias")),
                block.history.sum(axis=1).tolist(),
                block.revenue.tolist(),
            ],
        )
        explain_started = time.perf_counter()
        cursor.execute(
            f"""
            INSERT INTO {ForecastExplanation._meta.db_table}
                (run_id, product_id, location_id, method, components, importance)
            SELECT %s, p, l, method, components::jsonb, importance::jsonb
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[])
                AS t(p, l, method, components, importance)
            """,  # noqa: S608 (table name from the model, values bound)
            [run.pk, products, block.location.tolist(), *explanations],
        )
        explain_seconds += time.perf_counter() - explain_started
    return {
        "test_bed": test_bed_seconds,
        "write": time.perf_counter() - started - explain_seconds,
        "explain": explain_seconds,  # the split and its insert (ADR 39)
    }


# Parts stored per day (``other`` is the stored forecast minus their sum, at read time).
STORED_PARTS = tuple(name for name in explain.COMPONENTS if name != "other")


def _explanation_rows(
    run: ForecastRun,
    block: SeriesBlock,
    selection: ForecastSelection,
    forecasts: dict[str, Any],
    chosen: np.ndarray,
    campaign: np.ndarray,
) -> tuple[list[str], list[str], list[str]]:
    """``(methods, components JSON, importance JSON)`` per series: the served point forecast
    split by the engine (ADR 39) with the yearly index and campaign factor the Test Bed
    applied to it. A pin run outside the Test Bed got neither; a global method no yearly
    index (it models the year itself)."""
    n, horizon = block.product.size, run.horizon
    periods = block.history.shape[1]
    point = np.zeros((n, horizon))
    for name in np.unique(chosen):  # a loop over methods
        rows = chosen == name
        point[rows] = forecasts[name].point[rows]
    in_bed = np.isin(chosen, list(selection.forecasts))
    profile, uplift = selection.yearly, selection.uplift
    index, factor = explain.horizon_multipliers(
        series=n,
        periods=periods,
        horizon=horizon,
        yearly_rows=None if profile is None else profile.rows,
        yearly_index=None if profile is None else profile.index,
        campaign=campaign,
        uplift=None if uplift is None else uplift.factor,
        reseasoned=in_bed & ~np.isin(chosen, GLOBAL_METHODS),
        lifted=in_bed,
    )
    parts = explain.decompose(point, yearly_index=index, campaign_factor=factor).parts
    table = np.round(np.stack([parts[name] for name in STORED_PARTS], axis=1), 3)
    numpy = orjson.OPT_SERIALIZE_NUMPY  # ~7x json.dumps of lists (benchmarks/forecast_explain.py)
    components = [
        orjson.dumps(dict(zip(STORED_PARTS, series, strict=True)), option=numpy).decode()
        for series in table
    ]
    importance = ["{}"] * n
    for name in np.unique(chosen):
        shared = forecasts[name].params.get("importance")
        if shared is not None:
            for i in np.flatnonzero(chosen == name):  # the model's mapping, same for each row
                importance[i] = json.dumps(shared[i])
    return chosen.astype(str).tolist(), components, importance


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _delete_rows(cursor: CursorWrapper, run: ForecastRun, products: list[int]) -> None:
    for model in (ForecastValue, BacktestScore, SeriesClassification, ForecastExplanation):
        cursor.execute(
            f"DELETE FROM {model._meta.db_table} WHERE run_id = %s AND product_id = ANY(%s)",  # noqa: S608
            [run.pk, products],
        )
