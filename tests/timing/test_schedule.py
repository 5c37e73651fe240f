"""schedule.build_route: (job, start) sequences -> timed plan routes, on tiny hand-made problems.

Euclidean travel at speed 1: one coordinate unit is one minute. Time 0 is 08:00.
"""

from __future__ import annotations

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.timing.schedule import build_route
from helpers import H, M, job, make_plan, make_problem, tech


def _clean(problem, route):
    plan = make_plan(problem, [route])
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)


def test_arrival_travel_lateness_and_return():
    problem = make_problem([tech("T1")], [job("J1", x=10, category="urgent", due_s=15 * M),
                                          job("J2", x=30)])
    route = build_route(problem, "T1", [("J1", 20 * M), ("J2", 70 * M)])
    v1, v2 = route.visits
    assert route.departure_s == 10 * M              # leaves as late as still reaches 08:20
    assert (v1.arrival_s, v1.start_s, v1.end_s, v1.travel_s) == (20 * M, 20 * M, 50 * M, 10 * M)
    assert v1.late_s == 5 * M                       # due 08:15, started 08:20
    assert (v2.arrival_s, v2.travel_s, v2.late_s) == (70 * M, 20 * M, 0)
    assert v2.distance_m == 20_000
    assert route.ret.travel_s == 30 * M and route.ret.arrival_s == 100 * M + 30 * M
    _clean(problem, route)


def test_waiting_for_a_window_arrives_early():
    problem = make_problem([tech("T1")], [job("J1", x=10), job("J2", x=10, window=(2 * H, 3 * H))])
    route = build_route(problem, "T1", [("J1", 10 * M), ("J2", 2 * H)])
    assert route.visits[1].arrival_s == 40 * M      # arrives at 08:40, waits for 10:00
    assert route.visits[1].start_s == 2 * H
    _clean(problem, route)


def test_break_between_visits_delays_the_arrival():
    t = tech("T1", breaks=[(1 * H, 2 * H, 30 * M)])
    problem = make_problem([t], [job("J1", x=10, duration_min=50), job("J2", x=20, duration_min=60)])
    route = build_route(problem, "T1", [("J1", 10 * M), ("J2", 1 * H + 40 * M)],
                        breaks=[(1 * H, 1 * H + 30 * M)])
    assert route.visits[1].arrival_s == 1 * H + 30 * M + 10 * M
    assert [(b.start_s, b.end_s) for b in route.breaks] == [(1 * H, 1 * H + 30 * M)]
    _clean(problem, route)


def test_no_travel_in_the_gap_between_shifts():
    t = tech("T1", shifts=[(0, 2 * H), (3 * H, 6 * H)])
    problem = make_problem([t], [job("J1", x=10, duration_min=100), job("J2", x=40)])
    # J1 ends 09:50; 30 min of driving: 10 min before 10:00, 20 min from 11:00
    route = build_route(problem, "T1", [("J1", 10 * M), ("J2", 3 * H + 30 * M)])
    assert route.visits[1].arrival_s == 3 * H + 20 * M
    _clean(problem, route)


def test_empty_route_has_no_return():
    problem = make_problem([tech("T1")], [job("J1")])
    route = build_route(problem, "T1", [])
    assert route.visits == () and route.ret is None and route.departure_s is None
