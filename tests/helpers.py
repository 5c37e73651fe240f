"""Tiny-problem builders for tests: Problem objects straight from the domain dataclasses.

Euclidean travel with ``speed_kmh=1`` by default, so one coordinate unit (1 km) is one minute
of travel: a job at x=10 is 10 minutes from a technician at the origin. Times are int seconds
on the problem clock (0 = 2026-11-23T08:00 Asia/Shanghai); ``H`` and ``M`` help write them.

    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10)])
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from dispatchopt.domain import (
    DEFAULT_SLA, BreakRule, Clock, Job, Location, Objective, Problem, Shift, SlaLevel, Technician,
    TravelSpec, Window,
)
from dispatchopt.plan import Plan, Route, SolverInfo, Unassigned
from dispatchopt.timing.schedule import build_route

M = 60
H = 3600
ORIGIN = dt.datetime(2026, 11, 23, 8, 0)
TIMEZONE = "Asia/Shanghai"


def _levels(skills: Mapping[str, int] | Iterable[str] | str) -> dict[str, int]:
    if isinstance(skills, str):
        return {skills: 1}
    if isinstance(skills, Mapping):
        return dict(skills)
    return {skill: 1 for skill in skills}


def tech(id: str, skills: Mapping[str, int] | Iterable[str] | str = ("plumbing",), *,
         shift: tuple[int, int] = (0, 8 * H), shifts: Sequence[tuple[int, int]] | None = None,
         x: float = 0.0, y: float = 0.0, end: tuple[float, float] | None = None,
         breaks: Sequence[tuple[int, int, int]] = (), certificates: Mapping[str, dt.date] | None = None,
         max_jobs: int | None = None, max_work_s: int | None = None, capacity: int = 0,
         trainee: bool = False, max_overtime_s: int = 0) -> Technician:
    """A technician at (x, y); ``shifts`` (list of (start_s, end_s)) overrides ``shift``;
    ``breaks`` are (earliest_s, latest_s, duration_s); ``end`` an (x, y) if not back to start."""
    spans = shifts if shifts is not None else [shift]
    start = Location(x=float(x), y=float(y))
    end_loc = start if end is None else Location(x=float(end[0]), y=float(end[1]))
    return Technician(id=id, skills=_levels(skills), shifts=tuple(Shift(s, e) for s, e in spans),
                      start=start, end=end_loc, certificates=dict(certificates or {}),
                      breaks=tuple(BreakRule(*b) for b in breaks), max_jobs=max_jobs,
                      max_work_s=max_work_s, capacity=capacity, trainee=trainee,
                      max_overtime_s=max_overtime_s)


def job(id: str, x: float = 0.0, y: float = 0.0, skills: Mapping[str, int] | Iterable[str] | str = ("plumbing",),
        duration_min: float = 30, *, category: str = "standard", received_s: int = 0,
        due_s: int | None = None, window: tuple[int, int] | None = None, crew_size: int = 1,
        demand: int = 0, pinned_to: Sequence[str] | str = (), dispatchable: bool = True) -> Job:
    """A job at (x, y); ``due_s`` defaults to received + the category's DEFAULT_SLA minutes."""
    if due_s is None:
        due_s = received_s + int(DEFAULT_SLA[category].respond_minutes * 60)
    pins = (pinned_to,) if isinstance(pinned_to, str) else tuple(pinned_to)
    return Job(id=id, location=Location(x=float(x), y=float(y)), category=category,
               skills=_levels(skills), duration_s=int(round(duration_min * 60)), received_s=received_s,
               due_s=due_s, window=Window(*window) if window is not None else None,
               crew_size=crew_size, demand=demand, pinned_to=pins, dispatchable=dispatchable)


def make_problem(techs: Sequence[Technician], jobs: Sequence[Job], *, name: str = "tiny",
                 speed_kmh: float = 1.0, end_s: int = 24 * H, sla: Mapping[str, SlaLevel] | None = None,
                 origin: dt.datetime = ORIGIN, timezone: str = TIMEZONE,
                 certificate_required: Iterable[str] | None = None) -> Problem:
    """A euclidean Problem (1 unit = 1 km; at speed 1 one unit takes one minute)."""
    levels = dict(DEFAULT_SLA)
    levels.update(sla or {})
    extra = {} if certificate_required is None else {"certificate_required": frozenset(certificate_required)}
    return Problem(name=name, clock=Clock.create(origin, timezone), end_s=end_s,
                   travel=TravelSpec(model="euclidean", speed_kmh=speed_kmh), sla=levels,
                   objective=Objective(), technicians=tuple(techs), jobs=tuple(jobs), **extra)


def route(problem: Problem, tech_id: str, starts: Sequence[tuple[str, int]],
          breaks: Sequence[tuple[int, int]] = (), departure_s: int | None = None) -> Route:
    """schedule.build_route, for brevity."""
    return build_route(problem, tech_id, starts, breaks, departure_s)


def make_plan(problem: Problem, routes: Sequence[Route], unassigned: Mapping[str, str] | None = None, *,
              fill_unassigned: bool = True) -> Plan:
    """A Plan of ``routes``; every job not visited goes to unassigned (with ``unassigned``'s reason
    when given, else "test: not planned") unless ``fill_unassigned`` is False."""
    reasons = dict(unassigned or {})
    planned = {v.job for r in routes for v in r.visits}
    if fill_unassigned:
        for j in problem.jobs:
            if j.id not in planned:
                reasons.setdefault(j.id, "test: not planned")
    return Plan(scenario=problem.name, clock=problem.clock, solver=SolverInfo(backend="test"),
                routes=tuple(routes), unassigned=tuple(Unassigned(j, r) for j, r in reasons.items()))


class AfterCalls:
    """A stop callable (``solve(stop=...)``) that turns true on its n-th call and stays true."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.calls >= self.n
