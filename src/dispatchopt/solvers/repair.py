"""Priority repair of a plan: get dropped heavy jobs in, pushing lighter work out if need be.

Local search moves one visit at a time, so a dropped emergency whose only qualified technician
is fully booked with work that others could do needs two moves at once (move a light job away,
then insert the emergency). This pass does exactly that, for every unassigned solo job, heaviest
category first:

1. insert it where it costs least: every position of every qualified route is priced by the
   whole route's change in travel and weighted lateness, so delaying later visits is paid for;
2. else, for each qualified technician, eject one lighter job from its route, insert the heavy
   job, and re-insert the ejected job elsewhere if it fits (else it is unassigned, with a
   reason naming the job that displaced it). The candidate that loses the least is kept.

Routes are re-timed with the forward pass of :mod:`.feasibility` (earliest starts), so the
result is feasible by the same rules as the greedy plan. Crew jobs are left as they are.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .. import rules
from ..domain import Job, Problem
from ..plan import Plan, Route, Unassigned
from ..timing import forward as fz

HEAVY_WEIGHT = 10.0   # categories at least this heavy may eject lighter work


def _items(problem: Problem, route: Route) -> list[tuple[str, int | None]]:
    """Route items for the forward pass: crew visits keep their common start, solo visits float."""
    return [(v.job, v.start_s if problem.job(v.job).crew_size > 1 else None) for v in route.visits]


def repair_plan(problem: Problem, plan: Plan, *, deadline_s: float | None = None) -> Plan:
    """Return ``plan`` with as many unassigned jobs inserted as this pass can (see module doc).

    ``deadline_s`` is a ``time.perf_counter()`` value after which the pass stops early.
    """
    pending = [problem.job(u.job) for u in plan.unassigned
               if problem.job(u.job).dispatchable and problem.job(u.job).crew_size == 1
               and rules.static_unassigned_reason(problem, problem.job(u.job)) is None]
    if not pending:
        return plan
    pending.sort(key=lambda j: (-problem.weight(j), j.due_s, j.id))
    items = {r.technician: _items(problem, r) for r in plan.routes}
    for tech in problem.technicians:
        items.setdefault(tech.id, [])
    contexts = {t.id: fz.TechContext(problem, t) for t in problem.technicians}
    reasons = {u.job: u.reason for u in plan.unassigned}
    changed: set[str] = set()

    def candidates(job: Job) -> list[str]:
        if job.pinned_to:
            return [p for p in job.pinned_to if rules.can_lead(problem, problem.technician(p), job)]
        return [t.id for t in problem.technicians if rules.can_lead(problem, t, job)]

    obj = problem.objective

    def route_cost(schedule: fz.RouteSchedule | None) -> float:
        """Travel + weighted lateness of a timed route, in cost units (inf if infeasible)."""
        if schedule is None:
            return float("inf")
        late = sum(max(0, start - problem.job(j).due_s) * problem.weight(problem.job(j))
                   for j, start in schedule.starts)
        return (schedule.travel_s * obj.travel_minute + late * obj.late_minute) / 60

    def cost_now(tid: str, routes) -> float:
        return route_cost(fz.schedule_route(problem, tid, routes[tid], context=contexts[tid]))

    def best_place(job: Job, exclude: str | None = None, routes=None):
        """(delta cost, tech, Insertion) of the cheapest feasible insertion, or None.

        Every position of every qualified route is priced by the whole route's cost change,
        so a position that makes later visits late pays for it."""
        routes = routes or items
        best = None
        for tid in candidates(job):
            if tid == exclude:
                continue
            route = routes[tid]
            base = cost_now(tid, routes)
            for pos in range(len(route) + 1):
                trial = route[:pos] + [(job.id, None)] + route[pos:]
                schedule = fz.schedule_route(problem, tid, trial, context=contexts[tid])
                if schedule is None:
                    continue
                delta = route_cost(schedule) - base
                if best is None or delta < best[0]:
                    start = schedule.starts[pos][1]
                    best = (delta, tid, fz.Insertion(position=pos, start_s=start, added_travel_s=0,
                                                     schedule=schedule))
        if best is not None and best[0] >= obj.unassigned * problem.weight(job):
            return None                 # cheaper to leave it out than to make others that late
        return best

    def commit(tid: str, ins: fz.Insertion) -> None:
        items[tid] = [(job_id, start if problem.job(job_id).crew_size > 1 else None)
                      for job_id, start in ins.schedule.starts]
        changed.add(tid)

    for job in pending:
        if deadline_s is not None and time.perf_counter() > deadline_s:
            break
        found = best_place(job)
        if found is not None:
            commit(found[1], found[2])
            reasons.pop(job.id, None)
            continue
        if problem.weight(job) < HEAVY_WEIGHT:
            continue
        # Ejection: one lighter solo job out of a qualified technician's route.
        best = None
        for tid in candidates(job):
            if deadline_s is not None and time.perf_counter() > deadline_s:
                break
            route = items[tid]
            for pos, (other_id, fixed) in enumerate(route):
                other = problem.job(other_id)
                if fixed is not None or other.crew_size > 1 or problem.weight(other) >= problem.weight(job):
                    continue
                trial = route[:pos] + route[pos + 1:]
                trial_routes = dict(items)
                trial_routes[tid] = trial
                placed = best_place(job, routes=trial_routes)
                if placed is None or placed[1] != tid:
                    continue
                ins = placed[2]
                trial_routes[tid] = [(j, s if problem.job(j).crew_size > 1 else None)
                                     for j, s in ins.schedule.starts]
                moved = best_place(other, routes=trial_routes)
                loss = (moved[0] if moved is not None
                        else obj.unassigned * problem.weight(other)) + placed[0]
                if best is None or loss < best[0]:
                    best = (loss, tid, ins, other, moved)
        if best is None or best[0] >= obj.unassigned * problem.weight(job):
            continue
        _, tid, ins, other, moved = best
        commit(tid, ins)
        reasons.pop(job.id, None)
        if moved is not None:
            commit(moved[1], moved[2])
        else:
            reasons[other.id] = f"displaced by higher-priority job {job.id} ({job.category})"
    if not changed:
        return plan
    routes = []
    for route in plan.routes:
        if route.technician not in changed:
            routes.append(route)
            continue
        schedule = fz.schedule_route(problem, route.technician, items[route.technician],
                                     context=contexts[route.technician])
        if schedule is None:  # cannot happen: every committed sequence was scheduled
            return plan
        routes.append(schedule.to_route(problem))
    known = {r.technician for r in plan.routes}
    for tid in sorted(changed - known):
        routes.append(fz.schedule_route(problem, tid, items[tid], context=contexts[tid]).to_route(problem))
    planned = {v.job for r in routes for v in r.visits}
    unassigned = tuple(Unassigned(j.id, reasons.get(j.id, "dropped for higher-priority work"))
                       for j in problem.jobs if j.id not in planned)
    return replace(plan, routes=tuple(routes), unassigned=unassigned)
