"""VROOM (pyvroom 1.15) on a full dispatchopt field-service Problem, for the field benchmark.

    plan = solve_vroom(problem, time_limit_s=30)            # a dispatchopt Plan
    run = run_vroom_field(problem, time_limit_s=30)         # Plan + verify violations + notes

VROOM is driven plainly, as in ``peers.run_vroom`` (custom integer matrix, exploration level 5,
``nb_threads`` threads, ``timeout`` = the time limit), on the SAME travel matrix as every
dispatchopt backend (``problem.travel_matrix``). Its solution is turned back into a Plan with
:func:`dispatchopt.timing.schedule.build_route` from VROOM's own service starts and breaks, priced with
:func:`dispatchopt.objective.plan_cost` and checked with :func:`dispatchopt.audit.verify.verify`;
violations are reported, never hidden or repaired.

Mapping (dispatchopt -> VROOM)
------------------------------
* Matrix: ``travel_matrix.seconds`` are VROOM's durations; costs default to the durations
  (``VehicleCosts`` per_hour 3600), i.e. VROOM minimises travel seconds, the travel term of our
  objective. VROOM optimises nothing else of ours (see "Not modelled").
* Clock: VROOM times are unsigned, so every time is shifted by ``offset`` (>= 0) so that the
  earliest one is 0; results are shifted back to our clock.
* Technician -> vehicle: start/end location indices; ``time_window`` = [first shift start, last
  shift end + max_overtime]; a gap between two shifts is a VROOM break with a *fixed* start
  (window [gap start, gap start]) lasting the gap, so neither service nor travel happens in it
  (VROOM splits travel around breaks, which is our semantics too); these gap breaks are not
  written to the plan. Floating breaks (lunch) are VROOM breaks with window [earliest, latest]
  and service = duration. ``max_jobs`` -> ``max_tasks``; ``capacity`` -> capacity (0 = no limit
  -> a capacity no plan can reach).
* ``max_work_minutes`` (travel + service, ours) has no VROOM equivalent: ``max_travel_time``
  counts travel only. Default ``max_work="split"`` (conservative, never violated): the budget is
  split into a travel part (``max_travel_time`` = ``travel_share`` x budget, default 0.3) and a
  service part (a second capacity dimension whose per-job amount is the job's service seconds),
  which together can never exceed the budget, at the price of refusing some plans our rule
  allows. ``max_work="travel"`` is the plain relaxation (``max_travel_time`` = the whole budget;
  service unbounded): its ``max_work_minutes`` violations are the documented approximation
  (:data:`APPROXIMATE_RULES`).
* Skills: VROOM skills are integer sets with no levels, so each (skill, level) pair is one VROOM
  skill id. A technician holding skill s at level L with a valid certificate
  (``rules.certificate_valid``) gets the ids of (s, 1) .. (s, L); an expired (or, for
  ``problem.certificate_required`` trades, missing) certificate removes the skill. A job needing
  s >= k requires (s, k). This is exactly ``rules.can_lead`` for crew_size 1 (tested).
* Trainees never work a crew_size 1 job, and "no skills" would still let them do a job that
  needs none, so trainees are not VROOM vehicles at all (their routes are empty).
* ``pinned_to`` -> one skill id per technician, required by the job (a crew_size 1 job pinned to
  two technicians is unplannable and excluded with the rules' reason).
* Job: location index; service = duration; one time window [earliest start (received / window
  start, ``rules.earliest_start_s``), window end or the horizon end
  (``rules.latest_start_in_horizon_s``)]; ``demand`` -> delivery amount; priority =
  round(100 x category weight / heaviest weight) (emergency and major leak 100, road repair 50,
  urgent 10, ..., never below 1).
* Crew jobs (crew_size > 1): VROOM has no synchronised multi-vehicle jobs, so they are excluded
  and listed unassigned with the reason :data:`CREW_REASON` (``VroomRun.crew_excluded``).
  Non-dispatchable jobs, and jobs unplannable from the data alone
  (``rules.static_unassigned_reason``), are excluded with the rules' reason, as the other
  backends do.

Not modelled (VROOM has no such notion)
---------------------------------------
* Soft SLA deadlines: VROOM has no soft deadlines and no lateness cost; left alone it serves
  jobs in whatever order is cheapest in travel (city_day.yaml, 30 s: 17 % of emergencies on
  time). So by default (``hard_sla_min_weight=0``: every category) a job's SLA ``due`` becomes
  its hard window end wherever some qualified technician could reach it by then on an empty day
  (:func:`due_reachable`); ``None`` turns this off, a weight keeps it to the heavier categories.
  A hard deadline turns "late" into "dropped", which costs more in our objective, so when the
  first pass drops a job held to its due, a second full pass (same time limit: the wall time
  doubles) relaxes those jobs to their plain window and the cheaper plan (``plan_cost``) is
  kept. Measured (plan_cost; on-time rate), threshold None / 100 / 10 / 2 / 1 (= every
  category of these files; the 100 runs predate the reachability filter, timings machine-bound):
  small.yaml 2 s: 454,233 (0.74) / 144,393 (0.77) / 103,944 (0.87) / 102,199 (0.90) /
  100,242 (0.97); city_day.yaml 30 s: 8,877,030 (0.71) / 6,710,281 (0.76) / 5,944,344 (0.84) /
  5,921,324 (0.86) / 5,901,280 (0.92). No job was dropped in those runs (the unassigned were the
  excluded crew jobs: 100,000 and ~5.5 M of those costs). Still heuristic: VROOM does not trade
  one job's lateness against another's, it only keeps deadlines it can keep.
* Owed-break semantics: VROOM takes every break of a used vehicle (ours are owed only when work
  runs past the latest start). Breaks after the last visit (never owed) are dropped from the plan;
  the others are listed as taken, which our rules allow. This can only make VROOM's plans worse.
* Overtime cost, workload balance, churn: not in VROOM's objective.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from dispatchopt import rules
from dispatchopt.domain import Job, Problem, Technician
from dispatchopt.objective import plan_cost
from dispatchopt.plan import Plan, Route, SolverInfo, Unassigned
from dispatchopt.timing.schedule import build_route
from dispatchopt.audit.verify import Violation, verify

log = logging.getLogger("dispatchopt.bench.vroom_field")

BACKEND = "vroom"
CREW_REASON = "crew jobs not supported by VROOM"
DROPPED_REASON = "VROOM left it unassigned (no feasible position found within its constraints)"
MAX_WORK_MODES = ("split", "travel")
DEFAULT_TRAVEL_SHARE = 0.3
EXPLORATION_LEVEL = 5
DEFAULT_HARD_SLA_MIN_WEIGHT = 0.0       # every category (see "Not modelled" in the module doc)

#: Violation rules that are known approximations of a mapping mode (empty for the default).
APPROXIMATE_RULES: dict[str, frozenset[str]] = {
    "split": frozenset(),
    "travel": frozenset({"max_work_minutes"}),
}


@dataclass(frozen=True)
class VroomRun:
    """A VROOM run mapped back: the plan and everything a report needs to be honest about it."""

    plan: Plan
    violations: tuple[Violation, ...]
    crew_excluded: tuple[str, ...]            # crew jobs VROOM cannot model
    excluded: dict[str, str]                  # every job kept out of VROOM -> reason
    vroom_unassigned: tuple[str, ...]         # jobs given to VROOM that it left out
    approximate_rules: frozenset[str]         # violation rules expected from the mapping mode
    wall_s: float                             # model build + solve + mapping back (not verify)
    solve_s: float                            # VROOM's solve call alone
    vroom_cost: int | None                    # VROOM's own cost (travel seconds)
    offset_s: int                             # VROOM time = our time + offset_s
    notes: tuple[str, ...] = field(default=())

    @property
    def unexpected_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.rule not in self.approximate_rules]


# -- the mapping ------------------------------------------------------------------------------------
class SkillIds:
    """(skill, level) -> VROOM skill id; technician id -> its pin skill id."""

    def __init__(self, problem: Problem) -> None:
        self.ids: dict[tuple[str, int], int] = {}
        top: dict[str, int] = {}
        for holder in [t.skills for t in problem.technicians] + [j.skills for j in problem.jobs]:
            for skill, level in holder.items():
                top[skill] = max(top.get(skill, 0), int(level))
        for skill in sorted(top):
            for level in range(1, top[skill] + 1):
                self.ids[(skill, level)] = len(self.ids) + 1
        self.pins = {t.id: len(self.ids) + 1 + i for i, t in enumerate(problem.technicians)}

    def of_technician(self, problem: Problem, tech: Technician) -> set[int]:
        if tech.trainee:
            return set()
        held = {self.ids[(skill, level)]
                for skill, top in tech.skills.items() if rules.certificate_valid(problem, tech, skill)
                for level in range(1, int(top) + 1)}
        held.add(self.pins[tech.id])
        return held

    def of_job(self, job: Job) -> set[int]:
        need = {self.ids[(skill, int(level))] for skill, level in job.skills.items()}
        need |= {self.pins[pin] for pin in job.pinned_to if pin in self.pins}
        return need


def priority_of(problem: Problem, job: Job, heaviest: float | None = None) -> int:
    """VROOM priority 0..100 from the category weight (the heaviest category -> 100, never 0)."""
    if heaviest is None:
        heaviest = max((problem.weight(j) for j in problem.jobs), default=1.0)
    heaviest = heaviest or 1.0
    return max(1, min(100, int(round(100 * problem.weight(job) / heaviest))))


def excluded_jobs(problem: Problem) -> dict[str, str]:
    """Jobs kept out of VROOM -> reason (crew jobs, non-dispatchable, unplannable from the data)."""
    out: dict[str, str] = {}
    for job in problem.jobs:
        if not job.dispatchable:
            out[job.id] = rules.qualification_reason(problem, job) or "not dispatchable"
        elif job.crew_size > 1:
            out[job.id] = CREW_REASON
        elif len(job.pinned_to) > 1:
            out[job.id] = (f"pinned to {len(job.pinned_to)} technicians ({', '.join(job.pinned_to)}) "
                           f"but needs one")
        else:
            reason = rules.static_unassigned_reason(problem, job)
            if reason is not None:
                out[job.id] = reason
    return out


def due_reachable(problem: Problem, job: Job) -> bool:
    """Could some qualified technician start ``job`` by its SLA ``due`` on an otherwise empty day
    (its shifts, the job's earliest start, travel from its start location)? Breaks and the other
    jobs are ignored: a necessary condition only."""
    matrix = problem.travel_matrix
    lo = rules.earliest_start_s(job)
    candidates = [problem.technician(p) for p in job.pinned_to] or rules.qualified_leads(problem, job)
    for tech in candidates:
        go = matrix.travel_s(tech.start, job.location)
        for shift in tech.shifts:
            start = max(lo, shift.start_s + go)
            if start <= job.due_s and start + job.duration_s <= shift.end_s + (
                    tech.max_overtime_s if shift is tech.shifts[-1] else 0):
                return True
    return False


def _job_window(problem: Problem, job: Job, hard_sla_min_weight: float | None,
                relaxed: frozenset[str]) -> tuple[int, int, bool]:
    """(earliest start, latest start, whether the SLA due was made the hard end)."""
    lo = rules.earliest_start_s(job)
    hi = rules.latest_start_in_horizon_s(problem, job)
    if (hard_sla_min_weight is not None and job.id not in relaxed and problem.weight(job) >= hard_sla_min_weight
            and lo <= job.due_s < hi and due_reachable(problem, job)):
        return lo, job.due_s, True
    return lo, hi, False


@dataclass
class _Model:
    vroom_input: object
    offset: int
    vehicle_tech: dict[int, Technician]
    job_of: dict[int, Job]
    lunch_breaks: set[int]                   # VROOM break ids that are break rules (not shift gaps)
    notes: list[str]
    tightened: set[str]                      # jobs whose SLA due is their hard window end


def build_input(problem: Problem, jobs: Iterable[Job], *, max_work: str = "split",
                travel_share: float = DEFAULT_TRAVEL_SHARE,
                hard_sla_min_weight: float | None = DEFAULT_HARD_SLA_MIN_WEIGHT,
                relaxed: Iterable[str] = ()) -> _Model:
    """The vroom.Input of ``problem`` restricted to ``jobs`` (see the module doc)."""
    import vroom

    if max_work not in MAX_WORK_MODES:
        raise ValueError(f"max_work: expected one of {MAX_WORK_MODES}, got {max_work!r}")
    if not 0 < travel_share < 1:
        raise ValueError(f"travel_share: must be in (0, 1), got {travel_share!r}")
    jobs = list(jobs)
    matrix = problem.travel_matrix
    skills = SkillIds(problem)
    techs = [t for t in problem.technicians if not t.trainee]
    relaxed = frozenset(relaxed)
    windows = {job.id: _job_window(problem, job, hard_sla_min_weight, relaxed) for job in jobs}

    times = [t.shift_start_s for t in techs] + [w[0] for w in windows.values()]
    times += [r.earliest_s for t in techs for r in t.breaks]
    offset = max(0, -min(times, default=0))
    # clamp job starts below every vehicle's start (no effect) to keep the shift small
    first_vehicle = min((t.shift_start_s for t in techs), default=0)

    durations = matrix.seconds.astype("int64")
    if durations.max(initial=0) >= 2**32:
        raise ValueError("travel matrix: a travel time does not fit VROOM's 32-bit durations")
    inp = vroom.Input()
    inp.set_durations_matrix("car", durations.astype("uint32"))

    total_demand = sum(max(0, j.demand) for j in jobs) + 1
    total_service = sum(j.duration_s for j in jobs) + 1
    notes: list[str] = []
    vehicle_tech: dict[int, Technician] = {}
    lunch: set[int] = set()
    break_id = 0
    for v, tech in enumerate(problem.technicians, start=1):
        if tech.trainee:
            continue
        vehicle_tech[v] = tech
        breaks = []
        for rule in tech.breaks:
            break_id += 1
            lunch.add(break_id)
            breaks.append(vroom.Break(break_id, [vroom.TimeWindow(rule.earliest_s + offset, rule.latest_s + offset)],
                                      service=int(rule.duration_s), description="break"))
        for a, b in zip(tech.shifts, tech.shifts[1:]):
            if b.start_s > a.end_s:
                break_id += 1
                breaks.append(vroom.Break(break_id, [vroom.TimeWindow(a.end_s + offset, a.end_s + offset)],
                                          service=int(b.start_s - a.end_s), description="shift gap"))
        cap_demand = tech.capacity if tech.capacity > 0 else total_demand
        cap_service = total_service
        max_travel = None
        if tech.max_work_s is not None:
            if max_work == "split":
                max_travel = int(math.floor(tech.max_work_s * travel_share))
                cap_service = max(0, tech.max_work_s - max_travel)
            else:
                max_travel = int(tech.max_work_s)
        extra = {}
        if tech.max_jobs is not None:
            extra["max_tasks"] = int(tech.max_jobs)
        if max_travel is not None:
            extra["max_travel_time"] = max_travel
        inp.add_vehicle(vroom.Vehicle(
            v, start=matrix.index(tech.start), end=matrix.index(tech.end),
            capacity=[int(cap_demand), int(cap_service)], skills=skills.of_technician(problem, tech),
            time_window=vroom.TimeWindow(tech.shift_start_s + offset,
                                         tech.shift_end_s + max(0, tech.max_overtime_s) + offset),
            breaks=breaks, description=tech.id, **extra))
    job_of: dict[int, Job] = {}
    heaviest = max((problem.weight(j) for j in problem.jobs), default=1.0)
    index_of = {job.id: i for i, job in enumerate(problem.jobs, start=1)}
    for job in jobs:
        lo, hi, _ = windows[job.id]
        lo = max(lo, first_vehicle)
        k = index_of[job.id]
        job_of[k] = job
        inp.add_job(vroom.Job(k, location=matrix.index(job.location), default_service=int(job.duration_s),
                              delivery=[max(0, int(job.demand)), int(job.duration_s)],
                              skills=skills.of_job(job), priority=priority_of(problem, job, heaviest),
                              time_windows=[vroom.TimeWindow(lo + offset, max(lo, hi) + offset)],
                              description=job.id))
    if any(t.trainee for t in problem.technicians):
        notes.append(f"{sum(t.trainee for t in problem.technicians)} trainees are not VROOM vehicles "
                     f"(they never work alone; crew jobs are excluded)")
    if max_work == "split" and any(t.max_work_s is not None for t in techs):
        notes.append(f"max_work_minutes split: travel <= {travel_share:.0%} of the budget, "
                     f"service <= the rest (conservative)")
    elif max_work == "travel":
        notes.append("max_work_minutes relaxed to max_travel_time (service not counted)")
    if hard_sla_min_weight is not None:
        tight = sum(1 for w in windows.values() if w[2])
        notes.append(f"SLA due as the hard window end of {tight} jobs (categories of weight >= "
                     f"{hard_sla_min_weight:g} whose due some qualified technician can reach)")
    tightened = {job_id for job_id, w in windows.items() if w[2]}
    return _Model(inp, offset, vehicle_tech, job_of, lunch, notes, tightened)


# -- solve and map back -----------------------------------------------------------------------------
def _solve_pass(model: _Model, *, time_limit_s: float, threads: int, exploration_level: int
                ) -> tuple[list[dict], int | None]:
    """VROOM's routes (its JSON form) and cost."""
    if not model.job_of or not model.vehicle_tech:
        return [], None
    solution = model.vroom_input.solve(exploration_level=exploration_level, nb_threads=int(threads),
                                       timeout=dt.timedelta(seconds=float(time_limit_s)))
    data = solution.to_dict()
    return data.get("routes", []), int(data.get("summary", {}).get("cost", 0))


def _routes_back(problem: Problem, model: _Model, raw_routes: list[dict]) -> tuple[dict[str, Route], set[str]]:
    """dispatchopt Routes (by technician) from VROOM's steps, and the jobs served."""
    off = model.offset
    by_tech: dict[str, Route] = {}
    served: set[str] = set()
    for raw in raw_routes:
        tech = model.vehicle_tech[int(raw["vehicle"])]
        departure = None
        starts: list[tuple[str, int]] = []
        breaks: list[tuple[int, int]] = []
        for step in raw["steps"]:
            kind = step["type"]
            begin = int(step["arrival"]) + int(step.get("waiting_time", 0)) + int(step.get("setup", 0)) - off
            if kind == "start":
                departure = int(step["arrival"]) - off
            elif kind == "job":
                job = model.job_of[int(step["id"])]
                starts.append((job.id, begin))
                served.add(job.id)
            elif kind == "break" and int(step["id"]) in model.lunch_breaks:
                breaks.append((begin, begin + int(step["service"])))
        if not starts:
            continue
        last_end = max(s + problem.job(j).duration_s for j, s in starts)
        breaks = [b for b in breaks if b[0] < last_end]   # after the last visit: never owed
        by_tech[tech.id] = build_route(problem, tech.id, starts, breaks, departure_s=departure)
    return by_tech, served


def run_vroom_field(problem: Problem, *, time_limit_s: float, threads: int = 1, max_work: str = "split",
                    travel_share: float = DEFAULT_TRAVEL_SHARE,
                    hard_sla_min_weight: float | None = DEFAULT_HARD_SLA_MIN_WEIGHT,
                    relax_dropped: bool = True, exploration_level: int = EXPLORATION_LEVEL,
                    check: bool = True) -> VroomRun:
    """Solve ``problem`` with VROOM and map the solution back (see the module doc).

    With ``hard_sla_min_weight`` set and ``relax_dropped``, a first pass that drops a job whose SLA
    due was made its hard window end is followed by a second full pass (same time limit) with
    those jobs' windows relaxed to the plain window; the second pass's plan is kept only if its
    ``plan_cost`` is lower. ``wall_s`` covers both passes. ``check=False`` skips the verify
    call (``violations`` is then empty: the caller verifies).
    """
    started = time.perf_counter()
    excluded = excluded_jobs(problem)
    jobs = [job for job in problem.jobs if job.id not in excluded]
    plannable = [job for job in problem.jobs if job.dispatchable]

    def one_pass(relaxed: Iterable[str]):
        model = build_input(problem, jobs, max_work=max_work, travel_share=travel_share,
                            hard_sla_min_weight=hard_sla_min_weight, relaxed=relaxed)
        t0 = time.perf_counter()
        raw_routes, cost = _solve_pass(model, time_limit_s=time_limit_s, threads=threads,
                                       exploration_level=exploration_level)
        solve_s = time.perf_counter() - t0
        by_tech, served = _routes_back(problem, model, raw_routes)
        routes = tuple(by_tech.get(t.id, Route(technician=t.id)) for t in problem.technicians)
        unassigned = tuple(Unassigned(job.id, excluded.get(job.id, DROPPED_REASON))
                           for job in problem.jobs if job.id not in served)
        planned = sum(1 for job in plannable if job.id in served)
        status = "feasible" if planned == len(plannable) else ("no_solution" if planned == 0 else "partial")
        plan = Plan(scenario=problem.name, clock=problem.clock,
                    solver=SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=0, status=status),
                    routes=routes, unassigned=unassigned)
        return model, plan, served, cost, solve_s, plan_cost(problem, plan)

    model, plan, served, cost, solve_s, objective = one_pass(())
    notes = list(model.notes)
    dropped_tight = sorted(j for j in model.tightened if j not in served)
    if dropped_tight and relax_dropped:
        model2, plan2, served2, cost2, solve2, objective2 = one_pass(dropped_tight)
        solve_s += solve2
        kept = objective2 < objective
        notes.append(f"pass 1 dropped {len(dropped_tight)} jobs held to their SLA due "
                     f"({', '.join(dropped_tight[:5])}{', ...' if len(dropped_tight) > 5 else ''}); "
                     f"pass 2 with their windows relaxed: objective {objective2:g} vs {objective:g} "
                     f"-> kept pass {2 if kept else 1}")
        if kept:
            model, plan, served, cost, objective = model2, plan2, served2, cost2, objective2
    wall = time.perf_counter() - started
    plan = replace(plan, solver=replace(plan.solver, objective=objective, wall_s=wall))
    violations = tuple(verify(problem, plan)) if check else ()
    dropped = tuple(job.id for job in jobs if job.id not in served)
    crew = tuple(j for j, r in excluded.items() if r == CREW_REASON)
    if crew:
        notes.append(f"{len(crew)} crew jobs excluded: {CREW_REASON}")
    approx = APPROXIMATE_RULES[max_work]
    if violations:
        counts = Counter(v.rule for v in violations)
        log.warning("vroom plan of %s: %d verify violations (%s)", problem.name, len(violations),
                    ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())))
        for v in violations:
            (log.info if v.rule in approx else log.warning)("vroom: %s", v)
    return VroomRun(plan=plan, violations=violations, crew_excluded=crew, excluded=excluded,
                    vroom_unassigned=dropped, approximate_rules=approx, wall_s=wall, solve_s=solve_s,
                    vroom_cost=cost, offset_s=model.offset, notes=tuple(notes))


def solve_vroom(problem: Problem, *, time_limit_s: float, threads: int = 1, **options) -> Plan:
    """VROOM's plan of ``problem`` (verify violations are logged; use :func:`run_vroom_field` to
    get them, the excluded crew jobs and the mapping notes)."""
    return run_vroom_field(problem, time_limit_s=time_limit_s, threads=threads, **options).plan


__all__ = ["APPROXIMATE_RULES", "CREW_REASON", "DROPPED_REASON", "SkillIds", "VroomRun", "build_input",
           "excluded_jobs", "priority_of", "run_vroom_field", "solve_vroom"]
