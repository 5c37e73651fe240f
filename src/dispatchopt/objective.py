"""The objective of a plan, in cost units (1 unit = one travel minute at weight 1).

The same function prices every backend's plan, so their objectives compare. The OR-Tools model
optimises exactly these terms (per second, scaled to integers).
"""

from __future__ import annotations

from .domain import Problem
from .plan import Plan


def plan_cost(problem: Problem, plan: Plan) -> float:
    """travel + late minutes x late_minute x weight + unassigned x weight + overtime + balance."""
    obj = problem.objective
    travel_s = 0
    late = 0.0
    work_by_tech = []
    overtime_s = 0
    for route in plan.routes:
        work = 0
        for visit in route.visits:
            travel_s += visit.travel_s
            work += visit.travel_s + (visit.end_s - visit.start_s)
        if route.ret is not None:
            travel_s += route.ret.travel_s
            work += route.ret.travel_s
            if problem.has_technician(route.technician):
                overtime_s += max(0, route.ret.arrival_s - problem.technician(route.technician).shift_end_s)
        work_by_tech.append(work)
    seen: set[str] = set()
    for route in plan.routes:
        for visit in route.visits:
            if visit.job in seen or not problem.has_job(visit.job):
                continue
            seen.add(visit.job)
            job = problem.job(visit.job)
            late += max(0, visit.start_s - job.due_s) / 60 * obj.late_minute * problem.weight(job)
    dropped = sum(obj.unassigned * problem.weight(problem.job(u.job)) for u in plan.unassigned
                  if problem.has_job(u.job) and problem.job(u.job).dispatchable)
    balance = obj.workload_balance * (max(work_by_tech, default=0) / 60)
    return round(travel_s / 60 * obj.travel_minute + late + dropped
                 + overtime_s / 60 * obj.overtime_minute + balance, 3)
