"""What every solver backend returns."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..domain import Problem
from ..plan import Plan


class SolveStatus(str, enum.Enum):
    """Outcome of a solve. Never an exception: read it off the result.

    FEASIBLE: every hard rule holds, every dispatchable job planned. PARTIAL: a feasible plan,
    some jobs unassigned (each with a reason).
    FALLBACK: the main backend found nothing in time; the plan is the greedy one.
    NO_SOLUTION: nothing plannable at all (the plan is empty, every job has a reason).
    """

    FEASIBLE = "feasible"
    PARTIAL = "partial"
    FALLBACK = "fallback"
    NO_SOLUTION = "no_solution"


@dataclass(frozen=True)
class Statistics:
    wall_s: float
    objective: float | None = None
    iterations: int | None = None
    first_solution_s: float | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    plan: Plan
    status: SolveStatus
    stats: Statistics


def derive_status(problem: Problem, unassigned: Iterable[str]) -> SolveStatus:
    """The status of a feasible plan that leaves the jobs ``unassigned`` (ids) out: FEASIBLE when
    no dispatchable job is among them, NO_SOLUTION when every dispatchable job is (and there is
    one), else PARTIAL. FALLBACK is the caller's to set: it says how the plan was made."""
    dispatchable = sum(1 for job in problem.jobs if job.dispatchable)
    left = sum(1 for job_id in set(unassigned)
               if problem.has_job(job_id) and problem.job(job_id).dispatchable)
    if left == 0:
        return SolveStatus.FEASIBLE
    if left == dispatchable:
        return SolveStatus.NO_SOLUTION
    return SolveStatus.PARTIAL
