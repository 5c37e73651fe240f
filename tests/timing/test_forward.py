"""The forward-pass route checker/inserter, on tiny hand-made problems.

Travel is euclidean at speed 1: one coordinate unit is one minute. Time 0 is 2026-11-23 08:00
local; shifts are 08:00-16:00 unless stated.
"""

from __future__ import annotations

import pytest

from dispatchopt.timing import forward as fz
from dispatchopt.timing.forward import (TechContext, route_failure,
                                        schedule_route)
from dispatchopt.timing.insertion import best_position as best_insertion
from helpers import job, make_problem, tech
from dispatchopt.travel import matrix_of

M = 60
H = 3600


def assert_route_valid(problem, schedule):
    """The materialised route passes the project's verifier (when it is there)."""
    from dispatchopt.plan import Plan, SolverInfo, Unassigned

    route = schedule.to_route(problem)
    planned = set(route.job_ids)
    plan = Plan(scenario=problem.name, clock=problem.clock, solver=SolverInfo(backend="test"),
                routes=(route,), unassigned=tuple(Unassigned(j.id, "test") for j in problem.jobs
                                                  if j.id not in planned))
    try:
        from dispatchopt.audit.verify import format_violations, verify
    except ImportError:  # pragma: no cover - the verifier is written concurrently
        return route
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)
    return route


# -- shifts -----------------------------------------------------------------------------------
def test_fit_respects_shift_gap_and_overtime():
    t = tech("T1", shifts=[(0, 4 * H), (5 * H, 9 * H)], max_overtime_s=30 * M)
    ctx = TechContext(make_problem([t], []), t)
    assert ctx.fit(0, 30 * M) == 0
    assert ctx.fit(3 * H + 50 * M, 20 * M) == 5 * H        # does not fit before the gap
    assert ctx.fit(4 * H + 10 * M, 0) == 5 * H
    assert ctx.fit(8 * H + 50 * M, 30 * M) == 8 * H + 50 * M  # runs into the overtime
    assert ctx.fit(9 * H + 10 * M, 30 * M) is None


def test_earliest_schedule_waits_for_window_and_counts_work():
    j1 = job("J1", x=10, window=(2 * H, 3 * H))
    j2 = job("J2", x=20)
    problem = make_problem([tech("T1")], [j1, j2])
    s = schedule_route(problem, "T1", [("J1", None), ("J2", None)])
    assert s.starts == (("J1", 2 * H), ("J2", 2 * H + 40 * M))
    assert s.return_s == 2 * H + 70 * M + 20 * M
    assert s.work_s == (10 + 30 + 10 + 30 + 20) * M
    assert s.travel_s == 40 * M
    assert s.breaks == ()
    route = assert_route_valid(problem, s)
    assert route.departure_s == 2 * H - 10 * M     # leaves as late as still on time


def test_fixed_start_before_possible_is_infeasible():
    problem = make_problem([tech("T1")], [job("J1", x=10)])
    assert schedule_route(problem, "T1", [("J1", 5 * M)]) is None
    assert route_failure(problem, "T1", [("J1", 5 * M)]) == (0, fz.START)
    fixed = schedule_route(problem, "T1", [("J1", 1 * H)])
    assert fixed.starts == (("J1", 1 * H),)


def test_window_closed_and_received():
    problem = make_problem([tech("T1")], [job("J1", x=30, window=(0, 20 * M)),
                                          job("J2", x=5, received_s=2 * H)])
    assert route_failure(problem, "T1", [("J1", None)]) == (0, fz.WINDOW)
    s = schedule_route(problem, "T1", [("J2", None)])
    assert s.starts == (("J2", 2 * H + 5 * M),)    # sent when received, then 5 min of travel
    ahead = problem.replace(anticipate_jobs=True)
    s = schedule_route(ahead, "T1", [("J2", None)])
    assert s.starts == (("J2", 2 * H),)            # waits on site, starts when received


def test_horizon_end_blocks_a_later_start():
    problem = make_problem([tech("T1")], [job("J1", x=5, received_s=3 * H)], end_s=2 * H)
    assert route_failure(problem, "T1", [("J1", None)]) == (0, fz.HORIZON)


# -- breaks -----------------------------------------------------------------------------------
def test_owed_break_taken_on_site_before_the_service():
    t = tech("T1", breaks=[(3 * H, 3 * H + 30 * M, 30 * M)])
    j1 = job("J1", x=10, duration_min=60)
    j2 = job("J2", x=20, duration_min=180)
    problem = make_problem([t], [j1, j2])
    s = schedule_route(problem, "T1", [("J1", None), ("J2", None)])
    # J2 would end after the break's latest start: the break comes first, then J2
    assert s.breaks == ((3 * H, 3 * H + 30 * M),)
    assert s.starts == (("J1", 10 * M), ("J2", 3 * H + 30 * M))
    assert_route_valid(problem, s)


def test_break_not_taken_when_not_owed():
    t = tech("T1", breaks=[(3 * H, 3 * H + 30 * M, 30 * M)])
    problem = make_problem([t], [job("J1", x=10, duration_min=60)])
    s = schedule_route(problem, "T1", [("J1", None)])
    assert s.breaks == ()
    assert_route_valid(problem, s)


def test_break_before_the_trip_when_arriving_would_be_too_late():
    t = tech("T1", breaks=[(1 * H, 1 * H + 10 * M, 30 * M)])
    problem = make_problem([t], [job("J1", x=80, duration_min=30)])
    s = schedule_route(problem, "T1", [("J1", None)])
    # arriving at 09:20 is past the latest break start 09:10: break 09:00-09:30, then 80 min trip
    assert s.breaks == ((1 * H, 1 * H + 30 * M),)
    assert s.starts == (("J1", 1 * H + 30 * M + 80 * M),)
    assert_route_valid(problem, s)


def test_break_that_cannot_start_in_time_is_infeasible():
    t = tech("T1", breaks=[(0, 10 * M, 30 * M)])
    j1 = job("J1", x=0, duration_min=20)
    j2 = job("J2", x=0, duration_min=20)
    problem = make_problem([t], [j1, j2])
    # J1 at 08:00 ends 08:20 > 08:10: the break must come first (08:00-08:30)
    s = schedule_route(problem, "T1", [("J1", None)])
    assert s.breaks == ((0, 30 * M),) and s.starts == (("J1", 30 * M),)
    # a fixed start at 08:00 leaves no room for the owed break
    assert route_failure(problem, "T1", [("J1", 0)]) == (0, fz.START)


# -- multi-shift ----------------------------------------------------------------------------
def test_service_waits_for_the_next_shift():
    t = tech("T1", shifts=[(0, 2 * H), (3 * H, 6 * H)])
    problem = make_problem([t], [job("J1", x=10, duration_min=60), job("J2", x=20, duration_min=60)])
    s = schedule_route(problem, "T1", [("J1", None), ("J2", None)])
    assert s.starts == (("J1", 10 * M), ("J2", 3 * H))
    assert_route_valid(problem, s)


def test_trip_that_does_not_fit_is_made_in_the_next_shift():
    t = tech("T1", shifts=[(0, 2 * H), (3 * H, 6 * H)])
    problem = make_problem([t], [job("J1", x=10, duration_min=60), job("J2", x=70, duration_min=30)])
    s = schedule_route(problem, "T1", [("J1", None), ("J2", None)])
    # J1 ends 09:10; the 60 min trip would end 10:10, after the 10:00 shift end: leave at 11:00
    assert s.starts == (("J1", 10 * M), ("J2", 4 * H))
    route = assert_route_valid(problem, s)
    assert route.visits[1].arrival_s == 4 * H      # the actual arrival, not one in the gap


def test_return_by_last_shift_end_plus_overtime():
    problem = make_problem([tech("T1", shifts=[(0, 2 * H)])], [job("J1", x=31, duration_min=60)])
    assert route_failure(problem, "T1", [("J1", None)]) == (0, fz.RETURN)
    problem = make_problem([tech("T1", shifts=[(0, 2 * H)], max_overtime_s=5 * M)],
                           [job("J1", x=31, duration_min=60)])
    s = schedule_route(problem, "T1", [("J1", None)])
    assert s.return_s == 2 * H + 2 * M
    assert_route_valid(problem, s)


# -- limits -----------------------------------------------------------------------------------
@pytest.mark.parametrize("limits, code", [
    ({"max_jobs": 1}, fz.MAX_JOBS),
    ({"capacity": 3}, fz.CAPACITY),
    ({"max_work_s": 99 * M}, fz.WORK),
])
def test_limits(limits, code):
    jobs = [job("J1", x=10, demand=2), job("J2", x=20, demand=2)]
    problem = make_problem([tech("T1", **limits)], jobs)
    # work: J1 alone 10 + 30 + 10 = 50 min; J1 then J2 10 + 30 + 10 + 30 + 20 = 100 min
    assert schedule_route(problem, "T1", [("J1", None)]) is not None
    assert route_failure(problem, "T1", [("J1", None), ("J2", None)]) == (1, code)


def test_capacity_zero_is_unlimited():
    problem = make_problem([tech("T1", capacity=0)], [job("J1", x=1, demand=50)])
    assert schedule_route(problem, "T1", [("J1", None)]) is not None


# -- insertion ------------------------------------------------------------------------------
def test_best_insertion_by_travel_and_by_start():
    jobs = [job("JA", x=10), job("JB", x=20), job("JC", x=30)]
    problem = make_problem([tech("T1")], jobs)
    items = [("JA", None), ("JC", None)]
    ins = best_insertion(problem, "T1", items, "JB")
    assert ins.position == 1 and ins.added_travel_s == 0
    assert [j for j, _ in ins.schedule.starts] == ["JA", "JB", "JC"]
    assert_route_valid(problem, ins.schedule)
    first = best_insertion(problem, "T1", items, "JB", by="start")
    assert first.position == 0 and first.start_s == 20 * M


def test_best_insertion_keeps_fixed_starts_and_can_fail():
    jobs = [job("JA", x=10), job("JB", x=10, duration_min=300)]
    problem = make_problem([tech("T1", shifts=[(0, 6 * H)])], jobs)
    # JA fixed at 08:10: JB (5 h) cannot go before it, and after it needs until 13:40 + return
    assert best_insertion(problem, "T1", [("JA", 10 * M)], "JB") is not None
    problem = make_problem([tech("T1", shifts=[(0, 5 * H)])], jobs)
    assert best_insertion(problem, "T1", [("JA", 10 * M)], "JB") is None
    with pytest.raises(ValueError, match="by must be"):
        best_insertion(problem, "T1", [], "JA", by="cost")


def test_advance_keeps_the_scalars_apply_computes():
    # A lunch break owed before the second visit: advance and apply agree on every field the
    # forward pass reads (place, the trip home), and advance keeps no per-visit records.
    problem = make_problem([tech("T1", breaks=[(60 * 60, 90 * 60, 30 * 60)])],
                           [job("A", x=5, duration_min=50), job("B", x=8, duration_min=40)])
    ctx = TechContext(problem, problem.technicians[0])
    full = lean = ctx.empty()
    for j in problem.jobs:
        p = fz.place_job(problem, ctx, full, j)
        q = fz.place_job(problem, ctx, lean, j)
        assert not isinstance(p, str) and p == q
        loc = matrix_of(problem).index(j.location)
        full = fz.apply(ctx, full, p, job_id=j.id, loc=loc, duration_s=j.duration_s, demand=j.demand)
        lean = fz.advance(lean, q, loc=loc, duration_s=j.duration_s, demand=j.demand)
        for name in ("loc", "free_s", "work_s", "travel_s", "n_jobs", "load", "taken", "return_s",
                     "return_travel_s"):
            assert getattr(lean, name) == getattr(full, name), name
    assert full.taken == 1 and full.breaks and lean.starts == () and lean.breaks == ()
