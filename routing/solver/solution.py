"""What a solve returns: routes with their stops, totals and the orders left unserved.

Times in seconds, distances in km, loads in the problem's units, costs in the currency. All
values are in real units, recomputed from the problem's float matrices (never from an engine's
scaled integers), so what the planner sees is what the checker verified.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from routing.solver.problem import Job, Problem, Vehicle

_SLACK = 1e-6  # float noise, far below a second


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
    stop (or the depot); ``load_after`` is what remains on board after the delivery.
    ``lateness`` is how long after its (soft) last window the service starts.

    A driver break in the leg before this stop either interrupts the drive (``arrival`` is then
    later by the break) or, when it starts after the vehicle got here, is taken before the
    service (``waiting`` then includes it)."""

    sequence: int
    job_id: str
    location: int
    arrival: float
    service_start: float
    departure: float
    waiting: float
    load_after: tuple[float, ...]
    distance: float
    lateness: float = 0.0


@dataclass(frozen=True)
class Route:
    """One vehicle's route: leaves ``start_depot`` at ``start_time`` loaded with ``load_start``
    and is back at ``end_depot`` at ``end_time``. ``distance`` includes the return leg.

    ``break_start`` (seconds) and ``break_after`` (how many stops are served before it: 0 = on
    the way to the first, ``len(stops)`` = on the way back) place the driver's break;
    both ``None`` when the vehicle has no break or takes it before the route starts or after
    it ends."""

    vehicle_id: str
    start_depot: str
    end_depot: str
    start_time: float
    end_time: float
    load_start: tuple[float, ...]
    stops: tuple[Stop, ...]
    distance: float
    cost: float
    break_start: float | None = None
    break_after: int | None = None
    break_duration: float = 0.0

    @property
    def lateness(self) -> float:
        return sum(stop.lateness for stop in self.stops)

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

    @property
    def lateness(self) -> float:
        return sum(route.lateness for route in self.routes)


def route_schedule(
    problem: Problem,
    *,
    vehicle_index: int,
    job_indices: Sequence[int],
    start_time: float,
    break_after: int | None = None,
    other_starts: Sequence[float] = (),
) -> Route:
    """Lay out one route in real units: leave at ``start_time`` (seconds), drive, wait for the
    earliest window that is still open, serve, go on. Starting service as early as possible is
    what keeps later stops feasible, so an engine's integer schedule (never earlier than this
    one, because its travel times were rounded up) stays valid here.

    A vehicle with a break takes it in the leg ``break_after`` the engine chose (``None``: off
    the route); the other legs are tried too. ``other_starts`` are further departure times the
    engine allows. Of all these layouts the cheapest one that keeps the hard rules (windows,
    shift, duration, the break's own window) is returned, the shortest among equals; the
    checker verifies it again."""
    vehicle = problem.vehicles[vehicle_index]
    legs = [None] if vehicle.driver_break is None else [break_after, None]
    if vehicle.driver_break is not None:
        legs += list(range(len(job_indices) + 1))
    jobs = {problem.jobs[j].id: problem.jobs[j] for j in job_indices}
    best: Route | None = None
    first: Route | None = None
    for start in dict.fromkeys([start_time, *other_starts]):
        for leg in dict.fromkeys(legs):
            route = _layout(problem, vehicle_index, job_indices, start, leg)
            first = first or route
            if _fits(problem, vehicle, jobs, route) and (
                best is None or (route.cost, route.duration) < (best.cost, best.duration)
            ):
                best = route
    chosen = best or first
    assert chosen is not None  # at least one start and one leg: some layout was made
    return chosen


def _layout(
    problem: Problem,
    vehicle_index: int,
    job_indices: Sequence[int],
    start_time: float,
    break_after: int | None,
) -> Route:
    vehicle = problem.vehicles[vehicle_index]
    pause = vehicle.driver_break if break_after is not None else None
    jobs = [problem.jobs[j] for j in job_indices]
    load = tuple(sum(job.demand[d] for job in jobs) for d in range(problem.dimensions))
    here = problem.start_location(vehicle)
    clock = start_time
    total_distance = 0.0
    lateness_cost = 0.0
    break_start = None
    stops: list[Stop] = []

    def drive(origin: int, target: int, leg: int) -> tuple[float, float]:
        """(arrival, earliest service start) at ``target`` leaving ``origin`` at ``clock``."""
        nonlocal break_start
        travel = float(problem.duration_s[origin, target])
        if pause is None or leg != break_after:
            return clock + travel, clock + travel
        break_start = max(clock, pause.earliest)
        if break_start <= clock + travel:  # the break interrupts the drive
            return clock + travel + pause.duration, clock + travel + pause.duration
        return clock + travel, break_start + pause.duration  # taken on arrival

    for sequence, job in enumerate(jobs, start=1):
        leg = float(problem.distance_km[here, job.location])
        arrival, ready = drive(here, job.location, sequence - 1)
        windows = sorted(problem.windows_of(job), key=lambda w: w.start)
        service_start = ready
        lateness = 0.0
        for number, window in enumerate(windows, start=1):
            end = float("inf") if job.soft and number == len(windows) else window.end
            if end >= ready:
                service_start = max(ready, window.start)
                break
        if job.lateness_cost_per_hour is not None:  # job.soft
            lateness = max(0.0, service_start - windows[-1].end)
            lateness_cost += lateness / 3600.0 * job.lateness_cost_per_hour
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
                lateness=lateness,
            )
        )
        total_distance += leg
        here = job.location
    end = problem.end_location(vehicle)
    total_distance += float(problem.distance_km[here, end])
    _, end_time = drive(here, end, len(jobs))
    cost = (
        vehicle.fixed_cost
        + vehicle.cost_per_km * total_distance
        + vehicle.cost_per_hour * (end_time - start_time) / 3600.0
        + lateness_cost
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
        break_start=break_start,
        break_after=break_after if pause is not None else None,
        break_duration=pause.duration if pause is not None else 0.0,
    )


def _fits(problem: Problem, vehicle: Vehicle, jobs: dict[str, Job], route: Route) -> bool:
    """Whether a laid-out route keeps its hard windows, shift, duration and break window (the
    checker verifies everything again, independently)."""
    for stop in route.stops:
        job = jobs[stop.job_id]
        windows = problem.windows_of(job)
        at = stop.service_start
        late_ok = job.soft and at >= windows[-1].start - _SLACK
        if not late_ok and not any(w.start - _SLACK <= at <= w.end + _SLACK for w in windows):
            return False
    if route.end_time > vehicle.shift_end + _SLACK:
        return False
    if vehicle.max_duration is not None and route.duration > vehicle.max_duration + _SLACK:
        return False
    pause = vehicle.driver_break
    if pause is None:
        return True
    if route.break_after is None:
        return (
            pause.earliest + pause.duration <= route.start_time + _SLACK
            or pause.latest + _SLACK >= route.end_time
        )
    return route.break_start is not None and route.break_start <= pause.latest + _SLACK
