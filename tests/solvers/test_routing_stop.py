"""solve_routing(stop=...): the OR-Tools search ends when ``stop()`` turns true and hands back
its best plan so far, verified. Stops are counted calls, never wall time: each test gives a
long time limit and no stall limit, so only ``stop`` can end the search early, and
``stats.extra["stopped"]`` says whether it did."""

from __future__ import annotations

from dispatchopt.audit.verify import verify
from dispatchopt.objective import plan_cost
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.solvers.greedy import solve_greedy
from dispatchopt.solvers.routing import solve_routing
from dispatchopt.synth import generate_scenario
from helpers import AfterCalls


def day():
    return problem_from_dict(generate_scenario(6, 50, seed=3))


def test_stop_after_the_first_solutions_returns_the_best_plan_verified():
    problem = day()
    start = solve_greedy(problem).plan
    stop = AfterCalls(3000)          # the limit is asked at every search node: a few solutions in
    result = solve_routing(problem, time_limit_s=120.0, initial=start, stall_s=1000.0, stop=stop)
    assert result.stats.extra["stopped"] is True
    assert result.stats.extra["solutions"] >= 1
    assert verify(problem, result.plan) == []
    assert plan_cost(problem, result.plan) <= plan_cost(problem, start) + 1e-6


def test_stop_with_a_solution_limit_ends_before_the_limit():
    problem = day()
    stop = AfterCalls(2000)
    result = solve_routing(problem, time_limit_s=120.0, solution_limit=10**6, stop=stop)
    assert result.stats.extra["stopped"] is True
    assert result.stats.extra["solutions"] < 10**6
    assert verify(problem, result.plan) == []


def test_stop_already_true_returns_the_start_plan_verified():
    problem = day()
    result = solve(problem, backend="ortools", time_limit_s=120.0, stop=lambda: True)
    assert result.stats.extra["stopped"] is True
    assert verify(problem, result.plan) == []
    served = {v.job for r in result.plan.routes for v in r.visits}
    assert served                                    # the greedy start still plans the day


def test_a_stop_that_never_turns_true_changes_nothing():
    problem = day()
    plain = solve_routing(problem, time_limit_s=60.0, solution_limit=30)
    never = solve_routing(problem, time_limit_s=60.0, solution_limit=30, stop=lambda: False)
    assert never.stats.extra["stopped"] is False
    assert [(r.technician, [(v.job, v.start_s) for v in r.visits]) for r in never.plan.routes] == \
        [(r.technician, [(v.job, v.start_s) for v in r.visits]) for r in plain.plan.routes]
