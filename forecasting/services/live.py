"""Live accuracy (ADR 38): the forecasts each run stored — the served champion's and the
challenger's in shadow — scored against the actuals as they arrive, in one set-based SQL
statement, as sums per run × series × method in ``LiveScore``.

Scoring is incremental: a run's window is scored up to the newest actual, and the next call
adds only the days that arrived since (the sums add up), so a daily sync scores one day per
open run instead of its whole window again (see ADR 38's addendum for the measurements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from catalog.models import DemandHistory
from core.cache import bump_namespace
from forecasting.models import ForecastRun, ForecastValue, LiveScore, SeriesClassification

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

# The statement joins every value row of the open windows to two slices of the sales: JIT
# compilation costs ~0.3 s and gains nothing, the hash tables must not spill to disk, and
# the planner, which cannot estimate the windows' rows, picks a merge join on the series
# classes that sorts every value row (4.3 s instead of 6.7 s on the benchmark's 10,000
# series × 4 runs without it; EXPLAIN ANALYZE in ADR 38's addendum).
SCORING_SESSION = (
    "SET LOCAL jit = off",
    "SET LOCAL work_mem = '256MB'",
    "SET LOCAL enable_mergejoin = off",
)


@dataclass(frozen=True)
class _Window:
    run: int
    origin: date
    after: date  # the days after this one are scored now (the origin, or as scored so far)
    end: date  # the window's end: the horizon's or the next run's origin


def live_scores_update(*, full: bool = False) -> int:
    """Score every stored run over the days it was the current forecast: after its
    ``data_end`` (the origin) up to the next run's origin, its horizon or the newest actual,
    whichever comes first, so each actual day is scored once against the forecast that was
    served on it. A day without a sale is zero demand; a day the import flagged as a stockout
    is censored and left out. Seasonal naive is the origin's last week repeated. A row's
    ``first_date`` … ``last_date`` is the window scored (``days`` the days counted in it).

    Incremental: a run whose rows reach its window's end is skipped; one scored part of the
    way (up to ``last_date``) gets only the days after it, added to its sums. A run whose
    window shrank below what was scored (a newer run with an earlier origin), and every run
    with ``full`` (a recompute from scratch, e.g. after history was corrected), is scored
    again from its origin — runs whose values were pruned keep their rows. Returns the rows
    written."""
    with transaction.atomic(), connection.cursor() as cursor:
        windows = _open_windows(cursor, full=full)
        if not windows:
            return 0
        first = min(w.after for w in windows)
        sales = DemandHistory._meta.db_table
        # The newest actual among the days still to score: the block-range index on the
        # date (ADR 28) reads only the recent blocks of a history that arrives in date order.
        cursor.execute(f"SELECT MAX(date) FROM {sales} WHERE date > %s", [first])  # noqa: S608
        found = cursor.fetchone()
        newest = (found[0] if found else None) or first
        todo = [(w, min(w.end, newest)) for w in windows]
        todo = [(w, last) for w, last in todo if last > w.after]
        if not todo:
            return 0
        again = [w.run for w, _ in todo if w.after == w.origin]
        if again:  # scored from the origin: the old rows are replaced, not added to
            cursor.execute(
                f"DELETE FROM {LiveScore._meta.db_table} WHERE run_id = ANY(%s)",  # noqa: S608
                [again],
            )
        for statement in SCORING_SESSION:
            cursor.execute(statement)
        written = _score(cursor, todo)
    if written:
        bump_namespace("forecasts")
    return written


def _open_windows(cursor: CursorWrapper, *, full: bool) -> list[_Window]:
    """The runs with days left to score and where to start: one small query over the runs
    (the scored rows are read through the run's index, and only for the runs not scored to
    their window's end)."""
    runs = ForecastRun._meta.db_table
    values = ForecastValue._meta.db_table
    live = LiveScore._meta.db_table
    cursor.execute(
        f"""
        WITH ordered AS (
            SELECT id, data_end AS origin,
                   LEAST(data_end + horizon,
                         COALESCE(LEAD(data_end) OVER (ORDER BY finished_at, id),
                                  data_end + horizon)) AS window_end
            FROM {runs} WHERE status = 'succeeded' AND data_end IS NOT NULL
        )
        SELECT o.id, o.origin, o.window_end,
               (SELECT MAX(s.last_date) FROM {live} s WHERE s.run_id = o.id)
        FROM ordered o
        WHERE o.window_end > o.origin
          AND EXISTS (SELECT 1 FROM {values} v WHERE v.run_id = o.id)
          AND (%s OR NOT EXISTS (
                SELECT 1 FROM {live} s WHERE s.run_id = o.id AND s.last_date = o.window_end))
        ORDER BY o.id
        """,  # noqa: S608
        [full],
    )
    windows = []
    for run, origin, end, scored in cursor.fetchall():
        if full or scored is None or scored > end:  # from scratch, new, or shrunk
            windows.append(_Window(run, origin, origin, end))
        elif scored < end:
            windows.append(_Window(run, origin, max(scored, origin), end))
    return windows


def _score(cursor: CursorWrapper, todo: list[tuple[_Window, date]]) -> int:
    """One ``SELECT`` for every window: its days ``after`` …
    ``last`` joined to the sales of those days (the actual) and of the week before each
    origin (seasonal naive), both read once as a date slice and hashed; the sums are
    upserted, added to the row's (none when scored from the origin: its rows were
    deleted). Then every row of those runs is marked scored to the window's end, also those
    with no new day (all censored), so the next call starts after it."""
    values = ForecastValue._meta.db_table
    sales = DemandHistory._meta.db_table
    classes = SeriesClassification._meta.db_table
    live = LiveScore._meta.db_table
    arrays: dict[str, Any] = {
        "run": [w.run for w, _ in todo],
        "origin": [w.origin for w, _ in todo],
        "after": [w.after for w, _ in todo],
        "last": [last for _, last in todo],
        "first_day": min(w.after for w, _ in todo),
        "last_day": max(last for _, last in todo),
        "first_origin": min(w.origin for w, _ in todo),
        "last_origin": max(w.origin for w, _ in todo),
    }
    windows = (
        "SELECT * FROM unnest(%(run)s::bigint[], %(origin)s::date[], %(after)s::date[], "
        "%(last)s::date[]) AS w(id, origin, after, last_day)"
    )
    # The sums are computed into a temporary table first: PostgreSQL plans no parallel
    # workers for an INSERT … SELECT, it does for CREATE TABLE … AS (8.7 s → 4.4 s + 1.2 s).
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE live_batch AS
        WITH w AS ({windows})
        SELECT v.run_id, v.product_id, v.location_id, v.method,
               bool_or(v.selected) AS served, MAX(c.pattern) AS pattern, w.origin,
               w.origin + 1 AS first_date, w.last_day AS last_date, COUNT(*) AS days,
               SUM(COALESCE(d.quantity, 0)::float8) AS actual,
               SUM(abs(v.forecast - COALESCE(d.quantity, 0)::float8)) AS abs_error,
               SUM(v.forecast - COALESCE(d.quantity, 0)::float8) AS error,
               SUM((v.forecast - COALESCE(d.quantity, 0)::float8) ^ 2) AS squared_error,
               SUM(abs(COALESCE(n.quantity, 0)::float8 - COALESCE(d.quantity, 0)::float8))
                   AS naive_abs_error
        FROM w
        JOIN {values} v ON v.run_id = w.id AND v.date > w.after AND v.date <= w.last_day
             AND v.run_id = ANY(%(run)s) AND v.date > %(first_day)s AND v.date <= %(last_day)s
        JOIN {classes} c ON c.run_id = v.run_id AND c.product_id = v.product_id
             AND c.location_id = v.location_id
        LEFT JOIN (SELECT product_id, location_id, date, quantity, stockout FROM {sales}
                   WHERE date > %(first_day)s AND date <= %(last_day)s) d
             ON d.product_id = v.product_id AND d.location_id = v.location_id
             AND d.date = v.date
        LEFT JOIN (SELECT product_id, location_id, date, quantity FROM {sales}
                   WHERE date > %(first_origin)s - 7 AND date <= %(last_origin)s) n
             ON n.product_id = v.product_id AND n.location_id = v.location_id
             AND n.date = w.origin - 6 + mod(v.date - w.origin - 1, 7)
        WHERE (v.selected OR v.method = c.challenger) AND d.stockout IS NOT TRUE
        GROUP BY v.run_id, v.product_id, v.location_id, v.method, w.origin, w.last_day
        """,  # noqa: S608
        arrays,
    )
    cursor.execute(
        f"""
        INSERT INTO {live} AS t
            (run_id, product_id, location_id, method, served, pattern, origin, first_date,
             last_date, days, actual, abs_error, error, squared_error, naive_abs_error,
             scored_at)
        SELECT run_id, product_id, location_id, method, served, pattern, origin, first_date,
               last_date, days, actual, abs_error, error, squared_error, naive_abs_error,
               now()
        FROM live_batch
        ON CONFLICT (run_id, product_id, location_id, method) DO UPDATE SET
            served = EXCLUDED.served, pattern = EXCLUDED.pattern,
            last_date = EXCLUDED.last_date, days = t.days + EXCLUDED.days,
            actual = t.actual + EXCLUDED.actual,
            abs_error = t.abs_error + EXCLUDED.abs_error, error = t.error + EXCLUDED.error,
            squared_error = t.squared_error + EXCLUDED.squared_error,
            naive_abs_error = t.naive_abs_error + EXCLUDED.naive_abs_error,
            scored_at = EXCLUDED.scored_at
        """  # noqa: S608
    )
    written = max(int(cursor.rowcount), 0)
    cursor.execute("DROP TABLE live_batch")
    cursor.execute(
        f"""
        WITH w AS ({windows})
        UPDATE {live} AS t SET last_date = w.last_day, scored_at = now()
        FROM w WHERE t.run_id = w.id AND t.last_date < w.last_day
        """,  # noqa: S608
        arrays,
    )
    return written
