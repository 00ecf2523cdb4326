"""Small routing problems built in code (tests never read ../shared)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from routing.solver import Depot, Job, Problem, TimeWindow, Vehicle
from routing.solver.matrix import EuclideanMatrix

# Tests keep solves tiny: the instances are small enough to be solved at once.
QUICK = 0.2


def planar_problem(
    points: list[tuple[float, float]],
    *,
    jobs: list[Job],
    vehicles: list[Vehicle],
    depots: list[Depot] | None = None,
    speed: float = 1.0,
) -> Problem:
    """Planar problem: one length unit = 1 km, and at ``speed`` km per second."""
    return Problem.build(
        locations=np.array(points, dtype=float),
        depots=depots or [Depot(id="D", location=0)],
        jobs=jobs,
        vehicles=vehicles,
        matrix_provider=EuclideanMatrix(speed=speed),
    )


def job(
    index: int,
    *,
    demand: float = 1.0,
    window: tuple[float, float] | None = None,
    service: float = 0.0,
    **extra,
) -> Job:
    windows = (TimeWindow(*window),) if window else ()
    return Job(
        id=f"o{index}",
        location=index,
        demand=(demand,),
        time_windows=windows,
        service_time=service,
        **extra,
    )


def van(name: str = "v1", *, capacity: float = 100.0, depot: str = "D", **extra) -> Vehicle:
    return Vehicle(id=name, start_depot=depot, capacity=(capacity,), **extra)


def brute_force_distance(problem: Problem) -> float:
    """Shortest total distance serving every job, by enumerating every ordered split of the
    jobs over identical vehicles (single depot, no skills). Only for a handful of jobs."""
    vehicle = problem.vehicles[0]
    depot = problem.start_location(vehicle)
    jobs = problem.jobs
    best = math.inf
    for order in itertools.permutations(range(len(jobs))):
        for cuts in itertools.product((False, True), repeat=len(jobs) - 1):
            routes, current = [], [order[0]]
            for cut, nxt in zip(cuts, order[1:], strict=True):
                if cut:
                    routes.append(current)
                    current = []
                current.append(nxt)
            routes.append(current)
            if len(routes) > len(problem.vehicles):
                continue
            total = 0.0
            for route in routes:
                length = _route_length(problem, vehicle, depot, [jobs[j] for j in route])
                if length is None:
                    break
                total += length
            else:
                best = min(best, total)
    return best


def _route_length(problem: Problem, vehicle: Vehicle, depot: int, route: list[Job]):
    if sum(j.demand[0] for j in route) > vehicle.capacity[0]:
        return None
    here, clock, length = depot, vehicle.shift_start, 0.0
    for j in route:
        clock += problem.duration_s[here, j.location]
        length += problem.distance_km[here, j.location]
        window = problem.windows_of(j)[0]
        if clock > window.end:
            return None
        clock = max(clock, window.start) + j.service_time
        here = j.location
    clock += problem.duration_s[here, depot]
    if clock > vehicle.shift_end:
        return None
    return length + problem.distance_km[here, depot]
