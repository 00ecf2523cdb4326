"""Live accuracy and champion / challenger reads (ADR 38): the served forecasts' scores against
actuals per tenant, demand class, method and series (sums aggregated in SQL, ratios of sums),
the challengers on trial with their evidence, and the model versions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db import connection
from django.db.models import Max, QuerySet, Sum

from catalog.models import Location
from core.selectors import get_or_not_found
from forecasting.models import LiveScore, ModelRegistryEntry, ModelVersion

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_WEEKS = 8


def live_metrics(
    *, days: Any, actual: Any, abs_error: Any, error: Any, naive_abs_error: Any
) -> dict[str, Any]:
    """Planner metrics from the sums: WAPE Σ|e|/Σy, bias Σe/Σy (a share of demand; + is
    over-forecast), MAE per day, and forecast value added over seasonal naive
    1 − Σ|e|/Σ|e_naive| (+ is better than naive). None where the denominator is zero."""
    days = int(days or 0)
    actual = float(actual or 0.0)
    abs_error = float(abs_error or 0.0)
    naive = float(naive_abs_error or 0.0)
    return {
        "days": days,
        "actual": round(actual, 4),
        "wape": round(abs_error / actual, 6) if actual > 0 else None,
        "bias": round(float(error or 0.0) / actual, 6) if actual > 0 else None,
        "mae": round(abs_error / days, 6) if days else None,
        "fva": round(1.0 - abs_error / naive, 6) if naive > 0 else None,
    }


def live_window(*, weeks: int = DEFAULT_WEEKS) -> tuple[date | None, date | None]:
    """The last ``weeks`` weeks of scored days: (since, through), runs whose scored window
    ends after ``since``; (None, None) before any score."""
    through = LiveScore.objects.aggregate(last=Max("last_date"))["last"]
    if through is None:
        return None, None
    return through - timedelta(days=7 * weeks), through


def live_accuracy_summary(
    *, user: User | None = None, weeks: int = DEFAULT_WEEKS
) -> dict[str, Any]:
    """The served forecasts' live accuracy of the tenant, per demand class and per method over
    the window (one grouped query with grouping sets), and the challengers on trial."""
    since, through = live_window(weeks=weeks)
    body: dict[str, Any] = {
        "weeks": weeks,
        "since": since,
        "through": through,
        "tenant": live_metrics(days=0, actual=0, abs_error=0, error=0, naive_abs_error=0),
        "series": 0,
        "by_class": [],
        "by_method": [],
    }
    body["trials"] = _trials_count()
    if since is None:
        return body
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT GROUPING(pattern), GROUPING(method), pattern, method,
                   COUNT(DISTINCT (product_id, location_id)), SUM(days), SUM(actual),
                   SUM(abs_error), SUM(error), SUM(naive_abs_error)
            FROM {LiveScore._meta.db_table}
            WHERE served AND last_date > %s
            GROUP BY GROUPING SETS ((), (pattern), (method))
            ORDER BY 1, 2, 3, 4
            """,  # noqa: S608
            [since],
        )
        rows = cursor.fetchall()
    for no_pattern, no_method, pattern, method, series, *sums in rows:
        metrics = {
            "series": series,
            **live_metrics(
                days=sums[0],
                actual=sums[1],
                abs_error=sums[2],
                error=sums[3],
                naive_abs_error=sums[4],
            ),
        }
        if no_pattern and no_method:
            body["tenant"] = metrics
            body["series"] = series
        elif no_method:
            body["by_class"].append({"pattern": pattern or "", **metrics})
        else:
            body["by_method"].append({"method": method, **metrics})
    return body


def _trials_count() -> dict[str, int]:
    return {
        "on_trial": ModelVersion.objects.filter(status=ModelVersion.Status.CHALLENGER).count(),
        "promoted": ModelVersion.objects.filter(
            promotion__in=(ModelVersion.Promotion.AUTOMATIC, ModelVersion.Promotion.PLANNER)
        ).count(),
        "rejected": ModelVersion.objects.filter(retired_reason="rejected").count(),
    }


def live_accuracy_series(
    *,
    user: User | None = None,
    weeks: int = DEFAULT_WEEKS,
    sku: str | None = None,
    location: str | None = None,
) -> QuerySet[Any]:
    """The served forecasts' live sums per SKU × location over the window (a grouped
    queryset of dicts, ordered by SKU and location; ``live_metrics`` turns a row into
    WAPE, bias, MAE and value added)."""
    since, _ = live_window(weeks=weeks)
    rows = LiveScore.objects.filter(served=True)
    if since is not None:
        rows = rows.filter(last_date__gt=since)
    if sku:
        rows = rows.filter(product__sku=sku)
    if location:
        rows = rows.filter(location__code=location)
    return cast(
        "QuerySet[Any]",
        rows.values("product_id", "location_id", "product__sku", "location__code")
        .annotate(
            pattern=Max("pattern"),
            days=Sum("days"),
            actual=Sum("actual"),
            abs_error=Sum("abs_error"),
            error=Sum("error"),
            naive_abs_error=Sum("naive_abs_error"),
            through=Max("last_date"),
        )
        .order_by("product__sku", "location__code"),
    )


def challenger_trials(
    *, user: User | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The challengers on trial with their live evidence against the champion (the same
    evidence the automatic decision reads), best improvement first."""
    from forecasting.services.champions import challenger_evidence
    from forecasting.services.runs import forecast_settings_get

    # The same queries with or without trials, so a page's query count does not depend on it.
    settings = forecast_settings_get()
    evidence = challenger_evidence()
    entries = {
        (e.product_id, e.location_id): e
        for e in ModelRegistryEntry.objects.select_related("product", "location").filter(
            challenger__gt=""
        )
    }  # the same series as the evidence: every entry with a challenger
    trials = []
    for i in range(evidence.product_id.size):  # presentation of the trials, not scoring
        entry = entries.get((int(evidence.product_id[i]), int(evidence.location_id[i])))
        if entry is None:
            continue
        record = evidence.record(i)
        champion, challenger = record["champion"]["wape"], record["challenger"]["wape"]
        trials.append(
            {
                "id": entry.pk,
                "sku": entry.product.sku,
                "location": entry.location.code,
                **record,
                "weeks_needed": settings.challenger_weeks,
                "mature": record["days"] >= 7 * settings.challenger_weeks,
                "improvement": None
                if champion in (None, 0) or challenger is None
                else round(1 - challenger / champion, 6),
            }
        )
    trials.sort(key=lambda t: -(t["improvement"] if t["improvement"] is not None else -9))
    return trials[:limit] if limit else trials


def product_live_panel(
    *, user: User | None = None, product_id: int, weeks: int = DEFAULT_WEEKS
) -> list[dict[str, Any]]:
    """Per location of one product, in one query: its champion and challenger, the served
    forecast's live metrics over the window, and the trial's evidence where a challenger is
    on it (the champion's and the challenger's scores of the same runs, as the decision
    reads them)."""
    from forecasting.services.champions import ChallengerEvidence

    live = LiveScore._meta.db_table
    versions = ModelVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT r.id, r.location_id, l.code, r.method, r.challenger, r.reason,
                   s.days, s.actual, s.abs_error, s.error, s.naive_abs_error,
                   e.runs, e.days, e.actual, e.a_abs, e.a_err, e.b_abs, e.b_err, e.naive,
                   e.first, e.last
            FROM {ModelRegistryEntry._meta.db_table} r
            JOIN {Location._meta.db_table} l ON l.id = r.location_id
            LEFT JOIN LATERAL (
                SELECT SUM(days) AS days, SUM(actual) AS actual, SUM(abs_error) AS abs_error,
                       SUM(error) AS error, SUM(naive_abs_error) AS naive_abs_error
                FROM {live}
                WHERE served AND product_id = r.product_id AND location_id = r.location_id
                  AND last_date > (SELECT MAX(last_date) FROM {live}) - %(days)s
            ) s ON true
            LEFT JOIN LATERAL (
                SELECT COUNT(a.run_id) AS runs, COALESCE(SUM(a.days), 0) AS days,
                       COALESCE(SUM(a.actual), 0) AS actual,
                       COALESCE(SUM(a.abs_error), 0) AS a_abs,
                       COALESCE(SUM(a.error), 0) AS a_err,
                       COALESCE(SUM(b.abs_error), 0) AS b_abs,
                       COALESCE(SUM(b.error), 0) AS b_err,
                       COALESCE(SUM(a.naive_abs_error), 0) AS naive,
                       MIN(a.first_date) AS first, MAX(a.last_date) AS last
                FROM {versions} cv
                LEFT JOIN ({live} a JOIN {live} b ON b.run_id = a.run_id
                           AND b.product_id = a.product_id AND b.location_id = a.location_id)
                     ON a.product_id = cv.product_id AND a.location_id = cv.location_id
                     AND a.method = r.method AND b.method = cv.method
                     AND a.run_id >= COALESCE(cv.run_id, 0)
                WHERE cv.product_id = r.product_id AND cv.location_id = r.location_id
                  AND cv.status = 'challenger' AND cv.method = r.challenger
                GROUP BY cv.id
            ) e ON r.challenger <> ''
            WHERE r.product_id = %(product)s
            ORDER BY l.code
            """,  # noqa: S608
            {"product": product_id, "days": 7 * weeks},
        )
        rows = cursor.fetchall()
    on_trial = [row for row in rows if row[11] is not None]
    evidence = ChallengerEvidence(
        product_id=np.full(len(on_trial), product_id, dtype=np.int64),
        location_id=np.array([row[1] for row in on_trial], dtype=np.int64),
        champion=np.array([row[3] for row in on_trial], dtype=object),
        challenger=np.array([row[4] for row in on_trial], dtype=object),
        runs=np.array([row[11] for row in on_trial], dtype=np.int64),
        days=np.array([row[12] for row in on_trial], dtype=np.int64),
        actual=np.array([row[13] for row in on_trial], dtype=np.float64),
        champion_abs_error=np.array([row[14] for row in on_trial], dtype=np.float64),
        champion_error=np.array([row[15] for row in on_trial], dtype=np.float64),
        challenger_abs_error=np.array([row[16] for row in on_trial], dtype=np.float64),
        challenger_error=np.array([row[17] for row in on_trial], dtype=np.float64),
        naive_abs_error=np.array([row[18] for row in on_trial], dtype=np.float64),
        first_date=[row[19] for row in on_trial],
        last_date=[row[20] for row in on_trial],
    )
    trial_of = {row[0]: i for i, row in enumerate(on_trial)}
    return [
        {
            "id": row[0],
            "location": row[2],
            "champion": row[3],
            "challenger": row[4],
            "reason": row[5],
            "live": live_metrics(
                days=row[6], actual=row[7], abs_error=row[8], error=row[9], naive_abs_error=row[10]
            ),
            "trial": evidence.record(trial_of[row[0]]) if row[0] in trial_of else None,
        }
        for row in rows
    ]


def model_version_list(*, user: User | None = None) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("product", "location", "promoted_by")


def access_model_registry_entry(*, user: User, entry_id: Any) -> ModelRegistryEntry:
    return cast(
        "ModelRegistryEntry",
        get_or_not_found(
            ModelRegistryEntry.objects.select_related("product", "location"),
            "No such model registry entry.",
            pk=entry_id,
        ),
    )
