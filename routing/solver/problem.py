"""The neutral routing problem that every engine reads.

Units, the same everywhere in the solver core:
- distances in kilometres (or, for planar test instances, the instance's own length unit),
- times in seconds from the plan's time origin (usually midnight of the plan date),
- demand and capacity in the tenant's units per dimension (for example kg and m³),
- money in the tenant's currency.

A :class:`Problem` is validated when it is built, so an engine never sees bad input: a
:class:`ProblemError` names the offending order (or vehicle, or depot) and the field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from routing.solver.matrix import MatrixProvider

CoordinateSystem = Literal["latlon", "planar"]

# A shift without an explicit end lasts one day: engines need a finite horizon to scale times.
DEFAULT_SHIFT_END_SECONDS = 24 * 3600.0


class ProblemError(ValueError):
    """Bad input. ``kind`` is ``order``, ``vehicle``, ``depot`` or ``problem``; ``ref`` is the
    offending item's id so the API can point the planner at it."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = "problem",
        ref: str | None = None,
        field_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.ref = ref
        self.field_name = field_name


@dataclass(frozen=True)
class TimeWindow:
    """Service may start at any time in ``[start, end]`` (seconds)."""

    start: float
    end: float


@dataclass(frozen=True)
class Depot:
    """A place where vehicles start or end their shift. ``location`` indexes
    :attr:`Problem.locations`."""

    id: str
    location: int


@dataclass(frozen=True)
class Job:
    """A delivery order: ``demand`` per load dimension, delivered from the vehicle's load.

    ``time_windows`` empty means "any time in the vehicle's shift"; with several windows the
    service starts inside exactly one of them. ``service_time`` is in seconds. Higher
    ``priority`` orders are kept first when the fleet cannot serve everything.

    ``lateness_cost_per_hour`` set makes the end of the *last* window soft: service may start
    after it at that cost per hour late (the OR-Tools engine plans such orders). Window starts
    and the gaps between several windows stay hard.
    """

    id: str
    location: int
    demand: tuple[float, ...]
    time_windows: tuple[TimeWindow, ...] = ()
    service_time: float = 0.0
    priority: int = 0
    skills: frozenset[str] = frozenset()
    lateness_cost_per_hour: float | None = None

    @property
    def soft(self) -> bool:
        return self.lateness_cost_per_hour is not None


@dataclass(frozen=True)
class Break:
    """A driver break of ``duration`` seconds that starts inside ``[earliest, latest]`` (so it
    ends by ``latest + duration``). It interrupts a drive or a wait, never a service; a route
    that is over before ``earliest`` or starts after the break has ended needs none."""

    earliest: float
    latest: float
    duration: float


@dataclass(frozen=True)
class Vehicle:
    """One vehicle and its driver's shift.

    ``capacity`` per load dimension; ``shift_start``/``shift_end`` in seconds: it leaves
    ``start_depot`` no earlier than the start and is back at ``end_depot`` by the end.
    ``max_duration`` (seconds) and ``max_distance`` (km) bound one route. Costs: ``fixed_cost``
    per used vehicle, ``cost_per_km`` driven, ``cost_per_hour`` of route duration (waiting
    included, since the driver is paid while waiting). ``driver_break`` is planned by the
    OR-Tools engine.
    """

    id: str
    start_depot: str
    capacity: tuple[float, ...]
    end_depot: str | None = None
    shift_start: float = 0.0
    shift_end: float = DEFAULT_SHIFT_END_SECONDS
    max_duration: float | None = None
    max_distance: float | None = None
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    skills: frozenset[str] = frozenset()
    driver_break: Break | None = None

    @property
    def return_depot(self) -> str:
        return self.end_depot if self.end_depot is not None else self.start_depot


@dataclass(frozen=True)
class Problem:
    """Locations, depots, jobs, vehicles and the matrices between locations.

    ``locations`` is an ``(n, 2)`` array: ``(lat, lon)`` in degrees when ``coordinates`` is
    ``"latlon"``, ``(x, y)`` when ``"planar"``. ``distance_km[i, j]`` and
    ``duration_s[i, j]`` are the travel distance and time from location ``i`` to ``j``.
    """

    locations: np.ndarray
    depots: tuple[Depot, ...]
    jobs: tuple[Job, ...]
    vehicles: tuple[Vehicle, ...]
    distance_km: np.ndarray
    duration_s: np.ndarray
    coordinates: CoordinateSystem = "planar"
    _depot_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locations", np.asarray(self.locations, dtype=float))
        object.__setattr__(self, "distance_km", np.asarray(self.distance_km, dtype=float))
        object.__setattr__(self, "duration_s", np.asarray(self.duration_s, dtype=float))
        object.__setattr__(self, "depots", tuple(self.depots))
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "_depot_index", {d.id: i for i, d in enumerate(self.depots)})
        _validate(self)

    @classmethod
    def build(
        cls,
        *,
        locations: np.ndarray | Sequence[Sequence[float]],
        depots: Sequence[Depot],
        jobs: Sequence[Job],
        vehicles: Sequence[Vehicle],
        matrix_provider: MatrixProvider,
        coordinates: CoordinateSystem = "planar",
    ) -> Problem:
        """Build a problem whose matrices come from ``matrix_provider`` (see ``matrix.py``).

        Coordinates are checked before the matrices are computed, so an order with a
        latitude of 123 fails with its id rather than with a NaN distance."""
        points = np.asarray(locations, dtype=float).reshape(-1, 2)
        _validate_coordinates(points, coordinates, depots, jobs)
        distance_km, duration_s = matrix_provider.matrices(points)
        return cls(
            locations=points,
            depots=tuple(depots),
            jobs=tuple(jobs),
            vehicles=tuple(vehicles),
            distance_km=distance_km,
            duration_s=duration_s,
            coordinates=coordinates,
        )

    @property
    def dimensions(self) -> int:
        """Number of load dimensions (weight, volume, ...)."""
        return len(self.vehicles[0].capacity)

    @property
    def needs_ortools(self) -> bool:
        """Breaks or soft windows: what only the OR-Tools engine plans."""
        return any(v.driver_break for v in self.vehicles) or any(j.soft for j in self.jobs)

    def depot_index(self, depot_id: str) -> int:
        return self._depot_index[depot_id]

    def start_location(self, vehicle: Vehicle) -> int:
        return self.depots[self._depot_index[vehicle.start_depot]].location

    def end_location(self, vehicle: Vehicle) -> int:
        return self.depots[self._depot_index[vehicle.return_depot]].location

    def windows_of(self, job: Job) -> tuple[TimeWindow, ...]:
        """The job's windows, or one window covering every shift when it has none."""
        if job.time_windows:
            return job.time_windows
        return (
            TimeWindow(
                min(v.shift_start for v in self.vehicles), max(v.shift_end for v in self.vehicles)
            ),
        )


def vehicle_can_carry(vehicle: Vehicle, job: Job) -> bool:
    """Capacity in every dimension and every required skill."""
    fits = all(d <= c for d, c in zip(job.demand, vehicle.capacity, strict=True))
    return fits and job.skills <= vehicle.skills


def _validate_coordinates(
    points: np.ndarray,
    coordinates: CoordinateSystem,
    depots: Sequence[Depot],
    jobs: Sequence[Job],
) -> None:
    if coordinates not in ("latlon", "planar"):
        raise ProblemError(f"Unknown coordinate system {coordinates!r}.", field_name="coordinates")
    finite = np.isfinite(points).all(axis=1)
    if coordinates == "latlon":
        in_range = finite & (np.abs(points[:, 0]) <= 90.0) & (np.abs(points[:, 1]) <= 180.0)
    else:
        in_range = finite
    for kind, items in (("depot", depots), ("order", jobs)):
        for item in items:
            if not 0 <= item.location < len(points):
                raise ProblemError(
                    f"{kind.capitalize()} {item.id}: location index {item.location} does not "
                    f"exist.",
                    kind=kind,
                    ref=item.id,
                    field_name="location",
                )
            if not in_range[item.location]:
                lat_or_x, lon_or_y = points[item.location]
                what = "latitude/longitude" if coordinates == "latlon" else "coordinates"
                raise ProblemError(
                    f"{kind.capitalize()} {item.id}: {what} ({lat_or_x}, {lon_or_y}) out of range.",
                    kind=kind,
                    ref=item.id,
                    field_name="coordinates",
                )


def _validate(problem: Problem) -> None:
    n = len(problem.locations)
    if problem.locations.ndim != 2 or problem.locations.shape[1] != 2:
        raise ProblemError("Locations must be an (n, 2) array.", field_name="locations")
    for name in ("distance_km", "duration_s"):
        matrix = getattr(problem, name)
        if matrix.shape != (n, n):
            raise ProblemError(f"{name} must be {n}x{n}, got {matrix.shape}.", field_name=name)
        if not np.isfinite(matrix).all() or (matrix < 0).any():
            raise ProblemError(f"{name} must be finite and non-negative.", field_name=name)
    if not problem.depots:
        raise ProblemError("A plan needs at least one depot.", field_name="depots")
    if not problem.vehicles:
        raise ProblemError("A plan needs at least one vehicle.", field_name="vehicles")
    _validate_coordinates(problem.locations, problem.coordinates, problem.depots, problem.jobs)
    _unique_ids("depot", problem.depots)
    _unique_ids("order", problem.jobs)
    _unique_ids("vehicle", problem.vehicles)

    dimensions = len(problem.vehicles[0].capacity)
    for vehicle in problem.vehicles:
        _validate_vehicle(problem, vehicle, dimensions)
    for job in problem.jobs:
        _validate_job(problem, job, dimensions)


def _unique_ids(kind: str, items: Sequence[Depot | Job | Vehicle]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ProblemError(
                f"{kind.capitalize()} id {item.id} appears twice.",
                kind=kind,
                ref=item.id,
                field_name="id",
            )
        seen.add(item.id)


def _validate_vehicle(problem: Problem, vehicle: Vehicle, dimensions: int) -> None:
    def fail(message: str, field_name: str) -> ProblemError:
        return ProblemError(
            f"Vehicle {vehicle.id}: {message}",
            kind="vehicle",
            ref=vehicle.id,
            field_name=field_name,
        )

    for depot_field in ("start_depot", "end_depot"):
        depot_id = getattr(vehicle, depot_field)
        if depot_id is not None and depot_id not in problem._depot_index:
            raise fail(f"unknown depot {depot_id}.", depot_field)
    if len(vehicle.capacity) != dimensions:
        raise fail(
            f"capacity has {len(vehicle.capacity)} dimensions, expected {dimensions}.", "capacity"
        )
    if any(not math.isfinite(c) or c < 0 for c in vehicle.capacity):
        raise fail("capacity must be finite and non-negative.", "capacity")
    if not (math.isfinite(vehicle.shift_start) and math.isfinite(vehicle.shift_end)):
        raise fail("shift start and end must be finite.", "shift_end")
    if vehicle.shift_end < vehicle.shift_start:
        raise fail("shift ends before it starts.", "shift_end")
    for name in ("max_duration", "max_distance"):
        limit = getattr(vehicle, name)
        if limit is not None and (not math.isfinite(limit) or limit < 0):
            raise fail(f"{name} must be finite and non-negative.", name)
    for name in ("cost_per_km", "cost_per_hour", "fixed_cost"):
        value = getattr(vehicle, name)
        if not math.isfinite(value) or value < 0:
            raise fail(f"{name} must be finite and non-negative.", name)
    pause = vehicle.driver_break
    if pause is not None:
        values = (pause.earliest, pause.latest, pause.duration)
        if not all(math.isfinite(x) for x in values) or pause.duration < 0:
            raise fail("break times must be finite and its duration non-negative.", "break")
        if pause.latest < pause.earliest:
            raise fail("the break's latest start is before its earliest start.", "break")


def _validate_job(problem: Problem, job: Job, dimensions: int) -> None:
    def fail(message: str, field_name: str) -> ProblemError:
        return ProblemError(
            f"Order {job.id}: {message}", kind="order", ref=job.id, field_name=field_name
        )

    if len(job.demand) != dimensions:
        raise fail(f"demand has {len(job.demand)} dimensions, expected {dimensions}.", "demand")
    if any(not math.isfinite(d) for d in job.demand):
        raise fail("demand must be a finite number.", "demand")
    if any(d < 0 for d in job.demand):
        raise fail(f"negative demand {job.demand}.", "demand")
    if not any(
        all(d <= c for d, c in zip(job.demand, v.capacity, strict=True)) for v in problem.vehicles
    ):
        raise fail(f"demand {job.demand} is larger than the capacity of every vehicle.", "demand")
    if not math.isfinite(job.service_time) or job.service_time < 0:
        raise fail("service time must be finite and non-negative.", "service_time")
    if job.priority < 0:
        raise fail("priority must be non-negative.", "priority")
    if job.lateness_cost_per_hour is not None and (  # job.soft
        not math.isfinite(job.lateness_cost_per_hour) or job.lateness_cost_per_hour < 0
    ):
        raise fail("lateness cost must be finite and non-negative.", "lateness_cost_per_hour")
    previous_end = -math.inf
    for window in sorted(job.time_windows, key=lambda w: w.start):
        if not (math.isfinite(window.start) and math.isfinite(window.end)):
            raise fail("time window bounds must be finite.", "time_windows")
        if window.end < window.start:
            raise fail(
                f"time window ends ({window.end}) before it starts ({window.start}).",
                "time_windows",
            )
        if window.start <= previous_end:
            raise fail("time windows overlap.", "time_windows")
        previous_end = window.end
