"""Find the orders no vehicle could ever serve, before any engine runs.

Both engines would simply drop such orders; screening them first lets the plan say *why*
(no vehicle fits, window unreachable) instead of a vague "dropped", and keeps them out of the
search. Everything here is in real units (seconds, km).
"""

from __future__ import annotations

import numpy as np

from routing.solver.problem import Problem
from routing.solver.solution import UnservedOrder, UnservedReason


def screen_orders(problem: Problem) -> tuple[list[int], list[UnservedOrder]]:
    """Split the jobs into (indices an engine should plan, orders unservable on their own).

    An order is servable when some vehicle can carry it (capacity in every dimension, all
    skills) and can drive ``start depot → order → end depot`` inside its shift, reaching the
    order inside one of its windows, within its maximum duration and distance."""
    vehicles = problem.vehicles
    capacity = np.array([v.capacity for v in vehicles], dtype=float).reshape(len(vehicles), -1)
    start_loc = np.array([problem.start_location(v) for v in vehicles])
    end_loc = np.array([problem.end_location(v) for v in vehicles])
    shift_start = np.array([v.shift_start for v in vehicles])
    shift_end = np.array([v.shift_end for v in vehicles])
    max_duration = np.array(
        [np.inf if v.max_duration is None else v.max_duration for v in vehicles]
    )
    max_distance = np.array(
        [np.inf if v.max_distance is None else v.max_distance for v in vehicles]
    )

    servable: list[int] = []
    unserved: list[UnservedOrder] = []
    for index, job in enumerate(problem.jobs):
        demand = np.asarray(job.demand, dtype=float)
        carries = (capacity >= demand).all(axis=1)
        carries &= np.array([job.skills <= v.skills for v in vehicles])
        if not carries.any():
            detail = "no vehicle has the capacity"
            if job.skills:
                detail += f" and the skills ({', '.join(sorted(job.skills))})"
            unserved.append(
                UnservedOrder(job.id, UnservedReason.NO_VEHICLE_FITS, detail + " this order needs.")
            )
            continue
        there = problem.duration_s[start_loc, job.location]
        back = problem.duration_s[job.location, end_loc]
        arrival = shift_start + there
        reaches = np.zeros(len(vehicles), dtype=bool)
        windows = sorted(problem.windows_of(job), key=lambda w: w.start)
        for number, window in enumerate(windows, start=1):
            service_start = np.maximum(arrival, window.start)
            # A soft last window may be served late: only the shift end bounds it.
            end = np.inf if job.soft and number == len(windows) else window.end
            reaches |= (arrival <= end) & (service_start + job.service_time + back <= shift_end)
        # Waiting can always be avoided by leaving later, so the shortest route is the drive.
        reaches &= there + job.service_time + back <= max_duration
        reaches &= (
            problem.distance_km[start_loc, job.location]
            + problem.distance_km[job.location, end_loc]
        ) <= max_distance
        if not (carries & reaches).any():
            unserved.append(
                UnservedOrder(
                    job.id,
                    UnservedReason.WINDOW_UNREACHABLE,
                    "no vehicle that can carry this order reaches it inside its time windows and "
                    "returns within its shift, maximum duration and maximum distance.",
                )
            )
            continue
        servable.append(index)
    return servable, unserved
