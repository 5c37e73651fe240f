"""Does a plan file, an event list or a time belong to this scenario? Checked before any work.

A plan of another scenario re-timed against this one gives hundreds of violation lines; an
event naming an unknown job is found only after the morning plan was solved. These checks
answer first, with one line: :class:`~dispatchopt.errors.PlanFormatError` for a plan,
:class:`~dispatchopt.errors.EventError` for an event or a time, each naming the source, the
field and the value.

Only plain data and duck-typed events are read here (``at_s``, ``job`` as an id or a Job with
``.id``, ``technician``), so audit/ does not depend on live/.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..domain import Problem
from ..errors import EventError, PlanFormatError
from ..plan import Plan

SHOW_IDS = 5
"""How many unknown ids a message lists before counting the rest."""
MAX_ECHO = 80
"""Longest text echoed from an input file into a message."""


def _cut(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO - 3] + "..."


def _some(ids: list[str]) -> str:
    shown = ", ".join(_cut(i) for i in ids[:SHOW_IDS])
    return shown + (f" and {len(ids) - SHOW_IDS} more" if len(ids) > SHOW_IDS else "")


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def check_plan_belongs(problem: Problem, data: Any, *, source: str = "<plan>") -> None:
    """PlanFormatError when ``data`` (a plan's JSON) is not a plan of ``problem``: not a JSON
    object, another scenario's name, or technicians / jobs the scenario does not have."""
    if not isinstance(data, Mapping):
        raise PlanFormatError(f"PLAN: {source}: expected a JSON object (a plan), found {_json_kind(data)}")
    name = data.get("scenario")
    if name is not None and str(name) != problem.name:
        raise PlanFormatError(f"PLAN: {source}: this plan is for scenario {_cut(str(name))}, "
                              f"not {problem.name!r}")
    routes = data.get("routes")
    if not isinstance(routes, list):
        return      # the plan reader names the missing or malformed key
    techs: list[str] = []
    jobs: list[str] = []
    for route in routes:
        if not isinstance(route, Mapping):
            continue
        tech = route.get("technician")
        if isinstance(tech, str) and not problem.has_technician(tech):
            techs.append(tech)
        for visit in route.get("visits") or []:
            job = visit.get("job") if isinstance(visit, Mapping) else None
            if isinstance(job, str) and not problem.has_job(job):
                jobs.append(job)
    for item in data.get("unassigned") or []:
        job = item.get("job") if isinstance(item, Mapping) else None
        if isinstance(job, str) and not problem.has_job(job):
            jobs.append(job)
    if techs:
        raise PlanFormatError(f"PLAN: {source}: {len(techs)} technician id(s) not in scenario "
                              f"{problem.name!r}: {_some(techs)}")
    if jobs:
        raise PlanFormatError(f"PLAN: {source}: {len(jobs)} job id(s) not in scenario "
                              f"{problem.name!r}: {_some(jobs)}")


def load_plan_checked(problem: Problem, path: str | Path) -> Plan:
    """The plan file at ``path``, checked with :func:`check_plan_belongs` before it is read."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"PLAN: {path}: not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise PlanFormatError(f"PLAN: {path}: not a UTF-8 text file ({exc.reason})") from None
    check_plan_belongs(problem, data, source=str(path))
    return Plan.from_json(problem, data, source=str(path))


def check_time_in_horizon(problem: Problem, at_s: int, *, what: str) -> None:
    """EventError when ``at_s`` lies outside the scenario's horizon ``[0, end_s]``."""
    if not 0 <= at_s <= problem.end_s:
        raise EventError(f"{what}: {problem.clock.to_iso(at_s)} is outside the horizon of scenario "
                         f"{problem.name!r} ({problem.clock.to_iso(0)} to {problem.clock.to_iso(problem.end_s)})")


def check_events(problem: Problem, events: Iterable[tuple[str, Any]]) -> None:
    """EventError for the first event (``(where, event)`` pairs, in file order) that does not
    belong to ``problem``: a time outside the horizon, a new job whose id is taken, a job or a
    technician the scenario (with the new jobs of earlier events) does not have. (An
    ``expected_end`` after the horizon is overtime, not an error.)"""
    known_jobs: set[str] = set()
    for where, event in events:
        check_time_in_horizon(problem, int(event.at_s), what=f"{where}: at")
        job = getattr(event, "job", None)
        if job is not None and not isinstance(job, str):      # a new job
            if problem.has_job(job.id) or job.id in known_jobs:
                raise EventError(f"{where}: job.id: {_cut(job.id)} is already a job of the day")
            known_jobs.add(job.id)
        elif isinstance(job, str) and not (problem.has_job(job) or job in known_jobs):
            raise EventError(f"{where}: job: {_cut(job)} is not a job of scenario {problem.name!r} "
                             "(nor a new job of an earlier event)")
        tech = getattr(event, "technician", None)
        if isinstance(tech, str) and not problem.has_technician(tech):
            raise EventError(f"{where}: technician: {_cut(tech)} is not a technician of scenario "
                             f"{problem.name!r}")
        since = getattr(event, "from_s", None)
        if since is not None:
            check_time_in_horizon(problem, int(since), what=f"{where}: from")
