"""The solver core on small instances built in code, with both engines."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routing import solver as routing_solver
from routing.solver import (
    Depot,
    InfeasiblePlanError,
    Job,
    Problem,
    TimeWindow,
    UnservedReason,
    Vehicle,
    check_solution,
    solve,
)
from routing.solver.matrix import HaversineMatrix
from routing.solver.scaling import EngineResult, EngineRoute, Scale, integer_model
from routing.solver.solution import Solution, route_schedule
from tests.routing.helpers import QUICK, brute_force_distance, job, planar_problem, van

ENGINES = ["pyvrp", "ortools"]


def served_ids(solution):
    return {stop.job_id for route in solution.routes for stop in route.stops}


def reasons(solution):
    return {u.job_id: u.reason for u in solution.unserved}


@pytest.mark.parametrize("engine", ENGINES)
def test_square_tour_has_its_known_optimum(engine):
    # Depot and three orders on the corners of a 10 x 10 square: the best tour is the square.
    problem = planar_problem(
        [(0, 0), (0, 10), (10, 10), (10, 0)],
        jobs=[job(1), job(2), job(3)],
        vehicles=[van(), van("v2")],
    )
    solution = solve(problem, engine=engine, time_limit=QUICK)
    assert solution.distance == pytest.approx(40.0)
    assert solution.vehicles_used == 1
    assert [s.job_id for s in solution.routes[0].stops] in (["o1", "o2", "o3"], ["o3", "o2", "o1"])
    assert not solution.unserved


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_small_instances_match_brute_force(engine, seed):
    rng = np.random.default_rng(seed)
    points = [(50.0, 50.0), *map(tuple, rng.integers(0, 100, size=(5, 2)).astype(float))]
    jobs = []
    for i in range(1, 6):
        start = float(rng.integers(0, 150))
        jobs.append(
            job(i, demand=float(rng.integers(1, 6)), window=(start, start + 80), service=5.0)
        )
    vehicles = [van(f"v{k}", capacity=10, shift_end=400) for k in range(3)]
    problem = planar_problem(points, jobs=jobs, vehicles=vehicles)
    optimum = brute_force_distance(problem)
    solution = solve(problem, engine=engine, time_limit=QUICK)
    assert not solution.unserved
    assert solution.distance >= optimum - 1e-6  # nobody beats the enumeration
    # Same optimum up to the metre resolution of the integer model (6 legs at most).
    assert solution.distance == pytest.approx(optimum, abs=0.01)


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_depot_vehicles_start_and_end_at_their_depots(engine):
    # West depot at x=0, east depot at x=100; orders cluster near each.
    points = [(0, 0), (100, 0), (2, 3), (3, -2), (98, 2), (97, -3)]
    depots = [Depot("west", 0), Depot("east", 1)]
    vehicles = [
        van("w", depot="west", capacity=2),
        van("e", depot="east", capacity=2),
        Vehicle(
            id="shuttle", start_depot="west", end_depot="east", capacity=(1.0,), fixed_cost=1000.0
        ),
    ]
    jobs = [job(i) for i in range(2, 6)]
    problem = planar_problem(points, jobs=jobs, vehicles=vehicles, depots=depots)
    solution = solve(problem, engine=engine, time_limit=QUICK)
    by_vehicle = {route.vehicle_id: route for route in solution.routes}
    assert {s.job_id for s in by_vehicle["w"].stops} == {"o2", "o3"}
    assert {s.job_id for s in by_vehicle["e"].stops} == {"o4", "o5"}
    for route in solution.routes:
        vehicle = next(v for v in vehicles if v.id == route.vehicle_id)
        assert (route.start_depot, route.end_depot) == (vehicle.start_depot, vehicle.return_depot)
        first_leg = problem.distance_km[problem.start_location(vehicle), route.stops[0].location]
        assert route.stops[0].distance == pytest.approx(first_leg)


@pytest.mark.parametrize("engine", ENGINES)
def test_open_shuttle_route_ends_at_its_other_depot(engine):
    points = [(0, 0), (100, 0), (50, 0)]
    problem = planar_problem(
        points,
        jobs=[job(2)],
        vehicles=[Vehicle(id="s", start_depot="west", end_depot="east", capacity=(5.0,))],
        depots=[Depot("west", 0), Depot("east", 1)],
    )
    route = solve(problem, engine=engine, time_limit=QUICK).routes[0]
    assert (route.start_depot, route.end_depot) == ("west", "east")
    assert route.distance == pytest.approx(100.0)
    assert route.end_time == pytest.approx(route.start_time + 100.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_shift_end_is_respected_and_what_does_not_fit_is_reported(engine):
    # Four orders 10 km out in four directions, 5 s service: one trip each takes 25 s, a
    # shift of 60 s fits two round trips' worth at most per van.
    points = [(0, 0), (10, 0), (0, 10), (-10, 0), (0, -10)]
    jobs = [job(i, service=5.0) for i in range(1, 5)]
    problem = planar_problem(
        points, jobs=jobs, vehicles=[van("a", shift_end=60.0), van("b", shift_end=60.0)]
    )
    solution = solve(problem, engine=engine, time_limit=QUICK)
    for route in solution.routes:
        assert route.end_time <= 60.0 + 1e-9
    assert served_ids(solution) | set(reasons(solution)) == {j.id for j in jobs}
    assert set(reasons(solution).values()) <= {UnservedReason.NOT_ENOUGH_CAPACITY_OR_TIME}
    assert len(served_ids(solution)) >= 2  # each van can do at least one order


@pytest.mark.parametrize("engine", ENGINES)
def test_unserved_orders_come_back_with_their_reasons(engine):
    points = [(0, 0), (5, 0), (50, 0), (0, 5), (0, 6), (0, 7)]
    jobs = [
        Job(id="frozen", location=1, demand=(1.0,), skills=frozenset({"freezer"})),
        job(2, window=(0, 10)),  # 50 km away at 1 km/s: cannot be there before t=50
        job(3, demand=6),
        job(4, demand=6),
        job(5, demand=6, priority=2),
    ]
    problem = planar_problem(points, jobs=jobs, vehicles=[van(capacity=10, shift_end=1000)])
    solution = solve(problem, engine=engine, time_limit=QUICK)
    why = reasons(solution)
    assert why["frozen"] == UnservedReason.NO_VEHICLE_FITS
    assert why["o2"] == UnservedReason.WINDOW_UNREACHABLE
    # Room for one of the three 6-unit orders: the priority one is kept.
    assert served_ids(solution) == {"o5"}
    assert why["o3"] == why["o4"] == UnservedReason.NOT_ENOUGH_CAPACITY_OR_TIME
    assert all(u.detail for u in solution.unserved)


@pytest.mark.parametrize("engine", ENGINES)
def test_skills_send_the_order_to_the_vehicle_that_has_them(engine):
    points = [(0, 0), (5, 0), (0, 5)]
    jobs = [Job(id="ice", location=1, demand=(1.0,), skills=frozenset({"freezer"})), job(2)]
    vehicles = [
        van("plain", fixed_cost=0.0),
        van("cold", fixed_cost=50.0, skills=frozenset({"freezer"})),
    ]
    solution = solve(
        planar_problem(points, jobs=jobs, vehicles=vehicles), engine=engine, time_limit=QUICK
    )
    carrier = {s.job_id: r.vehicle_id for r in solution.routes for s in r.stops}
    assert carrier["ice"] == "cold"
    assert not solution.unserved


@pytest.mark.parametrize("engine", ENGINES)
def test_second_time_window_is_used_when_the_first_is_unreachable(engine):
    order = Job(
        id="two-windows",
        location=1,
        demand=(1.0,),
        time_windows=(TimeWindow(0, 5), TimeWindow(50, 60)),
    )
    problem = planar_problem([(0, 0), (20, 0)], jobs=[order], vehicles=[van()])
    stop = solve(problem, engine=engine, time_limit=QUICK).routes[0].stops[0]
    assert 50 <= stop.service_start <= 60


@pytest.mark.parametrize("engine", ENGINES)
def test_max_duration_makes_the_vehicle_leave_late_instead_of_waiting(engine):
    # 10 km away, window opens at 100 s, route may last 30 s: leave at 90 s or later.
    problem = planar_problem(
        [(0, 0), (10, 0)],
        jobs=[job(1, window=(100, 110))],
        vehicles=[van(max_duration=30.0, shift_end=1000)],
    )
    route = solve(problem, engine=engine, time_limit=QUICK).routes[0]
    assert route.start_time >= 90 - 1e-9
    assert route.duration <= 30 + 1e-9


@pytest.mark.parametrize("engine", ENGINES)
def test_max_distance_splits_the_work(engine):
    points = [(0, 0), (10, 0), (-10, 0)]
    vehicles = [van("a", max_distance=25.0), van("b", max_distance=25.0)]
    solution = solve(
        planar_problem(points, jobs=[job(1), job(2)], vehicles=vehicles),
        engine=engine,
        time_limit=QUICK,
    )
    assert solution.vehicles_used == 2
    assert all(route.distance <= 25 for route in solution.routes)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_load_dimensions_both_respected(engine):
    # Each order is light but bulky: volume, not weight, limits a van to two orders.
    vehicles = [Vehicle(id=f"v{k}", start_depot="D", capacity=(1000.0, 2.0)) for k in range(2)]
    jobs = [Job(id=f"o{i}", location=i, demand=(10.0, 1.0)) for i in range(1, 5)]
    problem = planar_problem([(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)], jobs=jobs, vehicles=vehicles)
    solution = solve(problem, engine=engine, time_limit=QUICK)
    assert not solution.unserved
    assert [len(route.stops) for route in solution.routes] == [2, 2]
    assert all(route.load_start == (20.0, 2.0) for route in solution.routes)
    assert solution.routes[0].stops[-1].load_after == (0.0, 0.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_real_addresses_with_haversine_and_hourly_cost(engine):
    # A Lyon depot and three drops in town, 30 km/h, 8:00–12:00 shift, windows in seconds.
    points = [(45.7640, 4.8357), (45.7580, 4.8320), (45.7700, 4.8500), (45.7500, 4.8600)]
    jobs = [
        Job(
            id=f"drop-{i}",
            location=i,
            demand=(50.0,),
            service_time=300.0,
            time_windows=(TimeWindow(9 * 3600, 11 * 3600),),
        )
        for i in (1, 2, 3)
    ]
    vehicles = [
        Vehicle(
            id="van",
            start_depot="lyon",
            capacity=(500.0,),
            shift_start=8 * 3600,
            shift_end=12 * 3600,
            cost_per_km=0.5,
            cost_per_hour=30.0,
            fixed_cost=20.0,
        )
    ]
    problem = Problem.build(
        locations=points,
        depots=[Depot("lyon", 0)],
        jobs=jobs,
        vehicles=vehicles,
        matrix_provider=HaversineMatrix(speed_kmh=30),
        coordinates="latlon",
    )
    solution = solve(problem, engine=engine, time_limit=QUICK)
    route = solution.routes[0]
    assert len(route.stops) == 3
    # Paid for the route's duration: leaving late avoids paying for an hour of waiting.
    assert route.duration < 3600
    assert route.cost == pytest.approx(20.0 + 0.5 * route.distance + 30.0 * route.duration / 3600)
    assert solution.cost == pytest.approx(route.cost)


@pytest.mark.parametrize("engine", ENGINES)
def test_no_orders_gives_an_empty_plan(engine):
    problem = planar_problem([(0, 0)], jobs=[], vehicles=[van()])
    solution = solve(problem, engine=engine, time_limit=QUICK)
    assert solution.routes == () and solution.unserved == ()
    assert solution.distance == 0 and solution.served_count == 0


def test_window_narrower_than_the_time_resolution_is_reported_unreachable():
    problem = planar_problem(
        [(0, 0), (1, 0)], jobs=[job(1, window=(10.01, 10.02))], vehicles=[van()]
    )
    solution = solve(problem, time_limit=QUICK, scale=Scale(time_per_second=1))
    assert reasons(solution) == {"o1": UnservedReason.WINDOW_UNREACHABLE}


def test_unknown_engine_is_refused():
    problem = planar_problem([(0, 0), (1, 0)], jobs=[job(1)], vehicles=[van()])
    with pytest.raises(ValueError, match="Unknown routing engine"):
        solve(problem, engine="gurobi", time_limit=QUICK)


def test_integer_model_rounds_towards_feasibility():
    problem = planar_problem(
        [(0, 0), (1, 1)],
        jobs=[job(1, demand=0.1, window=(0.05, 9.99))],
        vehicles=[van(capacity=0.25, shift_start=0.05, shift_end=20.04)],
    )
    model = integer_model(
        problem, [0], Scale(distance_per_km=10, time_per_second=10, demand_per_unit=10)
    )
    assert model.duration[0, 1] == 15  # sqrt(2) = 1.414 s → 1.5 s, rounded up
    assert model.distance[0, 1] == 15
    assert model.demand[0, 0] == 1  # 0.1 stays 1 tick despite binary fractions
    assert model.capacity[0, 0] == 2  # 0.25 → 0.2, rounded down
    assert model.windows[0] == ((1, 99),)  # start up, end down
    assert (model.shift_start[0], model.shift_end[0]) == (1, 200)


def test_solve_refuses_a_plan_the_checker_rejects(monkeypatch):
    # An engine bug (a route over capacity) must surface as an error, never as a plan.
    problem = planar_problem(
        [(0, 0), (1, 0), (2, 0)],
        jobs=[job(1, demand=6), job(2, demand=6)],
        vehicles=[van(capacity=10), van("v2", capacity=10)],
    )

    def broken_engine(*args, **kwargs):
        return EngineResult(routes=(EngineRoute(0, (0, 1), 0),), status="feasible")

    monkeypatch.setattr(routing_solver, "_run_engine", broken_engine)
    with pytest.raises(InfeasiblePlanError, match=r"carries 12\.0") as error:
        solve(problem, time_limit=QUICK)
    assert not error.value.report.feasible


class TestChecker:
    """The checker must catch each kind of broken plan, not only bless good ones."""

    @pytest.fixture
    def problem(self):
        points = [(0, 0), (10, 0), (20, 0), (100, 0)]
        jobs = [job(1, demand=4, window=(0, 50), service=2), job(2, demand=4, window=(0, 50))]
        vehicles = [
            van("a", capacity=10, shift_end=100, max_duration=80, max_distance=60),
            van("b", capacity=5, depot="E", shift_start=5),
        ]
        return planar_problem(
            points, jobs=jobs, vehicles=vehicles, depots=[Depot("D", 0), Depot("E", 3)]
        )

    def plan(self, problem, *routes, unserved=()):
        return Solution(routes=tuple(routes), unserved=tuple(unserved), engine="test")

    def test_good_plan_passes(self, problem):
        route = route_schedule(problem, vehicle_index=0, job_indices=[0, 1], start_time=0.0)
        assert check_solution(problem, self.plan(problem, route)).feasible

    def test_each_violation_is_reported(self, problem):
        good = route_schedule(problem, vehicle_index=0, job_indices=[0, 1], start_time=0.0)
        cases = {
            "neither served": self.plan(problem),
            "appears 2 times": self.plan(problem, good, good),
            "carries 8.0": self.plan(
                problem,
                route_schedule(problem, vehicle_index=1, job_indices=[0, 1], start_time=5.0),
            ),
            "outside its time windows": self.plan(
                problem,
                route_schedule(problem, vehicle_index=0, job_indices=[0, 1], start_time=45.0),
            ),
            "after its shift ends": self.plan(
                problem,
                route_schedule(problem, vehicle_index=0, job_indices=[0, 1], start_time=90.0),
            ),
            "before its shift starts": self.plan(
                problem,
                route_schedule(problem, vehicle_index=1, job_indices=[0], start_time=0.0),
                route_schedule(problem, vehicle_index=0, job_indices=[1], start_time=0.0),
            ),
            "starts at": self.plan(problem, dataclasses.replace(good, start_depot="E")),
            "ends at": self.plan(problem, dataclasses.replace(good, end_depot="E")),
            "reported distance differs": self.plan(
                problem, dataclasses.replace(good, distance=1.0)
            ),
            "reported end time differs": self.plan(
                problem, dataclasses.replace(good, end_time=1.0)
            ),
            "reported start load differs": self.plan(
                problem, dataclasses.replace(good, load_start=(3.0,))
            ),
            "reported arrival": self.plan(
                problem,
                dataclasses.replace(
                    good, stops=(dataclasses.replace(good.stops[0], arrival=1.0), good.stops[1])
                ),
            ),
            "reported waiting": self.plan(
                problem,
                dataclasses.replace(
                    good, stops=(dataclasses.replace(good.stops[0], waiting=3.0), good.stops[1])
                ),
            ),
            "service starts before arrival": self.plan(
                problem,
                dataclasses.replace(
                    good,
                    stops=(
                        dataclasses.replace(good.stops[0], service_start=1.0, waiting=-9.0),
                        good.stops[1],
                    ),
                ),
            ),
            "reported departure": self.plan(
                problem,
                dataclasses.replace(
                    good, stops=(dataclasses.replace(good.stops[0], departure=99.0), good.stops[1])
                ),
            ),
            "load after stop differs": self.plan(
                problem,
                dataclasses.replace(
                    good,
                    stops=(dataclasses.replace(good.stops[0], load_after=(8.0,)), good.stops[1]),
                ),
            ),
            "wrong location": self.plan(
                problem,
                dataclasses.replace(
                    good, stops=(dataclasses.replace(good.stops[0], location=2), good.stops[1])
                ),
            ),
            "unknown order": self.plan(
                problem,
                dataclasses.replace(
                    good, stops=(*good.stops, dataclasses.replace(good.stops[0], job_id="ghost"))
                ),
            ),
            "unknown vehicle": self.plan(
                problem, good, dataclasses.replace(good, vehicle_id="ghost")
            ),
            "Unserved order ghost is not in the problem": self.plan(
                problem,
                good,
                unserved=[routing_solver.UnservedOrder("ghost", UnservedReason.NO_VEHICLE_FITS)],
            ),
            "has no reason": self.plan(
                problem,
                route_schedule(problem, vehicle_index=0, job_indices=[0], start_time=0.0),
                unserved=[routing_solver.UnservedOrder("o2", "")],
            ),
            "more than one route": self.plan(
                problem,
                route_schedule(problem, vehicle_index=0, job_indices=[0], start_time=0.0),
                route_schedule(problem, vehicle_index=0, job_indices=[1], start_time=0.0),
            ),
        }
        for expected, plan in cases.items():
            violations = " | ".join(check_solution(problem, plan).violations)
            assert expected in violations, (expected, violations)

    def test_limits_and_skills(self, problem):
        far = dataclasses.replace(
            problem,
            jobs=(
                *problem.jobs,
                Job(id="far", location=3, demand=(1.0,), skills=frozenset({"crane"})),
            ),
        )
        route = route_schedule(far, vehicle_index=0, job_indices=[0, 1, 2], start_time=0.0)
        violations = " | ".join(check_solution(far, self.plan(far, route)).violations)
        assert "more than its maximum 60.000 km" in violations
        assert "more than its maximum 80.000 s" in violations
        assert "after its shift ends" in violations
        assert "lacks skills ['crane']" in violations


@pytest.mark.parametrize("engine", ENGINES)
def test_a_depot_no_vehicle_uses_is_never_visited(engine):
    # Found by the property test: OR-Tools took an unused depot for one more stop.
    problem = planar_problem(
        [(0, 0), (5, 5), (3, 0)],
        jobs=[job(2)],
        vehicles=[van()],
        depots=[Depot("D", 0), Depot("spare", 1)],
    )
    solution = solve(problem, engine=engine, time_limit=QUICK)
    assert [s.job_id for r in solution.routes for s in r.stops] == ["o2"]
    assert solution.distance == pytest.approx(6.0)
