"""The forecast pipeline end to end, PostgreSQL to stored forecasts: N generated series of L
days of sales loaded into a fresh tenant through COPY, then the real run service (one query
into a dense array, the Test Bed chunk by chunk, binary COPY of values and scores, ABC,
registry upsert, summary).

    python benchmarks/forecast_pipeline.py --series 1000 --length 730
    python benchmarks/forecast_pipeline.py --series 10000 --length 730 --workers 2

``--workers 1`` runs ``forecast_run_execute`` (the command's default). ``--workers W > 1``
runs ``forecast_run_execute_parallel`` (``run_forecast --workers W``): the path the Celery
group takes (plan chunks, each chunk loads and computes on its own, then finish) on W forked
processes instead of W Celery workers.
Runs in a throw-away database. Prints one JSON object: seconds per phase (load, test bed,
write, total), rows stored, and peak resident memory (MB) of the main process and of the
largest worker.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date, timedelta

import numpy as np
from _benchdb import bench_database, migrate_platform


def generate_history(series: int, length: int, seed: int = 11) -> np.ndarray:
    """Daily units sold ``(series, length)``: 60% smooth weekly-seasonal Poisson series with a
    trend, 40% intermittent (about one sale in four days)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.gamma(2.0, 10.0, size=(series, 1))
    week = 1.0 + 0.3 * np.sin(2 * np.pi * (t[None, :] + rng.integers(0, 7, (series, 1))) / 7)
    trend = 1.0 + rng.normal(0, 0.3, (series, 1)) * t[None, :] / length
    smooth = rng.poisson(np.maximum(level * week * trend, 0.1))
    intermittent = np.where(
        rng.random((series, length)) < 0.25, rng.poisson(3, (series, length)), 0
    )
    pick = rng.random((series, 1)) < 0.6
    return np.where(pick, smooth, intermittent).astype(np.float64)


def load_tenant(history: np.ndarray, end: date, locations: int) -> dict[str, float]:
    """Products, locations and the sales rows (non-zero days) through binary COPY into a
    staging table, then one INSERT … SELECT into the sales history."""
    from django.db import connection

    from catalog.models import DemandHistory, Location, Product
    from forecasting import bulk

    series, length = history.shape
    products = -(-series // locations)
    started = time.perf_counter()
    Location.objects.bulk_create(
        [Location(code=f"LOC-{i:03d}", name=f"Location {i}") for i in range(locations)]
    )
    Product.objects.bulk_create(
        [Product(sku=f"SKU-{i:05d}", name=f"Product {i}", unit_price=2.5) for i in range(products)],
        batch_size=5000,
    )
    product_ids = np.array(Product.objects.order_by("id").values_list("id", flat=True))
    location_ids = np.array(Location.objects.order_by("id").values_list("id", flat=True))
    index = np.arange(series)
    pair_product = product_ids[index // locations]
    pair_location = location_ids[index % locations]
    rows, days = np.nonzero(history)
    first_day = (end - timedelta(days=length - 1) - date(2000, 1, 1)).days
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_sales (product_id int8, location_id int8, date date, "
            "quantity float8)"
        )
        step = 2_000_000
        blocks = (
            bulk.encode_block(
                [
                    ("int8", pair_product[rows[i : i + step]]),
                    ("int8", pair_location[rows[i : i + step]]),
                    ("date", first_day + days[i : i + step]),
                    ("float8", history[rows[i : i + step], days[i : i + step]]),
                ],
                len(rows[i : i + step]),
            )
            for i in range(0, len(rows), step)
        )
        bulk.copy_in(
            cursor, "bench_sales", ["product_id", "location_id", "date", "quantity"], blocks
        )
        table = DemandHistory._meta.db_table
        cursor.execute(
            f"INSERT INTO {table} (product_id, location_id, date, quantity, revenue, on_promotion) "  # noqa: S608
            "SELECT product_id, location_id, date, quantity::numeric, (quantity * 2.5)::numeric, "
            "false FROM bench_sales"
        )
        cursor.execute("DROP TABLE bench_sales")
        cursor.execute(f"ANALYZE {table}")
    return {"rows": len(rows), "seconds": time.perf_counter() - started}


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--locations", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    history = generate_history(args.series, args.length)
    end = date(2026, 6, 30)

    with bench_database("forecast_pipeline"):
        from django_tenants.utils import schema_context

        from forecasting import services
        from forecasting.models import BacktestScore, ForecastSettings, ForecastValue
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="fcbench", name="Forecast bench").tenant
        with schema_context(tenant.schema_name):
            loaded = load_tenant(history, end, args.locations)
            del history
            ForecastSettings.objects.update_or_create(
                pk=1, defaults={"chunk_size": args.chunk_size, "history_days": args.length}
            )
            started = time.perf_counter()
            cpu_started = _cpu_seconds()
            run = services.forecast_run_start(horizon=args.horizon, enqueue=False)
            if args.workers <= 1:
                run = services.forecast_run_execute(run_id=run.pk)
                phases = dict(run.summary["seconds"])
                worker_mb = 0.0
            else:
                run = services.forecast_run_execute_parallel(run_id=run.pk, workers=args.workers)
                phases = {}
                # the largest child's peak (ru_maxrss of RUSAGE_CHILDREN is the maximum)
                worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            total = time.perf_counter() - started
            cpu = _cpu_seconds() - cpu_started
            values = ForecastValue.objects.filter(run_id=run.pk).count()
            scores = BacktestScore.objects.filter(run_id=run.pk).count()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "benchmark": "forecast_pipeline",
                "series": args.series,
                "length": args.length,
                "horizon": args.horizon,
                "workers": args.workers,
                "chunk_size": args.chunk_size,
                "status": run.status,
                "sales_rows": loaded["rows"],
                "sales_load_seconds": round(loaded["seconds"], 2),
                "seconds": {k: round(v, 2) for k, v in phases.items()} | {"total": round(total, 2)},
                "series_per_second": round(args.series / total, 1),
                # this process and its chunk workers; the database server's time is not in it
                "cpu_seconds": round(cpu, 2),
                "values_stored": values,
                "scores_stored": scores,
                "peak_rss_mb": round(peak_mb, 1),
                "peak_worker_rss_mb": round(worker_mb, 1),
                "goal": {"series": 10000, "length": 730, "total_seconds": 60, "cores": 2},
            }
        )
    )


if __name__ == "__main__":
    main()
