"""Booking (live.candidate_windows / live.book): the windows we can promise a calling customer.

Every offered slot, booked, gives a plan that verify passes with the job inside the slot and
every previously windowed job inside its window, no on-time job made late and the offered cost
equal to the plan_cost change; a slot not offered really is infeasible or would break a
promise (checked by inserting it); slots beyond --top are dearer.
"""

from __future__ import annotations

import random
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest

from dispatchopt import rules
from dispatchopt.audit.verify import verify
from dispatchopt.domain import Job, Location
from dispatchopt.domain.sla import SlaLevel
from dispatchopt.domain.job import Window
from dispatchopt.errors import ParameterError
from dispatchopt.live import DispatchState, NewJob, apply, book, candidate_windows, is_emergency
from dispatchopt.live.booking import slot_job
from dispatchopt.objective import plan_cost
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve
from helpers import H, M, job, make_plan, make_problem, route, tech

ROOT = Path(__file__).resolve().parents[2]


def _starts(plan) -> dict[str, int]:
    return {v.job: v.start_s for r in plan.routes for v in r.visits}


def _check_booked(state: DispatchState, new_job: Job, slot) -> None:
    """Book ``slot`` and check the promises (see the module doc)."""
    update = book(state, new_job, slot)
    new = update.state
    assert verify(new.problem, new.plan) == []
    after = _starts(new.plan)
    assert new_job.id in after, new.unassigned.get(new_job.id)
    assert slot.start_s <= after[new_job.id] <= slot.end_s
    assert after[new_job.id] == slot.visit_start_s
    (dispatch,) = update.dispatches
    assert dispatch.technicians == (slot.technician,)
    before = _starts(state.plan)
    for job_id, start in before.items():
        old = state.problem.job(job_id)
        now = after[job_id]
        if old.window is not None:
            assert old.window.start_s <= now <= old.window.end_s, job_id
        if rules.on_time(old, start):
            assert rules.on_time(new.problem.job(job_id), now), f"{job_id} made late"
    delta = plan_cost(new.problem, new.plan) - plan_cost(state.problem, state.plan)
    assert delta == pytest.approx(slot.cost, abs=2e-3)


def _refused_really(state: DispatchState, new_job: Job, slot) -> None:
    """Inserting a refused slot's job: not placed, or it makes an on-time job late (or delays a
    late emergency)."""
    update = apply(state, NewJob(at_s=state.now_s, job=slot_job(new_job, slot)))
    after = _starts(update.state.plan)
    if new_job.id not in after:
        return
    before = _starts(state.plan)
    harmed = []
    for job_id, start in before.items():
        old = state.problem.job(job_id)
        moved = after.get(job_id)
        if moved is None:
            harmed.append(job_id)
        elif rules.on_time(old, start) and not rules.on_time(old, moved):
            harmed.append(job_id)
        elif is_emergency(state.problem, old) and moved > start:
            harmed.append(job_id)
    assert harmed, f"slot {slot.label} refused ({slot.reason}) but inserting it harms nobody"


# -- a small day where the only place before the emergency would make it late ---------------------
def _emergency_day():
    """T1 (x=0, 08:00-16:00) is to start emergency E (x=20, due 08:30) at 08:20."""
    problem = make_problem([tech("T1")], [job("E", x=20, duration_min=30, category="emergency")])
    plan = make_plan(problem, [route(problem, "T1", [("E", 20 * M)])])
    assert verify(problem, plan) == []
    return problem, plan


def _caller(id="N", x=10.0, minutes=30, received_s=0, category="standard") -> Job:
    return job(id, x=x, duration_min=minutes, category=category, received_s=received_s)


def test_a_slot_that_would_make_an_emergency_late_is_not_offered():
    problem, plan = _emergency_day()
    state = DispatchState.start(problem, plan, 0)
    answer = candidate_windows(state, _caller(), days=1, slot_minutes=30)
    first = answer.slot(problem.clock.to_iso(0))
    assert first is not None and not first.offered
    assert "would make E (emergency) late" in first.reason
    # the dispatcher would indeed start E late if the caller got 08:00-08:30
    _refused_really(state, _caller(), first)
    update = apply(state, NewJob(at_s=0, job=slot_job(_caller(), first)))
    assert _starts(update.plan)["E"] > problem.job("E").due_s
    # 08:30-09:00 fits after E: offered, and booking it keeps E on time
    second = answer.slot(problem.clock.to_iso(30 * M))
    assert second is not None and second.offered and second.technician == "T1"
    _check_booked(state, _caller(), second)
    assert answer.offered[0].start_s >= 30 * M


def test_a_slot_that_would_make_an_on_time_job_late_is_not_offered():
    # A (x=20) due 08:50, planned 08:20; the caller (x=10, 30 min) in 08:00-08:30 would push it to 08:50+
    problem = make_problem([tech("T1")], [job("A", x=20, duration_min=30, due_s=45 * M)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 20 * M)])])
    state = DispatchState.start(problem, plan, 0)
    answer = candidate_windows(state, _caller(), days=1, slot_minutes=30)
    first = answer.slot(problem.clock.to_iso(0))
    assert not first.offered and "would make A (standard) late" in first.reason
    _refused_really(state, _caller(), first)


def test_reasons_off_shift_full_and_beyond_the_horizon():
    # T1 works 08:00-10:00 and 12:00-14:00 with room for one job; the horizon ends at 08:00 tomorrow
    problem = make_problem([tech("T1", shifts=[(0, 2 * H), (4 * H, 6 * H)], max_jobs=1)], [])
    plan = make_plan(problem, [])
    state = DispatchState.start(problem, plan, 0)
    answer = candidate_windows(state, _caller(), days=3, slot_minutes=60)
    by_label = {s.label[11:16]: s for s in answer.offered + answer.refused}
    assert by_label["10:00"].reason == "no qualified technician on shift"
    assert by_label["08:00"].offered and by_label["12:00"].offered
    assert [c.reason[:28] for c in answer.closed] == ["no qualified technician work",
                                                      "beyond the scenario's horizo"]
    # once T1 holds one job its route is full
    full = replace(problem, jobs=(job("A", x=5),))
    plan = make_plan(full, [route(full, "T1", [("A", 5 * M)])])
    state = DispatchState.start(full, plan, 0)
    answer = candidate_windows(state, _caller(), days=1, slot_minutes=60)
    assert answer.offered == ()
    assert any(s.reason.startswith("every route is full") for s in answer.refused)
    for s in answer.refused:
        if s.reason != "no qualified technician on shift":
            _refused_really(state, _caller(), s)


def test_bad_requests_are_parameter_errors():
    problem, plan = _emergency_day()
    state = DispatchState.start(problem, plan, 0)
    with pytest.raises(ParameterError, match="emergency"):
        candidate_windows(state, _caller(category="emergency"))
    with pytest.raises(ParameterError, match="crew_size"):
        candidate_windows(state, replace(_caller(), crew_size=2))
    with pytest.raises(ParameterError, match="window"):
        candidate_windows(state, replace(_caller(), window=Window(0, H)))
    with pytest.raises(ParameterError, match="hours"):
        candidate_windows(state, _caller(), hours="8-18")
    with pytest.raises(ParameterError, match="due"):
        candidate_windows(state, _caller(), due="sla")


def test_hours_and_due_modes():
    problem, plan = _emergency_day()
    state = DispatchState.start(problem, plan, 0)
    answer = candidate_windows(state, _caller(), days=1, hours="10:00-12:00")
    assert {s.label[11:16] for s in answer.offered + answer.refused} == {"10:00"}
    assert answer.offered[0].end_s == answer.offered[0].start_s + 2 * H
    # due="job": the caller's own SLA due (08:00 + 24 h) kept; due="window": the slot end
    late = replace(_caller(), due_s=2 * H + 30 * M)
    kept = candidate_windows(state, late, days=1, slot_minutes=120, due="job")
    by_start = {s.start_s: s for s in kept.offered}
    assert by_start[4 * H].cost > candidate_windows(state, late, days=1, slot_minutes=120).slot(
        problem.clock.to_iso(4 * H)).cost
    assert slot_job(late, by_start[4 * H], due="job").due_s == late.due_s
    assert slot_job(late, by_start[4 * H]).due_s == by_start[4 * H].end_s


# -- the bundled city day and the 3-day scenario ----------------------------------------------------
@lru_cache(maxsize=None)
def _bundled(name: str, now: str):
    problem = load_scenario(ROOT / "scenarios" / name)
    plan = solve(problem, backend="greedy").plan
    return DispatchState.start(problem, plan, problem.clock.to_seconds(now))


def _callers(state: DispatchState, n: int, seed: int) -> list[Job]:
    """Jobs like the scenario's bookable ones (skills, category, duration) at random places."""
    rng = random.Random(seed)
    problem = state.problem
    pool = [j for j in problem.jobs if j.crew_size == 1 and not is_emergency(problem, j)
            and j.dispatchable and not j.pinned_to and j.follow_up is None]
    lats = [j.location.lat for j in problem.jobs]
    lons = [j.location.lon for j in problem.jobs]
    out = []
    for i in range(n):
        like = rng.choice(pool)
        loc = Location(lat=rng.uniform(min(lats), max(lats)), lon=rng.uniform(min(lons), max(lons)))
        out.append(replace(like, id=f"CALL{i}", location=loc, window=None, received_s=state.now_s,
                           due_s=state.now_s + 86400))
    return out


@pytest.mark.parametrize("name,now,days,seed", [("city_day.yaml", "2026-11-23T10:00", 1, 11),
                                                ("multi_day_3x40.yaml", "2026-12-07T10:00", 3, 12)])
def test_bundled_offered_slots_book_as_offered_and_refused_ones_really_fail(name, now, days, seed):
    state = _bundled(name, now)
    rng = random.Random(seed)
    booked = refused = 0
    for caller in _callers(state, 3, seed=seed):
        answer = candidate_windows(state, caller, days=days, slot_minutes=120, top=4)
        whole = candidate_windows(state, caller, days=days, slot_minutes=120)
        assert whole.offered[:4] == answer.offered and answer.feasible == len(whole.offered)
        # slots beyond --top are dearer (or as dear and later)
        for beyond in whole.offered[4:]:
            assert (beyond.cost, beyond.start_s) >= (answer.offered[-1].cost, answer.offered[-1].start_s)
        for slot in answer.offered[:3]:
            _check_booked(state, caller, slot)
            booked += 1
        sample = [s for s in whole.refused if s.reason != "no qualified technician on shift"]
        for slot in rng.sample(sample, min(2, len(sample))):
            _refused_really(state, caller, slot)
            refused += 1
    assert booked >= 6
    if name.startswith("multi"):
        # later days use the day copies' routes
        days_offered = {s.label[:10] for c in _callers(state, 1, seed=3)
                        for s in candidate_windows(state, c, days=3).offered}
        assert len(days_offered) >= 2


def test_a_slot_whose_cheapest_place_breaks_a_promise_is_offered_at_a_dearer_harmless_place():
    # T1 is to start A (x=20, due 08:20) at 08:20: a 1-min caller at A's door before it makes A
    # 1 min late (cost 5), cheaper than T2 (x=40) coming over (40 travel minutes), which harms nobody
    problem = make_problem([tech("T1"), tech("T2", x=40)],
                           [job("A", x=20, duration_min=30, due_s=20 * M)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 20 * M)])])
    state = DispatchState.start(problem, plan, 0)
    caller = _caller(x=20, minutes=1)
    answer = candidate_windows(state, caller, days=1, slot_minutes=30)
    first = answer.slot(problem.clock.to_iso(0))
    assert first.offered and first.technician == "T2" and first.cost == pytest.approx(40.0)
    assert "the cheaper place (T1) would make A (standard) late" in first.note
    # the dispatcher alone would take T1's place and make A late ...
    update = apply(state, NewJob(at_s=0, job=slot_job(caller, first)))
    assert _starts(update.plan)["A"] > problem.job("A").due_s
    # ... the booking puts it where it was offered: verified, every promise kept, cost as offered
    _check_booked(state, caller, first)


def test_an_emergency_kept_on_time_by_a_dearer_place():
    # T1 must start emergency E (x=20, due 08:30) at 08:20; an 11-min caller at x=10 on T1's way
    # adds no travel but starts E at 08:31 (1 min late: 5 at weight 1, cheaper than T2 at x=30
    # coming over, +40): the slot is offered on T2, and E stays on time
    sla = {"emergency": SlaLevel(respond_minutes=30, weight=1)}
    problem = make_problem([tech("T1"), tech("T2", x=30)],
                           [job("E", x=20, duration_min=30, category="emergency")], sla=sla)
    plan = make_plan(problem, [route(problem, "T1", [("E", 20 * M)])])
    state = DispatchState.start(problem, plan, 0)
    caller = _caller(minutes=11)
    answer = candidate_windows(state, caller, days=1, slot_minutes=30)
    first = answer.slot(problem.clock.to_iso(0))
    assert first.offered and first.technician == "T2" and first.cost == pytest.approx(40.0)
    assert "the cheaper place (T1) would make E (emergency) late" in first.note
    _check_booked(state, caller, first)


def test_a_night_shift_grid_stops_where_the_next_day_begins():
    # T1 works 08:00-16:00 today and tomorrow, T2 20:00-09:00 (08:00 = clock 0): today's grid runs
    # through the night and stops at tomorrow's 08:00, where tomorrow's grid starts; no label twice
    day = 24 * H
    problem = make_problem([tech("T1", shifts=[(0, 8 * H), (day, day + 8 * H)]),
                            tech("T2", shifts=[(12 * H, 25 * H)])], [], end_s=2 * day)
    state = DispatchState.start(problem, make_plan(problem, []), 0)
    answer = candidate_windows(state, _caller(), days=2, slot_minutes=180)
    slots = sorted(answer.offered + answer.refused, key=lambda s: s.start_s)
    labels = [s.label for s in slots]
    assert len(labels) == len(set(labels))
    assert all(a.end_s <= b.start_s for a, b in zip(slots, slots[1:]))
    assert [s.label[11:16] for s in slots if s.start_s < day][-1] == "05:00"
    assert slots[[s.start_s for s in slots].index(day) - 1].end_s == day
