"""The command line: exit codes 0/1/2, one-line errors, files written, python -m dispatchopt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dispatchopt.cli import main


TINY = """\
name: tiny
timezone: UTC
start: 2026-11-23T08:00
travel: {model: euclidean, speed_kmh: 0.5}
technicians:
  - id: T01
    skills: {plumbing: 1}
    shift: {start: "08:00", end: "17:00"}
    start: {x: 0, y: 0}
  - id: T02
    skills: {plumbing: 2}
    shift: {start: "08:00", end: "17:00"}
    start: {x: 10, y: 0}
jobs:
  - id: J1
    location: {x: 3, y: 4}
    category: standard
    skills: {plumbing: 1}
    duration_minutes: 30
    received_at: 2026-11-23T07:00
  - id: J2
    location: {x: 8, y: 1}
    category: urgent
    skills: {plumbing: 2}
    duration_minutes: 45
    received_at: 2026-11-23T07:30
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_help_exits_0_and_lists_every_command(capsys):
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for command in ("solve", "verify", "kpi", "batch", "whatif", "insert", "replay", "generate"):
        assert f"    {command} " in listed, command


def test_bad_usage_exits_2(capsys):
    assert main(["solve"]) == 2                      # SCENARIO missing
    assert main(["batch", "x.yaml", "--seeds", "a,b", "--out", "r"]) == 2
    assert "--seeds" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["solve"], ["verify"], ["kpi"]])
def test_missing_scenario_exits_2_with_one_line(tmp_path, capsys, command):
    missing = tmp_path / "nope.yaml"
    argv = command + [str(missing)] + ([str(tmp_path / "plan.json")] if command != ["solve"] else [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = _error_lines(captured.err)
    assert len(lines) == 1
    assert lines[0].startswith("dispatchopt: error: ")
    assert "nope.yaml" in lines[0]
    assert "Traceback" not in captured.err


NEW_JOBS = [{"id": "J3", "location": {"x": 5, "y": 5}, "category": "urgent", "skills": {"plumbing": 1},
             "duration_minutes": 20},
            {"id": "J4", "location": {"x": 5, "y": 5}, "category": "standard", "skills": {"gas": 1},
             "duration_minutes": 20}]


def test_insert_places_a_job_reports_an_unplaceable_one_and_writes_a_verified_plan(tiny, tmp_path, capsys):
    from dispatchopt.audit.verify import verify
    from dispatchopt.plan import Plan
    from dispatchopt.scenario import load_scenario

    plan = tmp_path / "plan.json"
    assert main(["solve", str(tiny), "--backend", "greedy", "--out", str(plan)]) == 0
    job = tmp_path / "jobs.json"
    job.write_text(json.dumps(NEW_JOBS), encoding="utf-8")
    out = tmp_path / "new.json"
    capsys.readouterr()
    code = main(["insert", str(tiny), str(plan), "--job", str(job), "--now", "2026-11-23T09:00",
                 "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "now 2026-11-23T09:00; 2 job(s) inserted" in text
    assert "J3 (urgent): T01 arrives" in text
    assert "J4 (standard): NOT PLACED: no technician has the gas skill" in text
    problem = load_scenario(out.with_name("new.scenario.yaml"))
    new_plan = Plan.load(problem, out)
    assert verify(problem, new_plan) == []
    assert new_plan.assigned_job_ids() == {"J1", "J2", "J3"}
    assert [u.job for u in new_plan.unassigned] == ["J4"]


def test_insert_into_a_plan_that_does_not_verify_exits_1_and_writes_nothing(tiny, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    assert main(["solve", str(tiny), "--backend", "greedy", "--out", str(plan)]) == 0
    data = json.loads(plan.read_text(encoding="utf-8"))
    visit = next(v for route in data["routes"] for v in route["visits"])
    visit.update(arrival="2026-11-23T05:00", start="2026-11-23T05:00", end="2026-11-23T05:30")
    plan.write_text(json.dumps(data), encoding="utf-8")
    job = tmp_path / "job.json"
    job.write_text(json.dumps(NEW_JOBS[0]), encoding="utf-8")
    out = tmp_path / "new.json"
    capsys.readouterr()
    assert main(["insert", str(tiny), str(plan), "--job", str(job), "--now", "2026-11-23T09:00",
                 "--out", str(out)]) == 1
    assert "nothing inserted" in capsys.readouterr().out
    assert not out.exists()


def test_a_parameter_error_exits_2_with_one_line_and_a_solver_error_keeps_its_traceback(
        tiny, monkeypatch, capsys):
    from dispatchopt.cli import solve as solve_command
    from dispatchopt.errors import ParameterError, SolverError

    def refuse(problem, **options):
        raise ParameterError(f"time_limit_s: the greedy backend cannot honour {options['time_limit_s']!r}")

    monkeypatch.setattr(solve_command, "solve", refuse)
    assert main(["solve", str(tiny), "--backend", "greedy", "--time-limit-s", "7"]) == 2
    lines = _error_lines(capsys.readouterr().err)
    assert lines == ["dispatchopt: error: time_limit_s: the greedy backend cannot honour 7.0"]

    def crash(problem, **options):
        raise SolverError("backend crashed")

    monkeypatch.setattr(solve_command, "solve", crash)
    with pytest.raises(SolverError, match="backend crashed"):
        main(["solve", str(tiny), "--backend", "greedy"])


def test_unknown_scenario_key_exits_2_and_names_it(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY + "colour: blue\n", encoding="utf-8")
    assert main(["solve", str(bad), "--backend", "greedy"]) == 2
    captured = capsys.readouterr()
    lines = _error_lines(captured.err)
    assert len(lines) == 1
    assert lines[0].startswith("dispatchopt: error: ")
    assert "colour" in lines[0]
    assert "Traceback" not in captured.err


def test_solve_greedy_writes_a_plan_that_loads(tiny, tmp_path, capsys):
    from dispatchopt.plan import Plan
    from dispatchopt.scenario import load_scenario

    out = tmp_path / "out" / "plan.json"
    csv_dir = tmp_path / "tables"
    code = main(["solve", str(tiny), "--backend", "greedy", "--time-limit-s", "5",
                 "--out", str(out), "--csv", str(csv_dir)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "status:" in captured.out
    plan = Plan.load(load_scenario(tiny), out)
    assert plan.assigned_job_ids() | {u.job for u in plan.unassigned} == {"J1", "J2"}
    assert plan.kpis is not None and "on_time_rate" in plan.kpis
    for name in ("visits.csv", "unassigned.csv", "kpis.csv"):
        assert (csv_dir / name).is_file()


def test_verify_and_kpi_of_a_solved_plan(tiny, tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert main(["solve", str(tiny), "--backend", "greedy", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["verify", str(tiny), str(out)]) == 0
    assert capsys.readouterr().out.strip() == "OK"
    assert main(["kpi", str(tiny), str(out)]) == 0
    assert "on_time" in capsys.readouterr().out


def test_verify_of_a_tampered_plan_exits_1(tiny, tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert main(["solve", str(tiny), "--backend", "greedy", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    visits = [v for route in data["routes"] for v in route["visits"]]
    assert visits, "the greedy backend planned nothing on the tiny scenario"
    # Service before the job was received (07:00) and before the shift (08:00): two hard rules.
    visits[0].update(arrival="2026-11-23T05:00", start="2026-11-23T05:00", end="2026-11-23T05:30")
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(tiny), str(tampered)]) == 1
    assert "violation" in capsys.readouterr().out


def test_malformed_plan_exits_2(tiny, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text("{not json", encoding="utf-8")
    assert main(["verify", str(tiny), str(plan)]) == 2
    lines = _error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "plan.json" in lines[0]


def test_python_m_dispatchopt():
    proc = subprocess.run([sys.executable, "-m", "dispatchopt", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("dispatchopt ")


def test_generate_writes_a_scenario_that_loads(tmp_path, capsys):
    from dispatchopt.scenario import load_scenario

    out = tmp_path / "gen.yaml"
    assert main(["generate", "--technicians", "3", "--jobs", "8", "--seed", "1", "--out", str(out)]) == 0
    problem = load_scenario(out)
    assert (len(problem.technicians), len(problem.jobs)) == (3, 8)
    assert main(["generate", "--technicians", "3", "--jobs", "8", "--out", str(tmp_path / "gen.txt")]) == 2
    assert ".txt" in capsys.readouterr().err


def test_batch_runs_every_seed_and_writes_results(tiny, tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["batch", str(tiny), "--seeds", "0,1", "--backend", "greedy", "--workers", "1",
                 "--time-limit-s", "5", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert (out / "results.csv").is_file()
    import pandas as pd

    table = pd.read_csv(out / "results.csv")
    assert sorted(table["seed"]) == [0, 1]
    assert (table["n_violations"] == 0).all()


def test_whatif_compares_variants_with_the_base(tiny, tmp_path, capsys):
    out = tmp_path / "whatif"
    code = main(["whatif", str(tiny), "--vary", "speed_factor=1.0,0.5", "--backend", "greedy",
                 "--workers", "1", "--time-limit-s", "5", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "speed_factor=0.5" in captured.out
    assert (out / "whatif.csv").is_file()
    assert main(["whatif", str(tiny), "--vary", "colour=1", "--out", str(out)]) == 2
    assert "colour" in capsys.readouterr().err


def test_solve_with_nothing_plannable_exits_1_with_reasons(tmp_path, capsys):
    nothing = tmp_path / "nothing.yaml"
    nothing.write_text(TINY.replace("skills: {plumbing: 1}\n    duration", "skills: {gas: 1}\n    duration")
                       .replace("skills: {plumbing: 2}\n    duration", "skills: {gas: 1}\n    duration"),
                       encoding="utf-8")
    out = tmp_path / "plan.json"
    assert main(["solve", str(nothing), "--backend", "greedy", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "no_solution" in captured.out
    assert "J1: no technician has the gas skill" in captured.out
    assert out.is_file()            # a plan of reasons is still a valid output
