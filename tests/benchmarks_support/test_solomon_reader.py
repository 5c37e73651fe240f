"""benchmarks/solomon.py: the Solomon reader, DIMACS distances and the independent route check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import make_plan

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.timing.schedule import build_route
from dispatchopt.travel import matrix_of

REPO = Path(__file__).resolve().parents[2]
C101 = REPO.parent / "shared" / "benchmarks" / "solomon" / "C101.txt"


def _load_solomon():
    if "solomon" in sys.modules:
        return sys.modules["solomon"]
    spec = importlib.util.spec_from_file_location("solomon", REPO / "benchmarks" / "solomon.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["solomon"] = module
    spec.loader.exec_module(module)
    return module


solomon = _load_solomon()
needs_data = pytest.mark.skipif(not C101.is_file(), reason=f"Solomon data not found at {C101}")


@needs_data
def test_read_c101_sizes_and_conventions():
    problem = solomon.read_solomon(C101)
    assert problem.name == "C101"
    assert len(problem.jobs) == 100
    assert len(problem.technicians) == 25
    assert {t.capacity for t in problem.technicians} == {200}
    assert problem.end_s == 1236 * 60
    first = problem.job("1")  # 1: x 45, y 68, demand 10, ready 912, due 967, service 90
    assert (first.location.x, first.location.y, first.demand) == (45.0, 68.0, 10)
    assert (first.window.start_s, first.window.end_s, first.duration_s) == (912 * 60, 967 * 60, 90 * 60)
    assert first.due_s == problem.end_s and problem.objective.late_minute == 0
    tech = problem.technicians[0]
    assert (tech.shift_start_s, tech.shift_end_s) == (0, 1236 * 60)
    assert problem.travel.dimacs and problem.travel.speed_kmh == 1.0


@needs_data
def test_travel_seconds_are_truncated_distance_times_60():
    problem = solomon.read_solomon(C101)
    inst = solomon.parse_solomon(C101)
    matrix = matrix_of(problem)
    points = [problem.technicians[0].start] + [job.location for job in problem.jobs]
    rows = [matrix.index(p) for p in points]
    assert np.array_equal(matrix.seconds[np.ix_(rows, rows)], inst.tenths() * 6)
    # depot (40, 50) -> customer 1 (45, 68): sqrt(349) = 18.68... -> 18.6
    assert inst.tenths()[0, 1] == 186


@needs_data
def test_plan_distance_matches_the_independent_check():
    problem = solomon.read_solomon(C101)
    inst = solomon.parse_solomon(C101)
    # a cluster of C101 served in window order by one vehicle
    seq = [5, 3, 7, 8, 10, 11, 9, 6, 4, 2, 1]
    clock, place, starts = 0, 0, []
    for c in seq:
        clock = max(clock + int(inst.tenths()[place, c]) * 6, int(inst.ready[c]) * 60)
        starts.append((str(c), clock))
        clock, place = clock + int(inst.service[c]) * 60, c
    route = build_route(problem, "V01", starts)
    violations = verify(problem, make_plan(problem, [route]))
    assert violations == [], format_violations(violations)
    check = solomon.check_routes(inst, [seq])
    assert check.problems[-1].startswith("89 customers not served")
    assert len(check.problems) == 1
    legs = [0] + seq + [0]
    expected = sum(int(inst.tenths()[a, b]) for a, b in zip(legs, legs[1:]))
    assert check.distance_tenths == expected
    reported = sum(v.distance_m for v in route.visits) + route.ret.distance_m
    assert round(reported / 100) == expected  # metres / 1000 = units; units * 10 = tenths


@needs_data
def test_check_routes_flags_capacity_window_and_duplicates():
    inst = solomon.parse_solomon(C101)
    everyone = list(range(1, 101))
    check = solomon.check_routes(inst, [everyone])
    assert not check.feasible
    assert any("over capacity" in p for p in check.problems)
    assert any("after its due" in p for p in check.problems)
    twice = solomon.check_routes(inst, [[5], [5]] + [[c] for c in range(1, 101) if c != 5])
    assert any("served twice" in p for p in twice.problems)


def test_bad_file_names_file_and_line(tmp_path):
    bad = tmp_path / "BAD.txt"
    bad.write_text("BAD\n\nVEHICLE\nNUMBER CAPACITY\n 25 200\n\nCUSTOMER\n 0 40 50 0 0 1236\n")
    with pytest.raises(ValueError, match=r"BAD\.txt: line 8: expected 7 customer fields"):
        solomon.parse_solomon(bad)
