"""A broken rule (:class:`Violation`) and what every check of the verifier reads."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import Problem, Technician
from ..plan import Plan, Visit
from .retime import TimedRoute


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` is one of :data:`RULES`; ``message`` names ids, values and
    local times."""

    rule: str
    message: str
    technician: str | None = None
    job: str | None = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass
class CheckContext:
    """What every check reads: the problem, the plan, its re-timed routes and each planned
    job's crew."""

    problem: Problem
    plan: Plan
    timed: list[TimedRoute]
    crews: dict[str, list[tuple[Technician, Visit]]]   # known job -> (tech, visit) over known routes

    def t(self, seconds: float) -> str:
        return self.problem.clock.to_iso(seconds)


def minutes_text(seconds: float) -> str:
    """Seconds as minutes for a message (``"12.5 min"``)."""
    return f"{round(seconds / 60, 2):g} min"
