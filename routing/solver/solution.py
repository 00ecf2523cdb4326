"""What a solve returns: routes with their stops, totals and the orders left unserved.

Times in seconds, distances in km, loads in the problem's units, costs in the currency. All
values are in real units, recomputed from the problem's float matrices (never from an engine's
scaled integers), so what the planner sees is what the checker verified.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from routing.solver.problem import Problem


class UnservedReason(enum.StrEnum):
    NO_VEHICLE_FITS = "no_vehicle_fits"
    """No vehicle has the capacity in every dimension and all required skills."""
    WINDOW_UNREACHABLE = "window_unreachable"
    """No suitable vehicle can reach the order inside a window and be back within its shift
    (or its maximum duration or distance), even on a route serving nothing else."""
    NOT_ENOUGH_CAPACITY_OR_TIME = "not_enough_capacity_or_time"
    """Servable alone, but the fleet ran out of capacity or shift time for it."""


@dataclass(frozen=True)
class Stop:
    """One served order. ``arrival`` ≤ ``service_start`` (the gap is ``waiting``);
    ``departure`` = ``service_start`` + service time. ``distance`` is the leg from the previous
    stop (or the depot); ``load_after`` is what remains on board after the delivery."""

    sequence: int
    job_id: str
    location: int
    arrival: float
    service_start: float
    departure: float
    waiting: float
    load_after: tuple[float, ...]
    distance: float


@dataclass(frozen=True)
class Route:
    """One vehicle's route: leaves ``start_depot`` at ``start_time`` loaded with ``load_start``
    and is back at ``end_depot`` at ``end_time``. ``distance`` includes the return leg."""

    vehicle_id: str
    start_depot: str
    end_depot: str
    start_time: float
    end_time: float
    load_start: tuple[float, ...]
    stops: tuple[Stop, ...]
    distance: float
    cost: float

    @property
    def duration(self) -> float:
        return self.end_time - self.start_time

    @property
    def waiting(self) -> float:
        return sum(stop.waiting for stop in self.stops)


@dataclass(frozen=True)
class UnservedOrder:
    job_id: str
    reason: UnservedReason
    detail: str = ""


@dataclass(frozen=True)
class Solution:
    """A route plan. ``seconds`` is the wall time of the solve; ``engine`` names who built it."""

    routes: tuple[Route, ...]
    unserved: tuple[UnservedOrder, ...]
    engine: str
    seconds: float = 0.0
    stats: dict[str, object] = field(default_factory=dict)

    @property
    def distance(self) -> float:
        return sum(route.distance for route in self.routes)

    @property
    def duration(self) -> float:
        return sum(route.duration for route in self.routes)

    @property
    def cost(self) -> float:
        return sum(route.cost for route in self.routes)

    @property
    def vehicles_used(self) -> int:
        return len(self.routes)

    @property
    def served_count(self) -> int:
        return sum(len(route.stops) for route in self.routes)


def route_schedule(
    problem: Problem, *, vehicle_index: int, job_indices: Sequence[int], start_time: float
) -> Route:
    """Lay out one route in real units: leave at ``start_time`` (seconds), drive, wait for the
    earliest window that is still open, serve, go on. Starting service as early as possible is
    what keeps later stops feasible, so an engine's integer schedule (never earlier than this
    one, because its travel times were rounded up) stays valid here."""
    vehicle = problem.vehicles[vehicle_index]
    jobs = [problem.jobs[j] for j in job_indices]
    load = tuple(sum(job.demand[d] for job in jobs) for d in range(problem.dimensions))
    here = problem.start_location(vehicle)
    clock = start_time
    total_distance = 0.0
    stops: list[Stop] = []
    for sequence, job in enumerate(jobs, start=1):
        leg = float(problem.distance_km[here, job.location])
        arrival = clock + float(problem.duration_s[here, job.location])
        service_start = arrival
        for window in sorted(problem.windows_of(job), key=lambda w: w.start):
            if window.end >= arrival:
                service_start = max(arrival, window.start)
                break
        load = tuple(left - taken for left, taken in zip(load, job.demand, strict=True))
        clock = service_start + job.service_time
        stops.append(
            Stop(
                sequence=sequence,
                job_id=job.id,
                location=job.location,
                arrival=arrival,
                service_start=service_start,
                departure=clock,
                waiting=service_start - arrival,
                load_after=load,
                distance=leg,
            )
        )
        total_distance += leg
        here = job.location
    end = problem.end_location(vehicle)
    total_distance += float(problem.distance_km[here, end])
    end_time = clock + float(problem.duration_s[here, end])
    cost = (
        vehicle.fixed_cost
        + vehicle.cost_per_km * total_distance
        + vehicle.cost_per_hour * (end_time - start_time) / 3600.0
    )
    return Route(
        vehicle_id=vehicle.id,
        start_depot=vehicle.start_depot,
        end_depot=vehicle.return_depot,
        start_time=start_time,
        end_time=end_time,
        load_start=tuple(sum(job.demand[d] for job in jobs) for d in range(problem.dimensions)),
        stops=tuple(stops),
        distance=total_distance,
        cost=cost,
    )
