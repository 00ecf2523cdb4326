"""The Test Bed's reads: leaderboard, summary, worst series and the ROI estimate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.db.models import Avg, Count, Q

from catalog.models import Location, Product
from core.cache import cached
from forecasting.engine import roi
from forecasting.engine.backtest import SCORES
from forecasting.engine.roi import DEFAULT_CURRENT_METHOD
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    BacktestScore,
    SeriesClassification,
)
from forecasting.planning import planning_defaults
from forecasting.selectors.runs import (
    _location_by_code,
    _product_by_sku,
    resolve_run,
)

if TYPE_CHECKING:
    from accounts.models import User


def test_bed_leaderboard(
    *, user: User, sku: str, location: str | None = None, run_id: Any = None
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
        score_fields = SCORES
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
        "v2",  # with the planner scores (wape_week, wape_month, bias_pct)
        run.pk,
        product.pk,
        place.pk if place else None,
        compute=compute,
    )


def test_bed_roi(
    *,
    user: User,
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


def test_bed_summary(*, user: User, run_id: Any = None) -> dict[str, Any]:
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
                "mean_wape_week": row["wape_week_mean"],
                "mean_wape_month": row["wape_month_mean"],
                "mean_bias_pct": row["bias_pct_mean"],
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
                wape_week_mean=Avg("wape_week"),
                wape_month_mean=Avg("wape_month"),
                bias_pct_mean=Avg("bias_pct"),
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
            "accuracy": _chosen_accuracy(run.pk),
            "patterns": counts("pattern"),
            "xyz": counts("xyz"),
            "abc": counts("abc"),
            "methods": methods,
            "matrix": matrix,
        }

    # "v2": summaries cached before the planner accuracy figures were added are not served.
    return cached("forecasts", "summary", "v2", run.pk, compute=compute)


def _chosen_accuracy(run_id: int) -> dict[str, Any]:
    """The backtest scores of each series' chosen method in planner terms, weighted by the
    series' sales volume (so the figure reads as Σ|f − y| / Σy over the assortment, the way a
    planner reads a pooled WAPE): accuracy % = 1 − WAPE per day, week and month, and bias %.
    One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*),
                   SUM(b.wape * c.quantity_total) / NULLIF(SUM(c.quantity_total)
                       FILTER (WHERE b.wape IS NOT NULL), 0),
                   SUM(b.wape_week * c.quantity_total) / NULLIF(SUM(c.quantity_total)
                       FILTER (WHERE b.wape_week IS NOT NULL), 0),
                   SUM(b.wape_month * c.quantity_total) / NULLIF(SUM(c.quantity_total)
                       FILTER (WHERE b.wape_month IS NOT NULL), 0),
                   SUM(b.bias_pct * c.quantity_total) / NULLIF(SUM(c.quantity_total)
                       FILTER (WHERE b.bias_pct IS NOT NULL), 0)
            FROM {SeriesClassification._meta.db_table} c
            JOIN {BacktestScore._meta.db_table} b ON b.run_id = c.run_id
                 AND b.product_id = c.product_id AND b.location_id = c.location_id
                 AND b.method = c.method
            WHERE c.run_id = %s
            """,  # noqa: S608 (table names from the models, values bound)
            [run_id],
        )
        count, day, week, month, bias = cursor.fetchone()

    def accuracy(wape: float | None) -> float | None:
        return None if wape is None else 1.0 - float(wape)

    return {
        "series": int(count),
        "accuracy_day": accuracy(day),
        "accuracy_week": accuracy(week),
        "accuracy_month": accuracy(month),
        "bias_pct": None if bias is None else float(bias),
    }


def test_bed_worst_series(
    *, user: User, run_id: Any = None, limit: int = 20
) -> list[Mapping[str, Any]]:
    """The run's series with the highest backtest RMSSE of the method used: where a planner
    should look first."""
    run = resolve_run(user=user, run_id=run_id)
    return list(
        SeriesClassification.objects.filter(run_id=run.pk, rmsse__isnull=False)
        .order_by("-rmsse", "product_id", "location_id")
        .values(
            "product_id",
            "location_id",
            "product__sku",
            "location__code",
            "pattern",
            "method",
            "reason",
            "rmsse",
            "wape",
        )[:limit]
    )
