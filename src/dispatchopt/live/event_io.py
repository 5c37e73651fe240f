"""The JSON form of live events: read (:func:`parse_event`, :func:`read_events`, :func:`parse_job`)
and written (:func:`event_to_json`). Every error is an EventError naming the source, key and value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..domain import Job, Problem
from ..errors import EventError, ScenarioError
from ..scenario import dump_scenario, job_to_dict, problem_from_dict
from .event_types import (EVENT_TYPES, DurationOverrun, Event, JobStarted, NewJob,
                          TechnicianUnavailable)


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
