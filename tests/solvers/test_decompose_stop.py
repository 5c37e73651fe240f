"""Stopping a decomposed solve (issue 8): ``stop`` cancels the territories not started,
terminates the running workers and hands back the best verified plan so far."""

from __future__ import annotations

import json

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.objective import plan_cost
from dispatchopt.plan import Plan
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.solvers.decompose import partition, solve_decomposed, territory_problem
from dispatchopt.synth import generate_scenario
from dispatchopt.travel import attach_matrix, matrix_of
from helpers import AfterCalls


@pytest.fixture(scope="module")
def day():
    return problem_from_dict(json.loads(json.dumps(generate_scenario(24, 200, seed=8, load=1.2))))


def test_stop_terminates_running_workers_and_returns_the_whole_day_greedy(day):
    # Territories given a minute each with no solution limit cannot finish before the stop
    # (asked after the greedy, then every 0.2 s): the workers are terminated and the answer
    # is the whole day by hand, not a merge of territories.
    stop = AfterCalls(3)
    result = solve_decomposed(day, time_limit_s=120, inner_backend="portfolio", workers=2,
                              n_territories=3, stop=stop)
    assert stop.calls == 3
    assert verify(day, result.plan) == []
    assert result.plan.solver.backend == "decomposed:whole-day-greedy"
    assert result.plan.routes == solve(day, backend="greedy").plan.routes
    assert result.stats.extra["territories"] == []
    assert "repair_s" not in result.stats.extra["phases"]


def test_stop_after_a_territory_keeps_it_and_plans_the_rest_by_hand(day):
    # Inline (workers 1): stop is asked before and after each territory; on its 3rd call the
    # largest territory is done. The answer is the cheaper verified plan of the whole-day
    # greedy and that territory's plan merged with the greedy plan of the other two.
    territories = partition(day, 3, seed=0)
    largest = max(territories, key=lambda t: (t.work_s, -t.index))
    first = solve(territory_problem(day, largest), backend="greedy").plan
    rest_techs = {t for terr in territories if terr is not largest for t in terr.technicians}
    rest_jobs = {j for terr in territories if terr is not largest for j in terr.jobs}
    rest = day.replace(name=f"{day.name}#rest", technicians=tuple(t for t in day.technicians if t.id in rest_techs),
                       jobs=tuple(j for j in day.jobs if j.id in rest_jobs))
    attach_matrix(rest, matrix_of(day))
    others = solve(rest, backend="greedy").plan
    order = {t.id: n for n, t in enumerate(day.technicians)}
    partial = Plan(scenario=day.name, clock=day.clock, solver=first.solver,
                   routes=tuple(sorted(first.routes + others.routes, key=lambda r: order[r.technician])),
                   unassigned=first.unassigned + others.unassigned)
    whole = solve(day, backend="greedy").plan
    assert verify(day, partial) == []
    expected = min((plan_cost(day, partial), 0, partial), (plan_cost(day, whole), 1, whole))[2]

    stop = AfterCalls(3)
    result = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", workers=1, n_territories=3,
                              stop=stop)
    assert stop.calls == 3                      # no border phase after the stop
    assert verify(day, result.plan) == []
    assert result.plan.routes == expected.routes
    assert result.plan.solver.backend in ("decomposed:greedy+greedy", "decomposed:whole-day-greedy")
    assert plan_cost(day, result.plan) <= plan_cost(day, whole) + 1e-6
