"""solve_pyvrp(stop=...) and the send rule in the plain-routing test. Stops are counted calls
(PyVRP asks its stopping criterion once per iteration), never wall time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.solvers.pyvrp_backend import plain_routing_issues, solve_pyvrp
from helpers import H, job, make_problem, tech
from helpers import AfterCalls

pytest.importorskip("pyvrp")

C101 = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "solomon" / "C101.txt"


@pytest.mark.skipif(not C101.is_file(), reason=f"Solomon data not found at {C101}")
def test_stop_after_some_iterations_returns_a_verified_plan():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import solomon

    problem = solomon.read_solomon(C101)
    stop = AfterCalls(200)
    result = solve_pyvrp(problem, time_limit_s=300.0, stop=stop)
    assert result.stats.extra["stopped"] is True
    assert 200 <= stop.calls <= 202             # asked once per iteration (+ the "stopped" figure)
    assert result.stats.iterations is not None and result.stats.iterations < 300
    assert verify(problem, result.plan) == []
    assert sum(len(r.visits) for r in result.plan.routes) + len(result.plan.unassigned) == 100


def test_a_job_received_after_the_first_shift_start_is_not_plain_unless_anticipated():
    techs = [tech("T1", shift=(0, 8 * H))]
    problem = make_problem(techs, [job("J1", x=3, received_s=0), job("J2", x=5, received_s=2 * H)])
    issues = plain_routing_issues(problem)
    assert any("J2" in issue and "received after the first shift start" in issue for issue in issues)
    assert not any("J1" in issue for issue in issues)
    assert not any("received" in issue for issue in plain_routing_issues(problem.replace(anticipate_jobs=True)))
