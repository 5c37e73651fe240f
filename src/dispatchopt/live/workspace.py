"""The mutable working copy of a dispatch state for one update, and its small verbs.

:class:`Workspace` copies a state (:class:`~.snapshot.StateData`) for one update. It freezes what
started before "now", applies an event's changes through its verbs (:meth:`Workspace.set_job`,
:meth:`Workspace.add_job`, :meth:`Workspace.set_tech`, :meth:`Workspace.remove_movable`,
:meth:`Workspace.make_current`...) and re-times the technicians it touched with the forward
pass of :mod:`dispatchopt.timing.forward` (:meth:`Workspace.settle`): visits that no longer fit
are *bumped* and queued. Placing the queued jobs is the business of the modules above it
(:mod:`.dispatcher`, :mod:`.insertion`, :mod:`.preemption`, :mod:`.crew`), which also turn the
workspace back into a state (:func:`.dispatcher.finish`).

Fast path notes: the forward pass is :func:`dispatchopt.timing.forward.place` (about 3
microseconds a visit), reused as is; the per-technician states after each visit are kept between
updates (in the :class:`~.techplan.TechPlan`), so an insertion touches only the routes it changes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from .. import rules
from ..domain import Job, Problem, Technician
from ..domain.problem import derived
from ..errors import EventError
from ..timing import forward as fz
from ..timing.forward import RouteState, TechContext
from ..travel import matrix_of
from .matrix import carry_matrix
from .reconcile import relaxations
from .snapshot import StateData
from .techplan import Item, TechPlan, frozen_base, route_breaks, route_of

log = logging.getLogger("dispatchopt")

S = TypeVar("S", bound=StateData)


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
    """A visit taken out of a route by this update: why, from whom, and the failure code."""

    job: str
    cause: str
    technician: str
    code: str                           # the feasibility failure code that bumped it


def carry_eligibility(old: Problem, new: Problem, job: Job) -> None:
    """Give ``new`` (``old`` with ``job`` added or replaced, same technicians) the eligibility
    table of ``old`` with ``job``'s entry evaluated by the rules (can_lead / can_assist over the
    technicians in problem order, as ``rules.eligibility`` builds it), so that one update does
    not rebuild the table of the whole day (1.5 ms at 40 x 400). The table stays in the one
    eligibility cache, the problem's derived data."""
    table = dict(rules.eligibility(old))
    leads = tuple(t.id for t in new.technicians if rules.can_lead(new, t, job))
    members = tuple(t.id for t in new.technicians if t.id in leads or rules.can_assist(new, t, job))
    table[job.id] = (leads, members)
    derived(new, rules.ELIGIBILITY_KEY, lambda _problem: table, refresh=True)


class Workspace(Generic[S]):
    """A working copy of a dispatch state for one update (see the module doc)."""

    """A working copy of a dispatch state for one update (see the module doc)."""

    def __init__(self, state: S, now_s: int, *, cause: str = "re-timing",
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
        self.contexts: dict[str, TechContext] = dict(state.contexts)
        self.buffer = state.matrix_buffer
        self.cause = cause
        self.dirty: set[str] = set()
        self.reconcile: set[str] = set()
        self.pending: list[tuple[str, str | None]] = []     # (job, preferred technician)
        self.bumps: dict[str, BumpRecord] = {}
        self.notes: list[str] = []
        self.dispatches: list[Dispatch] = []
        self.placed: set[str] = set()
        if freeze:
            self.freeze()

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

    def leads(self, job: Job) -> tuple[str, ...]:
        """Technicians who may lead ``job`` (problem order; ``rules.eligibility``)."""
        return rules.eligibility(self.problem)[job.id][0]

    def members(self, job: Job) -> tuple[str, ...]:
        """Technicians who may be a member of ``job``'s crew (problem order)."""
        return rules.eligibility(self.problem)[job.id][1]

    def available(self, tid: str) -> bool:
        return not (tid in self.unavailable and self.unavailable[tid] <= self.now)

    # -- changing the problem ----------------------------------------------------------------------
    def _commit(self, *, jobs: tuple[Job, ...] | None = None, techs: tuple[Technician, ...] | None = None,
                changed: Job | None = None) -> None:
        """Make the problem with ``jobs`` / ``techs``; it gets the carried travel matrix and, when
        only ``changed`` (a job) differs, the old eligibility table with that job's entry redone."""
        old = self.problem
        changes = {}
        if jobs is not None:
            changes["jobs"] = jobs
        if techs is not None:
            changes["technicians"] = techs
        new = old.replace(**changes)
        new, self.buffer = carry_matrix(old, new, self.buffer)
        if changed is not None:
            carry_eligibility(old, new, changed)
        self.problem = new

    def set_job(self, job: Job) -> None:
        """Replace a job of the problem (same id); every technician holding it is re-timed."""
        old = self.problem
        if not old.has_job(job.id):
            raise EventError(f"unknown job {job.id!r}")
        self._commit(jobs=tuple(job if j.id == job.id else j for j in old.jobs), changed=job)
        for tid, _ in self.locate(job.id):
            self.dirty.add(tid)

    def add_job(self, job: Job) -> None:
        old = self.problem
        if old.has_job(job.id):
            raise EventError(f"job {job.id!r} already exists")
        self._commit(jobs=old.jobs + (job,), changed=job)

    def set_tech(self, tech: Technician) -> None:
        old = self.problem
        self._commit(techs=tuple(tech if t.id == tech.id else t for t in old.technicians))
        tp = self.plans[tech.id]
        if tp.heading is not None and not self._heading_fits(tech.id, tp):
            self.plans[tech.id] = replace(tp, heading=None, heading_breaks=(),
                                          suffix=((tp.heading[0], self.fixed(tp.heading)),) + tp.suffix)
        self.dirty.add(tech.id)

    def _heading_fits(self, tid: str, tp: TechPlan) -> bool:
        """Does the visit the technician is heading to still fit its (changed) data as published?"""
        job_id, start = tp.heading
        job = self.problem.job(job_id)
        ctx = self.ctx(tid)
        matrix = matrix_of(self.problem)
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

    def fixed(self, item: tuple[str, int]) -> int | None:
        return item[1] if self.problem.job(item[0]).crew_size > 1 else None

    # -- freezing what started before now ------------------------------------------------------------
    def chain_of(self, tp: TechPlan) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[int, int], ...], int | None]:
        """(starts, breaks, departure) of the route as published."""
        if tp.suffix:
            st = tp.final
            return st.starts, route_breaks(st), st.departure_s
        starts = tp.frozen + ((tp.heading,) if tp.heading is not None else ())
        breaks = tp.frozen_breaks + (tp.heading_breaks if tp.heading is not None else ())
        return starts, breaks, tp.departure_s

    def freeze(self) -> None:
        now = self.now
        problem = self.problem
        for tid, tp in self.plans.items():
            if tp.base.free_s < now:
                self.dirty.add(tid)     # its availability (now) moved: re-time from it
            if not tp.suffix and tp.heading is None:
                continue
            starts, breaks, departure = self.chain_of(tp)
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
                self.plans[tid] = self.split(tp, starts, breaks, departure)
                self.dirty.add(tid)

    def split(self, tp: TechPlan, starts, breaks, departure) -> TechPlan:
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
        matrix = matrix_of(problem)
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
                self.relax(tid)
            new_tp, bumped = self.build(tid, self.plans[tid])
            self.plans[tid] = new_tp
            for job_id, code in bumped:
                self.bump(job_id, tid, code, reason_prefix)

    def relax(self, tid: str) -> None:
        """Relax ``tid``'s (or its jobs') data where its frozen past as executed breaks them
        (:func:`.reconcile.relaxations`: facts win over limits, each relaxation noted)."""
        relax = relaxations(self.problem, self.plans[tid])
        for job in relax.jobs:
            self.set_job(job)
        self.notes.extend(relax.notes)
        if relax.tech_changes:
            self.set_tech(replace(self.problem.technician(tid), **relax.tech_changes))

    def bump(self, job_id: str, tid: str, code: str, cause: str | None = None) -> None:
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
        suffix = tuple((j, self.fixed((j, s))) for j, s in back) + tp.suffix
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


    # -- queued jobs and what placing them records ----------------------------------------------------
    def queue(self, job_id: str, prefer: str | None = None) -> None:
        self.pending.append((job_id, prefer))

    def no_room(self, job: Job) -> str:
        static = rules.static_unassigned_reason(self.problem, job)
        if static is not None:
            return static
        when = self.t(self.now)
        if job.window is not None:
            return (f"no qualified technician can fit it inside its window "
                    f"{self.t(job.window.start_s)}-{self.t(job.window.end_s)} after {when}")
        return f"no qualified technician can fit it after {when} (routes full or shifts over)"

    def record(self, job: Job, tid: str, *, interrupted: str | None = None,
                follow_up: str | None = None, diverted: str | None = None) -> None:
        if job.id in self.bumps:
            return      # a displaced job: reported as bumped, not as a dispatch
        starts = self.plans[tid].starts()
        start = starts[job.id]
        arrival = self.arrival(tid, job.id)
        self.dispatches.append(Dispatch(job.id, (tid,), arrival, start, rules.on_time(job, start),
                                        interrupted, follow_up, diverted))

    def arrival(self, tid: str, job_id: str) -> int:
        """The arrival on site: the route's, but never before now + the trip (a technician
        diverted at now leaves from its last place then)."""
        route = route_of(self.problem, self.plans[tid])
        for v in route.visits:
            if v.job == job_id:
                return max(v.arrival_s, min(v.start_s, self.now + v.travel_s))
        raise EventError(f"internal: job {job_id} is not in the route of {tid}")  # pragma: no cover


    def with_job(self, tp: TechPlan, job: Job, pos: int, fixed: int | None) -> tuple[tuple[Item, ...], tuple[str, int] | None]:
        """(suffix, heading) with ``job`` at movable position ``pos``."""
        item = (job.id, fixed)
        if tp.heading is not None:
            if pos == 0:
                head = (tp.heading[0], self.fixed(tp.heading))
                return (item, head) + tp.suffix, None
            s = list(tp.suffix)
            s.insert(pos - 1, item)
            return tuple(s), tp.heading
        s = list(tp.suffix)
        s.insert(pos, item)
        return tuple(s), None

    def commit_insert(self, tid: str, job: Job, pos: int, *, bump: bool, fixed: int | None = None,
                       cause: str | None = None) -> None:
        tp = self.plans[tid]
        suffix, heading = self.with_job(tp, job, pos, fixed)
        trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                        suffix=suffix, departure_s=tp.departure_s if (tp.frozen or heading) else None)
        new_tp, bumped = self.build(tid, trial, bump=bump)
        if new_tp is None or any(j == job.id for j, _ in bumped):
            raise EventError(f"internal: job {job.id} evaluated feasible on {tid} but does not fit")  # pragma: no cover
        self.plans[tid] = new_tp
        for job_id, code in bumped:
            self.bump(job_id, tid, code, cause)


    def follow_up(self, job: Job, *, remaining_s: int, tag: str, dispatchable: bool = True) -> str:
        """Create a follow-up job for the rest of ``job`` (received now; SLA of its category)."""
        new_id = self.fresh_id(job.id, tag)
        due = rules.sla_due_s(self.problem.clock, self.now, self.problem.sla[job.category])
        follow = Job(id=new_id, location=job.location, category=job.category, skills=dict(job.skills),
                     duration_s=max(0, remaining_s), received_s=self.now, due_s=due, window=None,
                     crew_size=job.crew_size, demand=0, pinned_to=(), dispatchable=dispatchable)
        self.add_job(follow)
        return new_id

