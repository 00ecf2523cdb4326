"""Ingest speed through the real import path (``etl.services.import_file``, as the
``import_data`` command runs it: a batch recorded, validation, the write tagged with the batch
and what it overwrote kept for a revert): a generated sales file of N rows, or the store ×
item demand file.

    python benchmarks/ingest.py --rows 1000000
    python benchmarks/ingest.py --store-item ../shared/data/demand/store-item-demand/train.csv
    python benchmarks/ingest.py --smoke      # 2,000 rows, a few seconds: make test runs it

Runs in a throw-away database. Prints one JSON object on its last line: rows, seconds, rows
per second, peak resident memory of the process (MB), the second (unchanged) re-import's time,
and the machine's load average (the machine is shared: read the times with it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta

from _benchdb import bench_database, migrate_platform


def generate_sales(path: str, rows: int, *, seed: int = 7) -> tuple[int, int]:
    """A contract sales CSV: products × locations × consecutive days, about ``rows`` rows."""
    rng = random.Random(seed)
    locations = 20
    days = 730
    products = max(1, -(-rows // (locations * days)))
    start = date(2024, 1, 1)
    written = 0
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "sku", "location", "quantity", "revenue"])
        for product in range(products):
            for location in range(locations):
                for day in range(days):
                    if written >= rows:
                        return products, locations
                    quantity = rng.randint(0, 40)
                    writer.writerow(
                        [
                            (start + timedelta(days=day)).isoformat(),
                            f"SKU-{product:05d}",
                            f"LOC-{location:03d}",
                            quantity,
                            f"{quantity * 2.5:.2f}",
                        ]
                    )
                    written += 1
    return products, locations


def convert_store_item(source: str, target: str) -> int:
    """store-item-demand ``date,store,item,sales`` → contract ``date,sku,location,quantity``."""
    count = 0
    with open(source, newline="") as src, open(target, "w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.writer(dst)
        writer.writerow(["date", "sku", "location", "quantity"])
        for row in reader:
            writer.writerow(
                [row["date"], f"item-{row['item']}", f"store-{row['store']}", row["sales"]]
            )
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--store-item", help="path of store-item-demand train.csv")
    parser.add_argument(
        "--smoke", action="store_true", help="2,000 rows in a database of its own (make test)"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.store_item = 2_000, None

    workdir = tempfile.mkdtemp(prefix="ingest-")
    path = os.path.join(workdir, "sales.csv")
    if args.store_item:
        source = "store-item-demand"
        convert_store_item(args.store_item, path)
    else:
        source = "generated"
        generate_sales(path, args.rows)
    size = os.path.getsize(path)

    with bench_database("ingest_smoke" if args.smoke else "ingest"):
        from django_tenants.utils import schema_context

        from etl.services import import_file
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="ingest", name="Ingest").tenant
        with schema_context(tenant.schema_name):
            baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            timings = []
            reports = []
            for _ in range(2):  # first load, then the same file again (must change nothing)
                started = time.perf_counter()
                with open(path, "rb") as stream:
                    report = import_file(
                        kind="sales", stream=stream, name=path, create_missing=True
                    )
                timings.append(time.perf_counter() - started)
                reports.append(report)
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    os.remove(path)
    first, second = reports
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "smoke": args.smoke,
                "source": source,
                "rows": first.rows,
                "file_mb": round(size / 1e6, 1),
                "status": first.status,
                "inserted": first.inserted,
                "created": first.created,
                "seconds": round(timings[0], 2),
                "rows_per_second": round(first.rows / timings[0]),
                "reimport_seconds": round(timings[1], 2),
                "reimport_unchanged": second.unchanged,
                "revertible": first.revertible,
                "peak_rss_mb": round(peak_mb, 1),
                "rss_before_import_mb": round(baseline_mb, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "goal": {"seconds_per_million": 10, "peak_mb": 500},
            }
        )
    )


if __name__ == "__main__":
    main()
