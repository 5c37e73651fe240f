"""Best insertion without bumping: the cheapest place for a job in the current routes.

A job goes where it adds the least cost (travel + late minutes x weight + overtime, the terms
of the plan objective) without bumping anything: every position after the frozen part (and
after the visit a technician is heading to) of every qualified technician is a candidate;
candidates are ranked by a lower bound (exact added travel + the job's own lateness at its
earliest possible start) and evaluated until the bound exceeds the best cost found. A candidate
is evaluated by placing the job and re-timing the visits after it only until their schedule
falls back onto the old one (same place, free time and breaks taken), the limits (max_jobs,
capacity, max_work) then being checked on the totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import rules
from ..domain import Job
from ..timing import forward as fz
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
    matrix = problem.travel_matrix
    M = matrix.seconds
    j = matrix.index(job.location)
    earliest = max(rules.earliest_start_s(job), ws.now)
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
    est = np.maximum(F + to_j, earliest)
    lb = delta * travel_coeff + np.maximum(0, est - job.due_s) * late_coeff
    if latest is not None:
        lb = np.where(est > latest, np.inf, lb)
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
        tid, pos = tids[k], poss[k]
        res = _evaluate(ws, tid, ws.plans[tid], pos, job, j, int(delta[k]))
        if res is None:
            continue
        cost, start = res
        if best is None or cost < best.cost - 1e-9:
            best = Candidate(cost, start, tid, pos)
    return best

def _evaluate(ws: Workspace, tid: str, tp: TechPlan, pos: int, job: Job, j: int, delta_travel: int
              ) -> tuple[float, int] | None:
    """(added cost, start) of ``job`` at movable position ``pos`` of ``tid`` without bumping,
    or None when something would no longer fit."""
    problem = ws.problem
    obj = problem.objective
    ctx = ws.ctx(tid)
    matrix = problem.travel_matrix
    st = tp.after(pos - 1)
    p = fz.place_job(problem, ctx, st, job, not_before_s=ws.now)
    if isinstance(p, str):
        return None
    start = p.start_s
    cost = delta_travel * obj.travel_minute / 60.0
    cost += rules.late_s(job, start) / 60.0 * obj.late_minute * problem.weight(job)
    st = fz.apply(ctx, st, p, job_id=job.id, loc=j, duration_s=job.duration_s, demand=job.demand)
    mov = tp.movable
    fin = tp.final
    for q in range(pos, len(mov)):
        old_before = tp.after(q - 1)
        if st.loc == old_before.loc and st.free_s == old_before.free_s and st.taken == old_before.taken:
            # the rest is timed as before: check the limits on the totals
            d_work = st.work_s - old_before.work_s
            if ctx.max_work_s is not None and fin.work_s + fin.return_travel_s + d_work > ctx.max_work_s:
                return None
            if ctx.max_jobs is not None and fin.n_jobs + 1 > ctx.max_jobs:
                return None
            if ctx.capacity and fin.load + job.demand > ctx.capacity:
                return None
            return cost, start
        item_id, fixed = mov[q]
        if q == 0 and tp.heading is not None:
            fixed = ws.fixed(tp.heading)
        other = problem.job(item_id)
        p = fz.place_job(problem, ctx, st, other, start_s=fixed, not_before_s=ws.now)
        if isinstance(p, str):
            return None
        old_start = tp.after(q).starts[-1][1]
        if p.start_s != old_start:
            w = obj.late_minute * problem.weight(other) / 60.0
            cost += (rules.late_s(other, p.start_s) - rules.late_s(other, old_start)) * w
        st = fz.apply(ctx, st, p, job_id=item_id, loc=matrix.index(other.location),
                      duration_s=other.duration_s, demand=other.demand)
    # ran to the end: the return may move (overtime)
    shift_end = ctx.tech.shift_end_s
    old_ret = fin.return_s if fin.return_s is not None else shift_end
    new_ret = st.return_s if st.return_s is not None else shift_end
    cost += (max(0, new_ret - shift_end) - max(0, old_ret - shift_end)) / 60.0 * obj.overtime_minute
    return cost, start
