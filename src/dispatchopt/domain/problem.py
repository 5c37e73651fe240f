"""The validated, immutable problem every solver, the verifier and the KPIs read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .job import Job
from .sla import SlaLevel
from .technician import Technician
from .time import Clock

if TYPE_CHECKING:  # pragma: no cover
    from ..travel.base import TravelMatrix

PREEMPTION_POLICIES = ("finish_current", "interrupt")

# Trades whose work needs a listed, valid certificate even when none is listed for the
# technician (DOMAIN.md: "an expired certificate means the technician may not be sent").
# A certificate that IS listed for any skill must be valid on the plan day for that skill.
DEFAULT_CERTIFICATE_REQUIRED = frozenset({"electrical", "gas"})


@dataclass(frozen=True)
class TravelSpec:
    """How travel times are made (``travel:`` in the scenario)."""

    model: str = "haversine"          # haversine | euclidean | graph | matrix
    speed_kmh: float = 25.0
    circuity: float = 1.3
    graph: str | None = None          # path of a GraphML file (graph model), resolved
    matrix: str | None = None         # path of a from,to,minutes[,km] CSV (matrix model), resolved
    speed_factor: float = 1.0         # extension: < 1 slows every trip (rain, snow)
    closed_edges: tuple[tuple[str, str], ...] = ()  # extension: graph edges removed (road closures)
    dimacs: bool = False              # extension: euclidean distances truncated to 0.1 (Solomon)


@dataclass(frozen=True)
class Objective:
    """Cost weights, in cost units per minute (late and unassigned are x category weight)."""

    travel_minute: float = 1.0
    late_minute: float = 5.0
    unassigned: float = 10000.0
    workload_balance: float = 0.0     # per minute of the largest technician workload
    overtime_minute: float = 2.0      # extension: per minute past the shift end


@dataclass(frozen=True)
class Problem:
    name: str
    clock: Clock
    end_s: int                                   # horizon end, seconds from clock origin
    travel: TravelSpec
    sla: dict[str, SlaLevel]                     # every category used by a job is here
    objective: Objective
    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]
    certificate_required: frozenset[str] = DEFAULT_CERTIFICATE_REQUIRED
    preemption: dict[str, str] = field(default_factory=dict)  # category -> policy (default finish_current)
    source: str | None = None                    # file it was loaded from, for messages
    # Per-instance memo of derived data (eligibility...); not an input, fresh after replace().
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- lookups --------------------------------------------------------------------------
    @cached_property
    def _jobs_by_id(self) -> dict[str, Job]:
        return {job.id: job for job in self.jobs}

    @cached_property
    def _techs_by_id(self) -> dict[str, Technician]:
        return {tech.id: tech for tech in self.technicians}

    def job(self, job_id: str) -> Job:
        return self._jobs_by_id[job_id]

    def technician(self, tech_id: str) -> Technician:
        return self._techs_by_id[tech_id]

    def has_job(self, job_id: str) -> bool:
        return job_id in self._jobs_by_id

    def has_technician(self, tech_id: str) -> bool:
        return tech_id in self._techs_by_id

    def weight(self, job: Job) -> float:
        return self.sla[job.category].weight

    def policy(self, category: str) -> str:
        return self.preemption.get(category, "finish_current")

    # -- travel ---------------------------------------------------------------------------
    @cached_property
    def travel_matrix(self) -> "TravelMatrix":
        """The one travel matrix of this problem, built on first use and kept."""
        from ..travel import build_travel_matrix

        return build_travel_matrix(self)

    def replace(self, **changes) -> "Problem":
        """A new Problem with fields changed (the travel matrix is rebuilt on first use)."""
        return dataclasses.replace(self, **changes)
