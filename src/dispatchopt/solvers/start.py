"""The plan every search starts from (OR-Tools, VROOM's crews, the portfolio)."""

from __future__ import annotations

import time

from ..domain import Problem
from ..objective import plan_cost
from ..plan import Plan
from .greedy import solve_greedy
from .repair import repair_plan


def start_plan(problem: Problem, *, seed: int = 0, deadline: float | None = None) -> Plan:
    """The cheaper (by ``plan_cost``) of the construction (``solvers.construct.construct_plan``:
    regret insertion, crews jointly) and the greedy plan + priority repair. The greedy costs
    about 0.1 s at 40 x 400 and is sometimes the better start: on the bundled road-graph day,
    OR-Tools stopped after 30 solutions ended at plan_cost 19,327 from the construction and
    10,549 from the greedy plan. ``deadline`` (a ``time.perf_counter()`` value) bounds both."""
    greedy = repair_plan(problem, solve_greedy(problem, seed=seed).plan, deadline_s=deadline)
    try:
        from .construct import construct_plan
    except ImportError:
        return greedy
    if deadline is not None and time.perf_counter() > deadline:
        return greedy
    built = construct_plan(problem, seed=seed, deadline=deadline)
    return built if plan_cost(problem, built) <= plan_cost(problem, greedy) else greedy


__all__ = ["start_plan"]
