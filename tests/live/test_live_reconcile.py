"""reconcile.relaxations: the frozen past as executed wins over the limits it breaks.

Each case builds a technician's frozen past by hand, shows what the verifier says of it
against the original Problem, and that the Problem relaxed as ``relaxations`` says verifies it.
One coordinate unit = one minute; time 0 = 08:00.
"""

from __future__ import annotations

from dataclasses import replace

from dispatchopt.audit.verify import verify
from dispatchopt.domain import Window
from dispatchopt.live.reconcile import Relaxation, relaxations
from dispatchopt.live.techplan import TechPlan, frozen_base
from dispatchopt.timing.forward import TechContext
from helpers import H, M, job, make_plan, make_problem, route, tech


def _frozen(problem, starts, departure_s, breaks=()):
    ctx = TechContext(problem, problem.technician("T1"))
    base = frozen_base(problem, ctx, starts, breaks, departure_s, 0)
    return TechPlan("T1", tuple(starts), tuple(breaks), departure_s, None, (), (), base, ())


def _relaxed(problem, relax):
    jobs = {j.id: j for j in relax.jobs}
    new = problem.replace(jobs=tuple(jobs.get(j.id, j) for j in problem.jobs))
    if relax.tech_changes:
        t1 = replace(new.technician("T1"), **relax.tech_changes)
        new = new.replace(technicians=tuple(t1 if t.id == "T1" else t for t in new.technicians))
    return new


def _rules(problem, starts, departure_s, breaks=()):
    plan = make_plan(problem, [route(problem, "T1", starts, breaks, departure_s)])
    return sorted({v.rule for v in verify(problem, plan)})


def test_a_past_within_the_rules_needs_no_relaxation():
    problem = make_problem([tech("T1", shift=(0, 4 * H))], [job("A", x=10, window=(0, H))])
    starts = [("A", 10 * M)]
    assert _rules(problem, starts, 0) == []
    assert relaxations(problem, _frozen(problem, starts, 0)) == Relaxation()


def test_a_late_start_widens_the_window_and_an_overrun_extends_the_working_time():
    problem = make_problem([tech("T1", shift=(0, H))],
                           [job("A", x=10, duration_min=60, window=(0, 20 * M))])
    starts = [("A", 30 * M)]                        # started 10 min after the window closed
    assert _rules(problem, starts, 20 * M) == ["shift", "window"]
    relax = relaxations(problem, _frozen(problem, starts, 20 * M))
    (late,) = relax.jobs
    assert late.window == Window(0, 30 * M)
    assert any("after its window end" in note for note in relax.notes)
    assert any("working time extended" in note for note in relax.notes)
    assert _rules(_relaxed(problem, relax), starts, 20 * M) == []


def test_a_break_the_work_in_hand_kept_from_is_taken_late():
    problem = make_problem([tech("T1", shift=(0, 4 * H), breaks=[(0, 20 * M, 15 * M)])],
                           [job("A", x=10, duration_min=60)])
    starts = [("A", 10 * M)]                        # works through the break's latest start
    assert _rules(problem, starts, 0) == ["break"]
    relax = relaxations(problem, _frozen(problem, starts, 0))
    (rule,) = relax.tech_changes["breaks"]
    assert rule.latest_s == 70 * M                  # right after the work in hand
    assert any("taken late" in note for note in relax.notes)
    # the break taken right after the work is then within the rules
    assert _rules(_relaxed(problem, relax), starts, 0, [(70 * M, 85 * M)]) == []
