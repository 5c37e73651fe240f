"""objective.plan_cost: travel + weighted lateness + overtime per route (timing.cost.route_cost),
+ unassigned x weight + workload balance. Tiny hand-made plans, one term at a time."""

from __future__ import annotations

import dataclasses

import pytest

from dispatchopt.objective import plan_cost
from dispatchopt.timing.cost import route_cost
from helpers import H, M, job, make_plan, make_problem, route, tech


def test_travel_only():
    problem = make_problem([tech("T1")], [job("J1", x=10)])
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])])
    assert plan_cost(problem, plan) == pytest.approx(20.0)          # 10 out + 10 back


def test_lateness_is_weighted_by_category():
    jobs = [job("J1", x=10, category="urgent", due_s=5 * M), job("J2", x=10, due_s=5 * M)]
    problem = make_problem([tech("T1")], jobs)
    late_urgent = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])], {"J2": "x"})
    late_standard = make_plan(problem, [route(problem, "T1", [("J2", 10 * M)])], {"J1": "x"})
    # 5 min late x late_minute 5 x weight (urgent 10, standard 1); the other job unassigned
    assert plan_cost(problem, late_urgent) == pytest.approx(20 + 5 * 5 * 10 + 10000 * 1)
    assert plan_cost(problem, late_standard) == pytest.approx(20 + 5 * 5 * 1 + 10000 * 10)


def test_unassigned_not_dispatchable_costs_nothing():
    problem = make_problem([tech("T1")], [job("J1", dispatchable=False), job("J2", category="emergency")])
    plan = make_plan(problem, [])
    assert plan_cost(problem, plan) == pytest.approx(10000 * 100)


def test_overtime_past_the_last_shift_end():
    problem = make_problem([tech("T1", shift=(0, 1 * H), max_overtime_s=30 * M)],
                           [job("J1", x=10, duration_min=50)])
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])])
    # back at 09:10: 10 min over, 2 per minute
    assert plan_cost(problem, plan) == pytest.approx(20 + 10 * 2)


def test_crew_lateness_paid_once():
    jobs = [job("J1", x=10, crew_size=2, due_s=0)]
    problem = make_problem([tech("T1"), tech("T2")], jobs)
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)]),
                               route(problem, "T2", [("J1", 10 * M)])])
    assert plan_cost(problem, plan) == pytest.approx(2 * 20 + 10 * 5 * 1)
    assert sum(route_cost(problem, r) for r in plan.routes) == pytest.approx(plan_cost(problem, plan))


def test_workload_balance_prices_the_largest_route():
    problem = make_problem([tech("T1"), tech("T2")], [job("J1", x=10), job("J2", x=5, duration_min=10)])
    problem = dataclasses.replace(problem, objective=dataclasses.replace(problem.objective,
                                                                         workload_balance=1.0))
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)]),
                               route(problem, "T2", [("J2", 5 * M)])])
    # travel 20 + 10; the largest work is T1: 10 + 30 + 10 = 50 minutes
    assert plan_cost(problem, plan) == pytest.approx(30 + 50)
