"""rules.py: one clean and one broken case per rule, on a handful of hand-made objects.

helpers' problems: euclidean, 1 unit = 1 minute, clock 0 = Monday 2026-11-23 08:00 Shanghai.
"""

from __future__ import annotations

import datetime as dt

from dispatchopt import rules
from dispatchopt.domain import BreakRule, Clock, SlaLevel
from helpers import H, M, job, make_problem, tech

PLAN_DAY = dt.date(2026, 11, 23)
CLOCK = Clock.create(dt.datetime(2026, 11, 23, 8, 0), "Asia/Shanghai")   # a Monday


def test_certificate_valid_until_its_expiry_day_and_required_trades_need_one():
    problem = make_problem([tech("T1")], [])
    fresh = tech("T1", "electrical", certificates={"electrical": PLAN_DAY})
    expired = tech("T2", "electrical", certificates={"electrical": PLAN_DAY - dt.timedelta(days=1)})
    unlisted = tech("T3", "electrical")
    assert rules.certificate_valid(problem, fresh, "electrical")
    assert not rules.certificate_valid(problem, expired, "electrical")
    assert not rules.certificate_valid(problem, unlisted, "electrical")     # electrical is required
    assert rules.certificate_valid(problem, unlisted, "plumbing")          # plumbing is not


def test_qualification_gaps_levels_and_certificates():
    problem = make_problem([tech("T1")], [])
    need = job("J1", skills={"plumbing": 2, "electrical": 1})
    ok = tech("T1", {"plumbing": 2, "electrical": 1}, certificates={"electrical": PLAN_DAY})
    weak = tech("T2", {"plumbing": 1, "electrical": 1})
    assert rules.qualification_gaps(problem, ok, need) == ([], [])
    assert rules.qualification_gaps(problem, weak, need) == ([("plumbing", 1, 2)], ["electrical"])
    trainee = tech("T3", {"plumbing": 1}, trainee=True)
    assert rules.qualification_gaps(problem, trainee, job("J2", skills={"plumbing": 2}), assist=True) == ([], [])


def test_can_lead_needs_no_trainee_and_every_skill():
    problem = make_problem([tech("T1")], [])
    need = job("J1", skills={"plumbing": 2})
    assert rules.can_lead(problem, tech("T1", {"plumbing": 2}), need)
    assert not rules.can_lead(problem, tech("T2", {"plumbing": 1}), need)
    assert not rules.can_lead(problem, tech("T3", {"plumbing": 3}, trainee=True), need)


def test_trainee_may_assist_a_crew_but_not_work_alone():
    problem = make_problem([tech("T1")], [])
    trainee = tech("T3", {"plumbing": 1}, trainee=True)
    assert rules.can_assist(problem, trainee, job("J1", skills={"plumbing": 2}, crew_size=2))
    assert not rules.can_assist(problem, trainee, job("J2", skills={"plumbing": 2}))          # no crew
    assert not rules.can_assist(problem, trainee, job("J3", skills={"gas": 1}, crew_size=2))  # no skill


def test_eligibility_lists_leads_and_members_in_problem_order_once_per_problem():
    techs = [tech("T1", {"plumbing": 2}), tech("T2", {"plumbing": 1}, trainee=True), tech("T3", {"plumbing": 2})]
    problem = make_problem(techs, [job("J1", skills={"plumbing": 2}, crew_size=2), job("J2", skills="gas")])
    table = rules.eligibility(problem)
    assert table == {"J1": (("T1", "T3"), ("T1", "T2", "T3")), "J2": ((), ())}
    assert rules.eligibility(problem) is table


def test_pinned_ok_needs_every_pinned_technician():
    pinned = job("J1", pinned_to=("T1", "T2"), crew_size=2)
    assert rules.pinned_ok(pinned, ["T2", "T1"])
    assert not rules.pinned_ok(pinned, ["T1", "T3"])
    assert rules.pinned_ok(job("J2"), [])


def test_earliest_and_latest_start():
    plain = job("J1", received_s=10 * M)
    windowed = job("J2", received_s=10 * M, window=(H, 2 * H))
    assert rules.earliest_start_s(plain) == 10 * M and rules.latest_start_s(plain) is None
    assert rules.earliest_start_s(windowed) == H and rules.latest_start_s(windowed) == 2 * H
    early_received_late = job("J3", received_s=3 * H, window=(H, 4 * H))
    assert rules.earliest_start_s(early_received_late) == 3 * H


def test_latest_start_in_horizon_is_capped_by_the_horizon_end():
    problem = make_problem([tech("T1")], [], end_s=10 * H)
    assert rules.latest_start_in_horizon_s(problem, job("J1")) == 10 * H
    assert rules.latest_start_in_horizon_s(problem, job("J2", window=(H, 2 * H))) == 2 * H
    assert rules.latest_start_in_horizon_s(problem, job("J3", window=(H, 12 * H))) == 10 * H


def test_late_and_on_time():
    j = job("J1", due_s=H)
    assert rules.late_s(j, H) == 0 and rules.on_time(j, H)
    assert rules.late_s(j, H + 5 * M) == 5 * M and not rules.on_time(j, H + 5 * M)
    windowed = job("J2", due_s=5 * H, window=(2 * H, 3 * H))
    assert rules.on_time(windowed, 2 * H)
    assert not rules.on_time(windowed, H)         # before the window, though before due
    assert not rules.on_time(j, None)             # unassigned is not on time


def test_break_owed_when_the_last_visit_ends_after_its_latest_start():
    lunch = BreakRule(earliest_s=4 * H, latest_s=5 * H, duration_s=H)
    assert rules.break_owed(lunch, 5 * H + 1)
    assert not rules.break_owed(lunch, 5 * H)
    assert not rules.break_owed(lunch, None)


def test_shift_end_with_overtime():
    assert rules.shift_end_with_overtime_s(tech("T1", shifts=[(0, 4 * H), (5 * H, 9 * H)],
                                                max_overtime_s=30 * M)) == 9 * H + 30 * M
    assert rules.shift_end_with_overtime_s(tech("T2", shift=(0, 8 * H))) == 8 * H
    assert rules.shift_end_with_overtime_s(tech("T3", shift=(0, 8 * H), max_overtime_s=-5 * M)) == 8 * H


def test_working_days_later_skips_the_weekend_at_the_same_clock_time():
    friday_10 = CLOCK.to_seconds("2026-11-27T10:00")
    assert rules.working_days_later_s(CLOCK, friday_10, 1) == CLOCK.to_seconds("2026-11-30T10:00")   # Monday
    assert rules.working_days_later_s(CLOCK, 0, 2) == CLOCK.to_seconds("2026-11-25T08:00")           # Wednesday
    saturday = CLOCK.to_seconds("2026-11-28T09:15")
    assert rules.working_days_later_s(CLOCK, saturday, 1) == CLOCK.to_seconds("2026-11-30T09:15")
    assert rules.working_days_later_s(CLOCK, friday_10, 0) == friday_10


def test_sla_due_by_respond_minutes_or_working_days():
    assert rules.sla_due_s(CLOCK, 10 * M, SlaLevel(respond_minutes=30)) == 40 * M
    assert rules.sla_due_s(CLOCK, 0, SlaLevel(respond_minutes=0.5)) == 30
    survey = SlaLevel(respond_minutes=2880, working_days=2)
    friday = CLOCK.to_seconds("2026-11-27T08:00")
    assert rules.sla_due_s(CLOCK, friday, survey) == CLOCK.to_seconds("2026-12-01T08:00")   # Tuesday
    assert rules.sla_due_s(CLOCK, friday, survey) != friday + 2880 * M


def test_qualified_leads_for_a_problem_job_and_an_outside_job():
    problem = make_problem([tech("T1", {"plumbing": 2}), tech("T2")], [job("J1", skills={"plumbing": 2})])
    assert [t.id for t in rules.qualified_leads(problem, problem.job("J1"))] == ["T1"]
    assert [t.id for t in rules.qualified_leads(problem, job("NEW"))] == ["T1", "T2"]
    assert rules.qualified_leads(problem, job("GAS", skills="gas")) == []


def test_qualification_reason_names_what_is_missing():
    techs = [tech("T1", {"plumbing": 2, "electrical": 1}), tech("T2", {"plumbing": 1})]
    jobs = [job("OK", skills={"plumbing": 2}), job("GAS", skills="gas"), job("L3", skills={"plumbing": 3}),
            job("ELEC", skills="electrical"), job("CREW", skills={"plumbing": 2}, crew_size=2),
            job("HELD", dispatchable=False), job("PIN", skills={"plumbing": 2}, pinned_to="T2"),
            job("BOTH", skills={"plumbing": 1, "gas": 1})]
    problem = make_problem(techs, jobs)
    reason = {j.id: rules.qualification_reason(problem, j) for j in problem.jobs}
    assert reason["OK"] is None
    assert reason["GAS"] == "no technician has the gas skill"
    assert reason["L3"] == "no technician has plumbing at level 3 or above"
    assert reason["ELEC"] == "no technician holds a valid electrical certificate"
    assert reason["CREW"] == "needs a crew of 2 but only 1 technicians qualify"
    assert reason["HELD"].startswith("not dispatchable")
    assert reason["PIN"] == "pinned technician T2 is not qualified for it"
    assert reason["BOTH"] == "no technician has the gas skill"


def test_can_serve_alone_in_time_shift_window_and_return():
    techs = [tech("T1", shift=(0, 2 * H)), tech("T2", shift=(0, 2 * H), max_overtime_s=15 * M)]
    jobs = [job("NEAR", x=10, duration_min=30), job("FAR", x=50, duration_min=30),
            job("LATE", x=10, window=(3 * H, 4 * H))]
    problem = make_problem(techs, jobs)
    t1, overtime = problem.technicians
    assert rules.can_serve_alone_in_time(problem, t1, problem.job("NEAR"))
    assert not rules.can_serve_alone_in_time(problem, t1, problem.job("FAR"))        # 50+30+50 > 120 min
    assert not rules.can_serve_alone_in_time(problem, t1, problem.job("LATE"))       # window after the shift
    assert rules.can_serve_alone_in_time(problem, overtime, problem.job("FAR"))      # 130 <= 120 + 15


def test_static_unassigned_reason():
    problem = make_problem([tech("T1", shift=(0, 2 * H))],
                           [job("OK", x=10), job("FAR", x=100), job("WIN", x=10, window=(5 * H, 6 * H)),
                            job("GAS", skills="gas")])
    reason = {j.id: rules.static_unassigned_reason(problem, j) for j in problem.jobs}
    assert reason["OK"] is None
    assert reason["FAR"] == "no qualified technician on shift can reach it and return before the shift ends"
    assert reason["WIN"] == "no qualified technician on shift inside the window"
    assert reason["GAS"] == "no technician has the gas skill"
