"""The cross-checks a Problem must pass, run by :meth:`Problem.replace` (one pass, O(n)).

The scenario loader checks the same invariants with the file's context (line, key); this is
the check for a Problem changed in code (a live re-plan, a what-if variant). Each failure is a
:class:`~dispatchopt.errors.ScenarioError` naming the field, the id and the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import ScenarioError
from .job import Job
from .sla import SlaLevel
from .technician import Technician

PREEMPTION_POLICIES = ("finish_current", "interrupt")
"""What a working technician does when an emergency of a category arrives (see live/)."""


@dataclass(frozen=True)
class _Where:
    """What the messages name: the problem's file, else its name; and its categories."""

    label: str
    source: str | None
    sla: Mapping[str, SlaLevel]


def _fail(problem: _Where, field: str, item_id: str | None, value: object, what: str) -> ScenarioError:
    named = f" (id {item_id!r})" if item_id is not None else ""
    return ScenarioError(f"{problem.label}: {field}{named}: {what}", source=problem.source, field=field,
                         item_id=item_id, value=value)


def _check_levels(problem: _Where, field: str, item_id: str, skills: Mapping) -> None:
    for skill, level in skills.items():
        if not isinstance(skill, str) or not skill:
            raise _fail(problem, field, item_id, skill, f"skill name must be a non-empty text, got {skill!r}")
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise _fail(problem, f"{field}[{skill!r}]", item_id, level,
                        f"level must be a whole number >= 1, got {level!r}")


def _check_technician(problem: _Where, i: int, tech: Technician) -> None:
    field = f"technicians[{i}]"
    _check_levels(problem, f"{field}.skills", tech.id, tech.skills)
    if not tech.shifts:
        raise _fail(problem, f"{field}.shifts", tech.id, tech.shifts, "a technician needs at least one shift")
    previous_end = None
    for k, shift in enumerate(tech.shifts):
        if shift.start_s > shift.end_s:
            raise _fail(problem, f"{field}.shifts[{k}]", tech.id, (shift.start_s, shift.end_s),
                        f"start {shift.start_s} s is after end {shift.end_s} s")
        if previous_end is not None and shift.start_s < previous_end:
            raise _fail(problem, f"{field}.shifts[{k}]", tech.id, (shift.start_s, shift.end_s),
                        f"starts at {shift.start_s} s, before the previous shift ends ({previous_end} s): "
                        f"shifts must be sorted and must not overlap")
        previous_end = shift.end_s
    for k, rule in enumerate(tech.breaks):
        if rule.earliest_s > rule.latest_s or rule.duration_s < 0:
            raise _fail(problem, f"{field}.breaks[{k}]", tech.id,
                        (rule.earliest_s, rule.latest_s, rule.duration_s),
                        "earliest must not be after latest and the duration must not be negative")


def _check_job(problem: _Where, i: int, job: Job, tech_ids: set[str]) -> None:
    field = f"jobs[{i}]"
    if job.category not in problem.sla:
        raise _fail(problem, f"{field}.category", job.id, job.category,
                    f"unknown category {job.category!r} (known: {', '.join(sorted(problem.sla))})")
    _check_levels(problem, f"{field}.skills", job.id, job.skills)
    if job.duration_s < 0:
        raise _fail(problem, f"{field}.duration_s", job.id, job.duration_s, "must not be negative")
    if job.window is not None and job.window.start_s >= job.window.end_s:
        raise _fail(problem, f"{field}.window", job.id, (job.window.start_s, job.window.end_s),
                    f"start {job.window.start_s} s is not before end {job.window.end_s} s: the window is empty")
    if not 1 <= job.crew_size <= len(tech_ids):
        raise _fail(problem, f"{field}.crew_size", job.id, job.crew_size,
                    f"crew_size {job.crew_size} must be between 1 and the {len(tech_ids)} technicians")
    if len(set(job.pinned_to)) != len(job.pinned_to):
        raise _fail(problem, f"{field}.pinned_to", job.id, job.pinned_to, "a technician is pinned twice")
    if len(job.pinned_to) > job.crew_size:
        raise _fail(problem, f"{field}.pinned_to", job.id, job.pinned_to,
                    f"{len(job.pinned_to)} technicians pinned to a job of crew_size {job.crew_size}")
    for pin in job.pinned_to:
        if pin not in tech_ids:
            raise _fail(problem, f"{field}.pinned_to", job.id, pin, f"pinned to unknown technician {pin!r}")


def check_problem(*, name: str, source: str | None, sla: Mapping[str, SlaLevel],
                  technicians: Sequence[Technician], jobs: Sequence[Job], preemption: Mapping[str, str],
                  checked: tuple[Sequence[Technician], Sequence[Job], Mapping[str, SlaLevel]] | None = None,
                  ) -> None:
    """Cross-check the fields of a Problem (passed one by one: this module does not import
    the Problem). Raise a ScenarioError on the first broken invariant: technician and job ids unique,
    skills with whole levels >= 1, shifts sorted and non-overlapping, breaks well formed, every
    job's category in ``sla``, windows non-empty, crew size between 1 and the number of
    technicians, pinned technicians known (each once, no more than the crew size), preemption
    policies known for known categories.

    ``checked``: the (technicians, jobs, sla) of a problem that passed this check; a technician
    or job object found there is not checked again (ids stay checked for uniqueness, and a job
    is checked again when a technician is gone or ``sla`` changed), so a live re-plan that
    changes one job pays for one job, not for the whole day.
    """
    problem = _Where(label=source or name, source=source, sla=sla)
    old_techs, old_jobs, old_sla = checked if checked is not None else ((), (), None)
    seen_techs = {id(t) for t in old_techs}
    tech_ids: set[str] = set()
    for i, tech in enumerate(technicians):
        if tech.id in tech_ids:
            raise _fail(problem, f"technicians[{i}].id", tech.id, tech.id, f"duplicate technician id {tech.id!r}")
        tech_ids.add(tech.id)
        if id(tech) not in seen_techs:
            _check_technician(problem, i, tech)
    same_context = old_sla is sla and len(tech_ids) >= len(old_techs) and all(t.id in tech_ids for t in old_techs)
    seen_jobs = {id(j) for j in old_jobs} if same_context else set()
    job_ids: set[str] = set()
    for i, job in enumerate(jobs):
        if job.id in job_ids:
            raise _fail(problem, f"jobs[{i}].id", job.id, job.id, f"duplicate job id {job.id!r}")
        job_ids.add(job.id)
        if id(job) not in seen_jobs:
            _check_job(problem, i, job, tech_ids)
    for category, policy in preemption.items():
        if category not in problem.sla:
            raise _fail(problem, f"preemption[{category!r}]", None, category, f"unknown category {category!r}")
        if policy not in PREEMPTION_POLICIES:
            raise _fail(problem, f"preemption[{category!r}]", None, policy,
                        f"unknown preemption policy {policy!r} (expected {' or '.join(PREEMPTION_POLICIES)})")
