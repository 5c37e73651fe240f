"""The VROOM backend: each hard rule on a tiny problem; crews fixed at their start; every plan
verifies (VROOM's order is re-timed by our forward pass)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.errors import ParameterError
from dispatchopt.solvers import SolveStatus, solve
from dispatchopt.solvers.vroom_backend import crew_fixes_of, polish, solve_vroom
from helpers import H, M, job, make_problem, tech

VALID = dt.date(2027, 12, 31)
EXPIRED = dt.date(2026, 1, 1)


def run(problem, **options):
    options.setdefault("deterministic", True)
    result = solve_vroom(problem, time_limit_s=5, exploration=options.pop("exploration", 2), **options)
    assert verify(problem, result.plan) == []
    planned = [v.job for r in result.plan.routes for v in r.visits]
    for job_id in set(planned):
        assert planned.count(job_id) == problem.job(job_id).crew_size
    assert set(planned) | {u.job for u in result.plan.unassigned} == {j.id for j in problem.jobs}
    return result


def crew_of(plan, job_id):
    return sorted(t for t, _ in plan.visits_of(job_id))


def test_rule_skill_level_goes_to_qualified_technician():
    problem = make_problem([tech("LOW", {"plumbing": 1}), tech("HIGH", {"plumbing": 3}, x=50)],
                           [job("J1", x=1, skills={"plumbing": 2})])
    assert crew_of(run(problem).plan, "J1") == ["HIGH"]


def test_rule_certificate_expired_technician_not_sent():
    problem = make_problem([tech("OLD", "electrical", certificates={"electrical": EXPIRED}),
                            tech("NEW", "electrical", x=40, certificates={"electrical": VALID})],
                           [job("J1", x=1, skills="electrical")])
    assert crew_of(run(problem).plan, "J1") == ["NEW"]


def test_rule_trainee_never_alone_but_joins_a_crew():
    problem = make_problem([tech("TR", trainee=True), tech("Q", x=2)],
                           [job("SOLO", x=1), job("CREW", x=1, crew_size=2)])
    plan = run(problem).plan
    assert crew_of(plan, "SOLO") == ["Q"]
    assert crew_of(plan, "CREW") == ["Q", "TR"]
    assert len({v.start_s for _, v in plan.visits_of("CREW")}) == 1


def test_rule_crew_kept_at_the_start_it_was_given():
    problem = make_problem([tech("A"), tech("B", x=20), tech("C", x=40)],
                           [job("J1", x=10, crew_size=2), job("J2", x=5)])
    fixed = {"J1": (2 * H, ("A", "B"))}
    plan = run(problem, fixed_crews=fixed).plan
    assert crew_of(plan, "J1") == ["A", "B"]
    assert {v.start_s for _, v in plan.visits_of("J1")} == {2 * H}
    assert crew_fixes_of(problem, plan)["J1"] == (2 * H, ("A", "B"))


def test_rule_crew_without_a_fixed_start_is_unassigned_with_reason():
    problem = make_problem([tech("A"), tech("B", x=20)], [job("J1", x=10, crew_size=2)])
    plan = run(problem, fixed_crews={}).plan
    assert [u.reason for u in plan.unassigned] == ["crew of 2 could not be formed at a common time"]


def test_rule_pinned_job_goes_to_its_technician():
    problem = make_problem([tech("NEAR"), tech("FAR", x=30)], [job("J1", x=1, pinned_to="FAR")])
    assert crew_of(run(problem).plan, "J1") == ["FAR"]


def test_rule_shift_gap_and_break_respected():
    jobs = [job(f"J{i}", x=2 + i, duration_min=50, due_s=10 * H) for i in range(6)]
    problem = make_problem([tech("T1", shifts=[(0, 3 * H), (4 * H, 8 * H)], breaks=[(5 * H, 6 * H, 30 * M)])],
                           jobs)
    plan = run(problem).plan
    for visit in plan.route("T1").visits:
        assert not (3 * H < visit.end_s and visit.start_s < 4 * H)


def test_rule_limits_max_jobs_capacity_max_work():
    problem = make_problem([tech("T1", max_jobs=2), tech("T2", x=1, capacity=3), tech("T3", x=2, max_work_s=2 * H)],
                           [job(f"J{i}", x=3, duration_min=40, demand=2, due_s=20 * H) for i in range(8)])
    plan = run(problem).plan
    assert len(plan.route("T1").visits) <= 2
    assert len(plan.route("T2").visits) <= 1


def test_emergency_is_kept_when_time_is_short():
    jobs = [job("S1", x=5, duration_min=200, category="standard"), job("S2", x=5, duration_min=200),
            job("E", x=5, duration_min=100, category="emergency")]
    plan = run(make_problem([tech("T1", shift=(0, 6 * H))], jobs)).plan
    assert "E" in plan.assigned_job_ids()


def test_dropped_job_is_repaired_in_late_rather_than_lost():
    # Held to its due (30 min) nobody can serve J2 on time; repair still plans it, late.
    jobs = [job("J1", x=10, duration_min=60, category="urgent"), job("J2", x=12, duration_min=10,
                                                                     category="urgent")]
    plan = run(make_problem([tech("T1")], jobs)).plan
    assert plan.assigned_job_ids() == {"J1", "J2"}


def test_exploration_out_of_range_is_a_parameter_error():
    problem = make_problem([tech("T1")], [job("J1", x=3)])
    with pytest.raises(ParameterError, match="exploration"):
        solve_vroom(problem, time_limit_s=1, exploration=9)


def test_solve_backend_vroom_records_its_name():
    problem = make_problem([tech("T1")], [job("J1", x=3)])
    result = solve(problem, backend="vroom", time_limit_s=2)
    assert result.status == SolveStatus.FEASIBLE
    assert result.plan.solver.backend == "vroom"
    assert result.plan.solver.objective == pytest.approx(6.0)
    assert verify(problem, result.plan) == []


def _random_problem(seed: int):
    rnd = random.Random(seed)
    techs = [tech(f"T{i}", {s: rnd.randint(1, 3) for s in rnd.sample(["plumbing", "electrical"], rnd.randint(1, 2))},
                  shifts=rnd.choice([[(0, 8 * H)], [(0, 3 * H), (4 * H, 8 * H)]]),
                  x=rnd.uniform(0, 40), y=rnd.uniform(0, 40),
                  breaks=rnd.choice([(), [(3 * H, 4 * H, 30 * M)]]),
                  certificates={"electrical": rnd.choice([VALID, EXPIRED])}, trainee=rnd.random() < 0.2,
                  max_jobs=rnd.choice([None, 4]), max_work_s=rnd.choice([None, 5 * H]))
             for i in range(rnd.randint(1, 4))]
    jobs = [job(f"J{j:02d}", rnd.uniform(0, 40), rnd.uniform(0, 40), {rnd.choice(["plumbing", "electrical"]): 1},
                rnd.choice([15, 30, 60]), category=rnd.choice(["emergency", "urgent", "standard"]),
                received_s=rnd.randint(0, 4 * H), crew_size=rnd.choice([1, 1, 1, 2]),
                window=rnd.choice([None, None, (2 * H, 4 * H)]))
            for j in range(rnd.randint(0, 12))]
    return make_problem(techs, jobs)


@pytest.mark.parametrize("seed", range(12))
def test_random_days_verify_clean_and_same_call_same_plan(seed):
    problem = _random_problem(seed)
    a = run(problem).plan
    b = run(problem).plan
    assert a.routes == b.routes and a.unassigned == b.unassigned


@pytest.mark.parametrize("seed", range(6))
def test_polish_verifies_clean_and_keeps_crews_at_their_start(seed):
    problem = _random_problem(seed)
    plan = run(problem).plan
    polished = polish(problem, plan, time_limit_s=None)
    assert verify(problem, polished) == []
    planned = [v.job for r in polished.routes for v in r.visits]
    assert set(planned) | {u.job for u in polished.unassigned} == {j.id for j in problem.jobs}
    for job_id, (start, members) in crew_fixes_of(problem, polished).items():
        assert crew_fixes_of(problem, plan).get(job_id, (start, members))[0] == start
