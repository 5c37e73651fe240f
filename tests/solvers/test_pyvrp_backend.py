"""The PyVRP backend: plain-routing detection, the mapping, and plans that pass verify()."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from dispatchopt.domain import (BreakRule, Clock, Job, Location, Objective, Problem, Shift, SlaLevel,
                                Technician, TravelSpec, Window)
from dispatchopt.errors import SolverError
from dispatchopt.solvers.pyvrp_backend import is_plain_routing, plain_routing_issues, solve_pyvrp

pytest.importorskip("pyvrp")

M = 60
H = 3600
C101 = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "solomon" / "C101.txt"


def _verify(problem, plan):
    try:
        from dispatchopt.audit.verify import verify
    except ImportError:  # pragma: no cover - the verifier lands separately
        return []
    return verify(problem, plan)


def _tech(id, *, x=0.0, shift=(0, 8 * H), capacity=0, **kw):
    loc = Location(x=float(x), y=0.0)
    return Technician(id=id, skills={"plumbing": 1}, shifts=(Shift(*shift),), start=loc, end=loc,
                      capacity=capacity, **kw)


def _job(id, x, *, window=None, demand=0, **kw):
    return Job(id=id, location=Location(x=float(x), y=0.0), category="standard", skills={"plumbing": 1},
               duration_s=10 * M, received_s=0, due_s=8 * H,
               window=Window(*window) if window else None, demand=demand, **kw)


def _problem(techs, jobs, *, late_minute=0.0):
    return Problem(name="tiny", clock=Clock.create(dt.datetime(2026, 11, 23, 8, 0), "UTC"), end_s=8 * H,
                   travel=TravelSpec(model="euclidean", speed_kmh=1.0),
                   sla={"standard": SlaLevel(respond_minutes=480)},
                   objective=Objective(late_minute=late_minute), technicians=tuple(techs), jobs=tuple(jobs))


def test_plain_problem_is_recognised():
    assert is_plain_routing(_problem([_tech("T1")], [_job("J1", 10)]))


@pytest.mark.parametrize("techs, jobs, needle", [
    ([_tech("T1", breaks=(BreakRule(3 * H, 4 * H, 30 * M),))], [_job("J1", 10)], "break"),
    ([_tech("T1"), _tech("T2")], [_job("J1", 10, crew_size=2)], "crew_size 2"),
    ([_tech("T1"), _tech("T2")], [_job("J1", 10, pinned_to=("T1",))], "pinned_to"),
    ([_tech("T1", max_jobs=3)], [_job("J1", 10)], "max_jobs"),
    ([_tech("T1", max_work_s=3 * H)], [_job("J1", 10)], "max_work_s"),
    ([_tech("T1", trainee=True), _tech("T2")], [_job("J1", 10)], "may not do it"),
])
def test_not_plain_names_the_reason(techs, jobs, needle):
    problem = _problem(techs, jobs)
    assert not is_plain_routing(problem)
    assert any(needle in issue for issue in plain_routing_issues(problem))
    with pytest.raises(SolverError, match=needle):
        solve_pyvrp(problem, time_limit_s=1)


def test_soft_deadline_that_bites_is_not_plain():
    bites = _job("J1", 10, window=(0, 4 * H))
    bites = Job(**{**bites.__dict__, "due_s": 1 * H})
    assert not is_plain_routing(_problem([_tech("T1")], [bites], late_minute=5.0))
    assert is_plain_routing(_problem([_tech("T1")], [bites], late_minute=0.0))


def test_missing_pyvrp_is_a_clear_solver_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyvrp", None)
    with pytest.raises(SolverError, match="pip install"):
        solve_pyvrp(_problem([_tech("T1")], [_job("J1", 10)]), time_limit_s=1)


@pytest.mark.skipif(not C101.is_file(), reason=f"Solomon data not found at {C101}")
def test_c101_subset_is_fully_planned_and_verified():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "solomon.py"
    spec = importlib.util.spec_from_file_location("solomon", path)
    solomon = sys.modules.get("solomon") or importlib.util.module_from_spec(spec)
    if "solomon" not in sys.modules:
        sys.modules["solomon"] = solomon
        spec.loader.exec_module(solomon)
    full = solomon.read_solomon(C101)
    problem = full.replace(jobs=full.jobs[:10], technicians=full.technicians[:5])
    result = solve_pyvrp(problem, time_limit_s=1, seed=0)
    plan = result.plan
    assert result.status.value == "feasible"
    assert plan.unassigned == ()
    assert sorted(plan.assigned_job_ids(), key=int) == [str(i) for i in range(1, 11)]
    assert _verify(problem, plan) == []
    assert plan.solver.backend == "pyvrp"


def test_capacity_and_windows_respected_and_unreachable_job_reported():
    techs = [_tech("T1", capacity=2), _tech("T2", x=50, capacity=2)]
    jobs = [_job("A", 5, demand=1), _job("B", 10, demand=1), _job("C", 45, demand=1),
            _job("D", 55, demand=1, window=(60 * M, 90 * M)),
            _job("FAR", 1000, demand=1),                       # cannot be reached and back in 8 h
            _job("HOLD", 20, demand=1, dispatchable=False)]
    problem = _problem(techs, jobs)
    assert is_plain_routing(problem)
    result = solve_pyvrp(problem, time_limit_s=1, seed=0)
    plan = result.plan
    reasons = {u.job: u.reason for u in plan.unassigned}
    assert set(reasons) == {"FAR", "HOLD"}
    assert "reach" in reasons["FAR"] and "dispatchable" in reasons["HOLD"]
    assert plan.assigned_job_ids() == {"A", "B", "C", "D"}
    d_visit = plan.visits_of("D")[0][1]
    assert 60 * M <= d_visit.start_s <= 90 * M
    assert result.status.value == "partial"
    assert _verify(problem, plan) == []


def test_too_few_technicians_gives_a_partial_feasible_plan():
    # one technician, 2 h shift, four 10-minute jobs 30 minutes apart in both directions
    techs = [_tech("T1", shift=(0, 2 * H))]
    jobs = [_job(f"J{i}", x) for i, x in enumerate((30, -30, 30.5, -30.5))]
    problem = _problem(techs, jobs)
    result = solve_pyvrp(problem, time_limit_s=1, seed=0)
    plan = result.plan
    assert result.status.value == "partial"
    assert len(plan.assigned_job_ids()) == 2 and len(plan.unassigned) == 2
    assert all(u.reason for u in plan.unassigned)
    assert _verify(problem, plan) == []
