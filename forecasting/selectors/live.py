"""Live accuracy and champion / challenger reads (ADR 38): the served forecasts' scores against
actuals per tenant, demand class, method and series (sums aggregated in SQL, ratios of sums),
the challengers on trial with their evidence, and the model versions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db import connection
from django.db.models import Max, QuerySet, Sum

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


def product_live_panel(*, user: User | None = None, product_id: int) -> list[dict[str, Any]]:
    """Per location of one product: its champion and challenger, the served forecast's live
    metrics over the window, and the trial's evidence where a challenger is on it."""
    from forecasting.services.champions import challenger_evidence

    entries = list(
        ModelRegistryEntry.objects.filter(product_id=product_id)
        .select_related("location")
        .order_by("location__code")
    )
    if not entries:
        return []
    sums = {
        row["location_id"]: row
        for row in live_accuracy_series(user=user).filter(product_id=product_id)
    }
    evidence = challenger_evidence(product_id=product_id)
    trials = {int(loc): i for i, loc in enumerate(evidence.location_id.tolist())}
    panel = []
    for entry in entries:
        row = sums.get(entry.location_id, {})
        at = trials.get(entry.location_id)
        panel.append(
            {
                "id": entry.pk,
                "location": entry.location.code,
                "champion": entry.method,
                "challenger": entry.challenger,
                "reason": entry.reason,
                "live": live_metrics(
                    days=row.get("days"),
                    actual=row.get("actual"),
                    abs_error=row.get("abs_error"),
                    error=row.get("error"),
                    naive_abs_error=row.get("naive_abs_error"),
                ),
                "trial": evidence.record(at) if at is not None else None,
            }
        )
    return panel


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
