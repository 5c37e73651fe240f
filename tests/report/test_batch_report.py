"""batch_report: variants' KPIs and deltas against the base from a batch or what-if folder."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import H, job, make_problem, tech

from dispatchopt.errors import ParameterError
from dispatchopt.experiments.whatif import run_whatif
from dispatchopt.report import batch_report
from dispatchopt.report.batch import load_groups


def test_whatif_folder_deltas_match_the_whatif_summary(tmp_path):
    """The report's means and deltas, recomputed from results.csv, equal run_whatif's own."""
    problem = make_problem(techs=[tech("T1", shift=(0, 2 * H))],
                           jobs=[job(f"J{i}", x=5 * i, duration_min=40) for i in range(1, 7)]
                           + [job("E1", x=3, category="emergency")])
    summary = run_whatif(problem, ["add_technicians=0,1,2"], backend="greedy", seeds=(0, 1),
                         time_limit_s=5, workers=1, out_dir=tmp_path, progress=False)
    groups = {g.label: g for g in load_groups(tmp_path)}
    assert list(groups) == list(summary["variant"])
    assert groups["base"].is_base and not groups["add_technicians=2"].is_base
    for _, row in summary.iterrows():
        group = groups[row["variant"]]
        assert group.n_runs == 2 and group.n_errors == 0
        for kpi in ("travel_minutes", "unassigned", "overtime_minutes", "on_time_rate"):
            assert group.kpis[kpi] == pytest.approx(row[kpi])
            assert group.deltas[kpi] == pytest.approx(row[f"{kpi}_delta"])
    assert groups["add_technicians=2"].deltas["unassigned"] < 0     # more hands, fewer jobs left
    assert "on_time_rate__emergency" in groups["base"].kpis

    html = batch_report(tmp_path)
    assert html.count("plotly.js v") == 1 and html.count("Plotly.newPlot(") == 2
    for section in ('id="batch-charts"', 'id="batch-table"', "add_technicians=1"):
        assert section in html


def _write_results(folder, rows):
    columns = ["scenario", "variant", "backend", "seed", "status", "wall_s", "error", "n_violations",
               "objective", "n_jobs", "n_technicians", "travel_minutes", "unassigned",
               "overtime_minutes", "on_time_rate", "on_time_rate__emergency"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "results.csv", index=False)


def test_plain_batch_compares_each_scenario_with_its_first_backend(tmp_path):
    def run(scenario, backend, seed, travel, status="partial"):
        ok = status != "error"
        return [scenario, None, backend, seed, status, 1.0, None if ok else "boom", 0, 1.0, 10, 2,
                travel if ok else None, 1 if ok else None, 0.0, 0.9, 1.0]

    _write_results(tmp_path, [run("north", "greedy", 0, 100.0), run("north", "greedy", 1, 120.0),
                              run("north", "ortools", 0, 90.0), run("north", "ortools", 1, 0, "error"),
                              run("south", "greedy", 0, 50.0), run("south", "ortools", 0, 40.0)])
    groups = {g.label: g for g in load_groups(tmp_path)}
    assert list(groups) == ["north / greedy", "north / ortools", "south / greedy", "south / ortools"]
    assert [g.is_base for g in groups.values()] == [True, False, True, False]
    assert groups["north / greedy"].kpis["travel_minutes"] == 110.0
    assert groups["north / ortools"].n_errors == 1
    assert groups["north / ortools"].kpis["travel_minutes"] == 90.0          # the failed seed left out
    assert groups["north / ortools"].deltas["travel_minutes"] == -20.0
    assert groups["south / ortools"].deltas["travel_minutes"] == -10.0       # against south's base
    html = batch_report(tmp_path)
    assert "1 failed" in html and "90 (-20)" in html


def test_a_folder_with_only_whatif_csv(tmp_path):
    pd.DataFrame({"variant": ["base", "speed_factor=0.7"], "n_runs": [1, 1], "n_errors": [0, 0],
                  "travel_minutes": [100.0, 140.0], "travel_minutes_delta": [0.0, 40.0]}).to_csv(
        tmp_path / "whatif.csv", index=False)
    groups = load_groups(tmp_path)
    assert [g.deltas["travel_minutes"] for g in groups] == [0.0, 40.0]
    assert math.isnan(groups[0].kpis.get("unassigned", math.nan))
    assert "speed_factor=0.7" in batch_report(tmp_path)


def test_a_folder_without_results_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match=r"results_dir '.*': no results.csv or whatif.csv"):
        batch_report(tmp_path)
    _write_results(tmp_path, [])
    with pytest.raises(ParameterError, match="has no runs"):
        batch_report(tmp_path)
