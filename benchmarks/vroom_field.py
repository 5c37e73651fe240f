"""The VROOM peer of the field benchmark: VROOM alone, given the library's own mapping.

    run = run_vroom_field(problem, time_limit_s=30)         # VroomRun: plan, violations, notes
    plan = solve_vroom(problem, time_limit_s=30)            # just the plan

The mapping is :mod:`dispatchopt.solvers.vroom_backend` (the one the engine uses: skills x
levels x certificates, "may work alone", pins, shift gaps and lunch as breaks, max_work split,
SLA due as hard window ends with the relax pass, priorities from SLA weights, VROOM's order
re-timed by our forward pass so every plan verifies). The peer differs from the engine's VROOM
phase only in what a peer must not get from us:

- no ``repair_plan`` afterwards: what VROOM drops stays dropped;
- the whole time limit for VROOM (exploration level 5 by default, ``--threads`` threads);
- crews (``crews="fixed"``, default): crew jobs fixed at the common starts of the greedy plan
  (the dispatcher-by-hand baseline, not our construction), each member's copy a job only that
  member may take, window [start, start]. ``crews="excluded"``: crew jobs are left out and
  listed unassigned with :data:`CREW_REASON` (the comparison of issue 11's first table).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace

from dispatchopt.audit.verify import Violation, verify
from dispatchopt.domain import Problem
from dispatchopt.plan import Plan, Unassigned
from dispatchopt.solvers.greedy import solve_greedy
from dispatchopt.solvers.vroom_backend import SkillIds, crew_fixes_of, solve_vroom as _library_vroom

log = logging.getLogger("dispatchopt.bench.vroom_field")

BACKEND = "vroom"
CREW_REASON = "crew jobs not supported by VROOM (excluded from the peer)"
CREW_MODES = ("fixed", "excluded")
EXPLORATION_LEVEL = 5


@dataclass(frozen=True)
class VroomRun:
    """A VROOM peer run: the plan and what a report needs to be honest about it."""

    plan: Plan
    violations: tuple[Violation, ...]
    crew_excluded: tuple[str, ...]            # crew jobs left out (crews="excluded")
    crews_fixed: int                          # crew jobs given to VROOM at a fixed start
    wall_s: float                             # the whole call (greedy crews + VROOM + mapping back)
    notes: tuple[str, ...] = field(default=())


def run_vroom_field(problem: Problem, *, time_limit_s: float, threads: int = 1, crews: str = "fixed",
                    exploration_level: int = EXPLORATION_LEVEL, relax_dropped: bool = True,
                    check: bool = True) -> VroomRun:
    """VROOM on ``problem`` as a peer (module doc). ``check=False`` skips verify (``violations``
    is then empty: the caller verifies)."""
    if crews not in CREW_MODES:
        raise ValueError(f"crews: expected one of {CREW_MODES}, got {crews!r}")
    started = time.perf_counter()
    notes: list[str] = []
    excluded: tuple[str, ...] = ()
    target = problem
    if crews == "fixed":
        fixed = crew_fixes_of(problem, solve_greedy(problem).plan)
        notes.append(f"{len(fixed)} crew jobs fixed at the greedy plan's common starts")
    else:
        fixed = {}
        excluded = tuple(j.id for j in problem.jobs if j.crew_size > 1)
        target = problem.replace(jobs=tuple(j for j in problem.jobs if j.crew_size == 1))
        notes.append(f"{len(excluded)} crew jobs excluded: {CREW_REASON}")
    left = max(0.1, time_limit_s - (time.perf_counter() - started))
    result = _library_vroom(target, time_limit_s=left, exploration=exploration_level, fixed_crews=fixed,
                            threads=threads, relax=relax_dropped, repair=False)
    plan = result.plan
    if excluded:
        plan = replace(plan, scenario=problem.name,
                       unassigned=plan.unassigned + tuple(Unassigned(j, CREW_REASON) for j in excluded))
    phases = result.stats.extra.get("phases", {})
    if "vroom_relax_s" in phases:
        notes.append(f"relaxed second pass run ({phases['vroom_relax_s']:.1f} s)")
    wall = time.perf_counter() - started
    plan = replace(plan, solver=replace(plan.solver, backend=BACKEND, wall_s=wall))
    violations = tuple(verify(problem, plan)) if check else ()
    if violations:
        counts = Counter(v.rule for v in violations)
        log.warning("vroom plan of %s: %d verify violations (%s)", problem.name, len(violations),
                    ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())))
    return VroomRun(plan=plan, violations=violations, crew_excluded=excluded, crews_fixed=len(fixed),
                    wall_s=wall, notes=tuple(notes))


def solve_vroom(problem: Problem, *, time_limit_s: float, threads: int = 1, **options) -> Plan:
    """The VROOM peer's plan of ``problem`` (see :func:`run_vroom_field`)."""
    return run_vroom_field(problem, time_limit_s=time_limit_s, threads=threads, **options).plan


__all__ = ["BACKEND", "CREW_MODES", "CREW_REASON", "SkillIds", "VroomRun", "run_vroom_field", "solve_vroom"]
