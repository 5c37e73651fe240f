"""Priority repair of a plan: get dropped heavy jobs in, pushing lighter work out if need be.

Local search moves one visit at a time, so a dropped emergency whose only qualified technician
is fully booked with work that others could do needs two moves at once (move a light job away,
then insert the emergency). This pass does exactly that, for every unassigned solo job, heaviest
category first:

1. insert it where it costs least: every position of every qualified route is priced by the
   whole route's change in cost (:mod:`dispatchopt.timing.cost`: travel, weighted lateness,
   overtime), so delaying later visits is paid for;
2. else, for each qualified technician, eject one lighter job from its route, insert the heavy
   job, and re-insert the ejected job elsewhere if it fits (else it is unassigned, with a
   reason naming the job that displaced it). The candidate whose whole cost change (the
   ejection's saving, both insertions, or the ejected job's unassigned penalty) is least is
   kept, when it is less than leaving the heavy job out.

Insertions are those of :mod:`dispatchopt.timing.insertion` (the forward pass, earliest
starts), so the result is feasible by the same rules as the greedy plan. Crew jobs are left as
they are (their visits keep their common start).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from .. import rules
from ..domain import Job, Problem
from ..plan import Plan, Route, Unassigned
from ..timing import cost as costs
from ..timing import forward as fz
from ..timing import insertion as ins
from .stopping import Stop, deadline_with

HEAVY_WEIGHT = 10.0   # categories at least this heavy may eject lighter work


def route_items(problem: Problem, route: Route) -> list[ins.Item]:
    """Route items for the forward pass: crew visits keep their common start, solo visits float."""
    return [(v.job, v.start_s if problem.job(v.job).crew_size > 1 else None) for v in route.visits]


@dataclass(frozen=True)
class _Move:
    cost: float
    tech: str
    insertion: ins.Insertion


class _Repair:
    """The routes being repaired, as timed routes, and the reasons of the jobs left out."""

    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.contexts = {t.id: fz.TechContext(problem, t) for t in problem.technicians}
        self.routes: dict[str, ins.TimedRoute] = {}
        for tech in problem.technicians:
            route = plan.route(tech.id)
            items = route_items(problem, route) if route is not None else []
            timed = ins.time_route(problem, self.contexts[tech.id], items)
            if isinstance(timed, tuple):          # a route the forward pass cannot re-time
                timed = None
            self.routes[tech.id] = timed
        self.reasons = {u.job: u.reason for u in plan.unassigned}
        self.changed: set[str] = set()

    def candidates(self, job: Job) -> list[str]:
        problem = self.problem
        tids = list(job.pinned_to) if job.pinned_to else list(rules.eligibility(problem)[job.id][0])
        return [t for t in tids if self.routes.get(t) is not None
                and rules.can_lead(problem, problem.technician(t), job)]

    def best_place(self, job: Job, *, routes: dict[str, ins.TimedRoute] | None = None) -> _Move | None:
        """The cheapest feasible insertion over every qualified route, or None (also when
        leaving the job out is cheaper than what it does to the others)."""
        routes = routes or self.routes
        best: _Move | None = None
        for tid in self.candidates(job):
            found = ins.best_insertion(self.problem, routes[tid], job)
            if found is not None and (best is None or found.cost < best.cost):
                best = _Move(found.cost, tid, found)
        if best is not None and best.cost >= costs.unassigned_cost(self.problem, job):
            return None
        return best

    def commit(self, move: _Move, job: Job) -> None:
        route = self.routes[move.tech]
        self.routes[move.tech] = ins.insert(self.problem, route, job.id, move.insertion.position)
        self.changed.add(move.tech)
        self.reasons.pop(job.id, None)

    def eject_for(self, job: Job, deadline_s: float | None) -> tuple | None:
        """The best (loss, technician, position ejected, re-insertion of the ejected job or None,
        insertion of ``job``) that makes room for ``job`` by taking one lighter solo job out of
        a qualified route."""
        problem = self.problem
        best = None
        for tid in self.candidates(job):
            if deadline_s is not None and time.perf_counter() > deadline_s:
                break
            route = self.routes[tid]
            for pos, (other_id, fixed) in enumerate(route.items):
                if deadline_s is not None and time.perf_counter() > deadline_s:
                    break
                other = problem.job(other_id)
                if fixed is not None or other.crew_size > 1 or problem.weight(other) >= problem.weight(job):
                    continue
                shorter = ins.remove(problem, route, {other_id})
                if isinstance(shorter, tuple):
                    continue
                placed = self.best_place(job, routes={**self.routes, tid: shorter})
                if placed is None or placed.tech != tid:
                    continue
                after = ins.insert(problem, shorter, job.id, placed.insertion.position)
                moved = self.best_place(other, routes={**self.routes, tid: after})
                # the whole change: the ejected job's saving, the heavy job's insertion, and
                # the ejected job re-inserted elsewhere (or its unassigned penalty)
                loss = (shorter.cost - route.cost) + placed.cost \
                    + (moved.cost if moved is not None else costs.unassigned_cost(problem, other))
                if best is None or loss < best[0]:
                    best = (loss, tid, pos, moved, placed)
        return best

    def plan(self, plan: Plan) -> Plan:
        """``plan`` with the changed routes re-materialised and the unassigned recomputed."""
        if not self.changed:
            return plan
        problem = self.problem
        out = []
        for route in plan.routes:
            if route.technician in self.changed:
                out.append(self._route(route.technician))
            else:
                out.append(route)
        known = {r.technician for r in plan.routes}
        out += [self._route(tid) for tid in sorted(self.changed - known)]
        planned = {v.job for r in out for v in r.visits}
        unassigned = tuple(Unassigned(j.id, self.reasons.get(j.id, "dropped for higher-priority work"))
                           for j in problem.jobs if j.id not in planned)
        return replace(plan, routes=tuple(out), unassigned=unassigned)

    def _route(self, tid: str) -> Route:
        state = self.routes[tid].final
        if not state.starts:
            return Route(technician=tid)
        return fz.materialise(self.problem, tid, state.starts, state.breaks + state.home_breaks,
                              state.departure_s, state.arrivals, state.return_s)


def repair_plan(problem: Problem, plan: Plan, *, deadline_s: float | None = None,
                stop: Stop | None = None) -> Plan:
    """Return ``plan`` with as many unassigned jobs inserted as this pass can (see module doc).

    ``deadline_s`` is a ``time.perf_counter()`` value after which the pass stops early; so it
    does once ``stop()`` is true (the jobs inserted so far are kept).
    """
    deadline_s = deadline_with(deadline_s, stop)
    pending = [problem.job(u.job) for u in plan.unassigned
               if problem.job(u.job).dispatchable and problem.job(u.job).crew_size == 1
               and rules.static_unassigned_reason(problem, problem.job(u.job)) is None]
    if not pending:
        return plan
    pending.sort(key=lambda j: (-problem.weight(j), j.due_s, j.id))
    work = _Repair(problem, plan)
    for job in pending:
        if deadline_s is not None and time.perf_counter() > deadline_s:
            break
        found = work.best_place(job)
        if found is not None:
            work.commit(found, job)
            continue
        if problem.weight(job) < HEAVY_WEIGHT:
            continue
        best = work.eject_for(job, deadline_s)
        if best is None or best[0] >= costs.unassigned_cost(problem, job):
            continue
        _, tid, pos, moved, placed = best
        other = problem.job(work.routes[tid].items[pos][0])
        shorter = ins.remove(problem, work.routes[tid], {other.id})
        work.routes[tid] = shorter
        work.commit(placed, job)
        if moved is not None:
            work.commit(moved, other)
        else:
            work.changed.add(tid)
            work.reasons[other.id] = f"displaced by higher-priority job {job.id} ({job.category})"
    return work.plan(plan)
