"""PyVRP backend for plain-routing problems (optional extra: ``pip install pyvrp``).

A problem is *plain routing* when it is a vehicle routing problem with time windows and
capacities and nothing more, so that PyVRP's model states it exactly:

- every technician has exactly one shift, no breaks, no ``max_jobs``, no ``max_work_s`` and no
  overtime allowance (``max_overtime_s == 0``);
- every dispatchable job has ``crew_size == 1``, no ``pinned_to``, and every technician
  ``can_lead`` it (so skills, certificates and trainees restrict nothing);
- no soft deadline bites: ``objective.late_minute x weight == 0``, or every job's SLA ``due_s`` is
  at or after the latest start the hard rules allow (its window end, else the latest shift end;
  never after the horizon end), so no feasible plan can be late;
- ``objective.workload_balance == 0``;
- unless ``anticipate_jobs``, no dispatchable job is received after the earliest shift start
  (PyVRP cannot state "nobody sets off towards a job before it was received").

Jobs that are not dispatchable are allowed (they are listed as unassigned with their reason).
Earliest starts (received time and window start), window ends, service durations, demands,
capacities (0 = unlimited), per-technician start/end locations and shift bounds are all mapped.

Mapping. Times are int seconds shifted so the earliest shift start is 0. PyVRP's distance and
duration matrices are both the problem's travel seconds, so PyVRP minimises total travel time,
which is the plan objective's travel term (``travel_minute`` per minute). Technicians with the
same start, end, shift and capacity form one vehicle type. Jobs no technician could serve even
alone (window unreachable, demand over every capacity) are left out up front with a reason.

Search, within ``time_limit_s``: first every job is *required* (PyVRP iterates about twice as
fast so). If no solution serving all of them shows up within a quarter of the budget (too few
technicians), the rest of the budget goes to a second run where each job is optional with a
prize equal to its unassigned cost (``objective.unassigned x weight``) in travel seconds, so
PyVRP trades travel against dropped jobs as the objective does. The prize is capped at
(2 x the longest leg + 1) x weight / lightest weight: enough to make dropping a job never pay
for the travel it saves, while not so large that PyVRP prefers time warp (an infeasible route)
to losing a prize.

Back from PyVRP, each route is re-timed by the one forward pass
(:mod:`dispatchopt.timing.forward`: earliest starts, start = max(arrival, earliest start)) and
turned into a plan route. The pass re-checks window ends, capacity and the
return by the shift end; a visit that breaks one (only possible when PyVRP's best solution is
infeasible) is dropped to ``unassigned`` with the reason, so the plan never breaks a hard rule.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence

from .. import rules
from ..domain import Job, Problem, Technician
from ..errors import SolverError
from ..plan import Plan, SolverInfo, Unassigned
from ..timing import forward
from ..travel import matrix_of
from .base import Result, Statistics, derive_status
from .stopping import Stop, stopped

log = logging.getLogger("dispatchopt")

BACKEND = "pyvrp"
_MAX_SHOWN = 8


def plain_routing_issues(problem: Problem) -> list[str]:
    """Why ``problem`` is not plain routing (see the module docstring); empty when it is."""
    issues: list[str] = []
    for tech in problem.technicians:
        where = f"technician '{tech.id}'"
        if len(tech.shifts) != 1:
            issues.append(f"{where}: {len(tech.shifts)} shifts (plain routing needs exactly 1)")
        if tech.breaks:
            issues.append(f"{where}: has {len(tech.breaks)} break rule(s)")
        if tech.max_jobs is not None:
            issues.append(f"{where}: max_jobs {tech.max_jobs}")
        if tech.max_work_s is not None:
            issues.append(f"{where}: max_work_s {tech.max_work_s}")
        if tech.max_overtime_s:
            issues.append(f"{where}: max_overtime_s {tech.max_overtime_s}")
    if not problem.anticipate_jobs:
        first_start = min((t.shift_start_s for t in problem.technicians), default=0)
        late_news = [job.id for job in problem.jobs if job.dispatchable and job.received_s > first_start]
        if late_news:
            issues.append(f"job(s) {late_news[:3]}{'...' if len(late_news) > 3 else ''} received after the first "
                          f"shift start, and nobody may set off before a job is received (anticipate_jobs false)")
    objective = problem.objective
    if objective.workload_balance:
        issues.append(f"objective.workload_balance {objective.workload_balance} (plain routing needs 0)")
    latest_shift_end = max((t.shift_end_s for t in problem.technicians), default=problem.end_s)
    for job in problem.jobs:
        if not job.dispatchable:
            continue
        where = f"job '{job.id}'"
        if job.crew_size != 1:
            issues.append(f"{where}: crew_size {job.crew_size}")
        if job.pinned_to:
            issues.append(f"{where}: pinned_to {list(job.pinned_to)}")
        barred = [t.id for t in problem.technicians if not rules.can_lead(problem, t, job)]
        if barred:
            issues.append(f"{where}: technician(s) {barred[:3]}{'...' if len(barred) > 3 else ''} "
                          f"may not do it (skills, certificates or trainee)")
        if objective.late_minute * problem.weight(job) > 0:
            latest = rules.latest_start_s(job)
            latest = min(latest_shift_end if latest is None else latest, problem.end_s)
            if job.due_s < latest:
                issues.append(f"{where}: SLA due {job.due_s} s is before its latest start {latest} s "
                              f"and lateness costs {objective.late_minute}/min")
    return issues


def is_plain_routing(problem: Problem) -> bool:
    """True when :func:`solve_pyvrp` can solve ``problem`` exactly (see the module docstring)."""
    return not plain_routing_issues(problem)


def solve_pyvrp(problem: Problem, *, time_limit_s: float, seed: int = 0, stop: Stop | None = None) -> Result:
    """Solve a plain-routing ``problem`` with PyVRP's iterated local search.

    Parameters
    ----------
    problem
        A problem for which :func:`is_plain_routing` holds.
    time_limit_s
        Wall-clock budget in seconds for the whole call (model building included).
    seed
        PyVRP's random seed. The search stops on the wall clock, so the plan may differ
        between runs with the same seed on a busy machine.
    stop
        A function of no argument; once it returns true (asked once per iteration) PyVRP hands
        back its best solution so far (``stats.extra["stopped"]``).

    Raises
    ------
    SolverError
        When pyvrp is not installed, ``time_limit_s`` is not positive, or the problem is not
        plain routing (the message lists why).
    """
    started = time.perf_counter()
    try:
        import pyvrp
    except ImportError as exc:
        raise SolverError("backend 'pyvrp' needs the optional package pyvrp, which is not installed "
                          f"({exc}); install it with: pip install 'dispatchopt[bench]'") from None
    if not time_limit_s > 0:
        raise SolverError(f"solve_pyvrp: time_limit_s must be > 0, got {time_limit_s!r}")
    issues = plain_routing_issues(problem)
    if issues:
        shown = "; ".join(issues[:_MAX_SHOWN])
        more = f"; and {len(issues) - _MAX_SHOWN} more" if len(issues) > _MAX_SHOWN else ""
        raise SolverError(f"problem '{problem.name}' is not plain routing, use another backend: {shown}{more}")

    unassigned = _left_out(problem)
    jobs = [job for job in problem.jobs if job.id not in unassigned]
    type_techs = _vehicle_types(problem)

    routes_by_tech: dict[str, list[str]] = {}
    iterations = None
    phases: list[str] = []
    pyvrp_cost = None
    pyvrp_feasible = None
    if jobs:
        best, iterations, phases = _search(pyvrp, problem, jobs, type_techs, seed=seed,
                                           budget_s=time_limit_s - (time.perf_counter() - started), stop=stop)
        pyvrp_feasible = bool(best.is_feasible())
        pyvrp_cost = float(best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()
                           + best.uncollected_prizes())
        if not pyvrp_feasible:
            log.warning("pyvrp: %s: best solution is infeasible; offending visits are dropped", problem.name)
        free = [list(techs) for techs in type_techs]
        for route in best.routes():
            tech = free[route.vehicle_type()].pop(0)
            routes_by_tech[tech.id] = [jobs[a.idx].id for a in route if a.is_client()]
        planned = {job_id for seq in routes_by_tech.values() for job_id in seq}
        for job in jobs:
            if job.id not in planned:
                unassigned[job.id] = ("left out by PyVRP: no place for it in any route within the time "
                                      "limit (or serving it costs more travel than its unassigned cost)")

    routes = _routes_back(problem, routes_by_tech, unassigned)
    travel_s = sum(v.travel_s for r in routes for v in r.visits) + sum(r.ret.travel_s for r in routes if r.ret)
    dispatchable_left = [problem.job(j) for j in unassigned if problem.job(j).dispatchable]
    objective = (problem.objective.travel_minute * travel_s / 60
                 + sum(problem.objective.unassigned * problem.weight(job) for job in dispatchable_left))
    status = derive_status(problem, unassigned)
    wall_s = time.perf_counter() - started
    plan = Plan(scenario=problem.name, clock=problem.clock,
                solver=SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=seed, status=status.value,
                                  objective=round(objective, 3), wall_s=wall_s),
                routes=tuple(routes),
                unassigned=tuple(Unassigned(job.id, unassigned[job.id]) for job in problem.jobs
                                 if job.id in unassigned))
    stats = Statistics(wall_s=wall_s, objective=objective, iterations=iterations,
                       extra={"pyvrp_cost": pyvrp_cost, "pyvrp_feasible": pyvrp_feasible,
                              "vehicle_types": len(type_techs), "phases": phases, "stopped": stopped(stop)})
    return Result(plan=plan, status=status, stats=stats)


# -- helpers ---------------------------------------------------------------------------------

def _left_out(problem: Problem) -> dict[str, str]:
    """job id -> reason for the jobs left out up front (not dispatchable, or no one could serve
    them even alone)."""
    unassigned: dict[str, str] = {}
    for job in problem.jobs:
        if not job.dispatchable:
            unassigned[job.id] = rules.qualification_reason(problem, job) or "not dispatchable"
        elif (reason := _alone_reason(problem, job)) is not None:
            unassigned[job.id] = reason
    return unassigned


def _vehicle_types(problem: Problem) -> list[list[Technician]]:
    """Technicians with identical start, end, shift and capacity form one vehicle type."""
    groups: dict[tuple, list[Technician]] = {}
    for tech in problem.technicians:
        key = (tech.start.key(), tech.end.key(), tech.shift_start_s, tech.shift_end_s, tech.capacity)
        groups.setdefault(key, []).append(tech)
    return list(groups.values())


def _routes_back(problem: Problem, routes_by_tech: dict[str, list[str]],
                 unassigned: dict[str, str]) -> list:
    """Plan routes of PyVRP's sequences, re-timed; visits that break a rule go to ``unassigned``."""
    routes = []
    for tech in problem.technicians:
        route, dropped = _forward_pass(problem, tech, [problem.job(j) for j in routes_by_tech.get(tech.id, [])])
        unassigned.update(dropped)
        routes.append(route)
    return routes


def _alone_reason(problem: Problem, job: Job) -> str | None:
    """Why no technician could serve ``job`` even on a route of its own, or None."""
    if not problem.technicians:
        return "no technician available"
    matrix = matrix_of(problem)
    earliest = rules.earliest_start_s(job)
    latest = rules.latest_start_in_horizon_s(problem, job)
    too_heavy = True
    for tech in problem.technicians:
        if tech.capacity and job.demand > tech.capacity:
            continue
        too_heavy = False
        start = max(tech.shift_start_s + matrix.travel_s(tech.start, job.location), earliest)
        if start > latest:
            continue
        if start + job.duration_s + matrix.travel_s(job.location, tech.end) <= tech.shift_end_s:
            return None
    if too_heavy:
        biggest = max(t.capacity for t in problem.technicians)
        return f"demand {job.demand} is over every technician's capacity (largest {biggest})"
    if job.window is not None:
        return ("no technician can start it inside its window (and the horizon) and be back "
                "before the end of the shift")
    return "no technician can reach it before the horizon end and be back before the end of the shift"


class _GiveUpWhenInfeasible:
    """PyVRP stopping criterion: the budget is spent, ``stop()`` is true, or ``give_up_s``
    passed with no feasible solution yet (PyVRP reports an infeasible best as a cost >=
    ``MAX_VALUE``; ``give_up_s`` None: never give up)."""

    def __init__(self, budget_s: float, give_up_s: float | None, max_value: int, stop: Stop | None = None) -> None:
        self.budget_s, self.give_up_s, self.max_value, self.stop = budget_s, give_up_s, max_value, stop
        self.started: float | None = None
        self.gave_up = False

    def __call__(self, best_cost: int) -> bool:
        if self.started is None:
            self.started = time.perf_counter()
        elapsed = time.perf_counter() - self.started
        if elapsed > self.budget_s or stopped(self.stop):
            return True
        if self.give_up_s is None:
            return False
        if elapsed > self.give_up_s and best_cost >= self.max_value:
            self.gave_up = True
            return True
        return False


def _search(pyvrp, problem: Problem, jobs: Sequence[Job], type_techs: list[list[Technician]], *,
            seed: int, budget_s: float, stop: Stop | None = None):
    """Run PyVRP in at most ``budget_s``: first with every job required (PyVRP searches that
    about twice as fast); when no feasible solution shows up within a quarter of the budget
    (too few technicians for all jobs), again for the rest with optional jobs carrying prizes."""
    from pyvrp.constants import MAX_VALUE
    from pyvrp.exceptions import PenaltyBoundWarning

    budget_s = max(0.05, budget_s)
    started = time.perf_counter()
    log.info("pyvrp: %s: %d jobs, %d technicians in %d vehicle type(s), %.2f s", problem.name,
             len(jobs), len(problem.technicians), len(type_techs), budget_s)
    criterion = _GiveUpWhenInfeasible(budget_s, 0.25 * budget_s, MAX_VALUE, stop)
    data = _problem_data(pyvrp, problem, jobs, type_techs, required=True)
    with warnings.catch_warnings():
        # expected when the technicians cannot serve every job: we give up and go on below
        warnings.filterwarnings("ignore", category=PenaltyBoundWarning)
        res = pyvrp.solve(data, stop=criterion, seed=seed, collect_stats=False, display=False)
    phases = ["required"]
    if not criterion.gave_up:
        return res.best, res.num_iterations, phases
    log.info("pyvrp: %s: no solution serving every job after %.2f s; jobs made optional",
             problem.name, time.perf_counter() - started)
    rest = max(0.05, budget_s - (time.perf_counter() - started))
    data = _problem_data(pyvrp, problem, jobs, type_techs, required=False)
    res2 = pyvrp.solve(data, stop=_GiveUpWhenInfeasible(rest, None, MAX_VALUE, stop), seed=seed,
                       collect_stats=False, display=False)
    phases.append("optional")
    return res2.best, res.num_iterations + res2.num_iterations, phases


def _problem_data(pyvrp, problem: Problem, jobs: Sequence[Job], type_techs: list[list[Technician]], *,
                  required: bool):
    """The pyvrp.ProblemData of the plannable ``jobs`` (client i = ``jobs[i]``). Optional jobs
    carry their unassigned cost as a prize, in the same units as travel (seconds), capped."""
    import numpy as np

    matrix = matrix_of(problem)
    offset = min(techs[0].shift_start_s for techs in type_techs)
    scale = 60.0 / problem.objective.travel_minute if problem.objective.travel_minute > 0 else 60.0

    depot_locs: dict[tuple, int] = {}
    depot_points = []
    for techs in type_techs:
        for loc in (techs[0].start, techs[0].end):
            if loc.key() not in depot_locs:
                depot_locs[loc.key()] = len(depot_points)
                depot_points.append(loc)
    points = depot_points + [job.location for job in jobs]

    def xy(loc):
        x = loc.x if loc.x is not None else (loc.lon or 0.0)
        y = loc.y if loc.y is not None else (loc.lat or 0.0)
        return float(x), float(y)

    locations = [pyvrp.Location(*xy(loc)) for loc in points]
    rows = np.asarray([matrix.index(loc) for loc in points], dtype=np.int64)
    seconds = np.ascontiguousarray(matrix.seconds[np.ix_(rows, rows)], dtype=np.int64)
    np.fill_diagonal(seconds, 0)

    loaded = any(job.demand for job in jobs) or any(techs[0].capacity for techs in type_techs)
    unlimited = max(1, sum(job.demand for job in jobs))
    # A prize only has to beat what dropping the job can save. Huge prizes (the usual "never drop
    # a job" weights) make PyVRP accept time warp to collect them, so cap them at twice the
    # longest leg plus one, times the job's weight relative to the lightest.
    min_weight = min(problem.weight(job) for job in jobs) or 1.0
    leg_cap = 2 * int(seconds.max()) + 1
    clients = []
    for n, job in enumerate(jobs):
        latest = rules.latest_start_in_horizon_s(problem, job)
        weight = problem.weight(job)
        prize = max(1, int(round(min(problem.objective.unassigned * weight * scale,
                                     leg_cap * max(1.0, weight / min_weight)))))
        clients.append(pyvrp.Client(location=len(depot_points) + n,
                                    delivery=[job.demand] if loaded else [],
                                    service_duration=job.duration_s,
                                    tw_early=max(0, rules.earliest_start_s(job) - offset),
                                    tw_late=latest - offset,
                                    prize=0 if required else prize, required=required, name=job.id))
    depots = [pyvrp.Depot(location=i) for i in range(len(depot_points))]
    vehicle_types = []
    for techs in type_techs:
        lead = techs[0]
        capacity = [lead.capacity or unlimited] if loaded else []
        vehicle_types.append(pyvrp.VehicleType(
            num_available=len(techs), capacity=capacity,
            start_depot=depot_locs[lead.start.key()], end_depot=depot_locs[lead.end.key()],
            tw_early=lead.shift_start_s - offset, tw_late=lead.shift_end_s - offset,
            unit_distance_cost=1, unit_duration_cost=0, name=",".join(t.id for t in techs)))
    data = pyvrp.ProblemData(locations=locations, clients=clients, depots=depots,
                             vehicle_types=vehicle_types, distance_matrices=[seconds],
                             duration_matrices=[seconds])
    return data


_DROP_WHY = {
    forward.WINDOW: "reaches it after its window end",
    forward.HORIZON: "reaches it after the horizon end",
    forward.CAPACITY: "is over capacity at this job",
    forward.RETURN: "would return after the shift end",
    forward.SHIFT: "cannot fit it in the shift",
}


def _forward_pass(problem: Problem, tech: Technician, seq: Sequence[Job]):
    """The earliest schedule of ``seq`` on ``tech`` by the one forward pass
    (:func:`dispatchopt.timing.forward.route_failure` / ``schedule_route``), dropping any visit
    that breaks a window end, the capacity, the return by the shift end (or any other rule of
    the pass): (route, job id -> reason)."""
    dropped: dict[str, str] = {}
    items = [(job, None) for job in seq]
    failure = forward.route_failure(problem, tech, items)
    while failure is not None:
        pos, code = failure
        job = items[pos][0]
        dropped[job.id] = (f"PyVRP's best route for {tech.id} {_DROP_WHY.get(code, f'breaks a rule ({code})')}; "
                           f"dropped to keep the plan feasible")
        items = items[:pos] + items[pos + 1:]
        failure = forward.route_failure(problem, tech, items)
    schedule = forward.schedule_route(problem, tech, items)
    return schedule.to_route(problem), dropped
