"""Emergencies: on site first, never behind work they outrank, per the preemption policy.

Emergencies (:func:`is_emergency`: a category listed in ``problem.preemption`` or one whose SLA
asks for the technician on site within :data:`EMERGENCY_RESPOND_MIN` minutes) go to the
qualified technician who can *start* it first ("on site first"), never behind work it outranks:

* ``finish_current`` (default): right after the job in hand (and after any emergency of at least
  the same weight already next in its route); a technician on its way to a visit may be
  diverted (it is then taken to leave from its last place at "now").
* ``interrupt`` (``problem.preemption[category] == "interrupt"``): a technician working on a job
  of a lighter category may also leave it at once: that job's duration becomes the part done and
  a follow-up job ``<id>-f1`` for the rest (same skills, category, place; received now) is
  placed, first tried on the same technician.

Later visits of the chosen technician that no longer fit are bumped and re-inserted by best
insertion elsewhere, or listed unassigned with the reason ``bumped by <cause>: ...``. Ties on
the start go to the candidate that bumps less (then no interruption, then technician order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..domain import Job, Problem
from ..timing import forward as fz
from ..timing.cost import state_cost, unassigned_cost
from ..timing.forward import RouteState
from .techplan import TechPlan
from .workspace import Workspace

EMERGENCY_RESPOND_MIN = 30.0
"""Categories whose SLA asks for a technician on site within this many minutes are emergencies."""


def is_emergency(problem: Problem, job: Job) -> bool:
    """Dispatched ahead of everything else (see the module doc)."""
    if job.category in problem.preemption:
        return True
    level = problem.sla[job.category]
    return level.working_days is None and level.respond_minutes <= EMERGENCY_RESPOND_MIN


def lead_count(ws: Workspace, tp: TechPlan, job: Job) -> int:
    """Leading visits an emergency does not jump: emergencies of at least its weight."""
    problem = ws.problem
    w = problem.weight(job)
    h = 0
    for j, _ in tp.movable:
        other = problem.job(j)
        if is_emergency(problem, other) and problem.weight(other) >= w:
            h += 1
        else:
            break
    return h


def _in_hand(ws: Workspace, tp: TechPlan) -> tuple[str, int, int] | None:
    if not tp.frozen:
        return None
    j, s = tp.frozen[-1]
    e = s + ws.problem.job(j).duration_s
    return (j, s, e) if e > ws.now else None


def _options(ws: Workspace, tid: str, tp: TechPlan, job: Job) -> list[tuple[int, RouteState, str | None, int]]:
    """(position in movable, state before it, interrupted job, priority) to try for an emergency."""
    problem = ws.problem
    h = lead_count(ws, tp, job)
    out: list[tuple[int, RouteState, str | None, int]] = []
    if h == 0 and tp.heading is not None:
        out.append((0, ws.divert_base(tid, tp), None, 1))
        out.append((1, tp.base, None, 0))
    else:
        out.append((h, tp.after(h - 1), None, 0))
    hand = _in_hand(ws, tp)
    if hand is not None and h == 0 and hand[1] < ws.now and problem.policy(job.category) == "interrupt" \
            and problem.weight(problem.job(hand[0])) < problem.weight(job) \
            and problem.job(hand[0]).crew_size == 1:
        base = ws.divert_base(tid, tp, durations={hand[0]: ws.now - hand[1]})
        out.append((0, base, hand[0], 2))
    return out


def emergency_choice(ws: Workspace, job: Job, cands: Sequence[str]) -> tuple | None:
    """(start, priority, rank, technician, position, interrupted job) of the technician that
    can start ``job`` first under the preemption policy (ties: fewer bumps), or None."""
    problem = ws.problem
    order = {t.id: i for i, t in enumerate(problem.technicians)}
    found: list[tuple[int, int, int, str, int, str | None]] = []
    for tid in cands:
        tp = ws.plans[tid]
        ctx = ws.ctx(tid)
        for pos, st, interrupted, prio in _options(ws, tid, tp, job):
            p = fz.place_job(problem, ctx, st, job, not_before_s=ws.now)
            if isinstance(p, str):
                continue
            found.append((p.start_s, prio, order[tid], tid, pos, interrupted))
    if not found:
        return None
    found.sort()
    ties = [f for f in found if f[0] == found[0][0]]
    if len(ties) == 1:
        return found[0]
    scored = []
    for f in ties[:6]:
        _, prio, rank, tid, pos, interrupted = f
        scored.append((_bump_cost(ws, tid, job, pos, interrupted), prio, rank, f))
    scored.sort()
    return scored[0][3]


def emergency_cost(ws: Workspace, job: Job, choice: tuple) -> float:
    """Added cost of placing ``job`` ahead as ``choice`` says: the route's change plus every
    visit it displaces counted as unassigned (pessimistic: they may fit elsewhere)."""
    _, _, _, tid, pos, interrupted = choice
    tp = ws.plans[tid]
    suffix, heading = ws.with_job(tp, job, pos, None)
    trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                    suffix=suffix, departure_s=tp.departure_s if (tp.frozen or heading) else None)
    durations = {interrupted: max(0, ws.now - dict(tp.frozen)[interrupted])} if interrupted else None
    new_tp, bumped = ws.build(tid, trial, bump=True, durations=durations)
    if new_tp is None or any(j == job.id for j, _ in bumped):
        return float("inf")
    lost = sum(unassigned_cost(ws.problem, ws.problem.job(j)) for j, _ in bumped)
    ctx = ws.ctx(tid)
    return state_cost(ws.problem, ctx, new_tp.final) - state_cost(ws.problem, ctx, tp.final) + lost


def commit_emergency(ws: Workspace, job: Job, choice: tuple) -> None:
    _, _, _, tid, pos, interrupted = choice
    tp = ws.plans[tid]
    diverted = tp.heading[0] if (tp.heading is not None and pos == 0) else None
    follow = None
    if interrupted is not None:
        follow = _interrupt(ws, tid, interrupted, job.id)
    ws.commit_insert(tid, job, pos, bump=True, cause=f"emergency {job.id}")
    ws.record(job, tid, interrupted=interrupted, follow_up=follow, diverted=diverted)
    if follow is not None:
        ws.queue(follow, prefer=tid)


def _bump_cost(ws: Workspace, tid: str, job: Job, pos: int, interrupted: str | None) -> float:
    tp = ws.plans[tid]
    suffix, heading = ws.with_job(tp, job, pos, None)
    trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                    suffix=suffix)
    durations = {interrupted: ws.now - tp.frozen[-1][1]} if interrupted else None
    _, bumped = ws.build(tid, trial, bump=True, durations=durations)
    return sum(ws.problem.weight(ws.problem.job(j)) for j, _ in bumped)


def _interrupt(ws: Workspace, tid: str, job_id: str, by: str) -> str:
    """Stop ``job_id`` (in hand on ``tid``) at now; returns the follow-up job's id."""
    problem = ws.problem
    job = problem.job(job_id)
    tp = ws.plans[tid]
    start = dict(tp.frozen)[job_id]
    done = max(0, ws.now - start)
    follow = ws.follow_up(job, remaining_s=job.duration_s - done, tag="f")
    ws.set_job(replace(job, duration_s=done))
    ws.notes.append(f"{tid} leaves {job_id} at {ws.t(ws.now)} for emergency {by}: "
                      f"{done / 60:.0f} min done, follow-up {follow} for the remaining "
                      f"{(job.duration_s - done) / 60:.0f} min")
    return follow
