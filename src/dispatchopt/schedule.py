"""Route timing shared by every backend: turn (job, start) sequences into plan Routes.

A backend decides *who* does *what*, in which order and when service starts; this module
derives the rest (arrival, travel, distance, lateness, departure, return) from the one travel
matrix, so every backend reports the same figures for the same decisions.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import rules
from .domain import Problem
from .plan import BreakTaken, Return, Route, Visit


def build_route(problem: Problem, tech_id: str, starts: Sequence[tuple[str, int]],
                breaks: Sequence[tuple[int, int]] = (), departure_s: int | None = None) -> Route:
    """A Route for ``tech_id`` visiting ``starts`` = [(job_id, start_s), ...] in order.

    ``breaks`` are (start_s, end_s) intervals the technician takes; a break lying between two
    visits (or between the last visit and the return) delays the arrival that follows it.
    ``departure_s`` defaults to the latest departure that still reaches the first start.
    """
    tech = problem.technician(tech_id)
    matrix = problem.travel_matrix
    breaks = sorted(breaks)
    taken = tuple(BreakTaken(s, e) for s, e in breaks)
    if not starts:
        return Route(technician=tech_id, breaks=taken)

    def breaks_between(lo: int, hi: int) -> int:
        return sum(e - s for s, e in breaks if lo <= s < hi)

    first_job = problem.job(starts[0][0])
    first_travel = matrix.travel_s(tech.start, first_job.location)
    if departure_s is None:
        departure_s = starts[0][1] - first_travel - breaks_between(tech.shift_start_s, starts[0][1])
        departure_s = max(tech.shift_start_s, departure_s)
    visits: list[Visit] = []
    prev_loc, prev_end = tech.start, departure_s
    for job_id, start_s in starts:
        job = problem.job(job_id)
        travel = matrix.travel_s(prev_loc, job.location)
        arrival = min(start_s, prev_end + travel + breaks_between(prev_end, start_s))
        visits.append(Visit(job=job_id, arrival_s=arrival, start_s=start_s,
                            end_s=start_s + job.duration_s, travel_s=travel,
                            distance_m=matrix.distance_m(prev_loc, job.location),
                            late_s=rules.late_s(job, start_s)))
        prev_loc, prev_end = job.location, start_s + job.duration_s
    travel = matrix.travel_s(prev_loc, tech.end)
    ret = Return(arrival_s=prev_end + travel + breaks_between(prev_end, 10**12),
                 travel_s=travel, distance_m=matrix.distance_m(prev_loc, tech.end))
    return Route(technician=tech_id, visits=tuple(visits), breaks=taken, ret=ret,
                 departure_s=departure_s)
