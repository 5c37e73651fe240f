"""Emergencies and preemption: who goes, when, what is bumped; best insertion otherwise.

One coordinate unit = one minute; time 0 = 08:00.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache
from pathlib import Path

import pytest

from dispatchopt import rules
from dispatchopt.domain import DEFAULT_SLA, Job, Location
from dispatchopt.live import DispatchState, NewJob, apply, is_emergency
from dispatchopt.scenario import load_scenario
from dispatchopt.timing.schedule import build_route
from dispatchopt.solvers import solve
from dispatchopt.audit.verify import verify
from helpers import H, M, job, make_plan, make_problem, route, tech
from dispatchopt.travel import matrix_of

ROOT = Path(__file__).resolve().parents[2]
VALID = dt.date(2030, 1, 1)


def _ok(update):
    violations = verify(update.problem, update.plan)
    assert violations == [], "\n".join(map(str, violations))
    return update


def _emergency(id="E", x=50.0, at=60 * M, minutes=30, category="emergency", skills=("plumbing",)):
    return job(id, x=x, duration_min=minutes, category=category, received_s=at, skills=skills)


def _busy_and_idle():
    """T1 works on A (x=45) 08:45-10:15 then B; T2 idle at x=200. Emergency at x=50, 09:00."""
    problem = make_problem([tech("T1"), tech("T2", x=200)],
                           [job("A", x=45, duration_min=90, category="small_repair"),
                            job("B", x=40, duration_min=30, window=(3 * H, 4 * H))])
    plan = make_plan(problem, [route(problem, "T1", [("A", 45 * M), ("B", 3 * H)])])
    assert verify(problem, plan) == []
    return problem, plan


def test_emergency_categories():
    problem, _ = _busy_and_idle()
    assert is_emergency(problem, _emergency())
    assert is_emergency(problem, _emergency(category="major_leak"))
    assert is_emergency(problem, _emergency(category="road_repair"))
    assert not is_emergency(problem, job("U", category="urgent"))
    assert is_emergency(problem.replace(preemption={"urgent": "finish_current"}), job("U", category="urgent"))


def test_finish_current_goes_after_the_job_in_hand():
    problem, plan = _busy_and_idle()
    state = DispatchState.start(problem, plan, 60 * M)
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency())))
    (d,) = update.dispatches
    # T1 ends A at 10:15 and is 5 min away: 10:20; T2 is 150 min away: 11:30
    assert d.technicians == ("T1",) and d.start_s == 140 * M and d.interrupted is None
    assert update.plan.route("T1").job_ids == ["A", "E", "B"]
    assert update.problem.job("A").duration_s == 90 * M


def test_interrupt_policy_leaves_the_lighter_job_and_plans_a_follow_up():
    problem, plan = _busy_and_idle()
    problem = problem.replace(preemption={"emergency": "interrupt"})
    state = DispatchState.start(problem, plan, 60 * M)
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency())))
    d, follow_dispatch = update.dispatches
    assert follow_dispatch.job == "A-f1" and follow_dispatch.technicians == ("T1",)
    assert d.technicians == ("T1",) and d.start_s == 65 * M
    assert d.interrupted == "A" and d.follow_up == "A-f1"
    assert update.problem.job("A").duration_s == 15 * M
    follow = update.problem.job("A-f1")
    assert follow.duration_s == 75 * M and follow.location == problem.job("A").location
    assert follow.skills == problem.job("A").skills and follow.category == "small_repair"
    # preferably the same technician
    assert "A-f1" in update.plan.route("T1").job_ids
    assert update.plan.route("T1").job_ids[:3] == ["A", "E", "A-f1"]


def test_interrupt_never_leaves_a_job_of_the_same_weight():
    problem = make_problem([tech("T1"), tech("T2", x=200)],
                           [job("A", x=45, duration_min=90, category="major_leak", received_s=0)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 45 * M)])])
    problem = problem.replace(preemption={"emergency": "interrupt"})
    state = DispatchState.start(problem, plan, 60 * M)
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency())))
    (d,) = update.dispatches
    assert d.interrupted is None
    assert d.start_s == 140 * M


def test_emergency_takes_whoever_starts_first():
    problem, plan = _busy_and_idle()
    # T2 now 20 minutes away: starts 09:20, before T1 is free
    problem = problem.replace(technicians=(problem.technicians[0], tech("T2", x=70)))
    state = DispatchState.start(problem, plan, 60 * M)
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency())))
    (d,) = update.dispatches
    assert d.technicians == ("T2",) and d.start_s == 80 * M and d.on_time


def test_emergency_diverts_a_technician_on_its_way():
    problem = make_problem([tech("T1"), tech("T2", x=300)],
                           [job("A", x=100, duration_min=30, window=(110 * M, 4 * H))])
    plan = make_plan(problem, [route(problem, "T1", [("A", 110 * M)])])
    state = DispatchState.start(problem, plan, 40 * M)        # T1 left at 10 for A (x=100)
    assert state.plans["T1"].heading == ("A", 110 * M)
    update = _ok(apply(state, NewJob(at_s=40 * M, job=_emergency(x=5, at=40 * M))))
    (d,) = update.dispatches
    assert d.technicians == ("T1",) and d.diverted_from == "A"
    assert update.plan.route("T1").job_ids == ["E", "A"]


def test_emergency_bumps_what_no_longer_fits_and_reinserts_it():
    # only T1 holds the gas skill the emergency needs; T2 (plumbing) can take A instead
    problem = make_problem([tech("T1", skills=("plumbing", "gas"), shift=(0, 4 * H),
                                certificates={"gas": VALID}), tech("T2", x=60)],
                           [job("A", x=45, duration_min=30, window=(70 * M, 100 * M)),
                            job("B", x=50, duration_min=60, window=(2 * H, 3 * H))])
    plan = make_plan(problem, [route(problem, "T1", [("A", 70 * M), ("B", 2 * H)])])
    state = DispatchState.start(problem, plan, 60 * M)
    # a long emergency at x=40 before A: A's window (ends 09:40) cannot be kept on T1
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency(x=40, minutes=60, skills=("gas",)))))
    d = update.dispatches[0]
    assert d.technicians == ("T1",) and d.diverted_from == "A"
    bumped = {n.job: n for n in update.of_kind("bumped")}
    assert "A" in bumped and bumped["A"].cause == "emergency E"
    assert bumped["A"].new_technicians == ("T2",) and bumped["A"].sla_cost == 0


def test_a_bumped_job_that_fits_nowhere_is_unassigned_with_its_cause():
    problem = make_problem([tech("T1", shift=(0, 4 * H))],
                           [job("A", x=45, duration_min=30, window=(70 * M, 100 * M), category="small_repair")])
    plan = make_plan(problem, [route(problem, "T1", [("A", 70 * M)])])
    state = DispatchState.start(problem, plan, 60 * M)
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency(x=40, minutes=60))))
    assert update.state.unassigned["A"].startswith("bumped by emergency E:")
    (b,) = update.of_kind("bumped")
    assert b.sla_cost == problem.objective.unassigned * DEFAULT_SLA["small_repair"].weight
    assert [n.job for n in update.of_kind("reappoint")] == ["A"]


def test_a_standard_job_never_bumps_anything():
    problem = make_problem([tech("T1", shift=(0, 3 * H))],
                           [job("A", x=10, duration_min=60), job("B", x=20, duration_min=60)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 80 * M)])])
    state = DispatchState.start(problem, plan, 20 * M)
    update = _ok(apply(state, NewJob(at_s=20 * M, job=job("N", x=15, duration_min=60, received_s=20 * M))))
    assert update.plan.route("T1").job_ids == ["A", "B"]
    assert "N" in update.state.unassigned
    assert not update.of_kind("bumped")


def test_crew_emergency_gets_a_crew_at_a_common_start():
    problem = make_problem([tech("T1"), tech("T2", x=30), tech("T3", x=400)], [])
    plan = make_plan(problem, [])
    state = DispatchState.start(problem, plan, 60 * M)
    crew_job = Job(**{**_emergency(x=20, category="road_repair").__dict__, "crew_size": 2})
    update = _ok(apply(state, NewJob(at_s=60 * M, job=crew_job)))
    (d,) = update.dispatches
    assert set(d.technicians) == {"T1", "T2"} and d.start_s == 80 * M


# -- the bundled city day ------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _city():
    problem = load_scenario(ROOT / "scenarios" / "city_day.yaml")
    return problem, solve(problem, backend="greedy").plan


def _reachable_in_time(state, emergency: Job) -> bool:
    """Oracle, independent of the insertion code: can some qualified technician, keeping its
    frozen visits (finishing its job in hand, and any emergency of at least the same weight it is
    on its way to), start the emergency by its due time? Checked
    by building the candidate route (frozen part + the emergency, the rest dropped) and running
    the verifier on it."""
    problem = state.problem.replace(jobs=state.problem.jobs + (emergency,))
    now = state.now_s
    for tech_ in problem.technicians:
        if not rules.can_lead(problem, tech_, emergency):
            continue
        tp = state.plans[tech_.id]
        frozen = list(tp.frozen)
        # it is not taken away from an emergency of at least the same weight it is heading to
        starts = tp.starts()
        for job_id, _ in tp.movable:
            other = problem.job(job_id)
            if not (is_emergency(problem, other) and problem.weight(other) >= problem.weight(emergency)):
                break
            frozen.append((job_id, starts[job_id]))
        prev_end = max([s + problem.job(j).duration_s for j, s in frozen] + [now])
        loc = problem.job(frozen[-1][0]).location if frozen else tech_.start
        earliest = max(prev_end, now) + matrix_of(problem).travel_s(loc, emergency.location)
        if earliest > emergency.due_s:
            continue
        for start in range(earliest, emergency.due_s + 1, 60):
            r = build_route(problem, tech_.id, frozen + [(emergency.id, start)],
                            list(tp.frozen_breaks) + list(tp.heading_breaks if len(frozen) > len(tp.frozen) else ())
                            + _owed_breaks(tech_, start + emergency.duration_s, tp),
                            tp.departure_s if frozen else None)
            routes = [r if x.technician == tech_.id else x for x in state.plan.routes]
            others = {v.job for x in routes for v in x.visits}
            plan = make_plan(problem, routes, {j.id: "dropped" for j in problem.jobs if j.id not in others})
            if not [v for v in verify(problem, plan) if v.technician == tech_.id]:
                return True
    return False


def _owed_breaks(tech_, last_end, tp):
    taken = list(tp.frozen_breaks)
    out = []
    for rule in tech_.breaks:
        if any(rule.earliest_s <= s <= rule.latest_s for s, _ in taken):
            continue
        if last_end > rule.latest_s:
            out.append((rule.latest_s, rule.latest_s + rule.duration_s))   # rough; the oracle may say no
    return out


def _city_cases(n: int, seed: int = 5):
    rng = random.Random(seed)
    for _ in range(n):
        hh = rng.choice(["09:10", "10:40", "11:30", "12:20", "14:50", "16:40", "18:10", "21:30"])
        skills = rng.choice([{"plumbing": 1}, {"gas": 2}, {"electrical": 2}, {"road_repair": 2}, {"plumbing": 3}])
        where = (round(rng.uniform(36.06, 36.12), 5), round(rng.uniform(120.33, 120.45), 5))
        yield hh, skills, where, rng.choice([30, 60, 120])


@pytest.mark.parametrize("policy", ["finish_current", "interrupt"])
def test_city_day_emergency_is_on_time_whenever_someone_can_reach_it(policy):
    """Random emergencies (time, place, trade, length) through the bundled city day: on time
    whenever the oracle finds a qualified technician able to start it by its due time."""
    problem, plan = _city()
    problem = problem.replace(preemption={"emergency": policy})
    reachable = on_time = 0
    for hh, skills, where, minutes in _city_cases(24):
        now = problem.clock.to_seconds(f"2026-11-23T{hh}")
        state = DispatchState.start(problem, plan, now)
        emergency = Job(id="E-CITY", location=Location(lat=where[0], lon=where[1]), category="emergency",
                        skills=skills, duration_s=minutes * M, received_s=now,
                        due_s=now + int(DEFAULT_SLA["emergency"].respond_minutes * 60))
        update = _ok(apply(state, NewJob(at_s=now, job=emergency)))
        assert update.elapsed_ms < 500
        d = update.dispatches[0] if update.dispatches and update.dispatches[0].job == "E-CITY" else None
        if _reachable_in_time(state, emergency):       # interrupting only adds options
            reachable += 1
            assert d is not None and d.on_time, f"{hh} {skills} {where}: {d} but a technician could reach it"
        on_time += bool(d is not None and d.on_time)
        # the frozen past is untouched
        before = {(r.technician, v.job): v.start_s for r in state.plan.routes for v in r.visits
                  if v.start_s < now}
        after = {(r.technician, v.job): v.start_s for r in update.plan.routes for v in r.visits}
        assert all(after.get(k) == s for k, s in before.items())
    assert reachable >= 10 and on_time >= reachable


def test_a_crew_job_bumped_by_a_crew_emergency_leaves_every_member():
    """Regression: E (crew of A and B) pushes Y on A so that the crew job X (A and B) no longer
    fits A; X must leave B too (it used to stay on B alone)."""
    problem = make_problem([tech("A"), tech("B"), tech("C", x=500)],
                           [job("Y", x=20, duration_min=30),
                            Job(**{**job("X", x=10, duration_min=30).__dict__, "crew_size": 2})])
    plan = make_plan(problem, [route(problem, "A", [("Y", 30 * M), ("X", 90 * M)]),
                               route(problem, "B", [("X", 90 * M)])])
    assert verify(problem, plan) == []
    state = DispatchState.start(problem, plan, 0)
    crew_emergency = Job(**{**_emergency(x=0, at=0, minutes=40, category="road_repair").__dict__, "crew_size": 2})
    update = _ok(apply(state, NewJob(at_s=0, job=crew_emergency)))
    assert set(update.dispatches[0].technicians) == {"A", "B"}
    members = {t for t, _ in update.plan.visits_of("X")}
    assert len(members) in (0, 2)


# -- anticipate_jobs (issue 8) -----------------------------------------------------------------
def test_a_new_job_is_driven_to_only_from_now_and_later_jobs_only_once_received():
    # L is a job of the scenario received at 11:00; T2 is idle at the depot: the live re-plan
    # after an 09:00 emergency must not send anyone to L before 11:00
    problem = make_problem([tech("T1"), tech("T2", x=20)],
                           [job("A", x=10, duration_min=60), job("L", x=30, received_s=3 * H)])
    morning = solve(problem, backend="greedy", time_limit_s=1).plan
    assert verify(problem, morning) == []
    state = DispatchState.start(problem, morning, 60 * M)
    update = _ok(apply(state, NewJob(at_s=60 * M, job=_emergency(x=25, at=60 * M))))
    plan, now_problem = update.plan, update.problem
    (emergency,) = [v for _, v in plan.visits_of("E")]
    assert emergency.sent_s >= 60 * M and emergency.arrival_s >= 60 * M + emergency.travel_s
    (late,) = [v for _, v in plan.visits_of("L")]
    assert late.sent_s >= 3 * H and late.start_s >= 3 * H + late.travel_s
    for r in plan.routes:
        for v in r.visits:
            assert v.arrival_s - v.travel_s >= min(now_problem.job(v.job).received_s, v.sent_s)
    tid = next(t for t, _ in plan.visits_of("L"))
    before = update.state.status(tid, 3 * H - 1)
    assert before.kind != "travelling" or before.job != "L"   # not on the road to L before it was reported
    assert update.state.status(tid, late.sent_s).kind == "travelling"
