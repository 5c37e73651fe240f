"""Live events and :func:`apply`: one event in, an :class:`~.notify.Update` out, at once.

Every event carries ``at_s``, the moment it happens; it becomes the state's "now" (events must
come in time order). What each event does to the Problem (the source of truth) and the plan:

``NewJob(job)``
    appended to ``problem.jobs`` (default ``received_at``: now) and placed (emergencies first,
    see :mod:`.preemption`).
``JobStarted(job, technician=None)``
    the job is in hand from now (the start is recorded at the earliest moment the travel model
    allows, never before now, the window start or its receipt): taken out of whichever route
    had it; a job the technician had in hand is taken as completed now; visits the plan had
    before it that had not started go back to be re-planned. ``technician`` defaults to the
    planned one (it must be given for an unassigned job; a crew job starts with its crew).
``JobCompleted(job)``
    the job's duration becomes now - start (early or late finish).
``DurationOverrun(job, expected_end_s)``
    the job in hand will end at ``expected_end_s``: its duration is replaced.
``TechnicianUnavailable(technician, from_s=None)``
    sick, van broken: the technician's shifts end at ``from_s`` (default now; no overtime). A job
    in hand at that time stops there (duration = part done) and gets a follow-up ``<id>-f1``
    for the rest; when the technician cannot be back at its end location by then it stops where
    it is (its end location becomes that place). Visits that no longer fit are re-planned.
``JobCancelled(job)``
    not started: taken out of the plan, kept in the problem as ``dispatchable: false`` and listed
    unassigned with the reason ``cancelled at HH:MM``. In progress: the visit stops now.
``CustomerNotHome(job)``
    the technician is at the job and the customer is not: the visit ends now (its duration is
    the time spent on site, 0 on arrival) and a re-appointment job ``<id>-r1`` (the full work,
    ``dispatchable: false`` until the customer agrees a new time) is listed unassigned with the
    reason ``customer not at home at HH:MM: re-appointment notice sent`` (not lost).

Facts recorded by an event may break a limit of the frozen past (a late start after the window
end, an overrun past the shift end or a break's latest start): the Problem is then relaxed for
that technician or job (window end, working time, break latest start, max work) and a note says
so, so that the plan stays checkable by ``verify`` as executed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import rules
from ..domain import Job, Problem, Shift
from ..errors import EventError, ScenarioError
from ..scenario import dump_scenario, job_to_dict, problem_from_dict
from ..timing.schedule import build_route
from .dispatcher import finish, place_pending
from .notify import Notification, Reappoint, Update, diff_plans, notifications
from .preemption import is_emergency
from .state import DispatchState
from .workspace import Workspace

log = logging.getLogger("dispatchopt")


# -- events -----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Event:
    at_s: int

    kind = "event"


@dataclass(frozen=True, kw_only=True)
class NewJob(Event):
    job: Job
    kind = "new_job"


@dataclass(frozen=True, kw_only=True)
class JobStarted(Event):
    job: str
    technician: str | None = None
    kind = "job_started"


@dataclass(frozen=True, kw_only=True)
class JobCompleted(Event):
    job: str
    kind = "job_completed"


@dataclass(frozen=True, kw_only=True)
class DurationOverrun(Event):
    job: str
    expected_end_s: int
    kind = "duration_overrun"


@dataclass(frozen=True, kw_only=True)
class TechnicianUnavailable(Event):
    technician: str
    from_s: int | None = None
    reason: str = ""
    kind = "technician_unavailable"


@dataclass(frozen=True, kw_only=True)
class JobCancelled(Event):
    job: str
    kind = "job_cancelled"


@dataclass(frozen=True, kw_only=True)
class CustomerNotHome(Event):
    job: str
    kind = "customer_not_home"


EVENT_TYPES: dict[str, type[Event]] = {cls.kind: cls for cls in (
    NewJob, JobStarted, JobCompleted, DurationOverrun, TechnicianUnavailable, JobCancelled,
    CustomerNotHome)}


def describe_event(problem: Problem, event: Event) -> str:
    t = problem.clock.to_iso(event.at_s)[11:16]
    if isinstance(event, NewJob):
        return f"{t} new job {event.job.id} ({event.job.category})"
    if isinstance(event, TechnicianUnavailable):
        since = problem.clock.to_iso(event.from_s)[11:16] if event.from_s is not None else t
        why = f" ({event.reason})" if event.reason else ""
        return f"{t} technician {event.technician} unavailable from {since}{why}"
    if isinstance(event, DurationOverrun):
        return f"{t} {event.job} overruns, expected end {problem.clock.to_iso(event.expected_end_s)[11:16]}"
    extra = f" by {event.technician}" if isinstance(event, JobStarted) and event.technician else ""
    return f"{t} {event.kind.replace('_', ' ')}: {event.job}{extra}"


# -- applying an event ------------------------------------------------------------------------------
def apply(state: DispatchState, event: Event) -> Update:
    """The new state after ``event`` (at ``event.at_s``, which becomes now), with the diff against
    the published plan and the notices. Raises EventError when the event does not fit the state."""
    t0 = time.perf_counter()
    problem = state.problem
    cause = _cause(problem, event)
    ws = Workspace(state, int(event.at_s), cause=cause)
    silent: set[str] = set()
    extra: list[Notification] = []
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise EventError(f"unknown event type {type(event).__name__}")
    handler(ws, event, silent, extra)
    place_pending(ws)
    return conclude(ws, state, event, t0, silent=silent, extra=extra,
                    history=describe_event(ws.problem, event))


def conclude(ws: Workspace, before: DispatchState, event: Event | None, t0: float, *,
             silent: Iterable[str] = (), extra: Iterable[Notification] = (), history: str | None = None,
             backend: str | None = None) -> Update:
    new_state, changed = finish(ws, published=before.plan, history=history, backend=backend)
    diff = diff_plans(before.plan, new_state.plan, changed)
    notes = notifications(new_state.problem, before.problem, diff, ws.now, bumps=ws.bumps,
                          unassigned=new_state.unassigned, silent=silent)
    elapsed = (time.perf_counter() - t0) * 1000.0
    return Update(state=new_state, event=event, diff=diff, notifications=tuple(list(extra) + notes),
                  dispatches=tuple(ws.dispatches), notes=tuple(ws.notes), elapsed_ms=elapsed)


def apply_all(state: DispatchState, events: Iterable[Event]) -> Iterator[Update]:
    for event in events:
        update = apply(state, event)
        state = update.state
        yield update


def _cause(problem: Problem, event: Event) -> str:
    if isinstance(event, NewJob):
        return f"{'emergency' if is_emergency(problem, event.job) else 'new job'} {event.job.id}"
    if isinstance(event, TechnicianUnavailable):
        return f"technician {event.technician} unavailable"
    if isinstance(event, DurationOverrun):
        return f"overrun of {event.job}"
    return f"{event.kind.replace('_', ' ')} {getattr(event, 'job', '')}".strip()


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
    ws.add_job(job)
    if job.dispatchable:
        ws.queue(job.id)
    else:
        ws.unassigned[job.id] = rules.qualification_reason(ws.problem, job) or "not dispatchable"


def _clamp_start(ws: Workspace, tid: str, job: Job) -> int:
    """The earliest start of ``job`` by ``tid`` from now, after its frozen part (travel model)."""
    problem = ws.problem
    tp = ws.plans[tid]
    ctx = ws.ctx(tid)
    matrix = problem.travel_matrix
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
    matrix = ws.problem.travel_matrix
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
    for tid in holders:
        ws.dirty.add(tid)
        ws.reconcile.add(tid)


def _on_overrun(ws: Workspace, ev: DurationOverrun, silent: set, extra: list) -> None:
    job = _need_job(ws, ev.job)
    holders = [tid for tid, w in ws.locate(job.id) if w == "frozen"]
    if not holders:
        raise EventError(f"duration_overrun {job.id}: the job has not started")
    if ev.expected_end_s < ws.now:
        raise EventError(f"duration_overrun {job.id}: expected end {ws.t(ev.expected_end_s)} is before now "
                         f"{ws.t(ws.now)} (send job_completed)")
    ws.make_current(job.id)
    start = _frozen_start(ws, holders[0], job.id)
    ws.set_job(replace(job, duration_s=ev.expected_end_s - start))
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


# -- reading events -------------------------------------------------------------------------------------
_KEYS = {
    "new_job": ("type", "at", "job"),
    "job_started": ("type", "at", "job", "technician"),
    "job_completed": ("type", "at", "job"),
    "duration_overrun": ("type", "at", "job", "expected_end"),
    "technician_unavailable": ("type", "at", "technician", "from", "reason"),
    "job_cancelled": ("type", "at", "job"),
    "customer_not_home": ("type", "at", "job"),
}


def parse_job(problem: Problem, raw: Any, *, now_s: int, source: str = "<job>") -> Job:
    """A job from scenario job keys (FORMATS.md), read by the scenario loader itself.

    ``received_at`` defaults to ``now_s`` (a job reported now); ``due`` to received + the SLA.
    """
    if not isinstance(raw, Mapping):
        raise EventError(f"{source}: expected a job mapping (scenario job keys), found {raw!r}")
    raw = dict(raw)
    if raw.get("received_at") is None:
        raw["received_at"] = problem.clock.to_iso(now_s)
    data = dump_scenario(problem.replace(jobs=()))
    # only the job is read here: technicians are stand-ins with their ids and skills (their
    # live shifts, cut by events, need not pass the loader's checks)
    data["technicians"] = [{"id": t["id"], "skills": t.get("skills") or {}, "start": t["start"],
                            "shift": {"start": "00:00", "end": "23:59"}} for t in data["technicians"]]
    data["jobs"] = [raw]
    base = Path(problem.source).parent if problem.source else None
    try:
        parsed = problem_from_dict(data, source=source, base_dir=base)
    except ScenarioError as exc:
        raise EventError(str(exc)) from None
    return parsed.jobs[0]


def parse_event(problem: Problem, data: Any, *, source: str = "<event>") -> Event:
    """An event from its JSON form::

        {"type": "new_job", "at": "2026-11-23T10:40", "job": {...scenario job keys...}}
        {"type": "job_started", "at": ..., "job": "J0012", "technician": "T03"}   (technician optional)
        {"type": "job_completed" | "job_cancelled" | "customer_not_home", "at": ..., "job": "J0012"}
        {"type": "duration_overrun", "at": ..., "job": "J0012", "expected_end": "2026-11-23T11:30"}
        {"type": "technician_unavailable", "at": ..., "technician": "T03", "from": ..., "reason": "van"}
    """
    if not isinstance(data, Mapping):
        raise EventError(f"{source}: expected an event mapping, found {data!r}")
    kind = data.get("type")
    if kind not in _KEYS:
        raise EventError(f"{source}: type: unknown event type {kind!r} (expected one of {', '.join(_KEYS)})")
    for key in data:
        if key not in _KEYS[kind]:
            raise EventError(f"{source}: unknown key {key!r} for a {kind} event "
                             f"(expected {', '.join(_KEYS[kind])})")
    for key in _KEYS[kind]:
        if key not in ("technician", "from", "reason") and key not in data:
            raise EventError(f"{source}: {kind} event: missing key {key!r}")
    if kind == "job_started" and "technician" in data and not isinstance(data["technician"], str):
        raise EventError(f"{source}: technician: expected a technician id, found {data['technician']!r}")
    at = _time(problem, data["at"], f"{source}: at")
    if kind == "new_job":
        job_id = data["job"].get("id") if isinstance(data["job"], Mapping) else None
        return NewJob(at_s=at, job=parse_job(problem, data["job"], now_s=at,
                                              source=f"{source}: job (id {job_id!r})"))
    if kind == "technician_unavailable":
        if not isinstance(data["technician"], str):
            raise EventError(f"{source}: technician: expected a technician id, found {data['technician']!r}")
        since = _time(problem, data["from"], f"{source}: from") if data.get("from") is not None else None
        return TechnicianUnavailable(at_s=at, technician=data["technician"], from_s=since,
                                     reason=str(data.get("reason") or ""))
    if not isinstance(data["job"], str):
        raise EventError(f"{source}: job: expected a job id, found {data['job']!r}")
    if kind == "job_started":
        return JobStarted(at_s=at, job=data["job"], technician=data.get("technician"))
    if kind == "duration_overrun":
        return DurationOverrun(at_s=at, job=data["job"],
                               expected_end_s=_time(problem, data["expected_end"], f"{source}: expected_end"))
    return EVENT_TYPES[kind](at_s=at, job=data["job"])


def _time(problem: Problem, value: Any, where: str) -> int:
    try:
        return problem.clock.to_seconds(str(value))
    except ValueError as exc:
        raise EventError(f"{where}: bad time {value!r} ({exc})") from None


def read_events(problem: Problem, path: str | Path) -> list[dict]:
    """The raw event mappings of a JSON-lines file (blank lines and lines starting with # skipped);
    parse each with :func:`parse_event` against the problem as it stands when it is applied."""
    path = Path(path)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EventError(f"{path}: line {n}: not valid JSON: {exc}") from None
        out.append({"line": n, "data": data})
    return out


def event_to_json(problem: Problem, event: Event) -> dict[str, Any]:
    """The JSON form of an event (inverse of :func:`parse_event`)."""
    iso = problem.clock.to_iso
    out: dict[str, Any] = {"type": event.kind, "at": iso(event.at_s)}
    if isinstance(event, NewJob):
        out["job"] = job_to_dict(event.job, problem.clock, sla=problem.sla)
        out["job"]["received_at"] = iso(event.job.received_s)
    elif isinstance(event, TechnicianUnavailable):
        out["technician"] = event.technician
        if event.from_s is not None:
            out["from"] = iso(event.from_s)
        if event.reason:
            out["reason"] = event.reason
    else:
        out["job"] = event.job
        if isinstance(event, JobStarted) and event.technician:
            out["technician"] = event.technician
        if isinstance(event, DurationOverrun):
            out["expected_end"] = iso(event.expected_end_s)
    return out
