"""Pure vehicle-routing core: no Django here.

``solve(problem)`` screens out orders nobody can serve, scales the rest to integers, runs an
engine (PyVRP by default, OR-Tools as the second), lays the routes out in real units and checks
the plan with the independent checker before returning it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from routing.solver.checker import CheckReport, check_solution
from routing.solver.problem import (
    Break,
    Depot,
    Job,
    Problem,
    ProblemError,
    TimeWindow,
    Vehicle,
)
from routing.solver.scaling import EngineResult, IntegerModel, Scale, integer_model
from routing.solver.screening import screen_orders
from routing.solver.solution import (
    Route,
    Solution,
    Stop,
    UnservedOrder,
    UnservedReason,
    route_schedule,
)

if TYPE_CHECKING:
    import pyvrp

Engine = Literal["auto", "pyvrp", "ortools"]
ENGINES: tuple[str, ...] = ("auto", "pyvrp", "ortools")


class InfeasiblePlanError(RuntimeError):
    """An engine returned a plan that breaks a rule. A bug, never the planner's fault: the plan
    and the checker's report travel with the error for the log."""

    def __init__(self, solution: Solution, report: CheckReport) -> None:
        super().__init__("Infeasible plan: " + "; ".join(report.violations[:5]))
        self.solution = solution
        self.report = report


def solve(
    problem: Problem,
    *,
    engine: Engine = "auto",
    time_limit: float = 10.0,
    seed: int = 0,
    scale: Scale | None = None,
    serve_all: bool = False,
    params: pyvrp.SolveParams | None = None,
) -> Solution:
    """Plan routes for ``problem`` within about ``time_limit`` seconds of wall time.

    Returns a :class:`Solution` in real units (seconds, km, currency) in which every order is
    either on a route or listed as unserved with its reason. Raises :class:`InfeasiblePlanError`
    if the independent checker finds a violated rule (capacity, window, shift, duration,
    distance, skills, a lost order).

    ``serve_all`` tells PyVRP every order is required (benchmark instances, where the fleet is
    known to suffice): its search is stronger on required clients than on prize-collecting
    ones. Orders it cannot fit still come back unserved, never on an infeasible route.
    ``params`` are PyVRP ``SolveParams`` (benchmarks tune them).

    ``engine="auto"`` picks OR-Tools when a vehicle has a break or an order a soft window (what
    PyVRP cannot plan), PyVRP otherwise; asking PyVRP for such a problem is a
    :class:`ProblemError`."""
    began = time.perf_counter()
    if engine == "auto":
        engine = "ortools" if problem.needs_ortools else "pyvrp"
    elif engine == "pyvrp" and problem.needs_ortools:
        raise ProblemError(
            "The PyVRP engine plans neither driver breaks nor soft time windows; use the "
            "ortools engine (or auto).",
            field_name="engine",
        )
    scale = scale or Scale()
    servable, unserved = screen_orders(problem)
    model = integer_model(problem, servable, scale)
    unserved += [
        UnservedOrder(
            problem.jobs[j].id,
            UnservedReason.WINDOW_UNREACHABLE,
            "its time windows are shorter than the time resolution or outside every shift.",
        )
        for j in model.untimeable
    ]
    remaining = max(0.05, time_limit - (time.perf_counter() - began))
    result = _run_engine(engine, problem, model, remaining, seed, serve_all, params)

    routes = tuple(
        route_schedule(
            problem,
            vehicle_index=r.vehicle_index,
            job_indices=r.job_indices,
            start_time=model.to_seconds(r.start_ticks),
            break_after=r.break_after,
            other_starts=[model.to_seconds(t) for t in r.other_start_ticks],
        )
        for r in result.routes
        if r.job_indices
    )
    planned = {j for r in result.routes for j in r.job_indices}
    unserved += [
        UnservedOrder(
            problem.jobs[j].id,
            UnservedReason.NOT_ENOUGH_CAPACITY_OR_TIME,
            "the fleet has no capacity or shift time left for it.",
        )
        for j in model.jobs
        if j not in planned
    ]
    solution = Solution(
        routes=routes,
        unserved=tuple(unserved),
        engine=engine,
        seconds=time.perf_counter() - began,
        stats={"status": result.status, "objective": result.objective},
    )
    report = check_solution(problem, solution)
    if not report.feasible:
        raise InfeasiblePlanError(solution, report)
    return solution


def _run_engine(
    engine: str,
    problem: Problem,
    model: IntegerModel,
    time_limit: float,
    seed: int,
    serve_all: bool = False,
    params: pyvrp.SolveParams | None = None,
) -> EngineResult:
    if engine == "pyvrp":
        from routing.solver.pyvrp_engine import solve_pyvrp

        return solve_pyvrp(
            problem, model, time_limit=time_limit, seed=seed, required=serve_all, params=params
        )
    if engine == "ortools":
        from routing.solver.ortools_engine import solve_ortools

        return solve_ortools(problem, model, time_limit=time_limit)
    raise ValueError(f"Unknown routing engine {engine!r}; choose one of {ENGINES}.")


__all__ = [
    "ENGINES",
    "Break",
    "CheckReport",
    "Depot",
    "InfeasiblePlanError",
    "Job",
    "Problem",
    "ProblemError",
    "Route",
    "Scale",
    "Solution",
    "Stop",
    "TimeWindow",
    "UnservedOrder",
    "UnservedReason",
    "Vehicle",
    "check_solution",
    "solve",
]
