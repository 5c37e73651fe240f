"""A small forward-pass route checker and inserter (pure Python, int seconds).

The greedy baseline appends jobs with it, and live insertion can reuse it. It implements the
"Semantics everyone must agree on" of docs/ENGINEERING.md:

- Shifts: travel and service are work and happen inside a shift. The last shift runs
  ``max_overtime_s`` longer (the route returns by the last shift end + overtime). The gap between
  two shifts is not worked: a trip or a service that does not fit before a shift ends waits for
  the next shift (a technician may wait on site across the gap). A trip of 0 s is not work.
- A visit starts at or after its arrival, ``rules.earliest_start_s(job)`` and any fixed start,
  at or before the window end and the horizon end (``problem.end_s``), and its service lies
  inside one shift.
- Breaks (``BreakRule``): a break not yet taken must be taken before a service that would end
  after its ``latest_s`` (``rules.break_owed``). It is taken in the gap before that service, at
  the earliest moment >= ``earliest_s`` after the trip (on site, while waiting) or, when that
  would start it after ``latest_s``, before the trip. A break is never taken unless owed, so the
  breaks taken are exactly the owed ones. Breaks need not lie inside a shift (lunch is often the
  gap between a morning and an afternoon shift).
- Limits: ``max_jobs`` (visits), ``max_work_s`` (travel incl. the return + service; waiting and
  breaks excluded), ``capacity`` (0 = unlimited; sum of demand).

Schedules are the earliest ones: every unfixed visit starts as early as it can, which never
hurts a later visit. Results are materialised with :func:`dispatchopt.timing.schedule.build_route`.

Low level (used in loops): :class:`TechContext`, :class:`RouteState`, :func:`place`, :func:`apply`.
High level: :func:`schedule_route`, :func:`route_failure`; the one best insertion is
:mod:`dispatchopt.timing.insertion`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .. import rules
from ..domain import Job, Problem, Technician
from ..plan import Route
from ..travel import matrix_of
from .schedule import build_route

# Failure codes returned by :func:`place` (a str instead of a Placement).
MAX_JOBS = "max_jobs"      # the technician already has max_jobs visits
CAPACITY = "capacity"      # load + demand > capacity
WORK = "work"              # travel (incl. return) + service would exceed max_work_s
SHIFT = "shift"            # the trip or the service fits in no remaining shift
WINDOW = "window"          # the earliest start is after the window end
BREAK = "break"            # an owed break cannot start by its latest_s
RETURN = "return"          # cannot be back by the last shift end + overtime
START = "start"            # the fixed start is not feasible (earlier visits or shift/breaks)
HORIZON = "horizon"        # the earliest start is after the problem's horizon end

LIMIT_CODES = frozenset({MAX_JOBS, CAPACITY, WORK})
TIME_CODES = frozenset({SHIFT, WINDOW, BREAK, RETURN, START, HORIZON})


class TechContext:
    """Per-technician constants of the forward pass (ints only)."""

    __slots__ = ("tech", "id", "shifts", "breaks", "start_idx", "end_idx", "max_jobs",
                 "max_work_s", "capacity", "horizon_s")

    def __init__(self, problem: Problem, tech: Technician) -> None:
        matrix = matrix_of(problem)
        shifts = [(s.start_s, s.end_s) for s in tech.shifts]
        if shifts:
            shifts[-1] = (shifts[-1][0], rules.shift_end_with_overtime_s(tech))
        self.tech = tech
        self.id = tech.id
        self.shifts: tuple[tuple[int, int], ...] = tuple(shifts)
        self.breaks: tuple[tuple[int, int, int], ...] = tuple(sorted(
            (b.earliest_s, b.latest_s, b.duration_s) for b in tech.breaks))
        self.start_idx = matrix.index(tech.start)
        self.end_idx = matrix.index(tech.end)
        self.max_jobs = tech.max_jobs
        self.max_work_s = tech.max_work_s
        self.capacity = tech.capacity
        self.horizon_s = problem.end_s          # no visit starts after the horizon end

    def fit(self, t: int, duration: int) -> int | None:
        """Earliest d >= t with [d, d + duration] inside one shift, or None."""
        for start, end in self.shifts:
            if end < t:
                continue
            d = t if t > start else start
            if d + duration <= end:
                return d
        return None

    def empty(self) -> "RouteState":
        first = self.shifts[0][0] if self.shifts else 0
        return RouteState(loc=self.start_idx, free_s=first)


@dataclass(frozen=True, slots=True)
class RouteState:
    """The end of a partial route: where the technician is and when it is free again."""

    loc: int                                    # travel-matrix index of the current place
    free_s: int                                 # end of the last service (or shift start)
    work_s: int = 0                             # travel + service so far, return excluded
    travel_s: int = 0                           # travel so far, return excluded
    n_jobs: int = 0
    load: int = 0
    taken: int = 0                              # bit i: sorted break i taken
    departure_s: int | None = None
    starts: tuple[tuple[str, int], ...] = ()    # (job id, start_s)
    breaks: tuple[tuple[int, int], ...] = ()    # (start_s, end_s)
    arrivals: tuple[int, ...] = ()              # actual arrival of each visit (end of its trip)
    return_s: int | None = None                 # arrival back at tech.end
    return_travel_s: int = 0
    home_breaks: tuple[tuple[int, int], ...] = ()  # breaks before the trip home (last visit only)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one more visit goes at the end of a route (the output of :func:`place`)."""

    start_s: int
    depart_s: int                               # the trip to the job starts here
    breaks: tuple[tuple[int, int, int], ...]    # (sorted break index, start_s, end_s) before it
    travel_in_s: int
    travel_out_s: int
    return_s: int                               # back at tech.end if this is the last visit
    work_s: int                                 # route work with this visit and the return
    home_breaks: tuple[tuple[int, int, int], ...] = ()  # taken before the trip home if last


def place(ctx: TechContext, state: RouteState, *, duration_s: int, earliest_s: int,
          latest_s: int | None, demand: int, travel_in_s: int, travel_out_s: int,
          start_s: int | None = None, not_before_s: int | None = None,
          send_s: int | None = None) -> Placement | str:
    """Append one visit at the end of ``state``: its earliest feasible placement or a failure code.

    ``start_s`` fixes the start (a crew's common start); ``not_before_s`` only bounds it below.
    ``send_s`` (``rules.earliest_send_s``: the job's received time unless the problem anticipates
    jobs) bounds the trip's departure below: the technician waits where they are until then.
    """
    if ctx.max_jobs is not None and state.n_jobs >= ctx.max_jobs:
        return MAX_JOBS
    if ctx.capacity and state.load + demand > ctx.capacity:
        return CAPACITY
    work = state.work_s + travel_in_s + duration_s + travel_out_s
    if ctx.max_work_s is not None and work > ctx.max_work_s:
        return WORK
    lower = earliest_s
    if not_before_s is not None and not_before_s > lower:
        lower = not_before_s
    if start_s is not None:
        if start_s < lower or (latest_s is not None and start_s > latest_s):
            return START
        lower = start_s
    fit = ctx.fit
    brules = ctx.breaks
    pending: list[int] = []
    while True:
        cur = state.free_s
        depart = None
        placed = []
        for i in pending:
            b_earliest, b_latest, b_dur = brules[i]
            if depart is None:
                go = cur if send_s is None or send_s <= cur else send_s
                d = go if travel_in_s == 0 else fit(go, travel_in_s)
                if d is not None:
                    arrive = d + travel_in_s
                    bs = b_earliest if b_earliest > arrive else arrive
                    if bs <= b_latest:          # trip first, break on site
                        depart = d
                        placed.append((i, bs, bs + b_dur))
                        cur = bs + b_dur
                        continue
            bs = b_earliest if b_earliest > cur else cur
            if bs > b_latest:
                return BREAK
            placed.append((i, bs, bs + b_dur))
            cur = bs + b_dur
        if depart is None:
            go = cur if send_s is None or send_s <= cur else send_s
            depart = go if travel_in_s == 0 else fit(go, travel_in_s)
            if depart is None:
                return SHIFT
            cur = depart + travel_in_s
        s = fit(cur if cur > lower else lower, duration_s)
        if s is None:
            return SHIFT if start_s is None else START
        if latest_s is not None and s > latest_s:
            return WINDOW if start_s is None else START
        if s > ctx.horizon_s:
            return HORIZON if start_s is None else START
        if start_s is not None and s != start_s:
            return START
        end = s + duration_s
        new = [i for i in range(len(brules))
               if not (state.taken >> i) & 1 and i not in pending and brules[i][1] < end]
        if not new:
            break
        pending = sorted(pending + new)
    home = _trip_home(ctx, state.taken, placed, end, travel_out_s)
    if isinstance(home, str):
        return home
    r, home_breaks = home
    return Placement(start_s=s, depart_s=depart, breaks=tuple(placed), travel_in_s=travel_in_s,
                     travel_out_s=travel_out_s, return_s=r + travel_out_s, work_s=work,
                     home_breaks=home_breaks)


def _trip_home(ctx: TechContext, taken: int, placed: list[tuple[int, int, int]], end: int,
               travel_out_s: int) -> tuple[int, tuple[tuple[int, int, int], ...]] | str:
    """(departure home, breaks taken before it) after a visit ending at ``end``, or a code.

    A break that is not owed (the last visit ends by its latest start) but whose latest start
    falls before the technician is home is taken before the trip home: the contract allows it,
    and the OR-Tools model (which always schedules a rule break, at the latest after the route
    end) needs it for the plan to warm-start the search."""
    fit = ctx.fit
    brules = ctx.breaks
    for i, _, _ in placed:
        taken |= 1 << i
    home_breaks: list[tuple[int, int, int]] = []
    cur = end
    while True:
        r = cur if travel_out_s == 0 else fit(cur, travel_out_s)
        if r is None:
            return RETURN
        late = [i for i in range(len(brules)) if not (taken >> i) & 1
                and all(i != h for h, _, _ in home_breaks) and brules[i][1] < r + travel_out_s]
        if not late:
            return r, tuple(home_breaks)
        i = late[0]
        bs = brules[i][0] if brules[i][0] > cur else cur
        if bs > brules[i][1]:
            return BREAK
        home_breaks.append((i, bs, bs + brules[i][2]))
        cur = bs + brules[i][2]


def apply(ctx: TechContext, state: RouteState, placement: Placement, *, job_id: str, loc: int,
          duration_s: int, demand: int) -> RouteState:
    """The route state after appending the visit ``placement`` describes."""
    taken = state.taken
    for i, _, _ in placement.breaks:
        taken |= 1 << i
    departure = state.departure_s
    if departure is None:
        departure = placement.depart_s
        if placement.breaks:
            departure = min(departure, placement.breaks[0][1])
        else:
            # leave as late as still reaches the start (no waiting on site), inside the shift
            late = placement.start_s - placement.travel_in_s
            if late > departure:
                for start, end in ctx.shifts:
                    if start <= placement.start_s <= end:
                        if late >= start:
                            departure = late
                        break
    return RouteState(
        loc=loc, free_s=placement.start_s + duration_s,
        work_s=state.work_s + placement.travel_in_s + duration_s,
        travel_s=state.travel_s + placement.travel_in_s, n_jobs=state.n_jobs + 1,
        load=state.load + demand, taken=taken, departure_s=departure,
        starts=state.starts + ((job_id, placement.start_s),),
        breaks=state.breaks + tuple((s, e) for _, s, e in placement.breaks),
        arrivals=state.arrivals + (placement.depart_s + placement.travel_in_s,),
        return_s=placement.return_s, return_travel_s=placement.travel_out_s,
        home_breaks=tuple((s, e) for _, s, e in placement.home_breaks))


def advance(state: RouteState, placement: Placement, *, loc: int, duration_s: int,
            demand: int) -> RouteState:
    """:func:`apply` without the per-visit records (starts, breaks, arrivals, departure): the
    scalars :func:`place` reads and the return, for re-timing a suffix only to price it."""
    taken = state.taken
    for i, _, _ in placement.breaks:
        taken |= 1 << i
    return RouteState(loc=loc, free_s=placement.start_s + duration_s,
                      work_s=state.work_s + placement.travel_in_s + duration_s,
                      travel_s=state.travel_s + placement.travel_in_s, n_jobs=state.n_jobs + 1,
                      load=state.load + demand, taken=taken, return_s=placement.return_s,
                      return_travel_s=placement.travel_out_s)


def place_job(problem: Problem, ctx: TechContext, state: RouteState, job: Job, *,
              start_s: int | None = None, not_before_s: int | None = None) -> Placement | str:
    """:func:`place` for a Job, reading travel from the problem's matrix."""
    matrix = matrix_of(problem)
    j = matrix.index(job.location)
    return place(ctx, state, duration_s=job.duration_s, earliest_s=rules.earliest_start_s(job),
                 latest_s=rules.latest_start_s(job), demand=job.demand,
                 travel_in_s=int(matrix.seconds[state.loc, j]),
                 travel_out_s=int(matrix.seconds[j, ctx.end_idx]),
                 start_s=start_s, not_before_s=not_before_s, send_s=rules.earliest_send_s(problem, job))


# -- whole routes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RouteSchedule:
    """The earliest schedule of a route: starts, breaks taken, departure, return, work."""

    technician: str
    starts: tuple[tuple[str, int], ...]
    breaks: tuple[tuple[int, int], ...]
    departure_s: int | None
    return_s: int | None
    work_s: int                 # travel incl. the return + service
    travel_s: int               # travel incl. the return
    arrivals: tuple[int, ...] = ()   # actual arrival of each visit

    def to_route(self, problem: Problem) -> Route:
        return materialise(problem, self.technician, self.starts, self.breaks, self.departure_s,
                           self.arrivals, self.return_s)


def materialise(problem: Problem, tech_id: str, starts: Sequence[tuple[str, int]],
                breaks: Sequence[tuple[int, int]], departure_s: int | None,
                arrivals: Sequence[int] = (), return_s: int | None = None) -> Route:
    """``schedule.build_route``, except where its arrival (the earliest one, which ignores
    shifts) would put the trip in the unworked gap between two shifts: there the visit keeps
    its actual arrival (the trip made at the start of the next shift). The same for the return."""
    route = build_route(problem, tech_id, starts, breaks=breaks, departure_s=departure_s)
    if not arrivals or len(problem.technician(tech_id).shifts) < 2:
        return route
    tech = problem.technician(tech_id)
    shifts = [(s.start_s, s.end_s) for s in tech.shifts]
    shifts[-1] = (shifts[-1][0], rules.shift_end_with_overtime_s(tech))

    def inside(lo: int, hi: int) -> bool:
        return any(a <= lo and hi <= b for a, b in shifts)

    visits = list(route.visits)
    changed = False
    for i, (visit, actual) in enumerate(zip(visits, arrivals)):
        trip = visit.travel_s
        if trip and not inside(visit.arrival_s - trip, visit.arrival_s) \
                and inside(actual - trip, actual) and actual <= visit.start_s:
            visits[i] = replace(visit, arrival_s=actual, sent_s=actual - trip)
            changed = True
    ret = route.ret
    if ret is not None and return_s is not None and ret.travel_s \
            and not inside(ret.arrival_s - ret.travel_s, ret.arrival_s) \
            and inside(return_s - ret.travel_s, return_s):
        ret = replace(ret, arrival_s=return_s)
        changed = True
    return replace(route, visits=tuple(visits), ret=ret) if changed else route


Item = tuple["Job | str", "int | None"]


def _forward(problem: Problem, ctx: TechContext, items: Sequence[Item]) -> RouteState | tuple[int, str]:
    matrix = matrix_of(problem)
    state = ctx.empty()
    for pos, (job, fixed) in enumerate(items):
        if isinstance(job, str):
            job = problem.job(job)
        j = matrix.index(job.location)
        placement = place(ctx, state, duration_s=job.duration_s,
                          earliest_s=rules.earliest_start_s(job), latest_s=rules.latest_start_s(job),
                          demand=job.demand, travel_in_s=int(matrix.seconds[state.loc, j]),
                          travel_out_s=int(matrix.seconds[j, ctx.end_idx]), start_s=fixed,
                          send_s=rules.earliest_send_s(problem, job))
        if isinstance(placement, str):
            return pos, placement
        state = apply(ctx, state, placement, job_id=job.id, loc=j, duration_s=job.duration_s,
                      demand=job.demand)
    return state


def _schedule_of(ctx: TechContext, state: RouteState) -> RouteSchedule:
    return RouteSchedule(technician=ctx.id, starts=state.starts, breaks=state.breaks + state.home_breaks,
                         departure_s=state.departure_s, return_s=state.return_s,
                         work_s=state.work_s + state.return_travel_s,
                         travel_s=state.travel_s + state.return_travel_s, arrivals=state.arrivals)


def schedule_route(problem: Problem, tech: Technician | str, items: Sequence[Item], *,
                   context: TechContext | None = None) -> RouteSchedule | None:
    """The earliest schedule of ``items`` = [(job or job id, fixed start or None), ...] in this
    order on ``tech``, or None when the sequence is infeasible (see :func:`route_failure`).

    Skills and pins are not checked here (that is who may go; this is whether it fits).
    """
    ctx = context or TechContext(problem, technician_of(problem, tech))
    out = _forward(problem, ctx, items)
    return None if isinstance(out, tuple) else _schedule_of(ctx, out)


def route_failure(problem: Problem, tech: Technician | str, items: Sequence[Item], *,
                  context: TechContext | None = None) -> tuple[int, str] | None:
    """(position, failure code) of the first visit that does not fit, or None when feasible."""
    ctx = context or TechContext(problem, technician_of(problem, tech))
    out = _forward(problem, ctx, items)
    return out if isinstance(out, tuple) else None


def plain_travel_s(problem: Problem, ctx: TechContext, jobs: Sequence[Job]) -> int:
    """Travel seconds of visiting ``jobs`` in order from the start and back (no timing)."""
    if not jobs:
        return 0
    matrix = matrix_of(problem)
    idx = [ctx.start_idx] + [matrix.index(j.location) for j in jobs] + [ctx.end_idx]
    return sum(int(matrix.seconds[a, b]) for a, b in zip(idx, idx[1:]))


def technician_of(problem: Problem, tech: Technician | str) -> Technician:
    return problem.technician(tech) if isinstance(tech, str) else tech
