"""Decomposition (issue 11 item 4): territories respect qualifications, pins and crews; the
merged, border-repaired plan verifies; parallel and inline runs agree; options are checked."""

from __future__ import annotations

import json
import time

import pytest

from dispatchopt import rules
from dispatchopt.audit.verify import verify
from dispatchopt.errors import ParameterError
from dispatchopt.objective import plan_cost
from dispatchopt.plan import Plan, Unassigned
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.solvers.decompose import (default_territories, improve_borders, partition,
                                           repair_borders, solve_decomposed, territory_problem)
from dispatchopt.synth import generate_scenario


@pytest.fixture(scope="module")
def day():
    """12 technicians x 80 jobs, loaded (some work is left out), pins and crews."""
    return problem_from_dict(json.loads(json.dumps(generate_scenario(12, 80, seed=3, load=1.1))))


@pytest.fixture(scope="module")
def big_day():
    return problem_from_dict(json.loads(json.dumps(generate_scenario(24, 200, seed=8, load=1.2))))


def _staffed(problem, territory) -> bool:
    techs = set(territory.technicians)
    elig = rules.eligibility(problem)
    for job_id in territory.jobs:
        job = problem.job(job_id)
        if not job.dispatchable or rules.qualification_reason(problem, job) is not None:
            continue
        leads, members = elig[job_id]
        if not techs & set(leads) or len(techs & set(members)) < job.crew_size:
            return False
    return True


@pytest.mark.parametrize("k", [2, 3])
def test_partition_covers_everything_once_and_staffs_every_job(big_day, k):
    territories = partition(big_day, k, seed=0)
    assert len(territories) == k
    techs = [t for terr in territories for t in terr.technicians]
    jobs = [j for terr in territories for j in terr.jobs]
    assert sorted(techs) == sorted(t.id for t in big_day.technicians)
    assert sorted(jobs) == sorted(j.id for j in big_day.jobs)
    for terr in territories:
        assert any(not big_day.technician(t).trainee for t in terr.technicians)
        assert _staffed(big_day, terr), terr.index
    where = {t: terr.index for terr in territories for t in terr.technicians}
    for job in big_day.jobs:
        if job.pinned_to:
            home = next(terr.index for terr in territories if job.id in terr.jobs)
            assert {where[p] for p in job.pinned_to} == {home}
    assert partition(big_day, k, seed=0) == territories          # same seed, same split


def test_partition_splits_by_geography(big_day):
    west, east = sorted(partition(big_day, 2, seed=1), key=lambda t: t.centre[0])
    lon = {j.id: j.location.lon for j in big_day.jobs}
    mean = lambda ids: sum(lon[i] for i in ids) / len(ids)  # noqa: E731
    assert mean(west.jobs) < mean(east.jobs)


def test_territory_problem_keeps_the_rules(day):
    terr = partition(day, 2, seed=0)[0]
    sub = territory_problem(day, terr)
    assert {t.id for t in sub.technicians} == set(terr.technicians)
    assert {j.id for j in sub.jobs} == set(terr.jobs)
    assert sub.clock == day.clock and sub.sla == day.sla and sub.objective == day.objective


@pytest.mark.parametrize("inner", ["greedy", "portfolio"])
def test_decomposed_plan_verifies_and_covers_every_job(day, inner):
    result = solve_decomposed(day, time_limit_s=120, inner_backend=inner, workers=1, n_territories=2,
                              solution_limit=5)
    plan = result.plan
    assert verify(day, plan) == []
    planned = [v.job for r in plan.routes for v in r.visits if day.job(v.job).crew_size == 1]
    assert len(planned) == len(set(planned))
    seen = plan.assigned_job_ids() | {u.job for u in plan.unassigned}
    assert seen == {j.id for j in day.jobs} and not plan.assigned_job_ids() & {u.job for u in plan.unassigned}
    assert result.status.value == plan.solver.status and plan.solver.backend.startswith("decomposed:")
    extra = result.stats.extra
    assert len(extra["territories"]) == 2 and set(extra["phases"]) >= {"partition_s", "territories_s", "repair_s"}
    assert result.stats.first_solution_s is not None
    # never worse than the whole day by hand (it is one of the candidates)
    assert plan_cost(day, plan) <= plan_cost(day, solve(day, backend="greedy").plan) + 1e-6


def test_border_repair_offers_left_out_jobs_to_the_neighbours_technicians(day):
    territories = partition(day, 2, seed=0)
    # Nothing planned: each territory's solo jobs may only go to the other's technicians.
    empty = Plan(scenario=day.name, clock=day.clock, solver=solve(day, backend="greedy").plan.solver,
                 routes=(), unassigned=tuple(Unassigned(j.id, "left out") for j in day.jobs))
    fixed = repair_borders(day, empty, territories)
    assert verify(day, fixed) == []
    home = {j: terr.index for terr in territories for j in terr.jobs}
    where = {t: terr.index for terr in territories for t in terr.technicians}
    placed = [(r.technician, v.job) for r in fixed.routes for v in r.visits]
    assert len(placed) >= 10
    assert all(where[tech] != home[job] for tech, job in placed)
    assert all(day.job(job).crew_size == 1 and not day.job(job).pinned_to for _, job in placed)
    assert {u.job for u in fixed.unassigned} == {j.id for j in day.jobs} - {job for _, job in placed}


def test_border_repair_of_a_loaded_merge_keeps_every_job_once(big_day):
    territories = partition(big_day, 3, seed=0)
    plans = [solve(territory_problem(big_day, t), backend="greedy").plan for t in territories]
    merged = Plan(scenario=big_day.name, clock=big_day.clock, solver=plans[0].solver,
                  routes=tuple(r for p in plans for r in p.routes),
                  unassigned=tuple(u for p in plans for u in p.unassigned))
    assert verify(big_day, merged) == [] and merged.unassigned
    fixed = repair_borders(big_day, merged, territories)
    assert verify(big_day, fixed) == []        # incl. no job lost (an ejected job is listed)
    assert len(fixed.unassigned) < len(merged.unassigned)
    assert plan_cost(big_day, fixed) < plan_cost(big_day, merged)


def test_border_lns_moves_work_across_borders_and_never_costs_more(big_day):
    territories = partition(big_day, 3, seed=0)
    plans = [solve(territory_problem(big_day, t), backend="greedy").plan for t in territories]
    merged = Plan(scenario=big_day.name, clock=big_day.clock, solver=plans[0].solver,
                  routes=tuple(r for p in plans for r in p.routes),
                  unassigned=tuple(u for p in plans for u in p.unassigned))
    better = improve_borders(big_day, merged, territories, deadline_s=time.perf_counter() + 3600,
                             max_iterations=40)
    assert verify(big_day, better) == []
    assert plan_cost(big_day, better) < plan_cost(big_day, merged)
    home = {j: terr.index for terr in territories for j in terr.jobs}
    where = {t: terr.index for terr in territories for t in terr.technicians}
    assert any(where[r.technician] != home[v.job] for r in better.routes for v in r.visits)
    again = improve_borders(big_day, merged, territories, deadline_s=time.perf_counter() + 3600,
                            max_iterations=40)
    assert again.routes == better.routes          # iteration-limited: same seed, same plan


def test_parallel_workers_give_the_inline_plan(day):
    first = []
    inline = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", workers=1, n_territories=3,
                              solution_limit=1, on_first_plan=first.append)
    assert len(first) == 1 and verify(day, first[0]) == []
    assert first[0].routes == solve(day, backend="greedy").plan.routes     # the whole day by hand
    parallel = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", workers=2, n_territories=3,
                                solution_limit=1)
    assert verify(day, parallel.plan) == []
    assert parallel.plan.routes == inline.plan.routes and parallel.plan.unassigned == inline.plan.unassigned


def test_inner_solve_is_the_callers_solve_in_workers_too(day):
    own = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", workers=1, n_territories=3,
                           solution_limit=1)
    given = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", workers=2, n_territories=3,
                             solution_limit=1, inner_solve=solve)
    assert verify(day, given.plan) == []
    assert given.plan.routes == own.plan.routes
    assert {t["backend"] for t in given.stats.extra["territories"]} == {"greedy"}


def test_one_territory_solves_the_whole_day(day):
    result = solve_decomposed(day, time_limit_s=60, inner_backend="greedy", n_territories=1)
    assert verify(day, result.plan) == []
    assert result.plan.routes == solve(day, backend="greedy").plan.routes
    assert default_territories(day) == 1      # 12 technicians: too few to split by default


@pytest.mark.parametrize("kwargs,field", [
    ({"time_limit_s": 0}, "time_limit_s"), ({"inner_backend": "cplex"}, "inner_backend"),
    ({"workers": 0}, "workers"), ({"n_territories": 0}, "n_territories")])
def test_bad_options_are_parameter_errors(day, kwargs, field):
    options = {"time_limit_s": 10, **kwargs}
    with pytest.raises(ParameterError, match=field):
        solve_decomposed(day, **options)


@pytest.mark.ray
def test_ray_gives_the_inline_plan(day):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    try:
        on_ray = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", n_territories=2,
                                  ray_address="auto", solution_limit=1)
    finally:
        ray.shutdown()
    inline = solve_decomposed(day, time_limit_s=120, inner_backend="greedy", workers=1, n_territories=2,
                              solution_limit=1)
    assert verify(day, on_ray.plan) == []
    assert on_ray.plan.routes == inline.plan.routes
