"""One clean and one broken tiny plan per verifier rule: the broken one yields exactly that rule.

Travel is euclidean at speed 1: one coordinate unit is one minute (and one km). Time 0 is
2026-11-23 08:00 local; every technician's shift is 08:00-16:00 unless stated.
"""

from __future__ import annotations

import dataclasses
import json
import datetime as dt

import pytest
from helpers import H, M, job, make_plan, make_problem, route, tech

from dispatchopt.plan import BreakTaken, Plan, Return, Route, Unassigned, Visit
from dispatchopt.audit.verify import RULES, Violation, format_violations, verify


def rules_of(problem, plan) -> set[str]:
    return {v.rule for v in verify(problem, plan)}


def assert_clean(problem, plan) -> None:
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)


def assert_only(problem, plan, rule: str) -> list[Violation]:
    assert rule in RULES
    violations = verify(problem, plan)
    assert violations, f"expected a {rule} violation, got none"
    assert {v.rule for v in violations} == {rule}, format_violations(violations)
    return violations


def replace_visit(r: Route, index: int, **changes) -> Route:
    """The route with one visit changed; a changed arrival drops ``sent_s`` (a v1 plan's visit)
    unless given, so each mutation breaks the one rule it is about."""
    visits = list(r.visits)
    if "arrival_s" in changes:
        changes.setdefault("sent_s", None)
    visits[index] = dataclasses.replace(visits[index], **changes)
    return dataclasses.replace(r, visits=tuple(visits))


def two_jobs():
    """T1 at the origin; J1 10 min away (x=10), J2 a further 10 min (x=20), 30 min each."""
    problem = make_problem(techs=[tech("T1"), tech("T2")], jobs=[job("J1", x=10), job("J2", x=20)])
    r1 = route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])
    return problem, r1, make_plan(problem, [r1])


def test_clean_plan_has_no_violation_and_messages_name_local_times():
    problem, r1, plan = two_jobs()
    assert_clean(problem, plan)
    broken = make_plan(problem, [replace_visit(r1, 1, start_s=35 * M, arrival_s=35 * M, end_s=65 * M)])
    (v,) = verify(problem, broken)
    assert v.rule == "overlap" and v.technician == "T1" and v.job == "J2"
    assert "2026-11-23T08:35" in v.message and "J1" in v.message


def test_plan_read_back_from_json_is_still_clean():
    problem, _, plan = two_jobs()
    assert_clean(problem, Plan.from_json(problem, plan.to_json()))


# -- identity rules ---------------------------------------------------------------------------
def test_rule_unknown_technician_clean():
    problem, _, plan = two_jobs()
    assert_clean(problem, plan)


def test_rule_unknown_technician_broken():
    problem, r1, _ = two_jobs()
    (v,) = assert_only(problem, make_plan(problem, [dataclasses.replace(r1, technician="TX")]),
                       "unknown_technician")
    assert v.technician == "TX"


def test_rule_duplicate_route_clean():
    problem, r1, _ = two_jobs()
    assert_clean(problem, make_plan(problem, [r1, Route("T2")]))


def test_rule_duplicate_route_broken():
    problem, r1, _ = two_jobs()
    assert_only(problem, make_plan(problem, [r1, Route("T1")]), "duplicate_route")


def test_rule_unknown_job_clean():
    problem, _, plan = two_jobs()
    assert_clean(problem, plan)


def test_rule_unknown_job_broken():
    problem, r1, plan = two_jobs()
    ghost = Visit("JX", 2 * H, 2 * H, 2 * H + 30 * M, 0, 0.0)
    (v,) = assert_only(problem, make_plan(problem, [dataclasses.replace(r1, visits=r1.visits + (ghost,))]),
                       "unknown_job")
    assert v.job == "JX"
    assert_only(problem, dataclasses.replace(plan, unassigned=(Unassigned("JY", "gone"),)), "unknown_job")


def test_rule_duplicate_visit_clean():
    problem, _, plan = two_jobs()
    assert_clean(problem, plan)


def test_rule_duplicate_visit_broken():
    problem, _, _ = two_jobs()
    twice = route(problem, "T1", [("J1", 10 * M), ("J1", 60 * M), ("J2", 100 * M)])
    assert_only(problem, make_plan(problem, [twice]), "duplicate_visit")
    both = [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)]), route(problem, "T2", [("J1", 2 * H)])]
    (v,) = assert_only(problem, make_plan(problem, both), "duplicate_visit")
    assert v.job == "J1" and "T1" in v.message and "T2" in v.message


def test_rule_missing_job_clean():
    problem, r1, _ = two_jobs()
    only_j1 = route(problem, "T1", [("J1", 10 * M)])
    assert_clean(problem, make_plan(problem, [only_j1], {"J2": "no time left"}))


def test_rule_missing_job_broken():
    problem, r1, plan = two_jobs()
    only_j1 = route(problem, "T1", [("J1", 10 * M)])
    (v,) = assert_only(problem, make_plan(problem, [only_j1], fill_unassigned=False), "missing_job")
    assert v.job == "J2" and "neither" in v.message
    both = dataclasses.replace(plan, unassigned=(Unassigned("J2", "duplicate"),))
    assert "both" in assert_only(problem, both, "missing_job")[0].message
    twice = make_plan(problem, [only_j1], fill_unassigned=False)
    twice = dataclasses.replace(twice, unassigned=(Unassigned("J2", "a"), Unassigned("J2", "b")))
    assert_only(problem, twice, "missing_job")
    no_reason = dataclasses.replace(twice, unassigned=(Unassigned("J2", " "),))
    assert_only(problem, no_reason, "missing_job")


def test_rule_not_dispatchable_clean():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10), job("J2", x=20, dispatchable=False)])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])],
                                    {"J2": "not dispatchable"}))


def test_rule_not_dispatchable_broken():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10), job("J2", x=20, dispatchable=False)])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])]),
                       "not_dispatchable")
    assert v.job == "J2"


# -- qualification rules ----------------------------------------------------------------------
VALID = dt.date(2027, 3, 31)
EXPIRED = dt.date(2026, 11, 22)   # the day before the plan day


def test_rule_skill_clean():
    problem = make_problem(techs=[tech("T1", {"plumbing": 2})], jobs=[job("J1", x=10, skills={"plumbing": 2})])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]))


def test_rule_skill_broken():
    problem = make_problem(techs=[tech("T1", {"plumbing": 1}), tech("T2", {"gas": 1})],
                           jobs=[job("J1", x=10, skills={"plumbing": 2}), job("J2", x=10, skills="plumbing")])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]), "skill")
    assert v.technician == "T1" and v.job == "J1" and "plumbing level 1 < 2" in v.message
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T2", [("J2", 10 * M)])]), "skill")
    assert "plumbing level 0 < 1" in v.message


def test_rule_skill_crew_assistant_broken():
    techs = [tech("T1", {"plumbing": 2}), tech("T2", {"gas": 1}), tech("T3", {"plumbing": 1}, trainee=True)]
    problem = make_problem(techs=techs, jobs=[job("J1", x=10, skills={"plumbing": 2}, crew_size=2)])
    clean = [route(problem, "T1", [("J1", 10 * M)]), route(problem, "T3", [("J1", 10 * M)])]
    assert_clean(problem, make_plan(problem, clean))   # a trainee assists below the level
    broken = [route(problem, "T1", [("J1", 10 * M)]), route(problem, "T2", [("J1", 10 * M)])]
    (v,) = assert_only(problem, make_plan(problem, broken), "skill")
    assert v.technician == "T2"


def test_rule_certificate_clean():
    problem = make_problem(techs=[tech("T1", {"electrical": 1}, certificates={"electrical": VALID})],
                           jobs=[job("J1", x=10, skills="electrical")])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]))


def test_rule_certificate_broken():
    techs = [tech("T1", {"electrical": 1}, certificates={"electrical": EXPIRED}),
             tech("T2", {"electrical": 1}),
             tech("T3", {"plumbing": 1}, certificates={"plumbing": EXPIRED})]
    problem = make_problem(techs=techs, jobs=[job("J1", x=10, skills="electrical"), job("J2", x=10)])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]), "certificate")
    assert v.technician == "T1" and "expired 2026-11-22" in v.message
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T2", [("J1", 10 * M)])]), "certificate")
    assert "none is listed" in v.message
    assert_only(problem, make_plan(problem, [route(problem, "T3", [("J2", 10 * M)])]), "certificate")


def test_rule_trainee_alone_clean():
    techs = [tech("T1"), tech("T2", trainee=True)]
    problem = make_problem(techs=techs, jobs=[job("J1", x=10, crew_size=2)])
    assert_clean(problem, make_plan(problem, [route(problem, t, [("J1", 10 * M)]) for t in ("T1", "T2")]))


def test_rule_trainee_alone_broken():
    techs = [tech("T1", trainee=True), tech("T2", trainee=True)]
    problem = make_problem(techs=techs, jobs=[job("J1", x=10), job("J2", x=10, crew_size=2)])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]), "trainee_alone")
    assert v.technician == "T1" and v.job == "J1"
    crew = [route(problem, t, [("J2", 10 * M)]) for t in ("T1", "T2")]
    (v,) = assert_only(problem, make_plan(problem, crew), "trainee_alone")
    assert v.job == "J2"


def test_rule_crew_size_clean():
    problem = make_problem(techs=[tech("T1"), tech("T2")], jobs=[job("J1", x=10, crew_size=2)])
    assert_clean(problem, make_plan(problem, [route(problem, t, [("J1", 10 * M)]) for t in ("T1", "T2")]))


def test_rule_crew_size_broken():
    problem = make_problem(techs=[tech("T1"), tech("T2"), tech("T3")], jobs=[job("J1", x=10, crew_size=2)])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]), "crew_size")
    assert v.job == "J1" and "needs 2" in v.message
    three = [route(problem, t, [("J1", 10 * M)]) for t in ("T1", "T2", "T3")]
    assert_only(problem, make_plan(problem, three), "crew_size")


def test_rule_crew_start_clean():
    problem = make_problem(techs=[tech("T1"), tech("T2", x=5)], jobs=[job("J1", x=10, crew_size=2)])
    # T2 is nearer and waits for T1: same start, different arrivals
    assert_clean(problem, make_plan(problem, [route(problem, t, [("J1", 10 * M)]) for t in ("T1", "T2")]))


def test_rule_crew_start_broken():
    problem = make_problem(techs=[tech("T1"), tech("T2")], jobs=[job("J1", x=10, crew_size=2)])
    crew = [route(problem, "T1", [("J1", 10 * M)]), route(problem, "T2", [("J1", 15 * M)])]
    (v,) = assert_only(problem, make_plan(problem, crew), "crew_start")
    assert "T1 2026-11-23T08:10" in v.message and "T2 2026-11-23T08:15" in v.message


def test_rule_pinning_clean():
    problem = make_problem(techs=[tech("T1"), tech("T2")], jobs=[job("J1", x=10, pinned_to="T2")])
    assert_clean(problem, make_plan(problem, [route(problem, "T2", [("J1", 10 * M)])]))


def test_rule_pinning_broken():
    problem = make_problem(techs=[tech("T1"), tech("T2")], jobs=[job("J1", x=10, pinned_to="T2")])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]), "pinning")
    assert v.technician == "T2" and v.job == "J1"


# -- time rules -------------------------------------------------------------------------------
def test_rule_received_clean():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10, received_s=H)])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", H + 10 * M)])]))
    ahead = problem.replace(anticipate_jobs=True)      # drove there early, starts when received
    assert_clean(ahead, make_plan(ahead, [route(ahead, "T1", [("J1", H)])]))


def anticipation_day():
    """One technician idle from 08:00 next to (5 min from) a job received at 10:00, 20 min long."""
    return make_problem(techs=[tech("T1")], jobs=[job("J1", x=5, received_s=2 * H, duration_min=20)])


def test_rule_sent_before_received_clean():
    problem = anticipation_day()
    plan = make_plan(problem, [route(problem, "T1", [("J1", 2 * H + 5 * M)])])
    assert_clean(problem, plan)
    (visit,) = plan.routes[0].visits
    assert visit.sent_s == 2 * H and visit.arrival_s == 2 * H + 5 * M   # waits at the depot
    data = json.loads(json.dumps(plan.to_json()))
    assert data["routes"][0]["visits"][0]["sent_at"] == "2026-11-23T10:00"
    assert_clean(problem, Plan.from_json(problem, data))
    ahead = problem.replace(anticipate_jobs=True)
    early = make_plan(ahead, [route(ahead, "T1", [("J1", 2 * H)])])
    assert_clean(ahead, early)


def test_rule_sent_before_received_broken():
    problem = anticipation_day()
    ahead = problem.replace(anticipate_jobs=True)
    early = make_plan(ahead, [route(ahead, "T1", [("J1", 2 * H)])])    # made under anticipation
    (v,) = assert_only(problem, early, "sent_before_received")
    assert v.job == "J1" and "10:00" in v.message and "anticipate_jobs is false" in v.message
    # the decisions allow it, but the plan says the technician set off before 10:00
    late = make_plan(problem, [route(ahead, "T1", [("J1", 2 * H + 30 * M)], departure_s=0)])
    assert late.routes[0].visits[0].arrival_s == 5 * M
    (v,) = assert_only(problem, late, "sent_before_received")
    assert "sent towards it at 2026-11-23T08:00" in v.message
    no_sent = make_plan(problem, [replace_visit(late.routes[0], 0, arrival_s=5 * M)])
    (v,) = assert_only(problem, no_sent, "sent_before_received")
    assert "reported there at 2026-11-23T08:05" in v.message


def test_rule_received_broken():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10, received_s=H)])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 30 * M)])]), "received")
    assert "08:30" in v.message and "09:00" in v.message


def test_rule_window_clean():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10, window=(H, 2 * H))])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", H)])]))
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 2 * H)])]))


def test_rule_window_broken():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10, window=(H, 2 * H))])
    assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 30 * M)])]), "window")
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 2 * H + 1)])]), "window")
    assert "09:00-2026-11-23T10:00" in v.message


def test_rule_horizon_clean():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10)], end_s=4 * H)
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 4 * H)])]))


def test_rule_horizon_broken():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10)], end_s=4 * H)
    assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 5 * H)])]), "horizon")


def shifted():
    """T1 works 09:00-12:00 and 13:00-16:00 (two shifts); T2 09:00-12:00 with 30 min overtime."""
    techs = [tech("T1", shifts=[(H, 4 * H), (5 * H, 8 * H)]), tech("T2", shift=(H, 4 * H), max_overtime_s=30 * M)]
    return make_problem(techs=techs, jobs=[job("J1", x=10), job("J2", x=20)])


def test_rule_shift_clean():
    problem = shifted()
    morning = route(problem, "T1", [("J1", H + 10 * M), ("J2", 5 * H + 10 * M)])
    assert_clean(problem, make_plan(problem, [morning]))
    # the trip J1 -> J2 is split around the gap: 5 min before 12:00, 5 min after 13:00
    split = route(problem, "T1", [("J1", 3 * H + 25 * M), ("J2", 5 * H + 5 * M)])
    assert_clean(problem, make_plan(problem, [split]))
    # overtime: T2 ends J2 at 12:10 and is home at 12:30 (limit 12:00 + 30 min)
    late = route(problem, "T2", [("J1", 2 * H + 30 * M), ("J2", 3 * H + 40 * M)])
    assert_clean(problem, make_plan(problem, [late]))


def test_rule_shift_broken_departure_before_shift():
    problem = shifted()
    early = route(problem, "T1", [("J1", H + 10 * M)], departure_s=50 * M)
    (v,) = assert_only(problem, make_plan(problem, [early]), "shift")
    assert "departs at 2026-11-23T08:50" in v.message


def test_rule_shift_broken_service_in_gap():
    problem = shifted()
    # J2 served 11:45-12:15 runs into the 12:00-13:00 gap
    gap = route(problem, "T1", [("J1", H + 10 * M), ("J2", 3 * H + 45 * M)])
    (service,) = assert_only(problem, make_plan(problem, [gap]), "shift")
    assert service.job == "J2" and "outside the shifts" in service.message
    # (build_route times the trip home after the gap, so the return itself is clean)


def test_rule_shift_broken_travel_in_gap():
    problem = shifted()
    # J1 ends 11:55, J2 starts 13:05: 10 min of travel but only 5 + 5 inside the shifts... fits;
    # J1 ends 11:58, J2 at 13:05: only 2 + 5 min inside the shifts for a 10 min trip
    gap = route(problem, "T1", [("J1", 3 * H + 28 * M), ("J2", 5 * H + 5 * M)])
    (v,) = assert_only(problem, make_plan(problem, [gap]), "shift")
    assert v.job == "J2" and "trip" in v.message


def test_rule_shift_broken_return_after_overtime():
    problem = shifted()
    late = route(problem, "T2", [("J1", 2 * H + 30 * M), ("J2", 3 * H + 45 * M)])   # home 12:35
    (v,) = assert_only(problem, make_plan(problem, [late]), "shift")
    assert "returns at 2026-11-23T12:35" in v.message


def test_rule_travel_time_clean():
    problem, _, plan = two_jobs()
    assert_clean(problem, plan)   # J1 ends 08:40, J2 starts 08:50 after the 10 min trip


def test_rule_travel_time_broken():
    problem, r1, _ = two_jobs()
    tight = replace_visit(r1, 1, arrival_s=45 * M, start_s=45 * M, end_s=75 * M)
    (v,) = assert_only(problem, make_plan(problem, [tight]), "travel_time")
    assert v.job == "J2" and "10 min" in v.message
    early_arrival = replace_visit(r1, 0, arrival_s=5 * M)     # departed 08:00, 10 min away
    (v,) = assert_only(problem, make_plan(problem, [early_arrival]), "travel_time")
    assert v.job == "J1" and "departure at 2026-11-23T08:00" in v.message
    late_departure = dataclasses.replace(r1, departure_s=5 * M)
    assert_only(problem, make_plan(problem, [late_departure]), "travel_time")
    out_of_order = route(problem, "T1", [("J2", 2 * H), ("J1", 10 * M)])
    (v,) = assert_only(problem, make_plan(problem, [out_of_order]), "travel_time")
    assert v.job == "J1" and "out of order" in v.message
    home_early = dataclasses.replace(r1, ret=dataclasses.replace(r1.ret, arrival_s=80 * M + 10 * M))
    (v,) = assert_only(problem, make_plan(problem, [home_early]), "travel_time")
    assert v.job is None and "home" in v.message


def with_lunch():
    """T1 owes a 30-minute break starting 11:30-12:30 when its last visit ends after 12:30."""
    techs = [tech("T1", breaks=[(3 * H + 30 * M, 4 * H + 30 * M, 30 * M)])]
    return make_problem(techs=techs, jobs=[job("J1", x=10), job("J2", x=20)])


def test_rule_break_clean():
    problem = with_lunch()
    r = route(problem, "T1", [("J1", 3 * H), ("J2", 4 * H + 20 * M)], breaks=[(3 * H + 40 * M, 4 * H + 10 * M)])
    assert_clean(problem, make_plan(problem, [r]))
    not_owed = route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])   # ends 09:20: no break owed
    assert_clean(problem, make_plan(problem, [not_owed]))
    # a break at the depot before leaving, and the travel around a break between two jobs
    before = route(problem, "T1", [("J1", 4 * H + 10 * M), ("J2", 4 * H + 50 * M)],
                   breaks=[(3 * H + 30 * M, 4 * H)], departure_s=4 * H)
    assert_clean(problem, make_plan(problem, [before]))


def test_rule_break_broken_missing():
    problem = with_lunch()
    r = route(problem, "T1", [("J1", 3 * H), ("J2", 4 * H + 20 * M)])
    (v,) = assert_only(problem, make_plan(problem, [r]), "break")
    assert "owed break" in v.message and "missing" in v.message


def test_rule_break_broken_outside_window_or_wrong_length():
    problem = with_lunch()
    # 12:35 is after the latest start 12:30: the break matches no rule and the owed one is missing
    outside = route(problem, "T1", [("J1", 3 * H), ("J2", 5 * H + 20 * M)], breaks=[(4 * H + 35 * M, 5 * H + 5 * M)])
    wrong, missing = assert_only(problem, make_plan(problem, [outside]), "break")
    assert "12:35-2026-11-23T13:05 matches no break rule" in wrong.message
    assert "starts outside the allowed start times" in wrong.message and "owed" in missing.message
    short = route(problem, "T1", [("J1", 3 * H), ("J2", 5 * H)], breaks=[(3 * H + 40 * M, 3 * H + 60 * M)])
    violations = assert_only(problem, make_plan(problem, [short]), "break")
    assert any("lasts 20 min" in v.message for v in violations)


def test_rule_break_broken_overlaps_service():
    problem = with_lunch()
    # the break 11:45-12:15 obeys its rule but J1 is served 11:30-12:00
    r = route(problem, "T1", [("J1", 3 * H + 30 * M), ("J2", 4 * H + 40 * M)],
              breaks=[(3 * H + 45 * M, 4 * H + 15 * M)])
    (v,) = assert_only(problem, make_plan(problem, [r]), "break")
    assert "overlaps the service of job J1" in v.message


def test_rule_break_broken_departs_during_break():
    problem = with_lunch()
    r = route(problem, "T1", [("J1", 4 * H + 10 * M)], breaks=[(3 * H + 40 * M, 4 * H + 10 * M)],
              departure_s=4 * H)
    (v,) = assert_only(problem, make_plan(problem, [r]), "break")
    assert "departs at 2026-11-23T12:00 during the break" in v.message


def test_rule_break_broken_no_room_for_travel():
    problem = with_lunch()
    # J1 ends 11:30, break 11:35-12:05, J2 at 12:08: 38 min for 10 min travel + 30 min break
    r = route(problem, "T1", [("J1", 3 * H), ("J2", 4 * H + 8 * M)], breaks=[(3 * H + 35 * M, 4 * H + 5 * M)])
    (v,) = assert_only(problem, make_plan(problem, [r]), "break")
    assert v.job == "J2" and "cannot arrive before 2026-11-23T12:10" in v.message
    # the same break with J2 at 12:10 fits
    r = route(problem, "T1", [("J1", 3 * H), ("J2", 4 * H + 10 * M)], breaks=[(3 * H + 35 * M, 4 * H + 5 * M)])
    assert_clean(problem, make_plan(problem, [r]))


def test_rule_break_broken_not_owed_still_placed_by_rule():
    problem = with_lunch()
    r = route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)], breaks=[(2 * H, 2 * H + 30 * M)])
    assert_only(problem, make_plan(problem, [r]), "break")


def test_rule_overlap_clean():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10), job("J2", x=10)])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 40 * M)])]))


def test_rule_overlap_broken():
    problem = make_problem(techs=[tech("T1")], jobs=[job("J1", x=10), job("J2", x=10)])
    r = route(problem, "T1", [("J1", 10 * M), ("J2", 39 * M)])
    (v,) = assert_only(problem, make_plan(problem, [r]), "overlap")
    assert "08:10-2026-11-23T08:40" in v.message


def test_rule_max_jobs_clean():
    problem = make_problem(techs=[tech("T1", max_jobs=2)], jobs=[job("J1", x=10), job("J2", x=20)])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])]))


def test_rule_max_jobs_broken():
    problem = make_problem(techs=[tech("T1", max_jobs=1)], jobs=[job("J1", x=10), job("J2", x=20)])
    assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])]), "max_jobs")


def test_rule_max_work_minutes_clean():
    # travel 10 + 10 + 20 (home) + service 60 = 100 min
    problem = make_problem(techs=[tech("T1", max_work_s=100 * M)], jobs=[job("J1", x=10), job("J2", x=20)])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 2 * H)])]))


def test_rule_max_work_minutes_broken():
    problem = make_problem(techs=[tech("T1", max_work_s=99 * M)], jobs=[job("J1", x=10), job("J2", x=20)])
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 2 * H)])]),
                       "max_work_minutes")
    assert "100 min" in v.message


def test_rule_capacity_clean():
    problem = make_problem(techs=[tech("T1", capacity=2)], jobs=[job("J1", x=10, demand=1), job("J2", x=20, demand=1)])
    assert_clean(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])]))


def test_rule_capacity_broken():
    problem = make_problem(techs=[tech("T1", capacity=1)], jobs=[job("J1", x=10, demand=1), job("J2", x=20, demand=1)])
    assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)])]), "capacity")


def test_rule_figures_clean():
    problem, r1, plan = two_jobs()
    # within tolerance: travel off by 60 s, distance by 10 m, lateness by 60 s
    r = replace_visit(r1, 0, travel_s=r1.visits[0].travel_s + 60, distance_m=r1.visits[0].distance_m + 10,
                      late_s=60)
    assert_clean(problem, make_plan(problem, [r]))


@pytest.mark.parametrize("index,changes,text", [
    (0, {"arrival_s": 11 * M}, "after start"),
    (0, {"end_s": 50 * M}, "end 2026-11-23T08:50"),
    (1, {"travel_s": 12 * M}, "travel 12 min != 10 min"),
    (1, {"distance_m": 10_200.0}, "distance 10.200 km"),
    (1, {"late_s": 5 * M}, "late 5 min != 0 min"),
])
def test_rule_figures_broken(index, changes, text):
    problem, r1, _ = two_jobs()
    (v,) = assert_only(problem, make_plan(problem, [replace_visit(r1, index, **changes)]), "figures")
    assert text in v.message


def test_rule_figures_broken_return_leg():
    problem, r1, _ = two_jobs()
    assert_only(problem, make_plan(problem, [dataclasses.replace(r1, ret=None)]), "figures")
    bad = dataclasses.replace(r1, ret=dataclasses.replace(r1.ret, travel_s=5 * M))
    assert_only(problem, make_plan(problem, [bad]), "figures")
    stray = Route("T2", ret=Return(arrival_s=H, travel_s=0, distance_m=0.0))
    assert_only(problem, make_plan(problem, [r1, stray]), "figures")


def test_rule_figures_broken_arrival_ignores_break():
    problem = with_lunch()
    # J1 ends 11:30, break 11:35-12:05: J2 (10 min away) cannot be reached before 12:10
    r = route(problem, "T1", [("J1", 3 * H), ("J2", 4 * H + 20 * M)], breaks=[(3 * H + 35 * M, 4 * H + 5 * M)])
    r = replace_visit(r, 1, arrival_s=3 * H + 40 * M)   # as if the break were not taken
    (v,) = assert_only(problem, make_plan(problem, [r]), "figures")
    assert "earliest possible" in v.message


def test_every_rule_has_a_test():
    names = set(globals())
    missing = [rule for rule in RULES if f"test_rule_{rule}_clean" not in names
               or not any(n.startswith(f"test_rule_{rule}_broken") for n in names)]
    assert missing == []


def test_every_rule_has_exactly_one_check():
    from dispatchopt.audit import plan_checks, route_checks

    assert set(plan_checks.CHECKS).isdisjoint(route_checks.CHECKS)
    assert sorted({**plan_checks.CHECKS, **route_checks.CHECKS}) == sorted(RULES)
    assert len(RULES) == len(set(RULES))


def test_breaks_taken_are_recomputed_not_trusted():
    problem = with_lunch()
    r = Route("T1", visits=(), breaks=(BreakTaken(3 * H + 30 * M, 4 * H),))
    assert_clean(problem, make_plan(problem, [r]))


# -- the verifier's own qualification rule (plan_checks.Qualification) agrees with rules.py ------
def test_verify_qualification_agrees_with_rules_on_the_bundled_days():
    from pathlib import Path

    from dispatchopt import rules
    from dispatchopt.audit.plan_checks import Qualification
    from dispatchopt.scenario import load_scenario

    root = Path(__file__).resolve().parents[2]
    for name in ("city_day.yaml", "bench/day_40x300_load0.9.yaml"):
        problem = load_scenario(root / "scenarios" / name)
        q = Qualification(problem)
        disagree = []
        for job_ in problem.jobs:
            for tech_ in problem.technicians:
                by_rules = (rules.can_lead(problem, tech_, job_) or rules.can_assist(problem, tech_, job_)
                            if job_.crew_size >= 2 else rules.can_lead(problem, tech_, job_))
                short, uncertified = q.gaps(tech_, job_)
                mine = not short and not uncertified and (job_.crew_size >= 2 or not tech_.trainee)
                if by_rules != mine:
                    disagree.append((name, tech_.id, job_.id, by_rules, short, uncertified))
        assert disagree == []


def test_rule_skill_broken_by_a_follow_up_for_another_person():
    from dispatchopt.domain.followup import FollowUp

    follow = dataclasses.replace(job("J1", x=10), follow_up=FollowUp("T2", "require"))
    problem = make_problem(techs=[tech("T1"), tech("T2")], jobs=[follow])
    assert_clean(problem, make_plan(problem, [route(problem, "T2", [("J1", 10 * M)])]))
    (v,) = assert_only(problem, make_plan(problem, [route(problem, "T1", [("J1", 10 * M)])]), "skill")
    assert "follow-up of T2" in v.message and v.technician == "T1"


def test_verify_is_the_same_with_a_plain_check_context():
    # the checks also work on a plain CheckContext (no cached members/findings): same findings
    from collections import defaultdict

    from dispatchopt.audit import plan_checks, route_checks
    from dispatchopt.audit.retime import time_route
    from dispatchopt.audit.violation import CheckContext

    techs = [tech("T1", {"plumbing": 1}), tech("T2", {"plumbing": 1}, trainee=True)]
    jobs = [job("J1", x=10, skills={"plumbing": 2}), job("J2", x=20, crew_size=2)]
    problem = make_problem(techs=techs, jobs=jobs)
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 60 * M)]),
                               route(problem, "T2", [("J2", 60 * M)])])
    timed = [t for t in (time_route(problem, r) for r in plan.routes) if t is not None]
    crews = defaultdict(list)
    for t in timed:
        for visit, job_ in t.visits:
            crews[job_.id].append((t.tech, visit))
    ctx = CheckContext(problem=problem, plan=plan, timed=timed, crews=dict(crews))
    checks = {**plan_checks.CHECKS, **route_checks.CHECKS}
    plain = [v for rule in RULES for v in checks[rule](ctx)]
    assert plain == verify(problem, plan) and {v.rule for v in plain} >= {"skill"}
