"""``dispatchopt simulate`` on the bundled small day (parser built here until main wires it)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from dispatchopt.cli import main
from dispatchopt.cli.simulate import add_simulate_parser

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.yaml"


def _simulate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dispatchopt")
    sub = parser.add_subparsers(dest="command", required=True)
    add_simulate_parser(sub, argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["simulate", *argv])
    return args.func(args)


def _morning(tmp_path) -> Path:
    plan = tmp_path / "plan.json"
    assert main(["solve", str(SMALL), "--backend", "greedy", "--out", str(plan)]) == 0
    return plan


def test_simulate_prints_the_distribution_and_writes_the_same_csv_twice(tmp_path, capsys):
    plan = _morning(tmp_path)
    capsys.readouterr()
    argv = [str(SMALL), str(plan), "--runs", "3", "--seed", "5", "--emergencies-per-hour", "2",
            "--duration-noise", "0.4", "--no-show", "0.1", "--workers", "1"]
    assert _simulate(argv + ["--out", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "3 of 3 simulated day(s), seeds 5..7" in text
    runs_text = pd.read_csv(tmp_path / "a" / "runs.csv")
    assert f"({runs_text['plans_verified'].sum()} plans, all clean)" in text
    for kpi in ("on_time_rate", "travel_minutes", "overtime_minutes", "jobs_left", "customers_notified"):
        assert kpi in text
    assert "mean" in text and "p95" in text
    assert captured.err == ""                        # no progress bar in a pipe
    assert _simulate(argv + ["--out", str(tmp_path / "b")]) == 0
    first = (tmp_path / "a" / "simulation.csv").read_bytes()
    assert first == (tmp_path / "b" / "simulation.csv").read_bytes()
    # verify itself on every plan: the same days
    assert _simulate(argv + ["--full-verify", "--out", str(tmp_path / "c")]) == 0
    assert first == (tmp_path / "c" / "simulation.csv").read_bytes()
    assert (tmp_path / "a" / "runs.csv").read_bytes() == (tmp_path / "c" / "runs.csv").read_bytes()
    table = pd.read_csv(tmp_path / "a" / "simulation.csv", index_col="kpi")
    assert list(table.columns) == ["mean", "p5", "p50", "p95"] and "jobs_left" in table.index
    runs = pd.read_csv(tmp_path / "a" / "runs.csv")
    assert list(runs["seed"]) == [5, 6, 7]
    assert table.loc["on_time_rate", "mean"] == pytest.approx(runs["on_time_rate"].mean(), abs=1e-4)


@pytest.mark.parametrize("flag", [["--no-show", "1.5"], ["--duration-noise", "-1"], ["--runs", "0"],
                                  ["--policy", "panic"]])
def test_bad_flags_are_usage_errors(tmp_path, flag):
    with pytest.raises(SystemExit) as exc:
        _simulate([str(SMALL), str(tmp_path / "plan.json"), *flag])
    assert exc.value.code == 2


class _Terminal:
    """A stand-in stderr that says it is a terminal (so the progress bar is drawn into it)."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("quiet", [False, True])
def test_simulate_quiet_drops_the_progress_bar_and_keeps_the_result(tmp_path, capsys, monkeypatch, quiet):
    pytest.importorskip("tqdm")
    plan = _morning(tmp_path)
    capsys.readouterr()
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    argv = ["simulate", str(SMALL), str(plan), "--runs", "2", "--workers", "1"] + (["-q"] if quiet else [])
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "2 of 2 simulated day(s)" in text and "wall time" in text
    assert ("dispatchopt simulate" in terminal.text) is not quiet, terminal.text
