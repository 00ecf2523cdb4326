"""Two sales imports of overlapping keys at the same time: the writers of one tenant's sales
history take turns (advisory lock), so both succeed and every key holds one row."""

from __future__ import annotations

import io
import threading

from django.db import connection, connections
from django_tenants.utils import schema_context

from catalog.models import DemandHistory, Location, Product
from etl.importing import run_import

SKUS = 40  # 26,880 rows: large enough that the two writes overlap


def _sales(quantity: int) -> bytes:
    lines = ["date,sku,location,quantity"]
    lines += [
        f"{year}-{month:02d}-{day:02d},CC-{sku},CC-LOC,{quantity}"
        for sku in range(SKUS)
        for year in (2024, 2025)
        for month in range(1, 13)
        for day in range(1, 29)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_concurrent_sales_imports_of_the_same_keys_both_succeed(live_db, tenant_a):
    # Products and location exist first: creating them in the imports would already make the
    # second import wait for the first (on the unique SKU), hiding a missing lock.
    with schema_context(tenant_a.schema_name):
        Location.objects.create(code="CC-LOC", name="Concurrent")
        for sku in range(SKUS):
            Product.objects.create(sku=f"CC-{sku}", name=f"Concurrent {sku}")
    files = [_sales(1), _sales(2)]
    reports: list = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(files))

    def worker(data: bytes) -> None:
        try:
            connection.set_tenant(tenant_a)
            start.wait(timeout=30)
            reports.append(run_import(kind="sales", stream=io.BytesIO(data), size=len(data)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(data,)) for data in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not errors, errors
        assert sorted(r.status for r in reports) == ["imported", "imported"]
        rows = SKUS * 2 * 12 * 28
        # Whichever ran second found every key and updated it; nothing was inserted twice.
        assert sorted((r.inserted, r.updated) for r in reports) == [(0, rows), (rows, 0)]
        with schema_context(tenant_a.schema_name):
            history = DemandHistory.objects.filter(location__code="CC-LOC")
            assert history.count() == rows
            assert len(set(history.values_list("quantity", flat=True))) == 1
    finally:
        with schema_context(tenant_a.schema_name):
            location_ids = list(Location.objects.filter(code="CC-LOC").values_list("pk", flat=True))
            DemandHistory.objects.filter(location_id__in=location_ids).delete()
            Product.objects.filter(sku__startswith="CC-").delete()
            Location.objects.filter(pk__in=location_ids).delete()
