"""MRP speed end to end: database → planned orders and pegs stored, on a synthetic plant in a
throw-away database and tenant.

    DB_NAME=dp_mfg python benchmarks/mrp.py --items 10000 --days 90

The plant is ``manufacturing.mrp.synthetic.synthetic_plant`` (a quarter finished goods with a
daily demand, half intermediates, a quarter raw materials; 3-level BOMs), loaded into the
catalogue, BOMs, stock levels (on hand; open purchase orders as ``on_order``) and the MPS at
one plant. Then the real service runs (``mrp_run_execute``, source ``mps``): load, plan,
write planned orders, pegs and exceptions. Prints one JSON object on its last line: ``items``,
``seconds`` (the run end to end), ``core_seconds`` (``plan_mrp`` alone), ``planned_orders``,
``pegs``, ``setup_seconds``, ``total_seconds`` and ``peak_memory_mb`` (the process's peak
resident memory). Goals (issue 14): seconds ≤ 10, core ≤ 1, memory ≤ 1 GB, all ≤ 120 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
from _benchdb import bench_database, migrate_platform


def load_plant(items: int, days: int, today) -> None:
    """Write the synthetic plant with set-based SQL (``unnest`` of arrays)."""
    from django.db import connection

    from catalog.models import Location, Product, StockLevel
    from manufacturing.models import BillOfMaterials, BomLine, MasterProductionSchedule
    from manufacturing.mrp.synthetic import synthetic_plant

    plant = synthetic_plant(items=items, horizon_days=days)
    location = Location.objects.create(code="PLANT", name="Plant", kind="plant")
    level = np.full(items, "raw", dtype=object)
    level[plant.has_bom] = "both"
    level[: items // 4] = "finished"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Product._meta.db_table} (sku, name, uom, unit_cost, unit_price,
                product_type, supplier_code, lead_time_days, lead_time_std_days, moq,
                pack_size, attributes, is_active, created_at, updated_at)
            SELECT 'I' || lpad(i::text, 6, '0'), 'Item ' || i, 'unit', 1, 2, t,
                   CASE WHEN t = 'raw' THEN 'SUP' ELSE '' END, lt, 0, moq,
                   greatest(pack, 1), '{{}}', true, now(), now()
              FROM unnest(%s::int[], %s::text[], %s::int[], %s::numeric[], %s::numeric[])
                   AS u(i, t, lt, moq, pack) ORDER BY i
            """,  # noqa: S608
            [
                list(range(items)),
                level.tolist(),
                plant.lead_time_days.astype(int).tolist(),
                plant.moq.tolist(),
                plant.pack_size.tolist(),
            ],
        )
        cursor.execute(f"SELECT id FROM {Product._meta.db_table} ORDER BY sku")  # noqa: S608
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        parents = np.unique(plant.bom_parent)
        cursor.execute(
            f"INSERT INTO {BillOfMaterials._meta.db_table} (product_id, version, is_active, "
            f"created_at, updated_at) SELECT unnest(%s::bigint[]), 1, true, now(), now()",
            [ids[parents].tolist()],
        )
        # One line per parent × component (the generator may draw a component twice).
        key = plant.bom_parent.astype(np.int64) * items + plant.bom_component
        _, first = np.unique(key, return_index=True)
        cursor.execute(
            f"""
            INSERT INTO {BomLine._meta.db_table} (bom_id, component_id, quantity, scrap_pct,
                uom, factor)
            SELECT b.id, u.c, u.q, round(u.s::numeric, 3), '', 1
              FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::float8[])
                   AS u(p, c, q, s)
              JOIN {BillOfMaterials._meta.db_table} b ON b.product_id = u.p
            """,  # noqa: S608
            [
                ids[plant.bom_parent[first]].tolist(),
                ids[plant.bom_component[first]].tolist(),
                plant.bom_qty_per[first].tolist(),
                plant.bom_scrap_pct[first].tolist(),
            ],
        )
        on_order = np.zeros(items)
        np.add.at(on_order, plant.supply_item, plant.supply_qty)
        cursor.execute(
            f"""
            INSERT INTO {StockLevel._meta.db_table} (product_id, location_id, on_hand,
                reserved, on_order, updated_at)
            SELECT unnest(%s::bigint[]), %s, unnest(%s::numeric[]), 0,
                   unnest(%s::numeric[]), now()
            """,
            [ids.tolist(), location.pk, plant.on_hand.tolist(), on_order.tolist()],
        )
        cursor.execute(
            f"""
            INSERT INTO {MasterProductionSchedule._meta.db_table} (product_id, location_id,
                date, quantity)
            SELECT unnest(%s::bigint[]), %s, %s::date + unnest(%s::int[]),
                   unnest(%s::numeric[])
            """,
            [
                ids[plant.demand_item].tolist(),
                location.pk,
                today,
                plant.demand_day.astype(int).tolist(),
                plant.demand_qty.tolist(),
            ],
        )
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    began = time.perf_counter()
    with bench_database("mrp", keep=args.keep):
        from django.utils import timezone
        from django_tenants.utils import schema_context

        from manufacturing.planning import mrp_run_create, mrp_run_execute
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="mrpbench", name="MRP bench").tenant
        with schema_context(tenant.schema_name):
            today = timezone.localdate()
            load_plant(args.items, args.days, today)
            setup_seconds = time.perf_counter() - began
            run = mrp_run_create(source="mps", horizon_days=args.days)
            started = time.perf_counter()
            run = mrp_run_execute(run_id=run.pk, today=today)
            seconds = time.perf_counter() - started
            assert run.summary["planned_orders"] > 0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "items": args.items,
                "planned_items": run.summary["items"],
                "days": args.days,
                "seconds": round(seconds, 3),
                "core_seconds": run.summary["core_seconds"],
                "planned_orders": run.summary["planned_orders"],
                "pegs": run.summary["pegs"],
                "step_seconds": run.summary["step_seconds"],
                "exceptions": run.summary["exceptions"],
                "setup_seconds": round(setup_seconds, 3),
                "total_seconds": round(time.perf_counter() - began, 3),
                "peak_memory_mb": round(peak_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
