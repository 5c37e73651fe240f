""":func:`simulate`: many random days of one plan, in parallel, and their KPI distribution.

Run ``i`` draws its day with seed ``seed + i`` (:func:`.draw.draw_day`) and plays it
(:func:`.replay.replay_day`); a run is a small picklable :class:`SimTask` executed by
:func:`execute_task` inline, in a pool of spawned worker processes or as Ray tasks (the same
choices, and the same conventions, as the batch executors of
:mod:`dispatchopt.experiments.executors`: fresh "spawn" workers, their log records forwarded to
this process, Ray joining a cluster with ``ray_address``, one object-store copy of the problem).
Results are put back in run order, so the table does not depend on where or in which order the
runs finished: the same seed gives the same table inline, in processes or on Ray.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from ..audit.verify import verify
from ..domain import Problem
from ..errors import ParameterError
from ..experiments.executors import EXECUTORS, map_on_ray
from ..plan import Plan
from ..workers import map_in_pool, progress_bar
from .draw import DayParams, draw_day, emergency_categories
from .replay import SimulationError, replay_day
from .result import COUNT_COLUMNS, RunFailure, SimulationResult

log = logging.getLogger("dispatchopt")

POLICIES = ("finish_current", "interrupt")


@dataclass(frozen=True)
class SimTask:
    """One run: the (policy-adjusted) problem and plan, its index and seed, the parameters."""

    problem: Problem | None         # None when it travels separately (a Ray object reference)
    plan: Plan
    run: int
    seed: int
    params: DayParams
    replan_every_s: int | None = None
    full_verify: bool = False


def execute_task(task: SimTask, problem: Problem | None = None) -> dict[str, Any]:
    """Draw and play one day; never raises for a failure of the run (it becomes ``error``)."""
    problem = task.problem if problem is None else problem
    try:
        day = draw_day(problem, task.seed, task.params)
        executed = replay_day(problem, task.plan, day, replan_every_s=task.replan_every_s,
                              full_verify=task.full_verify)
    except Exception as exc:  # a broken run is a failure naming its seed, never the end of the others
        text = str(exc) if isinstance(exc, SimulationError) else f"seed {task.seed}: {type(exc).__name__}: {exc}"
        log.debug("simulate: run %d failed", task.run, exc_info=True)
        return {"run": task.run, "seed": task.seed, "error": text}
    row: dict[str, Any] = {"run": task.run, "seed": task.seed, **executed.kpis,
                           "customers_notified": executed.customers_notified}
    for name in COUNT_COLUMNS:
        row[name] = getattr(executed, name)
    return row


def with_policy(problem: Problem, policy: str | None) -> Problem:
    """``problem`` with every emergency-class category under ``policy`` (None: as it is)."""
    if policy is None:
        return problem
    if policy not in POLICIES:
        raise ParameterError(f"policy: expected one of {', '.join(POLICIES)}, got {policy!r}")
    return problem.replace(preemption={c: policy for c, _ in emergency_categories(problem)})


def simulate(problem: Problem, plan: Plan, *, runs: int, seed: int = 0, emergencies_per_hour: float = 1.0,
             duration_noise_cv: float = 0.3, no_show_p: float = 0.03, sick_p: float = 0.02, cancel_p: float = 0.0,
             policy: str | None = None, workers: int = 1, executor: str | None = None,
             ray_address: str | None = None, replan_every: float | None = None,
             progress: bool = False, full_verify: bool = False) -> SimulationResult:
    """Simulate ``runs`` random days of ``plan`` (see the package doc for what a day is).

    ``seed``: run ``i`` uses ``seed + i``. ``policy``: the preemption of emergencies
    (``finish_current`` or ``interrupt``; None keeps the scenario's). ``workers`` runs at a time;
    ``executor`` ``process`` (inline when ``workers`` is 1) or ``ray`` (``ray_address`` joins a
    cluster); default ``ray`` when ``ray_address`` is given, else ``process``. ``replan_every``: minutes between re-optimisations of the open day (greedy
    re-plan, kept only when it pays for its churn); None: immediate answers only. ``progress``:
    a tqdm bar on a terminal. Every plan a day publishes is checked (the answer of ``verify``,
    re-checking what the event changed: :class:`~.checking.PlanChecker`); ``full_verify``: with
    ``verify`` itself (the same results, slower). The plan must verify against the problem
    (ParameterError).
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ParameterError(f"runs: expected a whole number >= 1, got {runs!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers: expected a whole number >= 1, got {workers!r}")
    executor = executor or ("ray" if ray_address else "process")
    if executor not in EXECUTORS:
        raise ParameterError(f"executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
    if ray_address and executor != "ray":
        raise ParameterError(f"ray_address: {ray_address!r} given with executor {executor!r} (it needs 'ray')")
    if replan_every is not None and not (isinstance(replan_every, (int, float)) and replan_every > 0):
        raise ParameterError(f"replan_every: expected minutes > 0 or None, got {replan_every!r}")
    params = DayParams(emergencies_per_hour, duration_noise_cv, no_show_p, sick_p, cancel_p)
    problem = with_policy(problem, policy)
    violations = verify(problem, plan)
    if violations:
        raise ParameterError(f"plan: breaks {len(violations)} hard rule(s) of scenario {problem.name!r}, "
                             f"first: {violations[0]}")
    every_s = None if replan_every is None else int(round(replan_every * 60))
    tasks = [SimTask(problem, plan, i, int(seed) + i, params, every_s, full_verify) for i in range(runs)]
    t0 = time.perf_counter()
    rows = _execute(tasks, executor=executor, workers=workers, ray_address=ray_address, progress=progress)
    rows.sort(key=lambda row: row["run"])
    failures = tuple(RunFailure(r["run"], r["seed"], r["error"]) for r in rows if "error" in r)
    for failure in failures:
        log.warning("simulate: run %d failed: %s", failure.run, failure.message)
    frame = pd.DataFrame([r for r in rows if "error" not in r])
    info = {"runs": runs, "seed": seed, **asdict(params), "policy": policy, "replan_every": replan_every,
            "workers": workers, "executor": executor,
            "full_verify": full_verify, "scenario": problem.name}
    return SimulationResult(runs=frame, failures=failures, params=info, wall_s=time.perf_counter() - t0)


def _execute(tasks: list[SimTask], *, executor: str, workers: int, ray_address: str | None,
             progress: bool) -> list[dict[str, Any]]:
    bar = progress_bar(len(tasks), progress, desc="dispatchopt simulate", unit="day")
    rows: list[dict[str, Any]] = []

    def done(row: dict[str, Any]) -> None:
        rows.append(row)
        bar.update(1)

    try:
        if executor == "ray":
            _run_ray(tasks, workers=workers, ray_address=ray_address, done=done)
        elif workers == 1 or len(tasks) == 1:
            for task in tasks:
                done(execute_task(task))
        else:
            _run_processes(tasks, workers=workers, done=done)
    finally:
        bar.close()
    return rows


def _lost(task: SimTask, exc: BaseException) -> dict[str, Any]:
    return {"run": task.run, "seed": task.seed, "error": f"seed {task.seed}: worker failed: "
                                                         f"{type(exc).__name__}: {exc}"}


def _run_processes(tasks: list[SimTask], *, workers: int, done) -> None:
    map_in_pool(execute_task, tasks, workers=workers, done=lambda task, result: done(result),
                lost=lambda task, exc: done(_lost(task, exc)))


def _run_ray(tasks: list[SimTask], *, workers: int, ray_address: str | None, done) -> None:
    map_on_ray(execute_task, tasks, workers=workers, ray_address=ray_address,
               split=lambda task: (replace(task, problem=None), task.problem),
               done=lambda task, row: done(row), lost=lambda task, exc: done(_lost(task, exc)))
