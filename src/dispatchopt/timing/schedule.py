"""Route timing shared by every backend: turn (job, start) sequences into plan Routes.

A backend decides *who* does *what*, in which order and when service starts; this module
derives the rest (arrival, travel, distance, lateness, departure, return) from the one travel
matrix, so every backend reports the same figures for the same decisions.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import rules
from ..domain import Problem
from ..plan import BreakTaken, Return, Route, Visit
from ..travel import matrix_of


def build_route(problem: Problem, tech_id: str, starts: Sequence[tuple[str, int]],
                breaks: Sequence[tuple[int, int]] = (), departure_s: int | None = None) -> Route:
    """A Route for ``tech_id`` visiting ``starts`` = [(job_id, start_s), ...] in order.

    ``breaks`` are (start_s, end_s) intervals the technician takes; a break lying between two
    visits (or between the last visit and the return) delays the arrival that follows it.
    ``departure_s`` defaults to the latest departure that still reaches the first start.
    Each trip starts at the end of the previous service (the departure for the first), or, unless
    ``problem.anticipate_jobs``, at the job's received time if later (``rules.earliest_send_s``);
    the visit's ``sent_s`` is that moment (a break taken in the gap pauses the drive).
    """
    tech = problem.technician(tech_id)
    matrix = matrix_of(problem)
    breaks = sorted(breaks)
    taken = tuple(BreakTaken(s, e) for s, e in breaks)
    if not starts:
        return Route(technician=tech_id, breaks=taken)

    def breaks_between(lo: int, hi: int) -> int:
        return sum(e - s for s, e in breaks if lo <= s < hi)

    # Travel happens only inside shifts and outside breaks (the last shift may run over).
    spans = [(sh.start_s, sh.end_s) for sh in tech.shifts]
    spans[-1] = (spans[-1][0], rules.shift_end_with_overtime_s(tech))

    def travel_until(t: int, travel: int, hi: int) -> int:
        """Earliest arrival leaving at ``t`` with ``travel`` seconds of driving, counting only
        in-shift time outside the breaks taken in [t, hi); plain t + travel + breaks when the
        trip falls outside every shift (the verifier then reports it)."""
        if len(spans) == 1:
            return t + travel + breaks_between(t, hi)
        busy = sorted((s, e) for s, e in breaks if t <= s < hi)
        left, now = travel, t
        for a, b in spans:
            if b <= now:
                continue
            now = max(now, a)
            while left > 0 and now < b:
                nxt = next(((s, e) for s, e in busy if e > now), None)
                if nxt is not None and nxt[0] <= now:
                    now = nxt[1]
                    continue
                stop = min(b, nxt[0]) if nxt is not None else b
                step = min(left, stop - now)
                left -= step
                now += step
            if left == 0:
                return now
        return t + travel + breaks_between(t, hi)

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
        sent = _sets_off_s(prev_end, rules.earliest_send_s(problem, job), breaks, spans)
        arrival = min(start_s, travel_until(sent, travel, start_s))
        visits.append(Visit(job=job_id, arrival_s=arrival, start_s=start_s,
                            end_s=start_s + job.duration_s, travel_s=travel,
                            distance_m=matrix.distance_m(prev_loc, job.location),
                            late_s=rules.late_s(job, start_s), sent_s=min(sent, arrival - travel)))
        prev_loc, prev_end = job.location, start_s + job.duration_s
    travel = matrix.travel_s(prev_loc, tech.end)
    ret = Return(arrival_s=travel_until(prev_end, travel, 10**12),
                 travel_s=travel, distance_m=matrix.distance_m(prev_loc, tech.end))
    return Route(technician=tech_id, visits=tuple(visits), breaks=taken, ret=ret,
                 departure_s=departure_s)


def _sets_off_s(prev_end: int, send_s: int | None, breaks: Sequence[tuple[int, int]],
                spans: Sequence[tuple[int, int]]) -> int:
    """When the trip after ``prev_end`` starts: at once, or (``send_s``, the job's received time
    unless anticipating) the technician waits where they are until the job is received, then
    until the end of a break taken at that moment, or of the unworked gap between two shifts."""
    if send_s is None or send_s <= prev_end:
        return prev_end
    sent = send_s
    for b_start, b_end in breaks:
        if b_start < sent < b_end:
            sent = b_end
    if len(spans) > 1 and not any(a <= sent < b for a, b in spans):
        sent = next((a for a, _ in spans if a > sent), sent)
    return sent
