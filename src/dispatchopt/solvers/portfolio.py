"""The field-service portfolio: construction, VROOM on the relaxation, repair, then OR-Tools on
the exact model from the best plan so far. The default engine of ``solve`` for field-service days.

Phases (each timed; the times land in ``Result.stats.extra["phases"]``):

1. ``start``: the construction (``solvers.construct.construct_plan`` when it exists, else the
   greedy plan + priority repair). It decides every crew's members and common start.
2. ``vroom``: VROOM (:mod:`.vroom_backend`) with those crews fixed, SLA due as hard window ends,
   then ``repair_plan`` for what it dropped. VROOM is fast and strong on travel; it knows no
   soft deadline, so its plan is priced by ``plan_cost`` like every other.
3. ``lns``: the Python ruin-and-recreate (``solvers.lns.improve``) when it exists.
4. ``ortools``: OR-Tools routing on the exact model (soft SLA deadlines, overtime, balance,
   churn) warm-started from the cheapest plan so far, for the time left; it stops early when
   nothing improves, and never returns worse than its start.

The cheapest plan by :func:`dispatchopt.objective.plan_cost` is returned; it always verifies
(every phase's plan is built by the forward pass or read back through ``build_route`` and
checked by the routing backend's own guard).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from ..domain import Problem
from ..objective import plan_cost
from ..plan import Plan
from .base import Result, Statistics
from .vroom_backend import crew_fixes_of, solve_vroom, start_plan, status_of

log = logging.getLogger("dispatchopt")

BACKEND = "portfolio"
VROOM_SHARE = 0.4          # of the time limit, for the VROOM phase (exploration decides the rest)


def exploration_for(problem: Problem, budget_s: float) -> int:
    """VROOM's exploration level for this size and budget: 5 where it finishes in about the
    budget (measured: 40 x 300 at level 5 about 11 s, level 2 about 2 s, one core), lower when
    the day is big for the time."""
    size = len(problem.jobs) * max(1, len(problem.technicians)) ** 0.5
    for level, per_unit in ((5, 0.0045), (4, 0.003), (3, 0.0015), (2, 0.0009), (1, 0.0004)):
        if size * per_unit <= budget_s:
            return level
    return 0


def _lns_improve():
    try:
        from .lns import improve
    except ImportError:
        return None
    return improve


def solve_portfolio(problem: Problem, *, time_limit_s: float = 30.0, seed: int = 0,
                    initial: Plan | None = None, churn_penalty_min: float = 0.0,
                    solution_limit: int | None = None, use_vroom: bool = True, use_ortools: bool = True,
                    use_lns: bool = True, exploration: int | None = None) -> Result:
    """Plan ``problem`` with the portfolio (module doc); ``time_limit_s`` bounds the whole call.

    ``initial`` (a live re-plan's published plan) replaces the construction as the start; the
    VROOM phase is then skipped (it would move every job: churn) and OR-Tools re-plans from it
    with ``churn_penalty_min``. ``solution_limit`` makes the run reproducible: VROOM runs its
    exploration to the end, the construction and repair get no deadline, OR-Tools stops after
    that many solutions. The ``use_*`` switches and ``exploration`` (VROOM's level; default
    by size and budget) are for measurements.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s * 0.97
    phases: dict[str, float] = {}
    candidates: list[tuple[float, str, Plan]] = []

    def keep(name: str, plan: Plan) -> None:
        cost = plan_cost(problem, plan)
        candidates.append((cost, name, plan))
        log.info("portfolio: %s cost %.1f, %d jobs planned", name, cost, len(plan.assigned_job_ids()))

    fixed = solution_limit is not None
    if initial is not None:
        start = initial
    else:
        start = start_plan(problem, seed=seed, deadline=None if fixed else t0 + 0.1 * time_limit_s)
    phases["start_s"] = time.perf_counter() - t0
    keep("start", start)
    if use_vroom and initial is None and any(j.dispatchable for j in problem.jobs):
        t1 = time.perf_counter()
        budget = min(time_limit_s * VROOM_SHARE, deadline - t1)
        level = exploration if exploration is not None else exploration_for(problem, budget)
        if budget > 0.05:
            vr = solve_vroom(problem, time_limit_s=budget, seed=seed, exploration=level,
                             fixed_crews=crew_fixes_of(problem, start), relax=False, deterministic=fixed)
            keep(f"vroom(x={level})", vr.plan)
        phases["vroom_s"] = time.perf_counter() - t1
    improve = _lns_improve() if use_lns else None
    if improve is not None and not fixed and deadline - time.perf_counter() > 0.2:
        t2 = time.perf_counter()
        best = min(candidates, key=lambda c: c[0])[2]
        lns_deadline = t2 + (deadline - t2) * (0.5 if use_ortools else 1.0)
        keep("lns", improve(problem, best, deadline=lns_deadline, seed=seed))
        phases["lns_s"] = time.perf_counter() - t2
    left = deadline - time.perf_counter()
    if use_ortools and (left > 0.5 or fixed):
        from .routing import solve_routing

        t3 = time.perf_counter()
        best = min(candidates, key=lambda c: c[0])[2]
        routed = solve_routing(problem, time_limit_s=max(left, 0.5), seed=seed, initial=best,
                               churn_penalty_min=churn_penalty_min, solution_limit=solution_limit,
                               stall_s=max(1.0, 0.25 * left))
        keep("ortools", routed.plan)
        phases["ortools_s"] = time.perf_counter() - t3
        phases.update({f"ortools_{k}": v for k, v in routed.stats.extra.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool)})
    cost, name, plan = min(candidates, key=lambda c: (c[0], c[1] != "start"))
    status = status_of(problem, plan)
    wall = time.perf_counter() - t0
    used = f"{BACKEND}:{name}"
    plan = replace(plan, solver=replace(plan.solver, backend=used, time_limit_s=time_limit_s, seed=seed,
                                        status=status.value, objective=round(cost, 3), wall_s=wall))
    log.info("portfolio: best %s (cost %.1f) in %.2f s; phases %s", name, cost, wall,
             ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    costs = {n: c for c, n, _ in candidates}
    return Result(plan, status, Statistics(wall_s=wall, objective=cost,
                                           extra={"backend": used, "phases": phases, "costs": costs}))


__all__ = ["BACKEND", "exploration_for", "solve_portfolio"]
