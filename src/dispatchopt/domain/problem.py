"""The validated, immutable problem every solver, the verifier and the KPIs read.

A :class:`Problem` is really frozen: its dict-shaped fields are read-only
:class:`~dispatchopt.domain.frozen.FrozenMap` values, so it is hashable and cannot be changed
in place. A changed problem is made with :meth:`Problem.replace`, which re-runs the
cross-checks of :mod:`dispatchopt.domain.checks`.

Derived data (the travel matrix, the eligibility table, the hash, the "passed the checks"
mark) is kept in one per-instance cache, read and written only through :func:`derived`; only
:mod:`dispatchopt.travel`, :mod:`dispatchopt.rules` and the Problem itself call it. The cache
is not part of the problem's value (not compared, not hashed) and a replaced problem starts
with an empty one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from .checks import PREEMPTION_POLICIES as PREEMPTION_POLICIES, check_problem
from .frozen import FrozenMap, frozen_map
from .job import Job
from .sla import SlaLevel
from .technician import Technician
from .time import Clock
from .travel import TravelSpec as TravelSpec

T = TypeVar("T")
_HASH_KEY = "hash"
_CHECKED_KEY = "checked"


def _no(_problem: "Problem") -> bool:
    return False


def _yes(_problem: "Problem") -> bool:
    return True


# Trades whose work needs a listed, valid certificate even when none is listed for the
# technician (DOMAIN.md: "an expired certificate means the technician may not be sent").
# A certificate that IS listed for any skill must be valid on the plan day for that skill.
DEFAULT_CERTIFICATE_REQUIRED = frozenset({"electrical", "gas"})


@dataclass(frozen=True)
class Objective:
    """Cost weights, in cost units per minute (late and unassigned are x category weight)."""

    travel_minute: float = 1.0
    late_minute: float = 5.0
    unassigned: float = 10000.0
    workload_balance: float = 0.0     # per minute of the largest technician workload
    overtime_minute: float = 2.0      # extension: per minute past the shift end
    other_technician_follow_up: float = 60.0  # a "prefer" follow-up taken by another person (docs/multiday.md)


@dataclass(frozen=True)
class Problem:
    name: str
    clock: Clock
    end_s: int                                   # horizon end, seconds from clock origin
    travel: TravelSpec
    sla: Mapping[str, SlaLevel]                  # every category used by a job is here (read-only)
    objective: Objective
    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]
    certificate_required: frozenset[str] = DEFAULT_CERTIFICATE_REQUIRED
    preemption: Mapping[str, str] = field(default_factory=FrozenMap)  # category -> policy (default finish_current)
    source: str | None = None                    # file it was loaded from, for messages
    # False (default): a technician sets off towards a job only once it was received (the trip
    # starts >= received_s); True: they may drive there early and wait for it to be reported.
    anticipate_jobs: bool = False
    # The derived-data cache (see the module doc): not an input, empty after replace().
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "sla", frozen_map(self.sla))
        setattr_(self, "preemption", frozen_map(self.preemption))
        if not isinstance(self.technicians, tuple):
            setattr_(self, "technicians", tuple(self.technicians))
        if not isinstance(self.jobs, tuple):
            setattr_(self, "jobs", tuple(self.jobs))
        if not isinstance(self.certificate_required, frozenset):
            setattr_(self, "certificate_required", frozenset(self.certificate_required))

    def __hash__(self) -> int:
        return derived(self, _HASH_KEY, lambda p: hash(tuple(getattr(p, f.name) for f in dataclasses.fields(p)
                                                             if f.compare)))

    def __getstate__(self) -> dict:
        # the cached hash is only valid in this process (str hashes are salted per process):
        # a pickled problem (batch workers, Ray) recomputes it; other derived data travels along
        state = dict(self.__dict__)
        state["_derived"] = {k: v for k, v in self._derived.items() if k != _HASH_KEY}
        return state

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

    def replace(self, **changes) -> "Problem":
        """A new Problem with fields changed, cross-checked (a :class:`ScenarioError` names the
        field, id and value of the first broken invariant). Derived data is rebuilt on first use
        (or given with ``dispatchopt.travel.attach_matrix``)."""
        new = dataclasses.replace(self, **changes)
        # objects of a problem that passed the check are not checked again (see check_problem)
        checked = (self.technicians, self.jobs, self.sla) if derived(self, _CHECKED_KEY, _no) else None
        check_problem(name=new.name, source=new.source, sla=new.sla, technicians=new.technicians,
                      jobs=new.jobs, preemption=new.preemption, checked=checked)
        derived(new, _CHECKED_KEY, _yes)
        return new


def derived(problem: Problem, key: str, build: Callable[[Problem], T], *, refresh: bool = False) -> T:
    """The one derived-data cache of a Problem: the value stored under ``key``, made with
    ``build(problem)`` on first use (or again with ``refresh``, e.g. to attach a ready value).

    Keys in use: ``"travel_matrix"`` (dispatchopt.travel), ``"eligibility"`` (dispatchopt.rules),
    ``"hash"`` (Problem.__hash__), ``"checked"`` (Problem.replace: passed the cross-checks). Derived data must be a function of the problem's value.
    """
    store = problem._derived
    if refresh or key not in store:
        store[key] = build(problem)
    return store[key]
