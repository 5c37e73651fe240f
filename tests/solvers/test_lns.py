"""solvers.lns.improve: ruin and recreate; iteration limits only, every plan through verify."""

from __future__ import annotations

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.objective import plan_cost
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers.construct import construct_plan
from dispatchopt.solvers.greedy import solve_greedy
from dispatchopt.solvers.lns import builder_from_plan, eject_unassigned, improve, relocate
from dispatchopt.synth import generate_scenario
from helpers import H, M, job, make_plan, make_problem, route, tech


def _clean(problem, plan):
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)
    return plan


def _digest(plan):
    return sorted((r.technician, v.job, v.start_s) for r in plan.routes for v in r.visits)


def test_improves_a_generated_day_deterministically():
    problem = problem_from_dict(generate_scenario(8, 80, seed=4, target_load=1.1))
    start = construct_plan(problem)
    better = _clean(problem, improve(problem, start, seed=3, max_iterations=60))
    assert plan_cost(problem, better) < plan_cost(problem, start)
    again = improve(problem, start, seed=3, max_iterations=60)
    assert _digest(again) == _digest(better)
    assert {u.job for u in better.unassigned} | better.assigned_job_ids() == {j.id for j in problem.jobs}


def test_improves_the_greedy_plan_and_never_returns_worse():
    problem = problem_from_dict(generate_scenario(6, 50, seed=9, target_load=1.0))
    greedy = solve_greedy(problem).plan
    out = _clean(problem, improve(problem, greedy, seed=0, max_iterations=40))
    assert plan_cost(problem, out) <= plan_cost(problem, greedy)
    assert improve(problem, greedy, deadline=0.0) is greedy       # no iteration: the input back


def test_crew_start_and_members_are_reoptimised():
    # The start plan has the crew job at 12:00 on T1 + T2, 4 h past its due time; an on-time
    # plan exists (both free from 08:00).
    techs = [tech("T1"), tech("T2"), tech("T3", x=50)]
    jobs = [job("JC", x=10, crew_size=2, category="drain_clearing"), job("J1", x=40), job("J2", x=45)]
    problem = make_problem(techs, jobs)
    start = make_plan(problem, [route(problem, "T1", [("JC", 4 * H)]), route(problem, "T2", [("JC", 4 * H)]),
                                route(problem, "T3", [("J1", 10 * M), ("J2", 45 * M)])])
    _clean(problem, start)
    out = _clean(problem, improve(problem, start, seed=1, max_iterations=30))
    (_, first), _ = out.visits_of("JC")
    assert first.start_s <= problem.job("JC").due_s
    assert plan_cost(problem, out) < plan_cost(problem, start)


def test_stops_when_nothing_improves():
    problem = make_problem([tech("T1")], [job("J1", x=5)])
    plan = construct_plan(problem)
    out = improve(problem, plan, patience=5)            # no limit but patience: it returns
    assert _digest(out) == _digest(plan)


def test_relocate_moves_a_visit_to_the_cheaper_route():
    # J2 (x=48) sits on T1 (x=0) although T2 (x=50) is next to it: relocate moves it there.
    problem = make_problem([tech("T1"), tech("T2", x=50)], [job("J1", x=2), job("J2", x=48)])
    plan = make_plan(problem, [route(problem, "T1", [("J1", 2 * M), ("J2", 78 * M)])])
    builder = builder_from_plan(problem, plan)
    before = sum(r.cost for r in builder.routes.values())
    assert relocate(builder) == 1
    assert [j for j, _ in builder.routes["T2"].items] == ["J2"]
    assert sum(r.cost for r in builder.routes.values()) < before - 80
    out = _clean(problem, builder.to_plan({}, plan.solver))
    assert out.route("T1").job_ids == ["J1"] and plan_cost(problem, out) < plan_cost(problem, plan)
    assert relocate(builder) == 0                     # nothing left to gain


def test_local_search_on_and_off_both_clean_and_deterministic():
    problem = problem_from_dict(generate_scenario(8, 80, seed=5, target_load=1.0))
    start = construct_plan(problem)
    for flag in (True, False):
        plan = _clean(problem, improve(problem, start, seed=1, max_iterations=40, local_search=flag))
        assert plan_cost(problem, plan) <= plan_cost(problem, start)
        assert _digest(plan) == _digest(improve(problem, start, seed=1, max_iterations=40,
                                                local_search=flag))


def test_eject_unassigned_makes_room_on_the_only_qualified_route():
    # Only T1 has gas; JS (plumbing, 90 min) fills T1's 2 h shift so JG stays out. Ejecting JS
    # to T2 plans both.
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 2 * H))
    t2 = tech("T2", ("plumbing",), x=10, shift=(0, 2 * H))
    jobs = [job("JS", x=1, duration_min=90), job("JG", x=2, skills="gas", duration_min=60)]
    problem = make_problem([t1, t2], jobs, certificate_required=())
    plan = make_plan(problem, [route(problem, "T1", [("JS", 1 * M)])])
    builder = builder_from_plan(problem, plan)
    assert eject_unassigned(builder, ["JG"]) == 1
    assert [j for j, _ in builder.routes["T1"].items] == ["JG"]
    assert [j for j, _ in builder.routes["T2"].items] == ["JS"]
    out = _clean(problem, builder.to_plan({}, plan.solver))
    assert out.unassigned == () and plan_cost(problem, out) < plan_cost(problem, plan)
    assert eject_unassigned(builder, []) == 0


def test_a_reachable_emergency_on_time_comes_before_the_cost():
    # Only T1 holds gas. Serving the standard job S first (its window closes at 10 min) leaves the
    # emergency E 11 min late: 5,500 of lateness, cheaper than leaving S out (10,000). The search
    # puts E on time anyway (reachable emergencies not on time are its first key) and S goes out.
    t1 = tech("T1", ("gas", "plumbing"), shift=(0, 4 * H))
    jobs = [job("S", x=1, skills="gas", duration_min=60, window=(0, 10 * M)),
            job("E", x=1, skills="gas", duration_min=30, category="emergency", due_s=50 * M)]
    problem = make_problem([t1], jobs, certificate_required=())
    start = make_plan(problem, [route(problem, "T1", [("S", 1 * M), ("E", 61 * M)])])
    _clean(problem, start)
    out = _clean(problem, improve(problem, start, seed=0, max_iterations=30))
    (_, visit), = out.visits_of("E")
    assert visit.start_s <= problem.job("E").due_s
    assert [u.job for u in out.unassigned] == ["S"]
    assert plan_cost(problem, out) > plan_cost(problem, start)        # dearer, and still preferred
