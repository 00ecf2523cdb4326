"""OR-Tools engine (the second one): constraint-programming routing with guided local search.

Kept for what PyVRP lacks — driver breaks (``SetBreakIntervalsOfVehicle``: a fixed-duration
interval per vehicle that may not overlap a service) and soft windows (``SetCumulVarSoftUpperBound``
on the end of an order's last window, at its lateness cost) — and as a cross-check of the
default engine. Every order is a disjunction with a drop penalty equal to the
prize of the integer model, so a first solution always exists and orders that do not fit are
dropped, never forced into an infeasible route. The first solution is built by parallel
cheapest insertion (the plain cheapest-arc start finds nothing on tight instances such as
Solomon R101). Several windows become one cumul domain with holes between them.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.solver.problem import Problem
from routing.solver.scaling import EngineResult, EngineRoute, IntegerModel

_SUCCESS = {
    routing_enums_pb2.RoutingSearchStatus.ROUTING_SUCCESS: "success",
    routing_enums_pb2.RoutingSearchStatus.ROUTING_OPTIMAL: "optimal",
    routing_enums_pb2.RoutingSearchStatus.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED: (
        "partial_success"
    ),
}


class EngineFailure(RuntimeError):
    """OR-Tools returned no solution although dropping every order is always allowed."""


def solve_ortools(problem: Problem, model: IntegerModel, *, time_limit: float) -> EngineResult:
    """Solve ``model`` (built from ``problem``) for ``time_limit`` seconds of wall time."""
    if not model.jobs:
        return EngineResult(routes=(), status="no_orders")
    vehicles = problem.vehicles
    vehicle_count = len(vehicles)
    # Nodes: the depots some vehicle uses, then the orders. OR-Tools would treat a depot that
    # is nobody's start or end as one more place to visit.
    used_depots = sorted(
        {problem.depot_index(v.start_depot) for v in vehicles}
        | {problem.depot_index(v.return_depot) for v in vehicles}
    )
    node_of_depot = {depot: node for node, depot in enumerate(used_depots)}
    depot_count = len(used_depots)
    location_of = np.array(
        [problem.depots[d].location for d in used_depots]
        + [problem.jobs[j].location for j in model.jobs],
        dtype=np.int64,
    )
    distance = model.distance[np.ix_(location_of, location_of)]
    service = np.concatenate([np.zeros(depot_count, dtype=np.int64), model.service])
    # Time transit from i to j = service at i + drive i→j, so the cumul is the service start.
    transit_time = model.duration[np.ix_(location_of, location_of)] + service[:, None]

    starts = [node_of_depot[problem.depot_index(v.start_depot)] for v in vehicles]
    ends = [node_of_depot[problem.depot_index(v.return_depot)] for v in vehicles]
    manager = pywrapcp.RoutingIndexManager(len(location_of), vehicle_count, starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    cost_callbacks: dict[int, int] = {}
    for v in range(vehicle_count):
        unit = int(model.unit_distance_cost[v])
        if unit not in cost_callbacks:
            cost_callbacks[unit] = routing.RegisterTransitMatrix((distance * unit).tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_callbacks[unit], v)
        routing.SetFixedCostOfVehicle(int(model.fixed_cost[v]), v)

    horizon_end = model.horizon_end
    time_callback = routing.RegisterTransitMatrix(transit_time.tolist())
    routing.AddDimension(time_callback, horizon_end, horizon_end, False, "time")
    time_dimension = routing.GetDimensionOrDie("time")
    for v in range(vehicle_count):
        early, late = int(model.shift_start[v]), int(model.shift_end[v])
        time_dimension.CumulVar(routing.Start(v)).SetRange(early, late)
        time_dimension.CumulVar(routing.End(v)).SetRange(early, late)
        time_dimension.SetSpanUpperBoundForVehicle(int(model.max_duration[v]), v)
        time_dimension.SetSpanCostCoefficientForVehicle(int(model.unit_duration_cost[v]), v)

    for d in range(model.demand.shape[1]):
        demand = [0] * depot_count + [int(x) for x in model.demand[:, d]]
        demand_callback = routing.RegisterUnaryTransitVector(demand)
        routing.AddDimensionWithVehicleCapacity(
            demand_callback, 0, [int(c) for c in model.capacity[:, d]], True, f"load_{d}"
        )
    if any(v.max_distance is not None for v in vehicles):
        distance_callback = routing.RegisterTransitMatrix(distance.tolist())
        routing.AddDimensionWithVehicleCapacity(
            distance_callback, 0, [int(x) for x in model.max_distance], True, "distance"
        )

    _add_breaks(routing, manager, time_dimension, model, service)

    every_vehicle = tuple(range(vehicle_count))
    for k in range(len(model.jobs)):
        index = manager.NodeToIndex(depot_count + k)
        windows = model.windows[k]
        cumul = time_dimension.CumulVar(index)
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, gap_start), (gap_end, _) in itertools.pairwise(windows):
            cumul.RemoveInterval(gap_start + 1, gap_end - 1)
        soft_late = model.soft_late[k] if model.soft_late else None
        if soft_late is not None:
            # integer_model sets lateness_cost whenever it sets soft_late.
            assert model.lateness_cost is not None
            late = max(soft_late, windows[-1][0])
            time_dimension.SetCumulVarSoftUpperBound(index, late, int(model.lateness_cost[k]))
        routing.AddDisjunction([index], int(model.prize[k]))
        if model.allowed_vehicles[k] != every_vehicle:
            # -1 keeps "not performed" possible, so the disjunction can still drop it.
            routing.VehicleVar(index).SetValues([-1, *model.allowed_vehicles[k]])

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    assignment = routing.SolveWithParameters(parameters)
    status = routing.status()
    if assignment is None or status not in _SUCCESS:
        raise EngineFailure(f"OR-Tools found no solution (status {status}).")

    break_start = _break_starts(assignment)
    routes: list[EngineRoute] = []
    for v in range(vehicle_count):
        index = routing.Start(v)
        cumul = time_dimension.CumulVar(index)
        # The latest feasible departure: the same stops with the least waiting; the earliest
        # is offered too (the scheduler keeps whichever fits and costs less).
        start_ticks, earliest = assignment.Max(cumul), assignment.Min(cumul)
        job_indices: list[int] = []
        service_ends: list[int] = []
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            job_indices.append(model.jobs[node - depot_count])
            service_ends.append(
                assignment.Value(time_dimension.CumulVar(index)) + int(service[node])
            )
            index = assignment.Value(routing.NextVar(index))
        if not job_indices:
            continue
        break_after = None
        window = model.breaks[v] if v in break_start else None
        if window is not None:  # only vehicles with a break window have a break interval
            begin, duration = break_start[v], window[2]
            end_ticks = assignment.Value(time_dimension.CumulVar(index))
            if earliest < begin + duration and begin < end_ticks:  # on the route
                break_after = sum(1 for done in service_ends if done <= begin)
        routes.append(
            EngineRoute(
                v,
                tuple(job_indices),
                int(start_ticks),
                other_start_ticks=(int(earliest),),
                break_after=break_after,
            )
        )
    return EngineResult(
        routes=tuple(routes), status=_SUCCESS[status], objective=int(assignment.ObjectiveValue())
    )


def _add_breaks(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    time_dimension: pywrapcp.RoutingDimension,
    model: IntegerModel,
    service: npt.NDArray[np.int64],
) -> dict[int, pywrapcp.IntervalVar]:
    """One fixed-duration break interval per vehicle that has a break; the service times are
    the node visit transits, so a break never overlaps a service."""
    if not any(model.breaks):
        return {}
    solver = routing.solver()
    visit_transits = [int(service[manager.IndexToNode(index)]) for index in range(routing.Size())]
    intervals = {}
    for v, window in enumerate(model.breaks):
        if window is None:
            continue
        earliest, latest, duration = window
        interval = solver.FixedDurationIntervalVar(
            earliest, max(earliest, latest), duration, False, f"break_{v}"
        )
        time_dimension.SetBreakIntervalsOfVehicle([interval], v, visit_transits)
        intervals[v] = interval
    return intervals


def _break_starts(assignment: pywrapcp.Assignment) -> dict[int, int]:
    """Vehicle index → the start of its break in the solution (ticks)."""
    container = assignment.IntervalVarContainer()
    starts = {}
    for i in range(container.Size()):
        element = container.Element(i)
        name = element.Var().Name()
        if name.startswith("break_") and element.PerformedValue():
            starts[int(name.removeprefix("break_"))] = element.StartValue()
    return starts
