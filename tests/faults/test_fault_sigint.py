"""Ctrl-C (SIGINT) in a subprocess, sent once the command says it started: exit 130, one line,
no traceback; ``solve`` writes a verified plan; ``batch`` keeps every finished record and a
re-run resumes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.plan import Plan
from dispatchopt.scenario import load_scenario
from faultkit import ROOT, SMALL, assert_one_line_error

CITY = ROOT / "scenarios" / "city_day.yaml"


def _start(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dispatchopt", *argv], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(proc: subprocess.Popen, prefix: str, timeout_s: float = 60) -> list[str]:
    """Lines of stdout up to the first starting with ``prefix`` (the process is killed on a timeout)."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(prefix):
            return lines
    proc.kill()
    pytest.fail(f"never printed {prefix!r}: {lines}")


def _interrupt(proc: subprocess.Popen, timeout_s: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    proc.send_signal(signal.SIGINT)
    t0 = time.perf_counter()
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, time.perf_counter() - t0


def test_solve_interrupted_writes_a_verified_plan_and_exits_130(tmp_path):
    out = tmp_path / "plan.json"
    proc = _start("solve", str(CITY), "--backend", "ortools", "--time-limit-s", "60", "--out", str(out))
    _wait_for(proc, "solving ")
    time.sleep(2.0)
    done, after_s = _interrupt(proc)
    assert_one_line_error(done, "interrupted after", "verified", str(out), code=130)
    assert after_s < 15                              # not the 60 s limit
    assert "status:" not in done.stdout              # no KPI summary of a solve that did not end
    problem = load_scenario(CITY)
    assert verify(problem, Plan.load(problem, out)) == []


BUSY_DAY = ROOT / "scenarios" / "bench" / "day_40x300_load0.9.yaml"


@pytest.mark.slow
def test_solve_interrupted_hands_back_the_searchs_best_plan(tmp_path):
    """Ctrl-C at ~4 s of a 30 s portfolio search on a busy 40 x 300 day: the search stops and its
    best plan so far (not the greedy one) is verified and written; the process ends in seconds."""
    out = tmp_path / "plan.json"
    proc = _start("solve", str(BUSY_DAY), "--backend", "portfolio", "--time-limit-s", "30", "--out", str(out))
    _wait_for(proc, "solving ")
    time.sleep(4.0)
    done, after_s = _interrupt(proc)
    assert_one_line_error(done, "interrupted after", "wrote the best plan found so far", "verified",
                          str(out), code=130)
    assert after_s < 15                              # generous: the machine may be loaded (2-4.7 s at load 9)
    problem = load_scenario(BUSY_DAY)
    plan = Plan.load(problem, out)
    assert verify(problem, plan) == []
    assert plan.solver.backend.startswith("portfolio:")
    assert f"({len(plan.assigned_job_ids())} of {len(problem.jobs)} jobs" in done.stderr


def test_solve_interrupted_without_out_writes_nothing(tmp_path):
    proc = _start("solve", str(CITY), "--backend", "ortools", "--time-limit-s", "60", "--csv", str(tmp_path / "t"))
    _wait_for(proc, "solving ")
    time.sleep(1.0)
    done, _ = _interrupt(proc)
    assert_one_line_error(done, "interrupted after", "no plan written", code=130)
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_interrupted_keeps_finished_records_and_resumes(tmp_path, workers):
    out = tmp_path / "b"
    argv = ("batch", str(SMALL), "--backend", "greedy", "--backend", "ortools", "--seeds", "0,1,2",
            "--time-limit-s", "20", "--workers", workers, "--out", str(out))
    proc = _start(*argv)
    # the greedy runs end at once; interrupt once one is recorded (the ortools runs take 20 s)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((out / "runs").glob("*greedy*.json")):
        time.sleep(0.1)
    done, after_s = _interrupt(proc)
    assert_one_line_error(done, "interrupted", "recorded in", "re-run the same command", code=130)
    assert after_s < 25
    recorded = sorted(p.name for p in (out / "runs").glob("*.json"))
    assert recorded and len(recorded) < 6
    for path in (out / "runs").glob("*.json"):          # every record whole, none partial
        record = json.loads(path.read_text())
        assert record["row"]["status"] != "error", record
    assert not list((out / "runs").glob(".*.tmp"))
    results = (out / "results.csv").read_text().splitlines()
    assert len(results) == 1 + len(recorded)             # results.csv rewritten from the records

    # resumed: nothing recorded is redone, the rest is (greedy only here, for time)
    again = subprocess.run([sys.executable, "-m", "dispatchopt", "batch", str(SMALL), "--backend", "greedy",
                            "--seeds", "0,1,2", "--time-limit-s", "20", "--workers", "1", "--out", str(out)],
                           cwd=ROOT, text=True, capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr
    n_greedy_before = sum("greedy" in name for name in recorded)
    assert f"3 runs ({n_greedy_before} already recorded)" in again.stdout


def _children(pid: int) -> set[int]:
    try:
        text = open(f"/proc/{pid}/task/{pid}/children").read()
    except OSError:
        return set()
    return {int(x) for x in text.split()}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_batch_workers_end_when_the_parent_is_killed(tmp_path):
    out = tmp_path / "b"
    proc = _start("batch", str(SMALL), "--backend", "ortools", "--seeds", "0,1", "--time-limit-s", "30",
                  "--workers", "2", "--out", str(out))
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 3:    # two workers and the resource tracker
        time.sleep(0.2)
        workers = _children(proc.pid)
    assert workers, "no worker processes seen"
    time.sleep(3.0)                                            # the workers are solving now
    proc.kill()
    proc.communicate(timeout=30)                               # pipes close: no worker holds them
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)
    # a run may have finished before the kill (the search stops early when it stalls): its record
    # is kept, and it is whole (records are written to a hidden temporary file and renamed)
    runs_dir = out / "runs"
    for record in (runs_dir.glob("*.json") if runs_dir.exists() else []):
        assert json.loads(record.read_text())["row"]["status"], record
