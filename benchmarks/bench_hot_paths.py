"""Hot-path benchmarks (pytest-benchmark; outside the default test run, which collects tests/ only).

    .venv/bin/python -m pytest benchmarks/bench_hot_paths.py --benchmark-only

- travel matrix build, haversine: city_day.yaml (40 x 400: 440 places, 404 distinct locations)
  and a generated 150 x 2000 scenario (``generate_scenario(150, 2000, seed=7)`` +
  ``problem_from_dict``: 1,993 distinct locations);
- OR-Tools routing model build (``solvers.routing.build_model``, no search) for city_day;
- the greedy solve for city_day (``solvers.greedy.solve_greedy``);
- live dispatch: one new job inserted into the city_day greedy plan at 10:00
  (``live.apply(DispatchState, NewJob)``: best insertion) and one emergency (on site first);
  skipped when ``dispatchopt.live`` does not expose them.

Scenario loading, plan building and the live state are fixtures (not timed). Slow paths run a
fixed, small number of rounds (``benchmark.pedantic``) so that the whole file stays near a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatchopt.scenario import load_scenario, problem_from_dict
from dispatchopt.synth.generate import generate_scenario
from dispatchopt.travel import build_travel_matrix
from dispatchopt.travel import matrix_of

REPO = Path(__file__).resolve().parents[1]
CITY_DAY = REPO / "scenarios" / "city_day.yaml"
NOW_S = 3 * 3600                    # 10:00 on city_day's clock (start 07:00)


@pytest.fixture(scope="module")
def city_day():
    problem = load_scenario(CITY_DAY)
    matrix_of(problem)           # the cached one, for the paths that read it
    return problem


@pytest.fixture(scope="module")
def generated_150x2000():
    data = generate_scenario(150, 2000, seed=7)
    return problem_from_dict(data, source="generate_scenario(150, 2000, seed=7)")


# -- travel matrix ----------------------------------------------------------------------------------
def test_travel_matrix_city_day(benchmark, city_day):
    matrix = benchmark(build_travel_matrix, city_day)
    assert matrix.seconds.shape == (len(matrix.locations),) * 2
    assert len(matrix.locations) == 404     # 440 places (40 starts + 400 jobs), shared depots deduplicated


def test_travel_matrix_generated_150x2000(benchmark, generated_150x2000):
    matrix = benchmark.pedantic(build_travel_matrix, args=(generated_150x2000,), rounds=5, iterations=1,
                                warmup_rounds=1)
    assert len(matrix.locations) > 1900     # 150 starts + 2000 jobs, depots deduplicated (1,993)


# -- solvers ----------------------------------------------------------------------------------------
def test_routing_build_model_city_day(benchmark, city_day):
    from dispatchopt.solvers.routing import build_model

    model = benchmark.pedantic(build_model, args=(city_day,), rounds=3, iterations=1, warmup_rounds=1)
    assert model is not None


def test_greedy_solve_city_day(benchmark, city_day):
    from dispatchopt.solvers.greedy import solve_greedy

    result = benchmark.pedantic(solve_greedy, args=(city_day,), rounds=5, iterations=1, warmup_rounds=1)
    assert result.plan.assigned_job_ids()


# -- live insertion ---------------------------------------------------------------------------------
def _live():
    try:
        from dispatchopt.live import DispatchState, NewJob, apply
    except ImportError as exc:   # another engineer is writing live/
        pytest.skip(f"dispatchopt.live does not expose DispatchState/NewJob/apply yet ({exc})")
    return DispatchState, NewJob, apply


@pytest.fixture(scope="module")
def city_day_state(city_day):
    DispatchState, _, _ = _live()
    from dispatchopt.solvers.greedy import solve_greedy

    plan = solve_greedy(city_day).plan
    return DispatchState.start(city_day, plan, NOW_S)


def _new_job(problem, job_id: str, category: str, skills: dict[str, int], lat: float, lon: float):
    from dispatchopt.domain import Job, Location

    received = NOW_S
    due = received + int(problem.sla[category].respond_minutes * 60)
    return Job(id=job_id, location=Location(lat=lat, lon=lon), category=category, skills=skills,
               duration_s=45 * 60, received_s=received, due_s=due)


def test_live_insert_standard_job_city_day(benchmark, city_day, city_day_state):
    _, NewJob, apply = _live()
    event = NewJob(at_s=NOW_S, job=_new_job(city_day, "BENCH-STD", "standard", {"plumbing": 1},
                                            36.0841, 120.3902))
    update = benchmark(apply, city_day_state, event)
    assert "BENCH-STD" in update.state.plan.assigned_job_ids()


def test_live_insert_emergency_city_day(benchmark, city_day, city_day_state):
    _, NewJob, apply = _live()
    event = NewJob(at_s=NOW_S, job=_new_job(city_day, "BENCH-EMG", "emergency", {"plumbing": 1},
                                            36.0702, 120.4105))
    update = benchmark(apply, city_day_state, event)
    assert "BENCH-EMG" in update.state.plan.assigned_job_ids()
