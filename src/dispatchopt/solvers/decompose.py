"""Scale by decomposition: solve a big day as territories of 20-40 technicians, in parallel.

:func:`solve_decomposed` plans a day too big for one search (150 x 2000, 300 x 5000):

1. **Partition** (:func:`partition`). Weighted k-means (k-means++ start, seeded) on the job
   addresses (weight: service technician-minutes) and the technicians' depots (the same total
   weight), in a local plane (km) built from lat/lon or x/y; without coordinates (matrix or
   node-only locations) each place is embedded by its travel times to a few far-apart
   landmarks. Technicians go to territories by distance from their depot, each territory
   getting work minutes in proportion to its work (trainees in proportion to its crew work).
   Technicians tied by a pin to several of them (a mentor and his trainee) move together; a
   pinned job goes where its technician is; a job whose territory has no qualified lead (or too
   few qualified members for its crew) moves to the nearest territory that has them.
2. **Solve** every territory as a sub-Problem (``Problem.replace``) with
   ``dispatchopt.solvers.solve(sub, backend=inner_backend, time_limit_s=share)``, largest first,
   ``workers`` at a time in local processes (spawned, logs forwarded), or as Ray tasks when
   ``ray_address`` is given. Shares split the budget in proportion to the territories' work.
   Meanwhile this process plans the whole day with the greedy (the first feasible plan, and the
   fallback).
3. **Merge** the territory plans, then **repair across borders**: the solo jobs a territory
   left out are offered to the technicians of its two nearest territories
   (``solvers.repair.repair_plan`` on a sub-Problem of those routes, sharing the day's travel
   matrix). The merged plan is verified; the cheaper (``plan_cost``) of it and the greedy plan
   is returned. Every plan returned passes ``dispatchopt.audit.verify``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import logging.handlers
import math
import multiprocessing
import time
from dataclasses import dataclass, replace

import numpy as np

from .. import rules
from ..domain import Job, Problem, Technician
from ..errors import ParameterError
from ..plan import Plan, SolverInfo, Unassigned
from .base import Result, SolveStatus, Statistics, derive_status

log = logging.getLogger("dispatchopt")

BACKEND = "decomposed"
TERRITORY_TECHNICIANS = 30
"""Technicians per territory aimed at (territories hold 20-40 on days big enough)."""
MIN_TERRITORY_TECHNICIANS = 20
_KMEANS_ROUNDS = 15
_DEPOT_WEIGHT = 0.1           # the depots' share of the k-means weight, against the jobs' 1
_BALANCE = 0.05              # a territory holds at most 105 % of an even share of the weight
_LANDMARKS = 8                 # travel-time embedding of places without coordinates
_BORDER_NEIGHBOURS = 2         # territories whose technicians a left-out job is offered to
_REPAIR_SHARE = 0.12           # of the time limit kept for the border repair and the check


@dataclass(frozen=True)
class Territory:
    """A part of the day: its technicians and jobs (ids, in problem order) and its centre."""

    index: int
    technicians: tuple[str, ...]
    jobs: tuple[str, ...]
    centre: tuple[float, ...]
    work_s: float                      # service technician-seconds of its dispatchable jobs


# ------------------------------------------------------------------------------------------
# partition
# ------------------------------------------------------------------------------------------
def default_territories(problem: Problem) -> int:
    """How many territories ``problem`` is split into: about 30 technicians each, at least 20."""
    n = sum(1 for t in problem.technicians if not t.trainee)
    return max(1, min(round(n / TERRITORY_TECHNICIANS), n // MIN_TERRITORY_TECHNICIANS))


def partition(problem: Problem, n_territories: int, *, seed: int = 0) -> list[Territory]:
    """Split ``problem`` into ``n_territories`` territories (module doc, step 1)."""
    if isinstance(n_territories, bool) or not isinstance(n_territories, int) or n_territories < 1:
        raise ParameterError(f"n_territories: must be a positive integer, got {n_territories!r}")
    k = min(n_territories, max(1, sum(1 for t in problem.technicians if not t.trainee)))
    job_xy, tech_xy = _plane(problem)
    job_w = np.array([_work_s(j) for j in problem.jobs], dtype=float)
    tech_cap = np.array([0.0 if t.trainee else _capacity_s(t) for t in problem.technicians])
    # Depots pull the centres a little (a tenth of the weight); the work decides the balance.
    scale = _DEPOT_WEIGHT * job_w.sum() / tech_cap.sum() if tech_cap.sum() > 0 and job_w.sum() > 0 else 1.0
    points = np.vstack([job_xy, tech_xy]) if len(job_xy) else tech_xy
    weights = np.concatenate([np.maximum(job_w, 1.0), np.maximum(tech_cap * scale, 1.0)])
    centres, labels = _kmeans(points, weights, k, seed)
    job_terr = labels[:len(job_xy)].copy()
    work = np.bincount(job_terr, weights=job_w, minlength=k) if len(job_xy) else np.ones(k)
    crew_w = np.array([_work_s(j) * (j.crew_size - 1) / j.crew_size if j.crew_size > 1 else 0.0
                       for j in problem.jobs])
    crew_work = np.bincount(job_terr, weights=crew_w, minlength=k) if len(job_xy) else np.zeros(k)
    tech_terr = np.full(len(problem.technicians), -1)
    solo = [i for i, t in enumerate(problem.technicians) if not t.trainee]
    trainees = [i for i, t in enumerate(problem.technicians) if t.trainee]
    _assign(tech_terr, solo, tech_cap, work, tech_xy, centres)
    _assign(tech_terr, trainees, np.ones(len(problem.technicians)), crew_work + 1e-9, tech_xy, centres)
    _keep_pinned_together(problem, tech_terr)
    _place_jobs(problem, job_terr, tech_terr, job_xy, centres)
    out = []
    for i in range(k):
        techs = tuple(t.id for n, t in enumerate(problem.technicians) if tech_terr[n] == i)
        jobs = tuple(j.id for n, j in enumerate(problem.jobs) if job_terr[n] == i)
        if techs or jobs:
            out.append(Territory(len(out), techs, jobs, tuple(float(c) for c in centres[i]),
                                 float(sum(_work_s(problem.job(j)) for j in jobs))))
    return out


def _work_s(job: Job) -> float:
    return float(job.duration_s * job.crew_size) if job.dispatchable else 0.0


def _capacity_s(tech: Technician) -> float:
    """Working seconds of a technician: shifts minus breaks, capped by max_work_s."""
    total = sum(s.end_s - s.start_s for s in tech.shifts) - sum(b.duration_s for b in tech.breaks)
    if tech.max_work_s is not None:
        total = min(total, tech.max_work_s)
    return float(max(total, 0))


def _plane(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(jobs, 2+) and (technicians, 2+) coordinates in a local plane (km), or a landmark
    embedding (travel seconds to far-apart places) when some place has no coordinates."""
    places = [j.location for j in problem.jobs] + [t.start for t in problem.technicians]
    if all(p.lat is not None and p.lon is not None for p in places):
        lat = np.array([float(p.lat) for p in places])
        lon = np.array([float(p.lon) for p in places])
        xy = np.column_stack([(lon - lon.mean()) * 111.2 * math.cos(math.radians(lat.mean())),
                              (lat - lat.mean()) * 111.2])
    elif all(p.x is not None and p.y is not None for p in places):
        xy = np.array([(float(p.x), float(p.y)) for p in places])
    else:
        xy = _landmark_embedding(problem, places)
    return xy[:len(problem.jobs)], xy[len(problem.jobs):]


def _landmark_embedding(problem: Problem, places) -> np.ndarray:
    from ..travel import matrix_of

    matrix = matrix_of(problem)
    rows = np.array([matrix.index(p) for p in places])
    chosen = [int(rows[0])]
    far = matrix.seconds[rows[0], rows].astype(float)
    for _ in range(min(_LANDMARKS, len(rows)) - 1):
        nxt = int(rows[int(np.argmax(far))])
        chosen.append(nxt)
        far = np.minimum(far, matrix.seconds[nxt, rows])
    seconds = matrix.seconds[np.ix_(rows, chosen)] + matrix.seconds[np.ix_(chosen, rows)].T
    return seconds.astype(float) / 120.0     # minutes, both ways averaged


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted, balanced k-means (k-means++ start): (centres, label of every point)."""
    rng = np.random.default_rng(seed)
    centres = [points[int(rng.choice(len(points), p=weights / weights.sum()))]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1) * weights
        if d2.sum() <= 0:
            centres.append(points[int(rng.integers(len(points)))])
        else:
            centres.append(points[int(rng.choice(len(points), p=d2 / d2.sum()))])
    centres = np.array(centres, dtype=float)
    # Lloyd rounds with a capacity on each territory (its share of the weight + _BALANCE):
    # territories of comparable work even where the jobs crowd into a few hot spots.
    cap = weights.sum() / k * (1 + _BALANCE)
    labels = np.zeros(len(points), dtype=int)
    for _ in range(_KMEANS_ROUNDS):
        d2 = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
        labels = _capped_labels(d2, weights, cap)
        moved = centres.copy()
        for i in range(k):
            mask = labels == i
            if mask.any():
                moved[i] = np.average(points[mask], axis=0, weights=weights[mask])
        if np.allclose(moved, centres):
            break
        centres = moved
    return centres, labels


def _capped_labels(d2: np.ndarray, weights: np.ndarray, cap: float) -> np.ndarray:
    """Each point to its nearest centre that has room left (pairs taken nearest first)."""
    n, k = d2.shape
    labels = np.full(n, -1)
    load = np.zeros(k)
    flat = np.argsort(d2, axis=None, kind="stable")
    for p, c in zip(*np.unravel_index(flat, d2.shape)):
        if labels[p] < 0 and load[c] + weights[p] <= cap:
            labels[p] = c
            load[c] += weights[p]
    rest = labels < 0
    labels[rest] = np.argmin(d2[rest], axis=1)      # heavier than any room left: nearest
    return labels


def _assign(tech_terr: np.ndarray, members: list[int], cap: np.ndarray, work: np.ndarray,
            tech_xy: np.ndarray, centres: np.ndarray) -> None:
    """Technicians ``members`` to territories, nearest first, each territory filled up to its
    share (in proportion to ``work``) of the members' capacity ``cap``; the rest to the
    territory with the largest gap."""
    if not members:
        return
    total = float(sum(cap[m] for m in members))
    target = work / work.sum() * total if work.sum() > 0 else np.full(len(centres), total / len(centres))
    filled = np.zeros(len(centres))
    dist = np.sqrt(((tech_xy[members][:, None, :] - centres[None]) ** 2).sum(-1))
    pairs = sorted((dist[a, i], members[a], i) for a in range(len(members)) for i in range(len(centres)))
    for _, m, i in pairs:
        if tech_terr[m] < 0 and filled[i] + cap[m] / 2 <= target[i]:
            tech_terr[m] = i
            filled[i] += cap[m]
    for a, m in enumerate(members):
        if tech_terr[m] < 0:
            gap = target - filled
            i = int(np.argmax(gap - dist[a] * 1e-6))
            tech_terr[m] = i
            filled[i] += cap[m]


def _keep_pinned_together(problem: Problem, tech_terr: np.ndarray) -> None:
    """Technicians a pinned job names together end in the territory of the first of them."""
    index = {t.id: n for n, t in enumerate(problem.technicians)}
    parent = list(range(len(problem.technicians)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for job in problem.jobs:
        pins = [index[p] for p in job.pinned_to if p in index]
        for other in pins[1:]:
            a, b = root(pins[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    for n in range(len(parent)):
        tech_terr[n] = tech_terr[root(n)]


def _place_jobs(problem: Problem, job_terr: np.ndarray, tech_terr: np.ndarray, job_xy: np.ndarray,
                centres: np.ndarray) -> None:
    """Pinned jobs to their technician's territory; a job its territory cannot staff to the
    nearest territory that can (else it stays: its solver will give the reason)."""
    index = {t.id: n for n, t in enumerate(problem.technicians)}
    elig = rules.eligibility(problem)
    for n, job in enumerate(problem.jobs):
        pins = [index[p] for p in job.pinned_to if p in index]
        if pins:
            job_terr[n] = tech_terr[pins[0]]
            continue
        if not job.dispatchable:
            continue
        leads, members = elig[job.id]
        lead_terr = np.bincount([tech_terr[index[t]] for t in leads], minlength=len(centres))
        member_terr = np.bincount([tech_terr[index[t]] for t in members], minlength=len(centres))
        able = (lead_terr > 0) & ((job.crew_size == 1) | (member_terr >= job.crew_size))
        if able[job_terr[n]] or not able.any():
            continue
        dist = ((centres - job_xy[n]) ** 2).sum(-1)
        dist[~able] = np.inf
        job_terr[n] = int(np.argmin(dist))


def territory_problem(problem: Problem, territory: Territory, *, name: str | None = None) -> Problem:
    """The sub-Problem of one territory: its technicians and jobs, everything else the same."""
    techs, jobs = set(territory.technicians), set(territory.jobs)
    return problem.replace(name=name or f"{problem.name}#T{territory.index}",
                           technicians=tuple(t for t in problem.technicians if t.id in techs),
                           jobs=tuple(j for j in problem.jobs if j.id in jobs))


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


def solve_territory(task: _Task) -> tuple[int, Plan, str, float]:
    """Solve one territory (in a worker): (index, plan, backend used, wall seconds)."""
    from . import choose_backend, solve

    backend = task.backend
    if backend == "auto":
        backend = choose_backend(task.problem)
        if backend == BACKEND:          # a territory is never split again
            backend = "portfolio"
    options = {}
    if task.solution_limit is not None and backend in ("portfolio", "ortools"):
        options["solution_limit"] = task.solution_limit
    start = time.perf_counter()
    result = solve(task.problem, backend=backend, time_limit_s=task.time_limit_s, seed=task.seed, **options)
    return task.index, result.plan, result.plan.solver.backend, time.perf_counter() - start


def _run_inline(tasks: list[_Task], meanwhile) -> list:
    meanwhile()
    return [solve_territory(task) for task in tasks]


def _run_processes(tasks: list[_Task], workers: int, meanwhile) -> list:
    """Territories in spawned worker processes (their log records come back to this process);
    ``meanwhile()`` runs here once every task is submitted."""
    context = multiprocessing.get_context("spawn")   # never fork a parent holding threads
    log_queue = context.Queue()
    listener = logging.handlers.QueueListener(log_queue, _Forward())
    listener.start()
    level = logging.getLogger("dispatchopt").getEffectiveLevel()
    pool = cf.ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context,
                                  initializer=_init_worker_logging, initargs=(log_queue, level))
    try:
        futures = [pool.submit(solve_territory, task) for task in tasks]
        meanwhile()
        return [future.result() for future in cf.as_completed(futures)]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        listener.stop()
        log_queue.close()


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


class _Forward(logging.Handler):
    """Hands a record from a worker to the logger of the same name in this process."""

    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger(record.name)
        if target.isEnabledFor(record.levelno):
            target.handle(record)


def _init_worker_logging(log_queue, level: int) -> None:
    root = logging.getLogger("dispatchopt")
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(level)
    root.propagate = False


# ------------------------------------------------------------------------------------------
# the entry point
# ------------------------------------------------------------------------------------------
def solve_decomposed(problem: Problem, *, time_limit_s: float, seed: int = 0, inner_backend: str = "auto",
                     workers: int = 2, ray_address: str | None = None, n_territories: int | None = None,
                     solution_limit: int | None = None) -> Result:
    """Plan ``problem`` territory by territory (module doc); always a verified feasible plan.

    Parameters
    ----------
    time_limit_s : wall-clock budget of the whole call, in seconds.
    seed : seeds the partition and every territory's solve.
    inner_backend : the backend each territory is solved with (a ``solvers.BACKENDS`` name;
        ``"auto"`` picks per territory and never splits a territory again).
    workers : territories solved at a time: local processes (1: in this process), or the
        parallelism the budget is shared for on Ray.
    ray_address : a Ray cluster to run the territories on (``"auto"``, ``"ray://host:10001"``).
    n_territories : how many territories (default :func:`default_territories`: ~30
        technicians each); 1 solves the whole day with ``inner_backend``.
    solution_limit : passed to each territory's OR-Tools phase (``portfolio``/``ortools``):
        reproducible runs.
    """
    start = time.perf_counter()
    _check(time_limit_s, inner_backend, workers, n_territories)
    k = default_territories(problem) if n_territories is None else n_territories
    phases: dict[str, float] = {}
    territories = partition(problem, k, seed=seed) if k > 1 else []
    phases["partition_s"] = time.perf_counter() - start
    if len(territories) <= 1:
        _, plan, used, wall = solve_territory(_Task(0, problem, inner_backend, time_limit_s, seed, solution_limit))
        return _result(problem, plan, time_limit_s, seed, start, used, {"territories_s": wall}, [], None)
    tasks = _tasks(problem, territories, time_limit_s - (time.perf_counter() - start), inner_backend,
                   workers, seed, solution_limit)
    greedy: dict[str, object] = {}

    def meanwhile() -> None:            # the first feasible plan: the whole day by hand
        from . import solve

        greedy["plan"] = solve(problem, backend="greedy", seed=seed).plan
        greedy["at_s"] = time.perf_counter() - start
        log.info("decomposed: first feasible plan (greedy, whole day) after %.1f s", greedy["at_s"])

    t0 = time.perf_counter()
    if ray_address:
        done = _run_ray(tasks, ray_address, meanwhile)
    elif workers == 1:
        done = _run_inline(tasks, meanwhile)
    else:
        done = _run_processes(tasks, workers, meanwhile)
    phases["territories_s"] = time.perf_counter() - t0
    done.sort(key=lambda d: d[0])
    merged = _merge(problem, [d[1] for d in done])
    t0 = time.perf_counter()
    deadline = start + time_limit_s - 0.03 * time_limit_s
    merged = repair_borders(problem, merged, territories, deadline_s=deadline)
    phases["repair_s"] = time.perf_counter() - t0
    info = [{"territory": t.index, "technicians": len(t.technicians), "jobs": len(t.jobs),
             "backend": d[2], "wall_s": round(d[3], 3), "time_limit_s": round(_share_of(tasks, t.index), 3),
             "unassigned": len(d[1].unassigned)} for t, d in zip(territories, done)]
    return _result(problem, merged, time_limit_s, seed, start, done[0][2] if done else inner_backend,
                   phases, info, greedy)


def _share_of(tasks: list[_Task], index: int) -> float:
    """The time limit given to territory ``index``."""
    return next(t.time_limit_s for t in tasks if t.index == index)


def _check(time_limit_s: float, inner_backend: str, workers: int, n_territories: int | None) -> None:
    from . import BACKENDS

    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) \
            or not math.isfinite(time_limit_s) or time_limit_s <= 0:
        raise ParameterError(f"time_limit_s: must be a positive finite number of seconds, got {time_limit_s!r}")
    if inner_backend not in BACKENDS:
        raise ParameterError(f"inner_backend: unknown backend {inner_backend!r} "
                             f"(expected one of {', '.join(BACKENDS)})")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers: must be a positive integer, got {workers!r}")
    if n_territories is not None and (isinstance(n_territories, bool) or not isinstance(n_territories, int)
                                      or n_territories < 1):
        raise ParameterError(f"n_territories: must be a positive integer, got {n_territories!r}")


def _tasks(problem: Problem, territories: list[Territory], left_s: float, backend: str, workers: int,
           seed: int, solution_limit: int | None) -> list[_Task]:
    """One task per territory, largest first; the budget shared in proportion to the work."""
    budget = max(1.0, left_s * (1 - _REPAIR_SHARE))
    total = sum(t.work_s for t in territories) or 1.0
    parallel = min(workers, len(territories))
    tasks = []
    for t in sorted(territories, key=lambda t: (-t.work_s, t.index)):
        share = min(budget, max(1.0, 0.9 * budget * parallel * t.work_s / total))
        tasks.append(_Task(t.index, territory_problem(problem, t), backend, share, seed, solution_limit))
    return tasks


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
        techs = {t for n in near for t in n.technicians}
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
        from . import solve

        fallback = solve(problem, backend="greedy", seed=seed).plan
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
