"""The immediate answer: a working copy of a dispatch state, best insertion and emergencies.

:class:`Workspace` is the mutable scratch copy of a :class:`~.state.DispatchState` for one
update. It freezes what started before "now", applies the event's changes (through its small
verbs: :meth:`Workspace.set_job`, :meth:`Workspace.add_job`, :meth:`Workspace.set_tech`,
:meth:`Workspace.remove_movable`, ...), re-times the technicians it touched with the forward pass
of :mod:`dispatchopt.timing.forward` (visits that no longer fit are *bumped* and queued),
places the queued jobs and returns the new state.

Placing a job
-------------
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

Other jobs go where they add the least cost (travel + late minutes x weight + overtime, the
terms of the plan objective) without bumping anything: every position after the frozen part
(and after the visit a technician is heading to) of every qualified technician is a candidate;
candidates are ranked by a lower bound (exact added travel + the job's own lateness at its
earliest possible start) and evaluated until the bound exceeds the best cost found. A candidate
is evaluated by placing the job and re-timing the visits after it only until their schedule
falls back onto the old one (same place, free time and breaks taken), the limits (max_jobs,
capacity, max_work) then being checked on the totals.

Crew jobs (crew_size k > 1) take the k earliest qualified members (a lead among them, pins
included) at their earliest common start: at the emergency position for an emergency, at the
end of the routes otherwise.

Fast path notes: the forward pass is :func:`feasibility.place` (about 3 microseconds a visit),
reused as is; the per-technician states after each visit are kept between updates, so an
insertion touches only the routes it changes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import rules
from ..domain import BreakRule, Job, Problem, Shift, Technician, Window
from ..errors import EventError
from ..plan import Plan
from ..timing import forward as fz
from ..timing.forward import RouteState, TechContext
from .state import (DispatchState, Item, TechPlan, carry_matrix, frozen_base, make_plan,
                    route_breaks, route_of)

log = logging.getLogger("dispatchopt")

EMERGENCY_RESPOND_MIN = 30.0
"""Categories whose SLA asks for a technician on site within this many minutes are emergencies."""

_MAX_EVALUATIONS = 400          # best-insertion candidates fully evaluated, at most
_CREW_ROUNDS = 20
_MAX_PLACEMENTS = 500           # placements of queued jobs in one update, at most


def is_emergency(problem: Problem, job: Job) -> bool:
    """Dispatched ahead of everything else (see the module doc)."""
    if job.category in problem.preemption:
        return True
    level = problem.sla[job.category]
    return level.working_days is None and level.respond_minutes <= EMERGENCY_RESPOND_MIN


@dataclass(frozen=True)
class Dispatch:
    """Who goes to a job placed by this update, and when."""

    job: str
    technicians: tuple[str, ...]
    arrival_s: int
    start_s: int
    on_time: bool
    interrupted: str | None = None      # the job in hand left for it (interrupt policy)
    follow_up: str | None = None        # the follow-up job created for the interrupted one
    diverted_from: str | None = None    # the visit the technician was on its way to


@dataclass(frozen=True)
class BumpRecord:
    job: str
    cause: str
    technician: str
    code: str                           # the feasibility failure code that bumped it


@dataclass
class _Cand:
    cost: float
    start: int
    tid: str
    pos: int


class Workspace:
    """A working copy of a dispatch state for one update (see the module doc)."""

    def __init__(self, state: DispatchState, now_s: int, *, cause: str = "re-timing",
                 freeze: bool = True) -> None:
        if now_s < state.now_s:
            raise EventError(f"time {state.problem.clock.to_iso(now_s)} is before the state's now "
                             f"{state.problem.clock.to_iso(state.now_s)}: events must come in time order")
        self.state = state
        self.now = int(now_s)
        self.problem = state.problem
        self.plans: dict[str, TechPlan] = dict(state.plans)
        self.unassigned: dict[str, str] = dict(state.unassigned)
        self.unavailable: dict[str, int] = dict(state.unavailable)
        self.contexts: dict[str, TechContext] = dict(state._contexts)
        self.buffer = state._buffer
        self.cause = cause
        self.dirty: set[str] = set()
        self.reconcile: set[str] = set()
        self.pending: list[tuple[str, str | None]] = []     # (job, preferred technician)
        self.bumps: dict[str, BumpRecord] = {}
        self.notes: list[str] = []
        self.dispatches: list[Dispatch] = []
        self.placed: set[str] = set()
        self._lead_cache: dict[tuple, list[str]] = {}
        self._member_cache: dict[tuple, list[str]] = {}
        if freeze:
            self._freeze()

    # -- lookups ---------------------------------------------------------------------------------
    def ctx(self, tid: str) -> TechContext:
        tech = self.problem.technician(tid)
        c = self.contexts.get(tid)
        if c is None or c.tech is not tech:
            c = self.contexts[tid] = TechContext(self.problem, tech)
        return c

    def t(self, seconds: float) -> str:
        return self.problem.clock.to_iso(seconds)[11:]

    def locate(self, job_id: str) -> list[tuple[str, str]]:
        """[(technician, "frozen" | "heading" | "suffix")] where the job is in the routes."""
        out = []
        for tid, tp in self.plans.items():
            for j, _ in tp.frozen:
                if j == job_id:
                    out.append((tid, "frozen"))
            if tp.heading is not None and tp.heading[0] == job_id:
                out.append((tid, "heading"))
            for j, _ in tp.suffix:
                if j == job_id:
                    out.append((tid, "suffix"))
        return out

    def leads(self, job: Job) -> list[str]:
        key = (tuple(sorted(job.skills.items())), id(self.problem.technicians))
        hit = self._lead_cache.get(key)
        if hit is None:
            hit = self._lead_cache[key] = [t.id for t in self.problem.technicians
                                           if rules.can_lead(self.problem, t, job)]
        return hit

    def members(self, job: Job) -> list[str]:
        key = (tuple(sorted(job.skills.items())), id(self.problem.technicians))
        hit = self._member_cache.get(key)
        if hit is None:
            hit = self._member_cache[key] = [
                t.id for t in self.problem.technicians
                if rules.can_lead(self.problem, t, job) or rules.can_assist(self.problem, t, job)]
        return hit

    def available(self, tid: str) -> bool:
        return not (tid in self.unavailable and self.unavailable[tid] <= self.now)

    # -- changing the problem ----------------------------------------------------------------------
    def _commit(self, jobs: tuple[Job, ...] | None = None,
                techs: tuple[Technician, ...] | None = None,
                job_map: dict[str, Job] | None = None, tech_map: dict[str, Technician] | None = None) -> None:
        old = self.problem
        changes = {}
        if jobs is not None:
            changes["jobs"] = jobs
        if techs is not None:
            changes["technicians"] = techs
        new = old.replace(**changes)
        new.__dict__["_jobs_by_id"] = job_map if job_map is not None else old._jobs_by_id
        new.__dict__["_techs_by_id"] = tech_map if tech_map is not None else old._techs_by_id
        new, self.buffer = carry_matrix(old, new, self.buffer)
        self.problem = new

    def set_job(self, job: Job) -> None:
        """Replace a job of the problem (same id); every technician holding it is re-timed."""
        old = self.problem
        if not old.has_job(job.id):
            raise EventError(f"unknown job {job.id!r}")
        jobs = tuple(job if j.id == job.id else j for j in old.jobs)
        job_map = dict(old._jobs_by_id)
        job_map[job.id] = job
        self._commit(jobs=jobs, job_map=job_map)
        for tid, _ in self.locate(job.id):
            self.dirty.add(tid)

    def add_job(self, job: Job) -> None:
        old = self.problem
        if old.has_job(job.id):
            raise EventError(f"job {job.id!r} already exists")
        job_map = dict(old._jobs_by_id)
        job_map[job.id] = job
        self._commit(jobs=old.jobs + (job,), job_map=job_map)

    def set_tech(self, tech: Technician) -> None:
        old = self.problem
        techs = tuple(tech if t.id == tech.id else t for t in old.technicians)
        tech_map = dict(old._techs_by_id)
        tech_map[tech.id] = tech
        self._commit(techs=techs, tech_map=tech_map)
        self._lead_cache.clear()
        self._member_cache.clear()
        tp = self.plans[tech.id]
        if tp.heading is not None and not self._heading_fits(tech.id, tp):
            self.plans[tech.id] = replace(tp, heading=None, heading_breaks=(),
                                          suffix=((tp.heading[0], self._fixed(tp.heading)),) + tp.suffix)
        self.dirty.add(tech.id)

    def _heading_fits(self, tid: str, tp: TechPlan) -> bool:
        """Does the visit the technician is heading to still fit its (changed) data as published?"""
        job_id, start = tp.heading
        job = self.problem.job(job_id)
        ctx = self.ctx(tid)
        matrix = self.problem.travel_matrix
        st = frozen_base(self.problem, ctx, tp.frozen, tp.frozen_breaks + tp.heading_breaks,
                         tp.departure_s if tp.frozen else None, -10**9)
        travel = int(matrix.seconds[st.loc, matrix.index(job.location)])
        st = replace(st, free_s=min(st.free_s, start - travel))
        return not isinstance(fz.place_job(self.problem, ctx, st, job, start_s=start), str)

    def fresh_id(self, base: str, tag: str) -> str:
        n = 1
        while self.problem.has_job(f"{base}-{tag}{n}"):
            n += 1
        return f"{base}-{tag}{n}"

    def _fixed(self, item: tuple[str, int]) -> int | None:
        return item[1] if self.problem.job(item[0]).crew_size > 1 else None

    # -- freezing what started before now ------------------------------------------------------------
    def _chain(self, tp: TechPlan) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[int, int], ...], int | None]:
        """(starts, breaks, departure) of the route as published."""
        if tp.suffix:
            st = tp.final
            return st.starts, route_breaks(st), st.departure_s
        starts = tp.frozen + ((tp.heading,) if tp.heading is not None else ())
        breaks = tp.frozen_breaks + (tp.heading_breaks if tp.heading is not None else ())
        return starts, breaks, tp.departure_s

    def _freeze(self) -> None:
        now = self.now
        problem = self.problem
        for tid, tp in self.plans.items():
            if tp.base.free_s < now:
                self.dirty.add(tid)     # its availability (now) moved: re-time from it
            if not tp.suffix and tp.heading is None:
                continue
            starts, breaks, departure = self._chain(tp)
            n_fixed = len(tp.frozen)
            nxt = starts[n_fixed] if len(starts) > n_fixed else None
            trigger = False
            if tp.heading is not None:
                trigger = tp.heading[1] < now
            elif nxt is not None:
                if nxt[1] < now:
                    trigger = True
                elif tp.frozen:
                    j, s = tp.frozen[-1]
                    trigger = s + problem.job(j).duration_s <= now
                else:
                    trigger = departure is not None and departure < now
            if not trigger:
                frozen_set = set(tp.frozen_breaks)
                trigger = any(b[0] < now and b not in frozen_set for b in breaks)
            if trigger:
                self.plans[tid] = self._split(tp, starts, breaks, departure)
                self.dirty.add(tid)

    def _split(self, tp: TechPlan, starts, breaks, departure) -> TechPlan:
        now = self.now
        problem = self.problem
        k = 0
        while k < len(starts) and starts[k][1] < now:
            k += 1
        frozen = tuple(starts[:k])
        rest = list(starts[k:])
        fixed = {j: f for j, f in tp.suffix}
        frozen_breaks = tuple(b for b in breaks if b[0] < now)
        heading = None
        heading_breaks: tuple[tuple[int, int], ...] = ()
        if rest:
            if frozen:
                j, s = frozen[-1]
                departed = s + problem.job(j).duration_s <= now
            else:
                departed = departure is not None and departure < now
            if departed:
                heading = rest.pop(0)
                heading_breaks = tuple(b for b in breaks if now <= b[0] < heading[1])
        suffix = tuple((j, fixed.get(j, s if problem.job(j).crew_size > 1 else None)) for j, s in rest)
        return replace(tp, frozen=frozen, frozen_breaks=frozen_breaks,
                       departure_s=departure if (frozen or heading) else None,
                       heading=heading, heading_breaks=heading_breaks, suffix=suffix)

    # -- re-timing ---------------------------------------------------------------------------------------
    def build(self, tid: str, tp: TechPlan, suffix: Sequence[Item] | None = None, *, bump: bool = True,
              durations: Mapping[str, int] | None = None) -> tuple[TechPlan | None, list[tuple[str, str]]]:
        """Re-time ``tp`` (with ``suffix`` instead of its own): (new plan, [(bumped job, code)]).

        Without ``bump`` a visit that does not fit makes the result None.
        """
        problem = self.problem
        ctx = self.ctx(tid)
        now = self.now
        suffix = tp.suffix if suffix is None else tuple(suffix)
        chain = tp.frozen + ((tp.heading,) if tp.heading is not None else ())
        breaks = tp.frozen_breaks + (tp.heading_breaks if tp.heading is not None else ())
        departure = tp.departure_s if chain else None
        base = frozen_base(problem, ctx, chain, breaks, departure, now, durations)
        matrix = problem.travel_matrix
        st = base
        states: list[RouteState] = []
        kept: list[Item] = []
        bumped: list[tuple[str, str]] = []
        for item in suffix:
            job = problem.job(item[0])
            p = fz.place_job(problem, ctx, st, job, start_s=item[1], not_before_s=now)
            if isinstance(p, str):
                bumped.append((item[0], p))
                if not bump:
                    return None, bumped
                continue
            st = fz.apply(ctx, st, p, job_id=job.id, loc=matrix.index(job.location),
                          duration_s=job.duration_s, demand=job.demand)
            states.append(st)
            kept.append(item)
        return replace(tp, departure_s=departure, suffix=tuple(kept), base=base, states=tuple(states)), bumped

    def divert_base(self, tid: str, tp: TechPlan, durations: Mapping[str, int] | None = None) -> RouteState:
        """The state after the frozen part when the technician leaves its heading visit (or its
        job in hand, with ``durations``) at now."""
        return frozen_base(self.problem, self.ctx(tid), tp.frozen, tp.frozen_breaks,
                           tp.departure_s if tp.frozen else None, self.now, durations)

    def settle(self, reason_prefix: str | None = None) -> None:
        """Re-time every dirty technician, bumping what no longer fits (queued for placement)."""
        while self.dirty:
            tid = min(self.dirty)
            self.dirty.discard(tid)
            if tid in self.reconcile:
                self.reconcile.discard(tid)
                self._reconcile(tid)
            new_tp, bumped = self.build(tid, self.plans[tid])
            self.plans[tid] = new_tp
            for job_id, code in bumped:
                self._bump(job_id, tid, code, reason_prefix)

    def _bump(self, job_id: str, tid: str, code: str, cause: str | None = None) -> None:
        job = self.problem.job(job_id)
        if job.crew_size > 1:
            self.remove_movable(job_id)
        self.bumps.setdefault(job_id, BumpRecord(job_id, cause or self.cause, tid, code))
        self.pending.append((job_id, None))

    def remove_movable(self, job_id: str) -> list[str]:
        """Take a not-started job out of every route (heading or suffix); returns the technicians."""
        out = []
        for tid, tp in self.plans.items():
            if tp.heading is not None and tp.heading[0] == job_id:
                self.plans[tid] = replace(tp, heading=None, heading_breaks=())
                tp = self.plans[tid]
                out.append(tid)
            if any(j == job_id for j, _ in tp.suffix):
                self.plans[tid] = replace(tp, suffix=tuple(i for i in tp.suffix if i[0] != job_id))
                out.append(tid)
        for tid in out:
            self.dirty.add(tid)
        return out

    def unfreeze_after(self, tid: str, index: int) -> None:
        """Visits frozen on ``tid`` after position ``index`` had not really started (an event says
        so): they go back to the front of the suffix, with their breaks; crew partners follow."""
        tp = self.plans[tid]
        if index >= len(tp.frozen) - 1 and tp.heading is None:
            return
        keep = tp.frozen[:index + 1]
        back = list(tp.frozen[index + 1:])
        if tp.heading is not None:
            back.append(tp.heading)
        cut = keep[-1][1] if keep else -math.inf
        breaks = tuple(b for b in tp.frozen_breaks if b[0] < cut)
        suffix = tuple((j, self._fixed((j, s))) for j, s in back) + tp.suffix
        self.plans[tid] = replace(tp, frozen=keep, frozen_breaks=breaks, heading=None, heading_breaks=(),
                                  suffix=suffix, departure_s=tp.departure_s if keep else None)
        self.dirty.add(tid)
        for j, _ in back:
            if self.problem.job(j).crew_size > 1:
                for other, where in self.locate(j):
                    if other != tid and where == "frozen":
                        pos = [x for x, _ in self.plans[other].frozen].index(j)
                        self.unfreeze_after(other, pos - 1)

    def make_current(self, job_id: str) -> list[str]:
        """The job is (still) being worked on at now: what the plan had after it on the same
        technicians has not started. Returns the technicians holding it frozen."""
        holders = [tid for tid, where in self.locate(job_id) if where == "frozen"]
        for tid in holders:
            pos = [j for j, _ in self.plans[tid].frozen].index(job_id)
            self.unfreeze_after(tid, pos)
        return holders

    # -- keeping the frozen past consistent with the rules ---------------------------------------------
    def _reconcile(self, tid: str) -> None:
        """Relax the technician's (or its jobs') data where the frozen past as executed breaks them:
        facts win over limits, and each relaxation is noted."""
        tp = self.plans[tid]
        if not tp.frozen:
            return
        problem = self.problem
        tech = problem.technician(tid)
        matrix = problem.travel_matrix
        # windows: a start after the window end (the appointment was kept late)
        for job_id, start in tp.frozen:
            job = problem.job(job_id)
            if job.window is not None and start < job.window.start_s:
                self.set_job(replace(job, window=Window(start, job.window.end_s)))
                self.notes.append(f"{job_id}: started {self.t(start)}, before its window "
                                  f"{self.t(job.window.start_s)}-{self.t(job.window.end_s)} (recorded as executed)")
                problem = self.problem
                job = problem.job(job_id)
            if job.window is not None and start > job.window.end_s:
                self.set_job(replace(job, window=Window(job.window.start_s, start)))
                self.notes.append(f"{job_id}: started {self.t(start)}, after its window end "
                                  f"{self.t(job.window.end_s)} (recorded as executed)")
                problem = self.problem
        shifts = [(s.start_s, s.end_s) for s in tech.shifts]
        overtime = tech.max_overtime_s
        loc = matrix.index(tech.start)
        work = load = 0
        last_end = None
        prev_end = tp.departure_s if tp.departure_s is not None else tech.shift_start_s
        for job_id, start in tp.frozen:
            job = problem.job(job_id)
            j = matrix.index(job.location)
            travel = int(matrix.seconds[loc, j])
            work += travel + job.duration_s
            load += job.demand
            loc = j
            end = start + job.duration_s
            last_end = end
            if travel > 0 and not _leg_fits(shifts, overtime, prev_end, start, travel):
                shifts, overtime = _cover(shifts, overtime, start - travel, start)
            shifts, overtime = _cover(shifts, overtime, start, end)
            prev_end = end
        home = int(matrix.seconds[loc, matrix.index(tech.end)])
        shifts, overtime = _cover(shifts, overtime, last_end, last_end + home)
        changes: dict = {}
        if shifts != [(s.start_s, s.end_s) for s in tech.shifts] or overtime != tech.max_overtime_s:
            changes["shifts"] = tuple(Shift(a, b) for a, b in shifts)
            changes["max_overtime_s"] = overtime
            self.notes.append(f"{tid}: working time extended to cover the work as executed "
                              f"(until {self.t(last_end + home)})")
        if tech.max_work_s is not None and work + home > tech.max_work_s:
            changes["max_work_s"] = work + home
            self.notes.append(f"{tid}: max work raised to {(work + home) / 60:.0f} min (work as executed)")
        if tech.max_jobs is not None and len(tp.frozen) > tech.max_jobs:
            changes["max_jobs"] = len(tp.frozen)
        if tech.capacity > 0 and load > tech.capacity:
            changes["capacity"] = load
        # breaks owed by the frozen part alone that it could not take: taken right after it
        new_rules = list(tech.breaks)
        for i, rule in enumerate(tech.breaks):
            if rule.latest_s < last_end and not _rule_taken(rule, tp.frozen_breaks):
                new_rules[i] = BreakRule(rule.earliest_s, max(rule.latest_s, last_end), rule.duration_s)
                self.notes.append(f"{tid}: break due by {self.t(rule.latest_s)} taken late, after the "
                                  f"work in hand ({self.t(last_end)})")
        if new_rules != list(tech.breaks):
            changes["breaks"] = tuple(new_rules)
        if changes:
            self.set_tech(replace(tech, **changes))

    # -- placing queued jobs --------------------------------------------------------------------------------
    def queue(self, job_id: str, prefer: str | None = None) -> None:
        self.pending.append((job_id, prefer))

    def place_pending(self) -> None:
        count = 0
        attempts: dict[str, int] = {}
        self.settle()
        while self.pending:
            self.settle()
            self.pending.sort(key=lambda item: self._urgency(item[0]))
            job_id, prefer = self.pending.pop(0)
            if self.locate(job_id):
                continue        # queued twice, already placed
            job = self.problem.job(job_id)
            if not job.dispatchable:
                continue
            count += 1
            attempts[job_id] = attempts.get(job_id, 0) + 1
            emergency = is_emergency(self.problem, job) and attempts[job_id] <= 1 and count <= _MAX_PLACEMENTS
            reason = self.place(job, emergency=emergency, prefer=prefer) if count <= _MAX_PLACEMENTS \
                else "not placed: too many displaced jobs in one update (re-optimise)"
            if reason is None:
                self.unassigned.pop(job_id, None)
                self.placed.add(job_id)
            else:
                bump = self.bumps.get(job_id)
                if bump is not None:
                    reason = f"bumped by {bump.cause}: {reason}"
                self.unassigned[job_id] = reason
            self.settle()

    def _urgency(self, job_id: str) -> tuple:
        job = self.problem.job(job_id)
        return (0 if is_emergency(self.problem, job) else 1, -self.problem.weight(job), job.due_s, job_id)

    def place(self, job: Job, *, emergency: bool, prefer: str | None = None) -> str | None:
        """Place ``job`` now; None when placed, else why not (a dispatcher-actionable reason)."""
        problem = self.problem
        reason = rules.qualification_reason(problem, job)
        if reason is not None:
            return reason
        if emergency and job.id in self.bumps and job.crew_size > 1:
            if self._place_crew(job, emergency=False) is None:
                return None
        if job.crew_size > 1:
            return self._place_crew(job, emergency=emergency)
        if job.pinned_to:
            cands = [p for p in job.pinned_to if rules.can_lead(problem, problem.technician(p), job)]
        else:
            cands = self.leads(job)
        cands = [c for c in cands if self.available(c)]
        if not cands:
            pins = ", ".join(job.pinned_to)
            return f"pinned technician {pins} is unavailable" if job.pinned_to else \
                "every qualified technician is unavailable"
        if emergency and job.id in self.bumps:
            # a displaced emergency goes where it costs least: where it fits without displacing
            # anything, or ahead of others (their delays and displacements priced): no cascades
            best = self._best_insertion(job, cands)
            choice = self._emergency_choice(job, cands)
            if best is not None and (choice is None or best.cost <= self._emergency_cost(job, choice)):
                self._commit_insert(best.tid, job, best.pos, bump=False)
                return None
            if choice is not None:
                self._commit_emergency(job, choice)
                return None
        elif emergency:
            choice = self._emergency_choice(job, cands)
            if choice is not None:
                self._commit_emergency(job, choice)
                return None
        else:
            if prefer is not None and prefer in cands:
                best = self._best_insertion(job, [prefer])
                if best is not None:
                    self._commit_insert(best.tid, job, best.pos, bump=False)
                    self._record(job, best.tid)
                    return None
            best = self._best_insertion(job, cands)
            if best is not None:
                self._commit_insert(best.tid, job, best.pos, bump=False)
                self._record(job, best.tid)
                return None
        return self._no_room(job)

    def _no_room(self, job: Job) -> str:
        static = rules.static_unassigned_reason(self.problem, job)
        if static is not None:
            return static
        when = self.t(self.now)
        if job.window is not None:
            return (f"no qualified technician can fit it inside its window "
                    f"{self.t(job.window.start_s)}-{self.t(job.window.end_s)} after {when}")
        return f"no qualified technician can fit it after {when} (routes full or shifts over)"

    def _record(self, job: Job, tid: str, *, interrupted: str | None = None,
                follow_up: str | None = None, diverted: str | None = None) -> None:
        if job.id in self.bumps:
            return      # a displaced job: reported as bumped, not as a dispatch
        starts = self.plans[tid].starts()
        start = starts[job.id]
        arrival = self._arrival(tid, job.id)
        self.dispatches.append(Dispatch(job.id, (tid,), arrival, start, rules.on_time(job, start),
                                        interrupted, follow_up, diverted))

    def _arrival(self, tid: str, job_id: str) -> int:
        """The arrival on site: the route's, but never before now + the trip (a technician
        diverted at now leaves from its last place then)."""
        route = route_of(self.problem, self.plans[tid])
        for v in route.visits:
            if v.job == job_id:
                return max(v.arrival_s, min(v.start_s, self.now + v.travel_s))
        raise EventError(f"internal: job {job_id} is not in the route of {tid}")  # pragma: no cover

    # -- emergencies --------------------------------------------------------------------------------------
    def _lead_count(self, tp: TechPlan, job: Job) -> int:
        """Leading visits an emergency does not jump: emergencies of at least its weight."""
        problem = self.problem
        w = problem.weight(job)
        h = 0
        for j, _ in tp.movable:
            other = problem.job(j)
            if is_emergency(problem, other) and problem.weight(other) >= w:
                h += 1
            else:
                break
        return h

    def _in_hand(self, tp: TechPlan) -> tuple[str, int, int] | None:
        if not tp.frozen:
            return None
        j, s = tp.frozen[-1]
        e = s + self.problem.job(j).duration_s
        return (j, s, e) if e > self.now else None

    def _options(self, tid: str, tp: TechPlan, job: Job) -> list[tuple[int, RouteState, str | None, int]]:
        """(position in movable, state before it, interrupted job, priority) to try for an emergency."""
        problem = self.problem
        h = self._lead_count(tp, job)
        out: list[tuple[int, RouteState, str | None, int]] = []
        if h == 0 and tp.heading is not None:
            out.append((0, self.divert_base(tid, tp), None, 1))
            out.append((1, tp.base, None, 0))
        else:
            out.append((h, tp.after(h - 1), None, 0))
        hand = self._in_hand(tp)
        if hand is not None and h == 0 and hand[1] < self.now and problem.policy(job.category) == "interrupt" \
                and problem.weight(problem.job(hand[0])) < problem.weight(job) \
                and problem.job(hand[0]).crew_size == 1:
            base = self.divert_base(tid, tp, durations={hand[0]: self.now - hand[1]})
            out.append((0, base, hand[0], 2))
        return out

    def _emergency_choice(self, job: Job, cands: Sequence[str]) -> tuple | None:
        """(start, priority, rank, technician, position, interrupted job) of the technician that
        can start ``job`` first under the preemption policy (ties: fewer bumps), or None."""
        problem = self.problem
        order = {t.id: i for i, t in enumerate(problem.technicians)}
        found: list[tuple[int, int, int, str, int, str | None]] = []
        for tid in cands:
            tp = self.plans[tid]
            ctx = self.ctx(tid)
            for pos, st, interrupted, prio in self._options(tid, tp, job):
                p = fz.place_job(problem, ctx, st, job, not_before_s=self.now)
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
            scored.append((self._bump_cost(tid, job, pos, interrupted), prio, rank, f))
        scored.sort()
        return scored[0][3]

    def tp_cost(self, tp: TechPlan) -> float:
        """Travel + weighted lateness + overtime of a technician's timed route (cost units)."""
        problem = self.problem
        obj = problem.objective
        st = tp.final
        late = 0.0
        for job_id, start in st.starts:
            job = problem.job(job_id)
            late += rules.late_s(job, start) * problem.weight(job)
        shift_end = self.ctx(tp.technician).tech.shift_end_s
        ret = st.return_s if st.return_s is not None else shift_end
        return ((st.travel_s + st.return_travel_s) * obj.travel_minute + late * obj.late_minute
                + max(0, ret - shift_end) * obj.overtime_minute) / 60.0

    def _emergency_cost(self, job: Job, choice: tuple) -> float:
        """Added cost of placing ``job`` ahead as ``choice`` says: the route's change plus every
        visit it displaces counted as unassigned (pessimistic: they may fit elsewhere)."""
        _, _, _, tid, pos, interrupted = choice
        tp = self.plans[tid]
        suffix, heading = self._with(tp, job, pos, None)
        trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                        suffix=suffix, departure_s=tp.departure_s if (tp.frozen or heading) else None)
        durations = {interrupted: max(0, self.now - dict(tp.frozen)[interrupted])} if interrupted else None
        new_tp, bumped = self.build(tid, trial, bump=True, durations=durations)
        if new_tp is None or any(j == job.id for j, _ in bumped):
            return float("inf")
        obj = self.problem.objective
        lost = sum(obj.unassigned * self.problem.weight(self.problem.job(j)) for j, _ in bumped)
        return self.tp_cost(new_tp) - self.tp_cost(tp) + lost

    def _commit_emergency(self, job: Job, choice: tuple) -> None:
        _, _, _, tid, pos, interrupted = choice
        tp = self.plans[tid]
        diverted = tp.heading[0] if (tp.heading is not None and pos == 0) else None
        follow = None
        if interrupted is not None:
            follow = self._interrupt(tid, interrupted, job.id)
        self._commit_insert(tid, job, pos, bump=True, cause=f"emergency {job.id}")
        self._record(job, tid, interrupted=interrupted, follow_up=follow, diverted=diverted)
        if follow is not None:
            self.queue(follow, prefer=tid)

    def _bump_cost(self, tid: str, job: Job, pos: int, interrupted: str | None) -> float:
        tp = self.plans[tid]
        suffix, heading = self._with(tp, job, pos, None)
        trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                        suffix=suffix)
        durations = {interrupted: self.now - tp.frozen[-1][1]} if interrupted else None
        _, bumped = self.build(tid, trial, bump=True, durations=durations)
        return sum(self.problem.weight(self.problem.job(j)) for j, _ in bumped)

    def _with(self, tp: TechPlan, job: Job, pos: int, fixed: int | None) -> tuple[tuple[Item, ...], tuple[str, int] | None]:
        """(suffix, heading) with ``job`` at movable position ``pos``."""
        item = (job.id, fixed)
        if tp.heading is not None:
            if pos == 0:
                head = (tp.heading[0], self._fixed(tp.heading))
                return (item, head) + tp.suffix, None
            s = list(tp.suffix)
            s.insert(pos - 1, item)
            return tuple(s), tp.heading
        s = list(tp.suffix)
        s.insert(pos, item)
        return tuple(s), None

    def _commit_insert(self, tid: str, job: Job, pos: int, *, bump: bool, fixed: int | None = None,
                       cause: str | None = None) -> None:
        tp = self.plans[tid]
        suffix, heading = self._with(tp, job, pos, fixed)
        trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                        suffix=suffix, departure_s=tp.departure_s if (tp.frozen or heading) else None)
        new_tp, bumped = self.build(tid, trial, bump=bump)
        if new_tp is None or any(j == job.id for j, _ in bumped):
            raise EventError(f"internal: job {job.id} evaluated feasible on {tid} but does not fit")  # pragma: no cover
        self.plans[tid] = new_tp
        for job_id, code in bumped:
            self._bump(job_id, tid, code, cause)

    def _interrupt(self, tid: str, job_id: str, by: str) -> str:
        """Stop ``job_id`` (in hand on ``tid``) at now; returns the follow-up job's id."""
        problem = self.problem
        job = problem.job(job_id)
        tp = self.plans[tid]
        start = dict(tp.frozen)[job_id]
        done = max(0, self.now - start)
        follow = self.follow_up(job, remaining_s=job.duration_s - done, tag="f")
        self.set_job(replace(job, duration_s=done))
        self.notes.append(f"{tid} leaves {job_id} at {self.t(self.now)} for emergency {by}: "
                          f"{done / 60:.0f} min done, follow-up {follow} for the remaining "
                          f"{(job.duration_s - done) / 60:.0f} min")
        return follow

    def follow_up(self, job: Job, *, remaining_s: int, tag: str, dispatchable: bool = True) -> str:
        """Create a follow-up job for the rest of ``job`` (received now; SLA of its category)."""
        new_id = self.fresh_id(job.id, tag)
        level = self.problem.sla[job.category]
        due = self.now + int(round(level.respond_minutes * 60))
        follow = Job(id=new_id, location=job.location, category=job.category, skills=dict(job.skills),
                     duration_s=max(0, remaining_s), received_s=self.now, due_s=due, window=None,
                     crew_size=job.crew_size, demand=0, pinned_to=(), dispatchable=dispatchable)
        self.add_job(follow)
        return new_id

    # -- best insertion (no bumping) ------------------------------------------------------------------
    def _best_insertion(self, job: Job, cands: Sequence[str]) -> _Cand | None:
        problem = self.problem
        obj = problem.objective
        matrix = problem.travel_matrix
        M = matrix.seconds
        j = matrix.index(job.location)
        earliest = max(rules.earliest_start_s(job), self.now)
        latest = rules.latest_start_s(job)
        late_coeff = obj.late_minute * problem.weight(job) / 60.0
        travel_coeff = obj.travel_minute / 60.0
        tids: list[str] = []
        poss: list[int] = []
        prevs: list[int] = []
        nexts: list[int] = []
        frees: list[int] = []
        for tid in cands:
            tp = self.plans[tid]
            ctx = self.ctx(tid)
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
        best: _Cand | None = None
        evaluated = 0
        for k in order:
            bound = lb[k]
            if not np.isfinite(bound):
                break
            if best is not None and bound >= best.cost - 1e-9:
                break
            if evaluated >= _MAX_EVALUATIONS:
                break
            evaluated += 1
            tid, pos = tids[k], poss[k]
            res = self._evaluate(tid, self.plans[tid], pos, job, j, int(delta[k]))
            if res is None:
                continue
            cost, start = res
            if best is None or cost < best.cost - 1e-9:
                best = _Cand(cost, start, tid, pos)
        return best

    def _evaluate(self, tid: str, tp: TechPlan, pos: int, job: Job, j: int, delta_travel: int
                  ) -> tuple[float, int] | None:
        """(added cost, start) of ``job`` at movable position ``pos`` of ``tid`` without bumping,
        or None when something would no longer fit."""
        problem = self.problem
        obj = problem.objective
        ctx = self.ctx(tid)
        matrix = problem.travel_matrix
        st = tp.after(pos - 1)
        p = fz.place_job(problem, ctx, st, job, not_before_s=self.now)
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
                fixed = self._fixed(tp.heading)
            other = problem.job(item_id)
            p = fz.place_job(problem, ctx, st, other, start_s=fixed, not_before_s=self.now)
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

    # -- crews ------------------------------------------------------------------------------------------------
    def _place_crew(self, job: Job, *, emergency: bool) -> str | None:
        problem = self.problem
        k = job.crew_size
        leads = set(self.leads(job))
        members = [m for m in self.members(job) if self.available(m)]
        pins = list(job.pinned_to)
        if any(not self.available(p) for p in pins):
            return f"pinned technician {', '.join(p for p in pins if not self.available(p))} is unavailable"
        lower = max(rules.earliest_start_s(job), self.now)
        for _ in range(_CREW_ROUNDS):
            avail: dict[str, tuple[int, int]] = {}
            for tid in members:
                tp = self.plans[tid]
                pos = self._lead_count(tp, job) if emergency else len(tp.movable)
                if emergency and pos == 0 and tp.heading is not None:
                    pos = 1     # crews do not divert a technician (they meet at a common start)
                st = tp.after(pos - 1)
                p = fz.place_job(problem, self.ctx(tid), st, job, not_before_s=lower)
                if not isinstance(p, str):
                    avail[tid] = (p.start_s, pos)
            crew = _pick_crew(avail, leads, pins, k, {t.id: t.trainee for t in problem.technicians})
            if crew is None:
                return self._no_room(job) if not avail else \
                    f"crew of {k} could not be formed after {self.t(lower)} ({len(avail)} qualified free)"
            common = max(avail[t][0] for t in crew)
            ok = True
            trials = {}
            for tid in crew:
                tp = self.plans[tid]
                suffix, heading = self._with(tp, job, avail[tid][1], common)
                trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                                suffix=suffix)
                new_tp, bumped = self.build(tid, trial, bump=emergency)
                if new_tp is None or any(j == job.id for j, _ in bumped):
                    ok = False
                    break
                trials[tid] = (new_tp, bumped)
            if ok:
                for tid, (new_tp, _) in trials.items():     # all members first: a bump below may
                    self.plans[tid] = new_tp                # take a crew job out of another member
                for tid, (_, bumped) in trials.items():
                    for job_id, code in bumped:
                        self._bump(job_id, tid, code, f"emergency {job.id}" if emergency else None)
                start = common
                if job.id in self.bumps:
                    return None
                arrival = min(self._arrival(t, job.id) for t in crew)
                self.dispatches.append(Dispatch(job.id, tuple(crew), arrival, start,
                                                rules.on_time(job, start)))
                return None
            lower = common + 60
            if rules.latest_start_s(job) is not None and lower > rules.latest_start_s(job):
                break
        return f"crew of {k} could not be formed at a common time after {self.t(self.now)}"

    # -- the result ----------------------------------------------------------------------------------------
    def finish(self, *, published: Plan, history: str | None = None,
               backend: str | None = None) -> tuple[DispatchState, set[str]]:
        """(the new state, technicians whose route changed)."""
        self.place_pending()
        self._freeze()      # canonical form: a technician now free heads to its next visit
        self.place_pending()
        problem = self.problem
        old_routes = {r.technician: r for r in self.state.plan.routes}
        routes = []
        changed: set[str] = set()
        old_plans = self.state.plans
        for tech in problem.technicians:
            tp = self.plans[tech.id]
            old_tp = old_plans.get(tech.id)
            route = None
            if old_tp is tp and problem.technician(tech.id) is self.state.problem.technician(tech.id):
                route = old_routes.get(tech.id)
            if route is None:
                route = route_of(problem, tp)
                if route != old_routes.get(tech.id):
                    changed.add(tech.id)
            routes.append(route)
        known = set()
        for tp in self.plans.values():
            known.update(tp.job_ids)
        for job in problem.jobs:
            if job.id not in known and job.id not in self.unassigned:    # pragma: no cover - defensive
                log.warning("live: job %s fell out of the plan; listed unassigned", job.id)
                self.unassigned[job.id] = "not planned (internal: lost by the live update)"
        for job_id in list(self.unassigned):
            if job_id in known:
                del self.unassigned[job_id]
        plan = make_plan(problem, routes, self.unassigned, backend=backend or "live-insertion")
        hist = self.state.history + ((history,) if history else ())
        state = DispatchState(problem=problem, plan=plan, now_s=self.now, plans=dict(self.plans),
                              unassigned=dict(self.unassigned), unavailable=dict(self.unavailable),
                              history=hist, _contexts=self.contexts, _buffer=self.buffer)
        return state, changed


# -- helpers ------------------------------------------------------------------------------------------------
def _cover(shifts: list[tuple[int, int]], overtime: int, lo: int | None, hi: int | None
           ) -> tuple[list[tuple[int, int]], int]:
    """Shifts (and overtime) extended so that [lo, hi] lies in the working time."""
    if lo is None or hi is None or hi <= lo:
        return shifts, overtime
    spans = list(shifts)
    last = len(spans) - 1
    working = spans[:-1] + [(spans[-1][0], spans[-1][1] + overtime)]
    if any(a <= lo and hi <= b for a, b in working):
        return shifts, overtime
    k = 0
    for i, (a, _) in enumerate(spans):
        if a <= lo:
            k = i
    a, b = spans[k]
    if lo < a:
        a = lo
    if k == last:
        spans[k] = (a, b)
        overtime = max(overtime, hi - b)
        return spans, overtime
    b = max(b, hi)
    spans[k] = (a, b)
    merged = spans[:k + 1]
    for a2, b2 in spans[k + 1:]:
        if a2 <= merged[-1][1]:
            if (a2, b2) == spans[last] and merged[-1][1] > b2:
                # merging into the last shift: its end moves, overtime keeps its meaning
                merged[-1] = (merged[-1][0], b2)
                overtime = max(overtime, b - b2)
            else:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b2))
        else:
            merged.append((a2, b2))
    return merged, overtime


def _leg_fits(shifts: list[tuple[int, int]], overtime: int, lo: int, hi: int, travel: int) -> bool:
    """Is there ``travel`` seconds of working time in one shift between ``lo`` and ``hi``?"""
    spans = shifts[:-1] + [(shifts[-1][0], shifts[-1][1] + overtime)]
    for a, b in spans:
        d = max(a, lo)
        if d + travel <= min(b, hi):
            return True
    return False


def _rule_taken(rule: BreakRule, taken: Sequence[tuple[int, int]]) -> bool:
    return any(rule.earliest_s <= s <= rule.latest_s and e - s == rule.duration_s for s, e in taken)


def _pick_crew(avail: Mapping[str, tuple[int, int]], leads: set[str], pins: Sequence[str], k: int,
               trainee: Mapping[str, bool]) -> list[str] | None:
    """k members minimising the latest earliest start: pins, the earliest lead, then the others."""
    if any(p not in avail for p in pins):
        return None
    key = lambda t: (avail[t][0], not trainee.get(t, False), t)   # noqa: E731
    crew = list(pins)
    if not any(t in leads for t in crew):
        cand = sorted((t for t in avail if t in leads and t not in crew), key=key)
        if not cand or len(crew) >= k:
            return None
        crew.append(cand[0])
    for t in sorted((t for t in avail if t not in crew), key=key):
        if len(crew) >= k:
            break
        crew.append(t)
    return crew if len(crew) == k else None
