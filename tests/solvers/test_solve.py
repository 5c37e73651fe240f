"""solve(): the default backend, what auto picks, and options a backend cannot honour."""

from __future__ import annotations

import math

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.errors import ParameterError
from dispatchopt.solvers import BACKENDS, DEFAULT_BACKEND, choose_backend, solve
from helpers import H, job, make_problem, tech


def field_day():
    return make_problem([tech("T1", shifts=[(0, 3 * H), (4 * H, 8 * H)]), tech("T2", "electrical", x=5)],
                        [job("J1", x=3), job("J2", x=4, skills="electrical"), job("J3", x=6, crew_size=2)])


def test_default_backend_is_auto_and_every_backend_is_listed():
    assert DEFAULT_BACKEND == "auto"
    assert set(BACKENDS) == {"auto", "portfolio", "ortools", "vroom", "greedy", "pyvrp"}


def test_auto_runs_the_portfolio_on_a_field_service_day_and_records_it():
    problem = field_day()
    assert choose_backend(problem) == "portfolio"
    result = solve(problem, time_limit_s=10, solution_limit=10)
    assert verify(problem, result.plan) == []
    assert result.plan.solver.backend.startswith("portfolio:")
    assert result.stats.extra["backend"] == result.plan.solver.backend
    assert {"start_s", "vroom_s"} <= set(result.stats.extra["phases"])


def test_auto_picks_pyvrp_for_plain_routing_unless_an_option_needs_more():
    problem = make_problem([tech("T1", skills=())], [job(f"J{i}", x=i, skills=()) for i in range(20)])
    assert choose_backend(problem) == "pyvrp"
    result = solve(problem, time_limit_s=1)
    assert result.plan.solver.backend.startswith("pyvrp")
    assert verify(problem, result.plan) == []
    assert choose_backend(problem, options={"solution_limit"}) == "portfolio"


@pytest.mark.parametrize("backend", ["portfolio", "ortools", "vroom", "greedy"])
def test_every_field_backend_returns_a_clean_plan(backend):
    problem = field_day()
    options = {"solution_limit": 10} if backend in ("portfolio", "ortools") else {}
    result = solve(problem, backend=backend, time_limit_s=10, **options)
    assert verify(problem, result.plan) == []
    assert result.stats.objective == result.plan.solver.objective
    assert "phases" in result.stats.extra


@pytest.mark.parametrize("kwargs, needle", [
    (dict(backend="gredy"), "backend: unknown backend 'gredy'"),
    (dict(time_limit_s=0), "time_limit_s: .* got 0"),
    (dict(time_limit_s=-1.0), "time_limit_s: .* got -1.0"),
    (dict(time_limit_s=math.nan), "time_limit_s: .* got nan"),
    (dict(time_limit_s=math.inf), "time_limit_s: .* got inf"),
    (dict(backend="greedy", solution_limit=5), "solution_limit: the 'greedy' backend cannot honour"),
    (dict(backend="pyvrp", churn_penalty_min=3.0), "churn_penalty_min: the 'pyvrp' backend"),
    (dict(backend="vroom", solution_limit=5), "solution_limit: the 'vroom' backend"),
    (dict(solution_limit=0), "solution_limit: must be a positive integer, got 0"),
    (dict(seed=1.5), "seed: must be an integer, got 1.5"),
])
def test_bad_options_raise_parameter_error_naming_them(kwargs, needle):
    with pytest.raises(ParameterError, match=needle):
        solve(field_day(), **kwargs)


def test_initial_on_greedy_is_refused():
    problem = field_day()
    plan = solve(problem, backend="greedy").plan
    with pytest.raises(ParameterError, match="initial: the 'greedy' backend cannot honour"):
        solve(problem, backend="greedy", initial=plan)
    assert isinstance(ParameterError("x"), ValueError)


def test_auto_on_a_one_job_day_stops_early():
    """Issue 11: a 1 x 1 day took 9.2 s of a 10 s limit (PyVRP and OR-Tools run to the clock)."""
    problem = make_problem([tech("T1")], [job("J1", x=3)])
    result = solve(problem, time_limit_s=10)
    assert result.stats.wall_s < 5.0
    assert result.plan.assigned_job_ids() == {"J1"}
    assert verify(problem, result.plan) == []
