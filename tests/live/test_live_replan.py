"""The second speed: OR-Tools re-optimisation of the open part, warm-started, with churn."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dispatchopt.domain import Job, Location
from dispatchopt.live import DispatchState, NewJob, apply, replan
from dispatchopt.live.replan import open_subproblem
from dispatchopt.objective import plan_cost
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve
from dispatchopt.audit.verify import verify
from helpers import H, M, job, make_plan, make_problem, route, tech

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=None)
def _small_day():
    problem = load_scenario(ROOT / "scenarios" / "small.yaml")
    plan = solve(problem, backend="greedy").plan
    now = problem.clock.to_seconds("2026-11-23T10:40")
    state = DispatchState.start(problem, plan, now)
    emergency = Job(id="E1", location=Location(lat=36.083, lon=120.392), category="emergency",
                    skills={"plumbing": 1}, duration_s=60 * M, received_s=now, due_s=now + 30 * M)
    return apply(state, NewJob(at_s=now, job=emergency)).state


def _frozen_kept(before, after):
    now = before.now_s
    old = {(r.technician, v.job): v.start_s for r in before.plan.routes for v in r.visits if v.start_s < now}
    new = {(r.technician, v.job): v.start_s for r in after.plan.routes for v in r.visits}
    return all(new.get(k) == s for k, s in old.items())


def test_reoptimisation_is_verified_keeps_the_past_and_pays_for_its_churn():
    state = _small_day()
    update = replan(state, time_limit_s=5.0, solution_limit=60, churn_penalty_min=30)
    assert verify(update.problem, update.plan) == []
    assert _frozen_kept(state, update.state)
    old_cost = plan_cost(state.problem, state.plan)
    new_cost = plan_cost(update.problem, update.plan)
    moved = len(update.diff.moved)
    assert new_cost + moved * 30 <= old_cost + 1e-6
    # the emergency dispatched by the immediate answer stays with its technician unless it paid
    assert update.plan.visits_of("E1")


def test_a_huge_churn_penalty_keeps_the_published_plan():
    problem = make_problem([tech("T1"), tech("T2", x=40)],
                           [job("A", x=10), job("B", x=38), job("C", x=12)])
    # a poor plan: T1 crosses to B and back, T2 idles next to B
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 68 * M), ("C", 124 * M)])])
    state = DispatchState.start(problem, plan, 20 * M)
    kept = replan(state, churn_penalty_min=10_000, time_limit_s=2.0, solution_limit=30)
    assert len(kept.diff) == 0 and kept.state.plan is state.plan
    assert "plan kept" in kept.notes[0]
    moved = replan(state, churn_penalty_min=1, time_limit_s=2.0, solution_limit=30)
    assert verify(moved.problem, moved.plan) == []
    assert moved.diff.moved == ["B"] and moved.plan.route("T2").job_ids == ["B"]


def test_the_open_subproblem_starts_each_technician_where_and_when_it_is_free():
    problem = make_problem([tech("T1", max_jobs=3, max_work_s=5 * H, capacity=2, breaks=[(2 * H, 4 * H, 30 * M)])],
                           [job("A", x=10, demand=1), job("B", x=20), job("C", x=30)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 50 * M)])])
    state = DispatchState.start(problem, plan, 20 * M)
    sub, initial = open_subproblem(state)
    t1 = sub.technician("T1")
    assert t1.start == problem.job("A").location
    assert t1.shift_start_s == 40 * M                  # A in hand until 08:40
    assert (t1.max_jobs, t1.max_work_s, t1.capacity) == (2, 5 * H - 40 * M, 1)
    assert [j.id for j in sub.jobs] == ["B", "C"]     # C was unassigned: a re-plan may place it
    assert initial.route("T1").job_ids == ["B"]


def test_greedy_backend_replan():
    state = _small_day()
    update = replan(state, backend="greedy", time_limit_s=1.0)
    assert verify(update.problem, update.plan) == []
    assert _frozen_kept(state, update.state)


def test_a_focus_subproblem_leaves_out_unassigned_jobs_it_cannot_hold():
    # P is pinned to T2 and K needs a crew of 2: neither can be in a sub-problem of T1 alone
    # (Problem.replace rejects a pin to an absent technician and a crew bigger than the day)
    problem = make_problem([tech("T1"), tech("T2", x=40)],
                           [job("A", x=10), job("P", x=12, pinned_to="T2"),
                            job("K", x=14, crew_size=2), job("C", x=16)])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M)])],
                     {"P": "test: T2 full", "K": "test: no crew", "C": "test: not planned"})
    state = DispatchState.start(problem, plan, 20 * M)
    sub, initial = open_subproblem(state, {"T1"})
    assert [t.id for t in sub.technicians] == ["T1"]
    assert [j.id for j in sub.jobs] == ["C"]           # A is in hand; C is T1's to take
    assert {u.job for u in initial.unassigned} == {"C"}
    full, _ = open_subproblem(state)                    # with every technician all three are open
    assert {j.id for j in full.jobs} == {"P", "K", "C"}


def test_a_focused_replan_keeps_the_jobs_outside_the_focus_unassigned_with_their_reason():
    bs = [job(f"B{i}", x=38 - i) for i in range(5)]
    problem = make_problem([tech("T1"), tech("T2", x=40)],
                           [job("A", x=10), job("P", x=12, pinned_to="T2"),
                            job("K", x=14, crew_size=2), job("C", x=16)] + bs)
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M)]),
                               route(problem, "T2", [(f"B{i}", (30 + 40 * i) * M) for i in range(5)])],
                     {"P": "test: T2 full", "K": "test: no crew", "C": "test: not planned"})
    assert verify(problem, plan) == []
    state = DispatchState.start(problem, plan, 20 * M)
    # 8 open jobs > focus_jobs=4: T1 (nearest to the unassigned jobs) is re-optimised, T2's five
    # open jobs do not fit in the focus, so T2 keeps its route and P and K stay out
    from dispatchopt.live.replan import focus_technicians
    assert focus_technicians(state, 4) == {"T1"}
    update = replan(state, backend="greedy", time_limit_s=1.0, focus_jobs=4)
    assert verify(update.problem, update.plan) == []
    reasons = {u.job: u.reason for u in update.plan.unassigned}
    assert reasons["P"] == "test: T2 full" and reasons["K"] == "test: no crew"
    assert update.plan.route("T2").job_ids == [f"B{i}" for i in range(5)]
