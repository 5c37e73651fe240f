"""solvers.construct: regret insertion with priority tiers and joint crew insertion.

Hand-made cases for each behaviour, and small generated days; every plan through verify."""

from __future__ import annotations

import pytest

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.objective import plan_cost
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers.construct import construct_plan, priority_tiers
from dispatchopt.solvers.greedy import solve_greedy
from dispatchopt.synth import generate_scenario
from helpers import H, M, job, make_problem, tech


def _clean(problem, plan):
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)
    planned = [v.job for r in plan.routes for v in r.visits if problem.job(v.job).crew_size == 1]
    assert len(planned) == len(set(planned))
    listed = plan.assigned_job_ids() | {u.job for u in plan.unassigned}
    assert listed == {j.id for j in problem.jobs}
    assert not plan.assigned_job_ids() & {u.job for u in plan.unassigned}
    return plan


def test_emergency_first_even_when_received_later():
    # One technician, 2 h shift: a 90 min standard job and an emergency received at 08:30.
    jobs = [job("JS", x=10, duration_min=90), job("JE", x=10, category="emergency", received_s=30 * M,
                                                 duration_min=20)]
    problem = make_problem([tech("T1", shift=(0, 2 * H))], jobs)
    plan = _clean(problem, construct_plan(problem))
    assert plan.route("T1").job_ids == ["JE"]
    assert [u.job for u in plan.unassigned] == ["JS"]


def test_regret_gives_the_only_option_first():
    # JA can only be done by T1 (gas); JB by both. JB is a little closer to T1.
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 2 * H))
    t2 = tech("T2", ("plumbing",), x=20, shift=(0, 2 * H))
    jobs = [job("JA", x=5, skills="gas", duration_min=80), job("JB", x=8, duration_min=80)]
    problem = make_problem([t1, t2], jobs, certificate_required=())
    plan = _clean(problem, construct_plan(problem))
    assert plan.route("T1").job_ids == ["JA"] and plan.route("T2").job_ids == ["JB"]
    greedy = solve_greedy(problem).plan
    assert plan_cost(problem, plan) <= plan_cost(problem, greedy)


def test_crew_job_inserted_jointly_at_a_common_start():
    techs = [tech("T1", x=0), tech("T2", x=30), tech("T3", x=5, trainee=True)]
    jobs = [job("JC", x=10, crew_size=2, category="drain_clearing"), job("J1", x=12)]
    problem = make_problem(techs, jobs)
    plan = _clean(problem, construct_plan(problem))
    visits = plan.visits_of("JC")
    assert len(visits) == 2 and len({v.start_s for _, v in visits}) == 1
    assert {t for t, _ in visits} == {"T1", "T3"}         # the nearest lead and the trainee


def test_reasons_for_the_unassigned():
    jobs = [job("JX", skills="welding"), job("JP", pinned_to=("T1", "T2")),
            job("JW", x=100, window=(0, 10 * M))]
    problem = make_problem([tech("T1"), tech("T2")], jobs)
    plan = _clean(problem, construct_plan(problem))
    reasons = {u.job: u.reason for u in plan.unassigned}
    assert reasons["JX"] == "no technician has the welding skill"
    assert reasons["JP"].startswith("pinned to 2 technicians")
    assert "window" in reasons["JW"]


def test_priority_tiers_heaviest_first():
    jobs = [job("A"), job("B", category="emergency"), job("C", category="urgent"), job("D", category="small_repair")]
    problem = make_problem([tech("T1")], jobs)
    assert [[j.id for j in tier] for tier in priority_tiers(problem, problem.jobs)] == [["B"], ["C"], ["A", "D"]]


@pytest.mark.parametrize("seed", [2, 7])
def test_generated_days_are_clean_deterministic_and_beat_the_greedy(seed):
    problem = problem_from_dict(generate_scenario(10, 90, seed=seed, target_load=1.0))
    plan = _clean(problem, construct_plan(problem, seed=seed))
    again = construct_plan(problem, seed=seed)
    assert [r.job_ids for r in plan.routes] == [r.job_ids for r in again.routes]
    assert plan_cost(problem, plan) < plan_cost(problem, solve_greedy(problem).plan)


def test_pinned_job_ejects_lighter_work_from_its_technician():
    # JU (urgent, 90 min) is closest to T1 and goes there first; the standard job JP is pinned
    # to T1 and must start within 30 min, so it only fits when JU moves to T2.
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 2 * H))
    t2 = tech("T2", ("plumbing",), x=10, shift=(0, 2 * H))
    jobs = [job("JU", x=1, category="urgent", duration_min=90),
            job("JP", x=2, duration_min=60, window=(0, 30 * M), pinned_to="T1")]
    problem = make_problem([t1, t2], jobs, certificate_required=())
    plan = _clean(problem, construct_plan(problem))
    assert plan.unassigned == ()
    assert plan.route("T1").job_ids == ["JP"] and plan.route("T2").job_ids == ["JU"]


def test_pinned_job_left_out_when_it_fits_nowhere_even_alone():
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 2 * H))
    jobs = [job("JU", x=1, category="urgent", duration_min=90),
            job("JP", x=200, duration_min=60, window=(0, 30 * M), pinned_to="T1")]
    problem = make_problem([t1], jobs, certificate_required=())
    plan = _clean(problem, construct_plan(problem))
    assert [u.job for u in plan.unassigned] == ["JP"] and plan.route("T1").job_ids == ["JU"]


def test_construction_never_sends_before_received_unless_anticipating():
    problem = make_problem([tech("T1")], [job("J1", x=5, received_s=2 * H, duration_min=20),
                                          job("J2", x=10, received_s=2 * H + 30 * M)])
    plan = _clean(problem, construct_plan(problem))
    for visit in plan.route("T1").visits:
        received = problem.job(visit.job).received_s
        assert visit.sent_s >= received and visit.arrival_s >= received + visit.travel_s
    ahead = problem.replace(anticipate_jobs=True)
    early = _clean(ahead, construct_plan(ahead))
    starts = {v.job: v.start_s for v in early.route("T1").visits}
    assert 2 * H in (starts["J1"], starts["J2"] - 30 * M)  # one starts the moment it is received
    assert any(v.rule == "sent_before_received" for v in verify(problem, early))
