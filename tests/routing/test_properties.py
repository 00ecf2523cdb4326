"""Property: whatever the small random instance, a returned plan never breaks capacity, windows
or shifts, and every order is served or reported with a reason.

Checked twice: by the independent checker, and by the plain sums below, so a bug shared by the
checker and the scheduler would still show.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.solver import Depot, Job, TimeWindow, UnservedReason, Vehicle, check_solution, solve
from tests.routing.helpers import planar_problem


@st.composite
def instances(draw):
    n_jobs = draw(st.integers(1, 8))
    n_depots = draw(st.integers(1, 2))
    coordinate = st.integers(0, 60)
    points = [(draw(coordinate), draw(coordinate)) for _ in range(n_depots + n_jobs)]
    depots = [Depot(id=f"d{k}", location=k) for k in range(n_depots)]
    vehicles = []
    for k in range(draw(st.integers(1, 3))):
        shift_start = draw(st.integers(0, 50))
        vehicles.append(
            Vehicle(
                id=f"v{k}",
                start_depot=f"d{draw(st.integers(0, n_depots - 1))}",
                end_depot=f"d{draw(st.integers(0, n_depots - 1))}",
                capacity=(float(draw(st.integers(5, 30))), float(draw(st.integers(5, 30)))),
                shift_start=float(shift_start),
                shift_end=float(shift_start + draw(st.integers(60, 400))),
                max_duration=draw(st.one_of(st.none(), st.integers(60, 300).map(float))),
                fixed_cost=float(draw(st.integers(0, 50))),
                cost_per_hour=float(draw(st.integers(0, 40))),
            )
        )
    smallest = min(v.capacity for v in vehicles)
    jobs = []
    for i in range(n_jobs):
        windows = []
        begin = draw(st.integers(0, 300))
        for _ in range(draw(st.integers(0, 2))):
            end = begin + draw(st.integers(0, 120))
            windows.append(TimeWindow(float(begin), float(end)))
            begin = end + draw(st.integers(1, 100))
        jobs.append(
            Job(
                id=f"o{i}",
                location=n_depots + i,
                # Never above the smallest van, so validation accepts every drawn order.
                demand=(
                    float(draw(st.integers(0, int(smallest[0])))),
                    float(draw(st.integers(0, int(smallest[1])))),
                ),
                time_windows=tuple(windows),
                service_time=float(draw(st.integers(0, 15))),
                priority=draw(st.integers(0, 2)),
            )
        )
    return planar_problem(points, jobs=jobs, vehicles=vehicles, depots=depots)


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
@settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(problem=instances())
def test_plans_never_break_capacity_windows_or_shifts(engine, problem):
    solution = solve(problem, engine=engine, time_limit=0.1)  # raises if the checker objects
    assert check_solution(problem, solution).feasible

    vehicles = {v.id: v for v in problem.vehicles}
    jobs = {j.id: j for j in problem.jobs}
    for route in solution.routes:
        vehicle = vehicles[route.vehicle_id]
        load = np.sum([jobs[s.job_id].demand for s in route.stops], axis=0)
        assert np.all(load <= np.asarray(vehicle.capacity) + 1e-9)
        assert vehicle.shift_start - 1e-9 <= route.start_time
        assert route.end_time <= vehicle.shift_end + 1e-9
        if vehicle.max_duration is not None:
            assert route.duration <= vehicle.max_duration + 1e-9
        for stop in route.stops:
            windows = jobs[stop.job_id].time_windows
            assert not windows or any(
                w.start - 1e-9 <= stop.service_start <= w.end + 1e-9 for w in windows
            )
    served = [s.job_id for r in solution.routes for s in r.stops]
    unserved = [u.job_id for u in solution.unserved]
    assert sorted(served + unserved) == sorted(jobs)
    assert all(isinstance(u.reason, UnservedReason) for u in solution.unserved)
