"""The objective of a plan, in cost units (1 unit = one travel minute at weight 1).

The same function prices every backend's plan, so their objectives compare. The OR-Tools model
optimises exactly these terms (per second, scaled to integers).
"""

from __future__ import annotations

from .domain import Problem
from .plan import Plan
from .timing.cost import route_cost, route_work_s, unassigned_cost


def plan_cost(problem: Problem, plan: Plan) -> float:
    """Sum of :func:`dispatchopt.timing.cost.route_cost` (travel + late minutes x late_minute x
    weight + overtime) over the routes, + unassigned x weight for each dispatchable job left out,
    + workload_balance x the largest route's work minutes. Rounded to 3 decimals.

    A crew job's lateness is shared among its visits, so it is paid once per job.
    """
    routes = sum(route_cost(problem, route) for route in plan.routes)
    dropped = sum(unassigned_cost(problem, problem.job(u.job)) for u in plan.unassigned
                  if problem.has_job(u.job))
    work = max((route_work_s(route) for route in plan.routes), default=0)
    balance = problem.objective.workload_balance * (work / 60)
    return round(routes + dropped + balance, 3)
