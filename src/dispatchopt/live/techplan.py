"""One technician's route split at "now": the frozen past, the visit it heads to, the suffix.

What counts as frozen. A visit is frozen once its start is before "now" (no news is good news:
the plan of the past is taken as executed unless an event says otherwise), or once an event put
it in hand (``job_started``). Breaks that started before "now" are frozen too. A technician on
its way to (or waiting at) a visit that has not started is *not* committed to it: it is treated
as still at the place of its last frozen visit (or at its start location), free from "now", so
an emergency can divert it. That is an approximation of where a moving van is (the model only
knows job and depot locations); it is optimistic by the part of the trip already driven.

Availability of a technician = max(now, end of its last frozen visit, end of a break in
progress). A floating break whose latest start is already before that time and that was not
taken is placed "retroactively" in the idle gap since the last visit (the technician was idle
then), when that gap allows it; otherwise the technician cannot take any more work that would
make the break owed (the hard rule of ``rules.break_owed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..domain import Problem
from ..plan import BreakTaken, Route
from ..timing.forward import RouteState, TechContext
from ..timing.schedule import build_route
from ..travel import matrix_of

Item = tuple[str, "int | None"]        # (job id, fixed start for a crew visit, else None)


@dataclass(frozen=True)
class TechPlan:
    """A technician's route split at "now".

    ``frozen``: (job, start) visits done or in hand, kept exactly. ``frozen_breaks``: breaks
    started before now. ``departure_s``: the route's departure once it has left. ``heading``:
    the (job, start) visit it is on its way to (or waiting at), kept as published unless an
    emergency diverts the technician; ``heading_breaks``: breaks planned before that visit that
    have not started yet. ``suffix``: (job, fixed start) planned visits, in order (a crew visit
    keeps its common start fixed). ``base``: the forward-pass state after frozen + heading;
    ``states[i]``: after the first i+1 suffix visits.
    """

    technician: str
    frozen: tuple[tuple[str, int], ...]
    frozen_breaks: tuple[tuple[int, int], ...]
    departure_s: int | None
    heading: tuple[str, int] | None
    heading_breaks: tuple[tuple[int, int], ...]
    suffix: tuple[Item, ...]
    base: RouteState
    states: tuple[RouteState, ...]

    @property
    def final(self) -> RouteState:
        return self.states[-1] if self.states else self.base

    @property
    def movable(self) -> tuple[Item, ...]:
        """Visits not started: the heading one (if any) then the suffix."""
        if self.heading is None:
            return self.suffix
        return ((self.heading[0], None),) + self.suffix

    def after(self, q: int) -> RouteState:
        """Forward-pass state after movable visit ``q`` (-1: after the frozen part + heading)."""
        if self.heading is not None:
            return self.base if q <= 0 else self.states[q - 1]
        return self.base if q < 0 else self.states[q]

    @property
    def job_ids(self) -> list[str]:
        return [j for j, _ in self.frozen] + [j for j, _ in self.movable]

    def starts(self) -> dict[str, int]:
        out = dict(self.frozen)
        if self.heading is not None:
            out[self.heading[0]] = self.heading[1]
        for (job_id, _), st in zip(self.suffix, self.states):
            out[job_id] = st.starts[-1][1]
        return out


def match_breaks(ctx: TechContext, taken: Sequence[tuple[int, int]]) -> int:
    """Bit i set: sorted break rule i (``ctx.breaks``) is matched by one of the ``taken`` intervals."""
    bits = 0
    for start, end in sorted(taken):
        for i, (earliest, latest, duration) in enumerate(ctx.breaks):
            if not (bits >> i) & 1 and earliest <= start <= latest and end - start == duration:
                bits |= 1 << i
                break
    return bits


def frozen_base(problem: Problem, ctx: TechContext, frozen: Sequence[tuple[str, int]],
                frozen_breaks: Sequence[tuple[int, int]], departure_s: int | None, now_s: int,
                durations: Mapping[str, int] | None = None) -> RouteState:
    """The forward-pass state after the frozen visits: position, availability, work, breaks.

    ``durations`` overrides job durations (to price an interruption before committing it).
    Untaken breaks whose latest start is before the availability are placed retroactively in
    the idle gap since the last frozen visit when possible (see the module doc).
    """
    matrix = matrix_of(problem)
    secs = matrix.seconds
    loc = ctx.start_idx
    work = travel = load = 0
    last_end: int | None = None
    for job_id, start in frozen:
        job = problem.job(job_id)
        duration = durations.get(job_id, job.duration_s) if durations else job.duration_s
        j = matrix.index(job.location)
        t = int(secs[loc, j])
        travel += t
        work += t + duration
        load += job.demand
        loc, last_end = j, start + duration
    taken = match_breaks(ctx, frozen_breaks)
    breaks = list(frozen_breaks)
    first_shift = ctx.shifts[0][0] if ctx.shifts else 0
    free = max(now_s, first_shift)
    gap_lo = first_shift if last_end is None else last_end
    if last_end is not None:
        free = max(free, last_end)
    for _, end in frozen_breaks:
        free = max(free, end)
        gap_lo = max(gap_lo, end)
    for _ in range(2):   # a retroactive break can push the availability past another rule
        for i, (earliest, latest, duration) in enumerate(ctx.breaks):
            if (taken >> i) & 1 or latest >= free:
                continue
            start = max(earliest, gap_lo)
            if start > latest:
                continue   # cannot be taken any more: no new work may make it owed
            breaks.append((start, start + duration))
            taken |= 1 << i
            gap_lo = start + duration
            free = max(free, start + duration)
    return_s = return_travel = None
    if last_end is not None:
        return_travel = int(secs[loc, ctx.end_idx])
        r = last_end if return_travel == 0 else ctx.fit(last_end, return_travel)
        return_s = (last_end if r is None else r) + return_travel
    return RouteState(loc=loc, free_s=free, work_s=work, travel_s=travel, n_jobs=len(frozen),
                      load=load, taken=taken, departure_s=departure_s if frozen else None,
                      starts=tuple(frozen), breaks=tuple(breaks), return_s=return_s,
                      return_travel_s=return_travel or 0)


def route_breaks(st: RouteState) -> tuple[tuple[int, int], ...]:
    """The breaks of a timed route: those before visits, and those taken before the trip home
    (not owed, but placed by the forward pass so that the route warm-starts OR-Tools)."""
    return st.breaks + tuple(getattr(st, "home_breaks", ()))


def route_of(problem: Problem, tp: TechPlan) -> Route:
    """The plan Route of a technician (frozen part + heading + timed suffix)."""
    if tp.suffix:
        st = tp.final
        return build_route(problem, tp.technician, st.starts, route_breaks(st), st.departure_s)
    starts = tp.frozen + ((tp.heading,) if tp.heading is not None else ())
    breaks = tp.frozen_breaks + (tp.heading_breaks if tp.heading is not None else ())
    if starts:
        return build_route(problem, tp.technician, starts, breaks, tp.departure_s)
    return Route(technician=tp.technician, breaks=tuple(BreakTaken(s, e) for s, e in tp.frozen_breaks))

