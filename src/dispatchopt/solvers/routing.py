"""The OR-Tools routing backend: the ONLY module that imports ortools' routing library.

The model (one vehicle per technician, one node per job visit):

- time dimension (seconds, shifted by ``offset`` so that every cumul is >= 0): transit =
  service at the origin + travel; a node's cumul is the start of service. Vehicle start/end
  cumuls are bounded by the shifts (end: last shift end + allowed overtime, soft at the shift end).
- appointment windows and "not before received" are hard cumul ranges; SLA deadlines are soft
  upper bounds costing ``late_minute x category weight`` per minute.
- floating breaks are OR-Tools break intervals; the gap between two shifts of a technician is
  a fixed, unavoidable break interval, so no work falls into it.
- skills, levels, certificates, trainees and ``pinned_to`` become allowed-vehicle sets read from
  :mod:`dispatchopt.rules`; ``dispatchable: false`` jobs are never nodes.
- a job is optional through a disjunction whose penalty is ``unassigned x category weight``,
  so emergencies are dropped last.
- a crew job of size k is k nodes, on k different vehicles (AllDifferentExcept), all active or
  none, with equal start cumuls; copy 0 is the lead (never a trainee).
- ``max_jobs``, ``capacity``/``demand`` and ``max_work_minutes`` are dimensions with per-vehicle
  capacities; the workload-balance term is the global span of the work dimension.

The search starts from a construction that never fails (the greedy plan, or a previous plan for
a live re-plan) read in with ``RoutesToAssignment``, then runs guided local search
(:mod:`.routing_search`); the send rule: :func:`retime_for_send_rule`.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.constraint_solver import pywrapcp

from .. import rules
from ..domain import Job, Problem
from ..plan import Plan, SolverInfo, Unassigned
from ..timing import forward
from ..timing.schedule import build_route
from ..objective import plan_cost
from ..travel import matrix_of
from .base import Result, SolveStatus, Statistics, derive_status
from .greedy import solve_greedy
from .repair import repair_plan
from .pyvrp_backend import is_plain_routing
from .start import start_plan
from .routing_search import default_stall_s, search_parameters, stop_when_stalled
from .stopping import Stop, deadline_with, stopped

log = logging.getLogger("dispatchopt")

BACKEND = "ortools-routing"
_BIG = 10**12
DROPPED_REASON = "dropped for higher-priority work (not enough qualified technician time)"


@dataclass
class _Model:
    """The built model plus the index maps needed to read a solution back."""

    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time_dim: object
    offset: int
    scale: int
    node_job: list[str | None]                         # node -> job id (None for depots)
    node_copy: list[int]                               # node -> crew copy number
    job_nodes: dict[str, list[int]]                    # job id -> its copy nodes
    rule_breaks: dict[int, list[object]] = field(default_factory=dict)  # vehicle -> floating break intervals
    excluded: dict[str, str] = field(default_factory=dict)  # job id -> static reason


def _cost_scale(problem: Problem) -> int:
    """Cost units per second-weight: 1 when every weight is whole, else 100."""
    weights = [problem.objective.travel_minute, problem.objective.late_minute,
               problem.objective.unassigned, problem.objective.workload_balance,
               problem.objective.overtime_minute] + [s.weight for s in problem.sla.values()]
    return 1 if all(float(w).is_integer() for w in weights) else 100


def _allowed(problem: Problem, job: Job) -> list[list[int]]:
    """Allowed vehicle indices for each copy of ``job`` (copy 0 leads)."""
    v_of = {tech.id: v for v, tech in enumerate(problem.technicians)}
    lead_ids, member_ids = rules.eligibility(problem)[job.id]
    leads = [v_of[t] for t in lead_ids]
    members = [v_of[t] for t in member_ids]
    allowed = [list(leads)] + [list(members) for _ in range(job.crew_size - 1)]
    # Pins: the first pinned technician that can lead takes copy 0; the others fill copies 1...
    pins = [v_of[p] for p in job.pinned_to]
    lead_pins = [v for v in pins if v in leads]
    rest = list(pins)
    if lead_pins:
        allowed[0] = [lead_pins[0]]
        rest.remove(lead_pins[0])
    for copy, v in zip(range(1, job.crew_size), rest):
        allowed[copy] = [v]
    return allowed


def build_model(problem: Problem, *, previous: Mapping[str, Sequence[str]] | None = None,
                churn_penalty_min: float = 0.0,
                crew_starts: Mapping[str, int] | None = None,
                crew_reasons: Mapping[str, str] | None = None) -> _Model:
    """Build the routing model of ``problem`` (no search).

    ``previous`` maps job id -> the technicians it was published with; with
    ``churn_penalty_min`` > 0 every visit moved to another technician costs that many
    travel-minute units (the dispatcher has already told the customer and the crew).

    Crew jobs: OR-Tools times each route on its own, so a cross-route "same start" constraint
    cannot be kept by its cumul optimiser once crews interlock. The construction therefore
    decides each crew's common start (``crew_starts``: job id -> start) and the model fixes the
    copies there, optimising every route around them; a crew job without a start is not a
    node (it keeps ``crew_reasons[job]``): local search cannot staff k routes in one move.
    """
    matrix = matrix_of(problem)
    techs = problem.technicians
    n_veh = len(techs)
    scale = _cost_scale(problem)
    crew_starts = crew_starts or {}
    planned_jobs, excluded = _split_jobs(problem, crew_starts, crew_reasons or {})
    offset = max(0, -min([t.shift_start_s for t in techs] + [0]))
    horizon = max([t.shift_end_s + t.max_overtime_s for t in techs] + [problem.end_s]) + offset
    node_loc, node_job, node_copy, service, job_nodes = _nodes(problem, planned_jobs)
    locs = np.asarray(node_loc, dtype=np.int64)
    travel = matrix.seconds[np.ix_(locs, locs)].astype(np.int64)
    service_arr = np.asarray(service, dtype=np.int64)

    manager = pywrapcp.RoutingIndexManager(len(node_loc), n_veh, [2 * v for v in range(n_veh)],
                                           [2 * v + 1 for v in range(n_veh)])
    routing = pywrapcp.RoutingModel(manager)
    # Arc cost: travel only (per second x travel weight).
    travel_cost = np.rint(travel * problem.objective.travel_minute * scale).astype(np.int64)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(travel_cost.tolist()))
    # Time: service at origin + travel.
    time_cb = routing.RegisterTransitMatrix((service_arr[:, None] + travel).tolist())
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    model = _Model(manager=manager, routing=routing, time_dim=routing.GetDimensionOrDie("time"),
                   offset=offset, scale=scale, node_job=node_job, node_copy=node_copy, job_nodes=job_nodes,
                   excluded=excluded)
    _add_times(problem, model, planned_jobs, crew_starts, horizon)
    _add_breaks(problem, model, service)
    _add_limits(problem, model, planned_jobs, time_cb, horizon)
    if previous and churn_penalty_min > 0:
        _add_churn(problem, model, previous, churn_penalty_min)
    _add_visits(problem, model, planned_jobs)
    return model


def _split_jobs(problem: Problem, crew_starts: Mapping[str, int], crew_reasons: Mapping[str, str]
                ) -> tuple[list[Job], dict[str, str]]:
    """(jobs that become nodes, job -> reason for those that can never be planned here)."""
    excluded: dict[str, str] = {}
    planned_jobs: list[Job] = []
    for job in problem.jobs:
        reason = rules.static_unassigned_reason(problem, job)
        if reason is None and job.crew_size > 1 and job.id not in crew_starts:
            reason = crew_reasons.get(job.id) or f"crew of {job.crew_size} could not be formed at a common time"
        if reason is None:
            planned_jobs.append(job)
        else:
            excluded[job.id] = reason
    return planned_jobs, excluded


def _nodes(problem: Problem, planned_jobs: Sequence[Job]):
    """Nodes: 2 per vehicle (start, end), then one per job copy: (matrix index, job id, copy
    number, service seconds) per node, and job id -> its copy nodes."""
    matrix = matrix_of(problem)
    node_loc: list[int] = []
    node_job: list[str | None] = []
    node_copy: list[int] = []
    service: list[int] = []
    for tech in problem.technicians:
        node_loc += [matrix.index(tech.start), matrix.index(tech.end)]
        node_job += [None, None]
        node_copy += [0, 0]
        service += [0, 0]
    job_nodes: dict[str, list[int]] = {}
    for job in planned_jobs:
        job_nodes[job.id] = []
        for copy in range(job.crew_size):
            job_nodes[job.id].append(len(node_loc))
            node_loc.append(matrix.index(job.location))
            node_job.append(job.id)
            node_copy.append(copy)
            service.append(job.duration_s)
    return node_loc, node_job, node_copy, service, job_nodes


def _add_times(problem: Problem, model: _Model, planned_jobs: Sequence[Job], crew_starts: Mapping[str, int],
               horizon: int) -> None:
    """Shifts (+ soft overtime) on the vehicles; windows, received and soft SLA due on the visits."""
    routing, time_dim, offset, scale, obj = model.routing, model.time_dim, model.offset, model.scale, problem.objective
    for v, tech in enumerate(problem.technicians):
        start_var = time_dim.CumulVar(routing.Start(v))
        end_var = time_dim.CumulVar(routing.End(v))
        start_var.SetRange(tech.shift_start_s + offset, tech.shift_end_s + offset)
        end_var.SetRange(tech.shift_start_s + offset, tech.shift_end_s + tech.max_overtime_s + offset)
        if tech.max_overtime_s > 0 and obj.overtime_minute > 0:
            time_dim.SetCumulVarSoftUpperBound(routing.End(v), tech.shift_end_s + offset,
                                               int(round(obj.overtime_minute * scale)))
        routing.AddVariableMaximizedByFinalizer(start_var)
        routing.AddVariableMinimizedByFinalizer(end_var)
    min_in = _min_travel_in(problem, planned_jobs)
    for job in planned_jobs:
        earliest = max(0, rules.earliest_start_s(job) + offset)
        latest = min(horizon, rules.latest_start_in_horizon_s(problem, job) + offset)
        send = rules.earliest_send_s(problem, job)
        if send is not None:            # a relaxation of "set off no earlier than received"
            earliest = min(latest, max(earliest, send + min_in[job.id] + offset))
        late_coeff = int(round(obj.late_minute * problem.weight(job) * scale))
        if job.id in crew_starts:
            earliest = latest = crew_starts[job.id] + offset
        for node in model.job_nodes[job.id]:
            index = model.manager.NodeToIndex(node)
            time_dim.CumulVar(index).SetRange(earliest, latest)
            due = max(0, job.due_s + offset)
            if late_coeff > 0 and due < latest:
                time_dim.SetCumulVarSoftUpperBound(index, due, late_coeff)


def _min_travel_in(problem: Problem, planned_jobs: Sequence[Job]) -> dict[str, int]:
    """job id -> the shortest trip into it from a start or another job's place: unless the problem
    anticipates jobs nobody starts it before ``received + that`` (a relaxation of the exact rule,
    which depends on the predecessor: see :func:`retime_for_send_rule`)."""
    if not planned_jobs:
        return {}
    matrix = matrix_of(problem)
    job_locs = [matrix.index(job.location) for job in planned_jobs]
    starts = sorted({matrix.index(t.start) for t in problem.technicians})
    into = matrix.seconds[np.ix_(starts + job_locs, job_locs)].astype(np.int64)
    n_start = len(starts)
    others = into[n_start:].copy()
    np.fill_diagonal(others, np.iinfo(np.int64).max)     # a job never precedes itself
    best = np.minimum(into[:n_start].min(axis=0), others.min(axis=0))
    return {job.id: int(best[k]) for k, job in enumerate(planned_jobs)}


def _add_breaks(problem: Problem, model: _Model, service: Sequence[int]) -> None:
    """Floating rule breaks (kept in ``model.rule_breaks``) + fixed gaps between shifts."""
    routing, time_dim, offset, solver = model.routing, model.time_dim, model.offset, model.routing.solver()
    visit_transit = [int(service[model.manager.IndexToNode(i)]) for i in range(routing.Size())]
    for v, tech in enumerate(problem.technicians):
        intervals = []
        for b, rule in enumerate(tech.breaks):
            iv = solver.FixedDurationIntervalVar(rule.earliest_s + offset, rule.latest_s + offset,
                                                 rule.duration_s, False, f"break_{v}_{b}")
            intervals.append(iv)
        model.rule_breaks[v] = list(intervals)
        for g, (a, b) in enumerate(zip(tech.shifts, tech.shifts[1:])):
            iv = solver.FixedDurationIntervalVar(a.end_s + offset, a.end_s + offset,
                                                 b.start_s - a.end_s, False, f"gap_{v}_{g}")
            intervals.append(iv)
            # OR-Tools lets a break lie before the route start or after its end: the route
            # itself must not start or end inside the gap between two shifts.
            if b.start_s - a.end_s > 1:
                time_dim.CumulVar(routing.Start(v)).RemoveInterval(a.end_s + offset, b.start_s + offset - 1)
                time_dim.CumulVar(routing.End(v)).RemoveInterval(a.end_s + offset + 1, b.start_s + offset - 1)
        if intervals:
            time_dim.SetBreakIntervalsOfVehicle(intervals, v, visit_transit)


def _add_limits(problem: Problem, model: _Model, planned_jobs: Sequence[Job], time_cb: int, horizon: int) -> None:
    """Work = service + travel (waiting and breaks excluded) for max_work_minutes and balance;
    max_jobs; capacity / demand."""
    routing, techs, node_job, obj = model.routing, problem.technicians, model.node_job, problem.objective
    if any(t.max_work_s is not None for t in techs) or obj.workload_balance > 0:
        caps = [t.max_work_s if t.max_work_s is not None else horizon for t in techs]
        history = [t.history_s if obj.workload_balance > 0 else 0 for t in techs]
        routing.AddDimensionWithVehicleCapacity(time_cb, 0, [c + h for c, h in zip(caps, history)],
                                                not any(history), "work")
        for v, h in enumerate(history):     # the balance counts a person's earlier work (history_s)
            if any(history):
                routing.GetDimensionOrDie("work").CumulVar(routing.Start(v)).SetValue(h)
        if obj.workload_balance > 0:
            routing.GetDimensionOrDie("work").SetGlobalSpanCostCoefficient(
                int(round(obj.workload_balance * model.scale)))
    if any(t.max_jobs is not None for t in techs):
        count_cb = routing.RegisterUnaryTransitVector([0 if j is None else 1 for j in node_job])
        caps = [t.max_jobs if t.max_jobs is not None else len(node_job) for t in techs]
        routing.AddDimensionWithVehicleCapacity(count_cb, 0, caps, True, "jobs")
    if any(t.capacity > 0 for t in techs) and any(j.demand for j in planned_jobs):
        demand = [0 if j is None else problem.job(j).demand for j in node_job]
        demand_cb = routing.RegisterUnaryTransitVector(demand)
        caps = [t.capacity if t.capacity > 0 else sum(demand) + 1 for t in techs]
        routing.AddDimensionWithVehicleCapacity(demand_cb, 0, caps, True, "demand")


def _add_churn(problem: Problem, model: _Model, previous: Mapping[str, Sequence[str]],
               churn_penalty_min: float) -> None:
    """A per-vehicle count of visits taken from another technician, priced by its span."""
    routing, node_job, n_veh = model.routing, model.node_job, len(problem.technicians)
    churn_cbs = []
    for tech in problem.technicians:
        moved = [0 if j is None or j not in previous or tech.id in previous[j] else 1 for j in node_job]
        churn_cbs.append(routing.RegisterUnaryTransitVector(moved))
    routing.AddDimensionWithVehicleTransitAndCapacity(churn_cbs, 0, [len(node_job)] * n_veh, True, "churn")
    churn_dim = routing.GetDimensionOrDie("churn")
    coeff = int(round(churn_penalty_min * 60 * model.scale))
    for v in range(n_veh):
        churn_dim.SetSpanCostCoefficientForVehicle(coeff, v)


def _add_visits(problem: Problem, model: _Model, planned_jobs: Sequence[Job]) -> None:
    """Who may do what, optional visits (penalty = unassigned x weight), crews."""
    routing, manager, solver = model.routing, model.manager, model.routing.solver()
    for job in planned_jobs:
        nodes = model.job_nodes[job.id]
        indices = [manager.NodeToIndex(n) for n in nodes]
        penalty = int(round(problem.objective.unassigned * problem.weight(job) * 60 * model.scale))
        penalty = max(1, penalty // len(nodes))
        for index, allowed in zip(indices, _allowed(problem, job)):
            # (SetAllowedVehiclesForIndex's Python binding rejects lists in ortools 9.15.)
            routing.VehicleVar(index).SetValues([-1] + allowed)
            routing.AddDisjunction([index], penalty)
        if len(indices) > 1:
            head = indices[0]
            for other in indices[1:]:
                solver.Add(routing.ActiveVar(head) == routing.ActiveVar(other))
                solver.Add(model.time_dim.CumulVar(head) == model.time_dim.CumulVar(other))
            solver.Add(solver.AllDifferentExcept([routing.VehicleVar(i) for i in indices], -1))


def _routes_from_plan(problem: Problem, model: _Model, plan: Plan) -> list[list[int]]:
    """Node sequences per vehicle for ``plan`` (crew copies matched to their allowed sets)."""
    v_of = {tech.id: v for v, tech in enumerate(problem.technicians)}
    copy_of: dict[tuple[str, str], int] = {}
    crews: dict[str, list[str]] = {}
    for route in plan.routes:
        for visit in route.visits:
            crews.setdefault(visit.job, []).append(route.technician)
    for job_id, nodes in model.job_nodes.items():
        members = crews.get(job_id, [])
        if not members:
            continue
        if len(members) != len(nodes):
            continue
        allowed = _allowed(problem, problem.job(job_id))
        for perm in itertools.permutations(members):
            if all(v_of[t] in allowed[c] for c, t in enumerate(perm)):
                copy_of.update({(job_id, t): c for c, t in enumerate(perm)})
                break
    routes: list[list[int]] = [[] for _ in problem.technicians]
    for route in plan.routes:
        if route.technician not in v_of:
            continue
        v = v_of[route.technician]
        for visit in route.visits:
            key = (visit.job, route.technician)
            if key in copy_of:
                routes[v].append(model.manager.NodeToIndex(model.job_nodes[visit.job][copy_of[key]]))
    return routes


def _plan_from_solution(problem: Problem, model: _Model, solution, info: SolverInfo) -> Plan:
    routing, manager, time_dim, off = model.routing, model.manager, model.time_dim, model.offset
    break_values: dict[str, tuple[int, int, bool]] = {}
    intervals = solution.IntervalVarContainer()
    for i in range(intervals.Size()):
        element = intervals.Element(i)
        break_values[element.Var().Name()] = (element.StartValue(), element.DurationValue(),
                                              bool(element.PerformedValue()))
    routes = []
    served: set[str] = set()
    for v, tech in enumerate(problem.technicians):
        index = routing.Start(v)
        departure = solution.Value(time_dim.CumulVar(index)) - off
        starts = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            job_id = model.node_job[manager.IndexToNode(index)]
            starts.append((job_id, solution.Value(time_dim.CumulVar(index)) - off))
            served.add(job_id)
            index = solution.Value(routing.NextVar(index))
        end_time = solution.Value(time_dim.CumulVar(index)) - off
        breaks = []
        for iv in model.rule_breaks.get(v, []):
            start, duration, performed = break_values.get(iv.Name(), (0, 0, False))
            start -= off
            if performed and starts and start < end_time:
                breaks.append((start, start + duration))
        route = build_route(problem, tech.id, starts, breaks, departure_s=departure if starts else None)
        routes.append(route)
    unassigned = []
    for job in problem.jobs:
        if job.id in served:
            continue
        reason = model.excluded.get(job.id, DROPPED_REASON)
        unassigned.append(Unassigned(job.id, reason))
    return Plan(scenario=problem.name, clock=problem.clock, solver=info, routes=tuple(routes),
                unassigned=tuple(unassigned))


def _breaks_send_rule(problem: Problem, route) -> bool:
    """Whether ``route`` may set off towards a job before it was received: a job received after
    the previous end whose trip starts earlier, or whose start the forward pass cannot keep."""
    if problem.anticipate_jobs or not route.visits:
        return False
    ends = [route.departure_s if route.departure_s is not None else -1] + [v.end_s for v in route.visits[:-1]]
    if not any(problem.job(v.job).received_s > end for v, end in zip(route.visits, ends)):
        return False
    if any(v.sent_s is not None and v.sent_s < problem.job(v.job).received_s for v in route.visits):
        return True
    return forward.route_failure(problem, route.technician, [(v.job, v.start_s) for v in route.visits]) is not None


def retime_for_send_rule(problem: Problem, plan: Plan) -> Plan:
    """``plan`` with every route that sets off towards a job before it was received (OR-Tools
    only knows the relaxation of :func:`_min_travel_in`) re-timed by the one forward pass
    (:func:`dispatchopt.timing.forward.schedule_route`, earliest starts, crew starts kept). A
    visit that then fits nowhere in its route (a window or the shift end passed) is dropped with
    the reason, a crew job from every member's route; the repair may place it again."""
    if problem.anticipate_jobs or not any(_breaks_send_rule(problem, r) for r in plan.routes):
        return plan
    routes = {r.technician: r for r in plan.routes}
    items = {r.technician: [(v.job, v.start_s if problem.job(v.job).crew_size > 1 else None) for v in r.visits]
             for r in plan.routes if _breaks_send_rule(problem, r)}
    dropped: dict[str, str] = {}
    while items:
        todo, items = items, {}
        for tid, seq in todo.items():
            seq = [it for it in seq if it[0] not in dropped]
            failure = forward.route_failure(problem, tid, seq)
            while failure is not None:
                pos, code = failure
                dropped[seq[pos][0]] = (f"OR-Tools' order for {tid} does not fit once nobody sets off before a "
                                        f"job is received ({code}); dropped")
                seq = seq[:pos] + seq[pos + 1:]
                failure = forward.route_failure(problem, tid, seq)
            routes[tid] = forward.schedule_route(problem, tid, seq).to_route(problem)
        for tid, route in routes.items():     # a crew job dropped on one route leaves all of them
            if any(v.job in dropped for v in route.visits):
                items[tid] = [(v.job, v.start_s if problem.job(v.job).crew_size > 1 else None)
                              for v in route.visits]
    unassigned = plan.unassigned + tuple(Unassigned(j, why) for j, why in dropped.items())
    return replace(plan, routes=tuple(routes[r.technician] for r in plan.routes), unassigned=unassigned)


def _start_of(problem: Problem, initial: Plan):
    """(job -> technicians, crew job -> common start, job -> reason) of the start plan."""
    previous: dict[str, list[str]] = {}
    for route in initial.routes:
        for visit in route.visits:
            previous.setdefault(visit.job, []).append(route.technician)
    crew_starts = {}
    for job_id in previous:
        job = problem.job(job_id)
        visits = initial.visits_of(job_id)
        if job.crew_size > 1 and len(visits) == job.crew_size and len({v.start_s for _, v in visits}) == 1:
            crew_starts[job_id] = visits[0][1].start_s
    return previous, crew_starts, {u.job: u.reason for u in initial.unassigned}


def _search(problem: Problem, model: _Model, initial: Plan, params, track: dict | None, give_up_s: float,
            scratch: bool = True, stop: Stop | None = None):
    """(solution or None, warm start accepted): from ``initial``, else (``scratch``) from
    scratch until ``give_up_s`` (a perf_counter value)."""
    routing = model.routing
    # RoutesToAssignment only sets the routes (ReadAssignmentFromRoutes would run a CP search
    # of its own, bounded by the same time limit: measured to double the wall time).
    start_assignment = routing.solver().Assignment()
    if not routing.RoutesToAssignment(_routes_from_plan(problem, model, initial), True, True,
                                      start_assignment):
        start_assignment = None
    solution = None
    if track is not None:
        track["last_s"] = track["t0_s"] = time.perf_counter()
    if start_assignment is None:
        log.warning("routing: the start plan does not fit the routing model (RoutesToAssignment)")
    else:
        solution = routing.SolveFromAssignmentWithParameters(start_assignment, params)
        if solution is None:
            log.warning("routing: the search from the start plan returned nothing (status %s)", routing.status())
    if solution is None and scratch and not stopped(stop):
        log.warning("routing: searching from scratch")
        left = give_up_s - time.perf_counter()
        if left > 0.2:
            params.time_limit.FromMilliseconds(int(left * 1000))
            if track is not None:
                track["last_s"] = track["t0_s"] = time.perf_counter()
            solution = routing.SolveWithParameters(params)
    return solution, start_assignment is not None


def quick_start(problem: Problem) -> bool:
    """Whether the search starts from the greedy plan + repair alone, without the regret
    construction: on plain routing (:func:`.pyvrp_backend.is_plain_routing`: one shift, no
    breaks, crews, skills or soft deadlines). Measured on Solomon 100-customer instances (loaded
    machine): the greedy takes 0.07-0.13 s, the construction 1.8-6.6 s, so within its 15 % share
    of a 10 s limit it never finished and the start was the greedy anyway, 1.5 s later; run to
    its end it was no better a start (R211 1110 against the greedy's 2042, but GLS from the
    greedy plan ended lower). OR-Tools' own first solutions (PARALLEL_CHEAPEST_INSERTION,
    SAVINGS) gave GLS worse ends than the greedy plan: mean gap 9.4 / 8.4 % against 6.0 %.
    (Breaks, split shifts and crews answer False at once, without the full test.)"""
    if any(t.breaks or len(t.shifts) != 1 for t in problem.technicians) or any(j.crew_size > 1 for j in problem.jobs):
        return False
    return is_plain_routing(problem)


def _serves_all(problem: Problem, plan: Plan) -> bool:
    """Whether ``plan`` leaves out only jobs nobody could ever serve (the insertion LNS operators
    overran the time limit twofold on plans with unperformed visits, see :func:`_tune_operators`)."""
    return all(not problem.job(u.job).dispatchable or rules.static_unassigned_reason(problem, problem.job(u.job))
               for u in plan.unassigned)


def never_worth_dropping(problem: Problem) -> bool:
    """Whether leaving any job out costs more than twice the dearest trip (all the travel its
    removal could save), in the model's units (see :func:`build_model`)."""
    jobs = [j for j in problem.jobs if j.dispatchable]
    if not jobs or problem.objective.travel_minute <= 0:
        return bool(jobs)
    longest = int(matrix_of(problem).seconds.max())
    cheapest = min(problem.objective.unassigned * problem.weight(j) * 60 for j in jobs)
    return cheapest > 2 * longest * problem.objective.travel_minute


def solve_routing(problem: Problem, *, time_limit_s: float = 30.0, seed: int = 0,
                  initial: Plan | None = None, solution_limit: int | None = None,
                  churn_penalty_min: float = 0.0, stall_s: float | None = None,
                  lns_time_limit_s: float = 1.0, disable_scheduling: bool = False,
                  scratch_fallback: bool = True, stop: Stop | None = None) -> Result:
    """Plan ``problem`` with OR-Tools routing, warm-started from ``initial`` or the construction
    (:func:`.start.start_plan`: the cheaper of the regret construction and greedy + repair).

    ``time_limit_s`` bounds the whole call (model build + search + read-back).
    ``solution_limit`` stops the search after that many solutions: with it (and not the clock)
    the outcome is the same on every run. ``seed`` is recorded, and passed to the greedy start.
    ``stall_s``: the search stops when no better solution came for that long AND for as long
    as it took to find the last one (default :func:`default_stall_s`; ignored with
    ``solution_limit``). See :func:`search_parameters` for
    ``lns_time_limit_s`` and ``disable_scheduling``. ``scratch_fallback=False``: when the warm
    start is refused, return ``initial`` (status FALLBACK) instead of searching from scratch.
    ``stop``: once it returns true, construction and search end and the best plan so far comes
    back (``stats.extra["stopped"]``) within tens of milliseconds plus the read-back. Never raises for an outcome: a model that finds nothing returns the greedy plan, status FALLBACK.
    """
    t0 = time.perf_counter()
    deadline = deadline_with(t0 + time_limit_s * 0.97, stop)
    quick = quick_start(problem)
    if initial is None and quick:
        initial = repair_plan(problem, solve_greedy(problem, seed=seed).plan, deadline_s=deadline)
    elif initial is None:
        initial = start_plan(problem, seed=seed,
                             deadline=deadline_with(None if solution_limit else t0 + time_limit_s * 0.15, stop))
    previous, crew_starts, crew_reasons = _start_of(problem, initial)
    model = build_model(problem, previous=previous, churn_penalty_min=churn_penalty_min,
                        crew_starts=crew_starts, crew_reasons=crew_reasons)
    build_s = time.perf_counter() - t0
    # Leave room for reading the solution back and the route timing.
    search_s = max(0.1, time_limit_s * 0.92 - build_s - 0.05 - 0.002 * len(problem.jobs))
    params = search_parameters(search_s=search_s, solution_limit=solution_limit,
                               lns_time_limit_s=lns_time_limit_s, disable_scheduling=disable_scheduling,
                               plain=quick and _serves_all(problem, initial),
                               keep_all=quick and never_worth_dropping(problem))
    model.routing.CloseModelWithParameters(params)
    track = None
    if solution_limit is None:
        track = stop_when_stalled(model.routing, stall_s if stall_s is not None else default_stall_s(problem, time_limit_s),
                                   stop)
    elif stop is not None:
        track = stop_when_stalled(model.routing, None, stop)
    t_search = time.perf_counter()
    solution, warm = (None, False) if stopped(stop) else \
        _search(problem, model, initial, params, track, t0 + time_limit_s * 0.92, scratch=scratch_fallback, stop=stop)
    search_end = time.perf_counter()
    log.info("routing: build %.2f s, search %.2f s (limit %.2f s), warm start %s", build_s,
             search_end - t_search, search_s, warm)
    if solution is None:
        wall = time.perf_counter() - t0
        log.warning("OR-Tools found no solution in %.1f s; returning the initial plan", wall)
        info = SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=seed,
                          status=SolveStatus.FALLBACK.value, objective=None, wall_s=wall)
        plan = Plan(scenario=initial.scenario, clock=initial.clock, solver=info,
                    routes=initial.routes, unassigned=initial.unassigned)
        return Result(plan, SolveStatus.FALLBACK, Statistics(wall_s=wall, extra={"stopped": stopped(stop)}))
    info = SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=seed, status="")
    plan = retime_for_send_rule(problem, _plan_from_solution(problem, model, solution, info))
    plan = repair_plan(problem, plan, deadline_s=deadline)
    objective = plan_cost(problem, plan)
    # The start plan is feasible too: never return worse (a search that lost the warm start,
    # e.g. when restoring it did not finish under load, can end far from it).
    start_cost = plan_cost(problem, initial)
    if start_cost < objective:
        log.warning("routing: the search ended worse than its start plan (%.1f > %.1f); "
                    "returning the start plan", objective, start_cost)
        plan, objective = replace(initial, solver=info), start_cost
    status = derive_status(problem, [u.job for u in plan.unassigned])
    wall = time.perf_counter() - t0
    info = SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=seed, status=status.value,
                      objective=round(objective, 3), wall_s=wall)
    plan = replace(plan, solver=info)
    extra = {"build_s": build_s, "search_s": search_end - t_search, "warm_start": warm,
             "stopped": stopped(stop) or bool(track and track["stopped"])}
    if track is not None:
        extra.update(solutions=track["solutions"], improvements=track["improvements"],
                     last_improvement_s=max(0.0, track["last_s"] - t_search))
    return Result(plan, status, Statistics(wall_s=wall, objective=objective, extra=extra))
