"""Construction: parallel regret insertion over all routes, priced by the change in plan cost.

:func:`construct_plan` builds a plan from empty routes; the local search of :mod:`.lns` re-uses
the same :class:`Builder` to re-insert the jobs it removes.

- **Order.** Jobs are inserted in priority tiers: each category weight of at least
  ``HEAVY_WEIGHT`` (emergencies, road repairs, urgent work...) is a tier of its own, heaviest
  first; the lighter categories form the last tier. In a tier, crew jobs go first (by due time),
  then the solo jobs by regret.
- **Regret.** Every solo job's cheapest insertion into every route that may take it is cached
  (:mod:`dispatchopt.timing.insertion`: the route's change in travel, weighted lateness and
  overtime). The job with the largest regret-k (the sum of its k-1 next-best costs minus its
  best; a missing option counts as the unassigned penalty, so a job with few options goes
  first) is inserted at its best place; then only the changed route is priced again, for the
  jobs that may go there. A job whose best insertion costs more than leaving it out stays out.
- **Pruning.** A route's positions are tried in the order of a lower bound (the exact travel
  change plus the job's own lateness at its earliest possible start, in numpy for all jobs at
  once), and the scan stops when the bound reaches the best cost found.
- **Crews.** A crew job is inserted jointly: every qualified member's earliest feasible start,
  :func:`dispatchopt.timing.crew.pick_crew`, then each member's best position at the common
  start; when one cannot keep it, the search moves past that start.
- **Pinned jobs** (a dispatcher's lock) left out after the tiers may eject unpinned solo work
  from their technician (:meth:`Builder.rescue_pinned`): the ejected jobs are re-inserted
  anywhere, and the change is kept when it lowers the cost (routes + unassigned penalties).
- **Unassigned** jobs get the greedy's actionable reasons
  (:func:`dispatchopt.solvers.greedy.explain_unassigned`).

The greedy (:mod:`.greedy`) stays as the "dispatcher by hand" yardstick.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .. import rules
from ..domain import Job, Problem
from ..plan import Plan, Route, SolverInfo, Unassigned
from ..timing import cost as costs
from ..timing import insertion as ins
from ..timing.crew import pick_crew
from ..timing.forward import TechContext, materialise, place_job
from ..travel import matrix_of
from .base import derive_status
from .greedy import explain_unassigned

log = logging.getLogger("dispatchopt")

BACKEND = "construct"
HEAVY_WEIGHT = 10.0     # each category at least this heavy is a priority tier of its own
CREW_ROUNDS = 30        # common-start rounds before a crew job is given up
CREW_STARTS = 4         # candidate common starts priced per round
MAX_TRIES = 3           # positions fully evaluated per (job, route) after the lower-bound sort
EJECT_CANDIDATES = 12   # unpinned visits nearest a left-out pinned job's window tried for ejection
_EPS = 1e-9


class Builder:
    """Timed routes under construction, and how to insert jobs into them.

    ``routes`` maps every technician to its :class:`~dispatchopt.timing.insertion.TimedRoute`;
    ``locked`` technicians (routes the forward pass could not re-time) take no new work.
    """

    def __init__(self, problem: Problem, routes: Mapping[str, ins.TimedRoute] | None = None,
                 locked: Iterable[str] = ()) -> None:
        self.problem = problem
        matrix = matrix_of(problem)
        self.seconds = np.asarray(matrix.seconds)
        self.contexts = {t.id: TechContext(problem, t) for t in problem.technicians}
        if routes is None:
            routes = {tid: ins.time_route(problem, ctx, []) for tid, ctx in self.contexts.items()}
        self.routes: dict[str, ins.TimedRoute] = dict(routes)
        self.locked = frozenset(locked)
        self.eligible = rules.eligibility(problem)
        jobs = problem.jobs
        self.index = {job.id: i for i, job in enumerate(jobs)}
        self.loc = np.asarray([matrix.index(job.location) for job in jobs], dtype=np.int64)
        self.earliest = np.asarray([rules.earliest_start_s(job) for job in jobs], dtype=np.int64)
        never = np.iinfo(np.int64).min // 4          # no bound on the departure (anticipate_jobs)
        self.send = np.asarray([never if (send := rules.earliest_send_s(problem, job)) is None else send
                                for job in jobs], dtype=np.int64)
        self.latest = np.asarray([rules.latest_start_in_horizon_s(problem, job) for job in jobs],
                                 dtype=np.int64)
        self.due = np.asarray([job.due_s for job in jobs], dtype=np.int64)
        obj = problem.objective
        self.late_per_s = np.asarray([obj.late_minute * problem.weight(job) / 60 / job.crew_size
                                      for job in jobs])
        self.travel_per_s = obj.travel_minute / 60
        self._arrays: dict[str, tuple] = {}

    def copy(self) -> "Builder":
        """A builder sharing the problem data, with its own route table (routes are immutable)."""
        other = object.__new__(Builder)
        other.__dict__.update(self.__dict__)
        other.routes = dict(self.routes)
        other._arrays = dict(self._arrays)
        return other

    # -- who may go -----------------------------------------------------------------------------
    def candidates(self, job: Job) -> list[str]:
        """Technicians who may take solo ``job`` (its pin, else its leads), not locked."""
        if job.pinned_to:
            tids = list(job.pinned_to) if len(job.pinned_to) == 1 else []
            tids = [t for t in tids if rules.can_lead(self.problem, self.problem.technician(t), job)]
        else:
            tids = list(self.eligible[job.id][0])
        return [t for t in tids if t not in self.locked]

    def planned(self) -> set[str]:
        return {job_id for route in self.routes.values() for job_id, _ in route.items}

    def cost(self, unassigned: Iterable[str]) -> float:
        """Routes' cost + the unassigned penalties of ``unassigned`` (the plan cost without the
        balance term)."""
        total = sum(route.cost for route in self.routes.values())
        problem = self.problem
        return total + sum(costs.unassigned_cost(problem, problem.job(j)) for j in unassigned)

    # -- pricing --------------------------------------------------------------------------------
    def _route_arrays(self, tid: str) -> tuple:
        """(route, previous locations, next locations, free times, old legs) of every position."""
        route = self.routes[tid]
        hit = self._arrays.get(tid)
        if hit is not None and hit[0] is route:
            return hit
        ctx = self.contexts[tid]
        prev = np.asarray([st.loc for st in route.states], dtype=np.int64)
        nxt = np.asarray([int(self.loc[self.index[j]]) for j, _ in route.items] + [ctx.end_idx],
                         dtype=np.int64)
        free = np.asarray([st.free_s for st in route.states], dtype=np.int64)
        legs = self.seconds[prev, nxt].astype(np.int64)
        if route.final.n_jobs == 0:
            legs[-1] = 0                       # an empty route has no trip home yet
        hit = (route, prev, nxt, free, legs)
        self._arrays[tid] = hit
        return hit

    def bounds(self, tid: str, jobs: Sequence[Job]):
        """Lower bounds (positions x jobs) of inserting each of ``jobs`` at each position of
        ``tid``'s route: the exact travel change plus the job's own lateness at its earliest
        conceivable start (inf where that start is past the window end or the horizon)."""
        route, prev, nxt, free, legs = self._route_arrays(tid)
        rows = np.asarray([self.index[job.id] for job in jobs], dtype=np.int64)
        locs = self.loc[rows]
        to = self.seconds[np.ix_(prev, locs)]
        added = to + self.seconds[np.ix_(locs, nxt)].T - legs[:, None]
        est = np.maximum(np.maximum(free[:, None], self.send[rows][None, :]) + to,
                         self.earliest[rows][None, :])
        bound = added * self.travel_per_s + np.maximum(0, est - self.due[rows][None, :]) \
            * self.late_per_s[rows][None, :]
        return np.where(est > self.latest[rows][None, :], np.inf, bound)

    def best_in_route(self, tid: str, jobs: Sequence[Job]) -> list[ins.Insertion | None]:
        """The cheapest insertion of each of ``jobs`` (solo) into ``tid``'s route, or None when
        it fits nowhere there (positions in lower-bound order, at most MAX_TRIES evaluated)."""
        if not jobs:
            return []
        route = self.routes[tid]
        ctx = self.contexts[tid]
        final = route.final
        if ctx.max_jobs is not None and final.n_jobs >= ctx.max_jobs:
            return [None] * len(jobs)
        bound = self.bounds(tid, jobs)
        orders = np.argsort(bound, axis=0, kind="stable").T.tolist()
        out: list[ins.Insertion | None] = []
        problem = self.problem
        for c, job in enumerate(jobs):
            if ctx.capacity and final.load + job.demand > ctx.capacity:
                out.append(None)
                continue
            col = bound[:, c].tolist()
            best = None
            for tries, p in enumerate(orders[c]):
                b = col[p]
                if b == np.inf or (best is not None and b >= best.cost - _EPS) or tries >= MAX_TRIES:
                    break
                found = ins.insertion_at(problem, route, job, p)
                if found is not None and (best is None or found.cost < best.cost - _EPS):
                    best = found
            out.append(best)
        return out

    # -- insertion ------------------------------------------------------------------------------
    def insert_jobs(self, jobs: Iterable[Job], *, k: int = 3, deadline: float | None = None,
                    neighbours: int | None = None) -> dict[str, str]:
        """Insert ``jobs`` (tiers, crews jointly, solo jobs by regret-k); returns job id -> code
        for those left out ("crew:<detail>", "fit" = fits nowhere, "cost" = cheaper out,
        "time" = deadline)."""
        left: dict[str, str] = {}
        for tier in priority_tiers(self.problem, jobs):
            crews = sorted((j for j in tier if j.crew_size > 1), key=lambda j: (j.due_s, j.id))
            for job in crews:
                if deadline is not None and time.perf_counter() > deadline:
                    left[job.id] = "time"
                    continue
                detail = self.insert_crew(job)
                if detail is not None:
                    left[job.id] = "crew:" + detail
            solo = [j for j in tier if j.crew_size == 1]
            left.update(self.regret_insert(solo, k=k, deadline=deadline, neighbours=neighbours))
        for job_id in sorted(j for j, code in left.items() if code in ("fit", "cost")):
            job = self.problem.job(job_id)
            if job.crew_size == 1 and len(job.pinned_to) == 1 and job_id in left:
                if deadline is not None and time.perf_counter() > deadline:
                    break
                out = self.rescue_pinned(job, left)
                if out is not None:
                    del left[job_id]
                    left.update(out)
        return left

    def rescue_pinned(self, job: Job, left: Mapping[str, str]) -> dict[str, str] | None:
        """Plan pinned solo ``job`` (left out) by :meth:`eject_insert` into its technician's
        route; returns the codes of the ejected jobs left out, or None (nothing changed)."""
        return self.eject_insert(job, job.pinned_to[0], left)

    def eject_insert(self, job: Job, tid: str, left: Iterable[str]) -> dict[str, str] | None:
        """Put solo ``job`` (planned elsewhere or not) into ``tid``'s route after ejecting
        unpinned solo work there: one visit, or two adjacent ones, nearest the job's window
        first (at most EJECT_CANDIDATES).
        The ejected jobs are re-inserted anywhere by regret. The cheapest outcome that lowers
        the cost (routes + the unassigned penalties of ``left``) is kept; returns the codes of
        the ejected jobs left out, or None (nothing changed)."""
        problem = self.problem
        if tid in self.locked or tid not in self.routes:
            return None
        left = [j for j in left if j != job.id]
        before = self.cost(left + ([job.id] if job.id not in self.planned() else []))
        base = self.copy()
        if not base.remove_jobs([job.id]):
            return None
        route = base.routes[tid]
        lo, hi = rules.earliest_start_s(job), rules.latest_start_in_horizon_s(problem, job) + job.duration_s
        spans = []
        for i, (other_id, fixed) in enumerate(route.items):
            other = problem.job(other_id)
            if fixed is not None or other.pinned_to or other.crew_size > 1:
                continue
            start = route.states[i + 1].free_s - other.duration_s
            gap = max(0, lo - route.states[i + 1].free_s, start - hi)
            spans.append((gap, i, other_id))
        spans.sort()
        near = spans[:EJECT_CANDIDATES]
        options = [[j] for _, _, j in near]
        by_pos = {i: j for _, i, j in near}
        options += [[by_pos[i], by_pos[i + 1]] for i in sorted(by_pos) if i + 1 in by_pos]
        best: tuple[float, "Builder", dict[str, str]] | None = None
        for ejected in options:
            trial = base.copy()
            if not trial.remove_jobs(ejected):
                continue
            found = ins.best_insertion(problem, trial.routes[tid], job)
            if found is None:
                continue
            trial.routes[tid] = ins.insert(problem, trial.routes[tid], job.id, found.position)
            out = trial.regret_insert([problem.job(j) for j in ejected], k=2)
            cost = trial.cost(left + list(out))
            if cost < before - _EPS and (best is None or cost < best[0] - _EPS):
                best = (cost, trial, out)
        if best is None:
            return None
        self.routes = best[1].routes
        self._arrays = best[1]._arrays
        return best[2]

    def regret_insert(self, jobs: Sequence[Job], *, k: int = 3, deadline: float | None = None,
                      neighbours: int | None = None) -> dict[str, str]:
        """Parallel regret-k insertion of solo ``jobs``; job id -> "fit" | "cost" | "time" for
        those left out. ``neighbours``: price each job only in the routes with the smallest
        lower bounds (widened to all its routes when none of those can take it)."""
        problem = self.problem
        state = _Regret(self, jobs, k)
        by_route = self.routes_for(jobs, neighbours)
        for tid, ids in by_route.items():
            state.price(tid, ids)
        for job_id in state.pending:
            state.push(job_id)
        widened: set[str] = set() if neighbours is not None else set(state.pending)
        left: dict[str, str] = {}
        while state.pending:
            if deadline is not None and time.perf_counter() > deadline:
                left.update({job_id: "time" for job_id in state.pending})
                break
            job_id = state.pop()
            choice = _cheapest(state.options[job_id])
            if choice is None and job_id not in widened:
                widened.add(job_id)
                for tid in self.candidates(state.pending[job_id]):
                    if job_id not in by_route.setdefault(tid, []):
                        by_route[tid].append(job_id)
                        state.price(tid, [job_id])
                state.push(job_id)
                continue
            del state.pending[job_id]
            if choice is None or choice[1].cost >= state.penalty[job_id]:
                left[job_id] = "fit" if choice is None else "cost"
                continue
            tid, found = choice
            self.routes[tid] = ins.insert(problem, self.routes[tid], job_id, found.position)
            ids = [j for j in by_route.get(tid, ()) if j in state.pending]
            state.price(tid, ids)
            for j in ids:
                state.push(j)
        return left

    def routes_for(self, jobs: Sequence[Job], neighbours: int | None) -> dict[str, list[str]]:
        """route -> the jobs priced in it: every route that may take the job, or only its
        ``neighbours`` routes of smallest lower bound."""
        by_route: dict[str, list[str]] = {}
        for job in jobs:
            for tid in self.candidates(job):
                by_route.setdefault(tid, []).append(job.id)
        if neighbours is None:
            return by_route
        ranked: dict[str, list[tuple[float, str]]] = {}
        for tid, ids in by_route.items():
            lows = self.bounds(tid, [self.problem.job(j) for j in ids]).min(axis=0)
            for job_id, low in zip(ids, lows.tolist()):
                ranked.setdefault(job_id, []).append((low, tid))
        near: dict[str, list[str]] = {}
        for job_id, pairs in ranked.items():
            for _, tid in sorted(pairs)[:neighbours]:
                near.setdefault(tid, []).append(job_id)
        return near

    def insert_crew(self, job: Job) -> str | None:
        """Insert crew ``job`` jointly at its cheapest common start; None, or why not.

        Candidate starts are the members' earliest feasible starts (from rules' earliest start,
        then past each start that no crew could keep); at each, every member's best position
        with that fixed start is priced and the cheapest crew (pins, a lead, the others) kept.
        """
        problem = self.problem
        k = job.crew_size
        if len(job.pinned_to) > k:
            return "pins"
        members = [t for t in self.eligible[job.id][1] if t not in self.locked]
        lower = rules.earliest_start_s(job)
        latest = rules.latest_start_in_horizon_s(problem, job)
        best: tuple[float, int, dict[str, ins.Insertion]] | None = None
        free = 0
        for _ in range(CREW_ROUNDS):
            earliest = {}
            for tid in members:
                found = ins.best_insertion(problem, self.routes[tid], job, not_before_s=lower,
                                           key=lambda i: (i.start_s, i.cost))
                if found is not None:
                    earliest[tid] = found.start_s
            free = max(free, len(earliest))
            first = self._crew_at(job, earliest, None)
            if first is None:
                break
            starts = sorted({s for s in earliest.values() if s >= first})[:CREW_STARTS]
            for start in starts:
                crew = self._crew_at(job, earliest, start)
                if crew is not None and (best is None or crew[0] < best[0] - _EPS):
                    best = (crew[0], start, crew[1])
            if best is not None:
                break
            lower = starts[-1] + 60 if starts else first + 60
            if lower > latest:
                break
        if best is None:
            return f"{free} free" if free < k else "no common time"
        total, start, crew = best
        if total >= costs.unassigned_cost(problem, job):
            return "cost"
        for tid, found in crew.items():
            self.routes[tid] = ins.insert(problem, self.routes[tid], job.id, found.position, start_s=start)
        return None

    def _crew_at(self, job: Job, earliest: Mapping[str, int], start: int | None):
        """With ``start`` None: the common start of the crew pick_crew forms from ``earliest``
        (or None). Else (total cost, {member: insertion}) of the cheapest crew at ``start``."""
        problem = self.problem
        leads = self.eligible[job.id][0]
        trainees = [t for t in earliest if self.contexts[t].tech.trainee]
        if start is None:
            crew = pick_crew(earliest, leads=leads, pins=job.pinned_to, k=job.crew_size,
                             trainees=trainees)
            return None if crew is None else max(earliest[t] for t in crew)
        priced = {}
        for tid, first in earliest.items():
            if first <= start:
                found = ins.best_insertion(problem, self.routes[tid], job, start_s=start)
                if found is not None:
                    priced[tid] = found
        crew = pick_crew({t: 0 for t in priced}, leads=leads, pins=job.pinned_to, k=job.crew_size,
                         trainees=(), tiebreak=lambda t: (priced[t].cost, t))
        if crew is None:
            return None
        return sum(priced[t].cost for t in crew), {t: priced[t] for t in crew}

    def remove_jobs(self, job_ids: Iterable[str]) -> bool:
        """Take ``job_ids`` out of every route (crew jobs from every member); False (and nothing
        changed) when a route could not be re-timed without them."""
        ids = set(job_ids)
        new = {}
        for tid, route in self.routes.items():
            if any(j in ids for j, _ in route.items):
                out = ins.remove(self.problem, route, ids)
                if isinstance(out, tuple):
                    return False
                new[tid] = out
        self.routes.update(new)
        return True

    # -- the plan -------------------------------------------------------------------------------
    def reason(self, job: Job, code: str) -> str:
        """The dispatcher-actionable reason for leaving ``job`` out (``code`` from insert_jobs)."""
        problem = self.problem
        static = rules.static_unassigned_reason(problem, job)
        if static is not None:
            return static
        if job.crew_size == 1 and len(job.pinned_to) > 1:
            return (f"pinned to {len(job.pinned_to)} technicians ({', '.join(job.pinned_to)}) "
                    f"but needs a crew of {job.crew_size}")
        if code == "cost":
            return "serving it would make other work later than leaving it out costs"
        if code == "time":
            return "not planned: the construction ran out of time"
        if job.crew_size > 1:
            candidates = list(self.eligible[job.id][1])
            detail = code[len("crew:"):] if code.startswith("crew:") else ""
            if detail == "no common time":
                return f"crew of {job.crew_size} could not be formed at a common time"
            if detail == "cost":
                return "serving it would make other work later than leaving it out costs"
        else:
            candidates = list(job.pinned_to) or list(self.eligible[job.id][0])
            detail = ""
        failures = {}
        for tid in candidates:
            ctx = self.contexts[tid]
            p = place_job(problem, ctx, self.routes[tid].final, job)
            if isinstance(p, str):
                failures[tid] = p
        return explain_unassigned(problem, self.contexts, job, candidates, failures, crew_detail=detail)

    def to_plan(self, left: Mapping[str, str], info: SolverInfo) -> Plan:
        """The plan of the current routes; ``left`` maps each job left out to its code."""
        problem = self.problem
        routes = []
        for tech in problem.technicians:
            st = self.routes[tech.id].final
            if not st.starts:
                routes.append(Route(technician=tech.id))
                continue
            routes.append(materialise(problem, tech.id, st.starts, st.breaks + st.home_breaks,
                                      st.departure_s, st.arrivals, st.return_s))
        planned = self.planned()
        unassigned = tuple(Unassigned(job.id, self.reason(job, left.get(job.id, "fit")))
                           for job in problem.jobs if job.id not in planned)
        return Plan(scenario=problem.name, clock=problem.clock, solver=info, routes=tuple(routes),
                    unassigned=unassigned)


class _Regret:
    """The bookkeeping of one regret insertion: each pending job's best insertion per route,
    and a heap of (regret, best cost) scores with lazy invalidation."""

    def __init__(self, builder: Builder, jobs: Sequence[Job], k: int) -> None:
        self.builder = builder
        self.k = k
        self.pending = {job.id: job for job in jobs}
        self.options: dict[str, dict[str, ins.Insertion]] = {job_id: {} for job_id in self.pending}
        self.penalty = {job_id: costs.unassigned_cost(builder.problem, job)
                        for job_id, job in self.pending.items()}
        self.version = dict.fromkeys(self.pending, 0)
        self.heap: list[tuple] = []

    def price(self, tid: str, ids: Sequence[str]) -> None:
        """(Re-)price ``tid`` for the pending jobs ``ids``."""
        jobs = [self.pending[j] for j in ids if j in self.pending]
        for job, found in zip(jobs, self.builder.best_in_route(tid, jobs)):
            if found is None:
                self.options[job.id].pop(tid, None)
            else:
                self.options[job.id][tid] = found

    def push(self, job_id: str) -> None:
        """(Re-)score ``job_id``; ties go to the job later in the problem."""
        self.version[job_id] += 1
        regret, best = _regret(self.options[job_id], self.penalty[job_id], self.k)
        heapq.heappush(self.heap, (-regret, best, -self.builder.index[job_id], job_id,
                                   self.version[job_id]))

    def pop(self) -> str:
        while True:
            *_, job_id, version = heapq.heappop(self.heap)
            if job_id in self.pending and version == self.version[job_id]:
                return job_id


def priority_tiers(problem: Problem, jobs: Iterable[Job]) -> list[list[Job]]:
    """``jobs`` in tiers: each weight >= HEAVY_WEIGHT alone (heaviest first), then the rest."""
    tiers: dict[float, list[Job]] = {}
    for job in jobs:
        w = problem.weight(job)
        tiers.setdefault(w if w >= HEAVY_WEIGHT else 0.0, []).append(job)
    return [tiers[w] for w in sorted(tiers, reverse=True)]


def plannable(problem: Problem) -> list[Job]:
    """Dispatchable jobs with no static reason to stay out (skills, pins, shifts, windows)."""
    return [job for job in problem.jobs if job.dispatchable
            and rules.static_unassigned_reason(problem, job) is None]


def _cheapest(options: Mapping[str, ins.Insertion]) -> tuple[str, ins.Insertion] | None:
    best = None
    for tid, found in options.items():
        if best is None or found.cost < best[1].cost - _EPS or \
                (abs(found.cost - best[1].cost) <= _EPS and tid < best[0]):
            best = (tid, found)
    return best


def _regret(options: Mapping[str, ins.Insertion], penalty: float, k: int) -> tuple[float, float]:
    """(regret-k, best cost); missing options count as the unassigned penalty."""
    values = sorted(found.cost for found in options.values())[:k]
    if not values:
        return (-np.inf, np.inf)
    values += [penalty] * (k - len(values))
    return (sum(v - values[0] for v in values[1:]), values[0])


def construct_plan(problem: Problem, *, seed: int = 0, deadline: float | None = None) -> Plan:
    """A plan by parallel regret insertion (see the module docstring).

    ``deadline`` is a ``time.perf_counter()`` value; jobs not inserted by then stay out.
    ``seed`` is recorded (the construction is deterministic).
    """
    started = time.perf_counter()
    builder = Builder(problem)
    left = builder.insert_jobs(plannable(problem), deadline=deadline)
    planned = builder.planned()
    status = derive_status(problem, (j.id for j in problem.jobs if j.id not in planned))
    info = SolverInfo(backend=BACKEND, time_limit_s=None, seed=seed, status=status.value,
                      objective=None, wall_s=time.perf_counter() - started)
    plan = builder.to_plan(left, info)
    log.info("construct: %d/%d dispatchable jobs planned in %.3f s", len(planned),
             sum(1 for j in problem.jobs if j.dispatchable), time.perf_counter() - started)
    return plan

