"""The inventory dashboard: one cached summary per tenant and period (reads only).

Everything comes from a handful of aggregate queries, none per row: the live stock value, the
metrics table (status counts, stockout-risk buckets, estimated service level), sales history
(sales trend, realised in-stock rate) and the stock ledger (stock value trend). The result is
cached for 5 minutes in the tenant's ``inventory`` namespace, which every metrics refresh,
settings change and exclusion change bumps.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from catalog.models import DemandHistory, Product, StockLevel, StockMovement
from core.cache import cached
from inventory.metrics import AGGREGATE_SESSION, inventory_settings_get
from inventory.models import InventoryMetrics

PERIODS = ("daily", "weekly", "monthly")
# How many periods each trend shows.
PERIOD_COUNT = {"daily": 30, "weekly": 26, "monthly": 12}
_TRUNC = {"daily": "day", "weekly": "week", "monthly": "month"}
# Stockout-risk buckets (probabilities, lower bound inclusive); rows without a risk are "unknown".
RISK_BUCKETS = ((0.0, 0.05), (0.05, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.0001))


def _period_starts(period: str, as_of: date) -> list[date]:
    """Start dates of the last ``PERIOD_COUNT`` periods ending with the one holding ``as_of``
    (weeks start on Monday, as PostgreSQL's ``date_trunc('week')``)."""
    count = PERIOD_COUNT[period]
    if period == "daily":
        return [as_of - timedelta(days=count - 1 - i) for i in range(count)]
    if period == "weekly":
        monday = as_of - timedelta(days=as_of.weekday())
        return [monday - timedelta(weeks=count - 1 - i) for i in range(count)]
    starts = []
    year, month = as_of.year, as_of.month
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def _sales_by_period(period: str, start: date, as_of: date) -> dict[date, tuple[float, float]]:
    table = DemandHistory._meta.db_table
    # Per day first (dates are cheap to group), then into periods: far fewer date_trunc calls.
    sql = f"""
        SELECT date_trunc(%(unit)s, day)::date, SUM(quantity), SUM(revenue)
        FROM (
            SELECT date AS day, SUM(quantity::float8) AS quantity,
                   COALESCE(SUM(revenue::float8), 0) AS revenue
            FROM {table}
            WHERE date >= %(start)s AND date <= %(as_of)s
            GROUP BY date
        ) AS daily
        GROUP BY 1
    """  # noqa: S608 (table name from the model, values bound)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in AGGREGATE_SESSION:
            cursor.execute(statement)
        cursor.execute(sql, {"unit": _TRUNC[period], "start": start, "as_of": as_of})
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def _movement_value_by_period(period: str, start: date) -> dict[date, float]:
    """Net change of stock value (quantity × today's unit cost) per period since ``start``."""
    movements = StockMovement._meta.db_table
    products = Product._meta.db_table
    sql = f"""
        SELECT date_trunc(%(unit)s, m.occurred_at AT TIME ZONE 'UTC')::date,
               SUM(m.quantity * p.unit_cost)::float8
        FROM {movements} m JOIN {products} p ON p.id = m.product_id
        WHERE m.occurred_at >= %(start)s
        GROUP BY 1
    """  # noqa: S608 (table names from the models, values bound)
    since = datetime.combine(start, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    with connection.cursor() as cursor:
        cursor.execute(sql, {"unit": _TRUNC[period], "start": since})
        return {row[0]: row[1] for row in cursor.fetchall()}


def _metrics_summary(refreshed: Any) -> dict[str, Any]:
    risk_buckets = {
        f"risk_{i}": Count("id", filter=Q(stockout_risk__gte=low, stockout_risk__lt=high))
        for i, (low, high) in enumerate(RISK_BUCKETS)
    }
    totals = InventoryMetrics.objects.aggregate(
        rows=Count("id"),
        unknown_risk=Count("id", filter=Q(stockout_risk__isnull=True)),
        demand=Sum("mean_daily_demand", filter=Q(mean_daily_demand__gt=0)),
        # Demand-weighted chance of no stockout: Σ d·(1 − risk) / Σ d.
        demand_served=Sum(
            F("mean_daily_demand") * (1 - F("stockout_risk")),
            filter=Q(mean_daily_demand__gt=0, stockout_risk__isnull=False),
        ),
        **risk_buckets,
    )
    status_counts = dict(
        InventoryMetrics.objects.order_by()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    estimated = (
        totals["demand_served"] / totals["demand"]
        if totals["demand"] and totals["demand_served"] is not None
        else None
    )
    buckets = {
        f"{low:g}-{min(high, 1):g}": totals[f"risk_{i}"]
        for i, (low, high) in enumerate(RISK_BUCKETS)
    }
    buckets["unknown"] = totals["unknown_risk"]
    return {
        "rows": totals["rows"],
        "computed_at": refreshed.isoformat() if refreshed else None,
        "status_counts": {
            name: status_counts.get(name, 0) for name in InventoryMetrics.Status.values
        },
        "stockout_risk_buckets": buckets,
        "estimated_service_level": estimated,
    }


def _realised_service_level(start: date, as_of: date) -> dict[str, Any]:
    """Share of product × location × sales days in the window that were not out of stock.

    Two ways of recording stockouts are common: every day flagged in stock or out
    (``stockout`` true or false), or only the stockouts marked (the rest left unknown, as
    the demo and many exports do). With some day flagged false the rate counts the flagged
    days only (``basis`` "flagged_days"); with only stockouts marked, an unmarked day was in
    stock ("all_days"); with no flag at all there is no rate. One query."""
    flags = DemandHistory.objects.filter(date__gte=start, date__lte=as_of).aggregate(
        days=Count("date"),
        known=Count("date", filter=Q(stockout__isnull=False)),
        out=Count("date", filter=Q(stockout=True)),
    )
    known, out = flags["known"], flags["out"]
    if not known:
        basis, counted = None, 0
    elif known > out:  # some day explicitly in stock: trust the flags only
        basis, counted = "flagged_days", known
    else:
        basis, counted = "all_days", flags["days"]
    return {
        "in_stock_rate": (1 - out / counted) if counted else None,
        "days_with_flag": known,
        "days_out_of_stock": out,
        "days_counted": counted,
        "basis": basis,
    }


def _first_movement_day() -> date | None:
    """The day of the ledger's first movement: no stock history exists before it."""
    first = StockMovement.objects.aggregate(first=Min("occurred_at"))["first"]
    return timezone.localtime(first).date() if first else None


def _at_risk(limit: int = 10) -> list[dict[str, Any]]:
    """The ``limit`` product × location rows most likely to run out (highest stockout risk,
    then fewest days of cover), excluded rows left out. One query."""
    rows = (
        InventoryMetrics.objects.filter(stockout_risk__isnull=False)
        .exclude(status__in=("excluded", "no_data", "dead_stock"))
        .order_by(F("stockout_risk").desc(), F("days_of_cover").asc(nulls_last=True), "pk")
        .values(
            "product_id", "product__sku", "product__name", "location__code", "status",
            "stockout_risk", "days_of_cover", "on_hand", "recommended_order_qty",
            "latest_order_date",
        )[:limit]
    )  # fmt: skip
    return [
        {
            "product_id": row["product_id"],
            "sku": row["product__sku"],
            "name": row["product__name"],
            "location": row["location__code"],
            "status": row["status"],
            "stockout_risk": row["stockout_risk"],
            "days_of_cover": row["days_of_cover"],
            "on_hand": row["on_hand"],
            "recommended_order_qty": row["recommended_order_qty"],
            "latest_order_date": (
                row["latest_order_date"].isoformat() if row["latest_order_date"] else None
            ),
        }
        for row in rows
    ]


def inventory_dashboard_compute(*, period: str, as_of: date | None = None) -> dict[str, Any]:
    """The dashboard body, uncached; see ``inventory_dashboard``."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    today = timezone.localdate()
    if as_of is None:
        # Anchor on the latest sales day (history loaded from a past year still shows a trend).
        latest = DemandHistory.objects.aggregate(latest=Max("date"))["latest"]
        as_of = min(latest, today) if latest else today
    starts = _period_starts(period, as_of)
    value_now = StockLevel.objects.aggregate(value=Sum(F("on_hand") * F("product__unit_cost")))[
        "value"
    ]
    value_now = float(value_now or 0)
    sales = _sales_by_period(period, starts[0], as_of)
    moves = _movement_value_by_period(period, starts[0])

    # Walk back from today's value: the value at the end of a period is today's value minus
    # every movement after that period. Before the ledger's first movement there is no
    # history (not a value of 0): those periods are None and ``stock_history_from`` says when
    # the history starts.
    later = sum(value for start, value in moves.items() if start > starts[-1])
    value_at_end: list[float | None] = []
    running = value_now - later
    for start in reversed(starts):
        value_at_end.append(running)
        running -= moves.get(start, 0.0)
    value_at_end.reverse()
    history_from = _first_movement_day()
    ends = [*starts[1:], None]
    value_at_end = [
        None if history_from is None or (end is not None and end <= history_from) else value
        for value, end in zip(value_at_end, ends, strict=True)
    ]

    settings = inventory_settings_get()  # once: it is a get_or_create
    lookback = int(settings.lookback_days)
    summary = _metrics_summary(settings.metrics_refreshed_at)
    return {
        "period": period,
        "as_of": as_of.isoformat(),
        "inventory_value": value_now,
        **summary,
        "realised_service_level": _realised_service_level(
            as_of - timedelta(days=lookback - 1), as_of
        ),
        "stock_history_from": history_from.isoformat() if history_from else None,
        "at_risk": _at_risk(),
        "trend": {
            "periods": [start.isoformat() for start in starts],
            "inventory_value": value_at_end,
            "sales_quantity": [sales.get(start, (0.0, 0.0))[0] for start in starts],
            "sales_revenue": [sales.get(start, (0.0, 0.0))[1] for start in starts],
        },
    }


def inventory_dashboard(*, period: str = "weekly") -> dict[str, Any]:
    """Inventory value, status and stockout-risk counts, estimated and realised service level,
    and trends of stock value and sales per ``period`` (daily: 30 days, weekly: 26 weeks,
    monthly: 12 months). Cached 5 minutes per tenant; a refresh invalidates it."""
    return cached(
        "inventory", "dashboard", period, compute=lambda: inventory_dashboard_compute(period=period)
    )
