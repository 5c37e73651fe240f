"""A plan, a time or an event file that does not belong to its scenario: one line, exit 2,
found before anything is solved; ``replay`` refuses a folder holding an earlier replay."""

from __future__ import annotations

import json
import time

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve
from faultkit import SMALL, assert_one_line_error, run_cli

EMERGENCY = {"id": "E900", "location": {"lat": 36.085, "lon": 120.39}, "category": "emergency",
             "skills": {"plumbing": 1}, "duration_minutes": 60}


@pytest.fixture(scope="module")
def plan_json():
    problem = load_scenario(SMALL)
    result = solve(problem, backend="greedy", time_limit_s=5, seed=0)
    assert verify(problem, result.plan) == []
    return result.plan.to_json()


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _other_scenario(data):
    return {**data, "scenario": "north-district-2026-11-23"}


def _unknown_tech(data):
    routes = [dict(r) for r in data["routes"]]
    routes[0]["technician"] = "T-GHOST"
    return {**data, "routes": routes}


def _unknown_job(data):
    routes = [dict(r) for r in data["routes"]]
    route = next(r for r in routes if r["visits"])
    route["visits"] = [{**route["visits"][0], "job": "J-GHOST"}] + list(route["visits"][1:])
    return {**data, "routes": routes}


CASES = {
    "a JSON list": (lambda d: [d], "expected a JSON object (a plan), found a list"),
    "another scenario": (_other_scenario, "this plan is for scenario 'north-district-2026-11-23', not"),
    "unknown technician": (_unknown_tech, "technician id(s) not in scenario"),
    "unknown job": (_unknown_job, "job id(s) not in scenario"),
}


@pytest.mark.parametrize("command", ["verify", "kpi"])
@pytest.mark.parametrize("case", list(CASES))
def test_plan_that_does_not_belong(tmp_path, plan_json, command, case):
    change, needle = CASES[case]
    plan = _write(tmp_path, "plan.json", change(plan_json))
    proc = run_cli(command, str(SMALL), str(plan), timeout=60)
    line = assert_one_line_error(proc, "PLAN:", needle)
    assert "plan.json" in line
    assert proc.stdout == ""                           # no violation list, no KPI table


@pytest.mark.parametrize("case", ["another scenario", "unknown job"])
def test_insert_with_a_plan_that_does_not_belong(tmp_path, plan_json, case):
    change, needle = CASES[case]
    plan = _write(tmp_path, "plan.json", change(plan_json))
    job = _write(tmp_path, "job.json", EMERGENCY)
    out = tmp_path / "new.json"
    proc = run_cli("insert", str(SMALL), str(plan), "--job", str(job), "--now", "2026-11-23T10:40",
                   "--out", str(out), timeout=60)
    assert_one_line_error(proc, "PLAN:", needle)
    assert not out.exists()


def test_insert_now_outside_the_horizon(tmp_path, plan_json):
    plan = _write(tmp_path, "plan.json", plan_json)
    job = _write(tmp_path, "job.json", EMERGENCY)
    out = tmp_path / "new.json"
    proc = run_cli("insert", str(SMALL), str(plan), "--job", str(job), "--now", "2026-11-25T10:40",
                   "--out", str(out), timeout=60)
    assert_one_line_error(proc, "--now", "outside the horizon")
    assert not out.exists() and not (tmp_path / "new.scenario.yaml").exists()


def _events_with_bad_line(tmp_path, bad: dict):
    lines = [{"type": "new_job", "at": "2026-11-23T10:40", "job": EMERGENCY},
             {"type": "job_started", "at": "2026-11-23T11:00", "job": "E900"},
             {"type": "job_cancelled", "at": "2026-11-23T11:30", "job": "J34"}] * 1
    lines += [{"type": "job_completed", "at": "2026-11-23T12:00", "job": "E900"}]
    text = "# a day\n" + "\n".join(json.dumps(e) for e in lines) + "\n" + json.dumps(bad) + "\n"
    path = tmp_path / "events.jsonl"
    path.write_text(text, encoding="utf-8")
    return path, len(lines) + 2


@pytest.mark.parametrize("bad, needle", [
    ({"type": "job_completed", "at": "2026-11-23T15:00", "job": "J-GHOST"}, "is not a job of scenario"),
    ({"type": "technician_unavailable", "at": "2026-11-23T15:00", "technician": "T-GHOST"},
     "is not a technician of scenario"),
    ({"type": "job_cancelled", "at": "2026-11-26T09:00", "job": "J34"}, "outside the horizon"),
    ({"type": "new_job", "at": "2026-11-23T15:00", "job": EMERGENCY}, "already a job of the day"),
    ({"type": "teleport", "at": "2026-11-23T15:00"}, "unknown event type"),
])
def test_replay_finds_a_bad_event_deep_in_the_file_before_solving(tmp_path, bad, needle):
    events, line_no = _events_with_bad_line(tmp_path, bad)
    out = tmp_path / "replay"
    t0 = time.perf_counter()
    proc = run_cli("replay", str(SMALL), str(events), "--out", str(out), "--time-limit-s", "30",
                   timeout=60)
    assert_one_line_error(proc, f"events.jsonl: line {line_no}", needle)
    assert time.perf_counter() - t0 < 25                # the 30 s morning plan never started
    assert not out.exists()                             # nothing written
    assert proc.stdout == ""


def test_replay_refuses_a_folder_with_an_earlier_replay_and_force_replaces_it(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"type": "job_cancelled", "at": "2026-11-23T11:00", "job": "J34"}) + "\n")
    out = tmp_path / "replay"
    out.mkdir()
    stale = out / "plan_007_new_job.json"
    stale.write_text("{}")
    mine = out / "notes.txt"
    mine.write_text("keep me")
    args = ("replay", str(SMALL), str(events), "--out", str(out), "--backend", "greedy",
            "--reopt-time-limit-s", "0")
    proc = run_cli(*args, timeout=60)
    assert_one_line_error(proc, "holds an earlier replay", "--force")
    assert stale.read_text() == "{}" and not (out / "plan_000_initial.json").exists()

    proc = run_cli(*args, "--force", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists()                           # the earlier replay's file is gone
    assert mine.read_text() == "keep me"                # other files are left alone
    assert (out / "plan_000_initial.json").exists() and (out / "plan_001_job_cancelled.json").exists()
    assert (out / "kpis.json").exists()
