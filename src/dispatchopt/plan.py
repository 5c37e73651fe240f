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
                {"job": v.job, "arrival": iso(v.arrival_s), "start": iso(v.start_s),
                 "end": iso(v.end_s), "travel_minutes": round(v.travel_s / 60, 2),
                 "distance_km": round(v.distance_m / 1000, 3), "late_minutes": round(v.late_s / 60, 2)}
                for v in route.visits]}
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
        """Read a v1 plan back. Times are parsed on the problem's clock; keys are checked."""
        clock = problem.clock

        def need(obj: dict, key: str, where: str):
            if not isinstance(obj, dict) or key not in obj:
                raise PlanFormatError(f"{source}: {where}: missing key '{key}'")
            return obj[key]

        def secs(value: Any, where: str) -> int:
            try:
                return clock.to_seconds(str(value))
            except ValueError as exc:
                raise PlanFormatError(f"{source}: {where}: bad time {value!r} ({exc})") from None

        def num(value: Any, where: str) -> float:
            try:
                return float(value)
            except (TypeError, ValueError):
                raise PlanFormatError(f"{source}: {where}: not a number: {value!r}") from None

        solver_raw = data.get("solver") or {}
        solver = SolverInfo(backend=str(solver_raw.get("backend", "unknown")),
                            time_limit_s=solver_raw.get("time_limit_s"),
                            seed=int(solver_raw.get("seed", 0) or 0),
                            status=str(solver_raw.get("status", "feasible")),
                            objective=solver_raw.get("objective"), wall_s=solver_raw.get("wall_s"))
        routes = []
        for r_i, raw in enumerate(need(data, "routes", "plan")):
            where = f"routes[{r_i}]"
            tech = str(need(raw, "technician", where))
            visits = []
            for v_i, v in enumerate(raw.get("visits", [])):
                vw = f"{where} (technician '{tech}').visits[{v_i}]"
                visits.append(Visit(job=str(need(v, "job", vw)),
                                    arrival_s=secs(need(v, "arrival", vw), vw + ".arrival"),
                                    start_s=secs(need(v, "start", vw), vw + ".start"),
                                    end_s=secs(need(v, "end", vw), vw + ".end"),
                                    travel_s=int(round(num(v.get("travel_minutes", 0), vw) * 60)),
                                    distance_m=num(v.get("distance_km", 0), vw) * 1000,
                                    late_s=int(round(num(v.get("late_minutes", 0), vw) * 60))))
            breaks = tuple(BreakTaken(secs(need(b, "start", where), where + ".breaks.start"),
                                      secs(need(b, "end", where), where + ".breaks.end"))
                           for b in raw.get("breaks", []))
            ret = None
            if raw.get("return") is not None:
                rr = raw["return"]
                ret = Return(arrival_s=secs(need(rr, "arrival", where + ".return"), where + ".return.arrival"),
                             travel_s=int(round(num(rr.get("travel_minutes", 0), where) * 60)),
                             distance_m=num(rr.get("distance_km", 0), where) * 1000)
            departure = secs(raw["departure"], where + ".departure") if raw.get("departure") else None
            routes.append(Route(technician=tech, visits=tuple(visits), breaks=breaks, ret=ret,
                                departure_s=departure))
        unassigned = tuple(Unassigned(job=str(need(u, "job", "unassigned")), reason=str(u.get("reason", "")))
                           for u in data.get("unassigned", []))
        return cls(scenario=str(data.get("scenario", problem.name)), clock=clock, solver=solver,
                   routes=tuple(routes), unassigned=unassigned, kpis=data.get("kpis"))

    @classmethod
    def load(cls, problem: Problem, path: str | Path) -> "Plan":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PlanFormatError(f"{path}: not valid JSON: {exc}") from None
        return cls.from_json(problem, data, source=str(path))

    def to_frame(self):
        """One row per visit (technician, job, times as datetimes, travel, lateness)."""
        import pandas as pd

        rows = []
        for route in self.routes:
            for seq, v in enumerate(route.visits):
                rows.append({"technician": route.technician, "sequence": seq, "job": v.job,
                             "arrival": self.clock.to_datetime(v.arrival_s),
                             "start": self.clock.to_datetime(v.start_s),
                             "end": self.clock.to_datetime(v.end_s),
                             "travel_minutes": v.travel_s / 60, "distance_km": v.distance_m / 1000,
                             "late_minutes": v.late_s / 60})
        columns = ["technician", "sequence", "job", "arrival", "start", "end", "travel_minutes",
                   "distance_km", "late_minutes"]
        return pd.DataFrame(rows, columns=columns)

    def unassigned_frame(self):
        import pandas as pd

        return pd.DataFrame([{"job": u.job, "reason": u.reason} for u in self.unassigned],
                            columns=["job", "reason"])
