"""Provisioning speed: per-tenant time to create N tenants by cloning the migrated template.

    python benchmarks/provision.py --tenants 50

Runs against DATABASE_URL in a throw-away database (``<name>_bench``) that it creates,
migrates and drops, so it never touches real tenants. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _benchdb import bench_database, migrate_platform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    with bench_database("bench", keep=args.keep):
        from tenants.services import tenant_provision

        started = time.perf_counter()
        migrate_platform()
        setup_seconds = time.perf_counter() - started
        timings = []
        for index in range(args.tenants):
            t0 = time.perf_counter()
            tenant_provision(slug=f"bench-{index:04d}", name=f"Bench {index}")
            timings.append(time.perf_counter() - t0)

    print(
        json.dumps(
            {
                "benchmark": "provision",
                "tenants": args.tenants,
                "setup_seconds_migrate_public_and_template": round(setup_seconds, 2),
                "per_tenant_seconds_mean": round(statistics.mean(timings), 4),
                "per_tenant_seconds_median": round(statistics.median(timings), 4),
                "per_tenant_seconds_p95": round(sorted(timings)[int(0.95 * len(timings)) - 1], 4),
                "per_tenant_seconds_max": round(max(timings), 4),
                "goal_seconds": 0.5,
            }
        )
    )


if __name__ == "__main__":
    main()
