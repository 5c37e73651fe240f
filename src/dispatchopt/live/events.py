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

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace

from ..domain import Problem
from .dispatcher import finish, place_pending
from .event_io import (event_to_json as event_to_json, parse_event as parse_event,
                       parse_job as parse_job, read_events as read_events)
from .event_types import (EVENT_TYPES as EVENT_TYPES, CustomerNotHome as CustomerNotHome,
                          DurationOverrun as DurationOverrun, Event as Event,
                          JobCancelled as JobCancelled, JobCompleted as JobCompleted,
                          JobStarted as JobStarted, NewJob as NewJob,
                          TechnicianUnavailable as TechnicianUnavailable,
                          describe_event as describe_event)
from .handlers import handle
from .notify import Notification, Update, diff_plans, next_promises, notifications
from .preemption import is_emergency
from .state import DispatchState
from .workspace import Workspace

log = logging.getLogger("dispatchopt")


def apply(state: DispatchState, event: Event) -> Update:
    """The new state after ``event`` (at ``event.at_s``, which becomes now), with the diff against
    the published plan and the notices. Raises EventError when the event does not fit the state."""
    t0 = time.perf_counter()
    problem = state.problem
    cause = _cause(problem, event)
    ws = Workspace(state, int(event.at_s), cause=cause)
    silent: set[str] = set()
    extra: list[Notification] = []
    handle(ws, event, silent, extra)
    place_pending(ws)
    return conclude(ws, state, event, t0, silent=silent, extra=extra,
                    history=describe_event(ws.problem, event))


def conclude(ws: Workspace, before: DispatchState, event: Event | None, t0: float, *,
             silent: Iterable[str] = (), extra: Iterable[Notification] = (), history: str | None = None,
             backend: str | None = None) -> Update:
    new_state, changed = finish(ws, published=before.plan, history=history, backend=backend)
    diff = diff_plans(before.plan, new_state.plan, changed)
    promised = before.promised
    notes = notifications(new_state.problem, before.problem, diff, ws.now, bumps=ws.bumps,
                          unassigned=new_state.unassigned, silent=silent, promised=promised)
    new_state = replace(new_state, promised=next_promises(promised, before.plan, new_state.plan, diff, notes))
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
