"""Scale by decomposition: solve a big day as territories of 20-40 technicians, in parallel.

:func:`solve_decomposed` plans a day too big for one search (150 x 2000, 300 x 5000):

1. **Partition** (:func:`.territories.partition`): territories of comparable work by job and
   depot geography, technicians placed where their trades are needed, pins and crews kept
   staffable (see :mod:`.territories`).
2. **Solve** every territory as a sub-Problem (``Problem.replace``) with
   ``dispatchopt.solvers.solve(sub, backend=inner_backend, time_limit_s=share)``, largest first,
   ``workers`` at a time in local processes (spawned, logs forwarded), or as Ray tasks when
   ``ray_address`` is given. Shares split the budget in proportion to the territories' work.
   Meanwhile this process plans the whole day with the greedy (the first feasible plan, and the
   fallback).
3. **Merge** the territory plans, then **repair across borders**: the solo jobs a territory
   left out are offered to the technicians of its two nearest territories
   (``solvers.repair.repair_plan`` on a sub-Problem of those routes, sharing the day's travel
   matrix), then, for the time left, ruin and recreate (``solvers.lns.improve``) runs on each
   pair of neighbouring territories (crews move too). The merged plan is verified; the
   cheaper (``plan_cost``) of it and the greedy plan is returned. Every plan returned passes
   ``dispatchopt.audit.verify``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import logging.handlers
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .. import rules
from ..domain import Job, Problem
from ..errors import ParameterError
from ..plan import Plan, SolverInfo, Unassigned
from ..workers import map_in_pool
from .base import Result, SolveStatus, Statistics, derive_status
from .stopping import Stop, deadline_with, stopped
from .territories import (MIN_TERRITORY_TECHNICIANS as MIN_TERRITORY_TECHNICIANS,
                          TERRITORY_TECHNICIANS as TERRITORY_TECHNICIANS, Territory as Territory,
                          default_territories as default_territories, partition as partition,
                          territory_problem as territory_problem)

log = logging.getLogger("dispatchopt")

BACKEND = "decomposed"
INNER_BACKENDS = ("auto", "portfolio", "ortools", "vroom", "greedy")
"""Territory backends without ``inner_solve``; ``"auto"`` is the portfolio (what ``solve``'s
auto gives a field-service day of a territory's size)."""
_BORDER_NEIGHBOURS = 2         # territories whose technicians a left-out job is offered to
_BORDER_ITERATIONS = 50       # ruin-and-recreate iterations per border with a solution limit
_REPAIR_SHARE = 0.12           # of the time limit kept for the border repair and the check


# ------------------------------------------------------------------------------------------
# solving the territories
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Task:
    index: int
    problem: Problem
    backend: str
    time_limit_s: float
    seed: int
    solution_limit: int | None
    inner_solve: Callable[..., Result] | None = None


class _Stopped(Exception):
    """``stop()`` turned true while the territories were being solved; ``done`` holds the
    territories finished by then."""

    def __init__(self, done: list) -> None:
        super().__init__("stopped")
        self.done = done


def solve_territory(task: _Task, stop: Stop | None = None) -> tuple[int, Plan, str, float]:
    """Solve one territory (in a worker): (index, plan, backend used, wall seconds). ``stop``
    (in this process only: a function does not cross to a worker) goes to the inner solve."""
    start = time.perf_counter()
    options = {} if stop is None else {"stop": stop}
    if task.solution_limit is not None and task.backend in ("auto", "portfolio", "ortools"):
        options["solution_limit"] = task.solution_limit
    if task.inner_solve is not None:
        result = task.inner_solve(task.problem, backend=task.backend, time_limit_s=task.time_limit_s,
                                  seed=task.seed, **options)
    else:
        result = _solve_inner(task.problem, task.backend, task.time_limit_s, task.seed, options)
    used = result.stats.extra.get("backend") or result.plan.solver.backend
    return task.index, result.plan, used, time.perf_counter() - start


def _solve_inner(problem: Problem, backend: str, time_limit_s: float, seed: int, options: dict) -> Result:
    """A territory by one of :data:`INNER_BACKENDS` (this module does not import the package's
    ``solve``, which calls it: pass ``inner_solve=dispatchopt.solvers.solve`` to use that)."""
    if backend == "greedy":
        from .greedy import solve_greedy

        return solve_greedy(problem, seed=seed, time_limit_s=time_limit_s)
    if backend == "vroom":
        from .vroom_backend import solve_vroom

        return solve_vroom(problem, time_limit_s=time_limit_s, seed=seed)
    if backend == "ortools":
        from .routing import solve_routing

        return solve_routing(problem, time_limit_s=time_limit_s, seed=seed, **options)
    from .portfolio import solve_portfolio      # "auto" on a field-service territory

    return solve_portfolio(problem, time_limit_s=time_limit_s, seed=seed, **options)


def _run_inline(tasks: list[_Task], meanwhile, stop: Stop | None = None) -> list:
    meanwhile()
    done = []
    for task in tasks:
        if stopped(stop):
            raise _Stopped(done)
        result = solve_territory(task, stop)
        if stopped(stop):               # the inner solve may have been cut short: not "done"
            raise _Stopped(done)
        done.append(result)
    return done


def _run_processes(tasks: list[_Task], workers: int, meanwhile, stop: Stop | None = None) -> list:
    """Territories in spawned worker processes (their log records come back to this process);
    ``meanwhile()`` runs here once every task is submitted. A territory whose worker died is
    solved in this process instead. Once ``stop()`` is true (asked every 0.2 s) the workers are
    terminated and :class:`_Stopped` carries the territories finished."""
    done, lost = [], []

    def on_lost(task: _Task, exc: Exception) -> None:
        if not isinstance(exc, cf.process.BrokenProcessPool):
            raise exc
        lost.append(task)
        if len(lost) == 1:
            log.error("decomposed: a worker process died (%s: out of memory, a crash, or a "
                      "script without an `if __name__ == '__main__':` guard); solving its "
                      "territories in this process", exc)

    def finished(task: _Task, result) -> None:
        done.append(result)

    if not map_in_pool(solve_territory, tasks, workers=workers, done=finished, lost=on_lost,
                       meanwhile=meanwhile, stop=stop):
        raise _Stopped(done)
    for task in lost:
        if stopped(stop):
            raise _Stopped(done)
        done.append(solve_territory(task))
    return done


def _run_ray(tasks: list[_Task], ray_address: str, meanwhile) -> list:
    try:
        import ray
    except ImportError:
        raise ParameterError(f"ray_address: {ray_address!r} given but Ray is not installed "
                             "(pip install 'dispatchopt[ray]')") from None
    if not ray.is_initialized():
        ray.init(address=ray_address, ignore_reinit_error=True, logging_level=logging.WARNING)
    remote = ray.remote(num_cpus=1, max_retries=0)(solve_territory)
    refs = [remote.remote(task) for task in tasks]
    meanwhile()
    return ray.get(refs)


def _run_tasks(tasks: list[_Task], ray_address: str | None, workers: int, meanwhile, stop: Stop | None) -> list:
    """The territories on Ray, in this process (``workers`` 1) or in worker processes."""
    if ray_address:
        return _run_ray(tasks, ray_address, meanwhile)
    if workers == 1:
        return _run_inline(tasks, meanwhile, stop)
    return _run_processes(tasks, workers, meanwhile, stop)


# ------------------------------------------------------------------------------------------
# the entry point
# ------------------------------------------------------------------------------------------
def solve_decomposed(problem: Problem, *, time_limit_s: float, seed: int = 0, inner_backend: str = "auto",
                     workers: int = 2, ray_address: str | None = None, n_territories: int | None = None,
                     solution_limit: int | None = None,
                     on_first_plan: Callable[[Plan], None] | None = None,
                     inner_solve: Callable[..., Result] | None = None, stop: Stop | None = None) -> Result:
    """Plan ``problem`` territory by territory (module doc); always a verified feasible plan.

    Parameters
    ----------
    time_limit_s : wall-clock budget of the whole call, in seconds.
    seed : seeds the partition and every territory's solve.
    inner_backend : the backend each territory is solved with: one of :data:`INNER_BACKENDS`,
        or with ``inner_solve`` any backend that function takes.
    workers : territories solved at a time: local processes (1: in this process), or the
        parallelism the budget is shared for on Ray.
    ray_address : a Ray cluster to run the territories on (``"auto"``, ``"ray://host:10001"``).
    n_territories : how many territories (default :func:`default_territories`: ~30
        technicians each); 1 solves the whole day with ``inner_backend``.
    solution_limit : passed to each territory's OR-Tools phase (``portfolio``/``ortools``), and
        the border search then runs a fixed number of iterations: reproducible runs.
    on_first_plan : called, in this process, with the first feasible plan (the whole day by
        hand, made while the territories are searched) so that a caller can publish it early.
    inner_solve : the function each territory is solved with, called like
        ``dispatchopt.solvers.solve(sub, backend=, time_limit_s=, seed=[, solution_limit=])``
        (picklable: a module-level function); default: the backends of :data:`INNER_BACKENDS`.
    stop : once it returns true the call ends with the best verified plan so far. During the
        territories it is asked every 0.2 s (and by the inner solve when ``workers`` is 1); the
        workers are terminated and the answer is the cheaper of the whole-day greedy plan and
        the territories finished merged with the greedy plan of the rest. During the border
        phases: the merged plan as it stands. (The whole-day greedy itself, a few seconds at
        5,000 jobs, runs to its end first; Ray tasks are not stopped.)
    """
    start = time.perf_counter()
    _check(time_limit_s, inner_backend if inner_solve is None else None, workers, n_territories)
    k = default_territories(problem) if n_territories is None else n_territories
    phases: dict[str, float] = {}
    territories = partition(problem, k, seed=seed) if k > 1 else []
    phases["partition_s"] = time.perf_counter() - start
    if len(territories) <= 1:
        _, plan, used, wall = solve_territory(_Task(0, problem, inner_backend, time_limit_s, seed, solution_limit,
                                                    inner_solve), stop)
        return _result(problem, plan, time_limit_s, seed, start, used, {"territories_s": wall}, [], None)
    tasks = _tasks(problem, territories, time_limit_s - (time.perf_counter() - start), inner_backend,
                   workers, seed, solution_limit, inner_solve)
    greedy: dict[str, object] = {}

    def meanwhile() -> None:            # the first feasible plan: the whole day by hand
        from .greedy import solve_greedy

        greedy["plan"] = solve_greedy(problem, seed=seed).plan
        greedy["at_s"] = time.perf_counter() - start
        log.info("decomposed: first feasible plan (greedy, whole day) after %.1f s", greedy["at_s"])
        if on_first_plan is not None:
            on_first_plan(greedy["plan"])

    t0 = time.perf_counter()
    try:
        done = _run_tasks(tasks, ray_address, workers, meanwhile, stop)
    except _Stopped as stop_at:
        phases["territories_s"] = time.perf_counter() - t0
        return _stopped_result(problem, territories, stop_at.done, greedy, time_limit_s, seed, start, phases)
    phases["territories_s"] = time.perf_counter() - t0
    done.sort(key=lambda d: d[0])
    merged = _merge(problem, [d[1] for d in done])
    t0 = time.perf_counter()
    deadline = deadline_with(start + time_limit_s - 0.03 * time_limit_s, stop)
    merged = repair_borders(problem, merged, territories, deadline_s=deadline)
    phases["repair_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if solution_limit is None:
        merged = improve_borders(problem, merged, territories, deadline_s=deadline, seed=seed, stop=stop)
    else:                               # a reproducible run: iterations, not the clock
        merged = improve_borders(problem, merged, territories, deadline_s=math.inf, seed=seed,
                                 max_iterations=_BORDER_ITERATIONS, stop=stop)
    phases["border_lns_s"] = time.perf_counter() - t0
    info = [{"territory": t.index, "technicians": len(t.technicians), "jobs": len(t.jobs),
             "backend": d[2], "wall_s": round(d[3], 3), "time_limit_s": round(_share_of(tasks, t.index), 3),
             "unassigned": len(d[1].unassigned)} for t, d in zip(territories, done)]
    return _result(problem, merged, time_limit_s, seed, start, done[0][2] if done else inner_backend,
                   phases, info, greedy)


def _stopped_result(problem: Problem, territories: list[Territory], done: list, greedy: dict,
                    time_limit_s: float, seed: int, start: float, phases: dict[str, float]) -> Result:
    """Stopped during the territories: the better of the whole-day greedy plan and the
    territories ``done`` merged with the greedy plan of the rest."""
    log.info("decomposed: stopped while the territories were solved (%d of %d done); the better of the "
             "whole-day greedy plan and the territories done + the greedy for the rest is returned",
             len(done), len(territories))
    if not done:
        return _result(problem, greedy["plan"], time_limit_s, seed, start, "whole-day-greedy", phases, [], None)
    partial = _with_rest_by_hand(problem, territories, done, seed)
    return _result(problem, partial, time_limit_s, seed, start, f"{done[0][2]}+greedy", phases, [], greedy)


def _with_rest_by_hand(problem: Problem, territories: list[Territory], done: list, seed: int) -> Plan:
    """The plans of the territories ``done`` merged with the greedy plan of the others (one
    sub-Problem of their technicians and jobs): a stopped run keeps the work finished."""
    from .greedy import solve_greedy
    from ..travel import attach_matrix, matrix_of

    finished = {d[0] for d in done}
    rest = [t for t in territories if t.index not in finished]
    plans = [d[1] for d in done]
    if rest:
        techs = {t for terr in rest for t in terr.technicians}
        jobs = {j for terr in rest for j in terr.jobs}
        sub = problem.replace(name=f"{problem.name}#rest", technicians=tuple(t for t in problem.technicians
                                                                            if t.id in techs),
                              jobs=tuple(j for j in problem.jobs if j.id in jobs))
        attach_matrix(sub, matrix_of(problem))
        plans.append(solve_greedy(sub, seed=seed).plan)
    return _merge(problem, plans)


def _share_of(tasks: list[_Task], index: int) -> float:
    """The time limit given to territory ``index``."""
    return next(t.time_limit_s for t in tasks if t.index == index)


def _check(time_limit_s: float, inner_backend: str | None, workers: int, n_territories: int | None) -> None:
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) \
            or not math.isfinite(time_limit_s) or time_limit_s <= 0:
        raise ParameterError(f"time_limit_s: must be a positive finite number of seconds, got {time_limit_s!r}")
    if inner_backend is not None and inner_backend not in INNER_BACKENDS:
        raise ParameterError(f"inner_backend: unknown backend {inner_backend!r} "
                             f"(expected one of {', '.join(INNER_BACKENDS)}, or give inner_solve)")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers: must be a positive integer, got {workers!r}")
    if n_territories is not None and (isinstance(n_territories, bool) or not isinstance(n_territories, int)
                                      or n_territories < 1):
        raise ParameterError(f"n_territories: must be a positive integer, got {n_territories!r}")


def _tasks(problem: Problem, territories: list[Territory], left_s: float, backend: str, workers: int,
           seed: int, solution_limit: int | None, inner_solve: Callable[..., Result] | None) -> list[_Task]:
    """One task per territory, largest first; each gets time in proportion to its work, scaled
    so that the largest-first schedule on ``workers`` ends within the budget."""
    budget = max(1.0, left_s * (1 - _REPAIR_SHARE))
    ordered = sorted(territories, key=lambda t: (-t.work_s, t.index))
    lanes = [0.0] * min(workers, len(territories))
    for t in ordered:                   # the largest-first schedule of the work itself
        lanes[lanes.index(min(lanes))] += max(t.work_s, 1.0)
    per_work = 0.95 * budget / max(lanes)
    return [_Task(t.index, territory_problem(problem, t), backend,
                  min(budget, max(1.0, per_work * max(t.work_s, 1.0))), seed, solution_limit, inner_solve)
            for t in ordered]


def _merge(problem: Problem, plans: list[Plan]) -> Plan:
    order = {t.id: n for n, t in enumerate(problem.technicians)}
    routes = sorted((r for p in plans for r in p.routes), key=lambda r: order[r.technician])
    unassigned = tuple(u for p in plans for u in p.unassigned)
    return Plan(scenario=problem.name, clock=problem.clock, solver=SolverInfo(backend=BACKEND),
                routes=tuple(routes), unassigned=unassigned)


# ------------------------------------------------------------------------------------------
# across borders, and the result
# ------------------------------------------------------------------------------------------
def repair_borders(problem: Problem, plan: Plan, territories: list[Territory], *,
                   deadline_s: float | None = None) -> Plan:
    """Offer the solo jobs each territory left out to the technicians of its nearest
    territories (``solvers.repair.repair_plan`` on those routes); ``deadline_s`` is a
    ``time.perf_counter()`` value after which no further territory is tried."""
    from ..travel import attach_matrix, matrix_of
    from .repair import repair_plan

    if len(territories) < 2 or not plan.unassigned:
        return plan
    routes = {r.technician: r for r in plan.routes}
    left = {u.job: u for u in plan.unassigned}
    matrix = matrix_of(problem)
    centres = np.array([t.centre for t in territories])

    def weight_left(t: Territory) -> float:
        return sum(problem.weight(problem.job(j)) for j in t.jobs if j in left)

    for terr in sorted(territories, key=lambda t: (-weight_left(t), t.index)):
        if deadline_s is not None and time.perf_counter() > deadline_s:
            log.info("decomposed: border repair stopped at its deadline")
            break
        pending = [j for j in terr.jobs if j in left and _offerable(problem.job(j))]
        if not pending:
            continue
        dist = ((centres - centres[terr.index]) ** 2).sum(-1)
        dist[terr.index] = np.inf
        near = [territories[int(i)] for i in np.argsort(dist)[:_BORDER_NEIGHBOURS] if np.isfinite(dist[i])]
        techs = _with_crews(problem, routes, {t for n in near for t in n.technicians})
        keep = {v.job for t in techs if t in routes for v in routes[t].visits} | set(pending)
        sub = problem.replace(name=f"{problem.name}#border{terr.index}",
                              technicians=tuple(t for t in problem.technicians if t.id in techs),
                              jobs=tuple(j for j in problem.jobs if j.id in keep))
        attach_matrix(sub, matrix)
        offer = replace(plan, scenario=sub.name, unassigned=tuple(left[j] for j in pending),
                        routes=tuple(routes[t.id] for t in sub.technicians if t.id in routes))
        fixed = repair_plan(sub, offer, deadline_s=deadline_s)
        if fixed is offer:
            continue
        for route in fixed.routes:
            routes[route.technician] = route
        for u in fixed.unassigned:          # pending jobs still out, and any job ejected
            left[u.job] = u
        placed = fixed.assigned_job_ids() & set(pending)
        for job_id in placed:
            del left[job_id]
        log.debug("decomposed: %d of %d jobs left out in territory %d placed across its border",
                  len(placed), len(pending), terr.index)
    order = {t.id: n for n, t in enumerate(problem.technicians)}
    job_order = {j.id: n for n, j in enumerate(problem.jobs)}
    return replace(plan, routes=tuple(sorted(routes.values(), key=lambda r: order[r.technician])),
                   unassigned=tuple(sorted(left.values(), key=lambda u: job_order[u.job])))


def improve_borders(problem: Problem, plan: Plan, territories: list[Territory], *, deadline_s: float,
                    seed: int = 0, max_iterations: int | None = None, stop: Stop | None = None) -> Plan:
    """Ruin and recreate (``solvers.lns.improve``, never worse) on each pair of neighbouring
    territories until ``deadline_s`` (a ``time.perf_counter()`` value), the time split evenly,
    or ``max_iterations`` per pair: jobs, crews included, move across the border and left-out
    work gets another chance. ``stop``: once true, the pair being searched hands back its best
    and no further pair is tried."""
    from ..travel import attach_matrix, matrix_of
    from .lns import improve

    if len(territories) < 2:
        return plan
    centres = np.array([t.centre for t in territories])
    pairs = []
    for terr in territories:
        dist = ((centres - centres[terr.index]) ** 2).sum(-1)
        dist[terr.index] = np.inf
        pair = tuple(sorted((terr.index, int(np.argmin(dist)))))
        if pair not in pairs:
            pairs.append(pair)
    routes = {r.technician: r for r in plan.routes}
    left = {u.job: u for u in plan.unassigned}
    matrix = matrix_of(problem)
    for n, (a, b) in enumerate(pairs):
        now = time.perf_counter()
        if now >= deadline_s or stopped(stop):
            break
        techs = _with_crews(problem, routes, set(territories[a].technicians) | set(territories[b].technicians))
        home = set(territories[a].jobs) | set(territories[b].jobs)
        keep = {v.job for t in techs if t in routes for v in routes[t].visits} | (home & set(left))
        sub = problem.replace(name=f"{problem.name}#border{a}-{b}",
                              technicians=tuple(t for t in problem.technicians if t.id in techs),
                              jobs=tuple(j for j in problem.jobs if j.id in keep))
        attach_matrix(sub, matrix)
        offer = replace(plan, scenario=sub.name, unassigned=tuple(left[j] for j in sorted(keep & set(left))),
                        routes=tuple(routes[t.id] for t in sub.technicians if t.id in routes))
        better = improve(sub, offer, deadline=now + (deadline_s - now) / (len(pairs) - n), seed=seed,
                         max_iterations=max_iterations, stop=stop)
        for tech in techs:
            routes.pop(tech, None)
        routes.update({r.technician: r for r in better.routes})
        for job_id in keep:
            left.pop(job_id, None)
        left.update({u.job: u for u in better.unassigned})
    order = {t.id: n for n, t in enumerate(problem.technicians)}
    job_order = {j.id: n for n, j in enumerate(problem.jobs)}
    return replace(plan, routes=tuple(sorted(routes.values(), key=lambda r: order[r.technician])),
                   unassigned=tuple(sorted(left.values(), key=lambda u: job_order[u.job])))


def _with_crews(problem: Problem, routes: dict, techs: set[str]) -> set[str]:
    """``techs`` and every member of a crew job on their routes (a crew moved across a border
    must stay whole in a sub-Problem)."""
    members: dict[str, set[str]] = {}
    for tech, route in routes.items():
        for visit in route.visits:
            if problem.job(visit.job).crew_size > 1:
                members.setdefault(visit.job, set()).add(tech)
    out, todo = set(techs), list(techs)
    while todo:
        tech = todo.pop()
        route = routes.get(tech)
        for visit in route.visits if route is not None else ():
            for other in members.get(visit.job, ()):
                if other not in out:
                    out.add(other)
                    todo.append(other)
    return out


def _offerable(job: Job) -> bool:
    return job.dispatchable and job.crew_size == 1 and not job.pinned_to


_LOCAL_REASONS = ("no qualified technician", "no technician", "crew of", "needs a crew")


def _reasons(problem: Problem, plan: Plan) -> Plan:
    """Unassigned reasons that hold for the whole day, not only for a territory."""
    out = []
    for u in plan.unassigned:
        job = problem.job(u.job)
        reason = rules.static_unassigned_reason(problem, job) if job.dispatchable else None
        if reason is None and u.reason.startswith(_LOCAL_REASONS) and job.dispatchable:
            reason = "no qualified technician of its territory or the neighbouring ones has time for it"
        out.append(Unassigned(u.job, reason or u.reason))
    return replace(plan, unassigned=tuple(out))


def _result(problem: Problem, plan: Plan, time_limit_s: float, seed: int, start: float, inner_used: str,
            phases: dict[str, float], info: list[dict], greedy: dict | None) -> Result:
    """The cheaper verified plan of the territories' merge and the whole-day greedy."""
    from ..audit.verify import verify
    from ..objective import plan_cost

    t0 = time.perf_counter()
    candidates = [(f"{BACKEND}:{inner_used}", _reasons(problem, plan))]
    if greedy and greedy.get("plan") is not None:
        candidates.append((f"{BACKEND}:whole-day-greedy", greedy["plan"]))
    priced = sorted(((plan_cost(problem, p), n, label, p) for n, (label, p) in enumerate(candidates)))
    status = None
    chosen = None
    for cost, _, label, candidate in priced:
        violations = verify(problem, candidate)
        if not violations:
            chosen = (cost, label, candidate)
            break
        log.error("decomposed: the %s plan breaks %d hard rules (a bug), first: %s; not used",
                  label, len(violations), violations[0])
    if chosen is None:                       # nothing verified: the dispatcher by hand, whole day
        from .greedy import solve_greedy

        fallback = solve_greedy(problem, seed=seed).plan
        chosen = (plan_cost(problem, fallback), f"{BACKEND}:whole-day-greedy", fallback)
        status = SolveStatus.FALLBACK
    phases["verify_s"] = time.perf_counter() - t0
    cost, label, best = chosen
    status = status or derive_status(problem, [u.job for u in best.unassigned])
    wall = time.perf_counter() - start
    solver = SolverInfo(backend=label, time_limit_s=time_limit_s, seed=seed, status=status.value,
                        objective=cost, wall_s=wall)
    log.info("decomposed: %s, %d territories, %d unassigned, cost %.1f in %.1f s", label,
             max(1, len(info)), len(best.unassigned), cost, wall)
    extra = {"backend": label, "phases": {k: round(v, 3) for k, v in phases.items()}, "territories": info}
    return Result(plan=replace(best, solver=solver), status=status,
                  stats=Statistics(wall_s=wall, objective=cost, extra=extra,
                                   first_solution_s=(greedy or {}).get("at_s")))
