"""Improvement by ruin and recreate (large neighbourhood search) on the construction's core.

:func:`improve` repeats: remove some jobs from the current plan (one of five ruin operators),
re-insert them together with a sample of the jobs still unassigned by the construction's
regret insertion (:class:`dispatchopt.solvers.construct.Builder`: priority tiers, crews
jointly, regret-2 or -3), and keep the result by a record-to-record rule on the plan cost
(routes' travel + weighted lateness + overtime + the unassigned penalties).

Ruin operators, each removing q jobs (5-30, at most a third of the planned ones):

- random: q planned jobs at random;
- related: a random job and the q-1 closest to it in travel time and start time (Shaw);
- worst: the jobs whose removal saves the most (detour + own lateness), with a random bias;
- route: every job of one or two random routes;
- strings (after Christiaens & Vanden Berghe's SISR): strings of consecutive visits from the
  routes nearest a random job, one string per route.

Local search (``local_search=True``): each new best gets a first-improvement relocate pass
(:func:`relocate`: a visit of a route the iteration changed moves to its cheapest place in its own
route or one of its 8 nearest routes, priced by the route-cost change), followed by a
re-insertion of the jobs still out. At the start and at 85 % of the search every route of the
best is relocated so, then each unassigned solo job may eject work from one of its 3 nearest
routes (:func:`eject_unassigned`, the ejected jobs re-inserted elsewhere) when that is cheaper.

A crew job is removed from all its members' routes and re-inserted jointly, so its common start
and its members are re-optimised. Record-to-record: a candidate is accepted when it costs less
than the current plan, or no more than the best plus a threshold that shrinks linearly to 0
(1 % of the best routes' cost at the start). The search stops at ``deadline``, after
``max_iterations``, or after ``patience`` iterations without a new best. With
``max_iterations`` and no deadline it is deterministic for a seed.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Iterable
from dataclasses import replace

from .. import rules
from ..domain import Problem
from ..objective import plan_cost
from ..plan import Plan, Route, Unassigned
from ..timing import insertion as ins
from ..timing.forward import TechContext, materialise
from .base import derive_status
from .construct import Builder, plannable
from .repair import late_emergencies, plan_starts, reachable_emergencies, route_items
from .stopping import Stop, deadline_with

log = logging.getLogger("dispatchopt")

BACKEND = "lns"
MIN_REMOVE, MAX_REMOVE = 5, 30
POOL_EXTRA = 10          # unassigned jobs offered to each recreate, besides the removed ones
# Big plans (more than BIG_PLAN planned jobs): each recreate re-prices the routes of every job it inserts, so
# iterations cost ~1.5 s at 2,000 jobs with ruins of 5-30; there ruins remove BIG_MAX_REMOVE at most, and a
# polish re-inserts at most BIG_POLISH_POOL of the jobs out (all 600 of them: 4-5 s per new best)
BIG_PLAN = 800
BIG_MAX_REMOVE = 12
BIG_POLISH_POOL = 40
START_THRESHOLD = 0.01   # record-to-record threshold at the start, x the best routes' cost
NEIGHBOURS = 8           # routes priced per re-inserted job (by lower bound), widened if none fits
MAX_STRING = 10          # longest string of consecutive visits a string ruin removes
POLISH_PASSES = 1        # relocate passes on each new best (3 measured worse: fewer iterations)
EJECT_ROUTES = 3         # routes an unassigned job tries to eject work from
FINAL_POLISH = 0.85      # progress at which every route of the best plan is polished once
# the polish of every route before the first iteration gets at most this share of the time: at 2,000 jobs it
# took the whole 20 s of a run (relocate 12.5 s, re-inserting the jobs out 8 s: 0 iterations)
FIRST_POLISH_SHARE = 0.25
EMERGENCY_RUIN = 0.3     # chance that an iteration ruins around a late reachable emergency (when there is one)


def builder_from_plan(problem: Problem, plan: Plan) -> Builder:
    """A builder holding ``plan``'s routes; a route the forward pass cannot re-time is locked
    (kept as it is, its technician takes no new work)."""
    routes = {}
    locked = []
    for tech in problem.technicians:
        ctx = TechContext(problem, tech)
        route = plan.route(tech.id)
        timed = ins.time_route(problem, ctx, route_items(problem, route) if route is not None else [])
        if isinstance(timed, tuple):
            locked.append(tech.id)
            timed = ins.time_route(problem, ctx, [])
        routes[tech.id] = timed
    return Builder(problem, routes, locked=locked)


class _Search:
    def __init__(self, problem: Problem, plan: Plan, seed: int) -> None:
        self.problem = problem
        self.rng = random.Random(seed)
        self.current = builder_from_plan(problem, plan)
        locked_jobs = {v.job for tid in self.current.locked for v in plan.route(tid).visits}
        self.pool = [j for j in plannable(problem) if j.id not in locked_jobs]
        self.pool_ids = {j.id for j in self.pool}
        self.locked_jobs = locked_jobs
        self.urgent = reachable_emergencies(problem) & self.pool_ids
        self.current_cost = self.cost(self.current)
        self.best, self.best_cost = self.current, self.current_cost
        self.current_key = self.best_key = self.start_key = self.key(self.current, self.current_cost)
        self.left: dict[str, str] = {}
        self.target: str | None = None     # the late emergency the last ruin was around

    def late_urgent(self, builder: Builder) -> list[str]:
        """The reachable emergencies (:func:`.repair.reachable_emergencies`) not on time."""
        if not self.urgent:
            return []
        starts: dict[str, int] = {}
        for route in builder.routes.values():
            for job_id, start in route.final.starts:
                if job_id in self.urgent:
                    starts[job_id] = max(start, starts.get(job_id, start))
        return sorted(j for j in self.urgent if late_emergencies(self.problem, frozenset((j,)), starts))

    def late_urgent_of(self, builder: Builder, job_id: str) -> bool:
        """Whether ``job_id`` is late or out in ``builder``."""
        starts = [s for route in builder.routes.values() for j, s in route.final.starts if j == job_id]
        return not rules.on_time(self.problem.job(job_id), max(starts) if starts else None)

    def key(self, builder: Builder, cost: float) -> tuple[int, float]:
        """What the search minimises: reachable emergencies not on time first, then the cost."""
        return len(self.late_urgent(builder)), cost

    def unassigned(self, builder: Builder) -> list[str]:
        planned = builder.planned()
        return [j.id for j in self.pool if j.id not in planned]

    def cost(self, builder: Builder) -> float:
        return builder.cost(self.unassigned(builder))

    def planned(self, builder: Builder) -> list[str]:
        return sorted(j for j in builder.planned() if j in self.pool_ids)

    # -- ruin -------------------------------------------------------------------------------------
    def ruin(self, builder: Builder) -> list[str]:
        planned = self.planned(builder)
        if not planned:
            return []
        top = BIG_MAX_REMOVE if len(planned) > BIG_PLAN else MAX_REMOVE
        q = min(self.rng.randint(MIN_REMOVE, top), max(1, len(planned) // 3))
        late = self.late_urgent(builder)
        self.target = None
        if late and self.rng.random() < EMERGENCY_RUIN:
            self.target = self.rng.choice(late)
            return self._around(builder, self.target, q)
        op = self.rng.randrange(5)
        if op == 4:
            return self._strings(builder, planned, q)
        if op == 0:
            return self.rng.sample(planned, q)
        if op == 1:
            return self._related(builder, planned, q)
        if op == 2:
            return self._worst(builder, planned, q)
        return self._routes(builder, q)

    def _around(self, builder: Builder, job_id: str, q: int) -> list[str]:
        """A late emergency and the visits in its way: on the routes of up to three qualified
        technicians nearest to it, those starting before its due plus its duration and ending
        after its earliest start (the recreate inserts emergencies first)."""
        problem = self.problem
        job = problem.job(job_id)
        lo, hi = rules.earliest_start_s(job), job.due_s + job.duration_s
        chosen = [job_id] if job_id in builder.planned() else []
        tids = [t for t in builder.routes_for([job], 3).keys()]
        for tid in self.rng.sample(tids, len(tids)):
            for other_id, start in builder.routes[tid].final.starts:
                other = problem.job(other_id)
                if other_id in self.pool_ids and other_id not in chosen and start < hi \
                        and start + other.duration_s > lo:
                    chosen.append(other_id)
        return chosen[:max(q, MIN_REMOVE)]

    def _related(self, builder: Builder, planned: list[str], q: int) -> list[str]:
        seed = self.rng.choice(planned)
        starts = {j: s for route in builder.routes.values() for j, s in route.final.starts}
        seconds = builder.seconds
        a = int(builder.loc[builder.index[seed]])

        def distance(job_id: str) -> float:
            b = int(builder.loc[builder.index[job_id]])
            return int(seconds[a, b]) + int(seconds[b, a]) + abs(starts[job_id] - starts[seed]) / 4

        return sorted(planned, key=lambda j: (distance(j), j))[:q]

    def _worst(self, builder: Builder, planned: list[str], q: int) -> list[str]:
        problem = self.problem
        seconds = builder.seconds
        gain = {}
        for tid, route in builder.routes.items():
            end = builder.contexts[tid].end_idx
            for i, (job_id, _) in enumerate(route.items):
                job = problem.job(job_id)
                prev = route.states[i].loc
                here = int(builder.loc[builder.index[job_id]])
                nxt = int(builder.loc[builder.index[route.items[i + 1][0]]]) if i + 1 < len(route.items) else end
                detour = int(seconds[prev, here]) + int(seconds[here, nxt]) - int(seconds[prev, nxt])
                start = route.states[i + 1].starts[-1][1]
                late = max(0, start - job.due_s) * problem.weight(job) * problem.objective.late_minute
                gain[job_id] = gain.get(job_id, 0.0) + detour * problem.objective.travel_minute + late
        ranked = sorted((j for j in planned if j in gain), key=lambda j: (-gain[j], j))
        chosen: list[str] = []
        while ranked and len(chosen) < q:
            pick = int(len(ranked) * self.rng.random() ** 4)      # biased to the worst
            chosen.append(ranked.pop(pick))
        return chosen

    def _strings(self, builder: Builder, planned: list[str], q: int) -> list[str]:
        """SISR-style string removal: from a random seed job, walk its planned neighbours by
        travel time; in each route not yet ruined, remove a string of consecutive visits (1 to
        MAX_STRING long, at a random offset) holding that neighbour, until q jobs are out."""
        seed = self.rng.choice(planned)
        seconds = builder.seconds
        a = int(builder.loc[builder.index[seed]])
        rows = [int(builder.loc[builder.index[j]]) for j in planned]
        order = sorted(range(len(planned)), key=lambda i: (int(seconds[a, rows[i]]), planned[i]))
        where = {j: tid for tid, route in builder.routes.items() if tid not in builder.locked
                 for j, _ in route.items}
        ruined: set[str] = set()
        chosen: list[str] = []
        for i in order:
            tid = where.get(planned[i])
            if tid is None or tid in ruined:
                continue
            ruined.add(tid)
            items = [j for j, _ in builder.routes[tid].items]
            pos = items.index(planned[i])
            length = self.rng.randint(1, min(len(items), MAX_STRING))
            first = self.rng.randint(max(0, pos - length + 1), min(pos, len(items) - length))
            chosen += [j for j in items[first:first + length] if j in self.pool_ids and j not in chosen]
            if len(chosen) >= q:
                break
        return chosen

    def _routes(self, builder: Builder, q: int) -> list[str]:
        busy = sorted(tid for tid, route in builder.routes.items()
                      if route.items and tid not in builder.locked)
        if not busy:
            return []
        chosen: list[str] = []
        for tid in self.rng.sample(busy, min(len(busy), self.rng.choice((1, 2)))):
            chosen += [j for j, _ in builder.routes[tid].items if j in self.pool_ids and j not in chosen]
        return chosen[:max(q, MIN_REMOVE)]

    def polish(self, builder: Builder, deadline: float | None, routes: Iterable[str] | None = None) -> None:
        """Relocate passes (visits of ``routes``, default all), each followed by a re-insertion
        of the jobs still out, until a pass moves nothing (at most POLISH_PASSES)."""
        for _ in range(POLISH_PASSES):
            before = builder.copy()
            late = len(self.late_urgent(builder))
            if not relocate(builder, routes=routes, deadline=deadline):
                break
            waiting = self.unassigned(builder)
            if len(waiting) > BIG_POLISH_POOL and len(self.pool) - len(waiting) > BIG_PLAN:
                waiting = sorted(self.rng.sample(waiting, BIG_POLISH_POOL))
            if waiting:
                builder.insert_jobs([self.problem.job(j) for j in waiting], k=2,
                                    neighbours=NEIGHBOURS, deadline=deadline)
            if len(self.late_urgent(builder)) > late:    # cheaper, but an emergency late again: undone
                builder.routes = dict(before.routes)
                break

    def final_polish(self, deadline: float | None) -> None:
        """Relocate over every route of the best plan, then :func:`eject_unassigned`; when that
        is cheaper it becomes the best and the current plan."""
        final = self.best.copy()
        self.polish(final, deadline)
        eject_unassigned(final, self.unassigned(final), deadline=deadline)
        cost = self.cost(final)
        key = self.key(final, cost)
        if _better(key, self.best_key):
            self.best, self.best_cost, self.best_key = final, cost, key
            self.current, self.current_cost, self.current_key = final, cost, key

    # -- one iteration ------------------------------------------------------------------------------
    def step(self, deadline: float | None = None) -> Builder | None:
        """One ruin-and-recreate candidate, or None when the ruin could not be applied (a
        recreate cut short by ``deadline`` leaves jobs out, so it is not accepted)."""
        trial = self.current.copy()
        removed = self.ruin(trial)
        if not removed or not trial.remove_jobs(removed):
            return None
        problem = self.problem
        waiting = self.unassigned(self.current)
        extra = self.rng.sample(waiting, min(POOL_EXTRA, len(waiting)))
        jobs = [problem.job(j) for j in sorted(set(removed) | set(extra))]
        k = self.rng.choice((2, 3))
        if self.target is not None:
            # the late emergency first, alone; when it lands on time its route takes nothing else in
            # this recreate (the cheapest recreate puts the work in its way back before it)
            trial.insert_jobs([problem.job(self.target)], k=k, neighbours=NEIGHBOURS, deadline=deadline)
            if not self.late_urgent_of(trial, self.target):
                saved = trial.locked
                trial.locked = saved | {t for t, r in trial.routes.items() if any(j == self.target for j, _ in r.items)}
                trial.insert_jobs([j for j in jobs if j.id != self.target], k=k, neighbours=NEIGHBOURS,
                                  deadline=deadline)
                trial.locked = saved
                return trial
        trial.insert_jobs(jobs, k=k, neighbours=NEIGHBOURS, deadline=deadline)
        return trial


def relocate(builder: Builder, *, routes: Iterable[str] | None = None, neighbours: int = NEIGHBOURS,
             deadline: float | None = None) -> int:
    """One first-improvement relocate pass, in place: each unpinned solo visit without a fixed
    start (of ``routes``, default all) is taken out and put back at its cheapest place in its own
    route or one of its ``neighbours`` routes of smallest lower bound, when that lowers the
    routes' cost (travel + weighted lateness + overtime). Returns the number of moves made."""
    problem = builder.problem
    tids = sorted(builder.routes if routes is None else set(routes))
    movable = [job for job in (problem.job(j) for tid in tids for j, _ in builder.routes[tid].items)
               if job.crew_size == 1 and not job.pinned_to]
    near: dict[str, list[str]] = {}
    for tid, ids in builder.routes_for(movable, neighbours).items():
        for job_id in ids:
            near.setdefault(job_id, []).append(tid)
    moved = 0
    for tid in tids:
        if tid in builder.locked:
            continue
        for job_id, fixed in builder.routes[tid].items:
            if deadline is not None and time.perf_counter() > deadline:
                return moved
            if fixed is not None or job_id not in near:
                continue
            route = builder.routes[tid]
            if all(j != job_id for j, _ in route.items):
                continue
            out = ins.remove(problem, route, {job_id})
            if isinstance(out, tuple):
                continue
            builder.routes[tid] = out
            job = problem.job(job_id)
            best = None
            for other in sorted(set(near[job_id]) | {tid}):
                found = builder.best_in_route(other, [job])[0]
                if found is not None and (best is None or found.cost < best[1].cost):
                    best = (other, found)
            if best is not None and best[1].cost < route.cost - out.cost - 1e-6:
                builder.routes[best[0]] = ins.insert(problem, builder.routes[best[0]], job_id,
                                                     best[1].position)
                moved += 1
            else:
                builder.routes[tid] = route
    return moved


def eject_unassigned(builder: Builder, unassigned: list[str], *, routes: int = EJECT_ROUTES,
                     deadline: float | None = None) -> int:
    """Each solo job of ``unassigned`` tries :meth:`Builder.eject_insert` into its ``routes``
    routes of smallest lower bound (work there ejected and re-inserted elsewhere); the first
    that lowers the cost is kept. In place; returns the number of jobs so handled."""
    problem = builder.problem
    moved = 0
    for job_id in sorted(unassigned):
        job = problem.job(job_id)
        if job.crew_size > 1 or job_id in builder.planned():
            continue
        for tid in builder.routes_for([job], routes):
            if deadline is not None and time.perf_counter() > deadline:
                return moved
            planned = builder.planned()
            out = builder.eject_insert(job, tid, [j for j in unassigned if j not in planned])
            if out is not None:
                moved += 1
                break
    return moved


def improve(problem: Problem, plan: Plan, *, deadline: float | None = None, seed: int = 0,
            max_iterations: int | None = None, patience: int = 1000,
            local_search: bool = True, stop: Stop | None = None) -> Plan:
    """``plan`` improved by ruin and recreate (see the module docstring); never worse than
    ``plan`` by :func:`dispatchopt.objective.plan_cost`.

    ``deadline`` is a ``time.perf_counter()`` value; with neither it nor ``max_iterations``
    the search stops after ``patience`` iterations without a new best. Once ``stop()`` is true
    the search ends (within one insertion) and returns the best plan found so far.
    """
    started = time.perf_counter()
    deadline = deadline_with(deadline, stop)
    search = _Search(problem, plan, seed)
    start_cost = search.best_cost
    iterations = since_best = 0
    polished = False
    if local_search:
        first = deadline
        if deadline is not None and not math.isinf(deadline):
            first = deadline_with(started + FIRST_POLISH_SHARE * (deadline - started), stop)
        search.final_polish(first)
    while True:
        if deadline is not None and time.perf_counter() >= deadline:
            break
        if max_iterations is not None and iterations >= max_iterations:
            break
        if since_best >= patience:
            break
        iterations += 1
        since_best += 1
        trial = search.step(deadline)
        if trial is None:
            continue
        cost = search.cost(trial)
        key = search.key(trial, cost)
        progress = _progress(started, deadline, iterations, max_iterations, since_best, patience)
        routes_cost = sum(route.cost for route in search.best.routes.values())
        threshold = START_THRESHOLD * max(0.0, routes_cost) * (1 - progress)
        # lexicographic: reachable emergencies not on time, then the cost (record-to-record)
        if _better(key, search.current_key) or (key[0] <= search.best_key[0]
                                                 and cost <= search.best_cost + threshold):
            search.current, search.current_cost, search.current_key = trial, cost, key
            if _better(key, search.best_key):
                if local_search:
                    changed = [t for t, r in trial.routes.items() if r is not search.best.routes.get(t)]
                    search.polish(trial, deadline, changed)
                    cost = search.cost(trial)
                    key = search.key(trial, cost)
                    search.current_cost, search.current_key = cost, key
                if _better(key, search.best_key):
                    search.best, search.best_cost, search.best_key = trial, cost, key
                    since_best = 0
        if local_search and not polished and progress >= FINAL_POLISH:
            polished = True
            search.final_polish(deadline)
    log.info("lns: %d iterations in %.2f s, cost %.1f -> %.1f", iterations,
             time.perf_counter() - started, start_cost, search.best_cost)
    return _result(problem, plan, search, iterations, started)


def _better(a: tuple[int, float], b: tuple[int, float]) -> bool:
    """``a`` strictly better than ``b``: fewer late reachable emergencies, or as many and cheaper."""
    return a[0] < b[0] or (a[0] == b[0] and a[1] < b[1] - 1e-9)


def _progress(started: float, deadline: float | None, iterations: int, max_iterations: int | None,
              since_best: int, patience: int) -> float:
    """How far the search is, 0..1: by iterations when limited so (deterministic), else time."""
    if max_iterations is not None:
        return min(1.0, iterations / max_iterations)
    if deadline is not None and not math.isinf(deadline):
        span = deadline - started
        return min(1.0, (time.perf_counter() - started) / span) if span > 0 else 1.0
    return min(1.0, since_best / patience)


def _to_plan(problem: Problem, builder: Builder, plan: Plan, info) -> Plan:
    """The builder's routes as a Plan (:meth:`Builder.to_plan`), except that a job out in
    ``plan`` and still out keeps its reason from there: pricing every reason anew (the greedy's
    explanations) took 5-10 s at 2,000 jobs, after the deadline."""
    routes = []
    for tech in problem.technicians:
        st = builder.routes[tech.id].final
        routes.append(materialise(problem, tech.id, st.starts, st.breaks + st.home_breaks, st.departure_s,
                                  st.arrivals, st.return_s) if st.starts else Route(technician=tech.id))
    planned = builder.planned()
    before = {u.job: u.reason for u in plan.unassigned}
    unassigned = tuple(Unassigned(job.id, before.get(job.id) or builder.reason(job, "fit"))
                       for job in problem.jobs if job.id not in planned)
    return Plan(scenario=problem.name, clock=problem.clock, solver=info, routes=tuple(routes), unassigned=unassigned)


def _result(problem: Problem, plan: Plan, search: _Search, iterations: int, started: float) -> Plan:
    """The best plan found as a Plan (locked routes kept as they were), or ``plan`` itself when
    that is not cheaper by plan_cost."""
    best = search.best
    if not _better(search.best_key, search.start_key):
        return plan
    info = replace(plan.solver, backend=f"{plan.solver.backend}+{BACKEND}" if plan.solver.backend else BACKEND,
                   wall_s=(plan.solver.wall_s or 0.0) + time.perf_counter() - started)
    out = _to_plan(problem, best, plan, info)
    if best.locked:
        kept = {tid: plan.route(tid) for tid in best.locked}
        routes = tuple(kept.get(r.technician) or r for r in out.routes)
        planned = {v.job for r in routes for v in r.visits}
        out = replace(out, routes=routes,
                      unassigned=tuple(u for u in out.unassigned if u.job not in planned))
    status = derive_status(problem, (u.job for u in out.unassigned))
    out = replace(out, solver=replace(out.solver, status=status.value))
    urgent = search.urgent
    if not _better((late_emergencies(problem, urgent, plan_starts(out)), plan_cost(problem, out)),
                   (late_emergencies(problem, urgent, plan_starts(plan)), plan_cost(problem, plan))):
        return plan
    return out
