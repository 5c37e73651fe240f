"""Output paths and CLI numbers are checked before any work starts: one line, exit 2."""

from __future__ import annotations

import os

import pytest

from faultkit import SMALL, assert_one_line_error, run_cli


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("x")
    return f


def out_cases(tmp_path, a_file):
    return {
        "proc": (["--out", "/proc/version"], "/proc"),
        "under_file": (["--out", str(a_file / "plan.json")], "is a file"),
        "out_is_dir": (["--out", str(tmp_path)], "is a directory"),
        "csv_onto_file": (["--csv", str(a_file)], "is a file"),
    }


@pytest.mark.parametrize("case", ["proc", "under_file", "out_is_dir", "csv_onto_file"])
def test_solve_bad_output_path_is_refused_before_solving(tmp_path, a_file, small, case):
    flags, needle = out_cases(tmp_path, a_file)[case]
    proc = run_cli("solve", str(small), "--time-limit-s", "600", *flags, timeout=60)
    assert_one_line_error(proc, needle, flags[1])
    assert proc.stdout == ""                      # nothing solved, no KPI table
    assert a_file.read_text() == "x"              # nothing overwritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_solve_out_without_write_permission(tmp_path, small):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        proc = run_cli("solve", str(small), "--out", str(locked / "plan.json"), timeout=60)
        assert_one_line_error(proc, "no permission")
        assert not (locked / "plan.json").exists()
    finally:
        locked.chmod(0o700)


def test_batch_out_onto_a_file(a_file, small):
    proc = run_cli("batch", str(small), "--out", str(a_file), "--time-limit-s", "600", timeout=60)
    assert_one_line_error(proc, "is a file", str(a_file))
    assert a_file.read_text() == "x"


@pytest.mark.parametrize("flag, value", [
    ("--time-limit-s", "nan"), ("--time-limit-s", "inf"), ("--time-limit-s", "1e12"),
    ("--time-limit-s", "0"), ("--time-limit-s", "-1"), ("--seed", "-1"), ("--seed", "1e3"),
])
def test_solve_numbers_finite_and_in_range(tmp_path, small, flag, value):
    proc = run_cli("solve", str(small), flag, value, "--out", str(tmp_path / "p.json"), timeout=60)
    assert_one_line_error(proc, flag, repr(value))
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("flag, value", [
    ("--seeds", "0,-1"), ("--seeds", "nan"), ("--workers", "0"), ("--workers", "-1"),
    ("--workers", "1e12"), ("--solution-limit", "0"), ("--solution-limit", "1000000000000"),
    ("--time-limit-s", "inf"),
])
def test_batch_numbers_finite_and_in_range(tmp_path, small, flag, value):
    proc = run_cli("batch", str(small), "--out", str(tmp_path / "b"), flag, value, timeout=60)
    assert_one_line_error(proc, flag)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("flag, value", [
    ("--reopt-time-limit-s", "nan"), ("--reopt-time-limit-s", "-1"), ("--reopt-time-limit-s", "inf"),
    ("--churn-penalty-min", "nan"), ("--time-limit-s", "0"),
])
def test_replay_numbers_finite_and_in_range(tmp_path, small, flag, value):
    events = tmp_path / "e.jsonl"
    events.write_text("")
    proc = run_cli("replay", str(small), str(events), "--out", str(tmp_path / "r"), flag, value, timeout=60)
    assert_one_line_error(proc, flag)
    assert not (tmp_path / "r").exists()


def test_executor_ray_without_ray_names_the_extra(tmp_path, small):
    proc = run_cli("batch", str(small), "--out", str(tmp_path / "b"), "--executor", "ray",
                   prelude="import sys; sys.modules['ray'] = None   # as if Ray were not installed",
                   timeout=60)
    assert_one_line_error(proc, "pip install 'dispatchopt[ray]'")
    assert not (tmp_path / "b").exists()


@pytest.fixture
def small():
    return SMALL


def test_unreachable_ray_address_is_one_line_within_the_timeout(tmp_path, small):
    import time

    pytest.importorskip("ray")
    t0 = time.perf_counter()
    proc = run_cli("batch", str(small), "--out", str(tmp_path / "b"), "--executor", "ray",
                   "--ray-address", "127.0.0.1:1", "--ray-timeout-s", "2", timeout=90)
    assert_one_line_error(proc, "127.0.0.1:1", "no Ray cluster reachable within 2 s")
    assert time.perf_counter() - t0 < 60
    assert not (tmp_path / "b" / "runs").exists()


def test_ray_client_address_is_refused_with_a_reason(tmp_path, small):
    pytest.importorskip("ray")
    proc = run_cli("batch", str(small), "--out", str(tmp_path / "b"), "--executor", "ray",
                   "--ray-address", "ray://127.0.0.1:1", "--ray-timeout-s", "2", timeout=90)
    line = assert_one_line_error(proc, "ray://127.0.0.1:1")
    assert "pip install 'ray[client]'" in line or "no Ray cluster reachable" in line


def test_ray_address_without_the_ray_executor_is_refused(tmp_path, small):
    proc = run_cli("batch", str(small), "--out", str(tmp_path / "b"), "--ray-address", "auto", timeout=60)
    assert_one_line_error(proc, "--ray-address", "--executor ray")


@pytest.mark.parametrize("command", ["solve", "batch"])
def test_backend_pyvrp_without_pyvrp_names_the_package(tmp_path, small, command):
    out = tmp_path / ("p.json" if command == "solve" else "b")
    proc = run_cli(command, str(small), "--backend", "pyvrp", "--out", str(out),
                   prelude="import sys; sys.modules['pyvrp'] = None   # as if PyVRP were not installed",
                   timeout=60)
    assert_one_line_error(proc, "--backend pyvrp", "pip install pyvrp")
    assert not out.exists()


def test_backend_pyvrp_on_a_day_with_breaks_is_one_line_before_solving(tmp_path, small):
    proc = run_cli("solve", str(small), "--backend", "pyvrp", "--out", str(tmp_path / "p.json"), timeout=60)
    assert_one_line_error(proc, "--backend pyvrp", "not plain routing", "break rule", "--backend auto")
    assert proc.stdout == "" and not (tmp_path / "p.json").exists()
