"""What every solver backend returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..plan import Plan


class SolveStatus(str, enum.Enum):
    """Outcome of a solve. Never an exception: read it off the result.

    OPTIMAL: proven optimal (CP-SAT, tiny instances). FEASIBLE: every hard rule holds, every
    plannable job planned. PARTIAL: a feasible plan, some jobs unassigned (each with a reason).
    FALLBACK: the main backend found nothing in time; the plan is the greedy one.
    NO_SOLUTION: nothing plannable at all (the plan is empty, every job has a reason).
    """

    OPTIMAL = "optimal"
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
