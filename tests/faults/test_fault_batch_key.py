"""The batch record key and fingerprint hold every input that changes the result."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from dispatchopt.experiments.runs import input_hash
from faultkit import ROOT, SMALL, run_cli


def test_rerun_with_another_time_limit_neither_overwrites_nor_reuses(tmp_path):
    out = tmp_path / "b"
    args = ("batch", str(SMALL), "--backend", "greedy", "--workers", "1", "--out", str(out))
    first = run_cli(*args, "--time-limit-s", "5", timeout=120)
    assert first.returncode == 0, first.stderr
    record_5 = out / "runs" / "small__greedy__s0__t5.json"
    before = record_5.read_text()

    second = run_cli(*args, "--time-limit-s", "6", timeout=120)
    assert second.returncode == 0, second.stderr
    assert "1 runs (0 already recorded)" in second.stdout          # not reused
    assert record_5.read_text() == before                           # not overwritten
    record_6 = json.loads((out / "runs" / "small__greedy__s0__t6.json").read_text())
    assert record_6["row"]["time_limit_s"] == 6.0
    table = pd.read_csv(out / "results.csv")
    assert sorted(table["time_limit_s"]) == [5.0, 6.0]

    third = run_cli(*args, "--time-limit-s", "5", timeout=120)     # the same settings: resumed
    assert "1 runs (1 already recorded)" in third.stdout
    assert record_5.read_text() == before


def test_the_fingerprint_reads_the_graph_file_a_scenario_names(tmp_path):
    folder = tmp_path / "road_graph"
    shutil.copytree(ROOT / "scenarios" / "road_graph", folder)
    scenario = folder / "closure.yaml"
    before = input_hash(str(scenario))
    graph = folder / "roads.graphml"
    graph.write_text(graph.read_text().replace("</graphml>", "<!-- a changed road -->\n</graphml>"))
    assert input_hash(str(scenario)) != before
    assert scenario.read_bytes() == (ROOT / "scenarios" / "road_graph" / "closure.yaml").read_bytes()
