"""Priority repair of a plan: get dropped heavy jobs in, pushing lighter work out if need be.

Local search moves one visit at a time, so a dropped emergency whose only qualified technician
is fully booked with work that others could do needs two moves at once (move a light job away,
then insert the emergency). This pass does exactly that, for every unassigned solo job, heaviest
category first:

1. insert it where it costs least: every position of its :data:`PLACE_ROUTES` qualified routes
   that pass nearest to it is priced by the whole route's change in cost
   (:mod:`dispatchopt.timing.cost`: travel, weighted lateness, overtime), so delaying later
   visits is paid for;
2. else, on each of its :data:`EJECT_ROUTES` nearest qualified routes, eject one lighter job,
   insert the heavy job in or next to the hole, and re-insert the ejected job elsewhere if it
   fits (its best place on the other routes is cached until one of them changes; else it is
   unassigned, with a reason naming the job that displaced it). The candidate whose whole cost
   change (the ejection's saving, both insertions, or the ejected job's unassigned penalty) is
   least is kept, when it is less than leaving the heavy job out.

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
from ..travel import matrix_of
from .stopping import Stop, deadline_with

HEAVY_WEIGHT = 10.0   # categories at least this heavy may eject lighter work
# A heavy job tries ejection on its EJECT_ROUTES qualified routes that pass nearest to it, and is
# put in at most HOLE_POSITIONS positions around the hole left by the ejected visit. Measured on
# VROOM's plan of the bundled 150 x 2000 day (level 5, 15 s; plan_cost 68.5 M): every route and
# every position, each ejected job priced on every route: 59.2 M after 10 s, 52.7 M after 20 s;
# the ejected job's placement cached: 32.6 M / 31.0 M (still ~1 s per heavy job);
# a further 10 s and 40 %: 32.1 M after 10 s, 30.7 M at its end (20.4 s). A job is placed (and an ejected job
# re-placed) on its PLACE_ROUTES nearest qualified routes.
EJECT_ROUTES = 12
PLACE_ROUTES = 16
HOLE_POSITIONS = 1    # positions each side of the hole (the hole itself always)


EMERGENCY_WEIGHT = 100.0   # a category this heavy is an emergency: on time first, whatever it costs


def due_reachable(problem: Problem, job: Job) -> bool:
    """Could some qualified technician start ``job`` by its SLA due on an empty day? (Breaks and
    other jobs ignored: a necessary condition.)"""
    matrix = matrix_of(problem)
    lo = rules.earliest_start_s(job)
    candidates = [problem.technician(p) for p in job.pinned_to] or rules.qualified_leads(problem, job)
    for tech in candidates:
        go = matrix.travel_s(tech.start, job.location)
        for shift in tech.shifts:
            start = max(lo, shift.start_s + go)
            last = shift is tech.shifts[-1]
            if start <= job.due_s and start + job.duration_s <= shift.end_s + (tech.max_overtime_s if last else 0):
                return True
    return False


def reachable_emergencies(problem: Problem) -> frozenset[str]:
    """Dispatchable emergencies (weight >= :data:`EMERGENCY_WEIGHT`) that some qualified
    technician could start by their due on an empty day (:func:`due_reachable`): the jobs a
    search puts on time before anything else."""
    return frozenset(j.id for j in problem.jobs
                     if j.dispatchable and problem.weight(j) >= EMERGENCY_WEIGHT
                     and rules.static_unassigned_reason(problem, j) is None and due_reachable(problem, j))


def late_emergencies(problem: Problem, urgent: frozenset[str], starts: dict[str, int]) -> int:
    """How many of ``urgent`` (:func:`reachable_emergencies`) are not on time, given the
    planned start of each job (``starts``: job id -> start; a crew job's latest member)."""
    return sum(not rules.on_time(problem.job(j), starts.get(j)) for j in urgent)


def plan_starts(plan: Plan) -> dict[str, int]:
    """job id -> its start in ``plan`` (a crew job's latest member)."""
    out: dict[str, int] = {}
    for route in plan.routes:
        for visit in route.visits:
            out[visit.job] = max(visit.start_s, out.get(visit.job, visit.start_s))
    return out


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
        self.version: dict[str, int] = {}
        self.matrix = matrix_of(problem)
        self.seconds = self.matrix.seconds
        self.elsewhere: dict[str, tuple] = {}

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
        for tid in self.nearest(job, PLACE_ROUTES, routes=routes, empty=True):
            found = ins.best_insertion(self.problem, routes[tid], job)
            if found is not None and (best is None or found.cost < best.cost):
                best = _Move(found.cost, tid, found)
        if best is not None and best.cost >= costs.unassigned_cost(self.problem, job):
            return None
        return best

    def set_route(self, tid: str, route: ins.TimedRoute) -> None:
        """Replace a route (its version moves on, so cached placements that priced it expire)."""
        self.routes[tid] = route
        self.version[tid] = self.version.get(tid, 0) + 1
        self.changed.add(tid)

    def commit(self, move: _Move, job: Job) -> None:
        route = self.routes[move.tech]
        self.set_route(move.tech, ins.insert(self.problem, route, job.id, move.insertion.position))
        self.reasons.pop(job.id, None)

    def nearest(self, job: Job, k: int, *, routes: dict[str, ins.TimedRoute] | None = None,
                empty: bool = False, exclude: str | None = None) -> list[str]:
        """The ``k`` qualified routes that pass nearest to ``job`` (least travel from one of
        their visits or their start), nearest first; empty routes only with ``empty``."""
        routes = routes or self.routes
        seconds = self.seconds
        here = self.matrix.index(job.location)
        scored = []
        for tid in self.candidates(job):
            route = routes[tid]
            if tid == exclude or not (route.items or empty):
                continue
            near = min(int(seconds[loc, here]) for loc in (route.states[0].loc, *route.locs))
            scored.append((near, tid))
        return [tid for _, tid in sorted(scored)[:k]]

    def best_elsewhere(self, job: Job, tid: str) -> _Move | None:
        """:meth:`best_place` of ``job`` over its routes other than ``tid`` (the one it is on),
        cached until one of those routes changes (most heavy jobs eject from the same routes)."""
        others = self.nearest(job, PLACE_ROUTES, empty=True, exclude=tid)
        stamp = (tid, tuple(self.version.get(t, 0) for t in others))
        cached = self.elsewhere.get(job.id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        best: _Move | None = None
        for other in others:
            found = ins.best_insertion(self.problem, self.routes[other], job)
            if found is not None and (best is None or found.cost < best.cost):
                best = _Move(found.cost, other, found)
        self.elsewhere[job.id] = (stamp, best)
        return best

    def eject_for(self, job: Job, deadline_s: float | None) -> tuple | None:
        """The best (loss, technician, position ejected, re-insertion of the ejected job or None,
        insertion of ``job``) that makes room for ``job`` by taking one lighter solo job out of
        a qualified route.

        Priced incrementally: ``job`` fits nowhere as the routes stand (else it would have been
        inserted), so only the route it is made room in is priced for it; the ejected job's best
        place on the other routes is cached (:meth:`best_elsewhere`), and the route with ``job``
        in it is priced for it on top. A candidate whose ejection and insertion alone already
        cost the unassigned penalty (or the best loss so far) is not priced further."""
        problem = self.problem
        best = None
        limit = costs.unassigned_cost(problem, job)
        for tid in self.nearest(job, EJECT_ROUTES):
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
                found = None
                hole = range(max(0, pos - HOLE_POSITIONS), min(len(shorter.items), pos + HOLE_POSITIONS) + 1)
                for option in ins.insertions(problem, shorter, job, positions=hole):
                    if found is None or option.cost < found.cost:
                        found = option
                if found is None:
                    continue
                partial = (shorter.cost - route.cost) + found.cost
                if partial >= min(limit, best[0] if best is not None else limit):
                    continue
                placed = _Move(found.cost, tid, found)
                after = ins.insert(problem, shorter, job.id, found.position)
                moved = self.best_elsewhere(other, tid)
                if tid in self.candidates(other):
                    here = ins.best_insertion(problem, after, other)
                    if here is not None and (moved is None or here.cost < moved.cost):
                        moved = _Move(here.cost, tid, here)
                if moved is not None and moved.cost >= costs.unassigned_cost(problem, other):
                    moved = None
                # the whole change: the ejected job's saving, the heavy job's insertion, and
                # the ejected job re-inserted elsewhere (or its unassigned penalty)
                loss = partial + (moved.cost if moved is not None else costs.unassigned_cost(problem, other))
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
        work.set_route(tid, ins.remove(problem, work.routes[tid], {other.id}))
        work.commit(placed, job)
        if moved is not None:
            work.commit(moved, other)
        else:
            work.reasons[other.id] = f"displaced by higher-priority job {job.id} ({job.category})"
    return work.plan(plan)
