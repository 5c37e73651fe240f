"""Booking: the appointment windows we can promise a calling customer, and at what cost.

:func:`candidate_windows` answers, for every slot of the coming days (a grid of
``slot_minutes`` over the working hours of the technicians qualified for the job, from
"now"), whether the job, with its window set to that slot, can be served by a qualified
technician **without moving any job out of its window** (windows are hard in the forward
pass, so no insertion can) **and without making any emergency late, nor any job that is on
time late**, and what it costs: the change in :func:`dispatchopt.objective.plan_cost` (extra
travel, lateness caused, overtime, workload balance).

There is no re-solve per slot. One working copy of the dispatch state is made per call (the
job added once, so that the travel matrix knows its place); each slot is then priced by the
live dispatcher's own choice, :func:`dispatchopt.live.insertion.best_insertion` (the one
insertion of :mod:`dispatchopt.timing.insertion`, positions ranked by a lower bound), over the
qualified technicians on shift in that slot. The chosen place is re-timed once to the end of its
route (:func:`dispatchopt.timing.insertion.insertions` with a state price) to see whom it
delays: a slot whose insertion would make a job late is refused, with that job named. Because
the offer is the dispatcher's own choice, accepting it (:func:`book`: a ``NewJob`` event through
:func:`dispatchopt.live.apply`, as ``dispatchopt insert`` does) puts the job where it was offered.

The booked job's ``due``: by default (``due="window"``) the end of the slot, since the
appointment the customer agreed replaces the SLA clock; ``due="job"`` keeps the job's own
``due`` (an explicit one in the job file), the job's own lateness then being priced too.

Single-technician, non-emergency jobs are booked; an emergency is dispatched at once
(``dispatchopt insert``) and a crew job is left to the dispatcher: both are a ParameterError.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .. import rules
from ..domain import Job, Problem, Technician
from ..domain.job import Window
from ..errors import ParameterError
from ..objective import person_work_s
from ..timing.cost import state_cost
from ..timing.forward import RouteState
from ..timing.insertion import insertions
from .event_types import NewJob
from .events import apply
from .dispatcher import place_pending
from .events import conclude
from .handlers import handle
from .event_types import describe_event
from .insertion import Positions, best_insertion
from .notify import Update
from .preemption import is_emergency
from .state import DispatchState
from .workspace import Workspace

DUE_MODES = ("window", "job")


@dataclass(frozen=True)
class Slot:
    """One slot of the grid: offered (``technician``, ``start_s``, ``cost``) or refused (``reason``)."""

    label: str                      # local start, e.g. "2026-11-23T10:00" (what --accept takes)
    start_s: int                    # the window the job would get: service starts in [start_s, end_s]
    end_s: int
    technician: str | None = None   # who would go (the dispatcher's choice)
    visit_start_s: int | None = None  # planned start of service
    cost: float | None = None       # change in plan_cost
    added_travel_s: int | None = None
    reason: str | None = None       # why the slot is not offered
    position: int | None = None     # the place in the technician's movable visits (book() puts it there)
    note: str | None = None         # an offered slot whose cheapest place would break a promise: which

    @property
    def offered(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class ClosedDay:
    """A day of the asked range that offers no slot at all, and why."""

    day: dt.date
    reason: str


@dataclass(frozen=True)
class CandidateWindows:
    """The answer for one calling customer.

    ``offered``: the feasible slots, cheapest first (ties: earlier), at most ``top``;
    ``refused``: the other slots of the grid, in time order, each with its reason;
    ``closed``: the days that offer no slot (beyond the horizon, nobody qualified on shift);
    ``feasible``: how many slots were feasible before the ``top`` cut."""

    job: Job
    now_s: int
    offered: tuple[Slot, ...]
    refused: tuple[Slot, ...]
    closed: tuple[ClosedDay, ...]
    feasible: int
    elapsed_ms: float

    def slot(self, label: str) -> Slot | None:
        """The slot of that label (offered or refused), or None."""
        for s in self.offered + self.refused:
            if s.label == label:
                return s
        return None


def check_bookable(problem: Problem, job: Job) -> None:
    """ParameterError unless ``job`` is one a customer can book (see the module doc)."""
    if is_emergency(problem, job):
        raise ParameterError(f"job {job.id!r}: category {job.category!r} is an emergency: it is "
                             f"dispatched at once (dispatchopt insert), not booked")
    if job.crew_size > 1:
        raise ParameterError(f"job {job.id!r}: crew_size {job.crew_size}: booking offers slots for "
                             f"single-technician jobs; a crew job is placed by the dispatcher")
    if not job.dispatchable:
        raise ParameterError(f"job {job.id!r}: dispatchable is false: it cannot be booked")
    if job.window is not None:
        raise ParameterError(f"job {job.id!r}: has a window already; booking chooses it (drop 'window')")


def slot_job(job: Job, slot: Slot | Window, *, due: str = "window") -> Job:
    """``job`` with its window set to the slot (and its due the slot end, ``due="window"``)."""
    if due not in DUE_MODES:
        raise ParameterError(f"due: expected one of {', '.join(DUE_MODES)}, got {due!r}")
    window = Window(slot.start_s, slot.end_s)
    return replace(job, window=window, due_s=window.end_s if due == "window" else job.due_s)


def book(state: DispatchState, job: Job, slot: Slot, *, due: str = "window") -> Update:
    """Book ``slot`` for ``job``: the job gets that window and comes in by a ``NewJob`` event at
    the state's now (as ``dispatchopt insert``: the same handler, placement of what it bumps,
    diff and notices), put at the slot's place (``technician``, ``position``) when the slot
    names one, the place :func:`candidate_windows` priced on the same state (the cheapest that
    keeps every promise, which may be dearer than the dispatcher's own choice); else placed by
    the dispatcher (:func:`dispatchopt.live.apply`)."""
    check_bookable(state.problem, job)
    event = NewJob(at_s=state.now_s, job=slot_job(job, slot, due=due))
    if slot.technician is None or slot.position is None:
        return apply(state, event)
    t0 = time.perf_counter()
    ws = Workspace(state, event.at_s, cause=f"new job {job.id}")
    silent: set[str] = set()
    extra: list = []
    handle(ws, event, silent, extra)
    ws.settle()
    placed = ws.problem.job(job.id)
    ws.pending = [item for item in ws.pending if item[0] != job.id]
    ws.commit_insert(slot.technician, placed, slot.position, bump=False)
    ws.record(placed, slot.technician)
    ws.placed.add(job.id)
    place_pending(ws)
    return conclude(ws, state, event, t0, silent=silent, extra=extra,
                    history=describe_event(ws.problem, event))


# -- the slot grid --------------------------------------------------------------------------------
def _midnight(problem: Problem, day: dt.date) -> int:
    clock = problem.clock
    return clock.to_seconds(dt.datetime.combine(day, dt.time(0, 0), tzinfo=clock.tz))


def _hours(text: str | None) -> tuple[int, int] | None:
    """"HH:MM-HH:MM" -> (seconds after midnight, seconds after midnight)."""
    if text is None:
        return None
    try:
        lo, hi = (part.strip() for part in str(text).split("-"))
        a = [int(x) for x in lo.split(":")]
        b = [int(x) for x in hi.split(":")]
        out = (a[0] * 3600 + a[1] * 60, b[0] * 3600 + b[1] * 60)
    except (ValueError, IndexError):
        raise ParameterError(f"hours: expected HH:MM-HH:MM, got {text!r}") from None
    if not 0 <= out[0] < out[1] <= 86400:
        raise ParameterError(f"hours: {text!r} is not a span inside one day")
    return out


def _work_end(tech: Technician, shift_index: int) -> int:
    """End of a shift's working time (the last shift runs into the allowed overtime)."""
    end = tech.shifts[shift_index].end_s
    return end + tech.max_overtime_s if shift_index == len(tech.shifts) - 1 else end


def _span(problem: Problem, techs: Sequence[Technician], day: dt.date,
          hours: tuple[int, int] | None) -> tuple[int, int] | None:
    """(first start, last end) of the shifts of ``techs`` that start on local ``day`` (within
    ``hours`` when given), or None when none starts that day."""
    m0 = _midnight(problem, day)
    m1 = _midnight(problem, day + dt.timedelta(days=1))
    spans = [(sh.start_s, sh.end_s) for t in techs for sh in t.shifts if m0 <= sh.start_s < m1]
    if not spans:
        return None
    lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    if hours is not None:
        lo, hi = max(lo, m0 + hours[0]), min(hi, m0 + hours[1])
    return lo, hi


def _grid(problem: Problem, techs: Sequence[Technician], now_s: int, days: int, slot_s: int,
          hours: tuple[int, int] | None) -> tuple[list[tuple[int, int]], list[ClosedDay]]:
    """(slots (start, end) in time order, closed days) of the asked days from now's local day.
    A day's grid (a night shift's runs past midnight) stops where the next day's begins."""
    first = problem.clock.to_datetime(now_s).date()
    slots: list[tuple[int, int]] = []
    closed: list[ClosedDay] = []
    for d in range(days):
        day = first + dt.timedelta(days=d)
        m0 = _midnight(problem, day)
        if m0 >= problem.end_s:
            closed.append(ClosedDay(day, f"beyond the scenario's horizon (it ends "
                                         f"{problem.clock.to_iso(problem.end_s)})"))
            continue
        span = _span(problem, techs, day, hours)
        if span is None:
            cut = (f" (the scenario's horizon ends {problem.clock.to_iso(problem.end_s)})"
                   if _midnight(problem, day + dt.timedelta(days=1)) > problem.end_s else "")
            closed.append(ClosedDay(day, "no qualified technician works that day" + cut))
            continue
        lo, hi = span
        nxt = _span(problem, techs, day + dt.timedelta(days=1), hours)
        hi = min(hi, problem.end_s, nxt[0] if nxt is not None else hi)
        before = len(slots)
        s = lo
        while s < hi:
            if s >= now_s and (not slots or s >= slots[-1][1]):
                slots.append((s, min(s + slot_s, hi)))
            s += slot_s
        if len(slots) == before:
            closed.append(ClosedDay(day, "its working hours are over" if lo < hi else
                                         "no working hours inside the asked hours"))
    return slots, closed


def _on_shift(techs: Sequence[Technician], start_s: int, end_s: int) -> list[str]:
    """Technicians with a shift whose working time meets the slot (a necessary condition for a
    start of service inside it)."""
    return [t.id for t in techs
            if any(sh.start_s <= end_s and _work_end(t, i) > start_s for i, sh in enumerate(t.shifts))]


# -- pricing one slot -----------------------------------------------------------------------------
class _Pricer:
    """The working copy of one call and what pricing its slots needs."""

    def __init__(self, state: DispatchState, job: Job, due: str) -> None:
        ws = Workspace(state, state.now_s, cause=f"booking {job.id}")
        ws.settle()
        # the job once, without a window, so that the matrix and the eligibility table know it;
        # with due="window" its own lateness is nil in every slot, as in the slot's job
        ws.add_job(replace(job, due_s=max(job.due_s, state.problem.end_s)) if due == "window" else job)
        self.ws = ws
        self.problem = ws.problem
        self.techs = self.candidates(job)
        # the per-technician position work, shared by every slot of the call (only the window
        # changes between slots, not the routes)
        self.positions = Positions(ws, job, [t.id for t in self.techs])
        obj = self.problem.objective
        self.balance = obj.workload_balance
        self.work = person_work_s(state.problem, state.plan) if self.balance else {}
        self.max_work = max(self.work.values(), default=0)

    def candidates(self, job: Job) -> list[Technician]:
        ws = self.ws
        if job.pinned_to:
            ids = [p for p in job.pinned_to if rules.can_lead(self.problem, self.problem.technician(p), job)]
        else:
            ids = list(ws.leads(job))
        return [self.problem.technician(t) for t in ids if ws.available(t)]

    def price(self, job: Job, label: str, start_s: int, end_s: int, cands: list[str]) -> Slot:
        """The slot offered at the cheapest place that keeps every promise (the dispatcher's
        own insertion, :func:`best_insertion` on the call's shared :class:`Positions`, told to
        skip the places that would make a job late), or refused with the reason."""
        slot = Slot(label, start_s, end_s)
        if not cands:
            return replace(slot, reason="no qualified technician on shift")
        harmed: list[tuple[float, str, str]] = []      # (cost, why, technician) of the places skipped
        kept: dict[tuple[str, int], tuple] = {}

        def keeps_promises(ins, tid: str, pos: int) -> bool:
            found = self.retimed(tid, job, self.suffix_pos(tid, pos))
            if found is None:       # pragma: no cover - the same insertion was just found feasible
                return False
            harm = self.harm(found[1], found[2], job.id)
            if harm is not None:
                harmed.append((ins.cost, harm, tid))
                return False
            kept[tid, pos] = found
            return True

        best = best_insertion(self.ws, job, cands, positions=self.positions, accept=keeps_promises)
        if best is None:
            if harmed:
                _, why, tid = min(harmed)
                return replace(slot, technician=tid, reason=f"{why} (the cheapest place, {tid}); "
                                                            f"no place keeps every promise")
            return replace(slot, reason=self.no_room(job, cands))
        ins, old, new = kept[best.tid, best.pos]
        cost = ins.cost + self.balance_change(best.tid, old, new, job)
        cheaper = [h for h in harmed if h[0] < best.cost]
        note = None
        if cheaper:
            _, why, tid = min(cheaper)
            note = f"the cheaper place ({tid}) {why}"
        return replace(slot, technician=best.tid, position=best.pos, visit_start_s=ins.start_s,
                       cost=round(cost, 3), added_travel_s=(new.travel_s + new.return_travel_s)
                       - (old.travel_s + old.return_travel_s), note=note)

    def suffix_pos(self, tid: str, pos: int) -> int:
        """A movable position as a position of the technician's timed suffix."""
        return pos - 1 if self.ws.plans[tid].heading is not None else pos

    def retimed(self, tid: str, job: Job, pos: int):
        """(insertion priced by the state cost, old final state, new final state) of ``job`` at
        ``pos`` of ``tid``'s timed suffix, re-timed to the end of the route; None if it does
        not fit."""
        route = self.positions.route(tid)
        ctx = self.ws.ctx(tid)
        final: list[RouteState] = []

        def priced(st: RouteState) -> float:
            final.append(st)
            return state_cost(self.problem, ctx, st)

        found = list(insertions(self.problem, route, job, positions=[pos], cost=priced))
        if not found:
            return None
        return found[0], route.final, final[-1]

    def harm(self, old: RouteState, new: RouteState, job_id: str) -> str | None:
        """Why the re-timed route breaks a promise (a job on time made late, an emergency made
        later while late), or None."""
        problem = self.problem
        before = dict(old.starts)
        t = lambda s: problem.clock.to_iso(s)[11:16]     # noqa: E731
        for other, start in new.starts:
            was = before.get(other)
            if other == job_id or was is None or start <= was:
                continue
            o = problem.job(other)
            if rules.on_time(o, was) and not rules.on_time(o, start):
                return f"would make {other} ({o.category}) late: start {t(was)} -> {t(start)}, due {t(o.due_s)}"
            if is_emergency(problem, o) and not rules.on_time(o, was):
                return f"would delay emergency {other} further past its due: {t(was)} -> {t(start)}"
        return None

    def balance_change(self, tid: str, old: RouteState, new: RouteState, job: Job) -> float:
        """The workload-balance term's change (largest person's work) of the insertion."""
        if not self.balance:
            return 0.0
        added = (new.travel_s + new.return_travel_s) - (old.travel_s + old.return_travel_s) + job.duration_s
        person = self.problem.technician(tid).person_id
        top = max(self.max_work, self.work.get(person, 0) + added)
        return self.balance * (top - self.max_work) / 60

    def no_room(self, job: Job, cands: list[str]) -> str:
        ws = self.ws
        full = 0
        for tid in cands:
            ctx, fin = ws.ctx(tid), ws.plans[tid].final
            if (ctx.max_jobs is not None and fin.n_jobs >= ctx.max_jobs) or \
                    (ctx.capacity and fin.load + job.demand > ctx.capacity) or \
                    (ctx.max_work_s is not None and fin.work_s + job.duration_s > ctx.max_work_s):
                full += 1
        n = len(cands)
        if full == n:
            return f"every route is full: the {n} qualified technician(s) on shift are at max jobs or work"
        return (f"no room: none of the {n} qualified technician(s) on shift can start it inside the slot "
                f"({full} at max jobs or work)")


def candidate_windows(state: DispatchState, job: Job, *, days: int = 3, slot_minutes: int = 120,
                      top: int | None = None, hours: str | None = None,
                      due: str = "window") -> CandidateWindows:
    """The slots we can promise for ``job`` (its window and id free), cheapest first.

    ``days``: local calendar days from now's (1 = today only); ``slot_minutes``: slot length, the
    grid starting at the day's earliest qualified shift start; ``hours`` ("08:00-18:00"): offer
    slots inside these local hours only; ``top``: at most this many offered slots; ``due``: see
    the module doc. Slots start at or after the state's now. See the module doc for the rule."""
    t0 = time.perf_counter()
    if days < 1 or slot_minutes < 1:
        raise ParameterError(f"days and slot_minutes must be at least 1, got {days} and {slot_minutes}")
    if top is not None and top < 1:
        raise ParameterError(f"top must be at least 1, got {top}")
    if due not in DUE_MODES:
        raise ParameterError(f"due: expected one of {', '.join(DUE_MODES)}, got {due!r}")
    problem = state.problem
    check_bookable(problem, job)
    span = _hours(hours)
    pricer = _Pricer(state, job, due)
    techs = pricer.techs
    grid, closed = _grid(problem, techs, state.now_s, days, slot_minutes * 60, span)
    offered: list[Slot] = []
    refused: list[Slot] = []
    for start_s, end_s in grid:
        sj = slot_job(job, Window(start_s, end_s), due=due)
        slot = pricer.price(sj, problem.clock.to_iso(start_s), start_s, end_s,
                            _on_shift(techs, start_s, end_s))
        (offered if slot.offered else refused).append(slot)
    feasible = len(offered)
    offered.sort(key=lambda s: (s.cost, s.start_s))
    if top is not None:
        offered = offered[:top]
    return CandidateWindows(job=job, now_s=state.now_s, offered=tuple(offered), refused=tuple(refused),
                            closed=tuple(closed), feasible=feasible,
                            elapsed_ms=(time.perf_counter() - t0) * 1000.0)
