"""``dispatchopt report``: the plan report and the batch report from the command line.

Until cli/main.py registers the command, these tests add it to the parser the way main will
(``report.add_report_parser(sub, common)``); once it is wired in, they run the real parser.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
from pathlib import Path

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.cli import main, report
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve

cli_main = importlib.import_module("dispatchopt.cli.main")
SMALL = Path(__file__).resolve().parents[2] / "scenarios" / "small.yaml"


@pytest.fixture(autouse=True)
def report_command(monkeypatch):
    build = cli_main.build_parser

    def build_with_report() -> argparse.ArgumentParser:
        parser = build()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "report" not in sub.choices:
            common = argparse.ArgumentParser(add_help=False)
            common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS)
            report.add_report_parser(sub, common)
        return parser

    monkeypatch.setattr(cli_main, "build_parser", build_with_report)


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory) -> Path:
    problem = load_scenario(SMALL)
    plan = solve(problem, backend="greedy").plan
    assert verify(problem, plan) == []
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    plan.save(path)
    return path


def test_report_writes_the_plan_page(small_plan, tmp_path, capsys):
    target = tmp_path / "out" / "report.html"
    assert main(["report", str(SMALL), str(small_plan), "--out", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {target}"
    html = target.read_text(encoding="utf-8")
    assert 'id="gantt"' in html and 'id="route-map"' in html and "verify: OK" in html


def test_report_of_a_plan_breaking_a_rule_is_written_and_exits_1(small_plan, tmp_path, capsys):
    data = json.loads(small_plan.read_text(encoding="utf-8"))
    route = next(r for r in data["routes"] if r["visits"])
    route["visits"][0]["start"] = "2026-11-20T08:00"    # before the job was received
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    target = tmp_path / "broken.html"
    assert main(["report", str(SMALL), str(broken), "--out", str(target)]) == 1
    captured = capsys.readouterr()
    assert "violation(s) of the hard rules" in captured.out and "the report shows them" in captured.err
    assert "hard-rule violation(s)" in target.read_text(encoding="utf-8")


def test_report_batch_folder(tmp_path, capsys):
    folder = tmp_path / "runs"
    assert main(["batch", str(SMALL), "--backend", "greedy", "--seeds", "0,1", "--workers", "1",
                 "--out", str(folder)]) == 0
    target = tmp_path / "batch.html"
    capsys.readouterr()
    assert main(["report", "--batch", str(folder), "--out", str(target)]) == 0
    assert 'id="batch-table"' in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, message", [
    (["report", "--out", "{tmp}/x.html"], "report: expected SCENARIO and PLAN \\(or --batch DIR\\), got nothing"),
    (["report", "s.yaml", "--out", "{tmp}/x.html"], "got 's.yaml' only"),
    (["report", "s.yaml", "--batch", "d", "--out", "{tmp}/x.html"], "takes no SCENARIO or PLAN \\(got 's.yaml'\\)"),
    (["report", "--batch", "{tmp}/empty", "--out", "{tmp}/x.html"], "no results.csv or whatif.csv"),
    (["report", "--batch", "{tmp}/missing", "--out", "{tmp}/x.html"], "missing: batch folder not found"),
])
def test_report_bad_usage_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dispatchopt: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "x.html").exists()
