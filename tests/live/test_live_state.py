"""The dispatch state: frozen past, the visit a technician is heading to, status, travel matrix.

Tiny euclidean problems (tests/helpers.py): one coordinate unit is one minute of travel, time 0 is
2026-11-23 08:00. Every plan goes through the verifier.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dispatchopt import rules
from dispatchopt.domain import Location
from dispatchopt.errors import EventError
from dispatchopt.live import DispatchState, NewJob, apply
from dispatchopt.live.matrix import carry_matrix
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.synth.generate import generate_scenario
from dispatchopt.travel import build_travel_matrix
from dispatchopt.audit.verify import verify
from helpers import H, M, job, make_plan, make_problem, route, tech
from dispatchopt.travel import matrix_of


def _day():
    problem = make_problem([tech("T1"), tech("T2", x=100)],
                           [job("A", x=10, duration_min=30), job("B", x=20, duration_min=30),
                            job("C", x=90, duration_min=60)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 50 * M)]),
                               route(problem, "T2", [("C", 10 * M)])])
    assert verify(problem, plan) == []
    return problem, plan


def _starts(plan):
    return {(r.technician, v.job): v.start_s for r in plan.routes for v in r.visits}


def test_start_freezes_the_visits_started_before_now():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 20 * M)
    assert state.plans["T1"].frozen == (("A", 10 * M),)
    assert state.in_hand("T1") == ("A", 10 * M, 40 * M)
    assert state.job_status("A") == "in_progress"
    assert state.job_status("B") == "planned"
    assert verify(state.problem, state.plan) == []
    assert _starts(state.plan) == _starts(plan)


def test_time_passing_never_moves_a_planned_visit():
    """A technician on its way to its next visit keeps the published times (no drift)."""
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    for minute in (5, 15, 41, 45, 49, 55, 75, 200):
        state = state.advance(minute * M)
        assert _starts(state.plan) == _starts(plan), minute
        assert verify(state.problem, state.plan) == []
    assert state.job_status("B") == "done"


def test_heading_visit_is_soft_frozen():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 45 * M)     # A done at 40, on the way to B (50)
    assert state.plans["T1"].heading == ("B", 50 * M)
    assert state.status("T1").kind == "travelling"
    assert state.status("T1").job == "B"


def test_events_must_come_in_time_order():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 30 * M)
    with pytest.raises(EventError, match="before the state's now"):
        state.advance(10 * M)
    with pytest.raises(EventError, match="time order"):
        apply(state, NewJob(at_s=10 * M, job=job("N", x=5, received_s=10 * M)))


def test_status_kinds():
    problem = make_problem([tech("T1", breaks=[(2 * H, 3 * H, 30 * M)])],
                           [job("A", x=10, duration_min=30, window=(60 * M, 90 * M)),
                            job("B", x=20, duration_min=60, window=(3 * H, 4 * H))])
    plan = make_plan(problem, [route(problem, "T1", [("A", 60 * M), ("B", 3 * H)],
                                     breaks=[(2 * H, 2 * H + 30 * M)], departure_s=50 * M)])
    assert verify(problem, plan) == []
    state = DispatchState.start(problem, plan, 0)
    kinds = {minute: state.status("T1", minute * M).kind for minute in (10, 55, 70, 100, 125, 170, 190, 250, 265)}
    assert kinds[10] == "not_started"
    assert kinds[55] == "travelling"
    assert kinds[70] == "working"
    assert kinds[100] == "travelling"       # leaves A at 90 for B
    assert kinds[125] == "on_break"
    assert kinds[170] == "waiting"
    assert kinds[190] == "working"
    assert kinds[250] == "returning"
    assert kinds[265] == "done"


def test_unknown_job_in_plan_is_refused():
    problem, plan = _day()
    other = make_problem(list(problem.technicians), list(problem.jobs[:2]))
    with pytest.raises(EventError, match="unknown job 'C'"):
        DispatchState.start(other, plan, 0)


@pytest.mark.parametrize("model", ["haversine", "euclidean"])
def test_carried_matrix_equals_a_full_rebuild(model):
    """A new location gets one row and column, the same numbers as a rebuild from scratch."""
    if model == "haversine":
        problem = problem_from_dict(generate_scenario(5, 30, seed=3))
        new_loc = Location(lat=36.0912345, lon=120.4012345)
    else:
        problem, _ = _day()
        new_loc = Location(x=37.3, y=-12.9)
    matrix_of(problem)
    added = job("NEW", received_s=0)
    added = type(added)(**{**added.__dict__, "location": new_loc})
    new = problem.replace(jobs=problem.jobs + (added,))
    new, buffer = carry_matrix(problem, new, None)
    carried = matrix_of(new)
    rebuilt = build_travel_matrix(new)
    locs = list(rebuilt.locations)
    a = np.array([[carried.travel_s(p, q) for q in locs] for p in locs])
    b = np.array([[rebuilt.travel_s(p, q) for q in locs] for p in locs])
    assert (a == b).all()
    da = np.array([[carried.distance_m(p, q) for q in locs] for p in locs])
    db = np.array([[rebuilt.distance_m(p, q) for q in locs] for p in locs])
    assert np.allclose(da, db, rtol=1e-12, atol=1e-9)
    # extending again in place keeps the older matrix intact
    before = carried.seconds.copy()
    again = new.replace(jobs=new.jobs + (type(added)(**{**added.__dict__, "id": "NEW2",
                                                            "location": Location(lat=36.1, lon=120.36)
                                                            if model == "haversine" else Location(x=1.5, y=2.5)}),))
    again, _ = carry_matrix(new, again, buffer)
    assert matrix_of(again).seconds.shape[0] == carried.seconds.shape[0] + 1
    assert (carried.seconds == before).all()
    # ... and a second branch from the same matrix copies instead of overwriting
    other = new.replace(jobs=new.jobs + (type(added)(**{**added.__dict__, "id": "NEW3",
                                                            "location": Location(lat=36.07, lon=120.44)
                                                            if model == "haversine" else Location(x=-4.0, y=8.0)}),))
    other, _ = carry_matrix(new, other, buffer)
    n = carried.seconds.shape[0]
    assert (matrix_of(again).seconds[:n, n] != matrix_of(other).seconds[:n, n]).any()
    assert (carried.seconds == before).all()


def test_an_idle_technician_past_its_break_window_takes_the_break_retroactively():
    """Lunch must start by 13:00; T1 was idle since 11:00: a job at 14:00 is still possible,
    the break being placed in the idle time (it was idle then)."""
    problem = make_problem([tech("T1", shift=(0, 9 * H), breaks=[(4 * H, 5 * H, 60 * M)])],
                           [job("A", x=10, duration_min=60)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 2 * H)])])
    state = DispatchState.start(problem, plan, 6 * H)
    update = apply(state, NewJob(at_s=6 * H, job=job("N", x=20, duration_min=60, received_s=6 * H)))
    assert verify(update.problem, update.plan) == []
    r = update.plan.route("T1")
    assert [v.job for v in r.visits] == ["A", "N"]
    assert r.breaks and 4 * H <= r.breaks[0].start_s <= 5 * H


def test_a_new_place_on_the_road_graph_keeps_every_row():
    """Graph travel has no closed formula: the matrix is rebuilt with the old places first, so
    the row indices the technicians' states hold stay valid."""
    from pathlib import Path

    from dispatchopt.live import parse_job
    from dispatchopt.scenario import load_scenario
    from dispatchopt.solvers import solve

    problem = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "road_graph" / "scenario.yaml")
    plan = solve(problem, backend="greedy").plan
    now = problem.clock.to_seconds("2026-11-23T10:00")
    state = DispatchState.start(problem, plan, now)
    before = matrix_of(state.problem)
    new = parse_job(problem, {"id": "G1", "location": {"lat": 36.0811, "lon": 120.4022},
                              "category": "urgent", "skills": {"plumbing": 1}, "duration_minutes": 30},
                    now_s=now)
    update = apply(state, NewJob(at_s=now, job=new))
    after = matrix_of(update.problem)
    assert after.seconds.shape[0] == before.seconds.shape[0] + 1
    assert (after.seconds[:-1, :-1] == before.seconds).all()
    assert verify(update.problem, update.plan) == []
    assert "G1" in update.plan.assigned_job_ids() or "G1" in update.state.unassigned


def test_carried_eligibility_equals_a_fresh_table():
    """Each update gives its new Problem the old eligibility table with the new job's entry
    evaluated by the rules: the same table as one built from scratch for that Problem."""
    problem = problem_from_dict(generate_scenario(8, 40, seed=5))
    plan = solve(problem, backend="greedy", time_limit_s=5.0).plan
    state = DispatchState.start(problem, plan, 9 * H)
    templates = [j for j in problem.jobs if j.crew_size == 1][:3]
    for n, template in enumerate(templates):
        for crew_size in (1, 2):
            new = dataclasses.replace(template, id=f"LIVE{n}-{crew_size}", received_s=state.now_s,
                                      due_s=state.now_s + 4 * H, window=None, pinned_to=(),
                                      crew_size=crew_size)
            state = apply(state, NewJob(at_s=state.now_s + 5 * M, job=new)).state
            assert verify(state.problem, state.plan) == []
    fresh = state.problem.replace(name=state.problem.name)
    assert rules.eligibility(state.problem) == rules.eligibility(fresh)
    assert rules.eligibility(state.problem)["LIVE0-2"][1]      # a crew job has members
