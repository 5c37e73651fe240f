"""Read a scenario (contract v1) into a validated, immutable :class:`~dispatchopt.domain.Problem`.

Three forms, one validator (:func:`problem_from_dict`):

* a YAML (``.yaml``/``.yml``) or JSON (``.json``) file (read by :mod:`.files`);
* the table form: a directory (or the path of its ``scenario.yaml``) holding ``scenario.yaml``
  with the scenario-level keys, plus ``technicians.csv`` and ``jobs.csv`` (read by :mod:`.tables`,
  which documents the flattened columns);
* a mapping already in memory.

Every key is read; an unknown key is an error that names it. Every error is a
:class:`~dispatchopt.errors.ScenarioError` whose message names the file, the field, the item id
and the value found, e.g.
``scenarios/north.yaml: jobs[3] (id 'J017').window: start 2026-11-23T11:00 is after end 2026-11-23T09:00``
or, for a CSV row (numbered like a spreadsheet, the header is row 1),
``tables/jobs.csv: row 4 (id 'J017').window_start: ...``. The first error found is raised.
The field readers shared by every form are in :mod:`.fields`, shifts and breaks in :mod:`.shifts`. The user-facing reference of the
format is ``docs/format.md``.

Semantics decided here (the contract leaves them open):

* Date-times without an offset are local to ``timezone``; a bare clock time ``"HH:MM"``
  (``"24:00"`` = the next midnight) is taken on the plan day (the local date of ``start``).
  In a technician's ``shift``, an end clock time earlier than its start is on the next day when
  it is at or before 12:00 (22:00 -> 06:00, a 24 h rota 07:00 -> 06:45); a later one
  (17:30 -> 17:00) is an error (write a full date-time). A shift lasts at most 24 h. In a list of
  shifts each clock time is taken at or after the previous shift's end (a rota reads in order).
  A break's clock times are taken at or after the technician's first shift start (a night
  shift's "02:00" break is on the morning after). A clock time moved to a later day keeps its
  wall-clock time; a naive local time that the zone skips or repeats (DST) is an error.
* Every number lies in a sane range (the constants below; docs/format.md "Limits"). A window
  ending after an explicit ``due`` is logged (both hold: the window is hard, ``due`` is costed).
* A scenario with jobs needs at least one technician.
* ``sla`` entries are merged field by field over ``DEFAULT_SLA``; an entry that gives
  ``respond_minutes`` without ``working_days`` clears an inherited ``working_days`` (which would
  otherwise override the minutes given). A new category needs ``respond_minutes`` or
  ``working_days`` (then ``respond_minutes`` is nominally ``working_days`` x 1440).
* Required: ``name``, ``start``, ``technicians``, ``jobs``; a technician's ``id``, ``shift`` and
  ``start``; a job's ``id``, ``location`` and ``duration_minutes``. Defaults: ``timezone``
  ``UTC``, ``category`` ``standard``, ``skills`` none, ``received_at`` = ``start``, ``due`` =
  ``received_at + respond_minutes`` (or the same clock time ``working_days`` Mon-Fri days later),
  a technician's ``end`` = its ``start``. A ``null`` value means "use the default".
* For the matrix model a location without ``id`` gets the technician id (start and end) or the
  job id, so a technician id may not equal a job id there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain import (DEFAULT_SLA, Clock, Job, Location, Objective, Problem, SlaLevel, Technician,
                      TravelSpec, Window)
from ..domain.problem import DEFAULT_CERTIFICATE_REQUIRED, PREEMPTION_POLICIES
from ..domain.time import DAY
from ..errors import ScenarioError
from ..rules import sla_due_s
from .fields import (MAX_COUNT, MAX_MINUTES, MAX_WEIGHT, At, as_written, brief, check_bool, check_id,
                     check_list, check_local_time, check_mapping, check_name, check_number,
                     minutes_to_s, optional_number, parse_date, parse_datetime, parse_instant, show)
from .files import read_mapping
from .horizon import copy_id, read_follow_up, resolve_person, tech_days
from .shifts import BREAK_KEYS, SHIFT_KEYS, read_breaks  # the keys: here with the others
from .tables import SCENARIO_FILES, TABLE_FILES, read_tables

log = logging.getLogger("dispatchopt")

__all__ = ["load_scenario", "problem_from_dict"]

# -- the keys of contract v1 (+ extensions) --------------------------------------------------------
TOP_KEYS = ("name", "timezone", "start", "end", "travel", "sla", "objective", "technicians", "jobs",
            "certificate_required", "preemption", "anticipate_jobs")
TRAVEL_KEYS = ("model", "speed_kmh", "circuity", "graph", "matrix", "speed_factor", "closed_edges",
               "dimacs")
TRAVEL_MODELS = ("haversine", "euclidean", "graph", "matrix")
SLA_KEYS = ("respond_minutes", "weight", "working_days")
OBJECTIVE_KEYS = tuple(f.name for f in dataclasses.fields(Objective))
TECH_KEYS = ("id", "skills", "certificates", "shift", "breaks", "start", "end", "max_jobs",
             "max_work_minutes", "capacity", "trainee", "max_overtime_minutes",
             "shifts", "shift_overrides", "days_off", "history_minutes", "person", "day")  # horizon.py
LOCATION_KEYS = ("lat", "lon", "x", "y", "node", "id")
JOB_KEYS = ("id", "location", "category", "skills", "duration_minutes", "received_at", "due",
            "window", "crew_size", "demand", "pinned_to", "dispatchable", "follow_up")
WINDOW_KEYS = ("start", "end")
DEFAULT_CATEGORY = "standard"
DEFAULT_TIMEZONE = "UTC"

# -- sane ranges (docs/format.md, "Limits"): beyond them a value is a typo, and would overflow -----
COUNT = (0, MAX_COUNT)
MINUTES = (0, MAX_MINUTES)
WEIGHT = (0, MAX_WEIGHT)
SPEED_KMH = (1, 200)                  # haversine, graph, matrix: km/h
EUCLIDEAN_SPEED = (0.01, 10_000)      # euclidean: coordinate units per minute
CIRCUITY = (1, 5)
SPEED_FACTOR = (0.05, 20)
COORDINATE = (-1e6, 1e6)              # x, y
MAX_WORKING_DAYS = 10


# -- the entry points -------------------------------------------------------------------------------
def problem_from_dict(data: Mapping[str, Any], *, source: str = "<dict>",
                      base_dir: str | os.PathLike | None = None) -> Problem:
    """Validate scenario data (contract v1 keys) into a :class:`Problem`.

    Parameters
    ----------
    data
        The scenario mapping, as read from YAML or JSON (date-times may be strings or
        ``datetime`` objects).
    source
        Named in error messages and kept as ``Problem.source`` (unless ``"<dict>"``).
    base_dir
        Folder against which relative ``travel.graph`` / ``travel.matrix`` paths are resolved;
        default: the folder of ``source`` when it is a file, else the working directory.

    Raises
    ------
    ScenarioError
        The first problem found, naming file, field, id and value.
    """
    if base_dir is None and source != "<dict>":
        base_dir = Path(source).parent
    return _build(data, At(source), base_dir=Path(base_dir) if base_dir is not None else None,
                  problem_source=None if source == "<dict>" else source)


def load_scenario(path: str | os.PathLike) -> Problem:
    """Load and validate a scenario: a ``.yaml``/``.yml``/``.json`` file, or the table form (a
    directory, or the path of its ``scenario.yaml``, with ``technicians.csv`` and ``jobs.csv``).

    Relative ``travel.graph`` / ``travel.matrix`` paths are resolved against the scenario's folder.

    Raises
    ------
    ScenarioError
        The file is missing or unreadable, or breaks the contract (the message names file, field,
        id and value).
    """
    path = Path(path)
    if path.is_dir():
        found = [path / name for name in SCENARIO_FILES if (path / name).is_file()]
        if not found:
            raise ScenarioError(f"{path}: no scenario.yaml in this directory (the table form is "
                                f"scenario.yaml + technicians.csv + jobs.csv)", source=str(path))
        return _load_tables(path, found[0], problem_source=str(path))
    if not path.exists():
        raise ScenarioError(f"{path}: file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ScenarioError(f"{path}: unknown scenario format {brief(suffix or path.name)} (expected .yaml, "
                            f".yml, .json, or a directory with scenario.yaml, technicians.csv and "
                            f"jobs.csv)", source=str(path))
    if path.stem.lower() == "scenario" and any((path.parent / name).is_file() for name in TABLE_FILES):
        return _load_tables(path.parent, path, problem_source=str(path))
    data = read_mapping(path)
    return _build(data, At(str(path)), base_dir=path.parent, problem_source=str(path))


def _load_tables(folder: Path, scenario_file: Path, *, problem_source: str) -> Problem:
    data, item_ats = read_tables(folder, scenario_file)
    return _build(data, At(str(scenario_file)), base_dir=folder, problem_source=problem_source,
                  item_ats=item_ats)


# -- the validator ----------------------------------------------------------------------------------
@dataclasses.dataclass
class _Context:
    clock: Clock
    model: str
    sla: dict[str, SlaLevel]
    tech_ids: dict[str, str] = dataclasses.field(default_factory=dict)  # id -> where first seen
    end_s: int = DAY
    persons: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # person -> day copy ids


def _build(data: object, at: At, *, base_dir: Path | None, problem_source: str | None,
           item_ats: Mapping[str, list[At]] | None = None) -> Problem:
    """The whole validation, in the order the first error is looked for."""
    item_ats = item_ats or {}
    data = check_mapping(data, at, TOP_KEYS, required=("name", "start"),
                         what="a mapping of scenario keys")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise at.child("name").error(f"expected a non-empty string, found {show(name)}", name)
    clock = _clock(data, at)
    end_s = DAY
    if data.get("end") is not None:
        end_at = at.child("end")
        end_s = clock.to_seconds(check_local_time(parse_datetime(data["end"], end_at), clock.tz,
                                                  end_at, data["end"]))
        if end_s <= 0:
            raise end_at.error(f"end {as_written(data['end'])} is not after start "
                               f"{as_written(data['start'])}", data["end"])

    travel = _travel(data.get("travel"), at.child("travel"), base_dir)
    sla = _sla(data.get("sla"), at.child("sla"))
    objective = _objective(data.get("objective"), at.child("objective"))
    certificate_required = _certificate_required(data.get("certificate_required"),
                                                 at.child("certificate_required"))
    ctx = _Context(clock=clock, model=travel.model, sla=sla, end_s=end_s)
    for key in ("technicians", "jobs"):
        if data.get(key) is None:
            raise at.error(f"missing required key {key!r}")
    technicians = _read_technicians(data["technicians"], at.child("technicians"), ctx,
                               item_ats.get("technicians"))
    if not technicians and isinstance(data["jobs"], (list, tuple)) and data["jobs"]:
        in_csv = item_ats.get("technicians") is not None       # the table form: an empty CSV file
        tech_at = At(str(Path(at.source).parent / "technicians.csv")) if in_csv else at.child("technicians")
        raise tech_at.error(f"no technicians, but {len(data['jobs'])} job(s) to plan: a scenario with "
                            f"jobs needs at least one technician", data["technicians"])
    jobs = _read_jobs(data["jobs"], at.child("jobs"), ctx, item_ats.get("jobs"))
    preemption = _preemption(data.get("preemption"), at.child("preemption"), sla)
    anticipate = data.get("anticipate_jobs")
    anticipate = False if anticipate is None else check_bool(anticipate, at.child("anticipate_jobs"))
    return Problem(name=name, clock=clock, end_s=end_s, travel=travel, sla=sla, objective=objective,
                   technicians=tuple(technicians), jobs=tuple(jobs),
                   certificate_required=certificate_required, preemption=preemption,
                   anticipate_jobs=anticipate, source=problem_source)


def _clock(data: Mapping, at: At) -> Clock:
    """The planning clock: ``start`` in ``timezone`` (UTC when not given)."""
    timezone = DEFAULT_TIMEZONE if data.get("timezone") is None else data["timezone"]
    tz_at = at.child("timezone")
    if not isinstance(timezone, str):
        raise tz_at.error(f"expected an IANA time zone name like Asia/Shanghai, found {show(timezone)}",
                          timezone)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise tz_at.error(f"unknown time zone {brief(timezone)} (expected an IANA name like Asia/Shanghai)",
                          timezone) from None
    origin = check_local_time(parse_datetime(data["start"], at.child("start")), zone, at.child("start"),
                              data["start"])
    origin = origin.replace(tzinfo=zone) if origin.tzinfo is None else origin.astimezone(zone)
    return Clock.create(origin, timezone)


def _certificate_required(raw: object, at: At) -> frozenset[str]:
    if raw is None:
        return DEFAULT_CERTIFICATE_REQUIRED
    skills = check_list(raw, at, "skills")
    return frozenset(check_name(s, at.child(i), "a skill name") for i, s in enumerate(skills))


def _read_technicians(raw: object, at: At, ctx: _Context, item_ats: list[At] | None) -> list[Technician]:
    raw_techs = check_list(raw, at, "technicians")
    tech_ats = item_ats or [at.list_item(i) for i in range(len(raw_techs))]
    technicians = []
    for raw_tech, tech_at in zip(raw_techs, tech_ats):
        for tech in _read_technician(raw_tech, tech_at, ctx):   # day copies: scenario/horizon.py
            if tech.id in ctx.tech_ids or tech.person_id in ctx.tech_ids or (tech.id in ctx.persons):
                raise tech_at.with_id(tech.person_id).child("id").error(
                    f"duplicate technician id {brief(tech.id)} (first at "
                    f"{ctx.tech_ids.get(tech.id, ctx.tech_ids.get(tech.person_id, 'a day copy'))})", tech.id)
            ctx.tech_ids[tech.id] = tech_at.path
            if tech.person is not None:
                ctx.persons.setdefault(tech.person, []).append(tech.id)
            technicians.append(tech)
    return technicians


def _read_jobs(raw: object, at: At, ctx: _Context, item_ats: list[At] | None) -> list[Job]:
    raw_jobs = check_list(raw, at, "jobs")
    job_ats = item_ats or [at.list_item(i) for i in range(len(raw_jobs))]
    jobs = []
    job_where: dict[str, str] = {}
    for raw_job, job_at in zip(raw_jobs, job_ats):
        job = _read_job(raw_job, job_at, ctx)
        if job.id in job_where:
            raise job_at.with_id(job.id).child("id").error(
                f"duplicate job id {brief(job.id)} (first at {job_where[job.id]})", job.id)
        if ctx.model == "matrix" and job.id in ctx.tech_ids:
            raise job_at.with_id(job.id).child("id").error(
                f"job id {brief(job.id)} is also a technician id (the matrix model names locations by "
                f"these ids; give the locations distinct 'id's or rename one)", job.id)
        job_where[job.id] = job_at.path
        jobs.append(job)
    return jobs


def _preemption(raw: object, at: At, sla: Mapping[str, SlaLevel]) -> dict[str, str]:
    preemption: dict[str, str] = {}
    if raw is None:
        return preemption
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping category -> policy, found {show(raw)}", raw)
    for category, policy in raw.items():
        cat_at = at.key(category)
        _category(category, cat_at, sla)
        if policy not in PREEMPTION_POLICIES:
            raise cat_at.error(f"unknown preemption policy {brief(policy)} "
                               f"(expected {' or '.join(PREEMPTION_POLICIES)})", policy)
        preemption[category] = policy
    return preemption


def _travel_file(raw: Mapping, key: str, at: At, model: str, base_dir: Path | None) -> str | None:
    """The absolute path of ``travel.graph`` / ``travel.matrix`` (required by its own model)."""
    value = raw.get(key)
    if value is None:
        if model == key:
            raise at.error(f"missing required key {key!r} (the {key} model reads it)")
        return None
    file_at = at.child(key)
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise file_at.error(f"expected a file path, found {show(value)}", value)
    path = Path(value)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    path = Path(os.path.normpath(path.absolute()))
    if model == key and not path.is_file():
        raise file_at.error(f"file not found: {brief(str(value))} (looked for {brief(str(path), 200)})",
                            value)
    if model != key:
        log.warning("%s: travel.%s is given but the %s model does not read it", at.source, key, model)
    return str(path)


def _travel(raw: object, at: At, base_dir: Path | None) -> TravelSpec:
    if raw is None:
        return TravelSpec()
    raw = check_mapping(raw, at, TRAVEL_KEYS)
    default = TravelSpec()
    model = raw.get("model", default.model)
    if model is None:
        model = default.model
    if model not in TRAVEL_MODELS:
        raise at.child("model").error(f"unknown travel model {brief(model)} "
                                      f"(expected one of: {', '.join(TRAVEL_MODELS)})", model)
    speed_kmh = optional_number(raw, "speed_kmh", at, default.speed_kmh, above=0,
                                bounds=EUCLIDEAN_SPEED if model == "euclidean" else SPEED_KMH)
    circuity = optional_number(raw, "circuity", at, default.circuity, minimum=1, bounds=CIRCUITY)
    speed_factor = optional_number(raw, "speed_factor", at, default.speed_factor, above=0,
                                   bounds=SPEED_FACTOR)
    dimacs = default.dimacs if raw.get("dimacs") is None else check_bool(raw["dimacs"], at.child("dimacs"))
    closed: list[tuple[str, str]] = []
    if raw.get("closed_edges") is not None:
        ce_at = at.child("closed_edges")
        for i, edge in enumerate(check_list(raw["closed_edges"], ce_at, "[u, v] pairs")):
            edge_at = ce_at.child(i)
            if not isinstance(edge, (list, tuple)) or len(edge) != 2:
                raise edge_at.error(f"expected a pair [u, v] of node ids, found {show(edge)}", edge)
            closed.append((check_id(edge[0], edge_at.child(0), "a node id"),
                           check_id(edge[1], edge_at.child(1), "a node id")))
    files = {key: _travel_file(raw, key, at, model, base_dir) for key in ("graph", "matrix")}
    if closed and model != "graph":
        log.warning("%s: travel.closed_edges is given but the %s model has no edges", at.source, model)
    if dimacs and model != "euclidean":
        log.warning("%s: travel.dimacs is set but only the euclidean model reads it", at.source)
    return TravelSpec(model=model, speed_kmh=speed_kmh, circuity=circuity, graph=files["graph"],
                      matrix=files["matrix"], speed_factor=speed_factor, closed_edges=tuple(closed),
                      dimacs=dimacs)


def _sla(raw: object, at: At) -> dict[str, SlaLevel]:
    sla = dict(DEFAULT_SLA)
    if raw is None:
        return sla
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping category -> {{respond_minutes, weight}}, found {show(raw)}", raw)
    for category, entry in raw.items():
        cat_at = at.key(category) if not isinstance(category, str) else at.child(category)
        check_name(category, cat_at, "a category name")
        entry = check_mapping(entry, cat_at, SLA_KEYS)
        respond = optional_number(entry, "respond_minutes", cat_at, None, minimum=0, bounds=MINUTES)
        weight = optional_number(entry, "weight", cat_at, None, minimum=0, bounds=WEIGHT)
        working_days = optional_number(entry, "working_days", cat_at, None, minimum=0, integer=True,
                                       bounds=(0, MAX_WORKING_DAYS))
        base = DEFAULT_SLA.get(category)
        if base is None:
            if respond is None and working_days is None:
                raise cat_at.error(f"new category {brief(category)} needs respond_minutes or working_days")
            if respond is None:
                respond = working_days * 1440
            sla[category] = SlaLevel(respond_minutes=respond, weight=1.0 if weight is None else weight,
                                     working_days=working_days)
        else:
            if working_days is None and respond is None:
                working_days = base.working_days
            sla[category] = SlaLevel(
                respond_minutes=base.respond_minutes if respond is None else respond,
                weight=base.weight if weight is None else weight, working_days=working_days)
    return sla


def _objective(raw: object, at: At) -> Objective:
    if raw is None:
        return Objective()
    raw = check_mapping(raw, at, OBJECTIVE_KEYS)
    values = {key: check_number(raw[key], at.child(key), minimum=0, bounds=WEIGHT) for key in OBJECTIVE_KEYS
              if raw.get(key) is not None}
    return Objective(**values)


def _category(value: object, at: At, sla: Mapping[str, SlaLevel]) -> str:
    check_name(value, at, "a category")
    if value not in sla:
        raise at.error(f"unknown category {brief(value)} (known: {', '.join(sorted(sla))}; "
                       f"add it under 'sla:')", value)
    return value


def _skills(raw: object, at: At) -> dict[str, int]:
    """skill -> level from a mapping, or from a plain list (level 1 each)."""
    if raw is None:
        return {}
    skills: dict[str, int] = {}
    if isinstance(raw, Mapping):
        for skill, level in raw.items():
            skill_at = at.key(skill)
            check_name(skill, skill_at, "a skill name")
            skills[skill] = check_number(level, skill_at, minimum=1, integer=True, bounds=(1, MAX_COUNT))
        return skills
    if isinstance(raw, (list, tuple)):
        for i, skill in enumerate(raw):
            check_name(skill, at.child(i), "a skill name")
            if skill in skills:
                raise at.child(i).error(f"skill {brief(skill)} is listed twice", skill)
            skills[skill] = 1
        return skills
    raise at.error(f"expected a mapping skill -> level or a list of skills, found {show(raw)}", raw)


def _location(raw: object, at: At, model: str, default_id: str) -> Location:
    raw = check_mapping(raw, at, LOCATION_KEYS, what="a location {lat, lon} | {x, y} | {node} | {id}")
    values: dict[str, Any] = {}
    for key, low, high in (("lat", -90, 90), ("lon", -180, 180), ("x", None, None), ("y", None, None)):
        if raw.get(key) is not None:
            values[key] = float(check_number(raw[key], at.child(key), minimum=low, maximum=high,
                                             bounds=None if low is not None else COORDINATE))
    for a, b in (("lat", "lon"), ("x", "y")):
        if (a in values) != (b in values):
            have, lack = (a, b) if a in values else (b, a)
            raise at.error(f"has {have} but no {lack}: {show(dict(raw))}", dict(raw))
    for key in ("node", "id"):
        if raw.get(key) is not None:
            values[key] = check_id(raw[key], at.child(key), f"a {key} id")
    if model == "matrix" and "id" not in values:
        values["id"] = default_id
    need = {"haversine": ("lat", "lon"), "euclidean": ("x", "y")}.get(model)
    if need and not all(k in values for k in need):
        raise at.error(f"the {model} travel model needs {need[0]} and {need[1]}, found {show(dict(raw))}",
                       dict(raw))
    if model == "graph" and "node" not in values and "lat" not in values:
        raise at.error(f"the graph travel model needs node, or lat and lon, found {show(dict(raw))}",
                       dict(raw))
    return Location(**values)


def _item_id(raw: object, at: At, what: str) -> tuple[str, At]:
    """The id of a technician or job, read first so that every later message names it."""
    if not isinstance(raw, Mapping):
        raise at.error(f"expected {what}, found {show(raw)}", raw)
    if raw.get("id") is None:
        raise at.error("missing required key 'id'")
    item_id = check_id(raw["id"], at.child("id"))
    return item_id, at.with_id(item_id)


def _certificates(raw: object, at: At) -> dict[str, dt.date]:
    certificates: dict[str, dt.date] = {}
    if raw is None:
        return certificates
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping skill -> expiry date, found {show(raw)}", raw)
    for skill, expiry in raw.items():
        check_name(skill, at.key(skill), "a skill name")
        certificates[skill] = parse_date(expiry, at.key(skill))
    return certificates


def _read_technician(raw: object, at: At, ctx: _Context) -> list[Technician]:
    """The technician, or its day copies (a weekly ``shifts`` pattern: scenario/horizon.py)."""
    tech_id, at = _item_id(raw, at, "a technician mapping")
    raw = check_mapping(raw, at, TECH_KEYS, required=("id", "shift" if raw.get("shifts") is None else "shifts",
                                                      "start"))
    skills = _skills(raw.get("skills"), at.child("skills"))
    certificates = _certificates(raw.get("certificates"), at.child("certificates"))
    days = tech_days(raw, at, ctx.clock, ctx.end_s)
    start = _location(raw["start"], at.child("start"), ctx.model, tech_id)
    end = start if raw.get("end") is None else _location(raw["end"], at.child("end"), ctx.model, tech_id)
    max_jobs = optional_number(raw, "max_jobs", at, None, minimum=0, integer=True, bounds=COUNT)
    max_work = optional_number(raw, "max_work_minutes", at, None, minimum=0, bounds=MINUTES)
    capacity = optional_number(raw, "capacity", at, 0, minimum=0, integer=True, bounds=COUNT)
    overtime = optional_number(raw, "max_overtime_minutes", at, 0, minimum=0, bounds=MINUTES)
    trainee = False if raw.get("trainee") is None else check_bool(raw["trainee"], at.child("trainee"))
    history = optional_number(raw, "history_minutes", at, 0, minimum=0, bounds=(0, 1e7))
    person = None if raw.get("person") is None else check_id(raw["person"], at.child("person"))
    day = None if raw.get("day") is None else parse_date(raw["day"], at.child("day"))
    return [Technician(id=tech_id if d is None else copy_id(tech_id, d), skills=skills, shifts=shifts,
                       start=start, end=end, certificates=certificates,
                       breaks=read_breaks(raw.get("breaks"), at.child("breaks"), ctx.clock, shifts),
                       max_jobs=max_jobs, max_work_s=None if max_work is None else minutes_to_s(max_work),
                       capacity=capacity, trainee=trainee, max_overtime_s=minutes_to_s(overtime),
                       person=tech_id if d is not None else person, day=d if d is not None else day,
                       history_s=minutes_to_s(history)) for d, shifts in days]


def _window(raw: object, at: At, clock: Clock) -> Window | None:
    if raw is None:
        return None
    w_raw = check_mapping(raw, at, WINDOW_KEYS, required=WINDOW_KEYS)
    w_start = parse_instant(w_raw["start"], at.child("start"), clock)
    w_end = parse_instant(w_raw["end"], at.child("end"), clock)
    if w_start > w_end:
        raise at.error(f"start {as_written(w_raw['start'])} is after end {as_written(w_raw['end'])}",
                       w_raw["start"])
    if w_start == w_end:
        raise at.error(f"start {as_written(w_raw['start'])} equals end {as_written(w_raw['end'])}: "
                       f"the window is empty", w_raw["start"])
    return Window(w_start, w_end)


def _pinned(value: object, at: At, ctx: _Context, crew_size: int) -> tuple[str, ...]:
    pinned: list[str] = []
    if value is None:
        return ()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for i, item in enumerate(items):
        item_at = at.child(i) if isinstance(value, (list, tuple)) else at
        tech_id = resolve_person(check_id(item, item_at, "a technician id"), item_at, ctx.tech_ids, ctx.persons)
        if tech_id not in ctx.tech_ids:
            raise item_at.error(f"pinned to unknown technician {brief(tech_id)}", tech_id)
        if tech_id in pinned:
            raise item_at.error(f"technician {brief(tech_id)} is pinned twice", tech_id)
        pinned.append(tech_id)
    if len(pinned) > crew_size:
        raise at.error(f"{len(pinned)} technicians {brief(pinned)} pinned to a job of crew_size {crew_size}", value)
    return tuple(pinned)


def _read_job(raw: object, at: At, ctx: _Context) -> Job:
    job_id, at = _item_id(raw, at, "a job mapping")
    raw = check_mapping(raw, at, JOB_KEYS, required=("id", "location", "duration_minutes"))
    clock = ctx.clock
    location = _location(raw["location"], at.child("location"), ctx.model, job_id)
    category = DEFAULT_CATEGORY if raw.get("category") is None else _category(
        raw["category"], at.child("category"), ctx.sla)
    skills = _skills(raw.get("skills"), at.child("skills"))
    duration = check_number(raw["duration_minutes"], at.child("duration_minutes"), minimum=0,
                            bounds=MINUTES)
    received_s = 0 if raw.get("received_at") is None else parse_instant(
        raw["received_at"], at.child("received_at"), clock)
    follow_up, received_s = read_follow_up(raw.get("follow_up"), at.child("follow_up"), clock, received_s,
                                           {**ctx.tech_ids, **ctx.persons})
    window = _window(raw.get("window"), at.child("window"), clock)
    if raw.get("due") is not None:
        due_s = parse_instant(raw["due"], at.child("due"), clock)
        if due_s < received_s:
            raise at.child("due").error(
                f"due {as_written(raw['due'])} is before received_at {clock.to_iso(received_s)}", raw["due"])
        if window is not None and window.end_s > due_s:
            log.warning("%s: %s: window %s to %s ends after due %s: a start inside the window but "
                        "after due is kept (the window is hard) and counted late", at.source, at.path,
                        clock.to_iso(window.start_s), clock.to_iso(window.end_s), clock.to_iso(due_s))
    else:
        due_s = sla_due_s(clock, received_s, ctx.sla[category])
    crew_size = optional_number(raw, "crew_size", at, 1, minimum=1, integer=True, bounds=(1, MAX_COUNT))
    if crew_size > len(ctx.tech_ids):
        raise at.child("crew_size").error(
            f"crew_size {crew_size} is more than the {len(ctx.tech_ids)} technicians of the scenario",
            crew_size)
    demand = optional_number(raw, "demand", at, 0, minimum=0, integer=True, bounds=COUNT)
    pinned = _pinned(raw.get("pinned_to"), at.child("pinned_to"), ctx, crew_size)
    dispatchable = True if raw.get("dispatchable") is None else check_bool(
        raw["dispatchable"], at.child("dispatchable"))
    return Job(id=job_id, location=location, category=category, skills=skills,
               duration_s=minutes_to_s(duration), received_s=received_s, due_s=due_s, window=window,
               crew_size=crew_size, demand=demand, pinned_to=pinned, dispatchable=dispatchable,
               follow_up=follow_up)
