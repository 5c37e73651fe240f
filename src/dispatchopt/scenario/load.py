"""Read a scenario (contract v1) into a validated, immutable :class:`~dispatchopt.domain.Problem`.

Three forms, one validator (:func:`problem_from_dict`):

* a YAML (``.yaml``/``.yml``) or JSON (``.json``) file with the keys of ``FORMATS.md``;
* the table form: a directory (or the path of its ``scenario.yaml``) holding ``scenario.yaml``
  with the scenario-level keys, plus ``technicians.csv`` and ``jobs.csv`` (one row each, nested
  keys flattened: ``start_lat``, ``shift_start``, ``window_end``, ``location_node``; ``skills``
  as ``plumbing:2;electrical:1`` (a skill without ``:level`` is level 1), ``certificates`` as
  ``electrical:2027-03-31;gas:2026-12-01``, ``breaks`` as ``12:00-13:00/60;...``
  (earliest-latest/minutes), ``pinned_to`` as ``T01;T02``, several shifts as
  ``shift_start`` ``08:30;13:30`` with ``shift_end`` ``12:00;17:30``). Either list may instead
  stay in ``scenario.yaml`` when its CSV file is absent.

Every key is read; an unknown key is an error that names it. Every error is a
:class:`~dispatchopt.errors.ScenarioError` whose message names the file, the field, the item id
and the value found, e.g.
``scenarios/north.yaml: jobs[3] (id 'J017').window: start 2026-11-23T11:00 is after end 2026-11-23T09:00``
or, for a CSV row (numbered like a spreadsheet, the header is row 1),
``tables/jobs.csv: row 4 (id 'J017').window_start: ...``. The first error found is raised.

Semantics decided here (the contract leaves them open):

* Date-times without an offset are local to ``timezone``; a bare clock time ``"HH:MM"``
  (``"24:00"`` = the next midnight) is taken on the plan day (the local date of ``start``).
  In a technician's ``shift``, an end earlier than its start is on the next day, and in a list of
  shifts each clock time is taken at or after the previous shift's end (a rota reads in order).
  A break's clock times are taken at or after the technician's first shift start (a night
  shift's "02:00" break is on the morning after).
* ``sla`` entries are merged field by field over ``DEFAULT_SLA``; an entry that gives
  ``respond_minutes`` without ``working_days`` clears an inherited ``working_days`` (which would
  otherwise override the minutes given). A new category needs ``respond_minutes`` or
  ``working_days`` (then ``respond_minutes`` is nominally ``working_days`` x 1440).
* Required: ``name``, ``timezone``, ``start``, ``technicians``, ``jobs``; a technician's ``id``,
  ``shift`` and ``start``; a job's ``id``, ``location`` and ``duration_minutes``. Defaults:
  ``category`` ``standard``, ``skills`` none, ``received_at`` = ``start``, ``due`` =
  ``received_at + respond_minutes`` (or the same clock time ``working_days`` Mon-Fri days later),
  a technician's ``end`` = its ``start``. A ``null`` value means "use the default".
* For the matrix model a location without ``id`` gets the technician id (start and end) or the
  job id, so a technician id may not equal a job id there.
* YAML is read as YAML 1.1 except that ``12:00`` stays the string "12:00" (no base-60 numbers),
  date-times stay strings, ``007`` stays the string "007" (no octal), and a key repeated in one
  mapping is an error.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import json
import logging
import math
import numbers
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..domain import (DEFAULT_SLA, BreakRule, Clock, Job, Location, Objective, Problem, Shift,
                      SlaLevel, Technician, TravelSpec, Window)
from ..domain.problem import DEFAULT_CERTIFICATE_REQUIRED, PREEMPTION_POLICIES
from ..domain.time import DAY, MINUTE
from ..errors import ScenarioError

log = logging.getLogger("dispatchopt")

__all__ = ["load_scenario", "problem_from_dict"]

# -- the keys of contract v1 (+ extensions) --------------------------------------------------------
TOP_KEYS = ("name", "timezone", "start", "end", "travel", "sla", "objective", "technicians", "jobs",
            "certificate_required", "preemption")
TRAVEL_KEYS = ("model", "speed_kmh", "circuity", "graph", "matrix", "speed_factor", "closed_edges",
               "dimacs")
TRAVEL_MODELS = ("haversine", "euclidean", "graph", "matrix")
SLA_KEYS = ("respond_minutes", "weight", "working_days")
OBJECTIVE_KEYS = tuple(f.name for f in dataclasses.fields(Objective))
TECH_KEYS = ("id", "skills", "certificates", "shift", "breaks", "start", "end", "max_jobs",
             "max_work_minutes", "capacity", "trainee", "max_overtime_minutes")
SHIFT_KEYS = ("start", "end")
BREAK_KEYS = ("earliest", "latest", "minutes")
LOCATION_KEYS = ("lat", "lon", "x", "y", "node", "id")
JOB_KEYS = ("id", "location", "category", "skills", "duration_minutes", "received_at", "due",
            "window", "crew_size", "demand", "pinned_to", "dispatchable")
WINDOW_KEYS = ("start", "end")
DEFAULT_CATEGORY = "standard"
SCENARIO_FILES = ("scenario.yaml", "scenario.yml", "scenario.json")

_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


# -- where an error is ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _At:
    """A place in the input, for messages: the file, the field path and the item id.

    ``item`` marks a list item (``jobs[3] (id 'J017')``) or a CSV row (``row 4``): its fields join
    with ``.``. Below a ``flat`` item (a CSV row) nested fields join with ``_`` like the columns
    (``window_start``).
    """

    source: str
    path: str = ""
    item_id: str | None = None
    item: bool = False
    flat: bool = False

    def child(self, name: str | int) -> "_At":
        if isinstance(name, int):
            path = f"{self.path}[{name}]"
        elif not self.path:
            path = name
        else:
            path = f"{self.path}{'_' if self.flat and not self.item else '.'}{name}"
        return dataclasses.replace(self, path=path, item=False)

    def key(self, name: object) -> "_At":
        """A user-chosen mapping key (a skill, a category): ``skills['plumbing']``."""
        return dataclasses.replace(self, path=f"{self.path}[{name!r}]", item=False)

    def with_id(self, item_id: str) -> "_At":
        return dataclasses.replace(self, path=f"{self.path} (id {item_id!r})", item_id=item_id)

    def error(self, message: str, value: object = None) -> ScenarioError:
        where = f"{self.source}: {self.path}: " if self.path else f"{self.source}: "
        return ScenarioError(where + message, source=self.source, field=self.path or None,
                             item_id=self.item_id, value=value)


def _show(value: object) -> str:
    """A value for a "found ..." message."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "a mapping " + repr(dict(value))
    if isinstance(value, (list, tuple)):
        return "a list " + repr(list(value))
    return repr(value)


def _raw(value: object) -> str:
    """A time value as written, for comparisons ("start 11:00 is after end 09:00")."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


# -- generic readers --------------------------------------------------------------------------------
def _mapping(raw: object, at: _At, allowed: tuple[str, ...], required: tuple[str, ...] = (),
             what: str = "") -> Mapping:
    """``raw`` as a mapping whose keys are all in ``allowed`` and hold every ``required`` key."""
    if not isinstance(raw, Mapping):
        kind = what or f"a mapping with keys {', '.join(allowed)}"
        raise at.error(f"expected {kind}, found {_show(raw)}", raw)
    for key in raw:
        if not isinstance(key, str) or key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1) if isinstance(key, str) else []
            hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
            raise at.error(f"unknown key {key!r} ({hint})", key)
    for key in required:
        if raw.get(key) is None:
            raise at.error(f"missing required key {key!r}")
    return raw


def _number(value: object, at: _At, *, minimum: float | None = None, above: float | None = None,
            maximum: float | None = None, integer: bool = False) -> int | float:
    """A finite number (an integer when ``integer``; an integral float is accepted) in range."""
    kind = "an integer" if integer else "a number"
    if minimum is not None and maximum is not None:
        kind += f" from {minimum:g} to {maximum:g}"
    elif minimum is not None:
        kind += f" >= {minimum:g}"
    elif maximum is not None:
        kind += f" <= {maximum:g}"
    if above is not None:
        kind += f" > {above:g}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise at.error(f"expected {kind}, found {_show(value)}", value)
    if isinstance(value, numbers.Integral):
        number: int | float = int(value)
    else:
        number = float(value)
        if not math.isfinite(number):
            raise at.error(f"expected {kind}, found {_show(value)}", value)
        if integer:
            if not number.is_integer():
                raise at.error(f"expected {kind}, found {_show(value)}", value)
            number = int(number)
    if ((minimum is not None and number < minimum) or (above is not None and number <= above)
            or (maximum is not None and number > maximum)):
        raise at.error(f"expected {kind}, found {_show(value)}", value)
    return number


def _optional_number(raw: Mapping, key: str, at: _At, default, **limits):
    value = raw.get(key)
    return default if value is None else _number(value, at.child(key), **limits)


def _bool(value: object, at: _At) -> bool:
    if not isinstance(value, bool):
        raise at.error(f"expected true or false, found {_show(value)}", value)
    return value


def _ident(value: object, at: _At, what: str = "an id") -> str:
    """An id (a string; an integer is taken as its decimal string)."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        raise at.error(f"expected {what} (a string), found {_show(value)}", value)
    text = str(value)
    if not text.strip():
        raise at.error(f"expected {what}, found an empty string", value)
    return text


def _name(value: object, at: _At, what: str) -> str:
    """A name that must be a non-empty string (a skill, a category)."""
    if not isinstance(value, str) or not value.strip():
        raise at.error(f"{what} must be a non-empty string, found {_show(value)}", value)
    return value


def _list(value: object, at: _At, what: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise at.error(f"expected a list of {what}, found {_show(value)}", value)
    return list(value)


def _minutes_to_s(minutes: float) -> int:
    return int(round(minutes * MINUTE))


# -- time -------------------------------------------------------------------------------------------
def _datetime(value: object, at: _At, *, clock_time_ok: bool = False) -> dt.datetime:
    """An ISO date-time (naive = local to the scenario's zone), or a date (its midnight)."""
    expected = "ISO 8601 like 2026-11-23T08:00" + (" or a clock time HH:MM" if clock_time_ok else "")
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0))
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise at.error(f"bad date-time {value!r} ({exc}; expected {expected})", value) from None
    raise at.error(f"expected a date-time, {expected}, found {_show(value)}", value)


def _instant(value: object, at: _At, clock: Clock, *, not_before_s: int | None = None) -> int:
    """Seconds on the clock of an ISO date-time or of a clock time "HH:MM" on the plan day.

    A clock time earlier than ``not_before_s`` is taken on the following day.
    """
    if isinstance(value, str):
        match = _CLOCK_TIME.match(value.strip())
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            if not (hours < 24 and minutes < 60) and (hours, minutes) != (24, 0):
                raise at.error(f"bad clock time {value!r} (expected HH:MM from 00:00 to 24:00)", value)
            return clock.clock_time_to_seconds(f"{hours:02d}:{minutes:02d}", not_before_s=not_before_s)
    return clock.to_seconds(_datetime(value, at, clock_time_ok=True))


def _date(value: object, at: _At) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise at.error(f"bad date {value!r} (expected YYYY-MM-DD like 2027-03-31)", value) from None
    raise at.error(f"expected a date like 2027-03-31, found {_show(value)}", value)


def _working_days_later(clock: Clock, received_s: int, days: int) -> int:
    """The same local clock time ``days`` working days (Monday-Friday) after ``received_s``."""
    local = clock.to_datetime(received_s)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return clock.to_seconds(dt.datetime.combine(day, local.time()))


# -- the validator ----------------------------------------------------------------------------------
@dataclasses.dataclass
class _Context:
    clock: Clock
    model: str
    sla: dict[str, SlaLevel]
    tech_ids: dict[str, str] = dataclasses.field(default_factory=dict)  # id -> where first seen


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
    return _build(data, _At(source), base_dir=Path(base_dir) if base_dir is not None else None,
                  problem_source=None if source == "<dict>" else source)


def _build(data: object, at: _At, *, base_dir: Path | None, problem_source: str | None,
           item_ats: Mapping[str, list[_At]] | None = None) -> Problem:
    item_ats = item_ats or {}
    data = _mapping(data, at, TOP_KEYS, required=("name", "timezone", "start"),
                    what="a mapping of scenario keys")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise at.child("name").error(f"expected a non-empty string, found {_show(name)}", name)

    timezone = data["timezone"]
    tz_at = at.child("timezone")
    if not isinstance(timezone, str):
        raise tz_at.error(f"expected an IANA time zone name like Asia/Shanghai, found {_show(timezone)}",
                          timezone)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise tz_at.error(f"unknown time zone {timezone!r} (expected an IANA name like Asia/Shanghai)",
                          timezone) from None
    origin = _datetime(data["start"], at.child("start"))
    origin = origin.replace(tzinfo=zone) if origin.tzinfo is None else origin.astimezone(zone)
    clock = Clock.create(origin, timezone)

    end_s = DAY
    if data.get("end") is not None:
        end_at = at.child("end")
        end_s = clock.to_seconds(_datetime(data["end"], end_at))
        if end_s <= 0:
            raise end_at.error(f"end {_raw(data['end'])} is not after start {_raw(data['start'])}",
                               data["end"])

    travel = _travel(data.get("travel"), at.child("travel"), base_dir)
    sla = _sla(data.get("sla"), at.child("sla"))
    objective = _objective(data.get("objective"), at.child("objective"))
    certificate_required = DEFAULT_CERTIFICATE_REQUIRED
    if data.get("certificate_required") is not None:
        cr_at = at.child("certificate_required")
        skills = _list(data["certificate_required"], cr_at, "skills")
        certificate_required = frozenset(_name(s, cr_at.child(i), "a skill name")
                                         for i, s in enumerate(skills))

    ctx = _Context(clock=clock, model=travel.model, sla=sla)
    for key in ("technicians", "jobs"):
        if data.get(key) is None:
            raise at.error(f"missing required key {key!r}")
    raw_techs = _list(data["technicians"], at.child("technicians"), "technicians")
    tech_ats = item_ats.get("technicians") or [
        dataclasses.replace(at.child("technicians").child(i), item=True) for i in range(len(raw_techs))]
    technicians = []
    for raw, tech_at in zip(raw_techs, tech_ats):
        tech = _technician(raw, tech_at, ctx)
        if tech.id in ctx.tech_ids:
            raise tech_at.with_id(tech.id).child("id").error(
                f"duplicate technician id {tech.id!r} (first at {ctx.tech_ids[tech.id]})", tech.id)
        ctx.tech_ids[tech.id] = tech_at.path
        technicians.append(tech)

    raw_jobs = _list(data["jobs"], at.child("jobs"), "jobs")
    job_ats = item_ats.get("jobs") or [
        dataclasses.replace(at.child("jobs").child(i), item=True) for i in range(len(raw_jobs))]
    jobs = []
    job_where: dict[str, str] = {}
    for raw, job_at in zip(raw_jobs, job_ats):
        job = _job(raw, job_at, ctx)
        if job.id in job_where:
            raise job_at.with_id(job.id).child("id").error(
                f"duplicate job id {job.id!r} (first at {job_where[job.id]})", job.id)
        if travel.model == "matrix" and job.id in ctx.tech_ids:
            raise job_at.with_id(job.id).child("id").error(
                f"job id {job.id!r} is also a technician id (the matrix model names locations by "
                f"these ids; give the locations distinct 'id's or rename one)", job.id)
        job_where[job.id] = job_at.path
        jobs.append(job)

    preemption: dict[str, str] = {}
    if data.get("preemption") is not None:
        pre_at = at.child("preemption")
        raw_pre = data["preemption"]
        if not isinstance(raw_pre, Mapping):
            raise pre_at.error(f"expected a mapping category -> policy, found {_show(raw_pre)}", raw_pre)
        for category, policy in raw_pre.items():
            cat_at = pre_at.key(category)
            _category(category, cat_at, sla)
            if policy not in PREEMPTION_POLICIES:
                raise cat_at.error(f"unknown preemption policy {policy!r} "
                                   f"(expected {' or '.join(PREEMPTION_POLICIES)})", policy)
            preemption[category] = policy

    return Problem(name=name, clock=clock, end_s=end_s, travel=travel, sla=sla, objective=objective,
                   technicians=tuple(technicians), jobs=tuple(jobs),
                   certificate_required=certificate_required, preemption=preemption,
                   source=problem_source)


def _travel(raw: object, at: _At, base_dir: Path | None) -> TravelSpec:
    if raw is None:
        return TravelSpec()
    raw = _mapping(raw, at, TRAVEL_KEYS)
    default = TravelSpec()
    model = raw.get("model", default.model)
    if model is None:
        model = default.model
    if model not in TRAVEL_MODELS:
        raise at.child("model").error(f"unknown travel model {model!r} "
                                      f"(expected one of: {', '.join(TRAVEL_MODELS)})", model)
    speed_kmh = _optional_number(raw, "speed_kmh", at, default.speed_kmh, above=0)
    circuity = _optional_number(raw, "circuity", at, default.circuity, minimum=1)
    speed_factor = _optional_number(raw, "speed_factor", at, default.speed_factor, above=0)
    dimacs = default.dimacs if raw.get("dimacs") is None else _bool(raw["dimacs"], at.child("dimacs"))
    closed: list[tuple[str, str]] = []
    if raw.get("closed_edges") is not None:
        ce_at = at.child("closed_edges")
        for i, edge in enumerate(_list(raw["closed_edges"], ce_at, "[u, v] pairs")):
            edge_at = ce_at.child(i)
            if not isinstance(edge, (list, tuple)) or len(edge) != 2:
                raise edge_at.error(f"expected a pair [u, v] of node ids, found {_show(edge)}", edge)
            closed.append((_ident(edge[0], edge_at.child(0), "a node id"),
                           _ident(edge[1], edge_at.child(1), "a node id")))
    files = {}
    for key in ("graph", "matrix"):
        value = raw.get(key)
        if value is None:
            if model == key:
                raise at.error(f"missing required key {key!r} (the {key} model reads it)")
            files[key] = None
            continue
        file_at = at.child(key)
        if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
            raise file_at.error(f"expected a file path, found {_show(value)}", value)
        path = Path(value)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        path = Path(os.path.normpath(path.absolute()))
        if model == key and not path.is_file():
            raise file_at.error(f"file not found: {str(value)!r} (looked for {path})", value)
        if model != key:
            log.warning("%s: travel.%s is given but the %s model does not read it", at.source, key, model)
        files[key] = str(path)
    if closed and model != "graph":
        log.warning("%s: travel.closed_edges is given but the %s model has no edges", at.source, model)
    if dimacs and model != "euclidean":
        log.warning("%s: travel.dimacs is set but only the euclidean model reads it", at.source)
    return TravelSpec(model=model, speed_kmh=speed_kmh, circuity=circuity, graph=files["graph"],
                      matrix=files["matrix"], speed_factor=speed_factor, closed_edges=tuple(closed),
                      dimacs=dimacs)


def _sla(raw: object, at: _At) -> dict[str, SlaLevel]:
    sla = dict(DEFAULT_SLA)
    if raw is None:
        return sla
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping category -> {{respond_minutes, weight}}, found {_show(raw)}", raw)
    for category, entry in raw.items():
        cat_at = at.key(category) if not isinstance(category, str) else at.child(category)
        _name(category, cat_at, "a category name")
        entry = _mapping(entry, cat_at, SLA_KEYS)
        respond = _optional_number(entry, "respond_minutes", cat_at, None, minimum=0)
        weight = _optional_number(entry, "weight", cat_at, None, minimum=0)
        working_days = _optional_number(entry, "working_days", cat_at, None, minimum=0, integer=True)
        base = DEFAULT_SLA.get(category)
        if base is None:
            if respond is None and working_days is None:
                raise cat_at.error(f"new category {category!r} needs respond_minutes or working_days")
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


def _objective(raw: object, at: _At) -> Objective:
    if raw is None:
        return Objective()
    raw = _mapping(raw, at, OBJECTIVE_KEYS)
    values = {key: _number(raw[key], at.child(key), minimum=0) for key in OBJECTIVE_KEYS
              if raw.get(key) is not None}
    return Objective(**values)


def _category(value: object, at: _At, sla: Mapping[str, SlaLevel]) -> str:
    _name(value, at, "a category")
    if value not in sla:
        raise at.error(f"unknown category {value!r} (known: {', '.join(sorted(sla))}; "
                       f"add it under 'sla:')", value)
    return value


def _skills(raw: object, at: _At) -> dict[str, int]:
    """skill -> level from a mapping, or from a plain list (level 1 each)."""
    if raw is None:
        return {}
    skills: dict[str, int] = {}
    if isinstance(raw, Mapping):
        for skill, level in raw.items():
            skill_at = at.key(skill)
            _name(skill, skill_at, "a skill name")
            skills[skill] = _number(level, skill_at, minimum=1, integer=True)
        return skills
    if isinstance(raw, (list, tuple)):
        for i, skill in enumerate(raw):
            _name(skill, at.child(i), "a skill name")
            if skill in skills:
                raise at.child(i).error(f"skill {skill!r} is listed twice", skill)
            skills[skill] = 1
        return skills
    raise at.error(f"expected a mapping skill -> level or a list of skills, found {_show(raw)}", raw)


def _location(raw: object, at: _At, model: str, default_id: str) -> Location:
    raw = _mapping(raw, at, LOCATION_KEYS, what="a location {lat, lon} | {x, y} | {node} | {id}")
    values: dict[str, Any] = {}
    for key, low, high in (("lat", -90, 90), ("lon", -180, 180), ("x", None, None), ("y", None, None)):
        if raw.get(key) is not None:
            values[key] = float(_number(raw[key], at.child(key), minimum=low, maximum=high))
    for a, b in (("lat", "lon"), ("x", "y")):
        if (a in values) != (b in values):
            have, lack = (a, b) if a in values else (b, a)
            raise at.error(f"has {have} but no {lack}: {_show(dict(raw))}", dict(raw))
    for key in ("node", "id"):
        if raw.get(key) is not None:
            values[key] = _ident(raw[key], at.child(key), f"a {key} id")
    if model == "matrix" and "id" not in values:
        values["id"] = default_id
    need = {"haversine": ("lat", "lon"), "euclidean": ("x", "y")}.get(model)
    if need and not all(k in values for k in need):
        raise at.error(f"the {model} travel model needs {need[0]} and {need[1]}, found {_show(dict(raw))}",
                       dict(raw))
    if model == "graph" and "node" not in values and "lat" not in values:
        raise at.error(f"the graph travel model needs node, or lat and lon, found {_show(dict(raw))}",
                       dict(raw))
    return Location(**values)


def _shifts(raw: object, at: _At, clock: Clock) -> tuple[Shift, ...]:
    if isinstance(raw, Mapping):
        items, ats = [raw], [at]
    elif isinstance(raw, (list, tuple)):
        items, ats = list(raw), [at.child(i) for i in range(len(raw))]
        if not items:
            raise at.error("expected at least one shift, found an empty list", raw)
    else:
        raise at.error(f"expected a shift {{start, end}} or a list of shifts, found {_show(raw)}", raw)
    shifts: list[Shift] = []
    previous_end: int | None = None
    for item, shift_at in zip(items, ats):
        item = _mapping(item, shift_at, SHIFT_KEYS, required=SHIFT_KEYS)
        start = _instant(item["start"], shift_at.child("start"), clock, not_before_s=previous_end)
        end = _instant(item["end"], shift_at.child("end"), clock, not_before_s=start)
        if end < start:
            raise shift_at.error(f"start {_raw(item['start'])} is after end {_raw(item['end'])}",
                                 item["start"])
        if end == start:
            raise shift_at.error(f"start {_raw(item['start'])} equals end {_raw(item['end'])}: the shift "
                                 f"is empty (write a 24-hour shift with full date-times)", item["end"])
        if previous_end is not None and start < previous_end:
            raise shift_at.error(f"start {_raw(item['start'])} overlaps the previous shift "
                                 f"(ending {clock.to_iso(previous_end)})", item["start"])
        shifts.append(Shift(start, end))
        previous_end = end
    return tuple(shifts)


def _breaks(raw: object, at: _At, clock: Clock, shifts: tuple[Shift, ...]) -> tuple[BreakRule, ...]:
    if raw is None:
        return ()
    first, last = shifts[0].start_s, shifts[-1].end_s
    rules = []
    for i, item in enumerate(_list(raw, at, "breaks {earliest, latest, minutes}")):
        b_at = at.child(i)
        item = _mapping(item, b_at, BREAK_KEYS, required=BREAK_KEYS)
        earliest = _instant(item["earliest"], b_at.child("earliest"), clock, not_before_s=first)
        latest = _instant(item["latest"], b_at.child("latest"), clock, not_before_s=first)
        minutes = _number(item["minutes"], b_at.child("minutes"), minimum=0)
        if earliest > latest:
            raise b_at.error(f"earliest {_raw(item['earliest'])} is after latest {_raw(item['latest'])}",
                             item["earliest"])
        duration_s = _minutes_to_s(minutes)
        if duration_s > last - first:
            raise b_at.child("minutes").error(
                f"a break of {minutes:g} minutes is longer than the shift ({clock.to_iso(first)} to "
                f"{clock.to_iso(last)}, {(last - first) / MINUTE:g} minutes)", minutes)
        if earliest < first or latest > last:
            raise b_at.error(f"earliest {_raw(item['earliest'])} to latest {_raw(item['latest'])} lies "
                             f"outside the shift ({clock.to_iso(first)} to {clock.to_iso(last)})",
                             item["earliest"])
        rules.append(BreakRule(earliest, latest, duration_s))
    return tuple(rules)


def _item_id(raw: object, at: _At, what: str) -> tuple[str, _At]:
    """The id of a technician or job, read first so that every later message names it."""
    if not isinstance(raw, Mapping):
        raise at.error(f"expected {what}, found {_show(raw)}", raw)
    if raw.get("id") is None:
        raise at.error("missing required key 'id'")
    item_id = _ident(raw["id"], at.child("id"))
    return item_id, at.with_id(item_id)


def _technician(raw: object, at: _At, ctx: _Context) -> Technician:
    tech_id, at = _item_id(raw, at, "a technician mapping")
    raw = _mapping(raw, at, TECH_KEYS, required=("id", "shift", "start"))
    skills = _skills(raw.get("skills"), at.child("skills"))
    certificates: dict[str, dt.date] = {}
    if raw.get("certificates") is not None:
        cert_at = at.child("certificates")
        if not isinstance(raw["certificates"], Mapping):
            raise cert_at.error(f"expected a mapping skill -> expiry date, found {_show(raw['certificates'])}",
                                raw["certificates"])
        for skill, expiry in raw["certificates"].items():
            _name(skill, cert_at.key(skill), "a skill name")
            certificates[skill] = _date(expiry, cert_at.key(skill))
    shifts = _shifts(raw["shift"], at.child("shift"), ctx.clock)
    breaks = _breaks(raw.get("breaks"), at.child("breaks"), ctx.clock, shifts)
    start = _location(raw["start"], at.child("start"), ctx.model, tech_id)
    end = start if raw.get("end") is None else _location(raw["end"], at.child("end"), ctx.model, tech_id)
    max_jobs = _optional_number(raw, "max_jobs", at, None, minimum=0, integer=True)
    max_work = _optional_number(raw, "max_work_minutes", at, None, minimum=0)
    capacity = _optional_number(raw, "capacity", at, 0, minimum=0, integer=True)
    overtime = _optional_number(raw, "max_overtime_minutes", at, 0, minimum=0)
    trainee = False if raw.get("trainee") is None else _bool(raw["trainee"], at.child("trainee"))
    return Technician(id=tech_id, skills=skills, shifts=shifts, start=start, end=end,
                      certificates=certificates, breaks=breaks, max_jobs=max_jobs,
                      max_work_s=None if max_work is None else _minutes_to_s(max_work),
                      capacity=capacity, trainee=trainee, max_overtime_s=_minutes_to_s(overtime))


def _job(raw: object, at: _At, ctx: _Context) -> Job:
    job_id, at = _item_id(raw, at, "a job mapping")
    raw = _mapping(raw, at, JOB_KEYS, required=("id", "location", "duration_minutes"))
    clock = ctx.clock
    location = _location(raw["location"], at.child("location"), ctx.model, job_id)
    category = DEFAULT_CATEGORY if raw.get("category") is None else _category(
        raw["category"], at.child("category"), ctx.sla)
    skills = _skills(raw.get("skills"), at.child("skills"))
    duration = _number(raw["duration_minutes"], at.child("duration_minutes"), minimum=0)
    received_s = 0 if raw.get("received_at") is None else _instant(
        raw["received_at"], at.child("received_at"), clock)

    window = None
    if raw.get("window") is not None:
        w_at = at.child("window")
        w_raw = _mapping(raw["window"], w_at, WINDOW_KEYS, required=WINDOW_KEYS)
        w_start = _instant(w_raw["start"], w_at.child("start"), clock)
        w_end = _instant(w_raw["end"], w_at.child("end"), clock)
        if w_start > w_end:
            raise w_at.error(f"start {_raw(w_raw['start'])} is after end {_raw(w_raw['end'])}", w_raw["start"])
        if w_start == w_end:
            raise w_at.error(f"start {_raw(w_raw['start'])} equals end {_raw(w_raw['end'])}: the window is empty",
                             w_raw["start"])
        window = Window(w_start, w_end)

    level = ctx.sla[category]
    if raw.get("due") is not None:
        due_s = _instant(raw["due"], at.child("due"), clock)
        if due_s < received_s:
            raise at.child("due").error(
                f"due {_raw(raw['due'])} is before received_at {clock.to_iso(received_s)}", raw["due"])
    elif level.working_days is not None:
        due_s = _working_days_later(clock, received_s, level.working_days)
    else:
        due_s = received_s + _minutes_to_s(level.respond_minutes)

    crew_size = _optional_number(raw, "crew_size", at, 1, minimum=1, integer=True)
    if crew_size > len(ctx.tech_ids):
        raise at.child("crew_size").error(
            f"crew_size {crew_size} is more than the {len(ctx.tech_ids)} technicians of the scenario",
            crew_size)
    demand = _optional_number(raw, "demand", at, 0, minimum=0, integer=True)

    pinned: list[str] = []
    if raw.get("pinned_to") is not None:
        pin_at = at.child("pinned_to")
        value = raw["pinned_to"]
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        for i, item in enumerate(items):
            item_at = pin_at.child(i) if isinstance(value, (list, tuple)) else pin_at
            tech_id = _ident(item, item_at, "a technician id")
            if tech_id not in ctx.tech_ids:
                raise item_at.error(f"pinned to unknown technician {tech_id!r}", tech_id)
            if tech_id in pinned:
                raise item_at.error(f"technician {tech_id!r} is pinned twice", tech_id)
            pinned.append(tech_id)
        if len(pinned) > crew_size:
            raise pin_at.error(f"{len(pinned)} technicians {pinned} pinned to a job of crew_size {crew_size}",
                               value)
    dispatchable = True if raw.get("dispatchable") is None else _bool(
        raw["dispatchable"], at.child("dispatchable"))
    return Job(id=job_id, location=location, category=category, skills=skills,
               duration_s=_minutes_to_s(duration), received_s=received_s, due_s=due_s, window=window,
               crew_size=crew_size, demand=demand, pinned_to=tuple(pinned), dispatchable=dispatchable)


# -- files ------------------------------------------------------------------------------------------
class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader without base-60 numbers, octal ints and timestamps; repeated keys are errors."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:
                    continue
                if repeated:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found the key {key!r} twice", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[0-1_]+)$")
_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X)
_DROPPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"found the key {key!r} twice in one object")
        result[key] = value
    return result


def _read_mapping(path: Path) -> Mapping[str, Any]:
    """The top-level mapping of a YAML or JSON file (by suffix)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}", source=str(path)) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                                f"column {exc.colno}", source=str(path)) from None
        except ValueError as exc:
            raise ScenarioError(f"{path}: not valid JSON: {exc}", source=str(path)) from None
    else:
        try:
            data = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            what = " ".join(str(exc.problem or exc.context or "syntax error").split())
            raise ScenarioError(f"{path}: not valid YAML: {what}{where}", source=str(path)) from None
        except yaml.YAMLError as exc:
            what = " ".join(str(exc).split())
            raise ScenarioError(f"{path}: not valid YAML: {what}", source=str(path)) from None
    if data is None:
        raise ScenarioError(f"{path}: the file is empty (expected a mapping of scenario keys)",
                            source=str(path))
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path}: expected a mapping of scenario keys at the top, found "
                            f"{_show(data)[:80]}", source=str(path), value=data)
    return data


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
        raise ScenarioError(f"{path}: unknown scenario format {suffix or path.name!r} (expected .yaml, "
                            f".yml, .json, or a directory with scenario.yaml, technicians.csv and "
                            f"jobs.csv)", source=str(path))
    if path.stem.lower() == "scenario" and any((path.parent / name).is_file() for name in _TABLES):
        return _load_tables(path.parent, path, problem_source=str(path))
    data = _read_mapping(path)
    return _build(data, _At(str(path)), base_dir=path.parent, problem_source=str(path))


# -- the table form ---------------------------------------------------------------------------------
_NUM, _TEXT, _BOOL, _SKILLS, _CERTS, _BREAKS, _LIST = "num", "text", "bool", "skills", "certs", "breaks", "list"
_LOCATION_COLUMNS = {"lat": _NUM, "lon": _NUM, "x": _NUM, "y": _NUM, "node": _TEXT, "id": _TEXT}
TECH_COLUMNS: dict[str, str] = {
    "id": _TEXT, "skills": _SKILLS, "certificates": _CERTS, "shift_start": _LIST, "shift_end": _LIST,
    "breaks": _BREAKS,
    **{f"start_{k}": kind for k, kind in _LOCATION_COLUMNS.items()},
    **{f"end_{k}": kind for k, kind in _LOCATION_COLUMNS.items()},
    "max_jobs": _NUM, "max_work_minutes": _NUM, "capacity": _NUM, "trainee": _BOOL,
    "max_overtime_minutes": _NUM,
}
JOB_COLUMNS: dict[str, str] = {
    "id": _TEXT, "category": _TEXT, "skills": _SKILLS, "duration_minutes": _NUM, "received_at": _TEXT,
    "due": _TEXT, "window_start": _TEXT, "window_end": _TEXT, "crew_size": _NUM, "demand": _NUM,
    "pinned_to": _LIST, "dispatchable": _BOOL,
    **{f"location_{k}": kind for k, kind in _LOCATION_COLUMNS.items()},
}
_TABLES = {"technicians.csv": ("technicians", TECH_COLUMNS), "jobs.csv": ("jobs", JOB_COLUMNS)}
_TIME_PART = r"(?:\d{4}-\d{2}-\d{2}[T ])?\d{1,2}:\d{2}(?::\d{2})?"
_BREAK_CELL = re.compile(rf"^\s*({_TIME_PART})\s*-\s*({_TIME_PART})\s*/\s*([^/]+?)\s*$")


def _load_tables(folder: Path, scenario_file: Path, *, problem_source: str) -> Problem:
    data = dict(_read_mapping(scenario_file))
    item_ats: dict[str, list[_At]] = {}
    for file_name, (key, columns) in _TABLES.items():
        csv_path = folder / file_name
        if csv_path.is_file():
            if key in data:
                raise ScenarioError(f"{scenario_file}: {key}: given both here and in {csv_path} "
                                    f"(keep one)", source=str(scenario_file), field=key)
            data[key], item_ats[key] = _read_table(csv_path, columns)
        elif key not in data:
            raise ScenarioError(f"{csv_path}: file not found (the table form needs {file_name} "
                                f"beside {scenario_file.name}, or '{key}:' in it)", source=str(csv_path))
    return _build(data, _At(str(scenario_file)), base_dir=folder, problem_source=problem_source,
                  item_ats=item_ats)


def _read_table(path: Path, columns: Mapping[str, str]) -> tuple[list[dict], list[_At]]:
    """Rows of a CSV table as nested scenario mappings, with the place of each row."""
    rows: list[dict] = []
    ats: list[_At] = []
    source = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ScenarioError(f"{path}: the file is empty (expected a header row with columns "
                                    f"{', '.join(columns)})", source=source)
            header = [name.strip() for name in header]
            for name in header:
                if name not in columns:
                    close = difflib.get_close_matches(name, list(columns), n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"expected: {', '.join(columns)}"
                    raise ScenarioError(f"{path}: row 1: unknown column {name!r} ({hint})",
                                        source=source, field=name, value=name)
                if header.count(name) > 1:
                    raise ScenarioError(f"{path}: row 1: column {name!r} appears twice", source=source,
                                        field=name, value=name)
            while True:
                first_line = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                if not any(cell.strip() for cell in cells):
                    continue
                at = _At(source, f"row {first_line}", item=True, flat=True)
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    raise at.error(f"{len(cells)} cells but {len(header)} columns", cells)
                values = {name: cell.strip() for name, cell in zip(header, cells) if cell.strip()}
                row_at = at.with_id(values["id"]) if "id" in values else at
                rows.append(_nest_row(values, columns, row_at))
                ats.append(at)
    except csv.Error as exc:
        raise ScenarioError(f"{path}: row {reader.line_num}: not valid CSV: {exc}", source=source) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}", source=source) from None
    return rows, ats


def _cell_number(text: str) -> int | float | str:
    """A numeric cell as a number; anything else stays text (the validator names it)."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _cell_bool(text: str) -> bool | str:
    lowered = text.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    return text


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _nest_row(values: Mapping[str, str], columns: Mapping[str, str], at: _At) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, text in values.items():
        kind = columns[name]
        col_at = at.child(name)
        if kind == _NUM:
            value: Any = _cell_number(text)
        elif kind == _BOOL:
            value = _cell_bool(text)
        elif kind == _SKILLS:
            value = {}
            for part in _split(text):
                skill, sep, level = part.partition(":")
                skill = skill.strip()
                if skill in value:
                    raise col_at.error(f"skill {skill!r} is listed twice in {text!r}", text)
                value[skill] = _cell_number(level.strip()) if sep else 1
        elif kind == _CERTS:
            value = {}
            for part in _split(text):
                skill, sep, expiry = part.partition(":")
                if not sep:
                    raise col_at.error(f"expected skill:YYYY-MM-DD entries separated by ';', found {part!r}",
                                       text)
                value[skill.strip()] = expiry.strip()
        elif kind == _BREAKS:
            value = []
            for part in _split(text):
                match = _BREAK_CELL.match(part)
                if not match:
                    raise col_at.error(f"expected earliest-latest/minutes like 12:00-13:00/60, found {part!r}",
                                       text)
                value.append({"earliest": match.group(1), "latest": match.group(2),
                              "minutes": _cell_number(match.group(3))})
        elif kind == _LIST:
            value = _split(text)
        else:
            value = text
        prefix, _, sub = name.partition("_")
        if prefix in ("start", "end", "location") and sub in _LOCATION_COLUMNS:
            row.setdefault(prefix, {})[sub] = value
        elif prefix == "window":
            row.setdefault("window", {})[sub] = value
        elif name == "pinned_to":
            row[name] = value[0] if len(value) == 1 else value
        elif name not in ("shift_start", "shift_end"):
            row[name] = value
    starts = _split(values.get("shift_start", ""))
    ends = _split(values.get("shift_end", ""))
    if starts or ends:
        if len(starts) != len(ends) and max(len(starts), len(ends)) > 1:
            raise at.child("shift").error(
                f"{len(starts)} shift_start times but {len(ends)} shift_end times", values.get("shift_start"))
        if len(starts) <= 1 and len(ends) <= 1:
            shift = {}
            if starts:
                shift["start"] = starts[0]
            if ends:
                shift["end"] = ends[0]
            row["shift"] = shift
        else:
            row["shift"] = [{"start": s, "end": e} for s, e in zip(starts, ends)]
    return row
