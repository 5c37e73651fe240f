"""The greedy baseline: "the dispatcher by hand". Also the fallback and the warm start of the
OR-Tools backend, so it always returns a feasible plan.

Jobs are taken in deadline order (SLA ``due``, then window end, then category weight, heaviest
first, then id). Each goes to the qualified technician who can start it earliest, appended at the
end of that technician's route (a dispatcher appends; nothing is re-sequenced). A crew job
(``crew_size`` k > 1) goes to k technicians at the earliest common start: a lead
(``rules.can_lead``), the others leads or assistants (``rules.can_assist``; trainees allowed
there), every pinned technician included. Timing and the hard rules are those of
:mod:`dispatchopt.timing.forward`. A job that fits nowhere is unassigned with a reason a
dispatcher can act on.

``seed`` permutes the technician ranking used to break exact ties (same start, same travel);
the job order has no ties (the id is its last key).
"""

from __future__ import annotations

import logging
import math
import random
import time

from .. import rules
from ..domain import Job, Problem
from ..plan import Plan, Route, SolverInfo, Unassigned
from ..timing.crew import pick_crew
from ..timing.forward import (CAPACITY, HORIZON, LIMIT_CODES, RETURN, Placement, RouteState, TechContext,
                              apply, materialise, place, place_job)
from ..travel import matrix_of
from .base import Result, Statistics, derive_status

log = logging.getLogger("dispatchopt")

BACKEND = "greedy"
_CREW_ROUNDS = 50       # common-start search rounds before a crew job is given up


def job_order_key(problem: Problem, job: Job) -> tuple:
    """Deadline order: due, window end (none last), category weight (heaviest first), id."""
    window_end = job.window.end_s if job.window is not None else math.inf
    return (job.due_s, window_end, -problem.weight(job), job.id)


def solve_greedy(problem: Problem, *, seed: int = 0, time_limit_s: float | None = None) -> Result:
    """Plan ``problem`` the way a dispatcher does by hand; always a feasible plan.

    ``time_limit_s`` is recorded only: the greedy pass is fast (about 0.1 s for 40 technicians
    x 400 jobs) and runs to the end, because it is the fallback.
    """
    clock = time.perf_counter()
    solver = _Greedy(problem, seed)
    for job in sorted(problem.jobs, key=lambda j: job_order_key(problem, j)):
        reason = solver.qualification_reason(job)
        if reason is None:
            reason = solver.assign(job)
        if reason is not None:
            solver.unassigned[job.id] = reason
    routes = solver.routes()
    unassigned = tuple(Unassigned(job.id, solver.unassigned[job.id])
                       for job in problem.jobs if job.id in solver.unassigned)
    dispatchable = [job for job in problem.jobs if job.dispatchable]
    planned = len(dispatchable) - sum(1 for job in dispatchable if job.id in solver.unassigned)
    status = derive_status(problem, solver.unassigned)
    wall = time.perf_counter() - clock
    plan = Plan(scenario=problem.name, clock=problem.clock,
                solver=SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=seed,
                                  status=status.value, objective=None, wall_s=wall),
                routes=routes, unassigned=unassigned)
    log.info("greedy: %d/%d dispatchable jobs planned in %.3f s (%s)", planned, len(dispatchable),
             wall, status.value)
    return Result(plan=plan, status=status,
                  stats=Statistics(wall_s=wall, objective=None, iterations=len(problem.jobs),
                                   extra={"planned": planned, "unassigned": len(unassigned)}))


class _Greedy:
    def __init__(self, problem: Problem, seed: int) -> None:
        self.problem = problem
        self.matrix = matrix_of(problem)
        self.contexts = {tech.id: TechContext(problem, tech) for tech in problem.technicians}
        self.states: dict[str, RouteState] = {tid: ctx.empty() for tid, ctx in self.contexts.items()}
        ids = [tech.id for tech in problem.technicians]
        shuffled = ids[:]
        random.Random(seed).shuffle(shuffled)
        self.rank = {tid: i for i, tid in enumerate(shuffled)}
        self.unassigned: dict[str, str] = {}
        self.eligible = rules.eligibility(problem)

    # -- who may go ----------------------------------------------------------------------------
    def qualification_reason(self, job: Job) -> str | None:
        return rules.qualification_reason(self.problem, job)

    def pool(self, job: Job) -> tuple[list[str], list[str]]:
        """(leads, assistants-only) technician ids for the job's skills, pins ignored."""
        leads, members = self.eligible[job.id]
        lead_set = set(leads)
        return list(leads), [tid for tid in members if tid not in lead_set]

    # -- timing --------------------------------------------------------------------------------
    def _placer(self, job: Job):
        """A function (tech id, state, start_s, not_before_s) -> Placement | code for ``job``."""
        j = self.matrix.index(job.location)
        col = self.matrix.seconds[:, j].tolist()
        row = self.matrix.seconds[j].tolist()
        duration, earliest = job.duration_s, rules.earliest_start_s(job)
        latest, demand = rules.latest_start_s(job), job.demand
        send = rules.earliest_send_s(self.problem, job)
        contexts = self.contexts

        def placer(tid: str, state: RouteState, start_s: int | None = None,
                   not_before_s: int | None = None) -> Placement | str:
            ctx = contexts[tid]
            return place(ctx, state, duration_s=duration, earliest_s=earliest, latest_s=latest,
                         demand=demand, travel_in_s=col[state.loc], travel_out_s=row[ctx.end_idx],
                         start_s=start_s, not_before_s=not_before_s, send_s=send)

        return placer, j

    def _commit(self, job: Job, j: int, tid: str, placement: Placement) -> None:
        self.states[tid] = apply(self.contexts[tid], self.states[tid], placement, job_id=job.id,
                                 loc=j, duration_s=job.duration_s, demand=job.demand)

    # -- assignment ------------------------------------------------------------------------------
    def assign(self, job: Job) -> str | None:
        """Place ``job``; None when placed, else the reason it is not."""
        leads, helpers = self.pool(job)
        if job.crew_size > 1:
            return self._assign_crew(job, leads, helpers)
        candidates = list(job.pinned_to) if job.pinned_to else leads
        if len(job.pinned_to) > 1:
            return (f"pinned to {len(job.pinned_to)} technicians ({', '.join(job.pinned_to)}) "
                    f"but needs a crew of {job.crew_size}")
        placer, j = self._placer(job)
        best = None
        failures: dict[str, str] = {}
        for tid in candidates:
            p = placer(tid, self.states[tid])
            if isinstance(p, str):
                failures[tid] = p
                continue
            key = (p.start_s, p.travel_in_s, self.rank[tid])
            if best is None or key < best[0]:
                best = (key, tid, p)
        if best is not None:
            self._commit(job, j, best[1], best[2])
            return None
        return self._explain(job, candidates, failures)

    def _assign_crew(self, job: Job, leads: list[str], helpers: list[str]) -> str | None:
        k = job.crew_size
        pins = list(job.pinned_to)
        if len(pins) > k:
            return f"pinned to {len(pins)} technicians ({', '.join(pins)}) but needs a crew of {k}"
        lead_set = set(leads)
        if len(pins) == k and not lead_set.intersection(pins):
            return f"pinned to {', '.join(pins)}, none of whom may lead it, and it needs a crew of only {k}"
        members = leads + helpers
        placer, j = self._placer(job)
        lower = rules.earliest_start_s(job)
        first_failures: dict[str, str] = {}
        for round_no in range(_CREW_ROUNDS):
            avail: dict[str, Placement] = {}
            for tid in members:
                p = placer(tid, self.states[tid], None, lower)
                if isinstance(p, str):
                    if round_no == 0:
                        first_failures[tid] = p
                else:
                    avail[tid] = p
            crew = self._pick_crew(job, avail, lead_set, pins, k)
            if crew is None:
                if round_no == 0:
                    detail = f"{len(avail)} free"
                    if len(avail) >= k and not lead_set.intersection(avail):
                        detail += ", none of them qualified to lead"
                    return self._explain(job, members, first_failures, crew_detail=detail)
                return f"crew of {k} could not be formed at a common time"
            common = max(avail[tid].start_s for tid in crew)
            if common == lower:
                for tid in crew:
                    self._commit(job, j, tid, avail[tid])
                return None
            lower = common
        return f"crew of {k} could not be formed at a common time"

    def _pick_crew(self, job: Job, avail: dict[str, Placement], lead_set: set[str],
                   pins: list[str], k: int) -> list[str] | None:
        """:func:`~dispatchopt.timing.crew.pick_crew`; exact ties by travel, then the seeded rank."""
        return pick_crew({tid: p.start_s for tid, p in avail.items()}, leads=lead_set, pins=pins, k=k,
                         trainees=[tid for tid in avail if self.contexts[tid].tech.trainee],
                         tiebreak=lambda tid: (avail[tid].travel_in_s, self.rank[tid]))

    def _explain(self, job: Job, candidates: list[str], failures: dict[str, str], *,
                 crew_detail: str = "") -> str:
        return explain_unassigned(self.problem, self.contexts, job, candidates, failures,
                                  crew_detail=crew_detail)

    # -- output -----------------------------------------------------------------------------
    def routes(self) -> tuple[Route, ...]:
        out = []
        for tech in self.problem.technicians:
            state = self.states[tech.id]
            if not state.starts:
                out.append(Route(technician=tech.id))
                continue
            out.append(materialise(self.problem, tech.id, state.starts, state.breaks + state.home_breaks,
                                   state.departure_s, state.arrivals, state.return_s))
        return tuple(out)


def explain_unassigned(problem: Problem, contexts: dict[str, TechContext], job: Job,
                       candidates: list[str], failures: dict[str, str], *, crew_detail: str = "") -> str:
    """A dispatcher-actionable reason why no technician (or crew) of ``candidates`` took ``job``.

    ``failures`` maps a technician to the forward-pass failure code of its current route;
    ``crew_detail`` says how many were free (crew jobs). Used by the greedy and the construction.
    """
    k = job.crew_size
    pins = [p for p in job.pinned_to if p in failures]
    if pins:
        pin = pins[0]
        code = failures[pin]
        if code in LIMIT_CODES:
            return f"pinned technician {pin}: {_limit_text(code)} exhausted"
        p = place_job(problem, contexts[pin], contexts[pin].empty(), job)
        fresh = p if isinstance(p, str) else None
        if fresh is not None:
            return f"pinned technician {pin} {_time_text(fresh, job)}"
        return f"pinned technician {pin}'s route is full: cannot fit it {_window_text(job)}"
    if not candidates:
        return "no qualified technician"
    # Could enough of them do it on an empty day?
    win = _window_text(job)
    on_shift = [tid for tid in candidates if _on_shift(contexts[tid], job)]
    if len(on_shift) < k:
        if not on_shift:
            return f"no qualified technician on shift {win}"
        return f"crew of {k} could not be formed: only {len(on_shift)} qualified technicians on shift {win}"
    fresh = {}
    for tid in on_shift:
        p = place_job(problem, contexts[tid], contexts[tid].empty(), job)
        fresh[tid] = p if isinstance(p, str) else None
    fresh_ok = [tid for tid, code in fresh.items() if code is None]
    if len(fresh_ok) < k:
        codes = {code for code in fresh.values() if code is not None}
        if fresh_ok:
            reach = "before its window closes" if job.window is not None else "within their shifts"
            return (f"crew of {k} could not be formed: only {len(fresh_ok)} qualified "
                    f"technicians can reach it {reach}")
        if codes <= LIMIT_CODES:
            if CAPACITY in codes and job.demand:
                return f"demand {job.demand} exceeds every qualified technician's capacity"
            return (f"qualified technicians' {' / '.join(_limit_text(c) for c in sorted(codes))} "
                    f"too small for it")
        if codes == {HORIZON}:
            return "it cannot start before the planning horizon ends"
        if codes == {RETURN}:
            return "no qualified technician can reach it and be back before the shift ends"
        if job.window is None:
            return "no qualified technician can reach it within the shift"
        return "no qualified technician can reach it before its window closes"
    # Enough could on an empty day: their current routes block it.
    busy = [failures[tid] for tid in fresh_ok if tid in failures]
    limits = sorted({c for c in busy if c in LIMIT_CODES})
    crew = "" if k == 1 else f"crew of {k} could not be formed ({crew_detail}): "
    if busy and all(c in LIMIT_CODES for c in busy):
        return f"{crew}qualified technicians' {' / '.join(_limit_text(c) for c in limits)} exhausted"
    if job.window is not None:
        text = f"{crew}qualified technicians' routes are full: none can fit it inside the window"
    else:
        text = f"{crew}qualified technicians' shifts are fully booked"
    if limits:
        text += f" (others: {' / '.join(_limit_text(c) for c in limits)} exhausted)"
    return text


def _on_shift(ctx: TechContext, job: Job) -> bool:
    s = ctx.fit(rules.earliest_start_s(job), job.duration_s)
    latest = rules.latest_start_s(job)
    return s is not None and (latest is None or s <= latest)


def _limit_text(code: str) -> str:
    return {"max_jobs": "max_jobs", "work": "work minutes", "capacity": "capacity"}[code]


def _time_text(code: str, job: Job) -> str:
    if code in LIMIT_CODES:
        return f"has too small {_limit_text(code)} for it"
    if code == "return":
        return "cannot reach it and be back before the shift ends"
    if code == "shift":
        return f"is not on shift {_window_text(job)}"
    return "cannot reach it before its window closes"


def _window_text(job: Job) -> str:
    if job.window is not None:
        return "inside the window"
    return "after it is received"
