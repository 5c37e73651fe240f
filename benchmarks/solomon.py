"""Solomon VRPTW instances: reader, DIMACS distances, an independent solution check, BKS tables.

Conventions (DIMACS 2021 VRPTW challenge, as in ``bks_distance_dimacs.csv``): each Euclidean
distance is truncated to one decimal, travel time = distance, the objective is total distance
only (the number of vehicles is free, up to the fleet size in the file).

:func:`read_solomon` builds a dispatchopt :class:`~dispatchopt.domain.Problem` directly. The
clock: origin 2026-11-23T00:00 UTC, 1 Solomon time unit = 1 minute, so every time inside is
``units * 60`` int seconds; with speed 1 the travel seconds of a trip are its truncated distance
x 60, an exact integer (6 s per 0.1).

:func:`parse_solomon` keeps the raw numbers for the peer runners, and :func:`check_routes`
re-checks any solution given as lists of customer numbers (capacity, windows, every customer
exactly once) and sums its truncated distances in integer tenths. It shares nothing with the
solvers it checks except the instance arrays.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dispatchopt.domain import (Clock, Job, Location, Objective, Problem, Shift, SlaLevel,
                                Technician, TravelSpec, Window)
from dispatchopt.errors import ScenarioError

ORIGIN = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.timezone.utc)
UNIT_S = 60                       # 1 Solomon time unit = 1 minute
UNASSIGNED_COST = 1_000_000.0     # per job, in travel minutes: never worth dropping a customer
REPO_ROOT = Path(__file__).resolve().parent.parent
SIX_HARD = ("C101", "R101", "RC101", "R201", "R211", "RC201")


def default_data_dir() -> Path:
    """``<repo>/../shared/benchmarks`` (the shared benchmark data next to the repository)."""
    return REPO_ROOT.parent / "shared" / "benchmarks"


@dataclass(frozen=True)
class SolomonInstance:
    """The raw numbers of a Solomon file; index 0 is the depot, i >= 1 is customer i."""

    name: str
    vehicles: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    source: str = ""
    _tenths: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def num_customers(self) -> int:
        return len(self.x) - 1

    @property
    def horizon(self) -> int:
        """The depot's due date: every route is back by then."""
        return int(self.due[0])

    def tenths(self) -> np.ndarray:
        """DIMACS distances in integer tenths: trunc(10 * euclidean), shape (n+1, n+1)."""
        if self._tenths is None:
            dx = self.x[:, None] - self.x[None, :]
            dy = self.y[:, None] - self.y[None, :]
            # + 1e-9 guards exact decimals (e.g. 0.3 stored as 0.29999...) against float error
            tenths = np.floor(np.sqrt(dx * dx + dy * dy) * 10 + 1e-9).astype(np.int64)
            object.__setattr__(self, "_tenths", tenths)
        return self._tenths


def parse_solomon(path: str | Path) -> SolomonInstance:
    """Read a Solomon ``.txt`` file (name, VEHICLE NUMBER CAPACITY, CUSTOMER table)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read Solomon instance ({exc})", source=str(path)) from None
    name = next((ln.strip() for ln in lines if ln.strip()), "")
    vehicles = capacity = None
    rows: list[list[float]] = []
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            values = [float(p) for p in parts]
        except ValueError:
            continue  # a header line
        if vehicles is None:
            if len(values) != 2:
                raise ScenarioError(f"{path}: line {number}: expected 'NUMBER CAPACITY', found {line.strip()!r}",
                                    source=str(path), field="VEHICLE", value=line.strip())
            vehicles, capacity = int(values[0]), int(values[1])
            continue
        if len(values) != 7:
            raise ScenarioError(f"{path}: line {number}: expected 7 customer fields "
                                f"(no, x, y, demand, ready, due, service), found {line.strip()!r}",
                                source=str(path), field="CUSTOMER", value=line.strip())
        if int(values[0]) != len(rows):
            raise ScenarioError(f"{path}: line {number}: customer number {int(values[0])}, expected {len(rows)}",
                                source=str(path), field="CUST NO.", value=int(values[0]))
        rows.append(values)
    if vehicles is None or len(rows) < 2:
        raise ScenarioError(f"{path}: not a Solomon instance (vehicle line or customer table missing)",
                            source=str(path))
    table = np.asarray(rows, dtype=float)
    for col, label in ((3, "DEMAND"), (4, "READY TIME"), (5, "DUE DATE"), (6, "SERVICE TIME")):
        bad = np.flatnonzero(table[:, col] != np.round(table[:, col]))
        if bad.size:
            raise ScenarioError(f"{path}: customer {bad[0]}: {label} {table[bad[0], col]} is not an integer",
                                source=str(path), field=label, item_id=str(bad[0]), value=table[bad[0], col])
    bad = np.flatnonzero(table[:, 4] > table[:, 5])
    if bad.size:
        raise ScenarioError(f"{path}: customer {bad[0]}: READY TIME {table[bad[0], 4]:g} is after "
                            f"DUE DATE {table[bad[0], 5]:g}", source=str(path), field="READY TIME",
                            item_id=str(bad[0]), value=table[bad[0], 4])
    as_int = lambda col: table[:, col].round().astype(np.int64)  # noqa: E731
    return SolomonInstance(name=name, vehicles=vehicles, capacity=capacity, x=table[:, 1].copy(),
                           y=table[:, 2].copy(), demand=as_int(3), ready=as_int(4), due=as_int(5),
                           service=as_int(6), source=str(path))


def to_problem(inst: SolomonInstance) -> Problem:
    """The dispatchopt Problem of a parsed instance (see the module docstring for conventions)."""
    end_s = inst.horizon * UNIT_S
    depot = Location(x=float(inst.x[0]), y=float(inst.y[0]))
    techs = tuple(
        Technician(id=f"V{k:02d}", skills={}, shifts=(Shift(int(inst.ready[0]) * UNIT_S, end_s),),
                   start=depot, end=depot, capacity=inst.capacity)
        for k in range(1, inst.vehicles + 1))
    jobs = tuple(
        Job(id=str(i), location=Location(x=float(inst.x[i]), y=float(inst.y[i])), category="standard",
            skills={}, duration_s=int(inst.service[i]) * UNIT_S, received_s=0,
            due_s=end_s,  # no SLA pressure: only the hard window counts
            window=Window(int(inst.ready[i]) * UNIT_S, int(inst.due[i]) * UNIT_S),
            demand=int(inst.demand[i]))
        for i in range(1, inst.num_customers + 1))
    return Problem(
        name=inst.name,
        clock=Clock.create(ORIGIN, "UTC"),
        end_s=end_s,
        travel=TravelSpec(model="euclidean", speed_kmh=1.0, dimacs=True),
        sla={"standard": SlaLevel(respond_minutes=inst.horizon, weight=1.0)},
        objective=Objective(travel_minute=1.0, late_minute=0.0, unassigned=UNASSIGNED_COST,
                            workload_balance=0.0, overtime_minute=0.0),
        technicians=techs,
        jobs=jobs,
        certificate_required=frozenset(),
        source=inst.source or None,
    )


def read_solomon(path: str | Path) -> Problem:
    """Read a Solomon ``.txt`` file into a dispatchopt Problem (jobs '1'..'n', technicians 'V01'..)."""
    return to_problem(parse_solomon(path))


# -- independent solution check -------------------------------------------------------------

@dataclass(frozen=True)
class RouteCheck:
    """What :func:`check_routes` found: ``feasible`` iff ``problems`` is empty."""

    vehicles: int
    distance_tenths: int
    problems: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.problems

    @property
    def distance(self) -> float:
        return self.distance_tenths / 10


def check_routes(inst: SolomonInstance, routes: list[list[int]]) -> RouteCheck:
    """Re-time ``routes`` (lists of customer numbers, depot excluded) under DIMACS rules.

    Time runs in tenths: leave the depot at its ready time, arrive after the truncated
    distance, wait for the ready time, start no later than the due date, serve, and be back
    at the depot by its due date. Also checks the fleet size, capacity and that every customer
    is served exactly once.
    """
    d = inst.tenths()
    problems: list[str] = []
    seen: dict[int, int] = {}
    used = [r for r in routes if r]
    if len(used) > inst.vehicles:
        problems.append(f"{len(used)} routes but only {inst.vehicles} vehicles")
    total = 0
    for r_i, route in enumerate(used):
        load = 0
        t = int(inst.ready[0]) * 10
        prev = 0
        for c in route:
            if not 1 <= c <= inst.num_customers:
                problems.append(f"route {r_i}: unknown customer {c}")
                continue
            if c in seen:
                problems.append(f"customer {c} served twice (routes {seen[c]} and {r_i})")
            seen[c] = r_i
            total += int(d[prev, c])
            t = max(t + int(d[prev, c]), int(inst.ready[c]) * 10)
            if t > int(inst.due[c]) * 10:
                problems.append(f"route {r_i}: customer {c} starts at {t / 10:.1f} after its due {inst.due[c]}")
            t += int(inst.service[c]) * 10
            load += int(inst.demand[c])
            prev = c
        total += int(d[prev, 0])
        t += int(d[prev, 0])
        if t > inst.horizon * 10:
            problems.append(f"route {r_i}: back at the depot at {t / 10:.1f} after {inst.horizon}")
        if load > inst.capacity:
            problems.append(f"route {r_i}: load {load} over capacity {inst.capacity}")
    missing = sorted(set(range(1, inst.num_customers + 1)) - set(seen))
    if missing:
        problems.append(f"{len(missing)} customers not served (first: {missing[:5]})")
    return RouteCheck(vehicles=len(used), distance_tenths=total, problems=tuple(problems))


def plan_routes(plan) -> list[list[int]]:
    """A dispatchopt Plan of a Solomon problem as lists of customer numbers."""
    return [[int(v.job) for v in route.visits] for route in plan.routes if route.visits]


def plan_distance(plan) -> float:
    """The distance a plan reports itself (sum of visit and return legs), in Solomon units."""
    metres = sum(v.distance_m for r in plan.routes for v in r.visits)
    metres += sum(r.ret.distance_m for r in plan.routes if r.ret is not None)
    return metres / 1000.0


# -- best known solutions --------------------------------------------------------------------

@dataclass(frozen=True)
class Bks:
    vehicles: int
    distance: float


def load_bks(path: str | Path) -> dict[str, Bks]:
    """``instance,vehicles,distance,...`` CSV -> {instance: Bks}."""
    out: dict[str, Bks] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["instance"].strip()] = Bks(int(row["vehicles"]), float(row["distance"]))
    return out


def gap_percent(distance: float, bks: float) -> float:
    return math.nan if not bks else 100.0 * (distance - bks) / bks
