"""One random day: what happens that the morning plan did not know, drawn from a seed.

:func:`draw_day` draws, for one run, everything that comes from outside the dispatch centre:

* **new work**: emergencies and urgent jobs arriving through the working day as a Poisson
  process of ``emergencies_per_hour``, between the first shift start and the median end of the
  technicians' working days. Each one's category is an emergency-class category of the scenario
  (on site within :data:`~dispatchopt.live.preemption.EMERGENCY_RESPOND_MIN` minutes, or listed
  in its ``preemption``), drawn by how often the scenario has it; its skills and planned
  duration are those of a random single-technician job of that category (of any category when
  it has none), its place a random job's place (moved by up to about 500 m on a haversine
  model), its due time the category's SLA from its arrival;
* **technicians falling ill**: each technician, independently with probability ``sick_p``, at a
  uniform moment of its working time;
* **cancellations**: each dispatchable job of the scenario, independently with probability
  ``cancel_p``, is cancelled by its customer at a uniform moment between its receipt (or the
  first shift start) and the end of the working day (ignored if the work has started by then);
* per job (by its id, so the draw does not depend on the order the day unfolds in): a
  **service-time factor**, lognormal with mean 1 and coefficient of variation
  ``duration_noise_cv`` (the actual service time is the planned one at the start times the
  factor), and whether the **customer is not at home** (probability ``no_show_p``).

The same (problem, seed, parameters) give the same day in any process: each draw has its own
``random.Random`` seeded with a text (not hash-randomised).
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field

from .. import rules
from ..domain import Job, Location, Problem
from ..errors import ParameterError
from ..live.preemption import EMERGENCY_RESPOND_MIN

JITTER_DEG = 0.0045
"""Largest move of a new job's place from the job it copies, in degrees (about 500 m)."""


@dataclass(frozen=True)
class DayParams:
    """The rates and probabilities of a simulated day (see the module doc)."""

    emergencies_per_hour: float = 1.0
    duration_noise_cv: float = 0.3
    no_show_p: float = 0.03
    sick_p: float = 0.02
    cancel_p: float = 0.0

    def __post_init__(self) -> None:
        for name in ("emergencies_per_hour", "duration_noise_cv"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ParameterError(f"{name}: expected a number >= 0, got {value!r}")
        for name in ("no_show_p", "sick_p", "cancel_p"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ParameterError(f"{name}: expected a probability between 0 and 1, got {value!r}")


@dataclass(frozen=True)
class Day:
    """The outside world of one run: arrivals, illnesses and the per-job draws."""

    seed: int
    params: DayParams
    arrivals: tuple[Job, ...] = ()                      # received_s = the arrival time
    sick: tuple[tuple[int, str], ...] = ()              # (time, technician), in time order
    cancellations: tuple[tuple[int, str], ...] = ()     # (time, job), in time order
    _factors: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    _no_show: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    def duration_factor(self, job_id: str) -> float:
        """The service-time factor of ``job_id`` (lognormal, mean 1), drawn once per job."""
        factor = self._factors.get(job_id)
        if factor is None:
            cv = self.params.duration_noise_cv
            sigma = math.sqrt(math.log1p(cv * cv))
            rng = random.Random(f"{self.seed}/duration/{job_id}")
            factor = self._factors[job_id] = rng.lognormvariate(-sigma * sigma / 2, sigma) if cv > 0 else 1.0
        return factor

    def not_home(self, job_id: str) -> bool:
        """Is the customer of ``job_id`` out when the technician arrives? Drawn once per job."""
        out = self._no_show.get(job_id)
        if out is None:
            draw = random.Random(f"{self.seed}/no_show/{job_id}").random()
            out = self._no_show[job_id] = draw < self.params.no_show_p
        return out


def working_span(problem: Problem) -> tuple[int, int]:
    """(first shift start, median end of the technicians' last shifts): when new work arrives."""
    starts = [t.shifts[0].start_s for t in problem.technicians]
    ends = [t.shifts[-1].end_s for t in problem.technicians]
    lo = max(0, min(starts))
    hi = int(statistics.median(ends))
    return lo, max(lo, hi)


def emergency_categories(problem: Problem) -> list[tuple[str, int]]:
    """[(category, weight)] of the emergency-class categories, weight = 1 + jobs of it."""
    counts: dict[str, int] = {}
    for job in problem.jobs:
        counts[job.category] = counts.get(job.category, 0) + 1
    out = []
    for category in sorted(problem.sla):
        level = problem.sla[category]
        if category in problem.preemption or (
                level.working_days is None and level.respond_minutes <= EMERGENCY_RESPOND_MIN):
            out.append((category, 1 + counts.get(category, 0)))
    return out


def draw_day(problem: Problem, seed: int, params: DayParams) -> Day:
    """The random day of run ``seed`` (see the module doc)."""
    rng = random.Random(f"{seed}/day")
    arrivals = _arrivals(problem, rng, params.emergencies_per_hour)
    sick = []
    for tech in problem.technicians:
        r = random.Random(f"{seed}/sick/{tech.id}")
        if r.random() < params.sick_p:
            spans = [(s.start_s, s.end_s) for s in tech.shifts if s.end_s > s.start_s]
            if spans:
                total = sum(b - a for a, b in spans)
                at = r.uniform(0, total)
                for a, b in spans:
                    if at <= b - a:
                        sick.append((int(a + at), tech.id))
                        break
                    at -= b - a
    lo, hi = working_span(problem)
    cancels = []
    for job in problem.jobs:
        r = random.Random(f"{seed}/cancel/{job.id}")
        if job.dispatchable and r.random() < params.cancel_p:
            start = max(lo, job.received_s)
            cancels.append((int(r.uniform(start, max(start, hi))), job.id))
    return Day(seed=seed, params=params, arrivals=tuple(arrivals), sick=tuple(sorted(sick)),
               cancellations=tuple(sorted(cancels)))


def _arrivals(problem: Problem, rng: random.Random, per_hour: float) -> list[Job]:
    cats = emergency_categories(problem)
    models = [j for j in problem.jobs if j.crew_size == 1 and j.dispatchable and not j.pinned_to]
    if per_hour <= 0 or not cats or not models:
        return []
    lo, hi = working_span(problem)
    by_cat: dict[str, list[Job]] = {}
    for job in models:
        by_cat.setdefault(job.category, []).append(job)
    out: list[Job] = []
    t = float(lo)
    while True:
        t += rng.expovariate(per_hour / 3600.0)
        if t >= hi:
            return out
        category = rng.choices([c for c, _ in cats], [w for _, w in cats])[0]
        model = rng.choice(by_cat.get(category) or models)
        place = rng.choice(problem.jobs).location
        at = int(t)
        out.append(Job(id=f"SIM{len(out) + 1:03d}", location=_near(problem, place, rng),
                       category=category, skills=dict(model.skills), duration_s=model.duration_s,
                       received_s=at, due_s=rules.sla_due_s(problem.clock, at, problem.sla[category])))


def _near(problem: Problem, place: Location, rng: random.Random) -> Location:
    """``place``, moved a little on a haversine model (other models: the same place)."""
    if problem.travel.model != "haversine" or place.lat is None or place.lon is None:
        return place
    return Location(lat=round(place.lat + rng.uniform(-JITTER_DEG, JITTER_DEG), 6),
                    lon=round(place.lon + rng.uniform(-JITTER_DEG, JITTER_DEG), 6))
