"""The verifier's own re-timing of a plan's routes, from the Problem alone.

Deliberately separate from :mod:`dispatchopt.timing`, the code that builds routes for the
solvers: :func:`time_route` reads the plan's decisions (visit order, service starts, breaks,
departure) and recomputes travel, distances and the earliest possible arrivals, which the
checks of :mod:`dispatchopt.audit.verify` compare with the plan. :mod:`dispatchopt.audit.kpi`
reads the same re-timed routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..domain import Job, Location, Problem, Technician
from ..plan import Route, Visit
from ..travel import matrix_of

# -- interval arithmetic ----------------------------------------------------------------------
Interval = tuple[int, int]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[int]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def intersect_intervals(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for alo, ahi in a:
        for blo, bhi in b:
            lo, hi = max(alo, blo), min(ahi, bhi)
            if hi > lo:
                out.append((lo, hi))
    return merge_intervals(out)


def measure_intervals(intervals: Iterable[Interval]) -> int:
    return sum(hi - lo for lo, hi in intervals)


def covered(lo: int, hi: int, merged: list[Interval]) -> bool:
    """Is [lo, hi] inside one interval of a merged list?"""
    return any(a <= lo and hi <= b for a, b in merged)


def earliest_arrival_s(lo: int, travel_s: int, breaks: Iterable[Interval]) -> int:
    """Earliest arrival when leaving at ``lo`` for ``travel_s`` of driving that pauses during the
    breaks starting at or after ``lo``."""
    t, remaining = lo, travel_s
    for b_start, b_end in sorted(breaks):
        if b_start < lo:
            continue  # started before leaving: overlaps a service or the departure (check break)
        if b_end <= t:
            continue
        if b_start >= t + remaining:
            break
        remaining -= max(0, b_start - t)
        t = max(t, b_end)
    return t + remaining


# -- the re-timed route ---------------------------------------------------------------------
@dataclass(frozen=True)
class Leg:
    """A recomputed trip: from ``lo`` (departure or the previous service end) to the next visit
    (``visit`` its index) or, with ``visit`` None, home."""

    visit: int | None
    lo: int
    travel_s: int
    distance_m: float
    earliest_s: int          # earliest arrival with the breaks as listed


@dataclass(frozen=True)
class TimedRoute:
    """A route of a known technician re-timed from the problem (visits of unknown jobs dropped)."""

    route: Route
    tech: Technician
    visits: tuple[tuple[Visit, Job], ...]
    departure_s: int                      # the route's departure, or the first shift start
    breaks: tuple[Interval, ...]          # sorted
    legs: tuple[Leg, ...] = field(default=())   # one per visit, then the return (if any visit)

    @property
    def return_leg(self) -> Leg | None:
        return self.legs[-1] if self.visits else None

    @property
    def last_end_s(self) -> int | None:
        if not self.visits:
            return None
        visit, job = self.visits[-1]
        return visit.start_s + job.duration_s

    @property
    def return_arrival_s(self) -> int | None:
        """The reported return arrival, but never earlier than physically possible."""
        leg = self.return_leg
        if leg is None:
            return None
        reported = self.route.ret.arrival_s if self.route.ret is not None else leg.earliest_s
        return max(reported, leg.earliest_s)

    @property
    def travel_s(self) -> int:
        return sum(leg.travel_s for leg in self.legs)

    @property
    def distance_m(self) -> float:
        return sum(leg.distance_m for leg in self.legs)

    @property
    def service_s(self) -> int:
        return sum(job.duration_s for _, job in self.visits)


def time_route(problem: Problem, route: Route) -> TimedRoute | None:
    """Re-time ``route`` from the problem alone (None when its technician is unknown)."""
    if not problem.has_technician(route.technician):
        return None
    tech = problem.technician(route.technician)
    matrix = matrix_of(problem)
    visits = tuple((v, problem.job(v.job)) for v in route.visits if problem.has_job(v.job))
    breaks = tuple(sorted((b.start_s, b.end_s) for b in route.breaks))
    departure = route.departure_s if route.departure_s is not None else tech.shift_start_s
    legs: list[Leg] = []
    prev_loc: Location = tech.start
    lo = departure
    for i, (visit, job) in enumerate(visits):
        travel = matrix.travel_s(prev_loc, job.location)
        legs.append(Leg(i, lo, travel, matrix.distance_m(prev_loc, job.location),
                        earliest_arrival_s(lo, travel, breaks)))
        prev_loc, lo = job.location, visit.start_s + job.duration_s
    if visits:
        travel = matrix.travel_s(prev_loc, tech.end)
        legs.append(Leg(None, lo, travel, matrix.distance_m(prev_loc, tech.end),
                        earliest_arrival_s(lo, travel, breaks)))
    return TimedRoute(route=route, tech=tech, visits=visits, departure_s=departure,
                      breaks=breaks, legs=tuple(legs))
