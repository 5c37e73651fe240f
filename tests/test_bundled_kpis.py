"""KPI bounds on the bundled scenarios, every plan verified.

The OR-Tools runs here are short (the full 30 s city-day figures are in the README and the
closing notes); the assertions are ones a short run must already meet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatchopt import rules
from dispatchopt.audit.kpi import compute_kpis
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve
from dispatchopt.audit.verify import verify

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
EMERGENCY_WEIGHT = 100


def reachable_in_time(problem, job) -> bool:
    """Some qualified technician, leaving its depot at its shift start, is on site by the due time."""
    matrix = problem.travel_matrix
    for tech in rules.qualified_leads(problem, job):
        for shift in tech.shifts:
            start = max(shift.start_s + matrix.travel_s(tech.start, job.location), rules.earliest_start_s(job))
            if start <= job.due_s and start + job.duration_s <= shift.end_s + tech.max_overtime_s:
                return True
    return False


@pytest.fixture(scope="module")
def city():
    problem = load_scenario(SCENARIOS / "city_day.yaml")
    greedy = solve(problem, backend="greedy").plan
    routed = solve(problem, backend="ortools", time_limit_s=12).plan
    return problem, greedy, routed


def test_city_day_plans_verify(city):
    problem, greedy, routed = city
    assert verify(problem, greedy) == []
    assert verify(problem, routed) == []


def test_city_day_every_reachable_emergency_is_on_time(city):
    problem, _, routed = city
    heavy = [j for j in problem.jobs if problem.weight(j) >= EMERGENCY_WEIGHT and j.dispatchable]
    assert heavy, "the city day must hold emergencies"
    for job in heavy:
        if not reachable_in_time(problem, job):
            continue
        visits = routed.visits_of(job.id)
        assert visits, f"{job.id} ({job.category}) is reachable but unassigned"
        assert rules.on_time(job, visits[0][1].start_s), f"{job.id} ({job.category}) is late"


def test_city_day_routing_beats_greedy(city):
    problem, greedy, routed = city
    g, r = compute_kpis(problem, greedy), compute_kpis(problem, routed)
    assert r["on_time_rate"] >= g["on_time_rate"]
    assert r["unassigned"] <= g["unassigned"]
    assert r["travel_minutes"] < g["travel_minutes"]
    assert 0 <= r["utilisation"] <= 1 and r["late_jobs"] >= 0


def test_small_scenario_plans_everything_on_time():
    problem = load_scenario(SCENARIOS / "small.yaml")
    plan = solve(problem, backend="ortools", time_limit_s=5).plan
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert kpis["unassigned"] == 0
    assert kpis["on_time_rate"] >= 0.95
    assert kpis["on_time_rate_by_category"].get("emergency", 1.0) == 1.0


@pytest.mark.parametrize("name", ["scenario.yaml", "closure.yaml"])
def test_road_graph_scenarios_verify(name):
    problem = load_scenario(SCENARIOS / "road_graph" / name)
    plan = solve(problem, backend="ortools", time_limit_s=4).plan
    assert verify(problem, plan) == []


def test_road_closure_makes_trips_longer():
    base = load_scenario(SCENARIOS / "road_graph" / "scenario.yaml").travel_matrix.seconds
    closed = load_scenario(SCENARIOS / "road_graph" / "closure.yaml").travel_matrix.seconds
    assert (closed >= base).all() and (closed > base).any()
