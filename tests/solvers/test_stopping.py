"""solve(stop=...): a search asked to stop hands back its best plan so far, verified; the
Deadline that carries ``stop`` into every deadline check. Stops are counted calls, not time."""

from __future__ import annotations

import math
import pickle

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.errors import ParameterError
from dispatchopt.objective import plan_cost
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.solvers.construct import construct_plan
from dispatchopt.solvers.lns import improve
from dispatchopt.solvers.portfolio import solve_portfolio
from dispatchopt.solvers.repair import repair_plan
from dispatchopt.solvers.stopping import Deadline, deadline_with
from dispatchopt.solvers.vroom_backend import solve_vroom
from dispatchopt.synth import generate_scenario
from helpers import AfterCalls


def busy_day():
    return problem_from_dict(generate_scenario(8, 80, seed=4, target_load=1.1))


def test_deadline_passes_when_the_clock_reaches_it_or_stop_is_true():
    flag = [False]
    d = Deadline(100.0, lambda: flag[0])
    assert not 50.0 > d and not 50.0 >= d and 50.0 < d and 50.0 <= d
    assert 150.0 > d and not 150.0 < d
    flag[0] = True
    assert 50.0 > d and 50.0 >= d and not 50.0 < d and not 50.0 <= d
    assert type(d - 40.0) is float and d - 40.0 == 60.0
    assert deadline_with(None, None) is None and deadline_with(5.0, None) == 5.0
    never = deadline_with(None, lambda: False)
    assert math.isinf(never) and not 1e12 > never
    assert type(pickle.loads(pickle.dumps(d))) is float


def test_solve_refuses_a_stop_that_is_not_callable():
    with pytest.raises(ParameterError, match="stop"):
        solve(busy_day(), backend="greedy", stop=True)


def test_lns_stopped_returns_its_best_so_far():
    problem = busy_day()
    start = construct_plan(problem)
    full = improve(problem, start, seed=3, max_iterations=40)
    stop = AfterCalls(200)
    cut = improve(problem, start, seed=3, max_iterations=100_000, stop=stop)
    assert stop.calls >= 200                       # it ran until asked, then stopped
    assert verify(problem, cut) == []
    assert plan_cost(problem, cut) <= plan_cost(problem, start)
    assert plan_cost(problem, full) <= plan_cost(problem, start)


def test_repair_stopped_at_once_leaves_the_plan_as_it_was():
    problem = busy_day()
    plan = solve(problem, backend="greedy").plan
    assert plan.unassigned
    assert repair_plan(problem, plan, stop=lambda: True) is plan


def test_vroom_stopped_while_solving_kills_its_process_and_returns_a_plan():
    problem = busy_day()
    stop = AfterCalls(3)          # checked before the fork, then every 0.05 s while VROOM runs
    result = solve_vroom(problem, time_limit_s=30, exploration=5, stop=stop)
    assert result.stats.extra["stopped"] is True
    assert verify(problem, result.plan) == []
    unstopped = solve_vroom(problem, time_limit_s=5, exploration=1, stop=lambda: False, deterministic=True)
    assert unstopped.stats.extra["stopped"] is False
    same = solve_vroom(problem, time_limit_s=5, exploration=1, deterministic=True)
    assert sorted((r.technician, v.job, v.start_s) for r in unstopped.plan.routes for v in r.visits) == \
        sorted((r.technician, v.job, v.start_s) for r in same.plan.routes for v in r.visits)


@pytest.mark.parametrize("calls", [1, 400])
def test_portfolio_stopped_returns_the_cheapest_plan_so_far(calls):
    problem = busy_day()
    stop = AfterCalls(calls)
    result = solve(problem, backend="portfolio", time_limit_s=60, solution_limit=1000, stop=stop)
    assert result.stats.extra["stopped"] is True
    assert verify(problem, result.plan) == []
    costs = result.stats.extra["costs"]
    assert math.isclose(result.stats.objective, plan_cost(problem, result.plan))
    assert plan_cost(problem, result.plan) <= min(costs.values()) + 1e-6
    if calls == 1:                                 # stopped at once: only the start was made
        assert set(costs) == {"start"}


def test_portfolio_unstopped_reports_not_stopped():
    problem = busy_day()
    result = solve_portfolio(problem, time_limit_s=10, solution_limit=3, stop=lambda: False)
    assert result.stats.extra["stopped"] is False
    assert verify(problem, result.plan) == []


def test_vroom_still_running_at_its_hard_limit_is_killed():
    problem = busy_day()
    result = solve_vroom(problem, time_limit_s=30, exploration=5, hard_limit_s=0.001)
    assert result.stats.extra["stopped"] is True        # no VROOM plan: the start plan comes back
    assert verify(problem, result.plan) == []
    assert result.plan.assigned_job_ids()
