"""Live accuracy (ADR 38): the forecasts each run stored — the served champion's and the
challenger's in shadow — scored against the actuals as they arrive, in one set-based SQL
statement, as sums per run × series × method in ``LiveScore``."""

from __future__ import annotations

from django.db import connection, transaction

from catalog.models import DemandHistory
from core.cache import bump_namespace
from forecasting.models import ForecastRun, ForecastValue, LiveScore, SeriesClassification


def live_scores_update() -> int:
    """Score every stored run over the days it was the current forecast: after its
    ``data_end`` (the origin) up to the next run's origin, its horizon or the newest actual,
    whichever comes first, so each actual day is scored once against the forecast that was
    served on it. A day without a sale is zero demand; a day the import flagged as a stockout
    is censored and left out. Seasonal naive is the origin's last week repeated. A row's
    ``first_date`` … ``last_date`` is the window scored (``days`` the days counted in it);
    runs whose window is already scored to its end are skipped. Returns the rows written."""
    runs = ForecastRun._meta.db_table
    values = ForecastValue._meta.db_table
    sales = DemandHistory._meta.db_table
    classes = SeriesClassification._meta.db_table
    live = LiveScore._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH ordered AS (
                SELECT id, data_end, horizon,
                       LEAD(data_end) OVER (ORDER BY finished_at, id) AS next_end
                FROM {runs} WHERE status = 'succeeded' AND data_end IS NOT NULL
            ), windows AS (
                SELECT o.id, o.data_end AS origin,
                       LEAST(o.data_end + o.horizon, COALESCE(o.next_end, o.data_end + o.horizon),
                             (SELECT MAX(date) FROM {sales})) AS last_day
                FROM ordered o
            ), open AS (
                SELECT w.* FROM windows w
                WHERE w.last_day > w.origin AND NOT EXISTS (
                    SELECT 1 FROM {live} s WHERE s.run_id = w.id AND s.last_date >= w.last_day)
            )
            INSERT INTO {live} AS t
                (run_id, product_id, location_id, method, served, pattern, origin, first_date,
                 last_date, days, actual, abs_error, error, squared_error, naive_abs_error,
                 scored_at)
            SELECT v.run_id, v.product_id, v.location_id, v.method, bool_or(v.selected),
                   MAX(c.pattern), w.origin, w.origin + 1, w.last_day, COUNT(*),
                   SUM(COALESCE(d.quantity, 0)::float8),
                   SUM(abs(v.forecast - COALESCE(d.quantity, 0)::float8)),
                   SUM(v.forecast - COALESCE(d.quantity, 0)::float8),
                   SUM((v.forecast - COALESCE(d.quantity, 0)::float8) ^ 2),
                   SUM(abs(COALESCE(n.quantity, 0)::float8 - COALESCE(d.quantity, 0)::float8)),
                   now()
            FROM open w
            JOIN {values} v ON v.run_id = w.id AND v.date > w.origin AND v.date <= w.last_day
            JOIN {classes} c ON c.run_id = v.run_id AND c.product_id = v.product_id
                 AND c.location_id = v.location_id
            LEFT JOIN {sales} d ON d.product_id = v.product_id
                 AND d.location_id = v.location_id AND d.date = v.date
            LEFT JOIN {sales} n ON n.product_id = v.product_id
                 AND n.location_id = v.location_id
                 AND n.date = w.origin - 6 + mod(v.date - w.origin - 1, 7)
            WHERE (v.selected OR v.method = c.challenger) AND d.stockout IS NOT TRUE
            GROUP BY v.run_id, v.product_id, v.location_id, v.method, w.origin, w.last_day
            ON CONFLICT (run_id, product_id, location_id, method) DO UPDATE SET
                served = EXCLUDED.served, pattern = EXCLUDED.pattern,
                first_date = EXCLUDED.first_date, last_date = EXCLUDED.last_date,
                days = EXCLUDED.days, actual = EXCLUDED.actual,
                abs_error = EXCLUDED.abs_error, error = EXCLUDED.error,
                squared_error = EXCLUDED.squared_error,
                naive_abs_error = EXCLUDED.naive_abs_error, scored_at = EXCLUDED.scored_at
            """  # noqa: S608
        )
        written = cursor.rowcount
    if written:
        bump_namespace("forecasts")
    return max(int(written), 0)
