"""PyVRP engine (the default): hybrid iterated local search on the integer model.

Mapping: every order is an optional client whose prize exceeds any cost of serving it, so the
search serves everything it can and an order it cannot fit comes back unplanned rather than
making the whole plan infeasible. An order with several time windows becomes one client per
window in a mutually exclusive group (at most one is visited). Vehicles with identical
attributes share a vehicle type. Skills use routing profiles: in the profile of vehicles that
lack an order's skill, driving to that order takes longer than the whole horizon, so any route
that visits it has time warp and is infeasible.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from routing.solver.problem import Problem
from routing.solver.scaling import EngineResult, EngineRoute, IntegerModel

# start, end, capacity, early, late, max duration, max distance, distance cost, duration cost,
# fixed cost, profile: the attributes that make vehicles one PyVRP vehicle type.
_VehicleTypeKey = tuple[int, int, tuple[int, ...], int, int, int, int, int, int, int, int]


def solve_pyvrp(
    problem: Problem,
    model: IntegerModel,
    *,
    time_limit: float,
    seed: int = 0,
    required: bool = False,
    params: pyvrp.SolveParams | None = None,
) -> EngineResult:
    """Solve ``model`` (built from ``problem``) for ``time_limit`` seconds of wall time.
    ``required`` makes every order a required client (see ``solve``)."""
    if not model.jobs:
        return EngineResult(routes=(), status="no_orders")
    data, client_job, type_vehicles = _problem_data(problem, model, required=required)
    result = pyvrp.solve(
        data,
        MaxRuntime(time_limit),
        seed=seed,
        collect_stats=False,
        display=False,
        params=params or pyvrp.SolveParams(),
    )
    best = result.best

    routes: list[EngineRoute] = []
    next_of_type: dict[int, int] = defaultdict(int)
    for route in best.routes():
        # An infeasible best (rare: PyVRP found nothing feasible in time) keeps its feasible
        # routes; the orders of the others come back unserved.
        if not route.is_feasible():
            continue
        vehicle_type = route.vehicle_type()
        vehicle_index = type_vehicles[vehicle_type][next_of_type[vehicle_type]]
        next_of_type[vehicle_type] += 1
        job_indices = tuple(client_job[a.idx] for a in route if a.is_client())
        routes.append(EngineRoute(vehicle_index, job_indices, int(route.start_time())))
    status = "feasible" if best.is_feasible() else "partly_infeasible"
    return EngineResult(
        routes=tuple(routes),
        status=status,
        objective=int(result.cost()) if best.is_feasible() else None,
    )


def _problem_data(
    problem: Problem, model: IntegerModel, *, required: bool = False
) -> tuple[pyvrp.ProblemData, list[int], list[list[int]]]:
    """PyVRP data, the problem job index of each client, the vehicles of each vehicle type."""
    depots = problem.depots
    depot_count = len(depots)
    # PyVRP 0.14 keeps locations apart from depots and clients: locations first, then depots and
    # clients that point at them. One location per depot and per order (orders sharing an
    # address may need different skills, and skills live on the matrix).
    location_of = np.array(
        [d.location for d in depots] + [problem.jobs[j].location for j in model.jobs],
        dtype=np.int64,
    )
    # Coordinates only steer PyVRP's geometric operators (SWAP* sectors): x east, y north.
    xy = problem.locations[:, ::-1] if problem.coordinates == "latlon" else problem.locations
    locations = [pyvrp.Location(x=float(xy[i, 0]), y=float(xy[i, 1])) for i in location_of]
    distance = model.distance[np.ix_(location_of, location_of)]
    duration = model.duration[np.ix_(location_of, location_of)]

    clients: list[pyvrp.Client] = []
    groups: list[pyvrp.ClientGroup] = []
    client_job: list[int] = []
    for k, job_index in enumerate(model.jobs):
        windows = model.windows[k]
        group = None
        if len(windows) > 1:
            group = len(groups)
            groups.append(
                pyvrp.ClientGroup(
                    clients=list(range(len(clients), len(clients) + len(windows))),
                    required=required,
                )
            )
        for early, late in windows:
            clients.append(
                pyvrp.Client(
                    location=depot_count + k,
                    delivery=[int(x) for x in model.demand[k]],
                    service_duration=int(model.service[k]),
                    tw_early=early,
                    tw_late=late,
                    prize=0 if required else int(model.prize[k]),
                    required=required and group is None,
                    group=group,
                    name=problem.jobs[job_index].id,
                )
            )
            client_job.append(job_index)

    # Profiles: one per distinct set of orders a vehicle may not serve (skills).
    horizon = model.horizon_end - model.horizon_start
    forbidden_of_vehicle = []
    for v in range(len(problem.vehicles)):
        forbidden_of_vehicle.append(
            frozenset(k for k, allowed in enumerate(model.allowed_vehicles) if v not in allowed)
        )
    profile_keys = sorted(set(forbidden_of_vehicle), key=lambda s: (len(s), sorted(s)))
    distance_matrices = []
    duration_matrices = []
    for forbidden in profile_keys:
        profile_duration = duration.copy()
        if forbidden:
            columns = depot_count + np.fromiter(forbidden, dtype=np.int64)
            profile_duration[:, columns] = horizon + 1
            profile_duration[columns, columns] = 0  # PyVRP wants a zero diagonal
        distance_matrices.append(distance)
        duration_matrices.append(profile_duration)

    type_of: dict[_VehicleTypeKey, int] = {}
    type_vehicles: list[list[int]] = []
    vehicle_types: list[pyvrp.VehicleType] = []
    for v, vehicle in enumerate(problem.vehicles):
        key = (
            problem.depot_index(vehicle.start_depot),
            problem.depot_index(vehicle.return_depot),
            tuple(int(x) for x in model.capacity[v]),
            int(model.shift_start[v]),
            int(model.shift_end[v]),
            int(model.max_duration[v]),
            int(model.max_distance[v]),
            int(model.unit_distance_cost[v]),
            int(model.unit_duration_cost[v]),
            int(model.fixed_cost[v]),
            profile_keys.index(forbidden_of_vehicle[v]),
        )
        if key not in type_of:
            type_of[key] = len(type_vehicles)
            type_vehicles.append([])
        type_vehicles[type_of[key]].append(v)
    for key, index in type_of.items():
        (
            start,
            end,
            capacity,
            early,
            late,
            max_duration,
            max_distance,
            distance_cost,
            duration_cost,
            fixed_cost,
            profile,
        ) = key
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(type_vehicles[index]),
                capacity=list(capacity),
                start_depot=start,
                end_depot=end,
                fixed_cost=fixed_cost,
                tw_early=early,
                tw_late=late,
                shift_duration=max_duration,
                max_distance=max_distance,
                unit_distance_cost=distance_cost,
                unit_duration_cost=duration_cost,
                profile=profile,
            )
        )

    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=[pyvrp.Depot(location=i) for i in range(depot_count)],
        vehicle_types=vehicle_types,
        # pyvrp's stub spells the matrices np.ndarray[int], which no numpy array matches.
        distance_matrices=distance_matrices,  # type: ignore[arg-type]
        duration_matrices=duration_matrices,  # type: ignore[arg-type]
        groups=groups,
    )
    return data, client_job, type_vehicles
