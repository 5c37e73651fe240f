"""KPI bounds on the bundled scenarios, every plan verified.

The OR-Tools runs here stop on a solution limit (reproducible; the time limit is only a guard)
and are short: the full 30 s city-day figures are in the README. The assertions are ones such a
short run must already meet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatchopt import rules
from dispatchopt.audit.kpi import compute_kpis
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve
from dispatchopt.audit.verify import verify
from dispatchopt.travel import matrix_of

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
EMERGENCY_WEIGHT = 100


def reachable_in_time(problem, job) -> bool:
    """Some qualified technician, leaving its depot at its shift start, is on site by the due time."""
    matrix = matrix_of(problem)
    for tech in rules.qualified_leads(problem, job):
        for shift in tech.shifts:
            start = max(shift.start_s + matrix.travel_s(tech.start, job.location), rules.earliest_start_s(job))
            if start <= job.due_s and start + job.duration_s <= shift.end_s + tech.max_overtime_s:
                return True
    return False


def routing(problem, solution_limit: int):
    return solve(problem, backend="ortools", time_limit_s=120, solution_limit=solution_limit).plan


def recomputed(problem, plan) -> dict:
    """late_jobs, unassigned and utilisation from the plan's own visits (see audit/kpi.py)."""
    starts: dict[str, int] = {}
    for route in plan.routes:
        for visit in route.visits:
            starts[visit.job] = max(starts.get(visit.job, visit.start_s), visit.start_s)
    work_s = sum(v.travel_s + v.end_s - v.start_s for r in plan.routes for v in r.visits)
    work_s += sum(r.ret.travel_s for r in plan.routes if r.ret is not None)
    shift_s = sum(s.end_s - s.start_s for t in problem.technicians for s in t.shifts)
    return {"late_jobs": sum(1 for job_id, start in starts.items() if start > problem.job(job_id).due_s),
            "unassigned": sum(1 for j in problem.jobs if j.dispatchable and j.id not in starts),
            "utilisation": work_s / shift_s}


@pytest.fixture(scope="module")
def city():
    problem = load_scenario(SCENARIOS / "city_day.yaml")
    greedy = solve(problem, backend="greedy").plan
    return problem, greedy, routing(problem, 100)


@pytest.mark.slow
def test_city_day_plans_verify(city):
    problem, greedy, routed = city
    assert verify(problem, greedy) == []
    assert verify(problem, routed) == []


@pytest.mark.slow
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


@pytest.mark.slow
def test_city_day_routing_beats_greedy(city):
    problem, greedy, routed = city
    g, r = compute_kpis(problem, greedy), compute_kpis(problem, routed)
    assert r["on_time_rate"] >= g["on_time_rate"]
    assert r["unassigned"] <= g["unassigned"]
    assert r["travel_minutes"] < g["travel_minutes"]


@pytest.mark.slow
def test_city_day_kpis_match_the_plans(city):
    problem, greedy, routed = city
    for plan in (greedy, routed):
        kpis, expected = compute_kpis(problem, plan), recomputed(problem, plan)
        assert kpis["late_jobs"] == expected["late_jobs"]
        assert kpis["unassigned"] == expected["unassigned"]
        assert kpis["utilisation"] == pytest.approx(expected["utilisation"], abs=1e-3)
    assert recomputed(problem, greedy)["unassigned"] > 0      # the day is not trivial for greedy


def test_small_scenario_plans_everything_on_time():
    problem = load_scenario(SCENARIOS / "small.yaml")
    plan = routing(problem, 50)
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert kpis["unassigned"] == 0 and kpis["late_jobs"] == recomputed(problem, plan)["late_jobs"]
    assert kpis["on_time_rate"] >= 0.95
    assert kpis["on_time_rate_by_category"].get("emergency", 1.0) == 1.0


@pytest.mark.parametrize("name", ["scenario.yaml", "closure.yaml"])
def test_road_graph_scenarios_verify(name):
    problem = load_scenario(SCENARIOS / "road_graph" / name)
    plan = routing(problem, 50)
    assert verify(problem, plan) == []
    # Since the send rule (anticipate_jobs false, the default) the OR-Tools backend alone leaves
    # J0058 (received 10:57, electrical) out: its relaxed time windows let the search set off
    # early, the re-timing drops those visits, and it falls back to its start plan, which cannot
    # place J0058. The portfolio's LNS does place it (the default backend serves all 59
    # dispatchable jobs). A known weakness of the routing model, not a property to keep.
    unassigned = compute_kpis(problem, plan)["unassigned"]
    assert unassigned == recomputed(problem, plan)["unassigned"]
    assert unassigned <= 1
    assert {u.job for u in plan.unassigned} <= {"J0058", "J0022"}


def test_road_closure_makes_trips_longer():
    base = matrix_of(load_scenario(SCENARIOS / "road_graph" / "scenario.yaml")).seconds
    closed = matrix_of(load_scenario(SCENARIOS / "road_graph" / "closure.yaml")).seconds
    assert (closed >= base).all() and (closed > base).any()
