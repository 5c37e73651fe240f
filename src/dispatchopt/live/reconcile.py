"""Facts win over limits: relax a technician's (or its jobs') data where the frozen past, as
executed, breaks them.

An event may record facts that break a limit of the frozen past: a start before the window
opened or after it closed, work past the shift end (or in a shift gap), more work than
``max_work``, more jobs or load than allowed, a break that could not be taken in time. The
Problem is then relaxed for that technician or job (window, working time, max work, max jobs,
capacity, break latest start) so that the plan stays checkable by ``verify`` as executed, and
each relaxation is noted. :func:`relaxations` computes them; the workspace applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import rules
from ..domain import BreakRule, Job, Problem, Shift, Technician, Window
from ..travel import matrix_of
from .techplan import TechPlan


@dataclass(frozen=True)
class Relaxation:
    """What to change so that the frozen past of one technician is valid as executed."""

    jobs: tuple[Job, ...] = ()                  # jobs with a widened window, in frozen order
    tech_changes: dict[str, Any] = field(default_factory=dict)   # Technician fields to replace
    notes: tuple[str, ...] = ()


def relaxations(problem: Problem, tp: TechPlan) -> Relaxation:
    """The relaxations the frozen part of ``tp`` needs (none when it has no frozen visit)."""
    if not tp.frozen:
        return Relaxation()
    jobs, notes = _window_relaxations(problem, tp)
    changes = _tech_relaxations(problem, tp, notes)
    return Relaxation(tuple(jobs), changes, tuple(notes))


def _t(problem: Problem, seconds: float) -> str:
    return problem.clock.to_iso(seconds)[11:]


def _window_relaxations(problem: Problem, tp: TechPlan) -> tuple[list[Job], list[str]]:
    """Windows widened to a start before they open or after they close (kept as executed)."""
    out: list[Job] = []
    notes: list[str] = []
    for job_id, start in tp.frozen:
        job = problem.job(job_id)
        changed = False
        if job.window is not None and start < job.window.start_s:
            notes.append(f"{job_id}: started {_t(problem, start)}, before its window "
                         f"{_t(problem, job.window.start_s)}-{_t(problem, job.window.end_s)} "
                         f"(recorded as executed)")
            job = replace(job, window=Window(start, job.window.end_s))
            changed = True
        if job.window is not None and start > job.window.end_s:
            notes.append(f"{job_id}: started {_t(problem, start)}, after its window end "
                         f"{_t(problem, job.window.end_s)} (recorded as executed)")
            job = replace(job, window=Window(job.window.start_s, start))
            changed = True
        if changed:
            out.append(job)
    return out, notes


def _tech_relaxations(problem: Problem, tp: TechPlan, notes: list[str]) -> dict[str, Any]:
    """Working time, limits and break rules widened to the frozen work (notes appended)."""
    tech = problem.technician(tp.technician)
    tid = tech.id
    matrix = matrix_of(problem)
    shifts = [(s.start_s, s.end_s) for s in tech.shifts]
    overtime = tech.max_overtime_s
    loc = matrix.index(tech.start)
    work = load = 0
    last_end = None
    prev_end = tp.departure_s if tp.departure_s is not None else tech.shift_start_s
    for job_id, start in tp.frozen:
        job = problem.job(job_id)
        j = matrix.index(job.location)
        travel = int(matrix.seconds[loc, j])
        work += travel + job.duration_s
        load += job.demand
        loc = j
        end = start + job.duration_s
        last_end = end
        if travel > 0 and not _leg_fits(tech, shifts, overtime, prev_end, start, travel):
            shifts, overtime = _cover(shifts, overtime, start - travel, start)
        shifts, overtime = _cover(shifts, overtime, start, end)
        prev_end = end
    home = int(matrix.seconds[loc, matrix.index(tech.end)])
    shifts, overtime = _cover(shifts, overtime, last_end, last_end + home)
    changes: dict[str, Any] = {}
    if shifts != [(s.start_s, s.end_s) for s in tech.shifts] or overtime != tech.max_overtime_s:
        changes["shifts"] = tuple(Shift(a, b) for a, b in shifts)
        changes["max_overtime_s"] = overtime
        notes.append(f"{tid}: working time extended to cover the work as executed "
                     f"(until {_t(problem, last_end + home)})")
    if tech.max_work_s is not None and work + home > tech.max_work_s:
        changes["max_work_s"] = work + home
        notes.append(f"{tid}: max work raised to {(work + home) / 60:.0f} min (work as executed)")
    if tech.max_jobs is not None and len(tp.frozen) > tech.max_jobs:
        changes["max_jobs"] = len(tp.frozen)
    if tech.capacity > 0 and load > tech.capacity:
        changes["capacity"] = load
    # breaks owed by the frozen part alone that it could not take: taken right after it
    new_rules = list(tech.breaks)
    for i, rule in enumerate(tech.breaks):
        if rule.latest_s < last_end and not _rule_taken(rule, tp.frozen_breaks):
            new_rules[i] = BreakRule(rule.earliest_s, max(rule.latest_s, last_end), rule.duration_s)
            notes.append(f"{tid}: break due by {_t(problem, rule.latest_s)} taken late, after the "
                         f"work in hand ({_t(problem, last_end)})")
    if new_rules != list(tech.breaks):
        changes["breaks"] = tuple(new_rules)
    return changes


def _cover(shifts: list[tuple[int, int]], overtime: int, lo: int | None, hi: int | None
           ) -> tuple[list[tuple[int, int]], int]:
    """Shifts (and overtime) extended so that [lo, hi] lies in the working time."""
    if lo is None or hi is None or hi <= lo:
        return shifts, overtime
    spans = list(shifts)
    last = len(spans) - 1
    working = spans[:-1] + [(spans[-1][0], spans[-1][1] + overtime)]
    if any(a <= lo and hi <= b for a, b in working):
        return shifts, overtime
    k = 0
    for i, (a, _) in enumerate(spans):
        if a <= lo:
            k = i
    a, b = spans[k]
    if lo < a:
        a = lo
    if k == last:
        spans[k] = (a, b)
        overtime = max(overtime, hi - b)
        return spans, overtime
    b = max(b, hi)
    spans[k] = (a, b)
    merged = spans[:k + 1]
    for a2, b2 in spans[k + 1:]:
        if a2 <= merged[-1][1]:
            if (a2, b2) == spans[last] and merged[-1][1] > b2:
                # merging into the last shift: its end moves, overtime keeps its meaning
                merged[-1] = (merged[-1][0], b2)
                overtime = max(overtime, b - b2)
            else:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b2))
        else:
            merged.append((a2, b2))
    return merged, overtime


def _leg_fits(tech: Technician, shifts: list[tuple[int, int]], overtime: int, lo: int, hi: int,
              travel: int) -> bool:
    """Is there ``travel`` seconds of working time in one shift between ``lo`` and ``hi``, with
    ``tech``'s working time as extended so far (``shifts``, ``overtime``)?"""
    working = replace(tech, shifts=tuple(Shift(a, b) for a, b in shifts), max_overtime_s=overtime)
    spans = shifts[:-1] + [(shifts[-1][0], rules.shift_end_with_overtime_s(working))]
    for a, b in spans:
        d = max(a, lo)
        if d + travel <= min(b, hi):
            return True
    return False


def _rule_taken(rule: BreakRule, taken: Sequence[tuple[int, int]]) -> bool:
    return any(rule.earliest_s <= s <= rule.latest_s and e - s == rule.duration_s for s, e in taken)

