"""The greedy baseline ("the dispatcher by hand"), on tiny hand-made problems.

Travel is euclidean at speed 1: one coordinate unit is one minute. Time 0 is 2026-11-23 08:00
local; shifts are 08:00-16:00 unless stated. Every plan goes through the verifier.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from dispatchopt.domain import Problem
from dispatchopt.solvers.base import SolveStatus
from dispatchopt.solvers.greedy import job_order_key, solve_greedy
from helpers import job, make_problem, tech

M = 60
H = 3600
VALID = dt.date(2027, 12, 31)
EXPIRED = dt.date(2026, 1, 1)


def solve(problem, seed=0):
    """solve_greedy, with the plan checked by the verifier (when it is there)."""
    result = solve_greedy(problem, seed=seed)
    try:
        from dispatchopt.audit.verify import format_violations, verify
    except ImportError:  # pragma: no cover - the verifier is written concurrently
        return result
    violations = verify(problem, result.plan)
    assert violations == [], format_violations(violations)
    return result


def crew_of(plan, job_id):
    return sorted(tech for tech, _ in plan.visits_of(job_id))


def start_of(plan, job_id):
    starts = {visit.start_s for _, visit in plan.visits_of(job_id)}
    assert len(starts) == 1
    return starts.pop()


def reason_of(plan, job_id):
    return next(u.reason for u in plan.unassigned if u.job == job_id)


# -- who goes -------------------------------------------------------------------------------
def test_skill_level_filters_the_nearer_technician():
    problem = make_problem([tech("T1", {"plumbing": 1}), tech("T2", {"plumbing": 2}, x=50)],
                           [job("J1", x=5, skills={"plumbing": 2})])
    plan = solve(problem).plan
    assert crew_of(plan, "J1") == ["T2"]


def test_expired_certificate_is_not_sent():
    techs = [tech("T1", ["electrical"], certificates={"electrical": EXPIRED}),
             tech("T2", ["electrical"], x=50, certificates={"electrical": VALID})]
    problem = make_problem(techs, [job("J1", x=5, skills=["electrical"])])
    assert crew_of(solve(problem).plan, "J1") == ["T2"]
    alone = make_problem(techs[:1], [job("J1", x=5, skills=["electrical"])])
    result = solve(alone)
    assert result.status == SolveStatus.NO_SOLUTION
    assert reason_of(result.plan, "J1") == "no technician holds a valid electrical certificate"


def test_the_technician_who_can_start_earliest_gets_it_not_the_nearest():
    problem = make_problem([tech("T1"), tech("T2", x=40)],
                           [job("JA", x=5, category="emergency"), job("JB", x=10)])
    plan = solve(problem).plan
    assert crew_of(plan, "JA") == ["T1"]
    # T1 could start JB at 08:40 (after JA), T2 at 08:30
    assert crew_of(plan, "JB") == ["T2"] and start_of(plan, "JB") == 30 * M


def test_trainee_never_works_alone():
    techs = [tech("TR", {"plumbing": 3}, trainee=True), tech("T1", x=50)]
    plan = solve(make_problem(techs, [job("J1", x=1)])).plan
    assert crew_of(plan, "J1") == ["T1"]
    result = solve(make_problem(techs[:1], [job("J1", x=1)]))
    assert result.plan.route("TR").visits == ()
    assert reason_of(result.plan, "J1") == "no technician has the plumbing skill"


def test_pinned_job_goes_to_its_pin():
    problem = make_problem([tech("T1"), tech("T2", x=60)], [job("J1", x=1, pinned_to="T2")])
    assert crew_of(solve(problem).plan, "J1") == ["T2"]


def test_pinned_technician_exhausted_is_the_reason():
    problem = make_problem([tech("T1", max_jobs=1), tech("T2", x=60)],
                           [job("J0", category="emergency"), job("J1", x=1, pinned_to="T1")])
    result = solve(problem)
    assert crew_of(result.plan, "J0") == ["T1"]
    assert reason_of(result.plan, "J1") == "pinned technician T1: max_jobs exhausted"
    assert result.status == SolveStatus.PARTIAL


def test_not_dispatchable_is_never_planned():
    problem = make_problem([tech("T1")], [job("J1", x=5, dispatchable=False), job("J2", x=5)])
    result = solve(problem)
    assert result.plan.visits_of("J1") == []
    assert reason_of(result.plan, "J1").startswith("not dispatchable")
    assert result.status == SolveStatus.FEASIBLE     # every dispatchable job is planned


# -- order and timing -------------------------------------------------------------------------
def test_deadline_order_and_appending_without_resequencing():
    jobs = [job("JA", x=10), job("JB", x=-10, category="emergency"), job("JC", x=11, category="urgent")]
    plan = solve(make_problem([tech("T1")], jobs)).plan
    assert plan.route("T1").job_ids == ["JB", "JC", "JA"]   # due order, even with the back-and-forth
    assert start_of(plan, "JB") == 10 * M


def test_order_key_ties_on_due_go_to_window_end_then_weight_then_id():
    problem = make_problem([], [])
    a = job("A", due_s=H, window=(0, 3 * H))
    b = job("B", due_s=H, window=(0, 2 * H))
    c = job("C", due_s=H, category="urgent")
    d = job("D", due_s=H)
    e = job("E", due_s=H)
    assert sorted([e, a, d, c, b], key=lambda j: job_order_key(problem, j)) == [b, a, c, d, e]


def test_window_start_waits_and_a_closed_window_is_explained():
    problem = make_problem([tech("T1")], [job("J1", x=10, window=(2 * H, 3 * H)),
                                          job("J2", x=30, window=(0, 20 * M))])
    result = solve(problem)
    assert start_of(result.plan, "J1") == 2 * H
    assert reason_of(result.plan, "J2") == "no qualified technician can reach it before its window closes"


def test_no_technician_on_shift_inside_the_window():
    problem = make_problem([tech("T1")], [job("J1", x=1, window=(10 * H, 11 * H))])
    assert reason_of(solve(problem).plan, "J1") == "no qualified technician on shift inside the window"


def test_owed_break_is_inserted_and_listed():
    t = tech("T1", breaks=[(3 * H, 3 * H + 30 * M, 30 * M)])
    jobs = [job("J1", x=10, duration_min=120), job("J2", x=20, duration_min=120, received_s=1)]
    plan = solve(make_problem([t], jobs)).plan
    route = plan.route("T1")
    assert route.job_ids == ["J1", "J2"]
    assert [(b.start_s, b.end_s) for b in route.breaks] == [(3 * H, 3 * H + 30 * M)]
    assert start_of(plan, "J2") == 3 * H + 30 * M


def test_break_not_listed_when_the_day_ends_before_it():
    t = tech("T1", breaks=[(3 * H, 3 * H + 30 * M, 30 * M)])
    plan = solve(make_problem([t], [job("J1", x=10)])).plan
    assert plan.route("T1").breaks == ()


def test_multi_shift_gap_is_not_worked():
    t = tech("T1", shifts=[(0, 2 * H), (3 * H, 6 * H)])
    jobs = [job("J1", x=10, duration_min=60), job("J2", x=20, duration_min=60, received_s=1)]
    plan = solve(make_problem([t], jobs)).plan
    assert start_of(plan, "J1") == 10 * M
    assert start_of(plan, "J2") == 3 * H            # would end 10:20, after the 10:00 shift end
    # a trip that does not fit before 10:00 is made from 11:00
    jobs = [job("J1", x=10, duration_min=60), job("J2", x=70, duration_min=30, received_s=1)]
    plan = solve(make_problem([t], jobs)).plan
    assert start_of(plan, "J2") == 4 * H
    assert plan.route("T1").visits[1].arrival_s == 4 * H


# -- limits -----------------------------------------------------------------------------------
def test_max_jobs():
    jobs = [job(f"J{i}", x=5 * (i + 1), received_s=i) for i in range(3)]
    result = solve(make_problem([tech("T1", max_jobs=2)], jobs))
    assert result.plan.route("T1").job_ids == ["J0", "J1"]
    assert reason_of(result.plan, "J2") == "qualified technicians' max_jobs exhausted"
    assert result.status == SolveStatus.PARTIAL


def test_capacity():
    jobs = [job("J1", x=5, demand=2), job("J2", x=5, demand=2, received_s=1),
            job("J3", x=5, demand=5, received_s=2), job("J4", x=5, demand=0, received_s=3)]
    plan = solve(make_problem([tech("T1", capacity=3)], jobs)).plan
    assert plan.route("T1").job_ids == ["J1", "J4"]
    assert reason_of(plan, "J2") == "qualified technicians' capacity exhausted"
    assert reason_of(plan, "J3") == "demand 5 exceeds every qualified technician's capacity"


def test_max_work_minutes():
    jobs = [job("J1", x=10), job("J2", x=10, received_s=1)]
    plan = solve(make_problem([tech("T1", max_work_s=60 * M)], jobs)).plan
    assert plan.route("T1").job_ids == ["J1"]        # 10 + 30 + 10 = 50 min; with J2 80 min
    assert reason_of(plan, "J2") == "qualified technicians' work minutes exhausted"


# -- crews ------------------------------------------------------------------------------------
def test_crew_with_a_trainee_as_second_member():
    techs = [tech("T1", {"plumbing": 2}), tech("T3", {"plumbing": 2}, x=2),
             tech("TR", {"plumbing": 1}, trainee=True)]
    problem = make_problem(techs, [job("J1", x=10, skills={"plumbing": 2}, crew_size=2)])
    plan = solve(problem).plan
    # T3 (8 min away) leads; TR and T1 are both 10 min away: the trainee helps, T1 stays free
    assert crew_of(plan, "J1") == ["T3", "TR"]
    assert start_of(plan, "J1") == 10 * M


def test_crew_members_start_together_at_the_latest_earliest_start():
    techs = [tech("T1"), tech("T2")]
    jobs = [job("JP", x=0, duration_min=60, category="emergency", pinned_to="T1"),
            job("JC", x=10, crew_size=2)]
    plan = solve(make_problem(techs, jobs)).plan
    assert crew_of(plan, "JC") == ["T1", "T2"]
    assert start_of(plan, "JC") == 70 * M            # T1 is busy until 09:00, then 10 min away


def test_pinned_crew_includes_the_pinned_trainee():
    techs = [tech("T1"), tech("T2"), tech("TR", trainee=True, x=30)]
    plan = solve(make_problem(techs, [job("J1", x=1, crew_size=2, pinned_to="TR")])).plan
    assert "TR" in crew_of(plan, "J1")


def test_crew_without_a_common_time_is_explained():
    techs = [tech("T1", shifts=[(0, H)]), tech("T2", shifts=[(2 * H, 4 * H)])]
    plan = solve(make_problem(techs, [job("J1", crew_size=2)])).plan
    assert plan.visits_of("J1") == []
    assert reason_of(plan, "J1") == "crew of 2 could not be formed at a common time"


def test_crew_too_large_for_the_qualified_staff():
    plan = solve(make_problem([tech("T1"), tech("T2")], [job("J1", crew_size=3)])).plan
    assert reason_of(plan, "J1") == "needs a crew of 3 but only 2 technicians qualify"


def test_crew_of_trainees_only_has_no_lead():
    techs = [tech("TR1", trainee=True), tech("TR2", trainee=True), tech("T1", ["electrical"])]
    plan = solve(make_problem(techs, [job("J1", crew_size=2)])).plan
    assert plan.visits_of("J1") == []
    assert reason_of(plan, "J1") == "no technician has the plumbing skill"


# -- result -----------------------------------------------------------------------------------
def test_empty_problem_is_feasible():
    result = solve(make_problem([tech("T1")], []))
    assert result.status == SolveStatus.FEASIBLE
    assert result.plan.solver.backend == "greedy"
    assert result.plan.unassigned == ()


def test_seed_is_recorded_and_breaks_only_ties():
    problem = make_problem([tech("T1"), tech("T2")], [job("J1", x=5)])
    picks = {crew_of(solve(problem, seed=s).plan, "J1")[0] for s in range(8)}
    assert picks == {"T1", "T2"}                     # identical technicians: the seed decides
    assert solve(problem, seed=3).plan.solver.seed == 3


def _random_problem(rnd: random.Random) -> Problem:
    skills = ["plumbing", "electrical", "drain"]
    techs = []
    for i in range(rnd.randint(1, 6)):
        if rnd.random() < 0.4:
            a = rnd.randint(0, 2 * H)
            b = a + rnd.randint(2 * H, 4 * H)
            c = b + rnd.randint(0, 2 * H)
            shifts = [(a, b), (c, c + rnd.randint(H, 4 * H))]
        else:
            a = rnd.randint(-H, 2 * H)
            shifts = [(a, a + rnd.randint(3 * H, 10 * H))]
        breaks = []
        for _ in range(rnd.randint(0, 2)):
            e = rnd.randint(2 * H, 7 * H)
            breaks.append((e, e + rnd.choice([0, 15 * M, H]), rnd.choice([15 * M, 30 * M, H])))
        techs.append(tech(f"T{i}", {s: rnd.randint(1, 3) for s in rnd.sample(skills, rnd.randint(1, 3))},
                          shifts=shifts, x=rnd.uniform(0, 60), y=rnd.uniform(0, 60), breaks=breaks,
                          certificates={"electrical": VALID if rnd.random() < .8 else EXPIRED},
                          max_jobs=rnd.choice([None, 2, 4, 8]), max_work_s=rnd.choice([None, 3 * H, 6 * H]),
                          capacity=rnd.choice([0, 0, 3, 5]), trainee=rnd.random() < 0.2,
                          max_overtime_s=rnd.choice([0, 0, 30 * M])))
    jobs = []
    for j in range(rnd.randint(0, 25)):
        window = None
        if rnd.random() < 0.4:
            ws = rnd.randint(0, 8 * H)
            window = (ws, ws + rnd.choice([0, 30 * M, 2 * H]))
        k = rnd.choice([1, 1, 1, 1, 2, 3])
        pins = ()
        if rnd.random() < 0.15:
            pins = tuple(rnd.sample([t.id for t in techs], min(len(techs), rnd.randint(1, k))))
        jobs.append(job(f"J{j:02d}", rnd.uniform(0, 60), rnd.uniform(0, 60),
                        {rnd.choice(skills): rnd.randint(1, 2)}, rnd.choice([15, 30, 60, 120]),
                        category=rnd.choice(["emergency", "urgent", "standard"]),
                        received_s=rnd.randint(-H, 6 * H), window=window, crew_size=k,
                        demand=rnd.randint(0, 3), pinned_to=pins, dispatchable=rnd.random() > 0.05))
    return make_problem(techs, jobs, end_s=rnd.choice([24 * H, 6 * H]))


@pytest.mark.parametrize("seed", range(60))
def test_random_problems_give_valid_repeatable_plans(seed):
    problem = _random_problem(random.Random(seed))
    result = solve(problem, seed=seed)
    plan = result.plan
    planned = plan.assigned_job_ids()
    assert {u.job for u in plan.unassigned} | planned == {j.id for j in problem.jobs}
    assert all(u.reason for u in plan.unassigned)
    dispatchable = {j.id for j in problem.jobs if j.dispatchable}
    expected = (SolveStatus.FEASIBLE if dispatchable <= planned
                else SolveStatus.NO_SOLUTION if not planned else SolveStatus.PARTIAL)
    assert result.status == expected
    assert solve_greedy(problem, seed=seed).plan.routes == plan.routes


# -- anticipate_jobs (issue 8) -----------------------------------------------------------------
def anticipation_day(anticipate: bool) -> Problem:
    """T1 idle from 08:00, five minutes from J1, which is received at 10:00."""
    problem = make_problem([tech("T1")], [job("J1", x=5, received_s=2 * H, duration_min=20)])
    return problem.replace(anticipate_jobs=anticipate)


def test_nobody_drives_to_a_job_before_it_was_received():
    problem = anticipation_day(False)
    (visit,) = solve(problem).plan.route("T1").visits
    assert visit.sent_s == 2 * H and visit.arrival_s == visit.start_s == 2 * H + 5 * M


def test_with_anticipate_jobs_the_technician_may_wait_on_site():
    problem = anticipation_day(True)
    plan = solve(problem).plan
    (visit,) = plan.route("T1").visits
    assert visit.start_s == 2 * H and visit.sent_s < 2 * H      # set off before the report
    from dispatchopt.audit.verify import verify
    assert {v.rule for v in verify(anticipation_day(False), plan)} == {"sent_before_received"}


def test_a_later_job_is_driven_to_from_the_previous_job_once_received():
    # J0 done 08:05-08:35; J1 (received 10:00) 5 min further: T1 waits at J0 until 10:00, then drives
    problem = make_problem([tech("T1")], [job("J0", x=5), job("J1", x=10, received_s=2 * H)])
    visits = solve(problem).plan.route("T1").visits
    assert [v.job for v in visits] == ["J0", "J1"]
    assert visits[1].sent_s == 2 * H and visits[1].start_s == 2 * H + 5 * M
