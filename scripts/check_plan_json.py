#!/usr/bin/env python3
"""Independent plan checker: re-check a plan (JSON, contract v1) against its scenario file.

    python scripts/check_plan_json.py SCENARIO.yaml PLAN.json
    python scripts/check_plan_json.py scenarios/tables PLAN.json      # the table form

This script deliberately imports NOTHING from ``dispatchopt``: it reads the raw contract files
(``../shared/FORMATS.md``, the project's extension keys) with yaml / json / csv and re-derives
every hard rule itself, so a bug shared by the solvers and the library verifier cannot hide.
Exit 0 printing ``OK <n> visits``; exit 1 listing the violations; exit 2 when a file cannot
be read.

Rules checked
-------------
* every job of the scenario exactly once: planned or in ``unassigned`` (not both, not twice);
  no unknown job or technician; a technician has at most one route;
* crew jobs: exactly ``crew_size`` visits on distinct technicians, all with the same start;
  a single job: exactly one visit;
* skills and levels: at least one member may lead (not a trainee, every skill at the level, a
  valid certificate); the others may lead, or are trainees holding every skill at any level
  with valid certificates; a trainee never works a crew_size 1 job;
* certificates: a listed certificate must not expire before the plan day (local date of
  ``start``); trades in ``certificate_required`` (default electrical, gas) need one listed;
* ``dispatchable: false`` never planned; ``pinned_to`` (id or list) all in the crew;
* times: ``arrival <= start``, ``end = start + duration``, ``start >= received_at``, inside the
  window if any; ``late_minutes = max(0, start - due)`` (due default: received_at +
  respond_minutes, or the same clock time ``working_days`` Mon-Fri days later);
* shifts: "HH:MM" on the plan day (an end before its start is on the next day; in a list each
  time is at or after the previous shift's end; date-times also accepted); every service
  interval inside one shift (the last one extended by ``max_overtime_minutes``); the route
  departs at/after the first shift start and returns by the last shift end + overtime; the
  travel of each leg fits in the shift time of its gap (breaks excluded);
* consecutive events: ``start[i+1] >= end[i] + travel + breaks taken in that gap``, the
  arrival not before ``end[i] + travel``; the return likewise;
* sent before received: unless the scenario says ``anticipate_jobs: true`` (default false), no
  trip towards a job starts before its ``received_at``: the arrival is not before received +
  travel, the travel fits in the shift time between received and the start, and a visit's
  ``sent_at`` (optional) is not before received; ``sent_at`` is never before the previous end (or
  the departure), and ``sent_at`` + travel is not after the arrival;
* breaks: clock times at or after the first shift start; owed when the last visit ends after
  ``latest``; an owed break is listed, starts in [earliest, latest] and lasts at least its
  minutes; every listed break (owed or not) matches a rule that way, unless it lies wholly
  outside the technician's shifts; no break overlaps a service interval or another break;
* travel recomputed: haversine = great-circle km (R = 6371.009 km) x circuity / (speed_kmh x
  speed_factor); euclidean = distance / (speed_kmh x speed_factor) minutes (x, y in km,
  ``dimacs`` truncates to 0.1); graph = time-shortest path over the GraphML (``minutes`` or
  ``length`` m at ``speed_kmh``), closed edges removed, lat/lon snapped to the nearest node;
  matrix = the CSV. Reported ``travel_minutes`` must match within 1.5 min and every timing
  check allows 1.5 min for travel; ``distance_km`` is checked for haversine and euclidean;
* limits: ``max_jobs`` visits, ``max_work_minutes`` (travel incl. return + service),
  ``capacity`` (sum of demand; 0 = unlimited).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

TRAVEL_TOL_S = 90.0           # 1.5 min on anything computed from travel
LATE_TOL_MIN = 0.05           # late_minutes is rounded to 0.01 in the plan
EARTH_RADIUS_KM = 6371.009
DAY_S = 86400

DEFAULT_SLA = {                # mirror of the contract defaults (domain/sla.py, DOMAIN.md)
    "emergency": {"respond_minutes": 30, "working_days": None},
    "major_leak": {"respond_minutes": 30, "working_days": None},
    "road_repair": {"respond_minutes": 30, "working_days": None},
    "urgent": {"respond_minutes": 180, "working_days": None},
    "drainage": {"respond_minutes": 180, "working_days": None},
    "drain_clearing": {"respond_minutes": 180, "working_days": None},
    "small_repair": {"respond_minutes": 1440, "working_days": None},
    "standard": {"respond_minutes": 1440, "working_days": None},
    "meter_change": {"respond_minutes": 1440, "working_days": None},
    "installation": {"respond_minutes": 2880, "working_days": None},
    "survey": {"respond_minutes": 2880, "working_days": 2},
}
DEFAULT_CERTIFICATE_REQUIRED = ("electrical", "gas")


class InputError(Exception):
    """A file the checker cannot read (exit 2)."""


# ------------------------------------------------------------------------------------------
# reading the scenario
# ------------------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """YAML 1.1 without base-60 numbers, octal or timestamps: 12:00 and dates stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"),
                              list("-+0123456789"))


def _read_structured(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=_Loader)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot parse: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    return data


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
                for row in csv.DictReader(handle)]


def _pairs(text: str) -> dict[str, str]:
    """``plumbing:2;electrical:1`` -> {plumbing: "2", electrical: "1"}; a bare name -> "1"."""
    out = {}
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        key, _, value = part.partition(":")
        out[key.strip()] = value.strip() or "1"
    return out


def _truthy(text) -> bool:
    return str(text).strip().lower() in ("1", "true", "yes", "y", "t")


def _tech_from_row(row: dict) -> dict:
    tech: dict = {"id": row["id"]}
    get = lambda key: row.get(key) not in (None, "")  # noqa: E731
    if get("skills"):
        tech["skills"] = {k: int(v) for k, v in _pairs(row["skills"]).items()}
    if get("certificates"):
        tech["certificates"] = _pairs(row["certificates"])
    if get("shift_start"):
        starts = row["shift_start"].split(";")
        ends = row["shift_end"].split(";")
        shifts = [{"start": s.strip(), "end": e.strip()} for s, e in zip(starts, ends)]
        tech["shift"] = shifts if len(shifts) > 1 else shifts[0]
    if get("breaks"):
        breaks = []
        for part in row["breaks"].split(";"):
            span, _, minutes = part.strip().partition("/")
            earliest, _, latest = span.partition("-")
            breaks.append({"earliest": earliest.strip(), "latest": latest.strip(), "minutes": float(minutes)})
        tech["breaks"] = breaks
    for end in ("start", "end"):
        loc = {k: row[f"{end}_{k}"] for k in ("lat", "lon", "x", "y", "node", "id") if get(f"{end}_{k}")}
        if loc:
            tech[end] = loc
    for key in ("max_jobs", "max_work_minutes", "capacity", "max_overtime_minutes"):
        if get(key):
            tech[key] = float(row[key])
    if get("trainee"):
        tech["trainee"] = _truthy(row["trainee"])
    return tech


def _job_from_row(row: dict) -> dict:
    job: dict = {"id": row["id"]}
    get = lambda key: row.get(key) not in (None, "")  # noqa: E731
    loc = {k: row[f"location_{k}"] for k in ("lat", "lon", "x", "y", "node", "id") if get(f"location_{k}")}
    if loc:
        job["location"] = loc
    for key in ("category", "received_at", "due"):
        if get(key):
            job[key] = row[key]
    if get("skills"):
        job["skills"] = {k: int(v) for k, v in _pairs(row["skills"]).items()}
    if get("duration_minutes"):
        job["duration_minutes"] = float(row["duration_minutes"])
    if get("window_start") or get("window_end"):
        job["window"] = {"start": row.get("window_start"), "end": row.get("window_end")}
    for key in ("crew_size", "demand"):
        if get(key):
            job[key] = int(float(row[key]))
    if get("pinned_to"):
        job["pinned_to"] = [p.strip() for p in row["pinned_to"].split(";") if p.strip()]
    if get("dispatchable"):
        job["dispatchable"] = _truthy(row["dispatchable"])
    return job


def read_scenario(path: Path) -> tuple[dict, Path]:
    """The scenario dict (YAML/JSON, or scenario.yaml + technicians.csv + jobs.csv) and its folder."""
    if path.is_dir():
        path = path / "scenario.yaml"
    data = _read_structured(path)
    base = path.parent
    for key, name, convert in (("technicians", "technicians.csv", _tech_from_row),
                               ("jobs", "jobs.csv", _job_from_row)):
        if key not in data and (base / name).is_file():
            try:
                data[key] = [convert(row) for row in _csv_rows(base / name)]
            except (KeyError, ValueError) as exc:
                raise InputError(f"{base / name}: cannot read row: {exc!r}") from None
    for key in ("technicians", "jobs"):
        if not isinstance(data.get(key), list):
            raise InputError(f"{path}: no '{key}' list (nor {key}.csv beside it)")
    return data, base


# ------------------------------------------------------------------------------------------
# time
# ------------------------------------------------------------------------------------------
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


class Clock:
    def __init__(self, start, timezone: str):
        self.tz = ZoneInfo(timezone)
        self.origin = self._aware(self._parse(start))
        self.plan_day = self.origin.astimezone(self.tz).date()

    @staticmethod
    def _parse(value) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(0, 0))
        return dt.datetime.fromisoformat(str(value).strip())

    def _aware(self, when: dt.datetime) -> dt.datetime:
        return when.replace(tzinfo=self.tz) if when.tzinfo is None else when

    def secs(self, value) -> int:
        """Seconds from the origin of a date-time (naive = local)."""
        when = self._aware(self._parse(value))
        return int(round((when - self.origin).total_seconds()))

    def clock(self, value, not_before: int | None = None) -> int:
        """Seconds of "HH:MM" on the plan day (or of a full date-time), rolled forward by
        whole days until it is at or after ``not_before``."""
        text = str(value).strip()
        match = _HHMM.match(text)
        if not match:
            return self.secs(text)
        base = dt.datetime.combine(self.plan_day, dt.time(0, 0), tzinfo=self.tz)
        when = base + dt.timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))
        seconds = int(round((when - self.origin).total_seconds()))
        while not_before is not None and seconds < not_before:
            seconds += DAY_S
        return seconds

    def iso(self, seconds: float) -> str:
        return (self.origin + dt.timedelta(seconds=seconds)).astimezone(self.tz).strftime("%Y-%m-%dT%H:%M:%S")

    def add_working_days(self, seconds: int, days: int) -> int:
        """Same local clock time ``days`` Monday-Friday days after the moment ``seconds``."""
        local = (self.origin + dt.timedelta(seconds=seconds)).astimezone(self.tz)
        day, count = local.date(), 0
        while count < days:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                count += 1
        when = dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=self.tz)
        return int(round((when - self.origin).total_seconds()))


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


# ------------------------------------------------------------------------------------------
# travel
# ------------------------------------------------------------------------------------------
def _great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """geopy's great_circle formula (atan2 form) on a sphere of radius 6371.009 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sqrt((math.cos(p2) * math.sin(dl)) ** 2
                  + (math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)) ** 2)
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.atan2(y, x)


class Travel:
    """Travel minutes and km between raw location dicts, per the scenario's travel model."""

    def __init__(self, spec: dict, base: Path):
        self.model = spec.get("model", "haversine")
        self.speed = float(spec.get("speed_kmh", 25.0) if spec.get("speed_kmh") is not None else 25.0)
        self.circuity = float(spec.get("circuity", 1.3) if spec.get("circuity") is not None else 1.3)
        self.factor = float(spec.get("speed_factor", 1.0) if spec.get("speed_factor") is not None else 1.0)
        self.dimacs = bool(spec.get("dimacs", False))
        self.checks_distance = self.model in ("haversine", "euclidean")
        self._cache: dict = {}
        if self.model == "graph":
            self._init_graph(base / str(spec["graph"]), spec.get("closed_edges") or [])
        elif self.model == "matrix":
            self._init_matrix(base / str(spec["matrix"]))
        elif self.model not in ("haversine", "euclidean"):
            raise InputError(f"travel.model: unknown model {self.model!r}")

    # -- graph --------------------------------------------------------------------------
    def _init_graph(self, path: Path, closed: list) -> None:
        import networkx as nx

        if not path.is_file():
            raise InputError(f"travel.graph: {path} not found")
        graph = nx.read_graphml(path)
        graph = nx.relabel_nodes(graph, {n: str(n) for n in graph.nodes})
        directed = graph.is_directed()
        for pair in closed:
            a, b = str(pair[0]), str(pair[1])
            if not graph.has_edge(a, b):
                raise InputError(f"travel.closed_edges: no edge {a!r} - {b!r} in {path}")
            while graph.has_edge(a, b):
                graph.remove_edge(a, b)
        simple = nx.DiGraph()
        simple.add_nodes_from(graph.nodes(data=True))
        for u, v, data in graph.edges(data=True):
            if u == v:
                continue
            length = float(data["length"]) if data.get("length") is not None else 0.0
            if data.get("minutes") is not None:
                seconds = float(data["minutes"]) * 60.0 / self.factor
            else:
                speed = float(data["speed_kmh"]) if data.get("speed_kmh") is not None else self.speed
                seconds = length / 1000.0 / (speed * self.factor) * 3600.0
            for a, b in ((u, v),) if directed else ((u, v), (v, u)):
                old = simple.get_edge_data(a, b)
                if old is None or seconds < old["s"]:
                    simple.add_edge(a, b, s=seconds, m=length)
        self.graph = simple
        self.nodes = []
        for node, data in graph.nodes(data=True):
            lat = data.get("lat", data.get("y"))
            lon = data.get("lon", data.get("x"))
            if lat is not None and lon is not None:
                self.nodes.append((node, float(lat), float(lon)))
        self._snap: dict = {}
        self._paths: dict = {}

    def _node(self, loc: dict) -> str:
        if loc.get("node") is not None:
            return str(loc["node"])
        key = (float(loc["lat"]), float(loc["lon"]))
        if key not in self._snap:
            self._snap[key] = min(self.nodes, key=lambda n: _great_circle_km(key[0], key[1], n[1], n[2]))[0]
        return self._snap[key]

    def _graph_leg(self, a: dict, b: dict) -> tuple[float, float]:
        import networkx as nx

        u, v = self._node(a), self._node(b)
        if u == v:
            return 0.0, 0.0
        if u not in self._paths:
            self._paths[u] = nx.single_source_dijkstra(self.graph, u, weight="s")
        dist, paths = self._paths[u]
        if v not in dist:
            return math.inf, math.inf
        path = paths[v]
        metres = sum(self.graph[p][q]["m"] for p, q in zip(path, path[1:]))
        return dist[v] / 60.0, metres / 1000.0

    # -- matrix -------------------------------------------------------------------------
    def _init_matrix(self, path: Path) -> None:
        if not path.is_file():
            raise InputError(f"travel.matrix: {path} not found")
        self.table = {}
        for row in _csv_rows(path):
            km = float(row["km"]) if row.get("km") not in (None, "") else 0.0
            self.table[(row["from"], row["to"])] = (float(row["minutes"]) / self.factor, km)

    # -- any model ----------------------------------------------------------------------
    def leg(self, a: dict, b: dict) -> tuple[float, float]:
        """(minutes, km) from location ``a`` to ``b``."""
        key = (tuple(sorted(a.items())), tuple(sorted(b.items())))
        if key in self._cache:
            return self._cache[key]
        if self.model == "haversine":
            km = _great_circle_km(float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"])) * self.circuity
            result = (km / (self.speed * self.factor) * 60.0, km)
        elif self.model == "euclidean":
            dist = math.hypot(float(a["x"]) - float(b["x"]), float(a["y"]) - float(b["y"]))
            if self.dimacs:
                dist = math.floor(dist * 10 + 1e-9) / 10
            result = (dist / (self.speed * self.factor), dist)
        elif self.model == "graph":
            result = self._graph_leg(a, b)
        else:
            ia, ib = str(a["id"]), str(b["id"])
            if ia == ib:
                result = (0.0, 0.0)
            elif (ia, ib) in self.table:
                result = self.table[(ia, ib)]
            else:
                result = (math.inf, math.inf)
        self._cache[key] = result
        return result


# ------------------------------------------------------------------------------------------
# the checker
# ------------------------------------------------------------------------------------------
def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


class Checker:
    def __init__(self, scenario: dict, base: Path, plan: dict):
        self.sc, self.plan = scenario, plan
        self.violations: list[str] = []
        self.notes: list[str] = []
        self.clock = Clock(scenario["start"], scenario.get("timezone") or "UTC")
        self.travel = Travel(scenario.get("travel") or {}, base)
        self.cert_required = set(scenario["certificate_required"]) if scenario.get(
            "certificate_required") is not None else set(DEFAULT_CERTIFICATE_REQUIRED)
        self.sla = {k: dict(v) for k, v in DEFAULT_SLA.items()}
        for cat, level in (scenario.get("sla") or {}).items():
            merged = dict(self.sla.get(cat, {"respond_minutes": None, "working_days": None}))
            level = level or {}
            if "respond_minutes" in level and "working_days" not in level:
                merged["working_days"] = None
            merged.update({k: v for k, v in level.items() if k in ("respond_minutes", "working_days")})
            self.sla[cat] = merged
        self.anticipate = scenario.get("anticipate_jobs") is True
        self.techs = {str(t["id"]): self._tech(t) for t in scenario["technicians"]}
        self.jobs = {str(j["id"]): self._job(j) for j in scenario["jobs"]}

    def bad(self, message: str) -> None:
        self.violations.append(message)

    # -- scenario items -----------------------------------------------------------------
    def _tech(self, raw: dict) -> dict:
        shifts_raw = raw.get("shift") or {"start": "00:00", "end": "24:00"}
        if isinstance(shifts_raw, dict):
            shifts_raw = [shifts_raw]
        shifts, prev_end = [], None
        for s in shifts_raw:
            start = self.clock.clock(s["start"], prev_end)
            end = self.clock.clock(s["end"], start)
            if end <= start:
                end += DAY_S
            shifts.append([start, end])
            prev_end = end
        overtime = float(raw.get("max_overtime_minutes") or 0) * 60
        if shifts:
            shifts[-1][1] += overtime
        first = shifts[0][0]
        breaks = []
        for b in raw.get("breaks") or []:
            earliest = self.clock.clock(b["earliest"], first)
            latest = self.clock.clock(b["latest"], first)
            breaks.append((earliest, latest, float(b["minutes"]) * 60))
        skills = raw.get("skills") or {}
        if isinstance(skills, list):
            skills = {s: 1 for s in skills}
        certs = {k: _as_date(v) for k, v in (raw.get("certificates") or {}).items()}
        start = raw.get("start") or {}
        end = raw.get("end") or start
        if self.travel.model == "matrix":
            start = {**start, "id": start.get("id", str(raw["id"]))}
            end = {**end, "id": end.get("id", str(raw["id"]))}
        limit = lambda key: None if raw.get(key) is None else float(raw[key])  # noqa: E731
        return {"id": str(raw["id"]), "skills": {k: int(v) for k, v in skills.items()}, "certs": certs,
                "shifts": shifts, "breaks": breaks, "start": start, "end": end,
                "max_jobs": limit("max_jobs"), "max_work": limit("max_work_minutes"),
                "capacity": float(raw.get("capacity") or 0), "trainee": bool(raw.get("trainee", False))}

    def _job(self, raw: dict) -> dict:
        category = raw.get("category") or "standard"
        received = self.clock.secs(raw["received_at"]) if raw.get("received_at") else 0
        if raw.get("due"):
            due = self.clock.secs(raw["due"])
        else:
            level = self.sla.get(category)
            if level is None:
                raise InputError(f"jobs (id {raw['id']!r}): category {category!r} has no SLA")
            if level.get("working_days"):
                due = self.clock.add_working_days(received, int(level["working_days"]))
            else:
                due = received + int(round(float(level["respond_minutes"]) * 60))
        window = raw.get("window")
        if window:
            window = (self.clock.secs(window["start"]), self.clock.secs(window["end"]))
        pins = raw.get("pinned_to") or []
        if isinstance(pins, str):
            pins = [pins]
        skills = raw.get("skills") or {}
        if isinstance(skills, list):
            skills = {s: 1 for s in skills}
        location = dict(raw.get("location") or {})
        if self.travel.model == "matrix":
            location.setdefault("id", str(raw["id"]))
        return {"id": str(raw["id"]), "category": category, "skills": {k: int(v) for k, v in skills.items()},
                "duration": int(round(float(raw["duration_minutes"]) * 60)), "received": received,
                "due": due, "window": window, "crew": int(raw.get("crew_size") or 1),
                "demand": float(raw.get("demand") or 0), "pins": [str(p) for p in pins],
                "dispatchable": raw.get("dispatchable", True) is not False, "location": location}

    # -- rules --------------------------------------------------------------------------
    def cert_ok(self, tech: dict, skill: str) -> bool:
        expiry = tech["certs"].get(skill)
        if expiry is None:
            return skill not in self.cert_required
        return expiry >= self.clock.plan_day

    def can_lead(self, tech: dict, job: dict) -> bool:
        return not tech["trainee"] and all(tech["skills"].get(s, 0) >= lvl and self.cert_ok(tech, s)
                                           for s, lvl in job["skills"].items())

    def can_assist(self, tech: dict, job: dict) -> bool:
        if job["crew"] < 2:
            return False
        if not tech["trainee"]:
            return self.can_lead(tech, job)
        return all(tech["skills"].get(s, 0) >= 1 and self.cert_ok(tech, s) for s in job["skills"])

    def why_not(self, tech: dict, job: dict) -> str:
        for skill, level in sorted(job["skills"].items()):
            have = tech["skills"].get(skill, 0)
            if have < level:
                return f"{skill} level {have} < {level}"
            if not self.cert_ok(tech, skill):
                expiry = tech["certs"].get(skill)
                return (f"{skill} certificate expired {expiry}" if expiry else f"no {skill} certificate")
        return "trainee" if tech["trainee"] else "?"

    # -- the checks -----------------------------------------------------------------------
    def run(self) -> int:
        visits_of: dict[str, list[tuple[str, dict]]] = {}
        seen_routes: set[str] = set()
        n_visits = 0
        for r_i, route in enumerate(self.plan.get("routes") or []):
            tid = str(route.get("technician"))
            if tid not in self.techs:
                self.bad(f"routes[{r_i}]: unknown technician {tid!r}")
                continue
            if tid in seen_routes:
                self.bad(f"technician {tid}: has more than one route")
            seen_routes.add(tid)
            parsed = self.check_route(tid, route)
            for visit in parsed:
                visits_of.setdefault(visit["job"], []).append((tid, visit))
                n_visits += 1
        self.check_jobs(visits_of)
        return n_visits

    def _visit_times(self, tid: str, index: int, raw: dict) -> dict | None:
        where = f"technician {tid} visit {index} (job {raw.get('job')!r})"
        try:
            return {"job": str(raw["job"]), "arrival": self.clock.secs(raw["arrival"]),
                    "start": self.clock.secs(raw["start"]), "end": self.clock.secs(raw["end"]),
                    "travel_min": float(raw.get("travel_minutes", 0) or 0),
                    "km": float(raw.get("distance_km", 0) or 0),
                    "late_min": float(raw.get("late_minutes", 0) or 0), "where": where,
                    "sent": self.clock.secs(raw["sent_at"]) if raw.get("sent_at") else None}
        except (KeyError, ValueError, TypeError) as exc:
            self.bad(f"{where}: unreadable visit ({exc!r})")
            return None

    def check_route(self, tid: str, route: dict) -> list[dict]:
        tech = self.techs[tid]
        shifts = tech["shifts"]
        visits = [v for v in (self._visit_times(tid, i, raw) for i, raw in enumerate(route.get("visits") or []))
                  if v is not None]
        breaks = []
        for b in route.get("breaks") or []:
            try:
                breaks.append((self.clock.secs(b["start"]), self.clock.secs(b["end"])))
            except (KeyError, ValueError, TypeError) as exc:
                self.bad(f"technician {tid}: unreadable break {b!r} ({exc!r})")
        breaks.sort()
        known = [v for v in visits if v["job"] in self.jobs]
        for v in visits:
            if v["job"] not in self.jobs:
                self.bad(f"{v['where']}: unknown job")
        ids = [v["job"] for v in visits]
        for jid in sorted({j for j in ids if ids.count(j) > 1}):
            self.bad(f"technician {tid}: visits job {jid} more than once")

        # Per visit: times, window, received, lateness, shift.
        for v in known:
            job = self.jobs[v["job"]]
            c = self.clock
            if v["arrival"] > v["start"]:
                self.bad(f"{v['where']}: arrival {c.iso(v['arrival'])} after start {c.iso(v['start'])}")
            if v["end"] != v["start"] + job["duration"]:
                self.bad(f"{v['where']}: end {c.iso(v['end'])} != start + {job['duration'] / 60:g} min")
            if v["start"] < job["received"]:
                self.bad(f"{v['where']}: starts {c.iso(v['start'])} before the job was received "
                         f"{c.iso(job['received'])}")
            if job["window"] and not job["window"][0] <= v["start"] <= job["window"][1]:
                self.bad(f"{v['where']}: starts {c.iso(v['start'])} outside the window "
                         f"{c.iso(job['window'][0])}..{c.iso(job['window'][1])}")
            late = max(0, v["start"] - job["due"]) / 60.0
            if abs(late - v["late_min"]) > LATE_TOL_MIN:
                self.bad(f"{v['where']}: late_minutes {v['late_min']:g} but start {c.iso(v['start'])} vs due "
                         f"{c.iso(job['due'])} gives {late:.2f}")
            if not any(s <= v["start"] and v["start"] + job["duration"] <= e for s, e in shifts):
                self.bad(f"{v['where']}: service {c.iso(v['start'])}..{c.iso(v['start'] + job['duration'])} "
                         f"is not inside one shift ({self._shifts_text(tech)})")

        # Legs: depot -> visits -> depot, in order.
        departure = None
        if route.get("departure"):
            try:
                departure = self.clock.secs(route["departure"])
            except ValueError:
                self.bad(f"technician {tid}: unreadable departure {route['departure']!r}")
        if departure is not None and departure < shifts[0][0]:
            self.bad(f"technician {tid}: departs {self.clock.iso(departure)} before the first shift start "
                     f"{self.clock.iso(shifts[0][0])}")
        prev_loc, prev_end = tech["start"], departure if departure is not None else shifts[0][0]
        total_travel_min = 0.0
        for v in known:
            job = self.jobs[v["job"]]
            minutes, km = self.travel.leg(prev_loc, job["location"])
            total_travel_min += minutes
            self._check_leg(tid, v["where"], minutes, km, v["travel_min"], v["km"], prev_end, v["arrival"],
                            v["start"], breaks, shifts)
            self._check_sent(v, job, minutes, prev_end, shifts)
            prev_loc, prev_end = job["location"], v["end"]
        ret = route.get("return")
        if known:
            minutes, km = self.travel.leg(prev_loc, tech["end"])
            total_travel_min += minutes
            if not ret:
                self.bad(f"technician {tid}: route with visits has no return")
            else:
                try:
                    arrival = self.clock.secs(ret["arrival"])
                except (KeyError, ValueError, TypeError):
                    self.bad(f"technician {tid}: unreadable return {ret!r}")
                    arrival = None
                if arrival is not None:
                    self._check_leg(tid, f"technician {tid} return", minutes, km,
                                    float(ret.get("travel_minutes", 0) or 0), float(ret.get("distance_km", 0) or 0),
                                    prev_end, arrival, arrival, breaks, shifts)
                    if arrival > shifts[-1][1]:
                        self.bad(f"technician {tid}: returns {self.clock.iso(arrival)} after the last shift end "
                                 f"(+ overtime) {self.clock.iso(shifts[-1][1])}")

        self._check_breaks(tid, tech, known, breaks, shifts)

        # Limits.
        if tech["max_jobs"] is not None and len(visits) > tech["max_jobs"]:
            self.bad(f"technician {tid}: {len(visits)} visits > max_jobs {tech['max_jobs']:g}")
        service_min = sum(self.jobs[v["job"]]["duration"] for v in known) / 60.0
        if tech["max_work"] is not None and total_travel_min + service_min > tech["max_work"] + 1.0:
            self.bad(f"technician {tid}: work {total_travel_min + service_min:.1f} min (travel "
                     f"{total_travel_min:.1f} + service {service_min:.1f}) > max_work_minutes {tech['max_work']:g}")
        if tech["capacity"] > 0:
            load = sum(self.jobs[v["job"]]["demand"] for v in known)
            if load > tech["capacity"] + 1e-9:
                self.bad(f"technician {tid}: demand {load:g} > capacity {tech['capacity']:g}")
        return visits

    def _shifts_text(self, tech: dict) -> str:
        return ", ".join(f"{self.clock.iso(s)}..{self.clock.iso(e)}" for s, e in tech["shifts"])

    def _check_leg(self, tid, where, minutes, km, rep_min, rep_km, prev_end, arrival, start, breaks, shifts):
        c = self.clock
        if math.isinf(minutes):
            self.bad(f"{where}: no travel route between the previous place and this one")
            return
        travel_s = minutes * 60.0
        if abs(rep_min - minutes) > TRAVEL_TOL_S / 60.0:
            self.bad(f"{where}: travel_minutes {rep_min:g} but the {self.travel.model} model gives {minutes:.2f}")
        if self.travel.checks_distance and abs(rep_km - km) > max(0.05, 0.01 * km):
            self.bad(f"{where}: distance_km {rep_km:g} but the {self.travel.model} model gives {km:.3f}")
        if arrival < prev_end + travel_s - TRAVEL_TOL_S:
            self.bad(f"{where}: arrives {c.iso(arrival)} but leaving at {c.iso(prev_end)} with {minutes:.1f} min "
                     f"travel reaches it at {c.iso(prev_end + travel_s)}")
        in_gap = [(bs, be) for bs, be in breaks if bs >= prev_end and be <= start]
        needed = travel_s + sum(be - bs for bs, be in in_gap)
        if start - prev_end < needed - TRAVEL_TOL_S:
            self.bad(f"{where}: gap {c.iso(prev_end)}..{c.iso(start)} is {(start - prev_end) / 60:.1f} min but "
                     f"travel {minutes:.1f} + breaks {(needed - travel_s) / 60:.0f} min are needed")
        available = sum(_overlap(prev_end, start, s, e) for s, e in shifts)
        available -= sum(_overlap(bs, be, max(prev_end, s), min(start, e)) for bs, be in in_gap for s, e in shifts)
        if available < travel_s - TRAVEL_TOL_S:
            self.bad(f"{where}: the travel ({minutes:.1f} min) does not fit in shift time between "
                     f"{c.iso(prev_end)} and {c.iso(start)} ({available / 60:.1f} min of shift, breaks excluded)")

    def _check_sent(self, v: dict, job: dict, minutes: float, prev_end: int, shifts) -> None:
        """The technician sets off towards the job at ``sent_at`` (if given), after the previous
        end, and (unless anticipate_jobs) not before the job was received."""
        c = self.clock
        if math.isinf(minutes):
            return
        travel_s = minutes * 60.0
        if v["sent"] is not None:
            if v["sent"] < prev_end - TRAVEL_TOL_S:
                self.bad(f"{v['where']}: sent_at {c.iso(v['sent'])} before the previous end / departure "
                         f"{c.iso(prev_end)}")
            if v["sent"] + travel_s > v["arrival"] + TRAVEL_TOL_S:
                self.bad(f"{v['where']}: sent_at {c.iso(v['sent'])} + {minutes:.1f} min travel is after the "
                         f"arrival {c.iso(v['arrival'])}")
        received = job["received"]
        if self.anticipate or received <= prev_end or v["start"] < received:
            return
        available = sum(_overlap(received, v["start"], s, e) for s, e in shifts)
        if available < travel_s - TRAVEL_TOL_S:
            self.bad(f"{v['where']}: starts {c.iso(v['start'])}, leaving the {minutes:.1f} min trip no shift "
                     f"time after the job was received {c.iso(received)} (anticipate_jobs is false)")
        elif v["sent"] is not None and v["sent"] < received:
            self.bad(f"{v['where']}: sent at {c.iso(v['sent'])}, before the job was received {c.iso(received)} "
                     f"(anticipate_jobs is false)")
        elif v["arrival"] < received + travel_s - TRAVEL_TOL_S:
            self.bad(f"{v['where']}: arrives {c.iso(v['arrival'])}, {minutes:.1f} min of travel away, so set off "
                     f"before the job was received {c.iso(received)} (anticipate_jobs is false)")

    def _check_breaks(self, tid, tech, visits, breaks, shifts) -> None:
        c = self.clock
        for (s0, e0), (s1, e1) in zip(breaks, breaks[1:]):
            if s1 < e0:
                self.bad(f"technician {tid}: breaks {c.iso(s0)} and {c.iso(s1)} overlap")
        for bs, be in breaks:
            if be <= bs:
                self.bad(f"technician {tid}: break {c.iso(bs)}..{c.iso(be)} is empty or reversed")
            for v in visits:
                if bs < v["end"] and v["start"] < be:
                    self.bad(f"technician {tid}: break {c.iso(bs)}..{c.iso(be)} overlaps the service of "
                             f"job {v['job']} ({c.iso(v['start'])}..{c.iso(v['end'])})")
        last_end = max((v["end"] for v in visits), default=None)
        rules = sorted(tech["breaks"], key=lambda r: (r[1], r[0]))
        unused = list(breaks)
        for earliest, latest, duration in rules:
            match = next((b for b in unused if earliest <= b[0] <= latest and b[1] - b[0] >= duration - 1), None)
            owed = last_end is not None and last_end > latest
            if match is not None:
                unused.remove(match)
            elif owed:
                self.bad(f"technician {tid}: owes a {duration / 60:g}-min break starting in "
                         f"{c.iso(earliest)}..{c.iso(latest)} (last visit ends {c.iso(last_end)}) but none is listed")
        for bs, be in unused:
            inside = sum(_overlap(bs, be, s, e) for s, e in shifts)
            if inside > 0:
                self.bad(f"technician {tid}: break {c.iso(bs)}..{c.iso(be)} matches no break rule of the "
                         f"technician (start in [earliest, latest], at least its minutes)")

    def check_jobs(self, visits_of: dict[str, list[tuple[str, dict]]]) -> None:
        unassigned: dict[str, int] = {}
        for u in self.plan.get("unassigned") or []:
            jid = str(u.get("job"))
            unassigned[jid] = unassigned.get(jid, 0) + 1
            if jid not in self.jobs:
                self.bad(f"unassigned: unknown job {jid!r}")
            if not str(u.get("reason") or "").strip():
                self.bad(f"unassigned job {jid}: no reason given")
        for jid, count in sorted(unassigned.items()):
            if count > 1:
                self.bad(f"job {jid}: listed {count} times in unassigned")
        for jid, job in self.jobs.items():
            visits = visits_of.get(jid, [])
            if not visits:
                if jid not in unassigned:
                    self.bad(f"job {jid}: neither planned nor unassigned")
                continue
            if jid in unassigned:
                self.bad(f"job {jid}: both planned and unassigned")
            if not job["dispatchable"]:
                self.bad(f"job {jid}: not dispatchable but planned (technicians {[t for t, _ in visits]})")
            crew = [t for t, _ in visits]
            if len(set(crew)) != len(crew):
                self.bad(f"job {jid}: a technician appears twice in its crew {crew}")
            if len(visits) != job["crew"]:
                self.bad(f"job {jid}: crew_size {job['crew']} but {len(visits)} visits ({crew})")
            starts = {v["start"] for _, v in visits}
            if len(starts) > 1:
                self.bad(f"job {jid}: crew members start at different times "
                         f"{sorted(self.clock.iso(s) for s in starts)}")
            members = [self.techs[t] for t in crew]
            leads = [m for m in members if self.can_lead(m, job)]
            if not leads:
                self.bad(f"job {jid}: nobody in {crew} may lead it ("
                         + "; ".join(f"{m['id']}: {self.why_not(m, job)}" for m in members) + ")")
            elif job["crew"] < 2:
                pass
            else:
                for m in members:
                    if not (self.can_lead(m, job) or self.can_assist(m, job)):
                        self.bad(f"job {jid}: crew member {m['id']} may not work it ({self.why_not(m, job)})")
            if job["crew"] < 2:
                for m in members:
                    if m["trainee"]:
                        self.bad(f"job {jid}: trainee {m['id']} works a crew_size 1 job alone")
            for pin in job["pins"]:
                if pin not in crew:
                    self.bad(f"job {jid}: pinned to {pin} but served by {crew}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Independently re-check a plan against its scenario.")
    parser.add_argument("scenario", help="scenario YAML/JSON, or a table-form directory / its scenario.yaml")
    parser.add_argument("plan", help="plan JSON (contract v1)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    args = parser.parse_args(argv)
    try:
        scenario, base = read_scenario(Path(args.scenario))
        plan_path = Path(args.plan)
        try:
            plan = json.loads(plan_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{plan_path}: cannot read plan: {exc}") from None
        checker = Checker(scenario, base, plan)
        n_visits = checker.run()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyError, ValueError, TypeError) as exc:
        print(f"error: malformed scenario or plan: {exc!r}", file=sys.stderr)
        return 2
    if checker.violations:
        if not args.quiet:
            for message in checker.violations:
                print(message)
        print(f"FAIL {len(checker.violations)} violations ({n_visits} visits)")
        return 1
    print(f"OK {n_visits} visits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
