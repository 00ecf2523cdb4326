"""The product page (``/app/products/<id>/forecast/``): what a planner asks of one product.

History and forecast on one zoomable chart in whole days, weeks or months (a partial first or
last week would read as a collapse of demand, so buckets the window only partly covers are left
out); stockout days (the import's flags, and the zero runs the Test Bed infers) and promotion
days as markers; a stock panel per location (on hand, on order, reorder point, order-up-to,
what to order and by when); the planner's method pin; the series shown as CSV; and a message,
not an empty chart, for a product that never sold (a raw material, a new item).

The page lives in ``inventory`` because its stock panel does (inventory sits above forecasting
and reads its selectors; ADR 30)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from catalog.models import DemandHistory, Location, Product, StockLevel
from core.exceptions import DomainError, NotFound
from core.exports import csv_stream
from core.pages import can_act, member_page, planner_action
from forecasting import selectors as forecasting_selectors
from forecasting.engine.cleaning import infer_stockouts
from forecasting.engine.methods import METHODS
from forecasting.models import MethodOverride
from forecasting.services.overrides import method_override_delete, method_override_save
from inventory.models import InventoryMetrics

INTERVALS = ("day", "week", "month")
FORECAST_FIELDS = ("forecast", "p10", "p50", "p90", "lower_90", "upper_90")
EXPORT_HEADER = [
    "period",
    "sales",
    *FORECAST_FIELDS,
    "stockout_days_flagged",
    "stockout_days_inferred",
    "promotion_days",
]


def bucket_start(day: date, interval: str) -> date:
    """The first day of the day's bucket (weeks start on Monday, like the API's)."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def bucket_days(start: date, interval: str) -> int:
    if interval == "week":
        return 7
    if interval == "month":
        return calendar.monthrange(start.year, start.month)[1]
    return 1


@dataclass
class Bucket:
    start: date
    days: int = 0
    history_days: int = 0
    sales: float = 0.0
    forecast: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FORECAST_FIELDS, 0.0))
    stockout_flagged: int = 0
    stockout_inferred: int = 0
    promotion: int = 0


@dataclass(frozen=True)
class DailySeries:
    """One product's daily facts: sales from ``history_start`` (one value per day up to the
    run's data end), the forecast rows after it (each with :data:`FORECAST_FIELDS`), and the
    days flagged out of stock, inferred out of stock and on promotion."""

    history_start: date
    sales: list[float]
    forecast: list[dict[str, float]]
    flagged: frozenset[date] = frozenset()
    inferred: frozenset[date] = frozenset()
    promotion: frozenset[date] = frozenset()


def whole_buckets(series: DailySeries, interval: str) -> list[Bucket]:
    """The series summed into whole buckets of ``interval``: a bucket the window covers only in
    part (the first and the last, usually) is left out. The bucket holding the last day of
    history and the first of forecast is kept as forecast: the sales so far plus the forecast
    of its remaining days (its ``history_days`` say how many days are actuals)."""
    buckets: dict[date, Bucket] = {}
    history_days = len(series.sales)
    for offset in range(history_days + len(series.forecast)):
        day = series.history_start + timedelta(days=offset)
        key = bucket_start(day, interval)
        bucket = buckets.get(key) or buckets.setdefault(key, Bucket(start=key))
        bucket.days += 1
        if offset < history_days:
            bucket.history_days += 1
            bucket.sales += series.sales[offset]
            bucket.stockout_flagged += day in series.flagged
            bucket.stockout_inferred += day in series.inferred and day not in series.flagged
            bucket.promotion += day in series.promotion
        else:
            row = series.forecast[offset - history_days]
            for name in FORECAST_FIELDS:
                bucket.forecast[name] += float(row.get(name) or 0.0)
    return [b for b in buckets.values() if b.days == bucket_days(b.start, interval)]


def chart_rows(buckets: list[Bucket]) -> list[dict[str, Any]]:
    """One row per bucket: ``sales`` for buckets of history only, the forecast fields (plus the
    sales so far where a bucket straddles the data end) for the others."""
    rows = []
    for b in buckets:
        is_history = b.history_days == b.days
        rows.append(
            {
                "period": b.start,
                "sales": round(b.sales, 3) if is_history else None,
                **{
                    name: None if is_history else round(b.sales + b.forecast[name], 3)
                    for name in FORECAST_FIELDS
                },
                "stockout_days_flagged": b.stockout_flagged,
                "stockout_days_inferred": b.stockout_inferred,
                "promotion_days": b.promotion,
                "actual_days": b.history_days,
            }
        )
    return rows


def _daily_series(series: dict[str, Any], product: Product, place: Location | None) -> DailySeries:
    """The run's daily history and forecast, with the stockout and promotion days of the
    history (one query), and the stockouts the Test Bed infers from runs of zeros."""
    history = series["history"]
    start = history[0]["period"] if history else series["forecast"][0]["period"]
    sales = [float(h["quantity"]) for h in history]
    flagged: set[date] = set()
    promotion: set[date] = set()
    if history:
        rows = DemandHistory.objects.filter(
            product=product, date__range=(start, history[-1]["period"])
        )
        if place is not None:
            rows = rows.filter(location=place)
        for day, stockout, promoted in rows.values_list("date", "stockout", "on_promotion"):
            if stockout:
                flagged.add(day)
            if promoted:
                promotion.add(day)
    inferred: set[date] = set()
    if sales:
        mask = infer_stockouts(np.asarray([sales], dtype=float))[0]
        inferred = {start + timedelta(days=int(i)) for i in np.flatnonzero(mask)}
    return DailySeries(
        history_start=start,
        sales=sales,
        forecast=series["forecast"],
        flagged=frozenset(flagged),
        inferred=frozenset(inferred),
        promotion=frozenset(promotion),
    )


def _product_or_404(product_id: int) -> Product:
    try:
        return Product.objects.select_related("category").get(pk=product_id)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None


def _choices(request: Any) -> tuple[str, str | None, Location | None]:
    interval = request.GET.get("interval", "week")
    if interval not in INTERVALS:
        interval = "week"
    code = request.GET.get("location") or None
    place = Location.objects.filter(code=code).first() if code else None
    if code and place is None:
        code = None  # an unknown location: all locations
    return interval, code, place


def _rows(request: Any, product: Product, code: str | None, place: Location | None, interval: str):
    """``(run id, rows)`` of the chart, or ``(None, [])`` without a successful run."""
    try:
        series = forecasting_selectors.forecast_series(
            user=request.user, sku=product.sku, location=code, interval="day"
        )
    except NotFound:
        return None, []
    if not series["history"] and not series["forecast"]:
        return series["run"], []
    return series["run"], chart_rows(whole_buckets(_daily_series(series, product, place), interval))


def _stock_panel(product: Product, place: Location | None) -> list[InventoryMetrics]:
    """The product's metrics per location with the stock level's on-order (one query)."""
    on_order = StockLevel.objects.filter(
        product_id=OuterRef("product_id"), location_id=OuterRef("location_id")
    ).values("on_order")[:1]
    rows = (
        InventoryMetrics.objects.filter(product=product)
        .select_related("location")
        .annotate(on_order=Subquery(on_order))
        .order_by("location__code")
    )
    if place is not None:
        rows = rows.filter(location=place)
    return list(rows)


def _campaign_points(
    rows: list[dict[str, Any]], interval: str, campaigns: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A marker on each bucket with a campaign day of the SKU (Campaign model, past and
    future; ADR 39), at the bucket's sales or forecast, naming the campaigns."""
    points = []
    for r in rows:  # buckets × the SKU's few campaigns
        first = r["period"]
        last = first + timedelta(days=bucket_days(first, interval) - 1)
        names = [c["name"] for c in campaigns if c["start"] <= last and c["end"] >= first]
        if names:
            y = r["sales"] if r["sales"] is not None else r["forecast"]
            points.append(
                {"x": first.isoformat(), "y": y, "label": "Campaign: " + ", ".join(names)}
            )
    return points


def _explanation(
    run_id: int, product: Product, place: Location | None, rows: list[dict[str, Any]], interval: str
) -> dict[str, Any]:
    """The forecast's parts per day and over the horizon, the model's inputs by importance
    (``forecasting.selectors.explanation_of``) and the SKU's campaigns over the chart's
    window: three queries with no campaign in the window."""
    found = forecasting_selectors.explanation_of(run_id=run_id, product=product, location=place)
    last = rows[-1]["period"] + timedelta(days=bucket_days(rows[-1]["period"], interval) - 1)
    campaigns = forecasting_selectors.product_campaigns(
        product=product, location=place, start=rows[0]["period"], end=last
    )
    parts = found["components"]
    days = found["days"]
    return {
        **found,
        "campaigns": campaigns,
        "totals": [{"name": name, "value": sum(day[name] for day in days)} for name in parts],
        "forecast_total": sum(day["forecast"] for day in days),
        "chart": {
            "x": [day["date"].isoformat() for day in days],
            "parts": [
                {"name": name, "values": [round(day[name], 3) for day in days]} for name in parts
            ],
            "forecast": [round(day["forecast"], 3) for day in days],
            "importance": found["importance"][:10],
        },
    }


def _chart(rows: list[dict[str, Any]], interval: str) -> dict[str, Any]:
    x = [r["period"].isoformat() for r in rows]
    first_forecast = next((r for r in rows if r["forecast"] is not None), None)
    stockouts, promotions = [], []
    for r, label in zip(rows, x, strict=True):
        flagged, inferred = r["stockout_days_flagged"], r["stockout_days_inferred"]
        if flagged or inferred:
            parts = [f"{flagged} flagged"] if flagged else []
            parts += [f"{inferred} inferred from zero sales"] if inferred else []
            stockouts.append(
                {"x": label, "y": r["sales"], "label": "Out of stock: " + ", ".join(parts)}
            )
        if r["promotion_days"]:
            promotions.append(
                {
                    "x": label,
                    "y": r["sales"],
                    "label": f"On promotion: {r['promotion_days']} day(s)",
                }
            )
    return {
        "x": x,
        "markX": first_forecast["period"].isoformat() if first_forecast else None,
        "interval": interval,
        **{name: [r[name] for r in rows] for name in ("sales", *FORECAST_FIELDS)},
        "stockouts": stockouts,
        "promotions": promotions,
    }


@require_GET
@member_page
def product_page(request, product_id: int):
    product = _product_or_404(product_id)
    interval, code, place = _choices(request)
    sold = DemandHistory.objects.filter(product=product).exists()
    # A product that never sold gets a message, not a chart of zeros.
    run_id, rows = _rows(request, product, code, place, interval) if sold else (None, [])
    pins = list(MethodOverride.objects.filter(product=product).select_related("location"))
    context: dict[str, Any] = {
        "product": product,
        "interval": interval,
        "intervals": INTERVALS,
        "location": code,
        "locations": list(Location.objects.order_by("code").values_list("code", flat=True)),
        "has_run": run_id is not None,
        "run_id": run_id,
        "sold": sold,
        "rows": rows,
        "stock": _stock_panel(product, place),
        "can_act": can_act(request.user),
        "pins": pins,
        "methods": sorted(METHODS),
        "export_query": request.GET.urlencode(),
    }
    if rows:
        assert run_id is not None  # rows come from a run
        explanation = _explanation(run_id, product, place, rows, interval)
        forecast = [r for r in rows if r["forecast"] is not None]
        chart = _chart(rows, interval)
        chart["campaigns"] = _campaign_points(rows, interval, explanation["campaigns"])
        context.update(
            # Runs from before explanations were stored (ADR 39) have none to show.
            explanation=explanation if explanation["methods"] else None,
            chart=chart,
            horizon_total=sum(r["forecast"] for r in forecast),
            horizon_p90=sum(r["p90"] for r in forecast),
        )
    if run_id is not None and sold:
        board = forecasting_selectors.test_bed_leaderboard(
            user=request.user, sku=product.sku, location=code
        )
        # The class shown is the stock one (InventoryMetrics), as on "what to order" and the
        # dashboard, so a SKU has one class on every page.
        classes = {m.location.code: (m.abc_class, m.xyz_class) for m in context["stock"]}
        for series in board["series"]:
            series["abc"], series["xyz"] = classes.get(series["location"], ("", ""))
        context["board"] = board["series"]
        context["leaderboard"] = _leaderboard_chart(board)
    return render(request, "forecasting/product_forecast.html", context)


def _leaderboard_chart(board: dict[str, Any]) -> dict[str, Any]:
    """Mean RMSSE per method over the SKU's locations, best first."""
    totals: dict[str, list[float]] = {}
    for series in board["series"]:
        for method in series["methods"]:
            if method["rmsse"] is not None:
                totals.setdefault(method["method"], []).append(method["rmsse"])
    ranked = sorted((sum(v) / len(v), name) for name, v in totals.items())
    return {
        "labels": [name.replace("_", " ") for _, name in ranked],
        "values": [v for v, _ in ranked],
    }


@require_GET
@member_page
def product_export(request, product_id: int):
    """The chart's rows (the same interval, location and whole buckets) as CSV."""
    product = _product_or_404(product_id)
    interval, code, place = _choices(request)
    _run, rows = _rows(request, product, code, place, interval)

    def lines() -> Iterator[list[Any]]:
        for r in rows:
            yield [r[name] for name in EXPORT_HEADER]

    response = StreamingHttpResponse(
        csv_stream(EXPORT_HEADER, lines()), content_type="text/csv; charset=utf-8"
    )
    name = f"{product.sku}-{code or 'all'}-{interval}.csv".replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@planner_action
def product_pin(request, product_id: int):
    """The planner's override: pin a forecasting method for the product (at one location or
    all; the next run uses it), or remove a pin. Same service as the API's method overrides."""
    product = _product_or_404(product_id)
    back = reverse("product-forecast-page", args=[product.pk])
    remove = request.POST.get("remove")
    if remove:
        pin = MethodOverride.objects.filter(product=product, pk=remove).first()
        if pin is None:
            return _refused("No such pin.", back, status=404)
        method_override_delete(override=pin)
        messages.success(request, "Pin removed: the next run chooses the method again.")
        return redirect(back)
    code = request.POST.get("location") or None
    place = Location.objects.filter(code=code).first() if code else None
    if code and place is None:
        return _refused("Unknown location.", back)
    try:
        method_override_save(
            product=product,
            location=place,
            method=request.POST.get("method", ""),
            note=request.POST.get("note", "").strip()[:255],
            user=request.user,
        )
    except DomainError as exc:
        return _refused(exc.message, back)
    messages.success(request, "Method pinned: the next forecast run uses it.")
    return redirect(back)


def _refused(message: str, back: str, status: int = 400) -> HttpResponse:
    """Bad input: a 4xx with the reason and a way back; nothing written."""
    return HttpResponse(
        f'<p>{escape(message)}</p><p><a href="{escape(back)}">Back to the product</a></p>',
        status=status,
    )
