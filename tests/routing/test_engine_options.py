"""Engine options the benchmarks use: every order required, tuned PyVRP parameters."""

from __future__ import annotations

import pyvrp
from pyvrp.search import NeighbourhoodParams

from routing.solver import UnservedReason, check_solution, solve
from tests.routing.helpers import job, planar_problem, van


def test_serve_all_serves_everything_that_fits():
    points = [(0, 0), (3, 0), (0, 4), (-2, 0), (0, -5)]
    problem = planar_problem(points, jobs=[job(i, demand=2) for i in range(1, 5)],
                             vehicles=[van(capacity=4), van("v2", capacity=4)])  # fmt: skip
    params = pyvrp.SolveParams(neighbourhood=NeighbourhoodParams(num_neighbours=3))
    solution = solve(problem, engine="pyvrp", time_limit=0.2, serve_all=True, params=params)
    assert not solution.unserved and solution.vehicles_used == 2
    assert check_solution(problem, solution).feasible


def test_serve_all_with_too_small_a_fleet_still_returns_only_feasible_routes():
    points = [(0, 0), (3, 0), (0, 4), (-2, 0)]
    problem = planar_problem(points, jobs=[job(i, demand=3) for i in range(1, 4)],
                             vehicles=[van(capacity=4)])  # fmt: skip
    solution = solve(problem, engine="pyvrp", time_limit=0.2, serve_all=True)
    assert check_solution(problem, solution).feasible
    served = sum(len(r.stops) for r in solution.routes)
    assert served + len(solution.unserved) == 3 and solution.unserved
    assert {u.reason for u in solution.unserved} == {UnservedReason.NOT_ENOUGH_CAPACITY_OR_TIME}
