"""Each live event on a tiny hand-made day: what happens to the Problem, the plan and the notices.

One coordinate unit = one minute; time 0 = 08:00. Every plan goes through the verifier.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dispatchopt.errors import EventError
from dispatchopt.live import (CustomerNotHome, DispatchState, DurationOverrun, JobCancelled,
                              JobCompleted, JobStarted, NewJob, TechnicianUnavailable, apply,
                              event_to_json, parse_event)
from dispatchopt.audit.verify import verify
from helpers import H, M, job, make_plan, make_problem, route, tech


def _day(**tech_kw):
    """T1 at 0: A (x=10) 08:10-08:40, B (x=20) 08:50-09:20, C (x=30) 09:30-10:00; T2 at x=100 idle."""
    problem = make_problem([tech("T1", **tech_kw), tech("T2", x=100)],
                           [job("A", x=10), job("B", x=20), job("C", x=30, window=(0, 3 * H))])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 50 * M), ("C", 90 * M)])])
    assert verify(problem, plan) == []
    return problem, plan


def _ok(update):
    violations = verify(update.problem, update.plan)
    assert violations == [], "\n".join(map(str, violations))
    return update


def _start(plan, job_id):
    return plan.visits_of(job_id)[0][1].start_s


def test_new_job_goes_where_it_adds_least_cost_without_bumping():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 20 * M)
    update = _ok(apply(state, NewJob(at_s=20 * M, job=job("N", x=25, received_s=20 * M))))
    # between B (x=20) and C (x=30): 0 extra travel, cheaper than T2 from x=100
    assert update.plan.route("T1").job_ids == ["A", "B", "N", "C"]
    assert [d.technicians for d in update.dispatches] == [("T1",)]
    assert not update.of_kind("bumped")


def test_job_started_records_the_job_in_hand_from_now():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, JobStarted(at_s=12 * M, job="A")))
    assert _start(update.plan, "A") == 12 * M
    assert update.state.in_hand("T1")[0] == "A"
    # later visits follow: B moves 2 minutes later
    assert _start(update.plan, "B") == 52 * M


def test_job_started_by_another_technician_moves_it():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, JobStarted(at_s=50 * M, job="C", technician="T2")))
    assert update.plan.route("T2").job_ids == ["C"]
    assert "C" not in update.plan.route("T1").job_ids
    assert _start(update.plan, "C") == 70 * M        # 70 minutes from x=100: no earlier than 09:10
    assert any("earliest the travel model allows" in n for n in update.notes)


def test_starting_another_job_completes_the_one_in_hand():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, JobStarted(at_s=25 * M, job="C")))     # T1 skips from A to C
    assert update.problem.job("A").duration_s == 15 * M
    assert update.plan.route("T1").job_ids[:2] == ["A", "C"]
    assert "B" in update.plan.assigned_job_ids()


def test_job_completed_early_pulls_the_next_visits_forward():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 15 * M)
    update = _ok(apply(state, JobCompleted(at_s=20 * M, job="A")))
    assert update.problem.job("A").duration_s == 10 * M
    assert _start(update.plan, "B") == 30 * M


def test_overrun_pushes_the_route_and_calls_the_customers():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 15 * M)
    update = _ok(apply(state, DurationOverrun(at_s=20 * M, job="A", expected_end_s=80 * M)))
    assert update.problem.job("A").duration_s == 70 * M
    assert _start(update.plan, "B") >= 90 * M or "B" not in update.plan.route("T1").job_ids
    calls = update.of_kind("call_customer") + update.of_kind("reappoint")
    assert {n.job for n in calls} >= {"B"}


def test_overrun_past_the_shift_end_is_recorded_with_a_note():
    problem = make_problem([tech("T1", shift=(0, 2 * H))], [job("A", x=10, duration_min=60)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M)])])
    state = DispatchState.start(problem, plan, 30 * M)
    update = _ok(apply(state, DurationOverrun(at_s=30 * M, job="A", expected_end_s=2 * H + 30 * M)))
    assert update.problem.technician("T1").max_overtime_s >= 40 * M
    assert any("working time extended" in n for n in update.notes)


def test_unavailable_now_stops_the_job_in_hand_and_replans_the_rest():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, TechnicianUnavailable(at_s=25 * M, technician="T1", reason="van broken")))
    t1 = update.problem.technician("T1")
    assert t1.shift_end_s == 25 * M
    assert t1.end == update.problem.job("A").location      # the van stays where it broke down
    assert update.problem.job("A").duration_s == 15 * M
    assert update.problem.has_job("A-f1")
    assert update.problem.job("A-f1").duration_s == 15 * M
    assert update.plan.route("T1").job_ids == ["A"]
    assert set(update.plan.route("T2").job_ids) >= {"A-f1", "B", "C"}
    assert update.state.status("T1").kind == "unavailable"


def test_follow_up_of_a_working_day_category_is_due_in_working_days():
    """A follow-up job takes the due time of its category's SLA: for a level counted in working
    days (survey: 2) that is the same clock time 2 working days later, across the weekend."""
    friday = dt.datetime(2026, 11, 27, 8, 0)
    problem = make_problem([tech("T1"), tech("T2", x=100)],
                           [job("A", x=10, category="survey", due_s=3 * 24 * H)], origin=friday)
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M)])])
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, TechnicianUnavailable(at_s=25 * M, technician="T1")))
    follow = update.problem.job("A-f1")
    assert follow.received_s == 25 * M
    # Friday 08:25 + 2 working days = Tuesday 08:25 (not Sunday 08:25, 2 x 24 h later)
    assert follow.due_s == problem.clock.to_seconds("2026-12-01T08:25")
    assert follow.due_s - follow.received_s == 4 * 24 * H


def test_unavailable_later_keeps_what_fits_before():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, TechnicianUnavailable(at_s=5 * M, technician="T1", from_s=100 * M)))
    assert update.plan.route("T1").job_ids == ["A", "B"]
    assert update.plan.route("T1").ret.arrival_s <= 100 * M
    assert "C" in update.plan.route("T2").job_ids


def test_cancelled_job_is_kept_with_a_reason_and_not_called():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, JobCancelled(at_s=5 * M, job="B")))
    assert not update.problem.job("B").dispatchable
    assert update.state.unassigned["B"].startswith("cancelled at 08:05")
    assert not [n for n in update.notifications if n.job == "B"]
    assert _start(update.plan, "C") < 90 * M


def test_cancelled_in_progress_stops_the_visit():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, JobCancelled(at_s=20 * M, job="A")))
    assert update.problem.job("A").duration_s == 10 * M
    with pytest.raises(EventError, match="was done"):
        apply(update.state, JobCancelled(at_s=30 * M, job="A"))


def test_customer_not_home_gets_a_reappointment_and_is_not_lost():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    update = _ok(apply(state, CustomerNotHome(at_s=55 * M, job="B")))
    assert update.problem.job("B").duration_s == 5 * M
    assert not update.problem.job("B-r1").dispatchable
    assert update.problem.job("B-r1").duration_s == 30 * M
    assert update.state.unassigned["B-r1"].startswith("customer not at home at 08:55")
    assert [n.job for n in update.of_kind("reappoint")] == ["B-r1"]


def test_customer_not_home_on_arrival():
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 45 * M)       # on the way to B (08:50)
    update = _ok(apply(state, CustomerNotHome(at_s=50 * M, job="B")))
    assert update.problem.job("B").duration_s == 0
    assert update.problem.has_job("B-r1")


@pytest.mark.parametrize("event, match", [
    (JobCompleted(at_s=5 * M, job="B"), "has not started"),
    (JobCompleted(at_s=5 * M, job="ZZ"), "unknown job 'ZZ'"),
    (DurationOverrun(at_s=5 * M, job="C", expected_end_s=H), "has not started"),
    (TechnicianUnavailable(at_s=5 * M, technician="T9"), "unknown technician 'T9'"),
    (JobStarted(at_s=5 * M, job="A", technician="T1x"), "unknown technician"),
    (NewJob(at_s=5 * M, job=job("A")), "already exists"),
])
def test_events_that_do_not_fit_the_state_are_refused(event, match):
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    with pytest.raises(EventError, match=match):
        apply(state, event)


def test_overrun_ending_before_the_recorded_start_is_refused():
    # A reported started at 08:00 by T1 (10 min away) is recorded as started at 08:10; an overrun
    # "ending" at 08:05 would make its duration negative, which the Problem refuses
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    started = _ok(apply(state, JobStarted(at_s=0, job="A", technician="T1")))
    assert _start(started.plan, "A") == 10 * M
    with pytest.raises(EventError, match="before its recorded start 08:10"):
        apply(started.state, DurationOverrun(at_s=2 * M, job="A", expected_end_s=5 * M))


@pytest.mark.parametrize("bad, match", [
    (job("N1", crew_size=3), "crew_size 3 must be between 1 and the 2 technicians"),
    (job("N2", pinned_to=("T1", "T2")), "2 technicians pinned to a job of crew_size 1"),
    (job("N3", window=(2 * H, H)), "the window is empty"),
])
def test_a_new_job_the_problem_cannot_hold_is_an_event_error(bad, match):
    problem, plan = _day()
    state = DispatchState.start(problem, plan, 0)
    with pytest.raises(EventError, match=f"new job {bad.id!r}: .*{match}"):
        apply(state, NewJob(at_s=5 * M, job=bad))


def test_event_json_round_trip():
    problem, plan = _day()
    events = [JobStarted(at_s=12 * M, job="A", technician="T1"), JobCompleted(at_s=40 * M, job="A"),
              DurationOverrun(at_s=60 * M, job="B", expected_end_s=100 * M),
              TechnicianUnavailable(at_s=70 * M, technician="T2", from_s=3 * H, reason="sick"),
              JobCancelled(at_s=75 * M, job="C"), CustomerNotHome(at_s=80 * M, job="B")]
    for event in events:
        data = json.loads(json.dumps(event_to_json(problem, event)))
        assert parse_event(problem, data) == event


def test_new_job_json_uses_the_scenario_keys():
    problem, plan = _day()
    data = {"type": "new_job", "at": "2026-11-23T09:00",
            "job": {"id": "N1", "location": {"x": 5, "y": 5}, "category": "emergency",
                    "skills": {"plumbing": 1}, "duration_minutes": 20}}
    event = parse_event(problem, data)
    assert event.at_s == H
    assert event.job.received_s == H
    assert event.job.due_s == H + 30 * M
    bad = dict(data, job=dict(data["job"], duration_minutes=-3))
    with pytest.raises(EventError, match="duration_minutes"):
        parse_event(problem, bad, source="events.jsonl: line 3")


@pytest.mark.parametrize("data, match", [
    ({"type": "job_started", "at": "2026-11-23T09:00", "job": "A", "tech": "T1"}, "unknown key 'tech'"),
    ({"type": "job_done", "at": "2026-11-23T09:00", "job": "A"}, "unknown event type 'job_done'"),
    ({"type": "job_completed", "at": "soon", "job": "A"}, "bad time 'soon'"),
    ({"type": "job_completed", "at": "2026-11-23T09:00"}, "missing key 'job'"),
])
def test_bad_event_json_names_the_problem(data, match):
    problem, _ = _day()
    with pytest.raises(EventError, match=match):
        parse_event(problem, data, source="events.jsonl: line 7")
