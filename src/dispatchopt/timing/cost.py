"""The one route cost: travel + weighted lateness + overtime, in cost units (1 = one travel minute).

:func:`dispatchopt.objective.plan_cost` is the sum of :func:`route_cost` over a plan's routes plus
the unassigned penalties and the workload-balance term, so a route priced here and a plan priced
there agree. The forward pass's :class:`~dispatchopt.timing.forward.RouteState` is priced the same
way by :func:`state_cost` (construction, repair, local search and live insertion price moves by it).

A crew job's lateness is shared among its k visits (each pays 1/k), so the k routes of a crew
together pay it once, as ``plan_cost`` always did. A ``follow_up`` job with ``same_technician:
prefer`` served by another person costs ``objective.other_technician_follow_up`` (a crew visit by
someone else pays its 1/k share; docs/multiday.md).
"""

from __future__ import annotations

from ..domain import Job, Problem, Technician
from ..plan import Route
from .forward import RouteState, TechContext


def travel_cost(problem: Problem, travel_s: int) -> float:
    """Cost of ``travel_s`` seconds of travel."""
    return travel_s / 60 * problem.objective.travel_minute


def late_cost(problem: Problem, job: Job, start_s: int) -> float:
    """Cost of one visit of ``job`` starting at ``start_s``: minutes past due x late_minute x
    weight, divided by the crew size (each member's route pays its share)."""
    late = start_s - job.due_s
    if late <= 0:
        return 0.0
    return late / 60 * problem.objective.late_minute * problem.weight(job) / job.crew_size


def follow_up_cost(problem: Problem, job: Job, tech: Technician) -> float:
    """Cost of ``tech``'s visit of ``job``: the other-technician price of a "prefer" follow-up
    served by another person (its 1/k share for a crew visit), else 0."""
    follow = job.follow_up
    if follow is None or follow.mode != "prefer" or tech.person_id == follow.person:
        return 0.0
    return problem.objective.other_technician_follow_up / job.crew_size


def overtime_cost(problem: Problem, shift_end_s: int, return_s: int | None) -> float:
    """Cost of being back at ``return_s`` after the last shift end ``shift_end_s``."""
    if return_s is None or return_s <= shift_end_s:
        return 0.0
    return (return_s - shift_end_s) / 60 * problem.objective.overtime_minute


def route_cost(problem: Problem, route: Route) -> float:
    """Travel (return included) + weighted lateness + overtime of one plan route.

    Visits of jobs the problem does not know, and the overtime of an unknown technician, cost
    nothing here (the verifier reports them)."""
    travel_s = sum(v.travel_s for v in route.visits)
    if route.ret is not None:
        travel_s += route.ret.travel_s
    late = 0.0
    tech = problem.technician(route.technician) if problem.has_technician(route.technician) else None
    for visit in route.visits:
        if problem.has_job(visit.job):
            job = problem.job(visit.job)
            late += late_cost(problem, job, visit.start_s)
            if tech is not None and job.follow_up is not None:
                late += follow_up_cost(problem, job, tech)
    over = 0.0
    if route.ret is not None and problem.has_technician(route.technician):
        over = overtime_cost(problem, problem.technician(route.technician).shift_end_s,
                             route.ret.arrival_s)
    return travel_cost(problem, travel_s) + late + over


def route_work_s(route: Route) -> int:
    """Travel (return included) + service seconds of one plan route (the balance term's work)."""
    work = sum(v.travel_s + (v.end_s - v.start_s) for v in route.visits)
    return work + (route.ret.travel_s if route.ret is not None else 0)


def state_cost(problem: Problem, ctx: TechContext, state: RouteState) -> float:
    """:func:`route_cost` of the route a forward-pass state describes (same terms, same units)."""
    late = 0.0
    for job_id, start in state.starts:
        job = problem.job(job_id)
        late += late_cost(problem, job, start)
        if job.follow_up is not None:
            late += follow_up_cost(problem, job, ctx.tech)
    travel = travel_cost(problem, state.travel_s + state.return_travel_s)
    return travel + late + overtime_cost(problem, ctx.tech.shift_end_s, state.return_s)


def unassigned_cost(problem: Problem, job: Job) -> float:
    """The penalty for leaving ``job`` out (0 for a job that is not dispatchable)."""
    if not job.dispatchable:
        return 0.0
    return problem.objective.unassigned * problem.weight(job)
