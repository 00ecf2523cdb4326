"""Live accuracy and champion / challenger at scale (ADR 38): the time to score the stored
forecasts of several weekly runs against the actuals (``live_scores_update``; again with
nothing new; when one day of actuals arrives on the open window; a recompute from scratch),
to read the trials' evidence and decide them (``challengers_decide``), and to read the
tenant summary (``live_accuracy_summary``).

    python benchmarks/live_accuracy.py --series 10000 --runs 4 --horizon 28

Runs in a throw-away database with one tenant; the rows are generated in SQL (products ×
locations, daily sales, each run's served and challenger values). Prints one JSON object on
its last line: series, stored value rows, scored rows, seconds per step, and the machine's
load average (the machine is shared: read the times with it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date, timedelta

from _benchdb import bench_database, migrate_platform

LOCATIONS = 10


def _fill(cursor, *, series: int, runs: int, horizon: int, challenged: float) -> int:
    """Products, locations, 120 days of sales before the first origin and every day after,
    and ``runs`` weekly runs each with its served values and a challenger's on a share of the
    series. Returns the number of value rows."""
    from django.utils import timezone

    from catalog.models import DemandHistory, Location, Product
    from forecasting.models import ForecastRun, ForecastValue, SeriesClassification

    products = max(1, series // LOCATIONS)
    Location.objects.bulk_create(Location(code=f"L{i}", name=f"L{i}") for i in range(LOCATIONS))
    Product.objects.bulk_create(
        (Product(sku=f"S{i}", name=f"S{i}") for i in range(products)), batch_size=5000
    )
    days = 120 + 7 * runs + horizon
    cursor.execute(
        f"INSERT INTO {DemandHistory._meta.db_table} "  # noqa: S608
        "(product_id, location_id, date, quantity, on_promotion) "
        "SELECT p.id, l.id, date '2026-01-01' + d, (10 + 5 * sin(d) + random() * 6)::int, false "
        f"FROM {Product._meta.db_table} p CROSS JOIN {Location._meta.db_table} l "
        "CROSS JOIN generate_series(0, %s) d",
        [days - 1],
    )
    values = 0
    for index in range(runs):
        origin_offset = 119 + 7 * index
        run_id = ForecastRun.objects.create(
            status="succeeded",
            trigger="schedule",
            horizon=horizon,
            data_start=date(2026, 1, 1),
            data_end=date(2026, 1, 1) + timedelta(days=origin_offset),
            series_count=series,
            finished_at=timezone.now() + timedelta(minutes=index),
        ).pk
        cursor.execute(
            f"INSERT INTO {SeriesClassification._meta.db_table} (run_id, product_id, "  # noqa: S608
            "location_id, pattern, xyz, abc, new_item, method, runner_up, reason, parameters, "
            "challenger, challenger_parameters, quantity_total, revenue_total) "
            "SELECT %s, p.id, l.id, 'smooth', 'X', 'A', false, 'ses', '', 'backtest', '{}', "
            "CASE WHEN random() < %s THEN 'naive' ELSE '' END, '{}', 0, 0 "
            f"FROM {Product._meta.db_table} p CROSS JOIN {Location._meta.db_table} l",
            [run_id, challenged],
        )
        cursor.execute(
            f"INSERT INTO {ForecastValue._meta.db_table} (run_id, product_id, location_id, "  # noqa: S608
            "date, method, selected, forecast, p05, p10, p50, p90, p95) "
            "SELECT c.run_id, c.product_id, c.location_id, date '2026-01-01' + %s + h, m.method, "
            "m.method = 'ses', 11 + m.shift, 5, 6, 11, 16, 17 "
            f"FROM {SeriesClassification._meta.db_table} c "
            "CROSS JOIN generate_series(1, %s) h "
            "JOIN (VALUES ('ses', 0.0), ('naive', 1.5)) AS m(method, shift) "
            "  ON m.method = 'ses' OR m.method = c.challenger "
            "WHERE c.run_id = %s",
            [origin_offset, horizon, run_id],
        )
        values += cursor.rowcount
    return values


def _a_day_arrives(*, cursor_factory, services):
    """A daily sync on the open window: the sales of the newest run's last two forecast days
    and after are held back and the run scored without them, then one day arrives and is
    scored (timed: the daily case; the incremental scoring adds that day, the earlier code
    re-scored the whole window), then the other. Then a recompute from scratch
    (``full=True``, when the code has it) is timed and compared with the incrementally built
    rows (max relative difference)."""
    import inspect

    from catalog.models import DemandHistory
    from forecasting.models import ForecastRun, LiveScore

    sales = DemandHistory._meta.db_table
    last_run = ForecastRun.objects.order_by("-finished_at", "-id").first()
    with cursor_factory() as cursor:
        newest = last_run.data_end + timedelta(days=last_run.horizon)
        cursor.execute(
            f"CREATE TEMP TABLE held AS SELECT * FROM {sales} WHERE date > %s",  # noqa: S608
            [newest - timedelta(days=2)],
        )
        cursor.execute(f"DELETE FROM {sales} WHERE date > %s", [newest - timedelta(days=2)])  # noqa: S608
    LiveScore.objects.filter(run_id=last_run.pk).delete()
    services.live_scores_update()
    timed = 0.0
    for day in (newest - timedelta(days=1), newest):
        with cursor_factory() as cursor:
            cursor.execute(f"INSERT INTO {sales} SELECT * FROM held WHERE date = %s", [day])  # noqa: S608
            cursor.execute(f"ANALYZE {sales}")
        started = time.perf_counter()
        services.live_scores_update()
        timed = timed or time.perf_counter() - started
    if "full" not in inspect.signature(services.live_scores_update).parameters:
        return timed, None
    fields = ("days", "actual", "abs_error", "error", "squared_error", "naive_abs_error")
    key = ("run_id", "product_id", "location_id", "method")
    before = {tuple(r[:4]): r[4:] for r in LiveScore.objects.values_list(*key, *fields)}
    started = time.perf_counter()
    services.live_scores_update(full=True)
    seconds = time.perf_counter() - started
    after = {tuple(r[:4]): r[4:] for r in LiveScore.objects.values_list(*key, *fields)}
    worst = 0.0 if before.keys() == after.keys() else float("inf")
    for k, row in after.items():
        for a, b in zip(row, before.get(k, row), strict=True):
            worst = max(worst, abs(a - b) / max(abs(a), 1.0))
    return timed, (seconds, worst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--challenged", type=float, default=0.3)
    args = parser.parse_args()
    with bench_database("live"):
        from django.db import connection
        from django_tenants.utils import schema_context

        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="live", name="Live").tenant
        with schema_context(tenant.schema_name):
            from forecasting import selectors, services
            from forecasting.models import ModelRegistryEntry, ModelVersion

            with connection.cursor() as cursor:
                values = _fill(
                    cursor,
                    series=args.series,
                    runs=args.runs,
                    horizon=args.horizon,
                    challenged=args.challenged,
                )
                cursor.execute("ANALYZE")
            with connection.cursor() as cursor:  # the registry and versions of the last run
                from forecasting.models import ForecastRun
                from forecasting.services.registry import registry_upsert

                registry_upsert(cursor, ForecastRun.objects.order_by("-id").first())
            seconds: dict[str, float] = {}
            started = time.perf_counter()
            scored = services.live_scores_update()
            seconds["live_scores_update"] = time.perf_counter() - started
            started = time.perf_counter()
            again = services.live_scores_update()
            seconds["live_scores_update_again"] = time.perf_counter() - started
            day, full = _a_day_arrives(cursor_factory=connection.cursor, services=services)
            seconds["live_scores_update_day"] = day
            if full is not None:
                seconds["live_scores_update_full"], equal = full
            services.forecast_settings_update(challenger_weeks=1)
            started = time.perf_counter()
            decision = services.challengers_decide()
            seconds["challengers_decide"] = time.perf_counter() - started
            started = time.perf_counter()
            summary = selectors.live_accuracy_summary(weeks=8)
            seconds["live_accuracy_summary"] = time.perf_counter() - started
            result = {
                "series": (args.series // LOCATIONS) * LOCATIONS,
                "runs": args.runs,
                "horizon": args.horizon,
                "value_rows": values,
                "scored_rows": scored,
                "rescored_rows": again,
                "trials": decision.trials,
                "promoted": decision.promoted,
                "rejected": decision.rejected,
                "versions": ModelVersion.objects.count(),
                "registry": ModelRegistryEntry.objects.count(),
                "tenant_wape": summary["tenant"]["wape"],
                "incremental_equals_full": equal if full is not None else None,
                "seconds": {k: round(v, 3) for k, v in seconds.items()},
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
