"""The VROOM backend (pyvroom): a fast relaxation of the field-service day, mapped back exactly.

    result = solve_vroom(problem, time_limit_s=10)        # a verified-clean Result

VROOM plans on the SAME travel matrix as every backend (``matrix_of(problem)`` seconds as its
durations and costs: it minimises travel). Its assignment and visit order are kept; the times
are recomputed by our forward pass (:func:`dispatchopt.timing.forward.schedule_route`, which
materialises with :func:`dispatchopt.timing.schedule.build_route`), so every plan returned obeys
our rules exactly and passes ``verify``. A visit our rules refuse at VROOM's position is dropped,
and what VROOM dropped goes to :func:`dispatchopt.solvers.repair.repair_plan`.

Mapping (dispatchopt -> VROOM)
------------------------------
* Clock: VROOM times are unsigned; every time is shifted by ``offset`` >= 0.
* Technician -> vehicle: start/end locations; window [first shift start, last shift end +
  overtime]; a gap between two shifts is a break with a fixed start lasting the gap; floating
  breaks (lunch) are breaks with window [earliest, latest]; ``max_jobs`` -> ``max_tasks``;
  ``capacity`` -> capacity.
* ``max_work_minutes`` (travel + service): split, conservatively, into ``max_travel_time`` =
  30 % of the budget and a service capacity for the rest (never exceeded, refuses a few plans
  our rule allows).
* Skills: each (skill, level) pair is one VROOM skill; a technician with level L and a valid
  certificate holds (s, 1)..(s, L). One more skill, "may work alone", is held by every
  non-trainee and needed by every solo job, so trainees (vehicles too) take only crew copies.
  ``pinned_to`` -> one skill per technician, needed by the job.
* Solo job: window [earliest start, SLA due] where some qualified technician can reach the due
  on an empty day (hard deadline: VROOM has no soft one), else [earliest, window end / horizon];
  priority from the category weight (heaviest -> 100). A first pass that drops such a job is
  followed, when time allows, by a pass with those windows relaxed; the cheaper plan (by
  :func:`dispatchopt.objective.plan_cost`) is kept.
* Crew job (crew_size k): VROOM has no synchronised jobs, so the crew and its common start are
  decided beforehand (``fixed_crews``: job -> (start, members); default: the start plan of
  :func:`start_plan`); each member's copy is a VROOM job only that member may take, window
  [start, start], priority 100. A crew job VROOM does not serve with every member is dropped.

Not modelled by VROOM (priced by ``plan_cost`` afterwards): lateness, overtime cost, balance,
churn. VROOM takes every break of a used vehicle; the forward pass re-decides breaks by our rule.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import pickle
import select
import signal
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from .. import rules
from ..domain import Job, Problem, Technician
from ..errors import ParameterError, SolverError
from ..objective import plan_cost
from ..plan import Plan, Route, SolverInfo, Unassigned
from ..timing import forward as fz
from ..travel import matrix_of
from .base import Result, SolveStatus, Statistics, derive_status
from .repair import due_reachable as due_reachable, repair_plan
from .start import start_plan
from .stopping import Stop, deadline_with, stopped

log = logging.getLogger("dispatchopt")

BACKEND = "vroom"
DROPPED_REASON = "no feasible position found for it (not enough qualified technician time)"
CREW_REASON = "crew of {k} could not be formed at a common time"
TRAVEL_SHARE = 0.3
_CREW_ID_BASE = 10_000_000
POLISH_SLACK_S = 1800      # polish: a kept job may start this much past max(due, its start)

#: job id -> (common start_s, member technician ids in crew order, lead first)
CrewFixes = Mapping[str, tuple[int, tuple[str, ...]]]


class SkillIds:
    """VROOM skill ids: (skill, level) pairs, "may work alone", one pin id per technician, one
    person id per person (a follow-up that requires its person: rules.follow_up_allows)."""

    def __init__(self, problem: Problem) -> None:
        self.ids: dict[tuple[str, int], int] = {}
        top: dict[str, int] = {}
        for holder in [t.skills for t in problem.technicians] + [j.skills for j in problem.jobs]:
            for skill, level in holder.items():
                top[skill] = max(top.get(skill, 0), int(level))
        for skill in sorted(top):
            for level in range(1, top[skill] + 1):
                self.ids[(skill, level)] = len(self.ids) + 1
        self.solo = len(self.ids) + 1
        self.pins = {t.id: self.solo + 1 + i for i, t in enumerate(problem.technicians)}
        people = sorted({t.person_id for t in problem.technicians})
        self.persons = {p: self.solo + 1 + len(self.pins) + i for i, p in enumerate(people)}

    def of_technician(self, problem: Problem, tech: Technician) -> set[int]:
        held = {self.pins[tech.id], self.persons[tech.person_id]}
        if not tech.trainee:
            held.add(self.solo)
            held |= {self.ids[(skill, level)]
                     for skill, top in tech.skills.items() if rules.certificate_valid(problem, tech, skill)
                     for level in range(1, int(top) + 1)}
        return held

    def of_job(self, job: Job) -> set[int]:
        need = {self.ids[(skill, int(level))] for skill, level in job.skills.items()} | {self.solo}
        if job.follow_up is not None and job.follow_up.mode == "require":
            need.add(self.persons.get(job.follow_up.person, self.solo + 1 + len(self.pins) + len(self.persons)))
        return need | {self.pins[pin] for pin in job.pinned_to if pin in self.pins}


def priority_of(problem: Problem, job: Job, heaviest: float) -> int:
    """VROOM priority 1..100 from the category weight (the heaviest category -> 100)."""
    return max(1, min(100, int(round(100 * problem.weight(job) / (heaviest or 1.0)))))


def excluded_jobs(problem: Problem, fixed_crews: CrewFixes) -> dict[str, str]:
    """Jobs kept out of VROOM -> reason: not dispatchable, unplannable from the data, crew jobs
    without a fixed crew, solo jobs pinned to several technicians."""
    out: dict[str, str] = {}
    for job in problem.jobs:
        reason = rules.static_unassigned_reason(problem, job)
        if reason is None and job.crew_size > 1 and job.id not in fixed_crews:
            reason = CREW_REASON.format(k=job.crew_size)
        if reason is None and job.crew_size == 1 and len(job.pinned_to) > 1:
            reason = f"pinned to {len(job.pinned_to)} technicians ({', '.join(job.pinned_to)}) but needs one"
        if reason is not None:
            out[job.id] = reason
    return out


def crew_fixes_of(problem: Problem, plan: Plan) -> dict[str, tuple[int, tuple[str, ...]]]:
    """The crews of ``plan`` that are complete and start together: job -> (start, members)."""
    out: dict[str, tuple[int, tuple[str, ...]]] = {}
    for job in problem.jobs:
        if job.crew_size < 2:
            continue
        visits = plan.visits_of(job.id)
        if len(visits) == job.crew_size and len({v.start_s for _, v in visits}) == 1:
            leads = set(rules.eligibility(problem)[job.id][0])
            members = sorted((t for t, _ in visits), key=lambda t: (t not in leads, t))
            out[job.id] = (visits[0][1].start_s, tuple(members))
    return out


@dataclass
class _Model:
    vroom_input: object
    offset: int
    vehicle_tech: dict[int, Technician]
    task_of: dict[int, tuple[Job, int | None]]    # VROOM job id -> (job, fixed start or None)
    tightened: set[str] = field(default_factory=set)


def _vehicle(vroom, problem: Problem, v: int, tech: Technician, skills: SkillIds, offset: int,
             totals: tuple[int, int]):
    # VROOM wants breaks in time order with windows that can follow one another: a floating
    # break whose window meets a shift gap is left to the forward pass (it re-decides breaks).
    gaps = [(a.end_s, b.start_s) for a, b in zip(tech.shifts, tech.shifts[1:]) if b.start_s > a.end_s]
    spans = [(a, a, b - a, "shift gap") for a, b in gaps]
    last_rule_end = None
    for rule in sorted(tech.breaks, key=lambda r: (r.earliest_s, r.latest_s)):
        clash = any(rule.earliest_s <= b and a <= rule.latest_s + rule.duration_s for a, b in gaps)
        if not clash and (last_rule_end is None or rule.earliest_s >= last_rule_end):
            spans.append((rule.earliest_s, rule.latest_s, rule.duration_s, "break"))
            last_rule_end = rule.latest_s + rule.duration_s
    breaks = [vroom.Break(v * 100 + i, [vroom.TimeWindow(lo + offset, hi + offset)], service=int(d), description=kind)
              for i, (lo, hi, d, kind) in enumerate(sorted(spans))]
    cap_demand = tech.capacity if tech.capacity > 0 else totals[0]
    cap_service = totals[1]
    extra = {}
    if tech.max_work_s is not None:
        extra["max_travel_time"] = int(math.floor(tech.max_work_s * TRAVEL_SHARE))
        cap_service = max(0, tech.max_work_s - extra["max_travel_time"])
    if tech.max_jobs is not None:
        extra["max_tasks"] = int(tech.max_jobs)
    matrix = matrix_of(problem)
    return vroom.Vehicle(v, start=matrix.index(tech.start), end=matrix.index(tech.end),
                         capacity=[int(cap_demand), int(cap_service)], skills=skills.of_technician(problem, tech),
                         time_window=vroom.TimeWindow(tech.shift_start_s + offset,
                                                      tech.shift_end_s + max(0, tech.max_overtime_s) + offset),
                         breaks=breaks, description=tech.id, **extra)


def build_input(problem: Problem, jobs: Iterable[Job], fixed_crews: CrewFixes, *,
                hard_sla: bool = True, relaxed: Iterable[str] = (), keep: Mapping[str, int] | None = None
                ) -> _Model:
    """The vroom.Input of ``problem`` for ``jobs`` (solo jobs and crew jobs in ``fixed_crews``).

    ``keep``: job -> its start in a plan being polished: the job may start no later than
    max(due, that start), and it gets the top priority (VROOM keeps it served if it can)."""
    keep = keep or {}
    import vroom

    jobs = list(jobs)
    relaxed = frozenset(relaxed)
    matrix = matrix_of(problem)
    skills = SkillIds(problem)
    windows: dict[str, tuple[int, int]] = {}
    tightened: set[str] = set()
    for job in jobs:
        if job.crew_size > 1:
            start = fixed_crews[job.id][0]
            windows[job.id] = (start, start)
            continue
        lo, hi = rules.earliest_start_s(job), rules.latest_start_in_horizon_s(problem, job)
        if job.id in keep:
            hi = min(hi, max(job.due_s, keep[job.id]) + POLISH_SLACK_S)
        elif hard_sla and job.id not in relaxed and lo <= job.due_s < hi and due_reachable(problem, job):
            hi = job.due_s
            tightened.add(job.id)
        windows[job.id] = (lo, hi)
    times = [t.shift_start_s for t in problem.technicians] + [w[0] for w in windows.values()]
    times += [r.earliest_s for t in problem.technicians for r in t.breaks]
    offset = max(0, -min(times, default=0))
    first_vehicle = min((t.shift_start_s for t in problem.technicians), default=0)
    durations = matrix.seconds.astype("int64")
    if durations.max(initial=0) >= 2**32:
        raise SolverError(f"travel matrix: a travel time of {int(durations.max())} s does not fit VROOM's "
                          f"32-bit durations")
    inp = vroom.Input()
    inp.set_durations_matrix("car", durations.astype("uint32"))
    totals = (sum(max(0, j.demand) * j.crew_size for j in jobs) + 1,
              sum(j.duration_s * j.crew_size for j in jobs) + 1)
    vehicle_tech: dict[int, Technician] = {}
    for v, tech in enumerate(problem.technicians, start=1):
        vehicle_tech[v] = tech
        inp.add_vehicle(_vehicle(vroom, problem, v, tech, skills, offset, totals))
    task_of: dict[int, tuple[Job, int | None]] = {}
    heaviest = max((problem.weight(j) for j in problem.jobs), default=1.0)
    index_of = {job.id: i for i, job in enumerate(problem.jobs, start=1)}
    for job in jobs:
        lo, hi = windows[job.id]
        amount = [max(0, int(job.demand)), int(job.duration_s)]
        if job.crew_size == 1:
            lo = max(lo, first_vehicle)
            k = index_of[job.id]
            task_of[k] = (job, None)
            inp.add_job(vroom.Job(k, location=matrix.index(job.location), default_service=int(job.duration_s),
                                  delivery=amount, skills=skills.of_job(job),
                                  priority=100 if job.id in keep else priority_of(problem, job, heaviest),
                                  time_windows=[vroom.TimeWindow(lo + offset, max(lo, hi) + offset)],
                                  description=job.id))
            continue
        for c, member in enumerate(fixed_crews[job.id][1]):
            k = _CREW_ID_BASE + index_of[job.id] * 100 + c
            task_of[k] = (job, lo)
            inp.add_job(vroom.Job(k, location=matrix.index(job.location), default_service=int(job.duration_s),
                                  delivery=amount, skills={skills.pins[member]}, priority=100,
                                  time_windows=[vroom.TimeWindow(lo + offset, lo + offset)],
                                  description=f"{job.id}#{c}"))
    return _Model(inp, offset, vehicle_tech, task_of, tightened)


def _run(model: _Model, *, time_limit_s: float | None, exploration: int, threads: int,
         stop: Stop | None = None, kill_at: float | None = None) -> list[dict] | None:
    """VROOM's routes (``to_dict()["routes"]``); None when ``stop()`` turned true first, or when
    VROOM was still running at ``kill_at`` (a ``time.perf_counter()`` value).

    VROOM's solve holds the GIL for its whole run (measured: the main thread of a 4 s solve went
    1.9 s without a turn), and at level 5 on a busy machine it overran its timeout many times
    over (2,000 jobs, timeout 15 s: 88 s), so a call with ``stop`` or ``kill_at`` runs in a forked
    child process that this one waits for while polling ``stop`` (the GIL free); on a stop, or
    at ``kill_at``, the child is killed at once."""
    if not model.task_of:
        return []
    timeout = {} if time_limit_s is None else {"timeout": dt.timedelta(seconds=max(0.05, float(time_limit_s)))}
    if (stop is None and kill_at is None) or not hasattr(os, "fork"):
        solution = model.vroom_input.solve(exploration_level=int(exploration), nb_threads=int(threads), **timeout)
        return solution.to_dict().get("routes", [])
    return _run_forked(model, timeout, exploration=exploration, threads=threads, stop=stop or (lambda: False),
                       kill_at=math.inf if kill_at is None else kill_at)


def _run_forked(model: _Model, timeout: dict, *, exploration: int, threads: int, stop: Stop,
                kill_at: float) -> list[dict] | None:
    """:func:`_run` in a forked child: the routes come back pickled through a pipe."""
    if stop():
        return None
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:                                     # the child: solve, send, exit (no logging)
        code = 0
        try:
            os.close(read_fd)
            solution = model.vroom_input.solve(exploration_level=int(exploration), nb_threads=int(threads),
                                               **timeout)
            payload = pickle.dumps(("ok", solution.to_dict().get("routes", [])))
        except BaseException as exc:                 # handed to the parent, raised there
            payload, code = pickle.dumps(("error", f"{type(exc).__name__}: {exc}")), 1
        try:
            with os.fdopen(write_fd, "wb") as sink:
                sink.write(payload)
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as source:
            while True:
                if stop() or time.perf_counter() > kill_at:
                    if not stop():
                        log.warning("vroom: still running at its hard limit; stopped (no VROOM plan)")
                    os.kill(pid, signal.SIGKILL)
                    return None
                ready, _, _ = select.select([source], [], [], 0.05)
                if ready:
                    chunk = source.read(1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
    finally:
        os.waitpid(pid, 0)
    if not chunks:
        raise SolverError("vroom: the solver process ended without an answer (killed or crashed)")
    kind, value = pickle.loads(b"".join(chunks))
    if kind != "ok":
        raise SolverError(f"vroom: the solve failed: {value}")
    return value


def _sequences(model: _Model, raw_routes: list[dict]) -> dict[str, list[tuple[str, int | None]]]:
    """technician id -> forward-pass items in VROOM's order (crew copies keep their start)."""
    out: dict[str, list[tuple[str, int | None]]] = {}
    for raw in raw_routes:
        tech = model.vehicle_tech[int(raw["vehicle"])]
        items = [(model.task_of[int(s["id"])][0].id, model.task_of[int(s["id"])][1])
                 for s in raw["steps"] if s["type"] == "job"]
        if items:
            out[tech.id] = items
    return out


def plan_from_sequences(problem: Problem, sequences: Mapping[str, list[tuple[str, int | None]]],
                        info: SolverInfo, reasons: Mapping[str, str]) -> Plan:
    """Time every sequence with the forward pass (our rules exactly). Crew jobs not served by a
    full crew, and visits that do not fit where they are, are removed; the plan verifies."""
    items = {tid: list(seq) for tid, seq in sequences.items()}
    schedules: dict[str, fz.RouteSchedule] = {}
    while True:
        counts: dict[str, int] = {}
        for seq in items.values():
            for job_id, _ in seq:
                counts[job_id] = counts.get(job_id, 0) + 1
        broken = {j for j, n in counts.items() if n != problem.job(j).crew_size}
        for tid in items:
            items[tid] = [it for it in items[tid] if it[0] not in broken]
        bad_crew: set[str] = set()
        for tid, seq in items.items():
            while True:
                failure = fz.route_failure(problem, tid, seq)
                if failure is None:
                    break
                job_id, fixed = seq[failure[0]]
                if fixed is not None:
                    bad_crew.add(job_id)
                seq.pop(failure[0])
        if not bad_crew:
            break
        for tid in items:
            items[tid] = [it for it in items[tid] if it[0] not in bad_crew]
    for tid, seq in items.items():
        schedules[tid] = fz.schedule_route(problem, tid, seq)
    routes = tuple(schedules[t.id].to_route(problem) if t.id in schedules and schedules[t.id].starts
                   else Route(technician=t.id) for t in problem.technicians)
    served = {v.job for r in routes for v in r.visits}
    unassigned = tuple(Unassigned(j.id, reasons.get(j.id, DROPPED_REASON))
                       for j in problem.jobs if j.id not in served)
    return Plan(scenario=problem.name, clock=problem.clock, solver=info, routes=routes, unassigned=unassigned)


def status_of(problem: Problem, plan: Plan) -> SolveStatus:
    """The status of a feasible ``plan`` (``base.derive_status`` on its unassigned jobs)."""
    return derive_status(problem, [u.job for u in plan.unassigned])


def solve_vroom(problem: Problem, *, time_limit_s: float, seed: int = 0, exploration: int = 5,
                fixed_crews: CrewFixes | None = None, threads: int = 1, hard_sla: bool = True,
                relax: bool = True, repair: bool = True, deterministic: bool = False,
                first_pass_share: float = 0.45, stop: Stop | None = None,
                hard_limit_s: float | None = None) -> Result:
    """Plan ``problem`` with VROOM (see the module doc); every plan returned verifies clean.

    ``time_limit_s`` bounds the whole call; VROOM's own timeout is what is left of it.
    ``fixed_crews``: job -> (common start, members); default: the crews of :func:`start_plan`.
    ``hard_sla``: SLA due as the hard window end where reachable, then (``relax``) one more pass
    with the jobs the first pass dropped relaxed, if there is time left. ``repair``: hand what
    is still unassigned to ``repair_plan``. ``seed`` is recorded (VROOM is deterministic).
    ``deterministic``: VROOM runs its exploration to the end (no timeout) and the repair has no
    deadline, so the same call gives the same plan on any machine (the time limit is not kept).
    ``first_pass_share``: the first (hard-SLA) pass's share of the time when a relaxed pass follows.
    ``stop``: when it turns true, the call returns at once with the best plan it has (the crews'
    start plan if VROOM had not answered yet; ``stats.extra["stopped"]`` is then True).
    ``hard_limit_s``: a VROOM run still going this long after the call began is killed (its pass
    gives no plan; VROOM's own timeout is not a bound on a busy machine).
    """
    if not 0 <= int(exploration) <= 5:
        raise ParameterError(f"exploration: must be 0..5, got {exploration!r}")
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ParameterError(f"time_limit_s: must be a positive finite number, got {time_limit_s!r}")
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    kill_at = None if hard_limit_s is None else t0 + hard_limit_s
    phases: dict[str, float] = {}
    fallback: Plan | None = None
    if fixed_crews is None:
        start_deadline = None if deterministic else t0 + 0.15 * time_limit_s
        fallback = start_plan(problem, seed=seed, deadline=deadline_with(start_deadline, stop))
        fixed_crews = crew_fixes_of(problem, fallback)
        phases["crew_start_s"] = time.perf_counter() - t0
    excluded = excluded_jobs(problem, fixed_crews)
    jobs = [job for job in problem.jobs if job.id not in excluded]
    info = SolverInfo(backend=BACKEND, time_limit_s=time_limit_s, seed=seed, status="")

    def one_pass(relaxed: Iterable[str], budget_s: float) -> tuple[Plan | None, _Model]:
        model = build_input(problem, jobs, fixed_crews, hard_sla=hard_sla, relaxed=relaxed)
        raw = _run(model, time_limit_s=None if deterministic else budget_s, exploration=exploration,
                   threads=threads, stop=stop, kill_at=kill_at)
        if raw is None:
            return None, model
        return plan_from_sequences(problem, _sequences(model, raw), info, excluded), model

    if stopped(stop):
        return _stopped_result(problem, fallback, info, phases, t0, fixed_crews, excluded)
    t1 = time.perf_counter()
    plan, model = one_pass((), max(0.05, (deadline - t1) * (first_pass_share if hard_sla and relax else 0.85)))
    phases["vroom_s"] = time.perf_counter() - t1
    if plan is None:                     # stopped before VROOM answered
        return _stopped_result(problem, fallback, info, phases, t0, fixed_crews, excluded)
    cost = plan_cost(problem, plan)
    dropped = sorted(j for j in model.tightened if j not in plan.assigned_job_ids())
    left = deadline - time.perf_counter()
    if dropped and relax and not stopped(stop) and (deterministic or left > max(0.5, 0.25 * phases["vroom_s"])):
        t2 = time.perf_counter()
        plan2, _ = one_pass(dropped, left * 0.9)
        phases["vroom_relax_s"] = time.perf_counter() - t2
        if plan2 is not None:
            cost2 = plan_cost(problem, plan2)
            log.info("vroom: pass 1 dropped %d jobs held to their SLA due; relaxed pass %.1f vs %.1f",
                     len(dropped), cost2, cost)
            if cost2 < cost:
                plan, cost = plan2, cost2
    if repair and plan.unassigned and not stopped(stop):
        t3 = time.perf_counter()
        plan = repair_plan(problem, plan, deadline_s=deadline_with(None if deterministic else max(deadline, t3 + 0.05),
                                                                   stop))
        phases["repair_s"] = time.perf_counter() - t3
        cost = plan_cost(problem, plan)
    status = status_of(problem, plan)
    wall = time.perf_counter() - t0
    plan = replace(plan, solver=replace(info, status=status.value, objective=round(cost, 3), wall_s=wall))
    log.info("vroom: %d jobs planned, cost %.1f, %.2f s (%s)", len(plan.assigned_job_ids()), cost, wall,
             ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    return Result(plan, status, Statistics(wall_s=wall, objective=cost,
                                           extra={"phases": phases, "backend": BACKEND,
                                                  "fixed_crews": len(fixed_crews), "stopped": stopped(stop)}))


def _stopped_result(problem: Problem, fallback: Plan | None, info: SolverInfo, phases: dict, t0: float,
                    fixed_crews: CrewFixes, reasons: Mapping[str, str]) -> Result:
    """:func:`solve_vroom` stopped before VROOM answered: the crews' start plan (a plan of every
    crew VROOM was given and nothing else when the crews were the caller's)."""
    plan = fallback
    if plan is None:
        plan = plan_from_sequences(problem, {}, info, reasons)
    cost = plan_cost(problem, plan)
    status = status_of(problem, plan)
    wall = time.perf_counter() - t0
    plan = replace(plan, solver=replace(info, status=status.value, objective=round(cost, 3), wall_s=wall))
    log.info("vroom: stopped after %.2f s, before VROOM answered", wall)
    return Result(plan, status, Statistics(wall_s=wall, objective=cost,
                                           extra={"phases": phases, "backend": BACKEND,
                                                  "fixed_crews": len(fixed_crews), "stopped": True}))


def polish(problem: Problem, plan: Plan, *, time_limit_s: float | None, exploration: int = 2,
           threads: int = 1) -> Plan:
    """VROOM re-plans ``plan`` without breaking what it promises: every served solo job may
    start no later than max(its due, its start in ``plan``) and has the top priority, crews keep
    their members and start, unserved jobs may come in (held to their due where reachable).
    VROOM re-orders and moves visits for less travel; the forward pass re-times them, so a
    visit can only start earlier. The result is repaired and verifies; the caller keeps the
    cheaper plan. ``time_limit_s=None``: no timeout, no repair deadline (reproducible)."""
    fixed = crew_fixes_of(problem, plan)
    keep = {v.job: v.start_s for r in plan.routes for v in r.visits if problem.job(v.job).crew_size == 1}
    excluded = excluded_jobs(problem, fixed)
    reasons = {u.job: u.reason for u in plan.unassigned} | excluded
    jobs = [job for job in problem.jobs if job.id not in excluded]
    t0 = time.perf_counter()
    model = build_input(problem, jobs, fixed, keep=keep)
    left = None if time_limit_s is None else max(0.05, time_limit_s - (time.perf_counter() - t0))
    raw = _run(model, time_limit_s=left, exploration=exploration, threads=threads)
    out = plan_from_sequences(problem, _sequences(model, raw), plan.solver, reasons)
    if out.unassigned:
        out = repair_plan(problem, out, deadline_s=None if time_limit_s is None else t0 + time_limit_s + 0.05)
    return out


__all__ = ["BACKEND", "CrewFixes", "SkillIds", "build_input", "crew_fixes_of", "due_reachable",
           "excluded_jobs", "plan_from_sequences", "polish", "priority_of", "solve_vroom", "status_of"]
