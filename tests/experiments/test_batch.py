"""Batch runner: tidy KPI table, failed runs as rows, re-run skip, same table on every executor.

Scenarios are tiny YAML files (FORMATS.md, euclidean travel at speed 1) solved by the greedy
backend, so every run takes milliseconds; the cost of these tests is the worker start-up.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import H, M, job, make_problem, tech

from dispatchopt.experiments.batch import BatchError, BatchScenario, ERROR_STATUS, RUN_COLUMNS, kpi_columns, run_batch

SCENARIO = """\
name: {name}
timezone: Asia/Shanghai
start: 2026-11-23T08:00
travel: {{model: euclidean, speed_kmh: 1}}
technicians:
  - id: T01
    skills: {{plumbing: 2}}
    shift: {{start: "08:00", end: "16:00"}}
    start: {{x: 0, y: 0}}
  - id: T02
    skills: {{plumbing: 1, electrical: 1}}
    certificates: {{electrical: 2030-01-01}}
    shift: {{start: "08:00", end: "16:00"}}
    start: {{x: 10, y: 0}}
jobs:
{jobs}
"""
JOB = """\
  - id: J{i:02d}
    location: {{x: {x}, y: {y}}}
    category: {category}
    skills: {{{skill}: 1}}
    duration_minutes: 30
    received_at: 2026-11-23T08:{minute:02d}
"""
CATEGORIES = ("urgent", "standard", "emergency")


def write_scenario(path, name: str, n_jobs: int, *, broken: bool = False) -> str:
    jobs = "".join(JOB.format(i=i, x=(3 * i) % 17, y=(5 * i) % 11, category=CATEGORIES[i % 3],
                              skill="electrical" if i % 4 == 0 else "plumbing", minute=i)
                   for i in range(1, n_jobs + 1))
    if broken:  # a typo in a key: the loader must refuse it (FORMATS.md: unknown keys are errors)
        jobs = jobs.replace("duration_minutes", "duration_minuets", 1)
    path.write_text(SCENARIO.format(name=name, jobs=jobs.rstrip("\n")), encoding="utf-8")
    return str(path)


@pytest.fixture
def scenario_files(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    return [write_scenario(folder / "alpha.yaml", "alpha", 5),
            write_scenario(folder / "beta.yaml", "beta", 7),
            write_scenario(folder / "broken.yaml", "broken", 3, broken=True)]


def check_table(table: pd.DataFrame) -> None:
    assert list(table.columns[: len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    assert list(zip(table["scenario"], table["seed"])) == [
        ("alpha", 0), ("alpha", 1), ("beta", 0), ("beta", 1), ("broken", 0), ("broken", 1)]
    assert (table["backend"] == "greedy").all() and table["variant"].isna().all()
    broken = table[table["scenario"] == "broken"]
    assert (broken["status"] == ERROR_STATUS).all()
    assert broken["error"].str.match(r"load: ScenarioError: .*broken\.yaml.*duration_minuets").all()
    good = table[table["scenario"] != "broken"]
    assert good["status"].isin(["feasible", "partial", "optimal"]).all()
    assert good["error"].isna().all() and (good["n_violations"] == 0).all()
    assert list(good["n_jobs"]) == [5, 5, 7, 7]
    for column in ("on_time_rate", "travel_minutes", "unassigned", "on_time_rate__urgent",
                   "on_time_rate__emergency"):
        assert good[column].notna().all(), column


def test_batch_errors_are_rows_workers_agree_and_reruns_are_skipped(tmp_path, scenario_files):
    common = dict(backends=("greedy",), seeds=(0, 1), time_limit_s=5, progress=False)
    inline = run_batch(scenario_files, workers=1, out_dir=tmp_path / "inline", **common)
    pooled = run_batch(scenario_files, workers=2, out_dir=tmp_path / "pool", **common)
    check_table(inline)
    check_table(pooled)
    assert inline[kpi_columns(inline)].equals(pooled[kpi_columns(pooled)])
    assert pooled.attrs == {"n_runs": 6, "n_executed": 6, "n_skipped": 0}

    out = tmp_path / "pool"
    assert sorted(p.name for p in (out / "plans").iterdir()) == [
        f"{s}__greedy__s{seed}__t5.json" for s in ("alpha", "beta") for seed in (0, 1)]
    assert len(list((out / "runs").glob("*.json"))) == 6
    assert len(pd.read_csv(out / "results.csv")) == 6
    parquet = pd.read_parquet(out / "results.parquet")
    assert list(parquet.columns) == list(pooled.columns) and len(parquet) == 6

    # second identical call: nothing is run again, the table comes back from the records
    records = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    again = run_batch(scenario_files, workers=2, out_dir=out, **common)
    assert again.attrs == {"n_runs": 6, "n_executed": 0, "n_skipped": 6}
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")} == records
    assert again.equals(pooled)

    # fixing the broken file changes its fingerprint: only its runs are redone
    write_scenario(tmp_path / "scenarios" / "broken.yaml", "broken", 3)
    fixed = run_batch(scenario_files, workers=1, out_dir=out, **common)
    assert fixed.attrs["n_executed"] == 2
    assert (fixed["status"] != ERROR_STATUS).all()
    assert fixed[fixed["scenario"] != "broken"].equals(pooled[pooled["scenario"] != "broken"])


def test_problems_in_a_batch_and_labels():
    problem = make_problem([tech("T1", x=0)], [job("J1", x=5, category="urgent"),
                                               job("J2", x=9, category="standard", received_s=H),
                                               job("J3", x=1, received_s=10 * M, dispatchable=False)],
                           name="tiny")
    table = run_batch([problem, BatchScenario(problem, name="copy", variant="v1")], backends=("greedy",),
                      seeds=(3,), workers=1, progress=False)
    assert list(table["scenario"]) == ["copy", "tiny"]
    assert list(table["variant"].fillna("-")) == ["v1", "-"]
    assert (table["seed"] == 3).all() and (table["status"] == "feasible").all()
    assert {"on_time_rate__urgent", "on_time_rate__standard"} <= set(table.columns)
    assert "on_time_rate_by_category" not in table.columns
    assert table.attrs["n_skipped"] == 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(executor="dask"), "executor: expected one of process, ray, got 'dask'"),
    (dict(workers=0), "workers: expected an integer >= 1, got 0"),
    (dict(backends=("gredy",)), "unknown backend 'gredy'"),
    (dict(seeds=()), "no seed"),
    (dict(time_limit_s=0), "time_limit_s: expected a positive number of seconds, got 0"),
])
def test_bad_arguments_raise_before_running(kwargs, match):
    problem = make_problem([tech("T1")], [job("J1")])
    with pytest.raises(BatchError, match=match):
        run_batch([problem], **{"backends": ("greedy",), "progress": False, **kwargs})


def test_clashing_labels_are_refused():
    problem = make_problem([tech("T1")], [job("J1")], name="same")
    with pytest.raises(BatchError, match="two runs share the key 'same__greedy__s0__t30'"):
        run_batch([problem, problem.replace(jobs=())], backends=("greedy",), progress=False)


@pytest.mark.ray
def test_ray_executor_gives_the_same_table(scenario_files):
    ray = pytest.importorskip("ray")
    common = dict(backends=("greedy",), seeds=(0, 1), time_limit_s=5, progress=False)
    try:
        on_ray = run_batch(scenario_files, executor="ray", workers=2, **common)
    finally:
        ray.shutdown()
    check_table(on_ray)
    inline = run_batch(scenario_files, executor="process", workers=1, **common)
    assert on_ray[kpi_columns(on_ray)].equals(inline[kpi_columns(inline)])


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


@pytest.mark.parametrize("command", ["batch", "whatif"])
@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_drops_the_progress_bar_and_keeps_the_result(tmp_path, capsys, monkeypatch, command, quiet):
    pytest.importorskip("tqdm")
    from dispatchopt.cli import main

    small = Path(__file__).resolve().parents[2] / "scenarios" / "small.yaml"
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    head = ["batch", str(small)] if command == "batch" else ["whatif", str(small), "--vary", "speed_factor=0.9"]
    argv = head + ["--backend", "greedy", "--seeds", "0,1", "--workers", "1", "--out", str(tmp_path / "out")]
    assert main(argv + (["-q"] if quiet else [])) == 0
    text = capsys.readouterr().out
    assert ("results.csv" in text) and ("greedy" in text or "speed_factor" in text), text
    assert ("dispatchopt batch" in terminal.text) is not quiet, terminal.text     # whatif runs a batch
