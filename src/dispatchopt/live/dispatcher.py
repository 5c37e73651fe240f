"""The update loop: place the queued jobs, most urgent first, then turn the workspace into a state.

Emergencies (:func:`.preemption.is_emergency`) go to the qualified technician who can *start*
them first (:mod:`.preemption`); crew jobs (crew_size > 1) to the earliest common start of a
crew (:mod:`.crew`); other jobs where they add the least cost without bumping anything
(:mod:`.insertion`). A displaced emergency goes where it costs least: where it fits without
displacing anything, or ahead of others (their delays and displacements priced), never into a
cascade of bumps. Visits bumped by a placement are queued again; a job that cannot be placed is
listed unassigned with a reason a dispatcher can act on (``bumped by <cause>: ...`` for a
displaced one).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from .. import rules
from ..domain import Job
from ..plan import Plan
from .crew import place_crew
from .insertion import best_insertion
from .preemption import commit_emergency, emergency_choice, emergency_cost, is_emergency
from .snapshot import BACKEND, make_plan
from .techplan import route_of
from .workspace import S, Workspace

log = logging.getLogger("dispatchopt")

MAX_PLACEMENTS = 500            # placements of queued jobs in one update, at most


def place_pending(ws: Workspace) -> None:
    count = 0
    attempts: dict[str, int] = {}
    ws.settle()
    while ws.pending:
        ws.settle()
        ws.pending.sort(key=lambda item: _urgency(ws, item[0]))
        job_id, prefer = ws.pending.pop(0)
        if ws.locate(job_id):
            continue        # queued twice, already placed
        job = ws.problem.job(job_id)
        if not job.dispatchable:
            continue
        count += 1
        attempts[job_id] = attempts.get(job_id, 0) + 1
        emergency = is_emergency(ws.problem, job) and attempts[job_id] <= 1 and count <= MAX_PLACEMENTS
        reason = place(ws, job, emergency=emergency, prefer=prefer) if count <= MAX_PLACEMENTS \
            else "not placed: too many displaced jobs in one update (re-optimise)"
        if reason is None:
            ws.unassigned.pop(job_id, None)
            ws.placed.add(job_id)
        else:
            bump = ws.bumps.get(job_id)
            if bump is not None:
                reason = f"bumped by {bump.cause}: {reason}"
            ws.unassigned[job_id] = reason
        ws.settle()


def _urgency(ws: Workspace, job_id: str) -> tuple:
    job = ws.problem.job(job_id)
    return (0 if is_emergency(ws.problem, job) else 1, -ws.problem.weight(job), job.due_s, job_id)


def place(ws: Workspace, job: Job, *, emergency: bool, prefer: str | None = None) -> str | None:
    """Place ``job`` now; None when placed, else why not (a dispatcher-actionable reason)."""
    problem = ws.problem
    reason = rules.qualification_reason(problem, job)
    if reason is not None:
        return reason
    if emergency and job.id in ws.bumps and job.crew_size > 1:
        if place_crew(ws, job, emergency=False) is None:
            return None
    if job.crew_size > 1:
        return place_crew(ws, job, emergency=emergency)
    if job.pinned_to:
        cands = [p for p in job.pinned_to if rules.can_lead(problem, problem.technician(p), job)]
    else:
        cands = ws.leads(job)
    cands = [c for c in cands if ws.available(c)]
    if not cands:
        pins = ", ".join(job.pinned_to)
        return f"pinned technician {pins} is unavailable" if job.pinned_to else \
            "every qualified technician is unavailable"
    if emergency and job.id in ws.bumps:
        # a displaced emergency goes where it costs least: where it fits without displacing
        # anything, or ahead of others (their delays and displacements priced): no cascades
        best = best_insertion(ws, job, cands)
        choice = emergency_choice(ws, job, cands)
        if best is not None and (choice is None or best.cost <= emergency_cost(ws, job, choice)):
            ws.commit_insert(best.tid, job, best.pos, bump=False)
            return None
        if choice is not None:
            commit_emergency(ws, job, choice)
            return None
    elif emergency:
        choice = emergency_choice(ws, job, cands)
        if choice is not None:
            commit_emergency(ws, job, choice)
            return None
    else:
        if prefer is not None and prefer in cands:
            best = best_insertion(ws, job, [prefer])
            if best is not None:
                ws.commit_insert(best.tid, job, best.pos, bump=False)
                ws.record(job, best.tid)
                return None
        best = best_insertion(ws, job, cands)
        if best is not None:
            ws.commit_insert(best.tid, job, best.pos, bump=False)
            ws.record(job, best.tid)
            return None
    return ws.no_room(job)


def finish(ws: Workspace[S], *, published: Plan, history: str | None = None,
           backend: str | None = None) -> tuple[S, set[str]]:
    """(the new state, technicians whose route changed)."""
    place_pending(ws, )
    ws.freeze()      # canonical form: a technician now free heads to its next visit
    place_pending(ws, )
    problem = ws.problem
    old_routes = {r.technician: r for r in ws.state.plan.routes}
    routes = []
    changed: set[str] = set()
    old_plans = ws.state.plans
    for tech in problem.technicians:
        tp = ws.plans[tech.id]
        old_tp = old_plans.get(tech.id)
        route = None
        if old_tp is tp and problem.technician(tech.id) is ws.state.problem.technician(tech.id):
            route = old_routes.get(tech.id)
        if route is None:
            route = route_of(problem, tp)
            if route != old_routes.get(tech.id):
                changed.add(tech.id)
        routes.append(route)
    known = set()
    for tp in ws.plans.values():
        known.update(tp.job_ids)
    for job in problem.jobs:
        if job.id not in known and job.id not in ws.unassigned:    # pragma: no cover - defensive
            log.warning("live: job %s fell out of the plan; listed unassigned", job.id)
            ws.unassigned[job.id] = "not planned (internal: lost by the live update)"
    for job_id in list(ws.unassigned):
        if job_id in known:
            del ws.unassigned[job_id]
    plan = make_plan(problem, routes, ws.unassigned, backend=backend or BACKEND)
    hist = ws.state.history + ((history,) if history else ())
    # the same class as the state the workspace was made from (a DispatchState)
    state = replace(ws.state, problem=problem, plan=plan, now_s=ws.now, plans=dict(ws.plans),
                    unassigned=dict(ws.unassigned), unavailable=dict(ws.unavailable),
                    history=hist, contexts=ws.contexts, matrix_buffer=ws.buffer)
    return state, changed
