"""The dispatch state: the published plan, "now", the frozen past and each technician's status.

A :class:`DispatchState` is immutable. It holds

* ``problem``: the Problem as it stands now (new jobs appended, actual durations, follow-ups,
  cut shifts...). It is the source of truth: ``verify(state.problem, state.plan) == []``.
* ``plan``: the published full-day plan (past visits included) against ``problem``.
* ``now_s``: seconds on the problem clock.
* per technician a :class:`TechPlan`: the **frozen** prefix of its route (visits done or in hand,
  kept exactly: same technician, same start) and the **suffix** (planned, not started), timed by
  the forward pass of :mod:`dispatchopt.timing.forward` from the technician's availability.

What counts as frozen. A visit is frozen once its start is before "now" (no news is good news:
the plan of the past is taken as executed unless an event says otherwise), or once an event put
it in hand (``job_started``). Breaks that started before "now" are frozen too. A technician on
its way to (or waiting at) a visit that has not started is *not* committed to it: it is treated
as still at the place of its last frozen visit (or at its start location), free from "now", so
an emergency can divert it. That is an approximation of where a moving van is (the model only
knows job and depot locations); it is optimistic by the part of the trip already driven.

Availability of a technician = max(now, end of its last frozen visit, end of a break in
progress). A floating break whose latest start is already before that time and that was not
taken is placed "retroactively" in the idle gap since the last visit (the technician was idle
then), when that gap allows it; otherwise the technician cannot take any more work that would
make the break owed (the hard rule of ``rules.break_owed``).

Travel matrix. ``Problem.replace`` drops the cached travel matrix; rebuilding it costs 0.3-0.5 s
at city scale, far beyond the live latency budget. The live module therefore carries the matrix
from one Problem to the next (:func:`carry_matrix`): the same model over a superset of the
locations (rows are looked up by location key, so extra rows are harmless). A new location is
added as one row and column, computed with the model's own formula for the haversine and
euclidean models (:func:`extend_matrix`; identical to a full rebuild, see the tests), by a full
rebuild for the graph and CSV-matrix models.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..domain import Location, Problem
from ..errors import EventError
from ..plan import BreakTaken, Plan, Route, SolverInfo, Unassigned
from ..timing.schedule import build_route
from ..timing.forward import RouteState, TechContext
from ..travel.base import TravelMatrix

log = logging.getLogger("dispatchopt")

BACKEND = "live-insertion"

Item = tuple[str, "int | None"]        # (job id, fixed start for a crew visit, else None)


# -- the travel matrix, carried and extended ------------------------------------------------------
class MatrixBuffer:
    """Spare-capacity storage behind the carried travel matrices of one dispatch session.

    ``extend`` writes new rows in place when the matrix being extended is the newest one (the
    common, linear case) and copies otherwise (a state extended twice, as in tests), so an older
    matrix never sees its values change.
    """

    __slots__ = ("seconds", "metres", "used")

    def __init__(self, matrix: TravelMatrix, spare: int = 64) -> None:
        n = len(matrix.locations)
        cap = n + spare
        self.seconds = np.zeros((cap, cap), dtype=np.int64)
        self.metres = np.zeros((cap, cap), dtype=np.float64)
        self.seconds[:n, :n] = matrix.seconds
        self.metres[:n, :n] = matrix.metres
        self.used = n

    def view(self, locations: tuple[Location, ...], index: dict[tuple, int]) -> TravelMatrix:
        n = len(locations)
        return TravelMatrix(locations=locations, seconds=self.seconds[:n, :n],
                            metres=self.metres[:n, :n], _index=index)


def _new_blocks(problem: Problem, old: Sequence[Location], new: Sequence[Location]
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """(road km old x new, road km new x new) with the model's formula, or None when the model
    is not a closed formula (graph, CSV matrix). The diagonal of new x new is 0."""
    spec = problem.travel
    if spec.model == "haversine":
        from ..travel.base import positive_spec
        from ..travel.haversine import great_circle_km

        circuity = positive_spec(spec, "circuity", "haversine")
        for loc in new:
            if loc.lat is None or loc.lon is None:
                from ..errors import TravelError

                raise TravelError(f"travel.model haversine: location {loc} has no lat/lon")
        a = np.array([(float(loc.lat), float(loc.lon)) for loc in old], dtype=float).reshape(-1, 2)
        b = np.array([(float(loc.lat), float(loc.lon)) for loc in new], dtype=float).reshape(-1, 2)
        on = great_circle_km(a, b)
        nn = np.triu(great_circle_km(b, b), 1)
        nn = nn + nn.T
        return on * circuity, nn * circuity
    if spec.model == "euclidean":
        def xy(locs: Sequence[Location]) -> np.ndarray:
            coords = np.empty((len(locs), 2), dtype=float)
            for i, loc in enumerate(locs):
                if loc.x is None or loc.y is None:
                    return None  # type: ignore[return-value]
                coords[i] = (float(loc.x), float(loc.y))
            return coords

        a, b = xy(old), xy(new)
        if a is None or b is None:
            return None
        on = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
        nn = np.sqrt(((b[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
        if spec.dimacs:
            on = np.floor(on * 10 + 1e-9) / 10
            nn = np.floor(nn * 10 + 1e-9) / 10
        return on, nn
    return None


def _model_matrix(problem: Problem, locations: list[Location]) -> TravelMatrix:
    """The problem's travel model over ``locations``, in this order."""
    from ..travel import matrix_for_locations

    return matrix_for_locations(locations, problem.travel)


def _seconds(problem: Problem, road_km: np.ndarray) -> np.ndarray:
    spec = problem.travel
    if spec.model == "haversine":
        return np.rint(road_km / (spec.speed_kmh * spec.speed_factor) * 3600.0).astype(np.int64)
    return np.rint(road_km / (spec.speed_kmh * spec.speed_factor) * 60).astype(np.int64)


def extend_matrix(problem: Problem, matrix: TravelMatrix, new: Sequence[Location],
                  buffer: MatrixBuffer | None) -> tuple[TravelMatrix, MatrixBuffer | None]:
    """``matrix`` plus rows and columns for the ``new`` locations (keys not in it yet)."""
    blocks = _new_blocks(problem, matrix.locations, new)
    if blocks is None:
        log.info("live: travel model %s has no closed formula; rebuilding the travel matrix",
                 problem.travel.model)
        # the old locations keep their rows (states hold row indices): old ones first, then new
        return _model_matrix(problem, list(matrix.locations) + list(new)), None
    on_km, nn_km = blocks
    n, k = len(matrix.locations), len(new)
    if buffer is None or buffer.used != n or buffer.seconds.shape[0] < n + k:
        buffer = MatrixBuffer(matrix, spare=max(64, n // 16, 2 * k))
    s, m = buffer.seconds, buffer.metres
    on_s, nn_s = _seconds(problem, on_km), _seconds(problem, nn_km)
    s[:n, n:n + k] = on_s
    s[n:n + k, :n] = on_s.T
    s[n:n + k, n:n + k] = nn_s
    m[:n, n:n + k] = on_km * 1000.0
    m[n:n + k, :n] = (on_km * 1000.0).T
    m[n:n + k, n:n + k] = nn_km * 1000.0
    buffer.used = n + k
    index = dict(matrix._index)
    for i, loc in enumerate(new):
        index.setdefault(loc.key(), n + i)
    return buffer.view(matrix.locations + tuple(new), index), buffer


def carry_matrix(old: Problem, new: Problem, buffer: MatrixBuffer | None = None
                 ) -> tuple[Problem, MatrixBuffer | None]:
    """Give ``new`` the travel matrix of ``old`` (extended with any location ``new`` adds).

    ``old``'s matrix is built if it was not yet. The matrix is stored in ``new``'s cache, which is
    what ``Problem.travel_matrix`` returns from then on.
    """
    matrix = old.travel_matrix
    missing: dict[tuple, Location] = {}
    index = matrix._index
    for tech in new.technicians:
        for loc in (tech.start, tech.end):
            if loc.key() not in index:
                missing.setdefault(loc.key(), loc)
    for job in new.jobs:
        if job.location.key() not in index:
            missing.setdefault(job.location.key(), job.location)
    if missing:
        matrix, buffer = extend_matrix(new, matrix, list(missing.values()), buffer)
    new.__dict__["travel_matrix"] = matrix     # the cached_property's slot
    return new, buffer


# -- one technician's frozen past and planned suffix ---------------------------------------------------
@dataclass(frozen=True)
class TechPlan:
    """A technician's route split at "now".

    ``frozen``: (job, start) visits done or in hand, kept exactly. ``frozen_breaks``: breaks
    started before now. ``departure_s``: the route's departure once it has left. ``heading``:
    the (job, start) visit it is on its way to (or waiting at), kept as published unless an
    emergency diverts the technician; ``heading_breaks``: breaks planned before that visit that
    have not started yet. ``suffix``: (job, fixed start) planned visits, in order (a crew visit
    keeps its common start fixed). ``base``: the forward-pass state after frozen + heading;
    ``states[i]``: after the first i+1 suffix visits.
    """

    technician: str
    frozen: tuple[tuple[str, int], ...]
    frozen_breaks: tuple[tuple[int, int], ...]
    departure_s: int | None
    heading: tuple[str, int] | None
    heading_breaks: tuple[tuple[int, int], ...]
    suffix: tuple[Item, ...]
    base: RouteState
    states: tuple[RouteState, ...]

    @property
    def final(self) -> RouteState:
        return self.states[-1] if self.states else self.base

    @property
    def movable(self) -> tuple[Item, ...]:
        """Visits not started: the heading one (if any) then the suffix."""
        if self.heading is None:
            return self.suffix
        return ((self.heading[0], None),) + self.suffix

    def after(self, q: int) -> RouteState:
        """Forward-pass state after movable visit ``q`` (-1: after the frozen part + heading)."""
        if self.heading is not None:
            return self.base if q <= 0 else self.states[q - 1]
        return self.base if q < 0 else self.states[q]

    @property
    def job_ids(self) -> list[str]:
        return [j for j, _ in self.frozen] + [j for j, _ in self.movable]

    def starts(self) -> dict[str, int]:
        out = dict(self.frozen)
        if self.heading is not None:
            out[self.heading[0]] = self.heading[1]
        for (job_id, _), st in zip(self.suffix, self.states):
            out[job_id] = st.starts[-1][1]
        return out


def match_breaks(ctx: TechContext, taken: Sequence[tuple[int, int]]) -> int:
    """Bit i set: sorted break rule i (``ctx.breaks``) is matched by one of the ``taken`` intervals."""
    bits = 0
    for start, end in sorted(taken):
        for i, (earliest, latest, duration) in enumerate(ctx.breaks):
            if not (bits >> i) & 1 and earliest <= start <= latest and end - start == duration:
                bits |= 1 << i
                break
    return bits


def frozen_base(problem: Problem, ctx: TechContext, frozen: Sequence[tuple[str, int]],
                frozen_breaks: Sequence[tuple[int, int]], departure_s: int | None, now_s: int,
                durations: Mapping[str, int] | None = None) -> RouteState:
    """The forward-pass state after the frozen visits: position, availability, work, breaks.

    ``durations`` overrides job durations (to price an interruption before committing it).
    Untaken breaks whose latest start is before the availability are placed retroactively in
    the idle gap since the last frozen visit when possible (see the module doc).
    """
    matrix = problem.travel_matrix
    secs = matrix.seconds
    loc = ctx.start_idx
    work = travel = load = 0
    last_end: int | None = None
    for job_id, start in frozen:
        job = problem.job(job_id)
        duration = durations.get(job_id, job.duration_s) if durations else job.duration_s
        j = matrix.index(job.location)
        t = int(secs[loc, j])
        travel += t
        work += t + duration
        load += job.demand
        loc, last_end = j, start + duration
    taken = match_breaks(ctx, frozen_breaks)
    breaks = list(frozen_breaks)
    first_shift = ctx.shifts[0][0] if ctx.shifts else 0
    free = max(now_s, first_shift)
    gap_lo = first_shift if last_end is None else last_end
    if last_end is not None:
        free = max(free, last_end)
    for _, end in frozen_breaks:
        free = max(free, end)
        gap_lo = max(gap_lo, end)
    for _ in range(2):   # a retroactive break can push the availability past another rule
        for i, (earliest, latest, duration) in enumerate(ctx.breaks):
            if (taken >> i) & 1 or latest >= free:
                continue
            start = max(earliest, gap_lo)
            if start > latest:
                continue   # cannot be taken any more: no new work may make it owed
            breaks.append((start, start + duration))
            taken |= 1 << i
            gap_lo = start + duration
            free = max(free, start + duration)
    return_s = return_travel = None
    if last_end is not None:
        return_travel = int(secs[loc, ctx.end_idx])
        r = last_end if return_travel == 0 else ctx.fit(last_end, return_travel)
        return_s = (last_end if r is None else r) + return_travel
    return RouteState(loc=loc, free_s=free, work_s=work, travel_s=travel, n_jobs=len(frozen),
                      load=load, taken=taken, departure_s=departure_s if frozen else None,
                      starts=tuple(frozen), breaks=tuple(breaks), return_s=return_s,
                      return_travel_s=return_travel or 0)


def route_breaks(st: RouteState) -> tuple[tuple[int, int], ...]:
    """The breaks of a timed route: those before visits, and those taken before the trip home
    (not owed, but placed by the forward pass so that the route warm-starts OR-Tools)."""
    return st.breaks + tuple(getattr(st, "home_breaks", ()))


def route_of(problem: Problem, tp: TechPlan) -> Route:
    """The plan Route of a technician (frozen part + heading + timed suffix)."""
    if tp.suffix:
        st = tp.final
        return build_route(problem, tp.technician, st.starts, route_breaks(st), st.departure_s)
    starts = tp.frozen + ((tp.heading,) if tp.heading is not None else ())
    breaks = tp.frozen_breaks + (tp.heading_breaks if tp.heading is not None else ())
    if starts:
        return build_route(problem, tp.technician, starts, breaks, tp.departure_s)
    return Route(technician=tp.technician, breaks=tuple(BreakTaken(s, e) for s, e in tp.frozen_breaks))


# -- technician status ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TechnicianStatus:
    """What a technician is doing at ``at_s``.

    ``kind``: ``not_started`` (before its departure), ``travelling`` (to ``job``), ``waiting``
    (on site for ``job``'s start), ``working`` (on ``job`` since ``since_s`` until ``until_s``),
    ``on_break``, ``idle`` (no visit before the next shift / between jobs), ``returning``,
    ``done`` (back home), ``unavailable`` (from ``since_s``).
    """

    technician: str
    kind: str
    at_s: int
    job: str | None = None
    since_s: int | None = None
    until_s: int | None = None


# -- the state ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DispatchState:
    """The published plan plus "now" plus the frozen past (see the module doc).

    Build one with :meth:`start` (from a problem and a published plan); change it with
    :func:`dispatchopt.live.apply` (events) and :func:`dispatchopt.live.replan`.
    """

    problem: Problem
    plan: Plan
    now_s: int
    plans: Mapping[str, TechPlan]
    unassigned: Mapping[str, str]                       # job -> reason (every unplanned job)
    unavailable: Mapping[str, int] = field(default_factory=dict)   # technician -> from second
    history: tuple[str, ...] = ()                       # one line per applied event
    _contexts: Mapping[str, TechContext] = field(default_factory=dict, repr=False, compare=False)
    _buffer: Any = field(default=None, repr=False, compare=False)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def start(cls, problem: Problem, plan: Plan, now_s: int | None = None) -> "DispatchState":
        """The state of ``plan`` (published against ``problem``) at ``now_s`` (default: the
        horizon start). Visits starting before ``now_s`` are frozen; the rest is re-timed to
        its earliest schedule (never later than published for a feasible plan)."""
        from .insert import Workspace   # the workspace builds and re-times tech plans

        now_s = 0 if now_s is None else int(now_s)
        planned = plan.assigned_job_ids()
        listed = {u.job: u.reason for u in plan.unassigned}
        for job in problem.jobs:
            if job.id not in planned and job.id not in listed:
                raise EventError(f"plan: job {job.id} is neither planned nor listed as unassigned "
                                 f"(is the plan for scenario {problem.name!r}?)")
        for route in plan.routes:
            if not problem.has_technician(route.technician):
                raise EventError(f"plan: route for unknown technician {route.technician!r}")
            for visit in route.visits:
                if not problem.has_job(visit.job):
                    raise EventError(f"plan: technician {route.technician} visits unknown job {visit.job!r}")
        problem.travel_matrix   # build it once, here, not inside an update
        routes = {r.technician: r for r in plan.routes}
        contexts = {t.id: TechContext(problem, t) for t in problem.technicians}
        plans: dict[str, TechPlan] = {}
        for tech in problem.technicians:
            base = frozen_base(problem, contexts[tech.id], (), (), None, now_s)
            plans[tech.id] = TechPlan(tech.id, (), (), None, None, (), (), base, ())
        state = cls(problem=problem, plan=plan, now_s=now_s, plans=plans,
                    unassigned={j.id: listed[j.id] for j in problem.jobs if j.id in listed},
                    _contexts=contexts, _buffer=None)
        ws = Workspace(state, now_s, cause="re-timing at the start of live dispatch", freeze=False)
        for tech in problem.technicians:
            route = routes.get(tech.id) or Route(technician=tech.id)
            starts = tuple((v.job, v.start_s) for v in route.visits)
            breaks = tuple((b.start_s, b.end_s) for b in route.breaks)
            ws.plans[tech.id] = ws._split(plans[tech.id], starts, breaks, route.departure_s)
            ws.dirty.add(tech.id)
        ws.settle()
        ws.place_pending()
        new_state, _ = ws.finish(published=plan)
        return new_state

    # -- queries ---------------------------------------------------------------------------------
    def context(self, tech_id: str) -> TechContext:
        ctx = self._contexts.get(tech_id)
        tech = self.problem.technician(tech_id)
        if ctx is None or ctx.tech is not tech:
            ctx = TechContext(self.problem, tech)
        return ctx

    def job_status(self, job_id: str) -> str:
        """``done``, ``in_progress``, ``planned`` or ``unassigned`` (a reason in ``unassigned``)."""
        if not self.problem.has_job(job_id):
            raise EventError(f"unknown job {job_id!r}")
        if job_id in self.unassigned:
            return "unassigned"
        for tp in self.plans.values():
            for frozen_id, start in tp.frozen:
                if frozen_id == job_id:
                    end = start + self.problem.job(job_id).duration_s
                    return "done" if end <= self.now_s else "in_progress"
        return "planned"

    def in_hand(self, tech_id: str) -> tuple[str, int, int] | None:
        """(job, start, end) of the frozen visit the technician is working on at now, if any."""
        tp = self.plans[tech_id]
        if not tp.frozen:
            return None
        job_id, start = tp.frozen[-1]
        end = start + self.problem.job(job_id).duration_s
        return (job_id, start, end) if end > self.now_s else None

    def status(self, tech_id: str, at_s: int | None = None) -> TechnicianStatus:
        """What technician ``tech_id`` does at ``at_s`` (default now) according to the plan."""
        at = self.now_s if at_s is None else at_s
        if tech_id in self.unavailable and at >= self.unavailable[tech_id]:
            return TechnicianStatus(tech_id, "unavailable", at, since_s=self.unavailable[tech_id])
        route = self.plan.route(tech_id)
        if route is None or not route.visits:
            for b in (route.breaks if route else ()):
                if b.start_s <= at < b.end_s:
                    return TechnicianStatus(tech_id, "on_break", at, since_s=b.start_s, until_s=b.end_s)
            return TechnicianStatus(tech_id, "idle", at)
        for b in route.breaks:
            if b.start_s <= at < b.end_s:
                return TechnicianStatus(tech_id, "on_break", at, since_s=b.start_s, until_s=b.end_s)
        if route.departure_s is not None and at < route.departure_s:
            return TechnicianStatus(tech_id, "not_started", at, until_s=route.departure_s)
        prev_end = route.departure_s
        for v in route.visits:
            if v.start_s <= at < v.end_s:
                return TechnicianStatus(tech_id, "working", at, job=v.job, since_s=v.start_s, until_s=v.end_s)
            if at < v.arrival_s:
                return TechnicianStatus(tech_id, "travelling", at, job=v.job, since_s=prev_end,
                                        until_s=v.arrival_s)
            if at < v.start_s:
                return TechnicianStatus(tech_id, "waiting", at, job=v.job, since_s=v.arrival_s,
                                        until_s=v.start_s)
            prev_end = v.end_s
        if route.ret is not None and at < route.ret.arrival_s:
            return TechnicianStatus(tech_id, "returning", at, since_s=prev_end, until_s=route.ret.arrival_s)
        return TechnicianStatus(tech_id, "done", at, since_s=route.ret.arrival_s if route.ret else None)

    def statuses(self, at_s: int | None = None) -> list[TechnicianStatus]:
        return [self.status(t.id, at_s) for t in self.problem.technicians]

    def advance(self, now_s: int) -> "DispatchState":
        """The same plan seen at a later ``now_s``: visits and breaks started before it freeze."""
        from .insert import Workspace

        if now_s < self.now_s:
            raise EventError(f"time {self.problem.clock.to_iso(now_s)} is before the state's now "
                             f"{self.problem.clock.to_iso(self.now_s)}: events must come in time order")
        if now_s == self.now_s:
            return self
        ws = Workspace(self, now_s)
        ws.settle()
        new_state, _ = ws.finish(published=self.plan)
        return new_state


def make_plan(problem: Problem, routes: Sequence[Route], unassigned: Mapping[str, str], *,
              backend: str = BACKEND, wall_s: float | None = None, note: str | None = None) -> Plan:
    """A Plan of the whole problem: routes in technician order, unassigned in job order."""
    status = "feasible"
    dispatchable_unassigned = [j for j in unassigned if problem.job(j).dispatchable]
    if dispatchable_unassigned:
        status = "partial"
    from ..objective import plan_cost

    plan = Plan(scenario=problem.name, clock=problem.clock,
                solver=SolverInfo(backend=backend, time_limit_s=None, seed=0, status=status,
                                  objective=None, wall_s=wall_s),
                routes=tuple(routes),
                unassigned=tuple(Unassigned(j.id, unassigned[j.id]) for j in problem.jobs
                                 if j.id in unassigned))
    return replace(plan, solver=replace(plan.solver, objective=plan_cost(problem, plan)))
