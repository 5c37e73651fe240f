"""Where the OR-Tools search starts: plain routing from the greedy plan + repair with the
insertion LNS operators on (:func:`dispatchopt.solvers.routing.quick_start`), field days from
the construction with them off."""

from __future__ import annotations

from dispatchopt.audit.verify import verify
from dispatchopt.solvers.routing import quick_start, search_parameters, solve_routing
from helpers import H, M, job, make_problem, tech

OFF = 2  # BOOL_FALSE


def plain():
    return make_problem([tech("T1"), tech("T2", x=20)], [job(f"J{i}", x=3 * i, y=i % 4) for i in range(8)])


def test_plain_routing_starts_quickly_and_field_days_do_not():
    assert quick_start(plain())
    with_break = make_problem([tech("T1", breaks=[(4 * H, 5 * H, 30 * M)])], [job("J1", x=3)])
    assert not quick_start(with_break)
    skilled = make_problem([tech("T1", {"gas": 1}), tech("T2")], [job("J1", x=3, skills={"gas": 1})])
    assert not quick_start(skilled)


def test_insertion_lns_and_extra_operators_only_for_plain_routing():
    off = search_parameters(search_s=1.0).local_search_operators
    on = search_parameters(search_s=1.0, plain=True).local_search_operators
    assert off.use_global_cheapest_insertion_path_lns == OFF
    assert on.use_global_cheapest_insertion_path_lns != OFF
    assert on.use_cross_exchange == 3 and off.use_cross_exchange != 3     # BOOL_TRUE
    keep = search_parameters(search_s=1.0, plain=True, keep_all=True).local_search_operators
    assert keep.use_make_inactive == OFF and on.use_make_inactive != OFF


def test_dropping_never_pays_only_with_a_penalty_over_two_longest_trips():
    from dispatchopt.domain import Objective
    from dispatchopt.solvers.routing import never_worth_dropping

    problem = plain()                       # default unassigned cost against trips of minutes
    assert never_worth_dropping(problem)
    cheap = problem.replace(objective=Objective(unassigned=0.01))
    assert not never_worth_dropping(cheap)


def test_plain_routing_plan_is_verified_and_serves_every_job():
    problem = plain()
    result = solve_routing(problem, time_limit_s=5.0, solution_limit=30)
    assert verify(problem, result.plan) == []
    assert not result.plan.unassigned
