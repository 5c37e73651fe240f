"""Unless ``anticipate_jobs``, nobody sets off towards a job before it was received: the routing
model's relaxation (start >= received + the shortest trip in) and the forward-pass re-timing of
what OR-Tools returns (:func:`dispatchopt.solvers.routing.retime_for_send_rule`)."""

from __future__ import annotations

from dispatchopt.audit.verify import verify
from dispatchopt.solvers import solve
from dispatchopt.solvers.routing import retime_for_send_rule
from helpers import H, M, job, make_plan, make_problem, route, tech


def test_rule_sent_after_received_ortools_start_leaves_time_for_the_trip():
    problem = make_problem([tech("T1")], [job("J1", x=30, received_s=2 * H)])     # 30 min away
    result = solve(problem, backend="ortools", time_limit_s=2.0, solution_limit=20)
    (_, visit), = result.plan.visits_of("J1")
    assert visit.start_s >= 2 * H + 30 * M
    assert verify(problem, result.plan) == []


def test_rule_sent_after_received_anticipated_may_wait_on_site():
    problem = make_problem([tech("T1")], [job("J1", x=30, received_s=2 * H)]).replace(anticipate_jobs=True)
    result = solve(problem, backend="ortools", time_limit_s=2.0, solution_limit=20)
    (_, visit), = result.plan.visits_of("J1")
    assert 2 * H <= visit.start_s
    assert verify(problem, result.plan) == []


def test_retime_moves_a_start_that_sets_off_too_early():
    problem = make_problem([tech("T1")], [job("J0", x=10), job("J1", x=20, received_s=2 * H)])
    early = make_plan(problem, [route(problem, "T1", [("J0", 10 * M), ("J1", 2 * H)])])
    assert any(v.rule == "sent_before_received" for v in verify(problem, early))
    fixed = retime_for_send_rule(problem, early)
    assert [(v.job, v.start_s) for v in fixed.routes[0].visits] == [("J0", 10 * M), ("J1", 2 * H + 10 * M)]
    assert verify(problem, fixed) == []
    assert retime_for_send_rule(problem.replace(anticipate_jobs=True), early) is early


def test_retime_drops_a_visit_whose_window_ends_before_it_can_be_reached_with_the_reason():
    problem = make_problem([tech("T1")], [job("J0", x=10),
                                         job("J1", x=20, received_s=2 * H, window=(2 * H, 2 * H + 5 * M))])
    early = make_plan(problem, [route(problem, "T1", [("J0", 10 * M), ("J1", 2 * H)])])
    fixed = retime_for_send_rule(problem, early)
    assert [v.job for v in fixed.routes[0].visits] == ["J0"]
    reason = next(u.reason for u in fixed.unassigned if u.job == "J1")
    assert "received" in reason and "window" in reason
    assert verify(problem, fixed) == []
