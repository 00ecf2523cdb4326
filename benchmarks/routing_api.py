"""A route plan through the API's path — matrix build, solve, checker, bulk store — for N stops.

    python benchmarks/routing_api.py --stops 1000 [--seconds 40] [--vehicles 40]

Seeds a throw-away tenant with one depot in central Paris, a fleet of vans (weight and volume
capacity, 08:00–18:00 shifts) and N delivery orders within ~12 km (weight and volume demand;
a third with a two-hour window, a tenth with a morning and an afternoon window), loaded through
the real ``delivery-orders`` import. Then runs ``route_plan_start`` and ``route_plan_solve``,
exactly what ``POST /api/v1/route-plans/`` and its job run, with ``--seconds`` as the plan's
solver time limit. Prints one JSON object with the seconds of each phase (load, matrix, solve,
store), the total, and the plan's totals. Goal: total ≤ 60 s for 1,000 stops.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import time
from datetime import date

from _benchdb import bench_database, migrate_platform

DAY = date(2026, 3, 2)
CENTRE = (48.8566, 2.3522)


def orders_csv(stops: int, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    lines = [
        "reference,date,latitude,longitude,demand_weight,demand_volume,window_start,window_end,"
        "window2_start,window2_end,service_minutes,priority"
    ]
    for i in range(stops):
        radius = 12.0 * math.sqrt(rng.random())  # km, uniform on the disc
        angle = rng.random() * 2 * math.pi
        lat = CENTRE[0] + radius * math.sin(angle) / 111.2
        lon = CENTRE[1] + radius * math.cos(angle) / (111.2 * math.cos(math.radians(CENTRE[0])))
        windows = ",,,"
        kind = rng.random()
        if kind < 0.33:
            begin = rng.randint(8, 15)
            windows = f"{begin:02d}:00,{begin + 2:02d}:00,,"
        elif kind < 0.43:
            windows = "08:00,11:00,14:00,17:00"
        weight = rng.randint(5, 60)
        volume = round(rng.uniform(0.02, 0.4), 3)
        lines.append(
            f"B-{i:05d},{DAY},{lat:.6f},{lon:.6f},{weight},{volume},{windows},"
            f"{rng.choice((3, 5, 8))},{int(rng.random() < 0.1)}"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stops", type=int, default=1000)
    parser.add_argument("--vehicles", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=40.0, help="plan's solver time limit")
    args = parser.parse_args()

    with bench_database("routing_api"):
        import datetime as dt
        from decimal import Decimal

        from django_tenants.utils import schema_context

        from catalog.models import Location
        from etl.importing import run_import
        from routing import services
        from routing.models import Route, RouteStop, Vehicle
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="routebench", name="Route bench").tenant
        with schema_context(tenant.schema_name):
            depot = Location.objects.create(
                code="DEPOT", name="Depot", latitude=CENTRE[0], longitude=CENTRE[1]
            )
            Vehicle.objects.bulk_create(
                Vehicle(
                    code=f"VAN-{k:03d}",
                    capacity=Decimal("1000"),
                    volume_capacity=Decimal("8"),
                    start_depot=depot,
                    shift_start=dt.time(8),
                    shift_end=dt.time(18),
                    cost_per_km=Decimal("0.60"),
                    cost_per_hour=Decimal("20"),
                    fixed_cost=Decimal("50"),
                )
                for k in range(args.vehicles)
            )
            data = orders_csv(args.stops)
            report = run_import(kind="delivery-orders", stream=io.BytesIO(data), size=len(data))
            assert report.status == "imported", report.errors[:3]

            marks: list[tuple[str, float]] = []

            def progress(percent: int, message: str = "") -> None:
                marks.append((message, time.perf_counter()))

            began = time.perf_counter()
            plan = services.route_plan_start(date=DAY, time_limit_seconds=args.seconds,
                                             enqueue=False)  # fmt: skip
            plan = services.route_plan_solve(plan_id=plan.pk, progress=progress)
            ended = time.perf_counter()
            stamps = dict((message, at) for message, at in marks)
            matrix_at = stamps["Building the distance matrix"]
            solve_at = stamps["Solving"]
            store_at = stamps["Storing routes"]
            stored_stops = RouteStop.objects.filter(route__plan=plan).count()
            stored_routes = Route.objects.filter(plan=plan).count()
    stats = plan.statistics
    print(
        json.dumps(
            {
                "benchmark": "routing_api",
                "stops": args.stops,
                "vehicles_available": args.vehicles,
                "time_limit_seconds": args.seconds,
                "engine": stats["engine"],
                "seconds": {
                    "load": round(matrix_at - began, 2),
                    "matrix": round(solve_at - matrix_at, 2),
                    "solve_and_check": round(store_at - solve_at, 2),
                    "store": round(ended - store_at, 2),
                    "total": round(ended - began, 2),
                },
                "solver_seconds": stats["solver_seconds"],
                "served": stats["served"],
                "unserved": len(stats["unserved"]),
                "vehicles_used": stats["vehicles_used"],
                "routes_stored": stored_routes,
                "stops_stored": stored_stops,
                "distance_km": plan.objective["distance_km"],
                "cost": plan.objective["cost"],
                "goal_total_seconds": 60,
            }
        )
    )


if __name__ == "__main__":
    main()
