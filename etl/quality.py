"""The data-quality report of a tenant's sales history.

Every check is one set-based SQL statement over the whole table (no per-series loops): a CTE
aggregates per series (product × location), a totals row summarises, and a LATERAL join adds
the worst ``limit`` offenders. A check with no offender still answers its one totals row.

Checks:
- ``date_gaps``: days missing between a series' first and last sale (a day with no row; a
  zero-sales day should be a row with quantity 0).
- ``zero_days``: share of a series' rows with quantity 0 (intermittent demand, or a feed that
  writes zeros for closed days).
- ``outliers``: quantities above Q3 + 3·IQR of their series (Tukey's far-out fence), for
  series with at least ``MIN_ROWS_FOR_OUTLIERS`` rows and a non-zero IQR.
- ``negative_values``: negative quantity or revenue (the table's check constraint forbids a
  negative quantity; revenue is only checked by the importer).
- ``duplicate_keys``: rows sharing (product, location, date). The unique key makes this 0;
  it is checked so that a dropped constraint would show.
- ``unknown_products``: sales of a product that is missing (no foreign key on this table) or
  inactive, and sales at a location that is missing.
- ``stale``: days from the last sale to ``today``, overall and per series; a series is stale
  when its last sale is more than ``stale_days`` old.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from psycopg import sql

from catalog.models import DemandHistory, Location, Product
from core.cache import cached

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
DEFAULT_STALE_DAYS = 28
MIN_ROWS_FOR_OUTLIERS = 14
IQR_FENCE = 3  # Tukey (1977): "far out" beyond Q3 + 3·IQR

T_HISTORY = sql.Identifier(DemandHistory._meta.db_table)
T_PRODUCT = sql.Identifier(Product._meta.db_table)
T_LOCATION = sql.Identifier(Location._meta.db_table)


def _fetch(
    cursor, statement: sql.Composable, params: dict[str, Any]
) -> tuple[list[str], list[tuple]]:
    cursor.execute(
        statement.format(
            h=T_HISTORY, p=T_PRODUCT, l=T_LOCATION, series=_SERIES, names=_NAMES
        ).as_string(cursor.connection),
        params,
    )
    names = [column.name for column in cursor.description]
    return names, cursor.fetchall()


def _split(
    names: list[str], rows: list[tuple], totals: tuple[str, ...]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One totals dict (repeated on every row) and the offender dicts (non-null keys)."""
    summary = {name: _plain(rows[0][names.index(name)]) for name in totals}
    offenders = [
        {name: _plain(value) for name, value in zip(names, row, strict=True) if name not in totals}
        for row in rows
        if row[names.index("product_id")] is not None
    ]
    return summary, offenders


def _plain(value: Any) -> Any:
    """JSON- and cache-friendly values: dates as ISO text, decimals as floats (shares, stats)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)  # counts summed by PostgreSQL come back as numeric
    if value is not None and not isinstance(value, int | str | bool | float):
        return float(value)
    return value


# The per-series aggregate shared by several checks.
_SERIES = sql.SQL(
    "SELECT h.product_id, h.location_id, min(h.date) AS first_date, max(h.date) AS last_date, "
    "count(*) AS rows, count(*) FILTER (WHERE h.quantity = 0) AS zero_rows "
    "FROM {h} h GROUP BY h.product_id, h.location_id"
).format(h=T_HISTORY)
# The offender's SKU and location code (NULL when the row's product or location is gone).
_NAMES = sql.SQL(
    "(SELECT p.sku FROM {p} p WHERE p.id = s.product_id) AS sku, "
    "(SELECT l.code FROM {l} l WHERE l.id = s.location_id) AS location"
).format(p=T_PRODUCT, l=T_LOCATION)


def check_date_gaps(cursor, *, limit: int) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "WITH s AS ({series}), "
            "t AS (SELECT count(*) AS series, "
            "  count(*) FILTER (WHERE last_date - first_date + 1 > rows) AS series_with_gaps, "
            "  coalesce(sum(last_date - first_date + 1 - rows), 0) AS missing_days FROM s) "
            "SELECT t.*, o.* FROM t LEFT JOIN LATERAL ("
            "  SELECT s.product_id, s.location_id, {names}, s.first_date, s.last_date, "
            "  s.rows, s.last_date - s.first_date + 1 - s.rows AS missing "
            "  FROM s WHERE s.last_date - s.first_date + 1 > s.rows "
            "  ORDER BY missing DESC, s.product_id, s.location_id LIMIT %(limit)s) o ON true"
        ),
        {"limit": limit},
    )
    summary, offenders = _split(names, rows, ("series", "series_with_gaps", "missing_days"))
    return {**summary, "top": offenders}


def check_zero_days(cursor, *, limit: int) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "WITH s AS ({series}), "
            "t AS (SELECT coalesce(sum(rows), 0) AS rows, "
            "  coalesce(sum(zero_rows), 0) AS zero_rows, "
            "  coalesce(sum(zero_rows)::numeric / nullif(sum(rows), 0), 0) AS zero_share, "
            "  count(*) FILTER (WHERE zero_rows = rows) AS all_zero_series FROM s) "
            "SELECT t.*, o.* FROM t LEFT JOIN LATERAL ("
            "  SELECT s.product_id, s.location_id, {names}, s.rows AS series_rows, "
            "  s.zero_rows AS series_zero_rows, "
            "  round(s.zero_rows::numeric / s.rows, 4) AS share "
            "  FROM s WHERE s.zero_rows > 0 "
            "  ORDER BY share DESC, s.rows DESC, s.product_id, s.location_id "
            "  LIMIT %(limit)s) o ON true"
        ),
        {"limit": limit},
    )
    summary, offenders = _split(names, rows, ("rows", "zero_rows", "zero_share", "all_zero_series"))
    summary["zero_share"] = round(summary["zero_share"], 4)
    for offender in offenders:
        offender["rows"] = offender.pop("series_rows")
        offender["zero_rows"] = offender.pop("series_zero_rows")
    return {**summary, "top": offenders}


def check_outliers(cursor, *, limit: int) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "WITH q AS (SELECT product_id, location_id, "
            "  percentile_cont(0.25) WITHIN GROUP (ORDER BY quantity) AS q1, "
            "  percentile_cont(0.75) WITHIN GROUP (ORDER BY quantity) AS q3 "
            "  FROM {h} GROUP BY product_id, location_id HAVING count(*) >= %(min_rows)s), "
            "f AS (SELECT product_id, location_id, q3 + %(fence)s * (q3 - q1) AS fence "
            "  FROM q WHERE q3 > q1), "
            "s AS (SELECT f.product_id, f.location_id, f.fence, count(*) AS outliers, "
            "  max(h.quantity) AS max_quantity, "
            "  (array_agg(h.date ORDER BY h.quantity DESC, h.date))[1] AS max_date "
            "  FROM f JOIN {h} h ON h.product_id = f.product_id AND h.location_id = f.location_id "
            "  AND h.quantity > f.fence GROUP BY f.product_id, f.location_id, f.fence), "
            "t AS (SELECT (SELECT count(*) FROM f) AS series_checked, "
            "  count(*) AS series_with_outliers, "
            "  coalesce(sum(outliers), 0) AS outlier_rows FROM s) "
            "SELECT t.*, o.* FROM t LEFT JOIN LATERAL ("
            "  SELECT s.product_id, s.location_id, {names}, s.outliers, "
            "  round(s.fence::numeric, 3) AS fence, s.max_quantity, s.max_date FROM s "
            "  ORDER BY s.outliers DESC, s.max_quantity / nullif(s.fence, 0) DESC, "
            "  s.product_id, s.location_id LIMIT %(limit)s) o ON true"
        ),
        {"limit": limit, "min_rows": MIN_ROWS_FOR_OUTLIERS, "fence": IQR_FENCE},
    )
    summary, offenders = _split(
        names, rows, ("series_checked", "series_with_outliers", "outlier_rows")
    )
    return {
        **summary,
        "rule": f"quantity > Q3 + {IQR_FENCE}·IQR of its series "
        f"(series with at least {MIN_ROWS_FOR_OUTLIERS} rows and IQR > 0)",
        "top": offenders,
    }


def check_negative_values(cursor) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "SELECT count(*) FILTER (WHERE quantity < 0) AS negative_quantity, "
            "count(*) FILTER (WHERE revenue < 0) AS negative_revenue FROM {h}"
        ),
        {},
    )
    return dict(zip(names, rows[0], strict=True))


def check_duplicate_keys(cursor) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "SELECT count(*) AS duplicate_keys, coalesce(sum(n - 1), 0) AS extra_rows FROM ("
            "SELECT count(*) AS n FROM {h} GROUP BY product_id, location_id, date "
            "HAVING count(*) > 1) d"
        ),
        {},
    )
    return {name: _plain(value) for name, value in zip(names, rows[0], strict=True)}


def check_unknown_products(cursor, *, limit: int) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "WITH s AS (SELECT h.product_id, h.location_id, count(*) AS rows, "
            "  p.id IS NULL AS product_missing, coalesce(NOT p.is_active, false) AS inactive, "
            "  l.id IS NULL AS location_missing, p.sku, l.code AS location "
            "  FROM {h} h LEFT JOIN {p} p ON p.id = h.product_id "
            "  LEFT JOIN {l} l ON l.id = h.location_id "
            "  WHERE p.id IS NULL OR NOT p.is_active OR l.id IS NULL "
            "  GROUP BY h.product_id, h.location_id, p.id, l.id), "
            "t AS (SELECT count(DISTINCT product_id) FILTER (WHERE product_missing) "
            "    AS missing_products, "
            "  count(DISTINCT product_id) FILTER (WHERE inactive) AS inactive_products, "
            "  count(DISTINCT location_id) FILTER (WHERE location_missing) AS missing_locations, "
            "  coalesce(sum(rows), 0) AS affected_rows FROM s) "
            "SELECT t.*, o.* FROM t LEFT JOIN LATERAL ("
            "  SELECT s.product_id, s.location_id, s.sku, s.location, s.rows, "
            "  CASE WHEN s.product_missing THEN 'no product' WHEN s.location_missing "
            "  THEN 'no location' ELSE 'inactive product' END AS why FROM s "
            "  ORDER BY s.rows DESC, s.product_id, s.location_id LIMIT %(limit)s) o ON true"
        ),
        {"limit": limit},
    )
    summary, offenders = _split(
        names,
        rows,
        ("missing_products", "inactive_products", "missing_locations", "affected_rows"),
    )
    return {**summary, "top": offenders}


def check_stale(cursor, *, limit: int, today: date, stale_days: int) -> dict[str, Any]:
    names, rows = _fetch(
        cursor,
        sql.SQL(
            "WITH s AS (SELECT product_id, location_id, max(date) AS last_date FROM {h} "
            "  GROUP BY product_id, location_id), "
            "t AS (SELECT max(last_date) AS last_sale_date, "
            "  %(today)s::date - max(last_date) AS days_since_last_sale, "
            "  count(*) FILTER (WHERE %(today)s::date - last_date > %(stale_days)s) "
            "    AS stale_series FROM s) "
            "SELECT t.*, o.* FROM t LEFT JOIN LATERAL ("
            "  SELECT s.product_id, s.location_id, {names}, s.last_date, "
            "  %(today)s::date - s.last_date AS days_since "
            "  FROM s WHERE %(today)s::date - s.last_date > %(stale_days)s "
            "  ORDER BY s.last_date, s.product_id, s.location_id LIMIT %(limit)s) o ON true"
        ),
        {"limit": limit, "today": today, "stale_days": stale_days},
    )
    summary, offenders = _split(
        names, rows, ("last_sale_date", "days_since_last_sale", "stale_series")
    )
    return {**summary, "stale_after_days": stale_days, "top": offenders}


def _run_checks(cursor, *, limit: int, today: date, stale_days: int) -> dict[str, Any]:
    return {
        "date_gaps": check_date_gaps(cursor, limit=limit),
        "zero_days": check_zero_days(cursor, limit=limit),
        "outliers": check_outliers(cursor, limit=limit),
        "negative_values": check_negative_values(cursor),
        "duplicate_keys": check_duplicate_keys(cursor),
        "unknown_products": check_unknown_products(cursor, limit=limit),
        "stale": check_stale(cursor, limit=limit, today=today, stale_days=stale_days),
    }


def data_quality_compute(
    *, limit: int = DEFAULT_LIMIT, today: date | None = None, stale_days: int = DEFAULT_STALE_DAYS
) -> dict[str, Any]:
    """The report of the active tenant, uncached: a dict of checks, each a summary plus its
    ``limit`` worst series (``top``). Seven queries whatever the data size."""
    today = today or timezone.localdate()
    # One cursor: django-tenants sets the search path once per cursor, not once per check.
    with connection.cursor() as cursor:
        checks = _run_checks(cursor, limit=limit, today=today, stale_days=stale_days)
    issues = {
        "date_gaps": checks["date_gaps"]["series_with_gaps"],
        "outliers": checks["outliers"]["series_with_outliers"],
        "negative_values": checks["negative_values"]["negative_quantity"]
        + checks["negative_values"]["negative_revenue"],
        "duplicate_keys": checks["duplicate_keys"]["duplicate_keys"],
        "unknown_products": checks["unknown_products"]["affected_rows"],
        "stale": checks["stale"]["stale_series"],
    }
    return {
        "generated_at": timezone.now().isoformat(),
        "as_of": today.isoformat(),
        "series": checks["date_gaps"]["series"],
        "rows": checks["zero_days"]["rows"],
        "issues": issues,
        "ok": not any(issues.values()),
        "limit": limit,
        "checks": checks,
    }


def data_quality_report(
    *, limit: int = DEFAULT_LIMIT, today: date | None = None, stale_days: int = DEFAULT_STALE_DAYS
) -> dict[str, Any]:
    """``data_quality_compute`` cached for 5 minutes in the tenant's ``inventory`` namespace
    (an import bumps it, so a new file shows at once)."""
    today = today or timezone.localdate()
    return cached(
        "inventory",
        "data_quality",
        limit,
        today.isoformat(),
        stale_days,
        compute=lambda: data_quality_compute(limit=limit, today=today, stale_days=stale_days),
    )
