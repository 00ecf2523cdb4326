"""Provisioning speed: per-tenant time to create N tenants by cloning the migrated template.

    python benchmarks/provision.py --tenants 50

Runs against DATABASE_URL in a throw-away database (``<name>_bench``) that it creates,
migrates and drops, so it never touches real tenants. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    from config.env import database_from_url

    base_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/demandplan")
    bench_name = database_from_url(base_url)["NAME"] + "_bench"
    os.environ["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + bench_name
    _recreate_database(base_url, bench_name)

    import django

    django.setup()
    from django.core.management import call_command

    from tenants.services import platform_ensure, tenant_provision

    started = time.perf_counter()
    call_command("migrate_schemas", "--shared", verbosity=0)
    platform_ensure(domain="bench.localhost")
    setup_seconds = time.perf_counter() - started

    timings = []
    for index in range(args.tenants):
        t0 = time.perf_counter()
        tenant_provision(slug=f"bench-{index:04d}", name=f"Bench {index}")
        timings.append(time.perf_counter() - t0)

    from django.db import connections

    connections.close_all()
    if not args.keep:
        _drop_database(base_url, bench_name)
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


def _admin_connection(base_url: str):
    import psycopg

    maintenance = base_url.rsplit("/", 1)[0] + "/postgres"
    return psycopg.connect(maintenance, autocommit=True)


def _recreate_database(base_url: str, name: str) -> None:
    with _admin_connection(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(base_url: str, name: str) -> None:
    with _admin_connection(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
