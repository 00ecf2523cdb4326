"""Route quality and speed on one VRPTW benchmark instance.

    python benchmarks/routing_solomon.py ../shared/data/vrp/solomon/R101.txt --seconds 10
    python benchmarks/routing_solomon.py ../shared/data/vrp/homberger_1000/R1_10_1.vrp --seconds 60

A ``.txt`` file is read as Solomon format; distances are double precision and the gap is taken
against the distance-only best-known solution (key ``<NAME>_distance`` of
``vroom_scripts_VRPTW_BKS.json``). A ``.vrp`` file is read as VRPLIB (Gehring–Homberger); arcs
are truncated to one decimal (DIMACS convention) for solving and scoring, and the gap is taken
against the ``.sol`` file beside it. Solomon's time unit is treated as one second, its length
unit as one km, with a cost of 1 per km, so the objective is the total distance.

Every customer is a required client (the instances' fleets suffice); ``--optional`` plans them
as the app does, as prize-collecting clients. DIMACS instances are solved at ten ticks per unit
(exact for arcs truncated to 0.1, whole demands), Solomon ones at 1,000. ``--neighbours`` sets
PyVRP's granular neighbourhood (default 50), ``--params FILE`` any ``SolveParams`` (TOML),
``--fleet N`` caps the fleet.

Prints one JSON object: instance, engine, vehicles, distance, seconds, feasible (independent
checker), unserved, gap_to_bks_percent, bks, bks_convention, routes (customer numbers as in the
file, in visiting order).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from routing.solver import (  # noqa: E402
    Depot,
    InfeasiblePlanError,
    Job,
    Problem,
    Scale,
    TimeWindow,
    Vehicle,
    check_solution,
    solve,
)
from routing.solver.matrix import EuclideanMatrix  # noqa: E402

# ../shared/data/vrp beside the clone (a worktree one level deeper finds it one more level up).
DATA = next(
    (
        base / "shared" / "data" / "vrp"
        for base in (REPO.parent, REPO.parent.parent)
        if (base / "shared" / "data" / "vrp").is_dir()
    ),
    REPO.parent / "shared" / "data" / "vrp",
)
BKS_FILE = DATA / "vroom_scripts_VRPTW_BKS.json"
# Solomon times and distances have sub-unit fractions: resolve them to 0.001 so rounding travel
# times up costs at most ~0.1 time unit on a 100-stop route.
BENCHMARK_SCALE = Scale(
    distance_per_km=1000, time_per_second=1000, demand_per_unit=1000, cost_per_currency=100
)
# DIMACS arcs are truncated to 0.1 and demands are whole: ten ticks per unit is exact, and one
# objective unit per tick keeps costs and PyVRP's penalties on the same scale.
DIMACS_SCALE = Scale(distance_per_km=10, time_per_second=10, demand_per_unit=1, cost_per_currency=1)


def load_instance(path: Path, fleet_limit: int | None = None) -> tuple[Problem, str]:
    """Problem and name of a Solomon (``.txt``) or VRPLIB (``.vrp``) VRPTW file; at most
    ``fleet_limit`` vehicles when given."""
    import vrplib

    dimacs = path.suffix == ".vrp"
    if dimacs:
        data = vrplib.read_instance(str(path))
    else:
        data = vrplib.read_instance(str(path), instance_format="solomon")
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=float)
    windows = np.asarray(data["time_window"], dtype=float)
    service = np.broadcast_to(np.asarray(data["service_time"], dtype=float), demand.shape)
    capacity = float(data["capacity"])
    fleet = (
        int(data["vehicles"]) if fleet_limit is None else min(fleet_limit, int(data["vehicles"]))
    )
    jobs = [
        Job(
            id=str(i),
            location=i,
            demand=(demand[i],),
            time_windows=(TimeWindow(windows[i, 0], windows[i, 1]),),
            service_time=float(service[i]),
        )
        for i in range(1, len(coords))
    ]
    # The depot's due date is the latest return; its ready time the earliest departure.
    vehicles = [
        Vehicle(
            id=f"v{k + 1}",
            start_depot="depot",
            capacity=(capacity,),
            shift_start=windows[0, 0],
            shift_end=windows[0, 1],
            cost_per_km=1.0,
        )
        for k in range(fleet)
    ]
    problem = Problem.build(
        locations=coords,
        depots=[Depot(id="depot", location=0)],
        jobs=jobs,
        vehicles=vehicles,
        matrix_provider=EuclideanMatrix(truncate_decimals=1 if dimacs else None),
    )
    return problem, str(data.get("name") or path.stem)


def best_known(path: Path, name: str) -> tuple[float | None, str]:
    """Best-known distance and its convention for the instance, if we have one."""
    if path.suffix == ".vrp":
        solution_file = path.with_suffix(".sol")
        if solution_file.exists():
            import vrplib

            return float(vrplib.read_solution(str(solution_file))["cost"]), "dimacs_1_decimal"
        return None, "none"
    if BKS_FILE.exists():
        table = json.loads(BKS_FILE.read_text())
        entry = table.get(f"{name}_distance")
        if entry is not None:
            return float(entry["best_known_cost"]), "double_distance_only"
    return None, "none"


def run(
    path: Path,
    seconds: float,
    engine: str,
    seed: int = 0,
    *,
    optional: bool = False,
    neighbours: int | None = None,
    params_file: Path | None = None,
    fleet_limit: int | None = None,
) -> dict:
    problem, name = load_instance(path, fleet_limit)
    scale = DIMACS_SCALE if path.suffix == ".vrp" else BENCHMARK_SCALE
    params = None
    if params_file is not None:
        import pyvrp

        params = pyvrp.SolveParams.from_file(params_file)
    elif neighbours is not None:
        import pyvrp
        from pyvrp.search import NeighbourhoodParams

        params = pyvrp.SolveParams(neighbourhood=NeighbourhoodParams(num_neighbours=neighbours))
    began = time.perf_counter()
    cpu_began = time.process_time()
    try:
        solution = solve(
            problem,
            engine=engine,
            time_limit=seconds,
            seed=seed,
            scale=scale,
            serve_all=not optional,
            params=params,
        )
        feasible = True
        violations: tuple[str, ...] = ()
    except InfeasiblePlanError as error:
        solution = error.solution
        feasible = False
        violations = error.report.violations
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu_began  # below ``elapsed`` when the machine is shared
    # Checked once more here so the printed verdict never depends on solve() behaving.
    feasible = feasible and check_solution(problem, solution).feasible
    bks, convention = best_known(path, name)
    distance = solution.distance
    gap = None
    if bks is not None and not solution.unserved:
        gap = round((distance - bks) / bks * 100.0, 3)
    return {
        "instance": name,
        "engine": engine,
        "vehicles": solution.vehicles_used,
        "distance": round(distance, 3),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "feasible": feasible and not solution.unserved,
        "unserved": len(solution.unserved),
        "violations": list(violations[:5]),
        "gap_to_bks_percent": gap,
        "bks": bks,
        "bks_convention": convention,
        "routes": [[int(stop.job_id) for stop in route.stops] for route in solution.routes],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--engine", choices=["pyvrp", "ortools"], default="pyvrp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--optional",
        action="store_true",
        help="orders as prize-collecting clients, as the app plans them (default: required)",
    )
    parser.add_argument("--neighbours", type=int, help="PyVRP granular neighbourhood size")
    parser.add_argument("--params", type=Path, help="PyVRP SolveParams as a TOML file")
    parser.add_argument("--fleet", type=int, help="use at most this many vehicles")
    args = parser.parse_args()
    result = run(
        args.file,
        args.seconds,
        args.engine,
        args.seed,
        optional=args.optional,
        neighbours=args.neighbours,
        params_file=args.params,
        fleet_limit=args.fleet,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
