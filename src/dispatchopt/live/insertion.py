"""Best insertion without bumping: the cheapest place for a job in the current routes.

A job goes where it adds the least cost (travel + late minutes x weight + overtime, the terms
of the plan objective) without bumping anything: every position after the frozen part (and
after the visit a technician is heading to) of every qualified technician is a candidate;
candidates are ranked by a lower bound (exact added travel + the job's own lateness at its
earliest possible start) and evaluated until the bound exceeds the best cost found. A candidate
is evaluated by the one best insertion of the package, :func:`dispatchopt.timing.insertion.insertion_at`,
on the technician's suffix (:func:`timed_route`): it places the job and re-times the visits after
it only until their schedule falls back onto the old one (same place, free time and breaks
taken), the limits (max_jobs, capacity, max_work) then being checked on the totals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import rules
from ..domain import Job
from ..timing.cost import state_cost
from ..timing.insertion import Insertion, TimedRoute, insertion_at
from ..travel import matrix_of
from .techplan import TechPlan
from .workspace import Workspace

MAX_EVALUATIONS = 400           # best-insertion candidates fully evaluated, at most


@dataclass
class Candidate:
    """The best place found: its added cost, the job's start, the technician and position."""

    cost: float
    start: int
    tid: str
    pos: int


class Positions:
    """Every candidate position of ``job``'s place in the routes of ``cands``: the technician,
    the movable position, the place before and after, and when the technician is free there,
    with the exact added travel of each. It depends on the routes and the job's place only (not
    on its window or due), so one table serves every window asked for the same job in the same
    routes (booking prices a whole list of slots on one table). ``route(tid)`` is the
    technician's timed suffix (:func:`timed_route`), made once."""

    def __init__(self, ws: Workspace, job: Job, cands: Sequence[str]) -> None:
        problem = ws.problem
        matrix = matrix_of(problem)
        M = matrix.seconds
        self.ws = ws
        self.j = j = matrix.index(job.location)
        self.index: dict[str, int] = {}
        tids: list[str] = []
        poss: list[int] = []
        owners: list[int] = []
        prevs: list[int] = []
        nexts: list[int] = []
        frees: list[int] = []
        for tid in cands:
            tp = ws.plans[tid]
            ctx = ws.ctx(tid)
            fin = tp.final
            if ctx.max_jobs is not None and fin.n_jobs >= ctx.max_jobs:
                continue
            if ctx.capacity and fin.load + job.demand > ctx.capacity:
                continue
            owner = self.index.setdefault(tid, len(self.index))
            mov = tp.movable
            first = 1 if tp.heading is not None else 0
            for pos in range(first, len(mov) + 1):
                st = tp.after(pos - 1)
                nexts.append(matrix.index(problem.job(mov[pos][0]).location) if pos < len(mov)
                             else ctx.end_idx)
                tids.append(tid)
                poss.append(pos)
                owners.append(owner)
                prevs.append(st.loc)
                frees.append(st.free_s)
        self.tids = tids
        self.poss = poss
        self.owner = np.asarray(owners, dtype=np.int64)
        P = np.asarray(prevs, dtype=np.int64)
        N = np.asarray(nexts, dtype=np.int64)
        self.free = np.asarray(frees, dtype=np.int64)
        self.to_j = M[P, j] if tids else np.zeros(0, dtype=np.int64)
        self.delta = (self.to_j + M[j, N] - M[P, N]) if tids else np.zeros(0, dtype=np.int64)
        self.routes: dict[str, TimedRoute] = {}

    def __len__(self) -> int:
        return len(self.tids)

    def route(self, tid: str) -> TimedRoute:
        route = self.routes.get(tid)
        if route is None:
            route = self.routes[tid] = timed_route(self.ws, self.ws.plans[tid])
        return route

    def bounds(self, job: Job, cands: Sequence[str] | None = None) -> np.ndarray:
        """The lower bound of each position for ``job`` (with its window and due): exact added
        travel + the job's own lateness at its earliest possible start; inf where it cannot
        start in its window, or (``cands``) the technician is not one of them."""
        ws = self.ws
        problem = ws.problem
        obj = problem.objective
        earliest = max(rules.earliest_start_s(job), ws.now)
        send = rules.earliest_send_s(problem, job)      # no trip towards it before it was received
        latest = rules.latest_start_s(job)
        late_coeff = obj.late_minute * problem.weight(job) / 60.0
        travel_coeff = obj.travel_minute / 60.0
        F = self.free
        est = np.maximum((F if send is None else np.maximum(F, send)) + self.to_j, earliest)
        lb = self.delta * travel_coeff + np.maximum(0, est - job.due_s) * late_coeff
        if latest is not None:
            lb = np.where(est > latest, np.inf, lb)
        if cands is not None:
            keep = np.zeros(len(self.index), dtype=bool)
            keep[[self.index[t] for t in cands if t in self.index]] = True
            lb = np.where(keep[self.owner], lb, np.inf)
        return lb


def best_insertion(ws: Workspace, job: Job, cands: Sequence[str], *, positions: Positions | None = None,
                   accept: Callable[[Insertion, str, int], bool] | None = None) -> Candidate | None:
    """The cheapest place for ``job`` among the technicians ``cands`` (see the module doc), or None.

    ``positions``: a :class:`Positions` table made for the same job's place and routes (its
    technicians a superset of ``cands``), shared by several calls that differ only in the job's
    window or due. ``accept(insertion, tid, pos)``: a place it refuses is skipped and the search
    goes on to the next cheapest (booking: skip the places that break a promise); it is asked
    only of a place that would become the best found."""
    table = positions if positions is not None else Positions(ws, job, cands)
    if not len(table):
        return None
    problem = ws.problem
    lb = table.bounds(job, cands if positions is not None else None)
    order = np.argsort(lb, kind="stable")
    best: Candidate | None = None
    evaluated = 0
    for k in order:
        bound = lb[k]
        if not np.isfinite(bound):
            break
        if best is not None and bound >= best.cost - 1e-9:
            break
        if evaluated >= MAX_EVALUATIONS:
            break
        evaluated += 1
        tid, pos = table.tids[k], table.poss[k]
        tp = ws.plans[tid]
        route = table.route(tid)
        # a position in the movable visits; the suffix starts after the heading visit
        ins = insertion_at(problem, route, job, pos - 1 if tp.heading is not None else pos,
                           not_before_s=ws.now)
        if ins is None:
            continue
        if best is None or ins.cost < best.cost - 1e-9:
            if accept is not None and not accept(ins, tid, pos):
                continue
            best = Candidate(ins.cost, ins.start_s, tid, pos)
    return best


def timed_route(ws: Workspace, tp: TechPlan) -> TimedRoute:
    """The planned suffix of ``tp`` as a :class:`~dispatchopt.timing.insertion.TimedRoute` whose
    base is the state after the frozen part and the heading visit, so that
    :func:`dispatchopt.timing.insertion.insertion_at` prices a position in it."""
    problem = ws.problem
    ctx = ws.ctx(tp.technician)
    seconds = matrix_of(problem).seconds
    states = (tp.base,) + tp.states
    checks = []
    for (job_id, _), before, after in zip(tp.suffix, states, tp.states):
        job = problem.job(job_id)
        checks.append(before.work_s + int(seconds[before.loc, after.loc]) + job.duration_s
                      + int(seconds[after.loc, ctx.end_idx]))
    return TimedRoute(ctx, tp.suffix, states, ws.now, tuple(checks), state_cost(problem, ctx, tp.final))
