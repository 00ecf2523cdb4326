"""Independent feasibility check of a plan, in real units.

It trusts nothing an engine or ``solution.route_schedule`` computed: it re-drives every route
from the problem's float matrices, starting at the route's reported start time, and compares.
It shares no code with the engines or the scheduler, so a bug there cannot hide itself here.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.solver.problem import Problem
from routing.solver.solution import Solution

# Seconds, km and load units: far below anything a planner could notice, far above float noise.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class CheckReport:
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def check_solution(problem: Problem, solution: Solution) -> CheckReport:
    """Every violated rule of ``solution`` against ``problem``, as readable sentences.

    Checked: each order is served exactly once or reported unserved with a reason; each vehicle
    drives at most one route, from its start depot back to its end depot; leaves no earlier
    than its shift start and is back by its shift end; route duration and distance within the
    vehicle's limits; load within capacity in every dimension; service starts inside one of the
    order's windows (or after the last one, with the lateness reported, when the order's
    window is soft); the driver's break inside its window, interrupting no service, and not
    skipped while the route spans the break window; required skills present; reported times,
    loads and distances match.
    """
    violations: list[str] = []
    jobs = {job.id: job for job in problem.jobs}
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    depot_locations = {depot.id: depot.location for depot in problem.depots}

    seen: dict[str, int] = {}
    for unserved in solution.unserved:
        if unserved.job_id not in jobs:
            violations.append(f"Unserved order {unserved.job_id} is not in the problem.")
        if not unserved.reason:
            violations.append(f"Unserved order {unserved.job_id} has no reason.")
        seen[unserved.job_id] = seen.get(unserved.job_id, 0) + 1

    used_vehicles: set[str] = set()
    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            violations.append(f"Route of unknown vehicle {route.vehicle_id}.")
            continue
        name = f"Vehicle {vehicle.id}"
        if vehicle.id in used_vehicles:
            violations.append(f"{name} drives more than one route.")
        used_vehicles.add(vehicle.id)
        if route.start_depot != vehicle.start_depot:
            violations.append(f"{name} starts at {route.start_depot}, not {vehicle.start_depot}.")
        if route.end_depot != vehicle.return_depot:
            violations.append(f"{name} ends at {route.end_depot}, not {vehicle.return_depot}.")
        if route.start_time < vehicle.shift_start - TOLERANCE:
            violations.append(
                f"{name} leaves at {route.start_time:.3f} s, before its shift "
                f"starts at {vehicle.shift_start:.3f} s."
            )

        pause = vehicle.driver_break
        break_leg = route.break_after
        if pause is None and (break_leg is not None or route.break_start is not None):
            violations.append(f"{name} reports a break but has none.")
            break_leg = None
        if pause is not None and break_leg is not None:
            if route.break_start is None or not 0 <= break_leg <= len(route.stops):
                violations.append(f"{name}: break reported without a start or a valid leg.")
                break_leg = None
            elif not (pause.earliest - TOLERANCE <= route.break_start <= pause.latest + TOLERANCE):
                violations.append(
                    f"{name}: break starts at {route.break_start:.3f} s, outside "
                    f"[{pause.earliest:.3f}, {pause.latest:.3f}] s."
                )
            if abs(route.break_duration - pause.duration) > TOLERANCE:
                violations.append(
                    f"{name}: break lasts {route.break_duration} s, not {pause.duration} s."
                )

        break_at: tuple[int, float, float] | None = None
        # A break leg survives the checks above only with a start (``break_start`` set).
        if pause is not None and break_leg is not None and route.break_start is not None:
            break_at = (break_leg, route.break_start, pause.duration)

        here = depot_locations[vehicle.start_depot]
        clock = route.start_time
        distance = 0.0
        load = [0.0] * len(vehicle.capacity)
        for leg_number, stop in enumerate(route.stops):
            job = jobs.get(stop.job_id)
            if job is None:
                violations.append(f"{name} visits unknown order {stop.job_id}.")
                continue
            seen[job.id] = seen.get(job.id, 0) + 1
            for d, amount in enumerate(job.demand):
                load[d] += amount
            if not job.skills <= vehicle.skills:
                violations.append(
                    f"{name} lacks skills {sorted(job.skills - vehicle.skills)} for order {job.id}."
                )
            leg = float(problem.distance_km[here, job.location])
            arrival, ready = _leg_times(problem, here, job.location, leg_number, clock, break_at)
            distance += leg
            if stop.location != job.location:
                violations.append(f"Order {job.id} reported at the wrong location.")
            if abs(stop.arrival - arrival) > TOLERANCE or abs(stop.distance - leg) > TOLERANCE:
                violations.append(
                    f"Order {job.id}: reported arrival or leg distance differs "
                    f"from the drive ({stop.arrival:.3f} vs {arrival:.3f} s)."
                )
            if stop.service_start < arrival - TOLERANCE:
                violations.append(f"Order {job.id}: service starts before arrival.")
            elif break_at and leg_number == break_leg and break_at[1] < clock - TOLERANCE:
                violations.append(f"{name}: break starts before the previous service ends.")
            elif stop.service_start < ready - TOLERANCE:
                violations.append(f"Order {job.id}: service starts during the driver's break.")
            if abs(stop.waiting - (stop.service_start - stop.arrival)) > TOLERANCE:
                violations.append(f"Order {job.id}: reported waiting is inconsistent.")
            # No window means "whenever the driver is on shift": the shift checks cover it.
            inside = not job.time_windows or any(
                w.start - TOLERANCE <= stop.service_start <= w.end + TOLERANCE
                for w in job.time_windows
            )
            late = 0.0
            if not inside and job.soft and job.time_windows:
                last = max(job.time_windows, key=lambda w: w.start)
                if stop.service_start > last.end:
                    inside, late = True, stop.service_start - last.end
            if abs(stop.lateness - late) > TOLERANCE:
                violations.append(
                    f"Order {job.id}: reported lateness {stop.lateness:.3f} s, "
                    f"the drive gives {late:.3f} s."
                )
            if not inside:
                violations.append(
                    f"Order {job.id}: service at {stop.service_start:.3f} s is "
                    f"outside its time windows."
                )
            departure = stop.service_start + job.service_time
            if abs(stop.departure - departure) > TOLERANCE:
                violations.append(f"Order {job.id}: reported departure is inconsistent.")
            clock = departure
            here = job.location

        end_location = depot_locations[vehicle.return_depot]
        distance += float(problem.distance_km[here, end_location])
        _, end_time = _leg_times(problem, here, end_location, len(route.stops), clock, break_at)
        if break_at and break_leg == len(route.stops) and break_at[1] < clock - TOLERANCE:
            violations.append(f"{name}: break starts before the last service ends.")
        if pause is not None and break_leg is None and route.break_after is None:
            # No break on the route: only fine when it fits before the start or after the end.
            before = pause.earliest + pause.duration <= route.start_time + TOLERANCE
            after = pause.latest >= end_time - TOLERANCE
            if not (before or after):
                violations.append(
                    f"{name} works through its break window without a break of "
                    f"{pause.duration:.0f} s."
                )

        # Deliveries only: the van is fullest when it leaves the depot.
        for d, (carried, capacity) in enumerate(zip(load, vehicle.capacity, strict=True)):
            if carried > capacity + TOLERANCE:
                violations.append(
                    f"{name} carries {carried} in dimension {d}, capacity {capacity}."
                )
            if abs(route.load_start[d] - carried) > TOLERANCE:
                violations.append(f"{name}: reported start load differs in dimension {d}.")
        remaining = list(load)
        for stop in route.stops:
            if stop.job_id in jobs:
                for d, amount in enumerate(jobs[stop.job_id].demand):
                    remaining[d] -= amount
            if any(abs(a - b) > TOLERANCE for a, b in zip(stop.load_after, remaining, strict=True)):
                violations.append(f"Order {stop.job_id}: reported load after stop differs.")
        if end_time > vehicle.shift_end + TOLERANCE:
            violations.append(
                f"{name} is back at {end_time:.3f} s, after its shift ends at "
                f"{vehicle.shift_end:.3f} s."
            )
        if abs(route.end_time - end_time) > TOLERANCE:
            violations.append(f"{name}: reported end time differs from the drive.")
        if abs(route.distance - distance) > TOLERANCE:
            violations.append(f"{name}: reported distance differs from the drive.")
        duration = end_time - route.start_time
        if vehicle.max_duration is not None and duration > vehicle.max_duration + TOLERANCE:
            violations.append(
                f"{name}: route lasts {duration:.3f} s, more than its maximum "
                f"{vehicle.max_duration:.3f} s."
            )
        if vehicle.max_distance is not None and distance > vehicle.max_distance + TOLERANCE:
            violations.append(
                f"{name}: route is {distance:.3f} km, more than its maximum "
                f"{vehicle.max_distance:.3f} km."
            )

    for job_id in jobs:
        count = seen.get(job_id, 0)
        if count == 0:
            violations.append(f"Order {job_id} is neither served nor reported unserved.")
        elif count > 1:
            violations.append(f"Order {job_id} appears {count} times in the plan.")
    return CheckReport(tuple(violations))


def _leg_times(
    problem: Problem,
    origin: int,
    target: int,
    leg: int,
    leave: float,
    break_at: tuple[int, float, float] | None,
) -> tuple[float, float]:
    """(arrival, earliest start of service or of the return) on leg ``leg`` left at ``leave``;
    ``break_at`` is (leg, start, duration) of the driver's break. A break that starts during
    the drive delays the arrival; one that starts later is taken on arrival."""
    travel = float(problem.duration_s[origin, target])
    if break_at is None or break_at[0] != leg:
        return leave + travel, leave + travel
    _, begin, duration = break_at
    if begin <= leave + travel:
        return leave + travel + duration, leave + travel + duration
    return leave + travel, begin + duration
