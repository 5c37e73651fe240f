"""Stochastic day simulation: the draws, the replay through the live engine, the distribution."""

from __future__ import annotations

import math
import statistics
from functools import lru_cache

import pytest

from dispatchopt.audit.kpi import compute_kpis, flat_kpis
from dispatchopt.errors import ParameterError
from dispatchopt.scenario import problem_from_dict
from dispatchopt.simulate import DayParams, SimulationError, draw_day, replay_day, simulate
from dispatchopt.simulate import replay as replay_module
from dispatchopt.simulate.draw import emergency_categories, working_span
from dispatchopt.simulate.runs import with_policy
from dispatchopt.solvers import solve
from dispatchopt.audit.verify import verify
from dispatchopt.synth import generate_scenario
from helpers import H, M, job, make_plan, make_problem, route, tech

QUIET = DayParams(emergencies_per_hour=0.0, duration_noise_cv=0.0, no_show_p=0.0, sick_p=0.0)


@lru_cache(maxsize=None)
def _generated():
    problem = problem_from_dict(generate_scenario(6, 40, seed=1))
    plan = solve(problem, backend="greedy").plan
    assert verify(problem, plan) == []
    return problem, plan


def _tiny():
    """T1 does A (08:10) and B (08:50); T2 idle at x=20; an emergency category exists."""
    problem = make_problem([tech("T1"), tech("T2", x=20)],
                           [job("A", x=10), job("B", x=20), job("E", x=5, category="emergency")])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 50 * M)]),
                               route(problem, "T2", [("E", 15 * M)])])
    assert verify(problem, plan) == []
    return problem, plan


def test_the_same_seed_draws_the_same_day_and_another_seed_another():
    problem, _ = _generated()
    params = DayParams(emergencies_per_hour=2.0, sick_p=0.3)
    a, b, c = draw_day(problem, 4, params), draw_day(problem, 4, params), draw_day(problem, 5, params)
    assert a.arrivals == b.arrivals and a.sick == b.sick
    assert a.duration_factor("J0001") == b.duration_factor("J0001") != c.duration_factor("J0001")
    assert a.arrivals != c.arrivals
    lo, hi = working_span(problem)
    cats = {c for c, _ in emergency_categories(problem)}
    for j in a.arrivals:
        assert lo <= j.received_s < hi and j.category in cats
        assert j.due_s == j.received_s + problem.sla[j.category].respond_minutes * 60


def test_arrivals_are_poisson_at_the_rate_and_factors_have_mean_one_and_the_cv():
    problem, _ = _generated()
    lo, hi = working_span(problem)
    params = DayParams(emergencies_per_hour=3.0, duration_noise_cv=0.4)
    counts = [len(draw_day(problem, s, params).arrivals) for s in range(200)]
    expected = 3.0 * (hi - lo) / H
    assert abs(statistics.mean(counts) - expected) < 0.1 * expected
    assert abs(statistics.variance(counts) / expected - 1) < 0.3        # Poisson: variance = mean
    day = draw_day(problem, 0, params)
    factors = [day.duration_factor(f"X{i}") for i in range(4000)]
    mean = statistics.mean(factors)
    assert abs(mean - 1) < 0.03 and abs(statistics.pstdev(factors) / mean - 0.4) < 0.03
    assert draw_day(problem, 0, QUIET).duration_factor("A") == 1.0 and not draw_day(problem, 0, QUIET).arrivals


def test_a_quiet_day_executes_as_planned():
    problem, plan = _generated()
    executed = replay_day(problem, plan, draw_day(problem, 0, QUIET))
    assert executed.events == 0 and executed.customers_notified == 0
    # the day as executed is the morning plan re-timed at the start of live dispatch
    expected = flat_kpis(compute_kpis(problem, plan), column_names=True)
    assert executed.kpis["on_time_rate"] >= expected["on_time_rate"]
    assert executed.kpis["unassigned"] <= expected["unassigned"]


def test_late_and_early_finishes_are_told_to_the_engine_and_verified():
    problem, plan = _tiny()
    day = draw_day(problem, 0, DayParams(0.0, 0.5, 0.0, 0.0))
    executed = replay_day(problem, plan, day)
    assert executed.events == 3 and executed.plans_verified == 4      # one report per job
    durations = {j: round(30 * M * day.duration_factor(j)) for j in ("A", "B", "E")}
    assert executed.kpis["travel_minutes"] == pytest.approx(compute_kpis(problem, plan)["travel_minutes"])
    assert durations["A"] != 30 * M


def test_customers_not_at_home_get_a_reappointment_and_are_not_counted_as_delayed():
    problem, plan = _tiny()
    executed = replay_day(problem, plan, draw_day(problem, 0, DayParams(0.0, 0.0, 1.0, 0.0)))
    assert executed.no_shows == 3 and executed.events == 3
    assert executed.customers_notified == 0
    assert executed.kpis["not_dispatchable"] == 3                     # the three re-appointments


def test_a_technician_falling_ill_hands_its_work_over():
    problem, plan = _generated()
    day = draw_day(problem, 2, DayParams(0.0, 0.3, 0.0, 1.0))
    assert len(day.sick) == len(problem.technicians)
    executed = replay_day(problem, plan, day)
    assert executed.sick == len(problem.technicians) and executed.plans_verified == executed.events + 1


def test_a_plan_that_breaks_a_rule_fails_the_run_and_names_its_seed(monkeypatch):
    problem, plan = _generated()
    calls = []

    def broken_verify(self, p, pl):
        calls.append(1)
        return ["[shift] made up"] if len(calls) == 3 else []

    monkeypatch.setattr(replay_module.PlanChecker, "__call__", broken_verify)
    with pytest.raises(SimulationError, match="seed 7: the plan after .* breaks 1 hard rule"):
        replay_day(problem, plan, draw_day(problem, 7, DayParams()))
    calls.clear()
    result = simulate(problem, plan, runs=2, seed=7)
    assert not result.ok and [f.seed for f in result.failures] == [7]
    assert "seed 7" in result.failures[0].message and list(result.runs["seed"]) == [8]


def test_the_same_seed_gives_the_same_table_inline_and_in_processes():
    problem, plan = _generated()
    kw = dict(runs=4, seed=3, emergencies_per_hour=1.5, no_show_p=0.1, sick_p=0.2)
    inline = simulate(problem, plan, **kw)
    assert inline.ok and list(inline.runs["seed"]) == [3, 4, 5, 6]
    table = inline.table()
    assert table.equals(simulate(problem, plan, **kw).table())
    assert table.equals(simulate(problem, plan, workers=2, **kw).table())
    for kpi in ("on_time_rate", "travel_minutes", "overtime_minutes", "jobs_left", "customers_notified"):
        row = table.loc[kpi]
        assert row["p5"] <= row["p50"] <= row["p95"] and not math.isnan(row["mean"])
    assert any(k.startswith("on_time_rate__") for k in table.index)
    assert (inline.runs["plans_verified"] == inline.runs["events"] + 1).all()
    other = simulate(problem, plan, **{**kw, "seed": 30}).table()
    assert not other.equals(table)


def test_the_policy_sets_the_preemption_of_every_emergency_category():
    problem, _ = _generated()
    changed = with_policy(problem, "interrupt")
    cats = [c for c, _ in emergency_categories(problem)]
    assert cats and dict(changed.preemption) == {c: "interrupt" for c in cats}
    assert with_policy(problem, None) is problem


@pytest.mark.parametrize("kw, match", [
    ({"runs": 0}, "runs: expected a whole number >= 1, got 0"),
    ({"runs": 2, "workers": 0}, "workers"),
    ({"runs": 2, "executor": "dask"}, "executor: expected one of process, ray, got 'dask'"),
    ({"runs": 2, "no_show_p": 1.5}, "no_show_p: expected a probability"),
    ({"runs": 2, "duration_noise_cv": -1}, "duration_noise_cv: expected a number >= 0"),
    ({"runs": 2, "policy": "panic"}, "policy: expected one of finish_current, interrupt, got 'panic'"),
    ({"runs": 2, "replan_every": 0}, "replan_every"),
    ({"runs": 2, "executor": "process", "ray_address": "auto"}, "ray_address: 'auto' given with executor"),
])
def test_bad_options_are_parameter_errors(kw, match):
    problem, plan = _tiny()
    with pytest.raises(ParameterError, match=match):
        simulate(problem, plan, **kw)


def test_a_plan_that_does_not_verify_is_refused():
    problem, _ = _tiny()
    bad = make_plan(problem, [route(problem, "T1", [("A", 0), ("B", 1 * M)])])
    with pytest.raises(ParameterError, match="plan: breaks"):
        simulate(problem, bad, runs=1)


@pytest.mark.ray
def test_ray_gives_the_same_table_as_inline():
    ray = pytest.importorskip("ray")
    problem, plan = _generated()
    kw = dict(runs=3, seed=11, emergencies_per_hour=1.5, no_show_p=0.1, sick_p=0.2)
    try:
        on_ray = simulate(problem, plan, executor="ray", workers=2, **kw)
    finally:
        ray.shutdown()
    assert on_ray.ok and on_ray.table().equals(simulate(problem, plan, **kw).table())


def test_hourly_re_optimisation_is_part_of_the_day_and_verified():
    problem, plan = _generated()
    day = draw_day(problem, 1, DayParams(emergencies_per_hour=1.0, no_show_p=0.1))
    plain = replay_day(problem, plan, day)
    hourly = replay_day(problem, plan, day, replan_every_s=H)
    last = max(t.shifts[-1].end_s for t in problem.technicians)
    assert plain.replans == 0 and 1 <= hourly.replans <= last // H
    assert hourly.events > hourly.replans                       # the re-plans are published too
    assert hourly.plans_verified == hourly.events + 1
    assert hourly.new_jobs == plain.new_jobs == len(day.arrivals)


def test_customers_cancel_jobs_that_have_not_started():
    problem, plan = _generated()
    day = draw_day(problem, 3, DayParams(0.0, 0.3, 0.0, 0.0, cancel_p=0.5))
    lo, hi = working_span(problem)
    assert day.cancellations
    assert all(max(lo, problem.job(j).received_s) <= t <= max(hi, problem.job(j).received_s)
               for t, j in day.cancellations)
    executed = replay_day(problem, plan, day)
    assert 0 < executed.cancelled <= len(day.cancellations)
    assert executed.kpis["not_dispatchable"] == executed.cancelled + sum(not j.dispatchable for j in problem.jobs)
    assert executed.plans_verified == executed.events + 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [55, 110])
def test_a_break_planned_inside_an_overrunning_job_is_placed_again_after_it(seed):
    """Regression (found by the 200-day simulation of the city day): a job in hand ran past the
    start of the break planned after it; the break had been frozen as 'started before now', so
    the plan after the job's completion had the break overlap the service."""
    from pathlib import Path

    from dispatchopt.scenario import load_scenario

    problem = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "city_day.yaml")
    plan = solve(problem, backend="greedy").plan
    result = simulate(problem, plan, runs=1, seed=seed)
    assert result.ok, result.failures
