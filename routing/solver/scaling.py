"""Integer version of a problem, shared by both engines.

PyVRP and OR-Tools work in integers. Every rounding here is chosen so that a route feasible in
integers is feasible in real units: travel times, service times, distances and demands round
*up*; window ends, shift ends, capacities and limits round *down*; window and shift starts
round *up*. Costs are rounded to the nearest integer (they only steer the search).

Units of the integer model: one distance tick is ``1 / Scale.distance_per_km`` km, one time tick
``1 / Scale.time_per_second`` s, one demand tick ``1 / Scale.demand_per_unit`` of the load unit.
Costs are kept ×``Scale.cost_per_currency`` (cents for 100): the cost per km is rounded to
whole cents per km and charged per distance tick, so one objective unit is
``1 / (cost_per_currency * distance_per_km)`` of the currency. Per-hour costs and fixed costs
are expressed in that same unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.solver.problem import Job, Problem, vehicle_can_carry

# Guard against binary fractions: 0.1 * 10 is 1.0000000000000002, which ceil would make 2.
_EPSILON = 1e-6


@dataclass(frozen=True)
class Scale:
    """Ticks per real unit. The defaults give metre, decisecond and cent resolution."""

    distance_per_km: int = 1000
    time_per_second: int = 10
    demand_per_unit: int = 1000
    cost_per_currency: int = 100


def ceil_ticks(values: npt.ArrayLike, per_unit: int) -> npt.NDArray[np.int64]:
    return np.ceil(np.asarray(values, dtype=float) * per_unit - _EPSILON).astype(np.int64)


def floor_ticks(values: npt.ArrayLike, per_unit: int) -> npt.NDArray[np.int64]:
    return np.floor(np.asarray(values, dtype=float) * per_unit + _EPSILON).astype(np.int64)


@dataclass(frozen=True)
class IntegerModel:
    """The engine-facing integers. ``jobs[k]`` is the problem job index of engine job ``k``;
    arrays indexed by location use the problem's location indices."""

    scale: Scale
    jobs: tuple[int, ...]
    distance: np.ndarray  # (n, n) distance ticks
    duration: np.ndarray  # (n, n) time ticks
    service: np.ndarray  # (m,) time ticks
    windows: tuple[tuple[tuple[int, int], ...], ...]  # per engine job, sorted, non-empty
    demand: np.ndarray  # (m, dimensions) demand ticks
    capacity: np.ndarray  # (vehicles, dimensions) demand ticks
    shift_start: np.ndarray  # (vehicles,) time ticks
    shift_end: np.ndarray
    max_duration: np.ndarray  # (vehicles,) time ticks, horizon when unlimited
    max_distance: np.ndarray  # (vehicles,) distance ticks, a large value when unlimited
    unit_distance_cost: np.ndarray  # (vehicles,) objective units per distance tick
    unit_duration_cost: np.ndarray  # (vehicles,) objective units per time tick
    fixed_cost: np.ndarray  # (vehicles,) objective units
    prize: np.ndarray  # (m,) objective units lost when the job is not served
    allowed_vehicles: tuple[tuple[int, ...], ...]  # per engine job: vehicles with its skills
    horizon_start: int
    horizon_end: int
    untimeable: tuple[int, ...]  # problem job indices left out: no whole tick in any window
    # Soft windows: per engine job the tick after which lateness is charged (None: hard) and
    # the objective units per tick late. A soft job's last window reaches the horizon's end.
    soft_late: tuple[int | None, ...] = ()
    lateness_cost: np.ndarray | None = None
    # Driver breaks: per vehicle (earliest start, latest start, duration) in ticks, or None.
    breaks: tuple[tuple[int, int, int] | None, ...] = ()

    def to_seconds(self, ticks: int) -> float:
        return ticks / self.scale.time_per_second


def integer_model(problem: Problem, jobs: list[int], scale: Scale) -> IntegerModel:
    """Scale ``problem`` restricted to the job indices ``jobs`` (the screened, servable ones)."""
    vehicles = problem.vehicles
    horizon_start = int(ceil_ticks(min(v.shift_start for v in vehicles), scale.time_per_second))
    horizon_end = int(floor_ticks(max(v.shift_end for v in vehicles), scale.time_per_second))

    distance = ceil_ticks(problem.distance_km, scale.distance_per_km)
    duration = ceil_ticks(problem.duration_s, scale.time_per_second)
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)

    # A window narrower than one tick, or outside every shift, has no integer time at which
    # service is feasible in real units: such orders cannot be planned.
    all_windows = {
        j: _window_ticks(problem, problem.jobs[j], scale, horizon_start, horizon_end) for j in jobs
    }
    untimeable = tuple(j for j in jobs if not all_windows[j])
    jobs = [j for j in jobs if all_windows[j]]
    windows = tuple(all_windows[j] for j in jobs)
    chosen = [problem.jobs[j] for j in jobs]
    soft_late = tuple(
        int(floor_ticks(problem.windows_of(job)[-1].end, scale.time_per_second))
        if job.soft
        else None
        for job in chosen
    )
    dimensions = problem.dimensions
    service = ceil_ticks([job.service_time for job in chosen], scale.time_per_second)
    demand = ceil_ticks(
        np.array([job.demand for job in chosen], dtype=float).reshape(len(chosen), dimensions),
        scale.demand_per_unit,
    )

    capacity = floor_ticks(
        np.array([v.capacity for v in vehicles], dtype=float).reshape(len(vehicles), dimensions),
        scale.demand_per_unit,
    )
    shift_start = ceil_ticks([v.shift_start for v in vehicles], scale.time_per_second)
    shift_end = floor_ticks([v.shift_end for v in vehicles], scale.time_per_second)
    horizon = horizon_end - horizon_start
    max_duration = np.array(
        [
            horizon
            if v.max_duration is None
            else min(horizon, int(floor_ticks(v.max_duration, scale.time_per_second)))
            for v in vehicles
        ],
        dtype=np.int64,
    )
    unlimited_distance = int(distance.max(initial=0)) * (len(problem.locations) + 1) + 1
    max_distance = np.array(
        [
            unlimited_distance
            if v.max_distance is None
            else int(floor_ticks(v.max_distance, scale.distance_per_km))
            for v in vehicles
        ],
        dtype=np.int64,
    )

    cost = scale.cost_per_currency
    unit_distance_cost = np.array([round(v.cost_per_km * cost) for v in vehicles], np.int64)
    unit_duration_cost = np.array(
        [
            round(v.cost_per_hour * cost * scale.distance_per_km / (3600 * scale.time_per_second))
            for v in vehicles
        ],
        dtype=np.int64,
    )
    fixed_cost = np.array(
        [round(v.fixed_cost * cost) * scale.distance_per_km for v in vehicles], dtype=np.int64
    )

    # A prize above the largest possible cost of serving one more order (a new vehicle, two
    # longest legs, a whole shift of paid time) makes serving always worth it; priorities
    # multiply it, so a priority-2 order outweighs two priority-0 ones.
    base_prize = (
        int(fixed_cost.max())
        + 2 * int(distance.max(initial=0)) * int(unit_distance_cost.max())
        + horizon * int(unit_duration_cost.max())
        + 1
    )
    per_hour = cost * scale.distance_per_km / (3600 * scale.time_per_second)
    lateness_cost = np.array(
        [
            max(1, round(job.lateness_cost_per_hour * per_hour))
            if job.lateness_cost_per_hour is not None and job.lateness_cost_per_hour > 0
            else 0
            for job in chosen
        ],
        dtype=np.int64,
    )
    # Lateness is bounded by the horizon: serving late must still beat dropping the order.
    base_prize += horizon * int(lateness_cost.max(initial=0))
    prize = np.array([base_prize * (1 + job.priority) for job in chosen], dtype=np.int64)
    breaks = tuple(
        None
        if v.driver_break is None
        else (
            int(ceil_ticks(v.driver_break.earliest, scale.time_per_second)),
            int(floor_ticks(v.driver_break.latest, scale.time_per_second)),
            int(ceil_ticks(v.driver_break.duration, scale.time_per_second)),
        )
        for v in vehicles
    )
    allowed = tuple(
        tuple(i for i, v in enumerate(vehicles) if vehicle_can_carry(v, job)) for job in chosen
    )
    return IntegerModel(
        scale=scale,
        jobs=tuple(jobs),
        distance=distance,
        duration=duration,
        service=service,
        windows=windows,
        demand=demand,
        capacity=capacity,
        shift_start=shift_start,
        shift_end=shift_end,
        max_duration=max_duration,
        max_distance=max_distance,
        unit_distance_cost=unit_distance_cost,
        unit_duration_cost=unit_duration_cost,
        fixed_cost=fixed_cost,
        prize=prize,
        allowed_vehicles=allowed,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
        untimeable=untimeable,
        soft_late=soft_late,
        lateness_cost=lateness_cost,
        breaks=breaks,
    )


def _window_ticks(
    problem: Problem, job: Job, scale: Scale, horizon_start: int, horizon_end: int
) -> tuple[tuple[int, int], ...]:
    ticks = []
    windows = sorted(problem.windows_of(job), key=lambda w: w.start)
    for number, window in enumerate(windows, start=1):
        start = max(horizon_start, int(ceil_ticks(window.start, scale.time_per_second)))
        end = min(horizon_end, int(floor_ticks(window.end, scale.time_per_second)))
        if job.soft and number == len(windows):
            end = horizon_end  # late service allowed, at a cost
        if start <= end:
            ticks.append((start, end))
    return tuple(ticks)


@dataclass(frozen=True)
class EngineRoute:
    """An engine's answer for one vehicle: the problem job indices in visiting order and the
    departure from the start depot in time ticks."""

    vehicle_index: int
    job_indices: tuple[int, ...]
    start_ticks: int
    other_start_ticks: tuple[int, ...] = ()
    break_after: int | None = None  # stops served before the break; None: off the route


@dataclass(frozen=True)
class EngineResult:
    routes: tuple[EngineRoute, ...]
    status: str
    objective: int | None = None
