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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import rules
from ..domain import Job
from ..timing.cost import state_cost
from ..timing.insertion import TimedRoute, insertion_at
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


def best_insertion(ws: Workspace, job: Job, cands: Sequence[str]) -> Candidate | None:
    problem = ws.problem
    obj = problem.objective
    matrix = matrix_of(problem)
    M = matrix.seconds
    j = matrix.index(job.location)
    earliest = max(rules.earliest_start_s(job), ws.now)
    send = rules.earliest_send_s(problem, job)      # no trip towards it before it was received
    latest = rules.latest_start_s(job)
    late_coeff = obj.late_minute * problem.weight(job) / 60.0
    travel_coeff = obj.travel_minute / 60.0
    tids: list[str] = []
    poss: list[int] = []
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
        mov = tp.movable
        first = 1 if tp.heading is not None else 0
        for pos in range(first, len(mov) + 1):
            st = tp.after(pos - 1)
            nxt = M.shape[0]  # placeholder
            if pos < len(mov):
                nxt = matrix.index(problem.job(mov[pos][0]).location)
            else:
                nxt = ctx.end_idx
            tids.append(tid)
            poss.append(pos)
            prevs.append(st.loc)
            nexts.append(nxt)
            frees.append(st.free_s)
    if not tids:
        return None
    P = np.asarray(prevs, dtype=np.int64)
    N = np.asarray(nexts, dtype=np.int64)
    F = np.asarray(frees, dtype=np.int64)
    to_j = M[P, j]
    delta = to_j + M[j, N] - M[P, N]
    est = np.maximum((F if send is None else np.maximum(F, send)) + to_j, earliest)
    lb = delta * travel_coeff + np.maximum(0, est - job.due_s) * late_coeff
    if latest is not None:
        lb = np.where(est > latest, np.inf, lb)
    order = np.argsort(lb, kind="stable")
    best: Candidate | None = None
    routes: dict[str, TimedRoute] = {}
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
        tid, pos = tids[k], poss[k]
        tp = ws.plans[tid]
        route = routes.get(tid)
        if route is None:
            route = routes[tid] = timed_route(ws, tp)
        # a position in the movable visits; the suffix starts after the heading visit
        ins = insertion_at(problem, route, job, pos - 1 if tp.heading is not None else pos,
                           not_before_s=ws.now)
        if ins is None:
            continue
        if best is None or ins.cost < best.cost - 1e-9:
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
