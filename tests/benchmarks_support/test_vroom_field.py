"""benchmarks/vroom_field.py: VROOM on full dispatch problems, mapped back and verified."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from helpers import H, M, job, make_problem, tech

from dispatchopt import rules
from dispatchopt.scenario import load_scenario
from dispatchopt.audit.verify import verify

pytest.importorskip("vroom")

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "scenarios" / "small.yaml"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


vf = _load("vroom_field")


@pytest.fixture(scope="module")
def small():
    return load_scenario(SMALL)


@pytest.fixture(scope="module")
def small_run(small):
    return vf.run_vroom_field(small, time_limit_s=2)


def test_small_plan_verifies_clean(small, small_run):
    plan = small_run.plan
    assert list(small_run.violations) == []
    assert verify(small, plan) == []
    planned = [v.job for r in plan.routes for v in r.visits]
    for job_id in set(planned):
        assert planned.count(job_id) == small.job(job_id).crew_size
    assert set(planned) | {u.job for u in plan.unassigned} == {j.id for j in small.jobs}
    assert small_run.wall_s < 10


def test_small_crews_fixed_trainee_and_not_dispatchable(small, small_run):
    reasons = {u.job: u.reason for u in small_run.plan.unassigned}
    assert small_run.crews_fixed == 1 and small_run.crew_excluded == ()
    crew = small_run.plan.visits_of("J09")
    assert len(crew) == 2 and len({v.start_s for _, v in crew}) == 1
    assert reasons["J26"].startswith("not dispatchable")
    assert all(small.job(v.job).crew_size > 1 for v in small_run.plan.route("T08").visits)   # trainee
    assert small_run.plan.solver.backend == "vroom"
    assert small_run.plan.solver.objective is not None


def test_crews_excluded_mode_lists_them(small):
    run = vf.run_vroom_field(small, time_limit_s=2, crews="excluded")
    reasons = {u.job: u.reason for u in run.plan.unassigned}
    assert run.crew_excluded == ("J09",)
    assert reasons["J09"] == vf.CREW_REASON
    assert run.plan.route("T08").visits == ()
    assert list(run.violations) == []


def test_skill_ids_match_can_lead_and_pins(small):
    ids = vf.SkillIds(small)
    for t in small.technicians:
        held = ids.of_technician(small, t)
        for j in small.jobs:
            if j.crew_size > 1:
                continue
            expected = rules.can_lead(small, t, j) and rules.pinned_ok(j, [t.id])
            assert (ids.of_job(j) <= held) == expected, (t.id, j.id)


def test_skill_levels_certificates_and_pins():
    expired = dt.date(2026, 11, 1)
    techs = [tech("A", {"plumbing": 2}), tech("B", {"plumbing": 3}, certificates={"plumbing": expired}),
             tech("C", {"plumbing": 1}), tech("D", {"plumbing": 3}, trainee=True)]
    jobs = [job("J2", skills={"plumbing": 2}), job("J1", skills={"plumbing": 1}),
            job("P", skills={"plumbing": 1}, pinned_to="C")]
    problem = make_problem(techs, jobs)
    ids = vf.SkillIds(problem)
    can = {(t.id, j.id) for t in techs for j in jobs if ids.of_job(j) <= ids.of_technician(problem, t)}
    assert can == {("A", "J2"), ("A", "J1"), ("C", "J1"), ("C", "P")}
    assert can == {(t.id, j.id) for t in techs for j in jobs
                   if rules.can_lead(problem, t, j) and rules.pinned_ok(j, [t.id])}


def test_split_shift_lunch_break_and_early_job_verify_clean():
    techs = [tech("S", shifts=[(0, 3 * H), (4 * H, 8 * H)]),
             tech("L", breaks=[(3 * H, 4 * H, 45 * M)], max_work_s=5 * H)]
    jobs = [job(f"J{i}", x=10 + 5 * i, y=(-1) ** i * 8, duration_min=50) for i in range(8)]
    jobs.append(job("E", x=5, category="emergency", received_s=-10 * M))
    problem = make_problem(techs, jobs)
    run = vf.run_vroom_field(problem, time_limit_s=1)
    assert list(run.violations) == []
    assert len(run.plan.assigned_job_ids()) >= 6
    for b in run.plan.route("S").breaks:    # the shift gap is not a break of the plan
        assert (b.start_s, b.end_s) != (3 * H, 4 * H)


def test_dropped_hard_sla_job_gets_a_relaxed_second_pass():
    # two emergencies 40 min apart, due 30 min after they come in: one technician cannot make both
    problem = make_problem([tech("T")], [job("E1", x=20, category="emergency"),
                                         job("E2", x=-20, category="emergency")])
    run = vf.run_vroom_field(problem, time_limit_s=2)
    assert run.plan.assigned_job_ids() == {"E1", "E2"}
    assert any("relaxed second pass" in note for note in run.notes)
    assert list(run.violations) == []
    one = vf.run_vroom_field(problem, time_limit_s=2, relax_dropped=False)
    assert len(one.plan.assigned_job_ids()) == 1
    assert one.plan.solver.objective > run.plan.solver.objective


def test_solve_vroom_returns_a_plan(small):
    plan = vf.solve_vroom(small, time_limit_s=1)
    assert plan.solver.backend == "vroom"
    assert plan.scenario == small.name
