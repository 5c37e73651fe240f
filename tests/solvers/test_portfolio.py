"""The field-service portfolio: phases recorded, never worse than its start, stops early,
reproducible with a solution limit; every plan verifies."""

from __future__ import annotations

import time

from dispatchopt.audit.verify import verify
from dispatchopt.objective import plan_cost
from dispatchopt.solvers.portfolio import exploration_for, solve_portfolio
from dispatchopt.solvers.start import start_plan
from helpers import H, M, job, make_problem, tech


def day():
    techs = [tech("A", x=0), tech("B", x=30, breaks=[(3 * H, 5 * H, 30 * M)]),
             tech("C", {"plumbing": 2, "electrical": 1}, x=15, y=15, shifts=[(0, 3 * H), (4 * H, 8 * H)]),
             tech("TR", trainee=True, x=10)]
    jobs = [job(f"J{i}", x=(7 * i) % 40, y=(11 * i) % 30, duration_min=30 + 5 * (i % 4),
                category=("emergency" if i % 7 == 0 else "standard"), received_s=(i % 5) * 30 * M,
                skills={"plumbing": 1 + (i % 9 == 0)}) for i in range(14)]
    jobs.append(job("CREW", x=20, y=5, crew_size=2, duration_min=45))
    return make_problem(techs, jobs)


def test_portfolio_plan_verifies_and_is_no_worse_than_its_start():
    problem = day()
    result = solve_portfolio(problem, time_limit_s=10, solution_limit=20)
    assert verify(problem, result.plan) == []
    start = start_plan(problem)
    assert result.stats.objective <= plan_cost(problem, start) + 1e-6
    assert result.stats.objective == min(result.stats.extra["costs"].values())
    phases = result.stats.extra["phases"]
    assert {"start_s", "vroom_s", "ortools_s"} <= set(phases)
    assert result.plan.solver.backend == result.stats.extra["backend"]
    assert result.plan.solver.backend.split(":")[0] == "portfolio"


def test_portfolio_with_a_solution_limit_is_reproducible():
    problem = day()
    a = solve_portfolio(problem, time_limit_s=10, solution_limit=15).plan
    b = solve_portfolio(problem, time_limit_s=10, solution_limit=15).plan
    assert a.routes == b.routes and a.unassigned == b.unassigned


def test_one_technician_one_job_stops_early():
    """Issue 11: a 1 x 1 day took 9.2 s of a 10 s limit. The search stops when nothing improves."""
    problem = make_problem([tech("T1")], [job("J1", x=3)])
    t0 = time.perf_counter()
    result = solve_portfolio(problem, time_limit_s=10)
    assert time.perf_counter() - t0 < 5.0
    assert result.plan.assigned_job_ids() == {"J1"}
    assert verify(problem, result.plan) == []


def test_warm_start_skips_vroom_and_keeps_the_initial_crews():
    problem = day()
    initial = start_plan(problem)
    result = solve_portfolio(problem, time_limit_s=10, initial=initial, churn_penalty_min=30, solution_limit=10)
    assert "vroom_s" not in result.stats.extra["phases"]
    assert "lns_s" not in result.stats.extra["phases"]          # the LNS knows no churn
    assert verify(problem, result.plan) == []
    assert result.stats.objective <= plan_cost(problem, initial) + 1e-6


def test_exploration_level_falls_with_size_and_rises_with_budget():
    small, big = day(), make_problem([tech(f"T{i}") for i in range(100)],
                                     [job(f"J{i}", x=i % 50) for i in range(2000)])
    assert exploration_for(small, 1.0) == 2
    assert exploration_for(big, 2.0) < exploration_for(big, 200.0)


def test_big_day_path_runs_vroom_then_the_priority_repair_then_the_lns(monkeypatch):
    """Days above ORTOOLS_MAX_JOBS (here lowered to 5): no OR-Tools phase; VROOM, then the
    repair of what it dropped, then the LNS; the plan verifies and is the cheapest phase's."""
    from dispatchopt.solvers import portfolio

    monkeypatch.setattr(portfolio, "ORTOOLS_MAX_JOBS", 5)
    problem = day()
    result = portfolio.solve_portfolio(problem, time_limit_s=10, solution_limit=10)
    assert verify(problem, result.plan) == []
    costs = result.stats.extra["costs"]
    names = set(costs)
    level = portfolio.BIG_EXPLORATION
    assert {"start", f"vroom(x={level})", f"vroom(x={level})+repair", "lns"} == names
    assert costs[f"vroom(x={level})+repair"] <= costs[f"vroom(x={level})"] + 1e-6
    assert result.stats.objective == min(costs.values())
    assert "ortools_s" not in result.stats.extra["phases"]


def test_plan_summary_counts_on_time_assigned_and_missed_emergencies():
    from dispatchopt.solvers.portfolio import plan_summary

    problem = day()
    plan = start_plan(problem)
    summary = plan_summary(problem, plan)
    assert summary["assigned"] == len(plan.assigned_job_ids())
    empty = plan.__class__(scenario=plan.scenario, clock=plan.clock, solver=plan.solver, routes=(),
                           unassigned=())
    out = plan_summary(problem, empty)
    emergencies = sum(j.category == "emergency" for j in problem.jobs)
    assert out == {"on_time_rate": 0.0, "assigned": 0, "travel_per_served": 0.0, "emergency_missed": emergencies}
    assert 0 < summary["on_time_rate"] <= 1
