"""Write a :class:`~dispatchopt.domain.Problem` back in the scenario contract (v1) form.

``problem_from_dict(dump_scenario(p)) == p`` field by field (``source`` aside): times are
written as local ISO date-times (with an offset only where the local time alone would not read
back to the same second, e.g. in a daylight-saving fold), minutes as exact numbers, and the full
SLA table, so that nothing depends on the defaults of the reader. Keys holding their default
(a technician's ``end`` equal to its ``start``, a job's default ``due``, crew of 1, ...) are
left out to keep the file readable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..domain import Clock, Job, Location, Problem, SlaLevel, Technician
from ..domain.time import MINUTE
from ..errors import ScenarioError
from ..rules import sla_due_s
from .fields import is_exact_local

__all__ = ["dump_scenario", "job_to_dict", "save_scenario"]


def _num(value: float) -> int | float:
    """An integral float as an int (30.0 -> 30), anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _minutes(seconds: int) -> int | float:
    return _num(seconds / MINUTE)


def _iso(clock: Clock, seconds: int) -> str:
    """A local ISO date-time that reads back to exactly ``seconds`` on ``clock``."""
    utc = clock.origin.astimezone(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    local = clock.to_iso(seconds)
    # a local time the zone repeats (or skips) is refused by the loader: write its offset then
    exact = is_exact_local(dt.datetime.fromisoformat(local), clock.tz)
    candidates = ((local,) if exact else ()) + (clock.to_datetime(seconds).isoformat(),
                                                utc.astimezone(clock.tz).isoformat(), utc.isoformat())
    for text in candidates:
        if clock.to_seconds(text) == seconds:
            return text
    raise ScenarioError(f"cannot write second {seconds} of the clock starting {clock.origin.isoformat()} "
                        f"as a date-time that reads back to it")  # pragma: no cover - defensive


def _location(location: Location) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("lat", "lon", "x", "y", "node", "id"):
        value = getattr(location, key)
        if value is not None:
            out[key] = _num(value) if isinstance(value, float) else value
    return out


def _technician(problem: Problem, tech: Technician) -> dict[str, Any]:
    clock = problem.clock
    shifts = [{"start": _iso(clock, s.start_s), "end": _iso(clock, s.end_s)} for s in tech.shifts]
    out: dict[str, Any] = {"id": tech.id, "skills": dict(tech.skills)}
    if tech.certificates:
        out["certificates"] = {skill: day.isoformat() for skill, day in tech.certificates.items()}
    out["shift"] = shifts[0] if len(shifts) == 1 else shifts
    if tech.breaks:
        out["breaks"] = [{"earliest": _iso(clock, b.earliest_s), "latest": _iso(clock, b.latest_s),
                          "minutes": _minutes(b.duration_s)} for b in tech.breaks]
    out["start"] = _location(tech.start)
    if tech.end != tech.start:
        out["end"] = _location(tech.end)
    if tech.max_jobs is not None:
        out["max_jobs"] = tech.max_jobs
    if tech.max_work_s is not None:
        out["max_work_minutes"] = _minutes(tech.max_work_s)
    if tech.capacity:
        out["capacity"] = tech.capacity
    if tech.trainee:
        out["trainee"] = True
    if tech.max_overtime_s:
        out["max_overtime_minutes"] = _minutes(tech.max_overtime_s)
    if tech.person is not None:                  # a day copy of a multi-day horizon (horizon.py)
        out["person"] = tech.person
    if tech.day is not None:
        out["day"] = tech.day.isoformat()
    if tech.history_s:
        out["history_minutes"] = _minutes(tech.history_s)
    return out


def job_to_dict(job: Job, clock: Clock, *, sla: Mapping[str, SlaLevel] | None = None) -> dict[str, Any]:
    """The scenario (contract v1) mapping of one job, its times local ISO date-times on ``clock``.

    ``due`` is left out when it is the default that ``sla`` (the problem's service levels) gives
    the job's category; without ``sla`` it is always written, so the mapping reads back to the
    same job under any service levels.
    """
    level = None if sla is None else sla.get(job.category)
    out: dict[str, Any] = {"id": job.id, "location": _location(job.location), "category": job.category,
                           "skills": dict(job.skills), "duration_minutes": _minutes(job.duration_s),
                           "received_at": _iso(clock, job.received_s)}
    if level is None or job.due_s != sla_due_s(clock, job.received_s, level):
        out["due"] = _iso(clock, job.due_s)
    if job.window is not None:
        out["window"] = {"start": _iso(clock, job.window.start_s), "end": _iso(clock, job.window.end_s)}
    if job.crew_size != 1:
        out["crew_size"] = job.crew_size
    if job.demand:
        out["demand"] = job.demand
    if job.pinned_to:
        out["pinned_to"] = job.pinned_to[0] if len(job.pinned_to) == 1 else list(job.pinned_to)
    if not job.dispatchable:
        out["dispatchable"] = False
    if job.follow_up is not None:                # its earliest start is already its received_at
        out["follow_up"] = {"technician": job.follow_up.person, "same_technician": job.follow_up.mode}
    return out


def dump_scenario(problem: Problem) -> dict[str, Any]:
    """The scenario contract (v1) mapping of ``problem``: plain dicts, lists, strings and numbers,
    ready for ``yaml.safe_dump`` or ``json.dump``; :func:`problem_from_dict` reads it back equal."""
    clock = problem.clock
    spec = problem.travel
    travel: dict[str, Any] = {"model": spec.model, "speed_kmh": _num(spec.speed_kmh),
                              "circuity": _num(spec.circuity)}
    if spec.graph is not None:
        travel["graph"] = spec.graph
    if spec.matrix is not None:
        travel["matrix"] = spec.matrix
    if spec.speed_factor != 1.0:
        travel["speed_factor"] = _num(spec.speed_factor)
    if spec.closed_edges:
        travel["closed_edges"] = [list(edge) for edge in spec.closed_edges]
    if spec.dimacs:
        travel["dimacs"] = True
    sla: dict[str, Any] = {}
    for category, level in problem.sla.items():
        entry: dict[str, Any] = {"respond_minutes": _num(level.respond_minutes), "weight": _num(level.weight)}
        if level.working_days is not None:
            entry["working_days"] = level.working_days
        sla[category] = entry
    objective = problem.objective
    data: dict[str, Any] = {
        "name": problem.name,
        "timezone": clock.timezone,
        "start": _iso(clock, 0),
        "end": _iso(clock, problem.end_s),
        "travel": travel,
        "sla": sla,
        "objective": {key: _num(getattr(objective, key)) for key in
                      ("travel_minute", "late_minute", "unassigned", "workload_balance", "overtime_minute")
                      + (("other_technician_follow_up",) if objective.other_technician_follow_up != type(objective)().other_technician_follow_up else ())},
        "certificate_required": sorted(problem.certificate_required),
        "anticipate_jobs": problem.anticipate_jobs,
    }
    if problem.preemption:
        data["preemption"] = dict(problem.preemption)
    data["technicians"] = [_technician(problem, tech) for tech in problem.technicians]
    data["jobs"] = [job_to_dict(job, clock, sla=problem.sla) for job in problem.jobs]
    return data


def save_scenario(problem: Problem, path: str | os.PathLike) -> None:
    """Write ``problem`` as a scenario file, YAML (``.yaml``/``.yml``) or JSON (``.json``) by suffix.

    Raises
    ------
    ScenarioError
        The suffix is neither.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ScenarioError(f"{path}: unknown scenario format {suffix or path.name!r} "
                            f"(expected .yaml, .yml or .json)", source=str(path))
    data = dump_scenario(problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    path.write_text(text, encoding="utf-8")
