"""Backup and restore speed of one tenant: export_tenant then import_tenant of a tenant with N
sales rows (products × locations × days, inserted in SQL), both through the real services.

    python benchmarks/tenant_backup.py --rows 1000000

Runs in a throw-away database. Prints one JSON object: rows, archive size, export, import and
total seconds, whether the restored tables' checksums equal the source's, peak memory (MB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

from _benchdb import bench_database, migrate_platform


def seed(schema: str, rows: int) -> None:
    from django.db import connection
    from django_tenants.utils import schema_context

    from catalog.models import Location, Product

    locations, days = 20, 730
    products = max(1, -(-rows // (locations * days)))
    with schema_context(schema):
        Product.objects.bulk_create(
            Product(sku=f"SKU-{i:05d}", name=f"Product {i}") for i in range(products)
        )
        Location.objects.bulk_create(
            Location(code=f"LOC-{i:03d}", name=f"Location {i}") for i in range(locations)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO inventory_demandhistory
                       (product_id, location_id, date, quantity, revenue, on_promotion)
                SELECT p.id, l.id, d::date, q, q * 2.5,
                       (p.id + (d::date - DATE '2024-01-01')) %% 17 = 0
                  FROM inventory_product p CROSS JOIN inventory_location l
                 CROSS JOIN generate_series(DATE '2024-01-01', DATE '2024-01-01' + %s - 1,
                                            INTERVAL '1 day') d
                 CROSS JOIN LATERAL (SELECT (random() * 40)::int AS q) r
                 ORDER BY p.id, l.id, d
                 LIMIT %s
                """,
                [days, rows],
            )
            cursor.execute("ANALYZE inventory_demandhistory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    path = os.path.join(tempfile.mkdtemp(prefix="tenant-backup-"), "tenant.zip")

    with bench_database("backup"):
        from tenants.backup import export_tenant, import_tenant, table_checksums
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="salesbench", name="Sales bench").tenant
        seed(tenant.schema_name, args.rows)
        started = time.perf_counter()
        exported = export_tenant(tenant, path)
        export_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with open(path, "rb") as source:
            restored = import_tenant(source, schema="salesbench_restored")
        import_seconds = time.perf_counter() - started
        equal = table_checksums(tenant.schema_name) == table_checksums("salesbench_restored")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = os.path.getsize(path)
    os.remove(path)
    print(
        json.dumps(
            {
                "benchmark": "tenant_backup",
                "sales_rows": args.rows,
                "rows": exported.rows,
                "tables": exported.tables,
                "archive_mb": round(size / 1e6, 1),
                "export_seconds": round(export_seconds, 2),
                "import_seconds": round(import_seconds, 2),
                "seconds": round(export_seconds + import_seconds, 2),
                "restored_rows": restored.rows,
                "checksums_equal": equal,
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
