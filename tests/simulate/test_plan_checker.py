"""PlanChecker: the answer of verify on every plan of a simulated day, re-checking what changed."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import pytest

from dispatchopt.audit.verify import RULES, verify
from dispatchopt.scenario import problem_from_dict
from dispatchopt.simulate import DayParams, draw_day, replay_day
from dispatchopt.simulate import checking
from dispatchopt.simulate import replay as replay_module
from dispatchopt.simulate.checking import JOB_RULES, PLAN_RULES, ROUTE_RULES, PlanChecker
from dispatchopt.solvers import solve
from dispatchopt.synth import generate_scenario
from dispatchopt.travel import attach_matrix, matrix_of
from helpers import M, job, make_plan, make_problem, route, tech


@lru_cache(maxsize=None)
def _generated():
    problem = problem_from_dict(generate_scenario(6, 40, seed=1))
    return problem, solve(problem, backend="greedy").plan


def _tiny():
    problem = make_problem([tech("T1"), tech("T2", x=20)],
                           [job("A", x=10), job("B", x=20), job("E", x=5, category="emergency")])
    plan = make_plan(problem, [route(problem, "T1", [("A", 10 * M), ("B", 50 * M)]),
                               route(problem, "T2", [("E", 15 * M)])])
    return problem, plan


def test_every_rule_has_one_kind():
    assert set(RULES) == ROUTE_RULES | JOB_RULES | set(PLAN_RULES)
    assert not ROUTE_RULES & JOB_RULES and not (ROUTE_RULES | JOB_RULES) & set(PLAN_RULES)


@pytest.mark.parametrize("seed", [2, 5])
def test_the_checker_answers_as_verify_on_every_plan_of_a_day(monkeypatch, seed):
    problem, plan = _generated()
    seen = []
    answer = PlanChecker.__call__

    def both(self, p, pl):
        got = answer(self, p, pl)
        seen.append((got, verify(p, pl)))
        return got

    monkeypatch.setattr(replay_module.PlanChecker, "__call__", both)
    day = draw_day(problem, seed, DayParams(emergencies_per_hour=2.0, no_show_p=0.1, sick_p=0.3, cancel_p=0.05))
    executed = replay_day(problem, plan, day)
    assert len(seen) == executed.plans_verified == executed.events + 1 > 20
    assert all(got == expected for got, expected in seen)
    monkeypatch.undo()
    # the same day with verify on every plan: the same executed day
    assert replay_day(problem, plan, day, full_verify=True).kpis == executed.kpis


def test_a_route_broken_after_clean_plans_is_found_with_verify_s_list():
    problem, plan = _tiny()
    checker = PlanChecker()
    assert checker(problem, plan) == [] and checker(problem, plan) == []
    assert (checker.full_checks, checker.partial_checks) == (0, 2)
    # T1 now starts B before A's end: only T1's route changed
    broken = replace(plan, routes=(route(problem, "T1", [("A", 10 * M), ("B", 20 * M)]), plan.routes[1]))
    found = checker(problem, broken)
    assert found and found == verify(problem, broken) and checker.full_checks == 1
    assert {v.rule for v in found} >= {"overlap"}


def test_a_changed_job_or_technician_under_an_unchanged_route_is_checked_again():
    problem, plan = _tiny()
    checker = PlanChecker()
    assert checker(problem, plan) == []
    # A now needs a skill T1 lacks: the route object is the same, the job is not
    # (with the same matrix object, as the live engine carries it: else every route is re-checked)
    unskilled = attach_matrix(problem.replace(jobs=tuple(replace(j, skills={"gas": 1}) if j.id == "A" else j
                                                         for j in problem.jobs)), matrix_of(problem))
    assert [v.rule for v in checker(unskilled, plan)] == [v.rule for v in verify(unskilled, plan)]
    assert "skill" in {v.rule for v in verify(unskilled, plan)}
    # T1's shift now ends at 08:30, inside B's service: the technician changed
    short = attach_matrix(problem.replace(technicians=tuple(
        replace(t, shifts=(replace(t.shifts[0], end_s=30 * M),)) if t.id == "T1" else t
        for t in problem.technicians)), matrix_of(problem))
    assert checker(short, plan) == verify(short, plan) != []


def test_a_change_of_the_problem_s_fields_checks_every_route(monkeypatch):
    problem, plan = _tiny()
    checker = PlanChecker()
    timed = []
    monkeypatch.setattr(checking, "time_route", lambda p, r: timed.append(r.technician) or
                        checking.verify.__globals__["time_route"](p, r))
    assert checker(problem, plan) == [] and len(timed) == 2
    assert checker(problem, plan) == [] and len(timed) == 2          # nothing changed: nothing re-timed
    assert checker(problem.replace(end_s=problem.end_s - 60), plan) == [] and len(timed) == 4


def test_full_mode_is_verify():
    problem, plan = _tiny()
    checker = PlanChecker(full=True)
    assert checker(problem, plan) == [] and checker(problem, plan) == []
    assert (checker.full_checks, checker.partial_checks) == (2, 0)
