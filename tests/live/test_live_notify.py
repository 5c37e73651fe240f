"""Appointment keeping (live/notify.py): whom to call and when, re-appointments, promises, bump costs."""

from __future__ import annotations

from dispatchopt.live import (Bumped, CallCustomer, DispatchState, DurationOverrun, NewJob,
                              Reappoint, apply)
from dispatchopt.live.workspace import BumpRecord
from dispatchopt.live.notify import OPEN_TOLERANCE_S, Diff, JobChange, describe, diff_plans, notifications
from dispatchopt.audit.verify import verify
from helpers import H, M, job, make_plan, make_problem, route, tech


def _problem():
    return make_problem([tech("T1"), tech("T2", x=50)],
                        [job("A", x=10), job("W", x=20, window=(H, 2 * H)), job("S", x=30, category="small_repair")])


def _change(job_id, old_arrival, new_arrival, kind="retimed"):
    return JobChange(job_id, kind, ("T1",), ("T1",) if new_arrival is not None else (),
                     old_arrival, new_arrival, old_arrival, new_arrival)


def test_without_appointment_a_start_30_minutes_later_is_called_15_minutes_before_the_promise():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 31 * M),)), now_s=H)
    assert isinstance(note, CallCustomer)
    assert (note.old_arrival_s, note.new_arrival_s, note.call_by_s, note.late_notice) == \
        (2 * H, 2 * H + 31 * M, 2 * H - 15 * M, False)
    assert "call the customer of A by 09:45: start 10:00 -> 10:31 (31 min later)" in describe(problem, note)


def test_without_appointment_a_move_within_the_tolerance_is_not_called():
    # issue 8: a job without an appointment got "more than 30 min past the appointment" after
    # its start moved 14 min; now neither a re-appointment nor a call
    problem = _problem()
    assert notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 14 * M),)), now_s=H) == []
    assert notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + OPEN_TOLERANCE_S),)),
                         now_s=H) == []


def test_without_appointment_a_large_delay_is_a_call_not_a_reappointment():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 6 * H),)), now_s=H)
    assert isinstance(note, CallCustomer) and note.new_arrival_s == 6 * H


def test_without_appointment_crossing_the_sla_deadline_is_called():
    problem = make_problem([tech("T1")], [job("A", x=10, due_s=2 * H + 5 * M)])
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 10 * M),)), now_s=H)
    assert isinstance(note, CallCustomer) and "past the SLA deadline" in note.reason
    # already late when promised: a 10-minute move is not called
    assert notifications(problem, problem, Diff((_change("A", 2 * H + 6 * M, 2 * H + 16 * M),)), now_s=H) == []


def test_a_call_that_cannot_be_15_minutes_ahead_is_due_now_and_flagged():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 40 * M),)),
                            now_s=2 * H - 5 * M)
    assert note.call_by_s == 2 * H - 5 * M and note.late_notice


def test_earlier_or_same_minute_starts_are_never_called():
    problem = _problem()
    changes = (_change("A", 2 * H, 2 * H - 50 * M), _change("S", 2 * H, 2 * H + 59),
               _change("W", H + 40 * M, H))
    assert notifications(problem, problem, Diff(changes), now_s=0) == []


def test_with_appointment_a_move_inside_the_window_is_called_past_the_tolerance():
    problem = _problem()        # W: window 09:00-10:00
    assert notifications(problem, problem, Diff((_change("W", H, H + 25 * M),)), now_s=0) == []
    (call,) = notifications(problem, problem, Diff((_change("W", H, H + 50 * M),)), now_s=0)
    assert isinstance(call, CallCustomer) and "inside the appointment window" in call.reason


def test_with_appointment_a_start_after_the_window_is_a_reappointment():
    problem = _problem()        # as executed, a relaxed window may let the start pass its end
    (note,) = notifications(problem, problem, Diff((_change("W", H + 50 * M, H + 70 * M),)), now_s=0)
    assert isinstance(note, Reappoint) and note.proposed_arrival_s == H + 70 * M


def test_a_window_job_that_loses_its_place_is_reappointed():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("W", H, None, kind="removed"),)), now_s=0)
    assert isinstance(note, Reappoint) and note.call_by_s == H - 15 * M


def test_the_promise_not_the_last_plan_is_the_reference():
    # moves of 12 min each: the third is 36 min past what the customer was told
    problem = _problem()
    promised = {"A": 2 * H}
    assert notifications(problem, problem, Diff((_change("A", 2 * H + 12 * M, 2 * H + 24 * M),)),
                         now_s=H, promised=promised) == []
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H + 24 * M, 2 * H + 36 * M),)),
                            now_s=H, promised=promised)
    assert isinstance(note, CallCustomer) and note.old_arrival_s == 2 * H


def test_a_call_makes_the_new_start_the_promise():
    problem = make_problem([tech("T1")], [job("A", x=10), job("B", x=20)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 80 * M)])])
    state = DispatchState.start(problem, plan, 20 * M)
    assert state.promised == {"A": 10 * M, "B": 80 * M}
    update = apply(state, DurationOverrun(at_s=20 * M, job="A", expected_end_s=120 * M))
    (call,) = update.notifications
    assert call.job == "B" and update.state.promised["B"] == call.new_arrival_s > 80 * M
    # a further 10-minute overrun is judged against the new promise: no second call
    later = apply(update.state, DurationOverrun(at_s=30 * M, job="A", expected_end_s=130 * M))
    assert later.notifications == () and later.state.promised["B"] == call.new_arrival_s


def test_bumped_jobs_carry_their_sla_cost():
    problem = _problem()
    obj = problem.objective
    bumps = {"S": BumpRecord("S", "emergency E", "T1", "window"),
             "A": BumpRecord("A", "emergency E", "T1", "shift")}
    diff = Diff((JobChange("S", "removed", ("T1",), (), H, None, H, None),
                 JobChange("A", "moved", ("T1",), ("T2",), H, 30 * H, H, 30 * H)))
    notes = notifications(problem, problem, diff, now_s=0, bumps=bumps, unassigned={"S"})
    bumped = {n.job: n for n in notes if isinstance(n, Bumped)}
    assert bumped["S"].sla_cost == obj.unassigned * problem.weight(problem.job("S"))
    assert bumped["S"].new_technicians == ()
    late_min = (30 * H - problem.job("A").due_s) / 60
    assert bumped["A"].sla_cost == round(late_min * obj.late_minute * 1, 2)


def test_diff_kinds():
    problem = _problem()
    old = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("W", H)]),
                              route(problem, "T2", [("S", 20 * M)])])
    new = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("S", 70 * M)]),
                              route(problem, "T2", [("W", H + 10 * M)])])
    diff = diff_plans(old, new)
    assert diff.moved == ["W", "S"] and not diff.removed and not diff.added
    new2 = make_plan(problem, [route(problem, "T1", [("A", 12 * M)])])
    diff2 = diff_plans(old, new2)
    assert diff2.retimed == ["A"] and set(diff2.removed) == {"W", "S"}


def test_an_overrun_calls_every_later_customer_of_the_route():
    problem = make_problem([tech("T1")], [job("A", x=10, duration_min=60), job("B", x=20), job("C", x=30)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 80 * M), ("C", 120 * M)])])
    state = DispatchState.start(problem, plan, 30 * M)
    update = apply(state, DurationOverrun(at_s=30 * M, job="A", expected_end_s=120 * M))
    assert verify(update.problem, update.plan) == []
    kinds = {n.job: n.kind for n in update.notifications}
    assert kinds == {"B": "call_customer", "C": "call_customer"}
    calls = {n.job: n for n in update.notifications}
    assert calls["B"].new_arrival_s == 130 * M and calls["B"].call_by_s == 65 * M
    lines = update.lines()
    assert any("call the customer of B by 09:05" in line for line in lines)


def test_a_short_overrun_calls_nobody():
    problem = make_problem([tech("T1")], [job("A", x=10, duration_min=60), job("B", x=20), job("C", x=30)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 80 * M), ("C", 120 * M)])])
    state = DispatchState.start(problem, plan, 30 * M)
    update = apply(state, DurationOverrun(at_s=30 * M, job="A", expected_end_s=90 * M))
    assert update.notifications == ()


def test_the_new_job_itself_is_not_called():
    problem = make_problem([tech("T1")], [job("A", x=10)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M)])])
    state = DispatchState.start(problem, plan, 0)
    update = apply(state, NewJob(at_s=0, job=job("N", x=5)))
    assert [n for n in update.notifications if n.job == "N"] == []
