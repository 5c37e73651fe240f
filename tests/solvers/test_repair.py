"""solvers.repair.repair_plan: dropped jobs inserted where they cost least, heavy jobs ejecting
lighter work. Tiny hand-made plans; every plan through verify."""

from __future__ import annotations

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.objective import plan_cost
from dispatchopt.solvers.repair import repair_plan
from helpers import H, M, job, make_plan, make_problem, route, tech


def _clean(problem, plan):
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)
    return plan


def test_dropped_job_goes_where_it_costs_least():
    problem = make_problem([tech("T1", x=0), tech("T2", x=100)],
                           [job("J1", x=10), job("J2", x=95), job("J3", x=90)])
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M)]),
                               route(problem, "T2", [("J2", 5 * M)])])
    out = _clean(problem, repair_plan(problem, plan))
    assert out.route("T2").job_ids == ["J2", "J3"] or out.route("T2").job_ids == ["J3", "J2"]
    assert out.unassigned == ()
    assert plan_cost(problem, out) < plan_cost(problem, plan)


def test_emergency_ejects_lighter_work_which_moves_elsewhere():
    # Only T1 holds gas. T1's day is full with a standard plumbing job; T2 can do plumbing.
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 2 * H))
    t2 = tech("T2", ("plumbing",), shift=(0, 4 * H))
    jobs = [job("JS", x=5, duration_min=100), job("JE", x=5, skills="gas", category="emergency",
                                                 duration_min=60)]
    problem = make_problem([t1, t2], jobs, certificate_required=())
    plan = make_plan(problem, [route(problem, "T1", [("JS", 5 * M)]), route(problem, "T2", [])],
                     {"JE": "test: dropped"})
    out = _clean(problem, repair_plan(problem, plan))
    assert out.route("T1").job_ids == ["JE"]
    assert out.route("T2").job_ids == ["JS"]
    assert out.unassigned == ()


def test_ejected_job_with_nowhere_to_go_names_the_emergency():
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 2 * H))
    jobs = [job("JS", x=5, duration_min=100), job("JE", x=5, skills="gas", category="emergency",
                                                 duration_min=60)]
    problem = make_problem([t1], jobs, certificate_required=())
    plan = make_plan(problem, [route(problem, "T1", [("JS", 5 * M)])], {"JE": "test: dropped"})
    out = _clean(problem, repair_plan(problem, plan))
    assert out.route("T1").job_ids == ["JE"]
    assert [(u.job, u.reason) for u in out.unassigned] == \
        [("JS", "displaced by higher-priority job JE (emergency)")]


def test_light_jobs_do_not_eject_and_crew_jobs_are_left():
    t1 = tech("T1", shift=(0, 2 * H))
    jobs = [job("JS", x=5, duration_min=100), job("JL", x=5, category="small_repair", duration_min=60),
            job("JC", x=5, crew_size=2)]
    problem = make_problem([t1], jobs)
    plan = make_plan(problem, [route(problem, "T1", [("JS", 5 * M)])], {"JL": "full", "JC": "crew"})
    out = _clean(problem, repair_plan(problem, plan))
    assert out.route("T1").job_ids == ["JS"]
    assert {u.job: u.reason for u in out.unassigned} == {"JL": "full", "JC": "crew"}


def test_a_passed_deadline_changes_nothing():
    problem = make_problem([tech("T1")], [job("J1", x=10)])
    plan = make_plan(problem, [route(problem, "T1", [])])
    assert repair_plan(problem, plan, deadline_s=0.0) is plan
    assert repair_plan(problem, plan).route("T1").job_ids == ["J1"]
