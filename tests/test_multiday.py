"""Multi-day planning end to end: follow-ups kept with their person on a later day, the
other-technician price, the balance over persons with history, surveys before their deadline,
and the bundled 3-day scenario (docs/multiday.md). Solvers stop on solution limits."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from dispatchopt.audit.kpi import compute_kpis
from dispatchopt.audit.verify import verify
from dispatchopt.objective import person_work_s, plan_cost
from dispatchopt.plan import Plan, SolverInfo, Unassigned
from dispatchopt.scenario import load_scenario, problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.timing.schedule import build_route

ROOT = Path(__file__).resolve().parents[1]
MON, TUE = dt.date(2026, 12, 7), dt.date(2026, 12, 8)


def two_days(follow_up: dict | None = None, **objective) -> dict:
    """Mon 7 - Tue 8 December; T02 lives next to the jobs, T01 10 km away."""
    job = {"id": "F1", "location": {"x": 11, "y": 0}, "duration_minutes": 60, "received_at": "2026-12-07T08:00"}
    if follow_up is not None:
        job["follow_up"] = follow_up
    return {
        "name": "two-days", "timezone": "Asia/Shanghai", "start": "2026-12-07T08:00", "end": "2026-12-09T08:00",
        "travel": {"model": "euclidean", "speed_kmh": 1}, "objective": objective,
        "technicians": [
            {"id": "T01", "skills": ["plumbing"], "shifts": {"mon-fri": "08:00-16:00"}, "start": {"x": 0, "y": 0}},
            {"id": "T02", "skills": ["plumbing"], "shifts": {"mon-fri": "08:00-16:00"}, "start": {"x": 10, "y": 0}}],
        "jobs": [job, {"id": "J2", "location": {"x": 12, "y": 0}, "duration_minutes": 30}],
    }


REQUIRE = {"technician": "T01", "after": "2026-12-07T16:00", "after_hours": 16, "same_technician": "require"}


def served_by(plan: Plan, job_id: str) -> list[str]:
    return [tech for tech, _ in plan.visits_of(job_id)]


@pytest.mark.parametrize("backend, limits", [("greedy", {}), ("ortools", {"solution_limit": 20}),
                                             ("vroom", {}), ("auto", {"solution_limit": 20})])
def test_a_required_follow_up_lands_with_the_same_person_on_a_later_day(backend, limits):
    problem = problem_from_dict(two_days(REQUIRE))
    result = solve(problem, backend=backend, time_limit_s=20, **limits)
    assert verify(problem, result.plan) == []
    (tech_id,) = served_by(result.plan, "F1")
    tech = problem.technician(tech_id)
    assert (tech.person, tech.day) == ("T01", TUE)                     # Tuesday: after 16:00 + 16 h
    (visit,) = [v for _, v in result.plan.visits_of("F1")]
    assert visit.start_s >= problem.clock.to_seconds("2026-12-08T08:00")


def test_without_the_requirement_the_nearer_technician_takes_it():
    problem = problem_from_dict(two_days({**REQUIRE, "same_technician": "prefer"}, other_technician_follow_up=0))
    result = solve(problem, backend="greedy")
    assert verify(problem, result.plan) == []
    assert problem.technician(served_by(result.plan, "F1")[0]).person == "T02"


def test_a_preferred_follow_up_goes_to_its_person_when_the_price_beats_the_detour():
    problem = problem_from_dict(two_days({**REQUIRE, "same_technician": "prefer"}, other_technician_follow_up=60))
    result = solve(problem, backend="auto", time_limit_s=20, solution_limit=20)
    assert verify(problem, result.plan) == []
    assert problem.technician(served_by(result.plan, "F1")[0]).person == "T01"    # 20 min detour < 60


def _plan(problem, routes) -> Plan:
    planned = {v.job for r in routes for v in r.visits}
    return Plan(scenario=problem.name, clock=problem.clock, solver=SolverInfo(backend="test"), routes=tuple(routes),
                unassigned=tuple(Unassigned(j.id, "test") for j in problem.jobs if j.id not in planned))


def test_verify_refuses_a_required_follow_up_served_by_another_person():
    problem = problem_from_dict(two_days(REQUIRE))
    start = problem.clock.to_seconds("2026-12-08T09:00")
    plan = _plan(problem, [build_route(problem, "T02@2026-12-08", [("F1", start)])])
    rules_broken = {(v.rule, v.technician, v.job) for v in verify(problem, plan)}
    assert ("skill", "T02@2026-12-08", "F1") in rules_broken
    ok = _plan(problem, [build_route(problem, "T01@2026-12-08", [("F1", start + 600)])])
    assert verify(problem, ok) == []


def test_a_preferred_follow_up_taken_by_another_person_costs_the_documented_weight():
    problem = problem_from_dict(two_days({**REQUIRE, "same_technician": "prefer"}, other_technician_follow_up=40))
    start = problem.clock.to_seconds("2026-12-08T09:00")
    other = _plan(problem, [build_route(problem, "T02@2026-12-08", [("F1", start)])])
    same_place = _plan(problem, [build_route(problem, "T01@2026-12-08", [("F1", start)])])
    assert verify(problem, other) == [] and verify(problem, same_place) == []
    travel_other, travel_same = 2 * 1, 2 * 11              # minutes there and back (speed 1)
    assert plan_cost(problem, other) - travel_other == pytest.approx(40 + 10000)        # + J2 unassigned
    assert plan_cost(problem, same_place) - travel_same == pytest.approx(10000)


def test_the_balance_term_counts_each_person_over_days_plus_history():
    data = two_days(None, workload_balance=1)
    data["technicians"][1]["history_minutes"] = 100
    problem = problem_from_dict(data)
    mon, tue = problem.clock.to_seconds("2026-12-07T09:00"), problem.clock.to_seconds("2026-12-08T09:00")
    plan = _plan(problem, [build_route(problem, "T01@2026-12-07", [("F1", mon)]),
                           build_route(problem, "T01@2026-12-08", [("J2", tue)])])
    assert verify(problem, plan) == []
    work = person_work_s(problem, plan)
    assert work == {"T01": (11 + 60 + 11) * 60 + (12 + 30 + 12) * 60, "T02": 100 * 60}
    travel, late = 22 + 24, 60 * 5              # J2 (due Tuesday 08:00) starts at 09:00
    assert plan_cost(problem, plan) == pytest.approx(travel + late + (82 + 54))      # the largest person


def history_day(history_a: int, balance: float) -> dict:
    return {
        "name": "history", "timezone": "Asia/Shanghai", "start": "2026-12-07T08:00", "end": "2026-12-09T08:00",
        "travel": {"model": "euclidean", "speed_kmh": 1}, "objective": {"workload_balance": balance},
        "technicians": [
            {"id": "A", "skills": ["plumbing"], "shifts": {"mon-fri": "08:00-16:00"}, "start": {"x": 0, "y": 0},
             "history_minutes": history_a},
            {"id": "B", "skills": ["plumbing"], "shifts": {"mon-fri": "08:00-16:00"}, "start": {"x": 0, "y": 0}}],
        "jobs": [{"id": f"J{i}", "location": {"x": 5 + i, "y": 0}, "duration_minutes": 60} for i in range(6)],
    }


def test_a_person_with_a_big_history_gets_less_work_when_the_balance_weight_is_set():
    worked = {}
    for balance in (0, 1):
        problem = problem_from_dict(history_day(3000, balance))
        result = solve(problem, backend="auto", time_limit_s=20, solution_limit=30)
        assert verify(problem, result.plan) == [] and not result.plan.unassigned
        work = person_work_s(problem, result.plan)
        worked[balance] = (work["A"] - 3000 * 60, work["B"])
    assert worked[1][0] < worked[0][0]
    assert worked[1][0] < worked[1][1]                     # A, 50 hours behind it, now works less than B


def surveys() -> dict:
    """Mon - Wed; surveys received last Thursday/Friday and on Monday (due 2 working days later)."""
    data = two_days()
    data["end"] = "2026-12-10T08:00"
    received = ["2026-12-03T10:00", "2026-12-04T15:00", "2026-12-07T09:00", "2026-12-07T14:00"]
    data["jobs"] = [{"id": f"S{i}", "location": {"x": 2 + 3 * i, "y": 1}, "duration_minutes": 120,
                     "category": "survey", "skills": ["plumbing"], "received_at": r} for i, r in enumerate(received)]
    data["jobs"] += [{"id": f"W{i}", "location": {"x": i, "y": 2}, "duration_minutes": 90,
                      "received_at": "2026-12-07T08:00"} for i in range(6)]
    return data


def test_surveys_are_served_on_a_day_before_their_deadline():
    problem = problem_from_dict(surveys())
    dues = sorted({problem.clock.to_iso(j.due_s) for j in problem.jobs if j.category == "survey"})
    assert dues == ["2026-12-07T10:00", "2026-12-08T15:00", "2026-12-09T09:00", "2026-12-09T14:00"]
    result = solve(problem, backend="auto", time_limit_s=20, solution_limit=30)
    assert verify(problem, result.plan) == []
    for job in problem.jobs:
        if job.category == "survey":
            ((tech_id, visit),) = result.plan.visits_of(job.id)
            assert visit.start_s <= job.due_s
            assert problem.technician(tech_id).day <= problem.clock.to_datetime(job.due_s).date()
    kpis = compute_kpis(problem, result.plan)
    assert kpis["on_time_rate_by_category"]["survey"] == 1.0
    assert list(kpis["by_day"]) == ["2026-12-07", "2026-12-08", "2026-12-09"]
    assert sum(day["jobs"] for day in kpis["by_day"].values()) == 10 - kpis["unassigned"]


def test_the_bundled_three_day_scenario_plans_with_routes_per_person_per_day():
    problem = load_scenario(ROOT / "scenarios/multi_day_3x40.yaml")
    result = solve(problem, backend="greedy")
    assert verify(problem, result.plan) == []
    days_of = {}
    for route in result.plan.routes:
        tech = problem.technician(route.technician)
        days_of.setdefault(tech.person, []).append(tech.day)
    assert all(len(days) == len(set(days)) for days in days_of.values())     # one route per person per day
    for job in problem.jobs:
        if job.follow_up is not None and job.follow_up.mode == "require":
            assert all(problem.technician(t).person == job.follow_up.person for t in served_by(result.plan, job.id))
    by_day = compute_kpis(problem, result.plan)["by_day"]
    assert list(by_day) == ["2026-12-07", "2026-12-08", "2026-12-09"]
    assert sum(d["jobs"] for d in by_day.values()) == len({v.job for r in result.plan.routes for v in r.visits})


def test_a_copy_of_the_scenario_data_is_not_changed_by_loading():
    data = two_days(REQUIRE)
    before = copy.deepcopy(data)
    problem_from_dict(data)
    assert data == before


def test_the_bundled_scenario_is_what_the_generator_writes_and_the_generator_is_seeded():
    import yaml

    from dispatchopt.errors import ParameterError
    from dispatchopt.synth.multiday import generate_multi_day
    bundled = yaml.safe_load((ROOT / "scenarios/multi_day_3x40.yaml").read_text(encoding="utf-8"))
    assert bundled == generate_multi_day(40, 110, seed=20261207)
    small = generate_multi_day(6, 12, days=2, seed=3)
    assert small == generate_multi_day(6, 12, days=2, seed=3) != generate_multi_day(6, 12, days=2, seed=4)
    problem = problem_from_dict(small)
    assert {t.day for t in problem.technicians} == {MON, TUE} and len(problem.jobs) == 24
    with pytest.raises(ParameterError, match="days must be in 1..7, got 9"):
        generate_multi_day(days=9)
