"""Driver breaks and soft time windows (the OR-Tools engine): plans respect the break window,
never serve during a break, report lateness exactly, and the checker catches plans that don't."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.solver import (
    Break,
    Depot,
    Job,
    ProblemError,
    TimeWindow,
    Vehicle,
    check_solution,
    solve,
)
from tests.routing.helpers import job, planar_problem, van

LINE = [(0, 0)] + [(10 * i, 0) for i in range(1, 6)]


def _break_problem(pause: Break | None = None):
    pause = pause or Break(30, 60, 20)
    jobs = [job(i, window=(0, 1000), service=5) for i in range(1, 6)]
    return planar_problem(LINE, jobs=jobs, vehicles=[van(shift_end=1000, driver_break=pause)])


def test_auto_picks_ortools_and_pyvrp_is_refused_for_breaks():
    problem = _break_problem()
    assert solve(problem, time_limit=0.3).engine == "ortools"
    with pytest.raises(ProblemError, match="breaks"):
        solve(problem, engine="pyvrp", time_limit=0.3)


def test_the_break_is_inside_its_window_and_interrupts_no_service():
    problem = _break_problem()
    solution = solve(problem, time_limit=0.5)
    (route,) = solution.routes
    assert len(route.stops) == 5 and route.break_after is not None
    assert 30 <= route.break_start <= 60 and route.break_duration == 20
    for stop in route.stops:
        assert stop.departure <= route.break_start or stop.service_start >= route.break_start + 20
    # 100 of driving, 25 of service and the 20-minute break: nothing shorter is possible.
    assert route.duration >= 145 - 1e-9


def test_a_route_over_before_the_break_window_needs_no_break():
    jobs = [job(1, window=(0, 100))]
    problem = planar_problem(
        [(0, 0), (5, 0)],
        jobs=jobs,
        vehicles=[van(shift_end=1000, driver_break=Break(500, 600, 30))],
    )
    (route,) = solve(problem, time_limit=0.3).routes
    assert route.break_after is None and route.end_time <= 500


def test_soft_windows_serve_everything_late_and_report_lateness():
    jobs = [job(i, window=(0, 20), service=5, lateness_cost_per_hour=3600.0) for i in range(1, 6)]
    problem = planar_problem(LINE, jobs=jobs, vehicles=[van(shift_end=1000)])
    solution = solve(problem, time_limit=0.5)
    assert solution.engine == "ortools" and not solution.unserved
    for stop in solution.routes[0].stops:
        assert stop.lateness == pytest.approx(max(0.0, stop.service_start - 20))
    assert solution.lateness > 0
    hard = planar_problem(
        LINE,
        jobs=[dataclasses.replace(j, lateness_cost_per_hour=None) for j in jobs],
        vehicles=[van(shift_end=1000)],
    )
    assert solve(hard, time_limit=0.3).unserved  # the same orders with hard windows do not fit


class TestCheckerOnBreaksAndLateness:
    @pytest.fixture
    def planned(self):
        problem = _break_problem()
        return problem, solve(problem, time_limit=0.5)

    def _with_route(self, solution, **changes):
        route = dataclasses.replace(solution.routes[0], **changes)
        return dataclasses.replace(solution, routes=(route,))

    def test_a_break_outside_its_window_is_caught(self, planned):
        problem, solution = planned
        bad = self._with_route(solution, break_start=100.0)
        assert any("outside" in v for v in check_solution(problem, bad).violations)

    def test_a_skipped_break_is_caught(self, planned):
        problem, solution = planned
        bad = self._with_route(solution, break_start=None, break_after=None)
        assert not check_solution(problem, bad).feasible

    def test_a_break_overlapping_a_service_is_caught(self, planned):
        problem, solution = planned
        route = solution.routes[0]
        # Claim the break happened one leg earlier without moving any stop.
        leg = route.break_after - 1 if route.break_after else route.break_after + 1
        bad = self._with_route(solution, break_after=leg)
        assert not check_solution(problem, bad).feasible

    def test_misreported_lateness_is_caught(self):
        jobs = [job(i, window=(0, 20), lateness_cost_per_hour=10.0) for i in range(1, 4)]
        problem = planar_problem(LINE[:4], jobs=jobs, vehicles=[van(shift_end=1000)])
        solution = solve(problem, time_limit=0.3)
        route = solution.routes[0]
        stops = tuple(dataclasses.replace(s, lateness=0.0) for s in route.stops)
        bad = self._with_route(solution, stops=stops)
        assert any("lateness" in v for v in check_solution(problem, bad).violations)


@st.composite
def break_and_soft_instances(draw):
    n_jobs = draw(st.integers(1, 7))
    coordinate = st.integers(0, 60)
    points = [(draw(coordinate), draw(coordinate)) for _ in range(1 + n_jobs)]
    vehicles = []
    for k in range(draw(st.integers(1, 3))):
        shift_start = draw(st.integers(0, 50))
        pause = None
        if draw(st.booleans()):
            earliest = shift_start + draw(st.integers(0, 150))
            pause = Break(
                float(earliest),
                float(earliest + draw(st.integers(0, 60))),
                float(draw(st.integers(1, 40))),
            )
        vehicles.append(
            Vehicle(
                id=f"v{k}",
                start_depot="D",
                capacity=(float(draw(st.integers(5, 30))), float(draw(st.integers(5, 30)))),
                shift_start=float(shift_start),
                shift_end=float(shift_start + draw(st.integers(100, 400))),
                max_duration=draw(st.one_of(st.none(), st.integers(100, 350).map(float))),
                driver_break=pause,
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
                location=1 + i,
                demand=(
                    float(draw(st.integers(0, int(smallest[0])))),
                    float(draw(st.integers(0, int(smallest[1])))),
                ),
                time_windows=tuple(windows),
                service_time=float(draw(st.integers(0, 15))),
                lateness_cost_per_hour=draw(st.one_of(st.none(), st.integers(0, 100).map(float))),
            )
        )
    return planar_problem(points, jobs=jobs, vehicles=vehicles, depots=[Depot("D", 0)])


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(problem=break_and_soft_instances())
def test_breaks_and_soft_windows_never_break_a_rule(problem):
    solution = solve(problem, engine="ortools", time_limit=0.1)  # raises if the checker objects
    assert check_solution(problem, solution).feasible
    jobs = {j.id: j for j in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    for route in solution.routes:
        vehicle = vehicles[route.vehicle_id]
        pause = vehicle.driver_break
        for stop in route.stops:
            windows = jobs[stop.job_id].time_windows
            if windows and jobs[stop.job_id].soft:
                assert stop.service_start >= min(w.start for w in windows) - 1e-9
                assert stop.lateness >= 0
            else:
                assert stop.lateness == 0
            if route.break_after is not None:  # a break never overlaps a service
                assert (
                    stop.departure <= route.break_start + 1e-9
                    or stop.service_start >= route.break_start + pause.duration - 1e-9
                )
        if pause is not None and route.break_after is None:
            assert (
                pause.earliest + pause.duration <= route.start_time + 1e-9
                or pause.latest >= route.end_time - 1e-9
            )
    served = [s.job_id for r in solution.routes for s in r.stops]
    assert sorted(served + [u.job_id for u in solution.unserved]) == sorted(jobs)
