"""The one best insertion: put a job into a route's items where it costs least.

A route is a sequence of items ``(job id, fixed start or None)`` timed by the forward pass of
:mod:`dispatchopt.timing.forward`. :func:`time_route` keeps the :class:`RouteState` after every
prefix, so trying a position re-times only the suffix from the insertion point. With the default
pricing (the route-cost change of :mod:`dispatchopt.timing.cost`) the re-timing also stops as
soon as the suffix is timed exactly as before (same place, same free time, same breaks taken):
the rest of the route then cannot change, and only its limits (max_jobs, capacity, work) are
checked against the totals.

Options: ``frozen`` (the first k items stay as they are: a live route's done or started
visits), ``start_s`` (a fixed start: a crew's common start), ``not_before_s`` (no start before:
"now" in a live re-plan), ``cost`` (price a candidate by a function of the new route's final
state instead of the route-cost change). Used by the greedy's repair, construction, local
search and live insertion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .. import rules
from ..domain import Job, Problem, Technician
from ..errors import ParameterError, SolverError
from ..travel import matrix_of
from . import cost as costs
from .forward import (RouteSchedule, RouteState, TechContext, advance, apply, place,
                      plain_travel_s, schedule_route, technician_of)

Item = tuple[str, "int | None"]


class TimedRoute:
    """A route's items with the forward-pass state after each prefix.

    ``states[i]`` is the state after the first ``i`` items (``states[0]`` the base: the empty
    route, or a live route's given start). ``check_s[i]`` is the work the limit check of item i
    compared with ``max_work_s``; ``tail_check_s[i]`` the largest of ``check_s[i:]``.
    """

    __slots__ = ("ctx", "items", "states", "locs", "not_before_s", "check_s", "tail_check_s", "cost",
                 "_specs")

    def __init__(self, ctx: TechContext, items: tuple[Item, ...], states: tuple[RouteState, ...],
                 not_before_s: int | None, check_s: tuple[int, ...], cost: float) -> None:
        self.ctx = ctx
        self.items = items
        self.states = states
        self.locs = tuple(st.loc for st in states[1:])      # travel-matrix index of each item
        self.not_before_s = not_before_s
        self.check_s = check_s
        tail = [0] * (len(check_s) + 1)
        for i in range(len(check_s) - 1, -1, -1):
            tail[i] = max(check_s[i], tail[i + 1])
        self.tail_check_s = tuple(tail)
        self.cost = cost
        self._specs: tuple | None = None      # (job, earliest, latest) per item, on first use

    @property
    def final(self) -> RouteState:
        return self.states[-1]

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class Insertion:
    """One feasible position for a job in a route."""

    position: int               # index of the new item in the route's items
    start_s: int                # its start of service
    cost: float                 # the route's cost change (or the given cost function's change)
    added_travel_s: int         # the route's travel change


def _place_item(problem: Problem, ctx: TechContext, state: RouteState, job: Job, fixed: int | None,
                not_before_s: int | None, j: int | None = None):
    matrix = matrix_of(problem)
    if j is None:
        j = matrix.index(job.location)
    seconds = matrix.seconds
    p = place(ctx, state, duration_s=job.duration_s, earliest_s=rules.earliest_start_s(job),
              latest_s=rules.latest_start_s(job), demand=job.demand,
              travel_in_s=int(seconds[state.loc, j]), travel_out_s=int(seconds[j, ctx.end_idx]),
              start_s=fixed, not_before_s=not_before_s, send_s=rules.earliest_send_s(problem, job))
    return p, j


def time_route(problem: Problem, ctx: TechContext, items: Sequence[Item], *,
               base: RouteState | None = None,
               not_before_s: int | None = None) -> TimedRoute | tuple[int, str]:
    """Time ``items`` from ``base`` (default: the empty route); (position, failure code) of the
    first item that does not fit."""
    state = base if base is not None else ctx.empty()
    states = [state]
    checks = []
    for pos, (job_id, fixed) in enumerate(items):
        job = problem.job(job_id)
        p, j = _place_item(problem, ctx, state, job, fixed, not_before_s)
        if isinstance(p, str):
            return pos, p
        checks.append(state.work_s + p.travel_in_s + job.duration_s + p.travel_out_s)
        state = apply(ctx, state, p, job_id=job_id, loc=j, duration_s=job.duration_s, demand=job.demand)
        states.append(state)
    return TimedRoute(ctx, tuple(items), tuple(states), not_before_s, tuple(checks),
                      costs.state_cost(problem, ctx, state))


def insert(problem: Problem, route: TimedRoute, job_id: str, position: int,
           start_s: int | None = None) -> TimedRoute:
    """The route with ``job_id`` at ``position`` (re-timed), for an insertion found feasible.

    Raises :class:`~dispatchopt.errors.SolverError` when it does not fit (a bug in the caller).
    """
    items = route.items[:position] + ((job_id, start_s),) + route.items[position:]
    out = time_route(problem, route.ctx, items, base=route.states[0], not_before_s=route.not_before_s)
    if isinstance(out, tuple):
        raise SolverError(f"insert: job {job_id!r} at position {position} of technician "
                          f"{route.ctx.id!r} does not fit ({out[1]} at item {out[0]})")
    return out


def remove(problem: Problem, route: TimedRoute, job_ids: set[str] | frozenset[str]) -> TimedRoute | tuple[int, str]:
    """The route without the items of ``job_ids`` (re-timed; removing work can only help, but
    a fixed start may still fail: then the failure is returned)."""
    first = next((i for i, (j, _) in enumerate(route.items) if j in job_ids), None)
    if first is None:
        return route
    keep = tuple(it for it in route.items if it[0] not in job_ids)
    return time_route(problem, route.ctx, keep, base=route.states[0], not_before_s=route.not_before_s)


def insertions(problem: Problem, route: TimedRoute, job: Job, *, frozen: int = 0,
               start_s: int | None = None, not_before_s: int | None = None,
               cost: Callable[[RouteState], float] | None = None,
               positions: Sequence[int] | None = None) -> Iterator[Insertion]:
    """Every feasible insertion of ``job`` into ``route`` (positions ``frozen``..len, or the
    given ``positions``), in position order. See the module docstring for the options."""
    lower = not_before_s
    if route.not_before_s is not None and (lower is None or route.not_before_s > lower):
        lower = route.not_before_s
    base_cost = cost(route.final) if cost is not None else 0.0
    n = len(route.items)
    for pos in positions if positions is not None else range(frozen, n + 1):
        found = _try(problem, route, job, pos, start_s, lower, cost)
        if found is not None:
            if cost is not None:
                found = Insertion(found.position, found.start_s, found.cost - base_cost,
                                  found.added_travel_s)
            yield found


def insertion_at(problem: Problem, route: TimedRoute, job: Job, position: int, *,
                 start_s: int | None = None, not_before_s: int | None = None) -> Insertion | None:
    """``job`` at ``position`` of ``route`` priced by the route-cost change, or None when it
    does not fit there (the building block of callers that choose positions themselves)."""
    lower = not_before_s
    if route.not_before_s is not None and (lower is None or route.not_before_s > lower):
        lower = route.not_before_s
    return _try(problem, route, job, position, start_s, lower, None)


def best_insertion(problem: Problem, route: TimedRoute, job: Job, *, frozen: int = 0,
                   start_s: int | None = None, not_before_s: int | None = None,
                   cost: Callable[[RouteState], float] | None = None,
                   key: Callable[[Insertion], tuple] | None = None) -> Insertion | None:
    """The cheapest feasible insertion (by ``key``, default the cost change; ties to the
    earlier position), or None when the job fits nowhere."""
    best: Insertion | None = None
    best_key = None
    for ins in insertions(problem, route, job, frozen=frozen, start_s=start_s,
                          not_before_s=not_before_s, cost=cost):
        k = key(ins) if key is not None else ins.cost
        if best is None or k < best_key:
            best, best_key = ins, k
    return best


def _try(problem: Problem, route: TimedRoute, job: Job, pos: int, start_s: int | None,
         lower: int | None, cost: Callable[[RouteState], float] | None) -> Insertion | None:
    """``job`` at ``pos``: the insertion (cost = the route-cost change, or the final state's
    ``cost`` when given, to be made a change by the caller), or None when infeasible."""
    ctx = route.ctx
    states = route.states
    items = route.items
    matrix = matrix_of(problem)
    seconds = matrix.seconds
    state = states[pos]
    p, j = _place_item(problem, ctx, state, job, start_s, lower)
    if isinstance(p, str):
        return None
    nxt = route.locs[pos] if pos < len(items) else ctx.end_idx
    n = len(items)
    old_leg = int(seconds[state.loc, nxt]) if (pos < n or route.final.n_jobs) else 0  # no trip home yet
    added = p.travel_in_s + int(seconds[j, nxt]) - old_leg
    delta = costs.travel_cost(problem, added) + costs.late_cost(problem, job, p.start_s)
    if job.follow_up is not None:           # a "prefer" follow-up by another person (cost.py)
        delta += costs.follow_up_cost(problem, job, ctx.tech)
    if cost is None:
        new = advance(state, p, loc=j, duration_s=job.duration_s, demand=job.demand)
    else:
        new = apply(ctx, state, p, job_id=job.id, loc=j, duration_s=job.duration_s, demand=job.demand)
    specs = route._specs
    if specs is None:
        specs = route._specs = tuple((o, rules.earliest_start_s(o), rules.latest_start_s(o),
                                      rules.earliest_send_s(problem, o))
                                     for o in (problem.job(i) for i, _ in items))
    locs = route.locs
    end_idx = ctx.end_idx
    for q in range(pos, n):
        old = states[q]
        if cost is None and new.loc == old.loc and new.free_s == old.free_s and new.taken == old.taken:
            # The rest is timed as before: only the totals' limits can break.
            if ctx.max_jobs is not None and route.final.n_jobs + 1 > ctx.max_jobs:
                return None
            if ctx.capacity and route.final.load + job.demand > ctx.capacity:
                return None
            if ctx.max_work_s is not None and \
                    route.tail_check_s[q] + new.work_s - old.work_s > ctx.max_work_s:
                return None
            return Insertion(pos, p.start_s, delta, added)
        other_id, fixed = items[q]
        other, earliest, latest, send = specs[q]
        jo = locs[q]
        po = place(ctx, new, duration_s=other.duration_s, earliest_s=earliest, latest_s=latest,
                   demand=other.demand, travel_in_s=seconds.item(new.loc, jo),
                   travel_out_s=seconds.item(jo, end_idx), start_s=fixed, not_before_s=lower,
                   send_s=send)
        if isinstance(po, str):
            return None
        if cost is None and fixed is None:
            old_start = states[q + 1].starts[-1][1]
            if po.start_s != old_start:
                delta += (costs.late_cost(problem, other, po.start_s)
                          - costs.late_cost(problem, other, old_start))
        if cost is None:
            new = advance(new, po, loc=jo, duration_s=other.duration_s, demand=other.demand)
        else:
            new = apply(ctx, new, po, job_id=other_id, loc=jo, duration_s=other.duration_s,
                        demand=other.demand)
    if cost is not None:
        return Insertion(pos, p.start_s, cost(new), added)
    end = ctx.tech.shift_end_s
    old_ret = route.final.return_s if n else None
    delta += costs.overtime_cost(problem, end, new.return_s) - costs.overtime_cost(problem, end, old_ret)
    return Insertion(pos, p.start_s, delta, added)


@dataclass(frozen=True)
class Placed:
    """A best position found by :func:`best_position`, with the whole new route's schedule."""

    position: int               # index of the new visit in the route
    start_s: int
    added_travel_s: int
    schedule: RouteSchedule


def best_position(problem: Problem, tech: Technician | str, items: Sequence[Item], job: Job | str, *,
                  start_s: int | None = None, by: str = "travel",
                  context: TechContext | None = None) -> Placed | None:
    """The best position for ``job`` in the route ``items`` (the others keep their order and
    fixed starts), or None when it fits nowhere: :func:`best_insertion` on the whole route.

    ``by="travel"``: least added travel, then earliest start; ``by="start"``: earliest start,
    then least added travel. Ties go to the earlier position.
    """
    if by not in ("travel", "start"):
        raise ParameterError(f"best_position: by must be 'travel' or 'start', got {by!r}")
    ctx = context or TechContext(problem, technician_of(problem, tech))
    if isinstance(job, str):
        job = problem.job(job)
    ids = tuple((j if isinstance(j, str) else j.id, fixed) for j, fixed in items)
    route = time_route(problem, ctx, ids)
    if isinstance(route, tuple):
        return None
    if by == "travel":
        key = lambda ins: (ins.added_travel_s, ins.start_s, ins.position)  # noqa: E731
    else:
        key = lambda ins: (ins.start_s, ins.added_travel_s, ins.position)  # noqa: E731
    best = best_insertion(problem, route, job, start_s=start_s, key=key)
    if best is None:
        return None
    trial = ids[:best.position] + ((job.id, start_s),) + ids[best.position:]
    schedule = schedule_route(problem, ctx.tech, trial, context=ctx)
    base = plain_travel_s(problem, ctx, [problem.job(j) for j, _ in ids])
    return Placed(best.position, best.start_s, schedule.travel_s - base, schedule)
