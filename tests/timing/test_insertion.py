"""The one best insertion (timing/insertion.py): hand-made cases, and the fast suffix re-timing
checked against the whole forward pass on a generated day."""

from __future__ import annotations

import random

import pytest

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.errors import ParameterError, SolverError
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers.greedy import solve_greedy
from dispatchopt.solvers.repair import route_items
from dispatchopt.synth import generate_scenario
from dispatchopt.timing import cost as costs
from dispatchopt.timing.forward import TechContext, schedule_route
from dispatchopt.timing.insertion import (best_insertion, best_position, insert, insertions, remove,
                                          time_route)
from helpers import H, M, job, make_plan, make_problem, tech


def _routes_of(problem, timed):
    from dispatchopt.timing.forward import materialise

    out = []
    for tid, route in timed.items():
        st = route.final
        out.append(materialise(problem, tid, st.starts, st.breaks + st.home_breaks, st.departure_s,
                               st.arrivals, st.return_s))
    return out


def test_cheapest_position_between_neighbours():
    jobs = [job("JA", x=10), job("JB", x=20), job("JC", x=30)]
    problem = make_problem([tech("T1")], jobs)
    ctx = TechContext(problem, problem.technician("T1"))
    route = time_route(problem, ctx, [("JA", None), ("JC", None)])
    best = best_insertion(problem, route, problem.job("JB"))
    assert best.position == 1 and best.added_travel_s == 0
    # JB at position 1 makes JC start 40 min later: not late (24 h SLA), so the cost is 0
    assert best.cost == pytest.approx(0.0)
    new = insert(problem, route, "JB", best.position)
    assert [j for j, _ in new.items] == ["JA", "JB", "JC"]
    plan = make_plan(problem, _routes_of(problem, {"T1": new}))
    assert verify(problem, plan) == [], format_violations(verify(problem, plan))


def test_lateness_of_later_visits_is_priced():
    # JU is urgent (due 08:40); putting JB (60 min) first makes JU late: weight 10 x 5 per minute
    ju = job("JU", x=10, category="urgent", due_s=40 * M)
    jb = job("JB", x=10, duration_min=60)
    problem = make_problem([tech("T1")], [ju, jb])
    ctx = TechContext(problem, problem.technician("T1"))
    route = time_route(problem, ctx, [("JU", None)])
    options = {ins.position: ins for ins in insertions(problem, route, jb)}
    assert options[0].cost > options[1].cost
    late_min = (10 + 60) - 40        # same place: JU starts at 09:10 instead of 08:10
    assert options[0].cost == pytest.approx(late_min * 5 * 10)
    assert best_insertion(problem, route, jb).position == 1


def test_frozen_prefix_fixed_start_and_not_before():
    jobs = [job("JA", x=10), job("JB", x=10), job("JC", x=10)]
    problem = make_problem([tech("T1")], jobs)
    ctx = TechContext(problem, problem.technician("T1"))
    route = time_route(problem, ctx, [("JA", None), ("JB", None)])
    assert {i.position for i in insertions(problem, route, problem.job("JC"), frozen=2)} == {2}
    fixed = best_insertion(problem, route, problem.job("JC"), start_s=3 * H)
    assert fixed.start_s == 3 * H
    late = best_insertion(problem, route, problem.job("JC"), not_before_s=5 * H)
    assert late.start_s >= 5 * H
    # a fixed start that cannot be kept: nowhere
    assert best_insertion(problem, route, problem.job("JC"), start_s=5 * M) is None


def test_limits_block_the_insertion():
    jobs = [job("JA", x=1), job("JB", x=1), job("JC", x=1, demand=3)]
    problem = make_problem([tech("T1", max_jobs=2, capacity=2)], jobs)
    ctx = TechContext(problem, problem.technician("T1"))
    route = time_route(problem, ctx, [("JA", None)])
    assert best_insertion(problem, route, problem.job("JB")) is not None
    two = insert(problem, route, "JB", 1)
    assert best_insertion(problem, two, problem.job("JA")) is None      # max_jobs 2
    assert best_insertion(problem, route, problem.job("JC")) is None    # capacity 2


def test_remove_and_insert_of_an_infeasible_position_raises():
    problem = make_problem([tech("T1", shift=(0, 1 * H))], [job("JA", x=10), job("JB", x=10)])
    ctx = TechContext(problem, problem.technician("T1"))
    route = time_route(problem, ctx, [("JA", None)])
    assert best_insertion(problem, route, problem.job("JB")) is None    # 10+30+0+30+10 > 60
    with pytest.raises(SolverError, match="JB"):
        insert(problem, route, "JB", 1)
    empty = remove(problem, route, {"JA"})
    assert empty.items == () and empty.cost == 0.0


def test_best_position_checks_by():
    problem = make_problem([tech("T1")], [job("JA", x=10)])
    with pytest.raises(ParameterError, match="'cost'"):
        best_position(problem, "T1", [], "JA", by="cost")


def test_fast_pricing_equals_the_whole_forward_pass():
    """On a generated day (breaks, two shifts, crews with fixed starts, limits): every insertion
    the fast path finds is feasible by the whole forward pass, and its cost change equals the
    difference of the two routes' full costs; every position it rejects is infeasible."""
    problem = problem_from_dict(generate_scenario(8, 70, seed=5))
    plan = solve_greedy(problem).plan
    rng = random.Random(1)
    checked = 0
    for route in plan.routes:
        ctx = TechContext(problem, problem.technician(route.technician))
        items = route_items(problem, route)
        timed = time_route(problem, ctx, items)
        assert not isinstance(timed, tuple)
        assert timed.cost == pytest.approx(costs.route_cost(problem, route), abs=1e-6)
        others = [j for j in problem.jobs if j.crew_size == 1 and j.id not in route.job_ids]
        for candidate in rng.sample(others, min(6, len(others))):
            found = {i.position: i for i in insertions(problem, timed, candidate)}
            for pos in range(len(items) + 1):
                trial = items[:pos] + [(candidate.id, None)] + items[pos:]
                full = schedule_route(problem, ctx.tech, trial, context=ctx)
                assert (full is not None) == (pos in found), (route.technician, candidate.id, pos)
                if full is None:
                    continue
                new = time_route(problem, ctx, trial)
                assert found[pos].cost == pytest.approx(new.cost - timed.cost, abs=1e-6)
                assert found[pos].start_s == dict(full.starts)[candidate.id]
                checked += 1
    assert checked > 50
