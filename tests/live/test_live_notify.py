"""Appointment keeping: calls 15 minutes ahead, re-appointments past 30 minutes, bump costs."""

from __future__ import annotations

from dispatchopt.live import (Bumped, CallCustomer, DispatchState, DurationOverrun, NewJob,
                              Reappoint, apply)
from dispatchopt.live.workspace import BumpRecord
from dispatchopt.live.notify import Diff, JobChange, describe, diff_plans, notifications
from dispatchopt.audit.verify import verify
from helpers import H, M, job, make_plan, make_problem, route, tech


def _problem():
    return make_problem([tech("T1"), tech("T2", x=50)],
                        [job("A", x=10), job("W", x=20, window=(H, 2 * H)), job("S", x=30, category="small_repair")])


def _change(job_id, old_arrival, new_arrival, kind="retimed"):
    return JobChange(job_id, kind, ("T1",), ("T1",) if new_arrival is not None else (),
                     old_arrival, new_arrival, old_arrival, new_arrival)


def test_later_arrival_gets_a_call_15_minutes_before_the_promised_time():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 20 * M),)), now_s=H)
    assert note == CallCustomer("A", 2 * H, 2 * H + 20 * M, call_by_s=2 * H - 15 * M, late_notice=False)
    assert "call the customer of A by 09:45" in describe(problem, note)


def test_a_call_that_cannot_be_15_minutes_ahead_is_due_now_and_flagged():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 20 * M),)),
                            now_s=2 * H - 5 * M)
    assert note.call_by_s == 2 * H - 5 * M and note.late_notice


def test_earlier_or_same_minute_arrivals_are_not_called():
    problem = _problem()
    changes = (_change("A", 2 * H, 2 * H - 20 * M), _change("S", 2 * H, 2 * H + 59))
    assert notifications(problem, problem, Diff(changes), now_s=H) == []


def test_more_than_30_minutes_past_the_appointment_is_a_reappointment():
    problem = _problem()
    # no window: the appointment is the promised arrival
    (note,) = notifications(problem, problem, Diff((_change("A", 2 * H, 2 * H + 31 * M),)), now_s=H)
    assert isinstance(note, Reappoint) and note.proposed_arrival_s == 2 * H + 31 * M
    # a window job moved within its window (ends 10:00) is only called
    (call,) = notifications(problem, problem, Diff((_change("W", H, H + 50 * M),)), now_s=0)
    assert isinstance(call, CallCustomer)


def test_a_window_job_that_loses_its_place_is_reappointed():
    problem = _problem()
    (note,) = notifications(problem, problem, Diff((_change("W", H, None, kind="removed"),)), now_s=0)
    assert isinstance(note, Reappoint) and note.call_by_s == H - 15 * M


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
    update = apply(state, DurationOverrun(at_s=30 * M, job="A", expected_end_s=90 * M))
    assert verify(update.problem, update.plan) == []
    kinds = {n.job: n.kind for n in update.notifications}
    assert kinds == {"B": "call_customer", "C": "call_customer"}
    calls = {n.job: n for n in update.notifications}
    assert calls["B"].new_arrival_s == 100 * M and calls["B"].call_by_s == 65 * M
    lines = update.lines()
    assert any("call the customer of B by 09:05" in line for line in lines)


def test_the_new_job_itself_is_not_called():
    problem = make_problem([tech("T1")], [job("A", x=10)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M)])])
    state = DispatchState.start(problem, plan, 0)
    update = apply(state, NewJob(at_s=0, job=job("N", x=5)))
    assert [n for n in update.notifications if n.job == "N"] == []
