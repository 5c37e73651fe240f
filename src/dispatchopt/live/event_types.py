"""The live events: what happened, when (``at_s``, seconds on the problem clock).

The effect of each event on the Problem and the plan is described in :mod:`.events`; the
handlers are in :mod:`.handlers`, the JSON form in :mod:`.event_io`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import Job, Problem


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
