"""Plans: routes of visits, breaks and return legs, plus unassigned jobs with reasons.

Times are int seconds on the problem clock inside; ``to_json`` writes the v1 plan contract
(local ISO times) and ``Plan.from_json`` reads it back against the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .domain import Clock, Problem
from .errors import PlanFormatError


@dataclass(frozen=True)
class Visit:
    job: str
    arrival_s: int          # arrival on site
    start_s: int            # start of service (>= arrival; waits for the window/crew)
    end_s: int              # end of service
    travel_s: int           # travel from the previous place (depot or previous job)
    distance_m: float       # distance of that trip
    late_s: int = 0         # start past the SLA deadline
    sent_s: int | None = None  # the technician sets off towards it (after any waiting); key "sent_at"


@dataclass(frozen=True)
class BreakTaken:
    start_s: int
    end_s: int


@dataclass(frozen=True)
class Return:
    arrival_s: int
    travel_s: int
    distance_m: float


@dataclass(frozen=True)
class Route:
    technician: str
    visits: tuple[Visit, ...] = ()
    breaks: tuple[BreakTaken, ...] = ()
    ret: Return | None = None           # None when the route has no visits
    departure_s: int | None = None      # leaves its start location (extension key "departure")

    @property
    def job_ids(self) -> list[str]:
        return [visit.job for visit in self.visits]


@dataclass(frozen=True)
class Unassigned:
    job: str
    reason: str


@dataclass(frozen=True)
class SolverInfo:
    backend: str
    time_limit_s: float | None = None
    seed: int = 0
    status: str = "feasible"            # a SolveStatus value
    objective: float | None = None
    wall_s: float | None = None


@dataclass(frozen=True)
class Plan:
    scenario: str
    clock: Clock
    solver: SolverInfo
    routes: tuple[Route, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    kpis: dict[str, Any] | None = field(default=None, compare=False)

    # -- lookups ----------------------------------------------------------------------------
    def route(self, tech_id: str) -> Route | None:
        return next((r for r in self.routes if r.technician == tech_id), None)

    def assigned_job_ids(self) -> set[str]:
        return {visit.job for route in self.routes for visit in route.visits}

    def visits_of(self, job_id: str) -> list[tuple[str, Visit]]:
        """(technician, visit) for every visit of the job (several for a crew job)."""
        return [(r.technician, v) for r in self.routes for v in r.visits if v.job == job_id]

    def with_kpis(self, kpis: dict[str, Any]) -> "Plan":
        return replace(self, kpis=kpis)

    # -- I/O ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        iso = self.clock.to_iso
        solver = {"backend": self.solver.backend, "time_limit_s": self.solver.time_limit_s,
                  "seed": self.solver.seed, "status": self.solver.status,
                  "objective": self.solver.objective}
        if self.solver.wall_s is not None:
            solver["wall_s"] = round(self.solver.wall_s, 3)
        routes = []
        for route in self.routes:
            item: dict[str, Any] = {"technician": route.technician, "visits": [
                _visit_json(v, iso) for v in route.visits]}
            item.update(day_copy_keys(route.technician))
            item["breaks"] = [{"start": iso(b.start_s), "end": iso(b.end_s)} for b in route.breaks]
            if route.ret is not None:
                item["return"] = {"arrival": iso(route.ret.arrival_s),
                                  "travel_minutes": round(route.ret.travel_s / 60, 2),
                                  "distance_km": round(route.ret.distance_m / 1000, 3)}
            if route.departure_s is not None:
                item["departure"] = iso(route.departure_s)
            routes.append(item)
        data: dict[str, Any] = {"scenario": self.scenario, "solver": solver, "routes": routes,
                                "unassigned": [{"job": u.job, "reason": u.reason} for u in self.unassigned]}
        if self.kpis is not None:
            data["kpis"] = self.kpis
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.dumps() + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, problem: Problem, data: dict[str, Any], *, source: str = "<plan>") -> "Plan":
        """Read a v1 plan back. Times are parsed on the problem's clock; keys are checked.

        Raises :class:`PlanFormatError` naming the source, the field (``routes[0] (technician
        'T1').visits[2].start``) and the value found.
        """
        reader = _PlanReader(problem.clock, source)
        reader.expect_object(data, "plan")
        solver = reader.solver(data.get("solver") or {})
        routes = tuple(reader.route(raw, f"routes[{i}]")
                       for i, raw in enumerate(reader.expect_list(reader.need(data, "routes", "plan"),
                                                                  "plan.routes")))
        unassigned = []
        for i, item in enumerate(reader.expect_list(data.get("unassigned", []), "plan.unassigned")):
            where = f"unassigned[{i}]"
            unassigned.append(Unassigned(job=str(reader.need(item, "job", where)),
                                         reason=str(item.get("reason", ""))))
        return cls(scenario=str(data.get("scenario", problem.name)), clock=problem.clock, solver=solver,
                   routes=routes, unassigned=tuple(unassigned), kpis=data.get("kpis"))

    @classmethod
    def load(cls, problem: Problem, path: str | Path) -> "Plan":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PlanFormatError(f"{path}: not valid JSON: {exc}") from None
        return cls.from_json(problem, data, source=str(path))

    def to_frame(self):
        """One row per visit (technician, job, times as datetimes: sent (set off towards it),
        arrival, start, end; travel, lateness)."""
        import pandas as pd

        rows = []
        for route in self.routes:
            for seq, v in enumerate(route.visits):
                rows.append({"technician": route.technician, "sequence": seq, "job": v.job,
                             "sent": None if v.sent_s is None else self.clock.to_datetime(v.sent_s),
                             "arrival": self.clock.to_datetime(v.arrival_s),
                             "start": self.clock.to_datetime(v.start_s),
                             "end": self.clock.to_datetime(v.end_s),
                             "travel_minutes": v.travel_s / 60, "distance_km": v.distance_m / 1000,
                             "late_minutes": v.late_s / 60})
        columns = ["technician", "sequence", "job", "sent", "arrival", "start", "end", "travel_minutes",
                   "distance_km", "late_minutes"]
        return pd.DataFrame(rows, columns=columns)

    def unassigned_frame(self):
        import pandas as pd

        return pd.DataFrame([{"job": u.job, "reason": u.reason} for u in self.unassigned],
                            columns=["job", "reason"])


def _visit_json(v: Visit, iso) -> dict[str, Any]:
    item: dict[str, Any] = {"job": v.job}
    if v.sent_s is not None:
        item["sent_at"] = iso(v.sent_s)
    item.update({"arrival": iso(v.arrival_s), "start": iso(v.start_s), "end": iso(v.end_s),
                 "travel_minutes": round(v.travel_s / 60, 2), "distance_km": round(v.distance_m / 1000, 3),
                 "late_minutes": round(v.late_s / 60, 2)})
    return item


class _PlanReader:
    """The checks of :meth:`Plan.from_json`: every error names the source, the field and the value."""

    def __init__(self, clock: Clock, source: str) -> None:
        self.clock = clock
        self.source = source

    def error(self, where: str, what: str) -> PlanFormatError:
        return PlanFormatError(f"{self.source}: {where}: {what}")

    def expect_object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, f"expected an object, got {type(value).__name__} {value!r:.60}")
        return value

    def expect_list(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(where, f"expected a list, got {type(value).__name__} {value!r:.60}")
        return value

    def need(self, obj: Any, key: str, where: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise self.error(where, f"missing key '{key}'")
        return obj[key]

    def secs(self, value: Any, where: str) -> int:
        try:
            return self.clock.to_seconds(str(value))
        except ValueError as exc:
            raise self.error(where, f"bad time {value!r} ({exc})") from None

    def num(self, value: Any, where: str) -> float:
        if isinstance(value, bool):
            raise self.error(where, f"not a number: {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.error(where, f"not a number: {value!r}") from None

    def minutes_s(self, obj: dict[str, Any], key: str, where: str) -> int:
        """An optional ``*_minutes`` figure (default 0) as int seconds."""
        return int(round(self.num(obj.get(key, 0), f"{where}.{key}") * 60))

    def optional_number(self, obj: dict[str, Any], key: str, where: str) -> Any:
        value = obj.get(key)
        if value is not None:
            self.num(value, f"{where}.{key}")
        return value

    def solver(self, raw: Any) -> SolverInfo:
        raw = self.expect_object(raw, "solver")
        seed = raw.get("seed", 0) or 0
        if isinstance(seed, bool) or not isinstance(seed, int | float | str):
            raise self.error("solver.seed", f"not an integer: {seed!r}")
        try:
            seed = int(seed)
        except ValueError:
            raise self.error("solver.seed", f"not an integer: {seed!r}") from None
        return SolverInfo(backend=str(raw.get("backend", "unknown")),
                          time_limit_s=self.optional_number(raw, "time_limit_s", "solver"),
                          seed=seed, status=str(raw.get("status", "feasible")),
                          objective=self.optional_number(raw, "objective", "solver"),
                          wall_s=self.optional_number(raw, "wall_s", "solver"))

    def visit(self, raw: Any, where: str) -> Visit:
        raw = self.expect_object(raw, where)
        return Visit(job=str(self.need(raw, "job", where)),
                     arrival_s=self.secs(self.need(raw, "arrival", where), where + ".arrival"),
                     start_s=self.secs(self.need(raw, "start", where), where + ".start"),
                     end_s=self.secs(self.need(raw, "end", where), where + ".end"),
                     travel_s=self.minutes_s(raw, "travel_minutes", where),
                     distance_m=self.num(raw.get("distance_km", 0), where + ".distance_km") * 1000,
                     late_s=self.minutes_s(raw, "late_minutes", where),
                     sent_s=(self.secs(raw["sent_at"], where + ".sent_at")
                             if raw.get("sent_at") is not None else None))

    def route(self, raw: Any, where: str) -> Route:
        raw = self.expect_object(raw, where)
        tech = str(self.need(raw, "technician", where))
        where = f"{where} (technician '{tech}')"
        visits = tuple(self.visit(v, f"{where}.visits[{i}]")
                       for i, v in enumerate(self.expect_list(raw.get("visits", []), where + ".visits")))
        breaks = []
        for i, b in enumerate(self.expect_list(raw.get("breaks", []), where + ".breaks")):
            bw = f"{where}.breaks[{i}]"
            breaks.append(BreakTaken(self.secs(self.need(b, "start", bw), bw + ".start"),
                                     self.secs(self.need(b, "end", bw), bw + ".end")))
        ret = None
        if raw.get("return") is not None:
            rw = where + ".return"
            rr = self.expect_object(raw["return"], rw)
            ret = Return(arrival_s=self.secs(self.need(rr, "arrival", rw), rw + ".arrival"),
                         travel_s=self.minutes_s(rr, "travel_minutes", rw),
                         distance_m=self.num(rr.get("distance_km", 0), rw + ".distance_km") * 1000)
        departure = self.secs(raw["departure"], where + ".departure") if raw.get("departure") else None
        return Route(technician=tech, visits=visits, breaks=tuple(breaks), ret=ret, departure_s=departure)


def day_copy_keys(technician: str) -> dict[str, str]:
    """``person`` and ``day`` of a multi-day day copy (id ``PERSON@YYYY-MM-DD``, see
    docs/multiday.md), written on its route so a reader can group routes by person and day;
    ``{}`` for a one-day technician."""
    person, sep, day = technician.rpartition("@")
    if not sep or len(day) != 10 or day[4] != "-" or day[7] != "-":
        return {}
    return {"person": person, "day": day}

