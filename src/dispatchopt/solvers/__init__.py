"""Solver backends behind one entry point: :func:`solve`.

Backends: ``"ortools"`` (OR-Tools routing, the default), ``"greedy"`` (the dispatcher by hand),
``"pyvrp"`` (PyVRP, plain-routing problems only; optional extra) and ``"auto"`` (PyVRP when the
problem is plain routing and PyVRP is installed, else OR-Tools).
"""

from __future__ import annotations

from dataclasses import replace

from ..domain import Problem
from ..objective import plan_cost
from ..errors import SolverError
from ..plan import Plan
from .base import Result as Result, SolveStatus as SolveStatus, Statistics as Statistics

BACKENDS = ("ortools", "greedy", "pyvrp", "auto")


def solve(problem: Problem, *, backend: str = "ortools", time_limit_s: float = 30.0, seed: int = 0,
          initial: Plan | None = None, solution_limit: int | None = None,
          churn_penalty_min: float = 0.0) -> Result:
    """Plan ``problem``. Always returns a feasible plan; read the outcome off ``result.status``.

    Parameters
    ----------
    backend : one of :data:`BACKENDS`.
    time_limit_s : wall-clock budget of the whole call, in seconds.
    seed : recorded in the plan; makes tie-breaking reproducible.
    initial : a plan to warm-start from (e.g. the published plan in a live re-plan).
    solution_limit : stop after this many improving solutions (reproducible runs).
    churn_penalty_min : with ``initial``, the cost (in travel minutes) of moving a job to
        another technician than in ``initial`` (live re-plans).
    """
    if backend not in BACKENDS:
        raise SolverError(f"backend: unknown backend {backend!r} (expected one of {', '.join(BACKENDS)})")
    if time_limit_s <= 0:
        raise SolverError(f"time_limit_s: must be positive, got {time_limit_s!r}")
    if backend == "auto":
        backend = "ortools"
        try:
            from .pyvrp_backend import is_plain_routing

            if is_plain_routing(problem):
                import pyvrp  # noqa: F401

                backend = "pyvrp"
        except ImportError:
            pass
    if backend == "greedy":
        from .greedy import solve_greedy

        result = solve_greedy(problem, seed=seed)
    elif backend == "pyvrp":
        from .pyvrp_backend import solve_pyvrp

        result = solve_pyvrp(problem, time_limit_s=time_limit_s, seed=seed)
    else:
        from .routing import solve_routing

        result = solve_routing(problem, time_limit_s=time_limit_s, seed=seed, initial=initial,
                               solution_limit=solution_limit, churn_penalty_min=churn_penalty_min)
    # One objective for every backend, so that plans compare.
    cost = plan_cost(problem, result.plan)
    plan = replace(result.plan, solver=replace(result.plan.solver, objective=cost))
    return replace(result, plan=plan, stats=replace(result.stats, objective=cost))


__all__ = ["BACKENDS", "Result", "SolveStatus", "Statistics", "solve"]
