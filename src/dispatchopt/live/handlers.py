"""What each live event does to a workspace: the Problem (the source of truth) and the routes.

One handler per event type (see :mod:`.events` for the rules they implement); :func:`handle`
dispatches on the event's type. A handler changes the workspace through its verbs, adds the
jobs the customer should not be called about to ``silent`` and any notice of its own (a
re-appointment) to ``extra``; placing the queued jobs is left to the caller.
"""

from __future__ import annotations

from dataclasses import replace

from .. import rules
from ..domain import Job, Shift
from ..errors import EventError, ScenarioError
from ..timing.schedule import build_route
from ..travel import matrix_of
from .event_types import (CustomerNotHome, DurationOverrun, Event, JobCancelled, JobCompleted,
                          JobStarted, NewJob, TechnicianUnavailable)
from .notify import Notification, Reappoint
from .workspace import Workspace


def handle(ws: Workspace, event: Event, silent: set[str], extra: list[Notification]) -> None:
    """Apply ``event`` to ``ws`` (an EventError when it does not fit the state)."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise EventError(f"unknown event type {type(event).__name__}")
    handler(ws, event, silent, extra)


def _need_job(ws: Workspace, job_id: str) -> Job:
    if not ws.problem.has_job(job_id):
        raise EventError(f"event at {ws.problem.clock.to_iso(ws.now)}: unknown job {job_id!r}")
    return ws.problem.job(job_id)


def _frozen_start(ws: Workspace, tid: str, job_id: str) -> int:
    return dict(ws.plans[tid].frozen)[job_id]


def _on_new_job(ws: Workspace, ev: NewJob, silent: set, extra: list) -> None:
    job = ev.job
    if ws.problem.has_job(job.id):
        raise EventError(f"new job {job.id!r}: a job with this id already exists")
    if job.category not in ws.problem.sla:
        raise EventError(f"new job {job.id!r}: unknown category {job.category!r}")
    for pin in job.pinned_to:
        if not ws.problem.has_technician(pin):
            raise EventError(f"new job {job.id!r}: pinned to unknown technician {pin!r}")
    try:
        ws.add_job(job)
    except ScenarioError as err:        # the new Problem refuses it (crew size, pins, window...)
        raise EventError(f"new job {job.id!r}: {err}") from err
    if job.dispatchable:
        ws.queue(job.id)
    else:
        ws.unassigned[job.id] = rules.qualification_reason(ws.problem, job) or "not dispatchable"


def _clamp_start(ws: Workspace, tid: str, job: Job) -> int:
    """The earliest start of ``job`` by ``tid`` from now, after its frozen part (travel model)."""
    problem = ws.problem
    tp = ws.plans[tid]
    ctx = ws.ctx(tid)
    matrix = matrix_of(problem)
    if tp.frozen:
        last, start = tp.frozen[-1]
        loc = matrix.index(problem.job(last).location)
        lo = start + problem.job(last).duration_s
    else:
        loc = ctx.start_idx
        lo = tp.departure_s if tp.departure_s is not None else ctx.shifts[0][0]
    for _, end in tp.frozen_breaks:
        lo = max(lo, end)
    travel = int(matrix.seconds[loc, matrix.index(job.location)])
    send = rules.earliest_send_s(problem, job)      # nobody set off before it was received
    if send is not None and send > lo:
        lo = send
    if travel > 0:      # the trip is work: inside a shift
        depart = ctx.fit(lo, travel)
        lo = lo if depart is None else depart
    # a start before the window opens is recorded as it happened (the window is relaxed), a
    # start before the job was received or before the technician can be there is not possible
    return max(ws.now, lo + travel, job.received_s)


def _finish_in_hand(ws: Workspace, tid: str, except_job: str) -> None:
    """A technician that starts another job has finished the one in hand (now)."""
    tp = ws.plans[tid]
    if not tp.frozen:
        return
    j, s = tp.frozen[-1]
    job = ws.problem.job(j)
    if j != except_job and s + job.duration_s > ws.now:
        ws.set_job(replace(job, duration_s=max(0, ws.now - s)))
        ws.notes.append(f"{j}: taken as completed at {ws.t(ws.now)} ({tid} started another job)")
        for holder in ws.make_current(j):
            ws.reconcile.add(holder)


def _start(ws: Workspace, job: Job, techs: list[str]) -> int:
    """Put ``job`` in hand on ``techs`` from now; returns the recorded start."""
    for tid in techs:
        _finish_in_hand(ws, tid, job.id)
    ws.remove_movable(job.id)
    ws.unassigned.pop(job.id, None)
    for tid in techs:
        tp = ws.plans[tid]
        if tp.heading is not None:      # it went elsewhere: the visit it was heading to waits
            ws.plans[tid] = replace(tp, heading=None, heading_breaks=(),
                                    suffix=((tp.heading[0], ws.fixed(tp.heading)),) + tp.suffix)
    start = max(_clamp_start(ws, tid, job) for tid in techs)
    if start > ws.now + 60:
        ws.notes.append(f"{job.id}: recorded as started at {ws.t(start)}, the earliest the travel "
                        f"model allows (reported {ws.t(ws.now)})")
    matrix = matrix_of(ws.problem)
    for tid in techs:
        tp = ws.plans[tid]
        departure = tp.departure_s
        if not tp.frozen and departure is None:
            travel = int(matrix.seconds[ws.ctx(tid).start_idx, matrix.index(job.location)])
            departure = start - travel
        ws.plans[tid] = replace(tp, frozen=tp.frozen + ((job.id, start),), departure_s=departure)
        ws.dirty.add(tid)
        ws.reconcile.add(tid)
    return start


def _on_job_started(ws: Workspace, ev: JobStarted, silent: set, extra: list) -> None:
    job = _need_job(ws, ev.job)
    if not job.dispatchable:
        raise EventError(f"job_started {job.id}: the job is not dispatchable (cancelled or awaiting "
                         f"agreement)")
    where = ws.locate(job.id)
    frozen = [tid for tid, w in where if w == "frozen"]
    if frozen:
        if ev.technician is not None and ev.technician not in frozen:
            raise EventError(f"job_started {job.id}: already in hand with {', '.join(frozen)}, "
                             f"not {ev.technician}")
        ws.make_current(job.id)
        start = _frozen_start(ws, frozen[0], job.id)
        if start < ws.now:
            for tid in frozen:
                tp = ws.plans[tid]
                ws.plans[tid] = replace(tp, frozen=tp.frozen[:-1] + ((job.id, ws.now),))
                ws.dirty.add(tid)
                ws.reconcile.add(tid)
        return
    planned = [tid for tid, w in where if w in ("heading", "suffix")]
    if job.crew_size > 1:
        if len(planned) != job.crew_size:
            raise EventError(f"job_started {job.id}: crew job not planned with a crew; plan it first")
        techs = planned
    else:
        tid = ev.technician or (planned[0] if planned else None)
        if tid is None:
            raise EventError(f"job_started {job.id}: the job is unassigned; name the technician")
        if not ws.problem.has_technician(tid):
            raise EventError(f"job_started {job.id}: unknown technician {tid!r}")
        if not rules.can_lead(ws.problem, ws.problem.technician(tid), job):
            raise EventError(f"job_started {job.id}: technician {tid} is not qualified for it")
        if job.pinned_to and tid not in job.pinned_to:
            raise EventError(f"job_started {job.id}: pinned to {', '.join(job.pinned_to)}, not {tid}")
        if not ws.available(tid):
            raise EventError(f"job_started {job.id}: technician {tid} is unavailable")
        techs = [tid]
    _start(ws, job, techs)


def _on_job_completed(ws: Workspace, ev: JobCompleted, silent: set, extra: list) -> None:
    job = _need_job(ws, ev.job)
    holders = [tid for tid, w in ws.locate(job.id) if w == "frozen"]
    if not holders:
        raise EventError(f"job_completed {job.id}: the job has not started (send job_started first)")
    ws.make_current(job.id)
    start = _frozen_start(ws, holders[0], job.id)
    if ws.now < start:
        raise EventError(f"job_completed {job.id}: at {ws.t(ws.now)}, before its start {ws.t(start)}")
    duration = ws.now - start
    if duration != job.duration_s:
        ws.set_job(replace(job, duration_s=duration))
    _unfreeze_breaks_during(ws, holders, start, start + duration)
    for tid in holders:
        ws.dirty.add(tid)
        ws.reconcile.add(tid)


def _unfreeze_breaks_during(ws: Workspace, tids: list[str], start_s: int, end_s: int) -> None:
    """A job in hand that ran longer than planned: a break planned in what is now its service time
    (it started "before now" only on paper) did not happen; it is no longer frozen, so the
    re-timing places it again after the job (late, if the work in hand kept the technician from
    it: see reconcile)."""
    for tid in tids:
        tp = ws.plans[tid]
        keep = tuple(b for b in tp.frozen_breaks if b[1] <= start_s or b[0] >= end_s)
        if keep != tp.frozen_breaks:
            ws.plans[tid] = replace(tp, frozen_breaks=keep)
            ws.dirty.add(tid)


def _on_overrun(ws: Workspace, ev: DurationOverrun, silent: set, extra: list) -> None:
    job = _need_job(ws, ev.job)
    holders = [tid for tid, w in ws.locate(job.id) if w == "frozen"]
    if not holders:
        raise EventError(f"duration_overrun {job.id}: the job has not started")
    if ev.expected_end_s < ws.now:
        raise EventError(f"duration_overrun {job.id}: expected end {ws.t(ev.expected_end_s)} is before now "
                         f"{ws.t(ws.now)} (send job_completed)")
    start = _frozen_start(ws, holders[0], job.id)
    if ev.expected_end_s < start:       # recorded later than reported (the travel model)
        raise EventError(f"duration_overrun {job.id}: expected end {ws.t(ev.expected_end_s)} is before its "
                         f"recorded start {ws.t(start)}")
    ws.make_current(job.id)
    ws.set_job(replace(job, duration_s=ev.expected_end_s - start))
    _unfreeze_breaks_during(ws, holders, start, ev.expected_end_s)
    for tid in holders:
        ws.dirty.add(tid)
        ws.reconcile.add(tid)


def _on_unavailable(ws: Workspace, ev: TechnicianUnavailable, silent: set, extra: list) -> None:
    problem = ws.problem
    tid = ev.technician
    if not problem.has_technician(tid):
        raise EventError(f"technician_unavailable: unknown technician {tid!r}")
    cut = max(ws.now, ev.from_s if ev.from_s is not None else ws.now)
    ws.unavailable[tid] = min(cut, ws.unavailable.get(tid, cut))
    tp = ws.plans[tid]
    if tp.frozen:       # a visit recorded as started later than now (travel model) still happens
        cut = max(cut, tp.frozen[-1][1])
        ws.unavailable[tid] = cut
    shift_cut = max([cut] + [end for _, end in tp.frozen_breaks])   # a break in progress ends first
    follow_ups = []
    # a job in hand at the cut stops there
    if tp.frozen:
        j, s = tp.frozen[-1]
        job = problem.job(j)
        if s + job.duration_s > cut:
            ws.make_current(j)
            done = cut - s
            follow = ws.follow_up(job, remaining_s=job.duration_s - done, tag="f")
            ws.set_job(replace(ws.problem.job(j), duration_s=done))
            follow_ups.append(follow)
            ws.notes.append(f"{j}: stopped at {ws.t(cut)} ({tid} unavailable), follow-up {follow} for the "
                            f"remaining {(job.duration_s - done) / 60:.0f} min")
            for holder, w in ws.locate(j):
                if w == "frozen":
                    ws.reconcile.add(holder)
    tech = ws.problem.technician(tid)
    tp = ws.plans[tid]
    if tp.frozen:
        position = ws.problem.job(tp.frozen[-1][0]).location
        back = build_route(ws.problem, tid, tp.frozen, tp.frozen_breaks, tp.departure_s).ret.arrival_s
    else:
        position, back = tech.start, None
    end = tech.end
    if cut <= ws.now or (back is not None and back > shift_cut):
        end = position
    shifts = [Shift(sh.start_s, min(sh.end_s, shift_cut)) for sh in tech.shifts if sh.start_s < shift_cut]
    if not shifts:
        first = tech.shifts[0].start_s
        shifts = [Shift(first, first)]
    ws.set_tech(replace(tech, shifts=tuple(shifts), max_overtime_s=0, end=end))
    ws.reconcile.add(tid)
    for follow in follow_ups:
        ws.queue(follow)


def _on_cancelled(ws: Workspace, ev: JobCancelled, silent: set, extra: list) -> None:
    job = _need_job(ws, ev.job)
    holders = [tid for tid, w in ws.locate(job.id) if w == "frozen"]
    if holders:
        start = _frozen_start(ws, holders[0], job.id)
        if start + job.duration_s <= ws.now:
            raise EventError(f"job_cancelled {job.id}: the job was done at {ws.t(start + job.duration_s)}")
        ws.make_current(job.id)
        ws.set_job(replace(job, duration_s=max(0, ws.now - start)))
        ws.notes.append(f"{job.id}: cancelled while in progress; the visit stops at {ws.t(ws.now)}")
        for tid in holders:
            ws.reconcile.add(tid)
        return
    ws.remove_movable(job.id)
    ws.set_job(replace(job, dispatchable=False))
    ws.unassigned[job.id] = f"cancelled at {ws.t(ws.now)}"
    silent.add(job.id)


def _on_not_home(ws: Workspace, ev: CustomerNotHome, silent: set, extra: list) -> None:
    job = _need_job(ws, ev.job)
    where = ws.locate(job.id)
    holders = [tid for tid, w in where if w == "frozen"]
    if holders:
        ws.make_current(job.id)
        start = _frozen_start(ws, holders[0], job.id)
        if start + job.duration_s <= ws.now and job.duration_s > 0:
            raise EventError(f"customer_not_home {job.id}: the visit ended at {ws.t(start + job.duration_s)}")
    else:
        planned = [tid for tid, w in where if w in ("heading", "suffix")]
        if not planned:
            raise EventError(f"customer_not_home {job.id}: the job is not planned")
        if job.crew_size > 1 and len(planned) != job.crew_size:
            raise EventError(f"customer_not_home {job.id}: crew job without its crew")
        start = _start(ws, job, planned if job.crew_size > 1 else planned[:1])
        holders = planned if job.crew_size > 1 else planned[:1]
    duration = max(0, ws.now - start)
    reappoint = ws.follow_up(job, remaining_s=job.duration_s, tag="r", dispatchable=False)
    ws.set_job(replace(ws.problem.job(job.id), duration_s=duration))
    reason = f"customer not at home at {ws.t(ws.now)}: re-appointment notice sent (visit {job.id})"
    ws.unassigned[reappoint] = reason
    for tid in holders:
        ws.dirty.add(tid)
        ws.reconcile.add(tid)
    extra.append(Reappoint(reappoint, f"customer of {job.id} not at home at {ws.t(ws.now)}",
                           call_by_s=ws.now))
    silent.add(job.id)


_HANDLERS = {NewJob: _on_new_job, JobStarted: _on_job_started, JobCompleted: _on_job_completed,
             DurationOverrun: _on_overrun, TechnicianUnavailable: _on_unavailable,
             JobCancelled: _on_cancelled, CustomerNotHome: _on_not_home}
