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
    weight + overtime + other-technician follow-ups) over the routes, + unassigned x weight for
    each dispatchable job left out, + workload_balance x the largest person's work minutes.
    Rounded to 3 decimals.

    A crew job's lateness is shared among its visits, so it is paid once per job. The balance
    term is :func:`person_work_s`'s largest value: per person, its ``history_s`` plus the work of
    all its routes (a one-day problem: the largest route's work, as it always was).
    """
    routes = sum(route_cost(problem, route) for route in plan.routes)
    dropped = sum(unassigned_cost(problem, problem.job(u.job)) for u in plan.unassigned
                  if problem.has_job(u.job))
    balance = 0.0
    if problem.objective.workload_balance:
        work = max(person_work_s(problem, plan).values(), default=0)
        balance = problem.objective.workload_balance * (work / 60)
    return round(routes + dropped + balance, 3)


def person_work_s(problem: Problem, plan: Plan) -> dict[str, int]:
    """person -> worked seconds: ``history_s`` (the days before the horizon) + the travel and
    service of all its day copies' routes (:func:`dispatchopt.timing.cost.route_work_s`). A
    technician of a one-day problem is its own person with no history; a route of a technician
    the problem does not know counts under its id."""
    work: dict[str, int] = {}
    for tech in problem.technicians:
        work[tech.person_id] = tech.history_s
    for route in plan.routes:
        person = (problem.technician(route.technician).person_id if problem.has_technician(route.technician)
                  else route.technician)
        work[person] = work.get(person, 0) + route_work_s(route)
    return work
