"""The second speed: re-optimise the rest of the day, warm-started from the current plan.

:func:`replan` builds a *sub-problem* of what is still open at "now":

* every technician, starting where and when it is free (after its frozen visits and the visit it
  is heading to: :class:`~.techplan.TechPlan` ``base``): shifts clipped to start at that time, start
  location = that place, end unchanged; breaks it has taken are dropped, the others keep their
  latest start with the earliest start clipped to the availability (a break it can no longer
  take, if owed, leaves it no work: a zero-length shift); ``max_jobs``, ``max_work_minutes`` and
  ``capacity`` reduced by what the frozen part used;
* the jobs not started: every planned visit after the frozen part, and every dispatchable job
  listed unassigned (a re-plan may find room for them). A crew job that stays fixed (a member is
  already on its way to it, or is outside the focus below) is not open: for its members in the
  sub-problem it is a fixed break at its common start (busy then), its count and load used up.
* above ``focus_jobs`` open jobs (default 600) only a focus of technicians is re-optimised
  (:func:`focus_technicians`: those nearest to the unassigned jobs, heaviest first, then those
  with the most lateness); the others keep their routes. OR-Tools needs seconds just to build a
  2,000-job model, so a 5 s re-plan of a whole big day would only return its start.

It is solved by :func:`dispatchopt.solvers.solve` (default OR-Tools routing, ``time_limit_s``
5 s in all) as a small portfolio: half the time with ``initial`` = the current plan's open part
(warm start) and ``churn_penalty_min`` (default 30: moving a job to another technician than in
the published plan costs that many travel minutes), the rest from the backend's own start (greedy
+ repair). Each result's assignment and order are re-timed on the real problem by the same
forward pass as the immediate answer (anything that would not fit is bumped and re-inserted, so
the sub-problem's approximations cannot leak into the plan) and stitched after the frozen part;
the one with the lower cost + churn is kept, and it is **accepted only if** its cost (plan
objective) plus the churn penalty of the jobs it moves is lower than the current plan's cost: jobs
are never reshuffled without a gain worth more than the disruption.

Approximations, documented: a technician whose remaining capacity is 0 is given an unlimited
capacity in the sub-problem (0 means "no limit" in the contract); OR-Tools lets a break overlap
travel where the contract pauses travel during a break, so a routing solution can be a little
optimistic: the re-timing pass bumps what does not fit. Crew jobs keep their common start (the
routing backend fixes crews' starts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from .. import rules
from ..domain import BreakRule, Job, Problem, Shift, Technician
from ..objective import plan_cost
from ..plan import Plan, SolverInfo, Unassigned
from ..timing.schedule import build_route
from ..solvers import Result, solve
from ..travel import attach_matrix
from ..travel import matrix_of
from .dispatcher import place_pending
from .events import conclude
from .notify import Update
from .state import DispatchState
from .techplan import route_breaks
from .workspace import Workspace

log = logging.getLogger("dispatchopt")

DEFAULT_TIME_LIMIT_S = 5.0
DEFAULT_CHURN_PENALTY_MIN = 30.0
DEFAULT_FOCUS_JOBS = 600


def open_subproblem(state: DispatchState, techs: set[str] | None = None) -> tuple[Problem, Plan]:
    """(the sub-problem of what is open at ``state.now_s``, the current plan's open part in it).

    A crew job that one member is already heading to is not open (its other members keep it at
    its common start). With ``techs``, only those technicians and their open jobs (plus the
    unassigned jobs one of them can lead) are in it; a crew job with a member outside is not."""
    problem = state.problem
    matrix = matrix_of(problem)
    techs_out = []
    routes = []
    chosen = set(state.plans) if techs is None else set(techs)
    committed = set()           # crew jobs not open: a member heads to it, or is not re-optimised
    for tid, tp in state.plans.items():
        if tp.heading is not None:
            committed.add(tp.heading[0])
        if tid not in chosen:
            committed.update(j for j, _ in tp.suffix if problem.job(j).crew_size > 1)
    for tech in problem.technicians:
        if tech.id not in chosen:
            continue
        tp = state.plans[tech.id]
        base = tp.base
        avail = base.free_s
        position = matrix.locations[base.loc]
        shifts = [Shift(max(s.start_s, avail), s.end_s) for s in tech.shifts if s.end_s > avail]
        overtime = tech.max_overtime_s
        if not shifts:     # only overtime left: what remains of it from now
            shifts = [Shift(avail, avail)]
            overtime = max(0, rules.shift_end_with_overtime_s(tech) - avail)
        ctx = state.context(tech.id)
        rules_left = []
        blocked = False
        for i, (earliest, latest, duration) in enumerate(ctx.breaks):
            if (base.taken >> i) & 1:
                continue
            if latest < avail:
                blocked = True          # owed by any new work, can no longer be taken
                continue
            rules_left.append(BreakRule(max(earliest, avail), latest, duration))
        if blocked:
            shifts, overtime = [Shift(avail, avail)], 0
        # crew visits that stay fixed (a partner is already on its way to them): the technician is
        # busy then, a fixed "break" in the sub-problem; their load and count are used up
        kept = [(j, f) for j, f in tp.suffix if f is not None and j in committed]
        used_jobs = base.n_jobs + len(kept)
        used_load = base.load + sum(problem.job(j).demand for j, _ in kept)
        used_work = base.work_s + sum(problem.job(j).duration_s for j, _ in kept)
        for job_id, fixed in kept:
            rules_left.append(BreakRule(fixed, fixed, problem.job(job_id).duration_s))
        capacity = 0
        if tech.capacity > 0 and tech.capacity - used_load > 0:
            capacity = tech.capacity - used_load
        techs_out.append(replace(
            tech, shifts=tuple(shifts), max_overtime_s=overtime, start=position,
            breaks=tuple(rules_left),
            max_jobs=None if tech.max_jobs is None else max(0, tech.max_jobs - used_jobs),
            max_work_s=None if tech.max_work_s is None else max(0, tech.max_work_s - used_work),
            capacity=capacity))
        starts = [(job_id, st.starts[-1][1]) for (job_id, _), st in zip(tp.suffix, tp.states)]
        breaks = [b for b in route_breaks(tp.final)[len(base.breaks):]] if starts else []
        routes.append((tech.id, starts, breaks))
    routes = [(tid, [(j, s) for j, s in starts if j not in committed], breaks)
              for tid, starts, breaks in routes]
    open_ids = {j for _, starts, _ in routes for j, _ in starts}
    open_ids.update(j for j in state.unassigned if _fits_subproblem(problem, problem.job(j), techs_out,
                                                                     focused=techs is not None))
    jobs = tuple(j for j in problem.jobs if j.id in open_ids)
    sub = problem.replace(technicians=tuple(techs_out), jobs=jobs, name=problem.name)
    attach_matrix(sub, matrix)          # same model, a superset of the locations
    # the current plan's open part, timed in the sub-problem (its cost is the warm start's)
    routes = [build_route(sub, tid, starts, breaks) for tid, starts, breaks in routes]
    unassigned = tuple(Unassigned(j.id, state.unassigned[j.id]) for j in jobs if j.id in state.unassigned)
    initial = Plan(scenario=problem.name, clock=problem.clock, solver=SolverInfo(backend="live"),
                   routes=tuple(routes), unassigned=unassigned)
    return sub, initial


def _fits_subproblem(problem: Problem, job: Job, sub_techs: Sequence[Technician], *, focused: bool) -> bool:
    """May the unassigned ``job`` be in a sub-problem of ``sub_techs``? Dispatchable, every
    technician it is pinned to in it, a crew no bigger than it (a valid Problem: see
    ``Problem.replace``) and, for a focus, one of them able to lead it. A job left out stays
    unassigned with its reason."""
    if not job.dispatchable:
        return False
    ids = {t.id for t in sub_techs}
    if job.crew_size > len(ids) or any(pin not in ids for pin in job.pinned_to):
        return False
    return not focused or any(rules.can_lead(problem, t, job) for t in sub_techs)


def _stitch(state: DispatchState, result, t0: float, techs: set[str], sub_ids: set[str]) -> Update:
    """The solver's assignment and order, re-timed on the real problem after the frozen part."""
    problem = state.problem
    ws = Workspace(state, state.now_s, cause="re-optimisation")
    new_routes = {r.technician: r for r in result.plan.routes}
    committed = set()           # started or headed to: not the sub-problem's to move
    for tp in ws.plans.values():
        committed.update(j for j, _ in tp.frozen)
        if tp.heading is not None:
            committed.add(tp.heading[0])
    for tech in problem.technicians:
        if tech.id not in techs:
            continue
        route = new_routes.get(tech.id)
        visits = route.visits if route is not None else ()
        tp = ws.plans[tech.id]
        items = [(v.job, v.start_s if problem.job(v.job).crew_size > 1 else None)
                 for v in visits if v.job not in committed]
        # a crew job that was not the sub-problem's (a member is heading to it, or is outside the
        # re-optimised technicians) keeps its place, by its common start
        starts = {v.job: v.start_s for v in visits}
        for job_id, fixed in tp.suffix:
            if job_id not in sub_ids and fixed is not None:
                at = next((i for i, (j, f) in enumerate(items)
                           if (f if f is not None else starts.get(j, 0)) > fixed), len(items))
                items.insert(at, (job_id, fixed))
        suffix = tuple(items)
        if suffix != tp.suffix:
            ws.plans[tech.id] = replace(tp, suffix=suffix)
            ws.dirty.add(tech.id)
    planned = {v.job for r in result.plan.routes for v in r.visits}
    for u in result.plan.unassigned:
        if u.job not in planned and u.job not in ws.unassigned:
            ws.unassigned[u.job] = u.reason
    for job_id in planned:
        ws.unassigned.pop(job_id, None)
    ws.settle()
    place_pending(ws)
    return conclude(ws, state, None, t0, history=None, backend=f"live-reopt+{result.plan.solver.backend}")


def focus_technicians(state: DispatchState, max_jobs: int) -> set[str]:
    """Technicians whose open work (with the unassigned jobs they could take) is re-optimised
    when the whole open day is larger than ``max_jobs`` jobs: those nearest (from where they
    are free) to the unassigned jobs, heaviest jobs first, then those whose routes carry the
    most lateness, until ``max_jobs`` open jobs are in."""
    problem = state.problem
    matrix = matrix_of(problem)
    open_count = {t: len(tp.suffix) for t, tp in state.plans.items()}
    if sum(open_count.values()) + len(state.unassigned) <= max_jobs:
        return set(state.plans)
    chosen: list[str] = []
    total = 0
    pending = sorted((problem.job(j) for j in state.unassigned if problem.job(j).dispatchable),
                     key=lambda j: (-problem.weight(j), j.due_s))
    for job in pending[:max_jobs // 4]:
        j = matrix.index(job.location)
        leads = [t for t in problem.technicians if t.id not in chosen and rules.can_lead(problem, t, job)]
        leads.sort(key=lambda t: int(matrix.seconds[state.plans[t.id].base.loc, j]))
        for tech in leads[:2]:
            if total + open_count[tech.id] > max_jobs:
                break
            chosen.append(tech.id)
            total += open_count[tech.id]
    late = []
    for tid, tp in state.plans.items():
        cost = sum(problem.weight(problem.job(j)) * max(0, st.starts[-1][1] - problem.job(j).due_s)
                   for (j, _), st in zip(tp.suffix, tp.states))
        late.append((-cost, tid))
    for _, tid in sorted(late):
        if tid in chosen:
            continue
        if total + open_count[tid] > max_jobs:
            continue
        chosen.append(tid)
        total += open_count[tid]
    return set(chosen)


WARM_START_BACKENDS = ("auto", "portfolio", "ortools")
"""Backends that take ``initial``, ``solution_limit`` and ``churn_penalty_min``; the others
(greedy, vroom, pyvrp) re-plan the open part from scratch and refuse those options."""


def _solve(sub: Problem, backend: str, time_limit_s: float, seed: int, solution_limit: int | None, *,
           initial: Plan | None = None, churn_penalty_min: float = 0.0) -> Result:
    """``solve`` with the warm-start options passed only to a backend that honours them."""
    if backend not in WARM_START_BACKENDS:
        return solve(sub, backend=backend, time_limit_s=time_limit_s, seed=seed)
    return solve(sub, backend=backend, time_limit_s=time_limit_s, seed=seed, initial=initial,
                 solution_limit=solution_limit, churn_penalty_min=churn_penalty_min)


def replan(state: DispatchState, *, now_s: int | None = None, backend: str = "ortools",
           time_limit_s: float = DEFAULT_TIME_LIMIT_S, churn_penalty_min: float = DEFAULT_CHURN_PENALTY_MIN,
           seed: int = 0, solution_limit: int | None = None, warm_start: bool = True,
           portfolio: bool = True, focus_jobs: int | None = DEFAULT_FOCUS_JOBS) -> Update:
    """Re-optimise the open part of the day (see the module doc); the Update's plan is the
    current one when the re-optimisation does not pay for its disruption.

    ``portfolio`` (default): half the time limit warm-started from the current plan (with the
    churn penalty), the rest from scratch (the backend's own construction); both are re-timed and
    stitched, and the one with the lower cost + churn x moved jobs is kept (if it pays).
    ``focus_jobs``: when the open day has more jobs, only the technicians chosen by
    :func:`focus_technicians` (and the unassigned jobs) are re-optimised, the others keep their
    routes: OR-Tools needs about 4 s just to build a 2,000-job model.
    ``warm_start=False`` solves the open part from scratch only (no churn penalty) and always
    returns the result: the "fresh full solve" the benchmark compares against.
    """
    t0 = time.perf_counter()
    if now_s is not None and now_s != state.now_s:
        state = state.advance(now_s)
    problem = state.problem
    techs = focus_technicians(state, focus_jobs) if focus_jobs else set(state.plans)
    sub, initial = open_subproblem(state, techs)
    runs = []
    if warm_start:
        share = time_limit_s / 2 if portfolio else time_limit_s
        runs.append(("warm", _solve(sub, backend, share, seed, solution_limit, initial=initial,
                                    churn_penalty_min=churn_penalty_min)))
        if portfolio:
            left = max(0.5, time_limit_s - (time.perf_counter() - t0))
            runs.append(("fresh", _solve(sub, backend, left, seed, solution_limit)))
    else:
        runs.append(("fresh", _solve(sub, backend, time_limit_s, seed, solution_limit)))
    old_cost = plan_cost(problem, state.plan)
    churn = churn_penalty_min * problem.objective.travel_minute
    scored = []
    for label, result in runs:
        update = _stitch(state, result, t0, techs, {j.id for j in sub.jobs})
        new_cost = plan_cost(update.problem, update.state.plan)
        moved = len(update.diff.moved)
        scored.append((new_cost + moved * churn, label, update, new_cost, moved, result))
    scored.sort(key=lambda item: item[0])
    _, label, update, new_cost, moved, result = scored[0]
    gain = old_cost - new_cost
    disruption = moved * churn
    what = f"{result.plan.solver.backend} {label}, {len(sub.jobs)} open jobs on {len(techs)} technicians"
    if warm_start and gain <= disruption + 1e-6:
        log.info("re-plan at %s: gain %.1f does not pay for %d moved job(s) (%.1f); plan kept",
                 problem.clock.to_iso(state.now_s), gain, moved, disruption)
        kept = replace(state, history=state.history + ("re-optimisation: no gain worth the disruption",))
        note = (f"re-optimisation ({what}, {time.perf_counter() - t0:.1f} s) found a gain of "
                f"{gain:.1f} for {moved} moved job(s) (churn {disruption:.1f}): plan kept")
        return Update(state=kept, event=None, diff=type(update.diff)(), notifications=(),
                      notes=(note,), elapsed_ms=(time.perf_counter() - t0) * 1000.0)
    hist = (f"re-optimisation: cost {old_cost:.1f} -> {new_cost:.1f}, {moved} moved, "
            f"{len(update.diff.retimed)} retimed")
    new_state = replace(update.state, history=state.history + (hist,))
    notes = update.notes + (hist + f" ({what}, {time.perf_counter() - t0:.1f} s)",)
    return replace(update, state=new_state, notes=notes, elapsed_ms=(time.perf_counter() - t0) * 1000.0)
